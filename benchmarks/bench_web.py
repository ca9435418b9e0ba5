"""The web platform under load: a case of 300 documents, 20 people signed in at once.

    python -m benchmarks.bench_web [--documents 300] [--users 20] [--seconds 30]
                                   [--requests 40] [--rounds 2] [--think 0]
                                   [--sides fragments-off,after] [--before DIR]
                                   [--db sqlite|postgres] [--keep]

What it builds (in a fresh data folder, removed at the end):
- a patient, family members the patient invited and coordinators, each with a
  password and a verified e-mail address (allauth signs them in for real), the
  coordinators with a TOTP authenticator too (staff must have a second factor:
  they sign in with the code it shows);
- the patient's case with consent given and N generated, unique text records
  (pathology, radiology, clinic letters, blood results, discharge summaries,
  MDT outcomes: varied dates, values, report numbers) uploaded through
  `do_upload_document` (encrypted files, audit rows, Document rows);
- the engine run once over all N records (`pipeline.build_case`: the same
  document stages `process_document` runs, with one case-level refresh rather
  than N), its JSON stored on the case and each Document row marked read the
  way `process_document` marks it (state, reasons, engine ids, type, audit row);
- a few fact corrections, messages and internal notes, through their actions.

Then it starts the platform on loopback in a child process, the way
`casebridge serve --no-worker` does (gunicorn: one web process per core plus
one, one request at a time each; --workers and --threads to change), with
DEBUG off (CASEBRIDGE_DEMO=1 only lets the keys be generated; plain http on
loopback). Every person signs in through the real login form (their own
session) and loads pages in a loop bounded by a request count and a time limit:
- everyone: the case workspace (/cases/<CB-…>/);
- coordinators also: the console's case page (/console/cases/<CB-…>/) and
  its work queue (/console/), in the order workspace, case, workspace, queue.
Each round is bounded by --requests per person and --seconds, and stops by
itself; before it, --warmup seconds of the same load are not measured (each
web process parses the case and renders its fragments once, as a server that
has been running has). --think makes people read a page (random 0..2x
seconds) before the next; 0 is the heaviest load (everyone reloading at once,
back to back).

Side by side in the same run, one server each, in alternating rounds on the
same data and sessions (--sides): "after" (this version), "runserver" (this
version on Django's threaded runserver, one process), "fragments-off" (no
rendered-fragment cache: FRAGMENT_CACHE_SECONDS=0), "engine-cache-off" (no
parsed-engine cache either) and "before": an earlier version of the code on
runserver (--before DIR, e.g. `git archive HEAD casebridge | tar -x -C DIR` taken before
a change). It prints p50 / p95 / max per page and the requests per second of
each side, and their ratios. Target: the workspace's p95 <= 200 ms.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench password long enough"
TARGET_P95_MS = 200.0

# -- the records -------------------------------------------------------------------

SIDES = ("left", "right")
GRADES = (1, 2, 3)
HER2 = ("0", "1+", "2+ (equivocal)", "3+ (positive)")


def _date(index: int, year: int = 2025) -> str:
    return f"{1 + index % 28:02d}/{1 + (index // 28) % 12:02d}/{year - (index // 336)}"


def record_text(index: int) -> tuple[str, str]:
    """(file name, text) of generated record `index`: unique content, six kinds."""
    kind = index % 6
    date = _date(index)
    ref = f"{index:05d}"
    side = SIDES[index % 2]
    if kind == 0:
        return f"Histopathology H25-{ref}.txt", (
            f"HISTOPATHOLOGY REPORT\nReport number H25-{ref}\nDate of report: {date}\n"
            f"Specimen: {side.capitalize()} breast core biopsy.\n"
            f"Diagnosis: Invasive ductal carcinoma (NST), grade {GRADES[index % 3]}.\n"
            f"Tumour size {10 + index % 40} mm.\n"
            f"ER positive (Allred {4 + index % 5}/8). PR positive. HER2 IHC {HER2[index % 4]}.\n"
            f"Margins clear by {1 + index % 9} mm. pT{1 + index % 3} pN0 (0/{2 + index % 4}).\n"
        )
    if kind == 1:
        return f"CT report {date.replace('/', '-')} R{ref}.txt", (
            f"CT THORAX, ABDOMEN AND PELVIS\nAccession R{ref}\nDate: {date}\n"
            "Findings: no evidence of distant metastatic disease. "
            f"A {2 + index % 6} mm pulmonary nodule in the {side} lower lobe, unchanged.\n"
            "Impression: no change compared with the previous study.\n"
        )
    if kind == 2:
        return f"Clinic letter {date.replace('/', '-')} L{ref}.txt", (
            f"Breast Oncology Clinic\nDate: {date}\nLetter reference L{ref}\n"
            "Dear Dr Smith,\nI reviewed this patient in the breast oncology clinic. "
            f"She remains well, performance status ECOG {index % 2}.\n"
            "Plan: adjuvant chemotherapy with EC followed by paclitaxel, then radiotherapy "
            f"40 Gy in 15 fractions. Allergies: penicillin (rash).\nWeight {55 + index % 30} kg.\n"
        )
    if kind == 3:
        return f"Blood results {date.replace('/', '-')} B{ref}.txt", (
            f"LABORATORY REPORT\nSample B{ref}\nCollected: {date}\n"
            f"Full blood count: Hb {110 + index % 40} g/L, WCC {4 + index % 6}.{index % 10} "
            f"x10^9/L, neutrophils {2 + index % 4}.{index % 7} x10^9/L, platelets "
            f"{150 + index % 200} x10^9/L.\nCreatinine {50 + index % 60} umol/L, eGFR > 90. "
            f"Bilirubin {5 + index % 15} umol/L, ALT {10 + index % 40} U/L.\n"
        )
    if kind == 4:
        return f"Discharge summary {date.replace('/', '-')} D{ref}.txt", (
            f"DISCHARGE SUMMARY\nReference D{ref}\nAdmitted: {date}\n"
            f"Reason for admission: neutropenic sepsis after cycle {1 + index % 6} of EC.\n"
            "Treated with intravenous piperacillin-tazobactam, then oral antibiotics. "
            f"Discharged after {2 + index % 5} days.\nMedications on discharge: letrozole "
            "2.5 mg once daily.\n"
        )
    return f"MDT outcome {date.replace('/', '-')} M{ref}.txt", (
        f"BREAST MULTIDISCIPLINARY TEAM MEETING\nMeeting {date}, item M{ref}\n"
        f"Diagnosis: {side} breast invasive ductal carcinoma, grade {GRADES[index % 3]}, "
        f"ER positive, HER2 {HER2[index % 4]}.\n"
        "Outcome: for wide local excision and sentinel lymph node biopsy, then "
        "discussion of adjuvant treatment.\n"
    )


# -- the environment and the data ------------------------------------------------------


def bench_environment(data_dir: Path, db: str, db_name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="casebridge.web.settings",
        CASEBRIDGE_DATA_DIR=str(data_dir),
        CASEBRIDGE_DEMO="1",  # DEBUG stays off; only the keys may be generated
        CASEBRIDGE_SSL_REDIRECT="0",  # plain http on loopback
        CASEBRIDGE_HSTS_SECONDS="0",
        CASEBRIDGE_LOG_LEVEL="WARNING",
        CASEBRIDGE_SECRET_KEY=secrets.token_urlsafe(50),
        CASEBRIDGE_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        CASEBRIDGE_ALLOWED_HOSTS="127.0.0.1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")])),
    )
    env.pop("DATABASE_URL", None)
    env["CASEBRIDGE_DB"] = db
    if db == "postgres":
        env["CASEBRIDGE_DB_NAME"] = db_name
    return env


def create_postgres_database(env: dict[str, str], name: str, drop: bool = False) -> None:
    import psycopg

    dsn = (
        f"host={env.get('CASEBRIDGE_DB_HOST', '127.0.0.1')} "
        f"port={env.get('CASEBRIDGE_DB_PORT', '5432')} "
        f"user={env.get('CASEBRIDGE_DB_USER', 'postgres')} dbname=postgres"
    )
    if env.get("CASEBRIDGE_DB_PASSWORD"):
        dsn += f" password={env['CASEBRIDGE_DB_PASSWORD']}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Seeded:
    pseudonym: str
    patient: str
    family: list[str]
    coordinators: list[str]
    documents: int
    facts: int
    engine_bytes: int
    seconds: float
    totp: dict[str, str] = field(default_factory=dict)  # staff e-mail: TOTP secret


def seed(documents: int, users: int, records_dir: Path) -> Seeded:
    """Build the people and the case (Django is set up in this process)."""
    import json

    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from casebridge.engine.pipeline import build_case
    from casebridge.web.accounts.models import Role, User
    from casebridge.web.cases.actions import (
        do_add_note,
        do_correct_fact,
        do_create_case,
        do_give_consent,
        do_invite_member,
        do_send_message,
        do_upload_document,
    )
    from casebridge.web.cases.models import Case, Document

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    hashed = make_password(PASSWORD)  # one hash for all: sign-in still checks it
    family_count = max(1, (users - 1) // 2)
    coordinator_count = max(1, users - 1 - family_count)

    patient = account("patient@bench.casebridge.test", Role.PATIENT, hashed)
    coordinators = [
        account(f"coordinator{i}@bench.casebridge.test", Role.COORDINATOR, hashed)
        for i in range(coordinator_count)
    ]
    totp = {}  # staff must have a second factor (StaffMFAMiddleware): each signs in with it
    for coordinator in coordinators:
        totp[coordinator.email] = generate_totp_secret()
        TOTP.activate(coordinator, totp[coordinator.email])
    case = do_create_case(acting_user=coordinators[0], owner=patient, programme="oncology")
    do_give_consent(case, acting_user=patient, kind="processing_art9", text_version="bench")
    family = []
    for i in range(family_count):
        email = f"family{i}@bench.casebridge.test"
        do_invite_member(case, acting_user=patient, email=email, can_upload=i % 2 == 0)
        user = User.objects.get(email=email)
        user.password, user.full_name = hashed, f"family{i}"
        user.save(update_fields=["password", "full_name"])
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        family.append(email)

    records_dir.mkdir(parents=True, exist_ok=True)
    items = []
    rows: dict[str, Document] = {}
    for index in range(documents):
        name, text = record_text(index)
        path = records_dir / name
        path.write_text(text, encoding="utf-8")
        items.append((name, path))
        uploader = patient if index % 3 else coordinators[index % len(coordinators)]
        rows[name] = do_upload_document(
            case, acting_user=uploader, file_name=name, data=text.encode("utf-8")
        )

    engine = build_case(items, "oncology")
    mark_read(case, rows, engine)

    case = Case.objects.get(pk=case.pk)
    facts = [f for f in engine.facts if f.value != "not stated"]
    for fact in facts[:3]:
        case = Case.objects.get(pk=case.pk)
        do_correct_fact(
            case,
            acting_user=coordinators[0],
            reason="checked against the original report",
            expected_version=case.version,
            fact_id=fact.id,
            context="historical",
        )
    for i in range(5):
        do_send_message(case, acting_user=patient, body=f"Question {i} about my records.")
        do_add_note(case, acting_user=coordinators[0], body=f"Staff note {i}.")
    case = Case.objects.get(pk=case.pk)
    return Seeded(
        pseudonym=case.pseudonym,
        patient=patient.email,
        family=family,
        coordinators=[c.email for c in coordinators],
        documents=Document.objects.filter(case=case).count(),
        facts=len(case.engine.get("facts", [])),
        engine_bytes=len(json.dumps(case.engine)),
        seconds=time.perf_counter() - started,
        totp=totp,
    )


def account(email: str, role: str, hashed: str = ""):  # type: ignore[no-untyped-def]
    """A person who can sign in: PASSWORD (or its given hash: hashing once for
    many people keeps the set-up short; sign-in still checks it) and a
    verified primary e-mail address."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from casebridge.web.accounts.models import User

    user = User.objects.create_user(email, role=role, full_name=email.split("@")[0])
    user.password = hashed or make_password(PASSWORD)
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def mark_read(case, rows, engine) -> None:  # type: ignore[no-untyped-def]
    """Store the engine's case on `case` and mark each uploaded Document row
    read the way `process_document` marks it (state, reasons, engine ids, type,
    audit row): the documents are read once for the whole case, not one by one."""
    from django.utils import timezone

    from casebridge.web.cases import audit
    from casebridge.web.cases.models import Document

    case.engine = engine.to_dict()
    case.save(update_fields=["engine", "updated_at"])
    by_name: dict[str, list] = {}
    for doc in engine.documents:
        by_name.setdefault(doc.file_name, []).append(doc)
    for name, row in rows.items():
        docs = by_name.get(name, [])
        row.state = (
            Document.State.NEEDS_ATTENTION
            if any(d.status == "needs_attention" for d in docs)
            else Document.State.PROCESSED
        )
        row.reasons = list(dict.fromkeys(p for d in docs for p in d.problems))
        row.engine_doc_ids = [d.id for d in docs]
        row.engine_doc_id = docs[0].id if docs else ""
        row.doc_type = docs[0].doc_type if docs else ""
        row.media_type = docs[0].media_type if docs else row.media_type
        row.processed_at = timezone.now()
        row.save()
        audit.record(
            None, case, "document.processed", obj=row, after={"state": row.state, "bench": True}
        )


# -- the server --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SETTINGS_OVERRIDE = """from casebridge.web.settings import *  # noqa: F403
{lines}
"""


@dataclass(frozen=True)
class Side:
    """One server of the comparison: its settings (on top of casebridge's) and,
    for "before", the folder of an earlier version of the code it runs."""

    name: str
    settings: dict[str, str]
    code: Path | None = None
    server: str = "serve"  # serve: `casebridge serve` (gunicorn); runserver: Django's


SERVERS = {"runserver": "runserver", "before": "runserver"}  # the others: serve


SIDES_KNOWN: dict[str, dict[str, str]] = {
    "after": {},  # this version, as configured by default, served by `casebridge serve`
    "runserver": {},  # this version on Django's runserver (one process, threads)
    "fragments-off": {"FRAGMENT_CACHE_SECONDS": "0"},  # no rendered-fragment cache
    "engine-cache-off": {"ENGINE_CACHE_SIZE": "0", "FRAGMENT_CACHE_SECONDS": "0"},
    # a new database connection for every request (Django's default)
    "db-connection-per-request": {'DATABASES["default"]["CONN_MAX_AGE"]': "0"},
    "before": {},  # the code of --before
}


def start_server(
    env: dict[str, str],
    port: int,
    log: Path,
    side: Side | None = None,
    workers: int = 0,
    threads: int = 0,
    worker: bool = False,
) -> subprocess.Popen[bytes]:
    """The side's server in a child process (`casebridge serve`, or runserver
    for "runserver" and "before"), with the side's settings (through a settings
    module that imports casebridge's and sets only those) and code."""
    env = dict(env)
    cwd = REPO
    if side is not None:
        folder = log.parent / f"settings_{side.name}"
        folder.mkdir(exist_ok=True)
        lines = "\n".join(f"{k} = {v}" for k, v in side.settings.items())
        (folder / "bench_settings.py").write_text(SETTINGS_OVERRIDE.format(lines=lines))
        env["DJANGO_SETTINGS_MODULE"] = "bench_settings"
        code = side.code or REPO
        cwd = code
        env["PYTHONPATH"] = os.pathsep.join([str(folder), str(code)])
    if side is None or side.server == "serve":
        # What `casebridge serve --no-worker` runs: the engine's worker is not
        # part of the load (the documents are read already); `worker` keeps it.
        command = [sys.executable, "-c", "from casebridge.cli import main; main()", "serve"]
        command += [] if worker else ["--no-worker"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        if workers:
            command += ["--workers", str(workers)]
        if threads:
            command += ["--threads", str(threads)]
    else:
        command = [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}"]
        command.append("--noreload")
    with log.open("ab") as out:
        server = subprocess.Popen(  # noqa: S603
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: see {log}\n{log.read_text()[-2000:]}")
        try:
            status, _ = Client(port).get("/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer within 60 s")


# -- the people --------------------------------------------------------------------


class Client:
    """One person's browser: its own cookies (the session), plain http to loopback,
    from its own loopback address (127.0.0.x: people sign in from different
    places; allauth limits sign-ins per address)."""

    def __init__(self, port: int, source: str = "127.0.0.1", totp: str = "") -> None:
        self.port = port
        self.source = source
        self.totp = totp  # the TOTP secret of a person with a second factor (staff)
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        head = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=60, source_address=(self.source, 0)
                )
            try:
                self.conn.request(method, path, body=body, headers=head)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    self.cookies[key.strip()] = val.strip()
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, data
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, bytes]:
        return self._request("GET", path)

    def login(self, email: str) -> None:
        status, page = self.get("/accounts/login/")
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or found is None:
            raise SystemExit(f"no login form ({status})")
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": found.group(1).decode(), "login": email, "password": PASSWORD}
        )
        status, _ = self._request(
            "POST",
            "/accounts/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"{email} could not sign in ({status})")
        if self.totp:
            self.second_factor(email)

    def second_factor(self, email: str) -> None:
        """allauth's second step: the code the person's authenticator app shows now."""
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        status, page = self.get("/accounts/2fa/authenticate/")
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or found is None or b'name="code"' not in page:
            raise SystemExit(f"{email}: no second-factor step ({status})")
        code = format_hotp_value(hotp_value(self.totp, int(time.time()) // 30))
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": found.group(1).decode(), "code": code}
        )
        status, _ = self._request(
            "POST",
            "/accounts/2fa/authenticate/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302:
            raise SystemExit(f"{email}: the TOTP code was refused ({status})")


@dataclass
class Person:
    email: str
    pages: list[tuple[str, str]]  # (page name, path)
    client: Client | None = None
    timings: list[tuple[str, float, int]] = field(default_factory=list)


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its living
    children (the server and its web processes), from /proc; 0 elsewhere."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, IndexError, ValueError):
            continue
        pending.extend(int(child) for child in children)
    return total


def run_load(
    people: list[Person], requests: int, seconds: float, think: float = 0.0
) -> tuple[float, list[tuple[str, float, int]]]:
    """Everyone loads their pages in turn, at once, until `requests` each or
    `seconds` have passed; with `think`, a person reads each page for a random
    0..2*think seconds before the next (0: no pause, the heaviest load).
    Returns the wall time and every (page, ms, status)."""
    start = threading.Barrier(len(people) + 1)
    pause = random.Random(7)
    deadline = [0.0]

    def work(person: Person) -> None:
        assert person.client is not None
        start.wait()
        for index in range(requests):
            if time.monotonic() > deadline[0]:
                break
            name, path = person.pages[index % len(person.pages)]
            began = time.perf_counter()
            try:
                status, _ = person.client.get(path)
            except OSError:
                status = 0
            person.timings.append((name, (time.perf_counter() - began) * 1000, status))
            if think > 0:
                time.sleep(
                    min(pause.uniform(0, 2 * think), max(0.0, deadline[0] - time.monotonic()))
                )

    threads = [threading.Thread(target=work, args=(p,), daemon=True) for p in people]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join(seconds + 120)
    wall = time.perf_counter() - began
    return wall, [t for p in people for t in p.timings]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def report(
    wall: float, timings: list[tuple[str, float, int]], cpu: tuple[float, float] = (0.0, 0.0)
) -> dict[str, dict[str, float]]:
    """Prints the table; returns {page: {p50, p95, max, n}} and {"all": {rps}}.
    cpu: the CPU seconds the server (all its processes) and this load
    generator used meanwhile."""
    by_page: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    for name, ms, status in timings:
        by_page.setdefault(name, []).append(ms)
        if status != 200:
            failed[name] = failed.get(name, 0) + 1
    print(f"{'page':<22}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'mean':>9}{'errors':>8}")
    for name, values in sorted(by_page.items()):
        print(
            f"{name:<22}{len(values):>6}{percentile(values, 50):>10.1f}"
            f"{percentile(values, 95):>10.1f}{max(values):>10.1f}"
            f"{statistics.fmean(values):>9.1f}{failed.get(name, 0):>8}"
        )
    statuses: dict[int, int] = {}
    for _, _, status in timings:
        statuses[status] = statuses.get(status, 0) + 1
    if set(statuses) != {200}:
        print("answers: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    print(f"{len(timings)} requests in {wall:.1f} s: {len(timings) / wall:.1f} requests/s")
    server_cpu, client_cpu = cpu
    if server_cpu and timings:
        print(
            f"CPU per request: server {server_cpu / len(timings) * 1000:.1f} ms, "
            f"load generator {client_cpu / len(timings) * 1000:.1f} ms (both on this machine)"
        )
    figures = {
        name: {
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "max": max(values),
            "n": len(values),
        }
        for name, values in by_page.items()
    }
    figures["all"] = {"rps": len(timings) / wall}
    return figures


def sign_in_all(people: list[Person]) -> None:
    failures: list[str] = []

    def sign_in(person: Person) -> None:
        try:
            person.client.login(person.email)  # type: ignore[union-attr]
        except (SystemExit, OSError) as error:
            failures.append(str(error))

    threads = [threading.Thread(target=sign_in, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit("signing in failed: " + "; ".join(failures))


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200, help="per person per round, at most")
    parser.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        help="seconds of unmeasured load on each new server first (every process warms up)",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="each round's time limit")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each side, alternating")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a person reads a page before the next (0: none, the heaviest load)",
    )
    parser.add_argument(
        "--sides",
        default="runserver,after",
        help="servers to compare, in alternating rounds: a comma-separated list of "
        + ", ".join(SIDES_KNOWN)
        + " (before needs --before)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="a folder holding an earlier version of the code (e.g. `git archive HEAD "
        "casebridge | tar -x -C DIR`): served as the side 'before', on the same data",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="web processes of `casebridge serve` (default: its own, one per core plus one)",
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="threads per web process (default: serve's, 4)"
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and log")
    args = parser.parse_args(argv)
    if args.users < 3:
        parser.error("--users: at least 3 (a patient, a family member, a coordinator)")
    sides = [name.strip() for name in args.sides.split(",") if name.strip()]
    if args.before is not None and "before" not in sides:
        sides.insert(0, "before")
    unknown = [name for name in sides if name not in SIDES_KNOWN]
    if unknown or not sides:
        parser.error(f"--sides: unknown {', '.join(unknown) or '(none)'}")
    if "before" in sides and (args.before is None or not (args.before / "casebridge").is_dir()):
        parser.error("--before: a folder with the casebridge package of the earlier version")
    configs = {
        name: Side(
            name,
            SIDES_KNOWN[name],
            args.before.resolve() if name == "before" else None,
            SERVERS.get(name, "serve"),
        )
        for name in sides
    }

    tmp = Path(tempfile.mkdtemp(prefix="casebridge-bench-web-"))
    db_name = f"casebridge_bench_{os.getpid()}"
    env = bench_environment(tmp / "data", args.db, db_name)
    server: subprocess.Popen[bytes] | None = None
    try:
        if args.db == "postgres":
            create_postgres_database(env, db_name)
        os.environ.update(env)
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        seeded = seed(args.documents, args.users, tmp / "records")
        print(
            f"case {seeded.pseudonym}: {seeded.documents} documents, {seeded.facts} facts, "
            f"engine JSON {seeded.engine_bytes / 1e6:.2f} MB; set up in {seeded.seconds:.1f} s "
            f"({args.db})"
        )
        from django.db import connections

        connections.close_all()

        workspace = ("workspace", f"/cases/{seeded.pseudonym}/")
        console = ("console case", f"/console/cases/{seeded.pseudonym}/")
        queue = ("console queue", "/console/")
        people = [Person(seeded.patient, [workspace])]
        people += [Person(email, [workspace]) for email in seeded.family]
        people += [
            Person(email, [workspace, console, workspace, queue]) for email in seeded.coordinators
        ]
        for index, person in enumerate(people):
            person.client = Client(0, f"127.0.0.{10 + index}", seeded.totp.get(person.email, ""))
        results: dict[str, tuple[float, list[tuple[str, float, int]]]] = {
            side: (0.0, []) for side in sides
        }
        cpu: dict[str, tuple[float, float]] = {}  # side: (server, load generator) CPU s
        signed_in = False
        for round_index in range(args.rounds):
            order = sides if round_index % 2 == 0 else sides[::-1]
            for side in order:
                port = free_port()
                server = start_server(
                    env, port, tmp / "server.log", configs[side], args.workers, args.threads
                )
                for person in people:
                    assert person.client is not None
                    person.client.port, person.client.conn = port, None
                    person.timings = []
                if not signed_in:
                    sign_in_all(people)
                    signed_in = True
                    print(
                        f"{len(people)} people signed in (1 patient, {len(seeded.family)} "
                        f"family, {len(seeded.coordinators)} coordinators), each from its own "
                        "loopback address; DEBUG off"
                    )
                # Unmeasured: every web process parses the case and renders its
                # fragments once (a server that has run a while has done so);
                # a single request would warm only the process that took it.
                if args.warmup > 0:
                    run_load(people, args.requests, args.warmup, 0.0)
                for person in people:
                    person.timings = []
                server_cpu, client_cpu = process_tree_cpu(server.pid), time.process_time()
                wall, timings = run_load(people, args.requests, args.seconds, args.think)
                server_cpu = process_tree_cpu(server.pid) - server_cpu
                client_cpu = time.process_time() - client_cpu
                stop(server)
                server = None
                total, collected = results[side]
                results[side] = (total + wall, collected + timings)
                used = cpu.get(side, (0.0, 0.0))
                cpu[side] = (used[0] + server_cpu, used[1] + client_cpu)
                print(f"round {round_index + 1}, {side}: {len(timings)} requests")
        figures: dict[str, dict[str, dict[str, float]]] = {}
        for side in sides:
            wall, timings = results[side]
            print(f"\n== {side} {configs[side].settings or ''}, {args.rounds} round(s)")
            figures[side] = report(wall, timings, cpu.get(side, (0.0, 0.0)))
        base = sides[0]
        for other in sides[1:]:
            print(f"\n== {base} / {other} (above 1: {other} is faster)")
            for page in sorted(set(figures[base]) & set(figures[other]) - {"all"}):
                a, b = figures[base][page], figures[other][page]
                print(f"{page:<22}p50 x{a['p50'] / b['p50']:.2f}  p95 x{a['p95'] / b['p95']:.2f}")
            rps = figures[other]["all"]["rps"] / figures[base]["all"]["rps"]
            print(f"{'requests/s':<22}x{rps:.2f}")
        for side in sides:
            p95 = figures[side].get("workspace", {}).get("p95", float("nan"))
            verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
            print(
                f"target ({side}): workspace p95 <= {TARGET_P95_MS:.0f} ms: {verdict} ({p95:.0f} ms)"
            )
        return 0
    finally:
        if server is not None:
            stop(server)
        if args.db == "postgres":
            try:
                from django.db import connections

                connections.close_all()
                create_postgres_database(env, db_name, drop=True)
            except Exception as error:  # noqa: BLE001 - report, keep cleaning up
                print(f"could not drop {db_name}: {error}", file=sys.stderr)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
