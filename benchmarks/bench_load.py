"""Load and soak: many people uploading and browsing at once, for minutes (locust).

    python -m benchmarks.bench_load [--users 50] [--minutes 10] [--huge-mb 0]
                                    [--documents 8] [--db sqlite|postgres] [--keep]

    python -m benchmarks.bench_load --minutes 10               # the load test
    python -m benchmarks.bench_load --minutes 30               # the soak (memory)
    python -m benchmarks.bench_load --minutes 10 --huge-mb 90  # while one uploads a huge file
    python -m benchmarks.bench_load --minutes 15 --browse-only # memory, the data unchanged

What it builds (a fresh data folder, removed at the end): patients, each with a
case of their own (consent given, --documents generated records already read
by the engine) and coordinators with a second factor (TOTP), all with real
passwords and verified addresses. Then it starts `casebridge serve` on
loopback as an installation runs it: web processes AND its document workers,
DEBUG off. locust (as a library, https://locust.io) plays --users people at
once, each signed in through the real login form from its own loopback
address, reading for 0.5-3 s between pages:
- a patient opens the overview, the facts, the timeline, the records page and
  its live list (what htmx polls while documents are read), the messages, the
  questions; now and then uploads a new record (a generated text letter,
  multipart, as the page's uploader sends it) or sends a message;
- a coordinator opens the work queue and case pages (overview, documents,
  facts, messages sections) of the patients' cases.
A fifth of the time goes unmeasured first (every process warms up). Every
answer other than 200 (or the redirect after a form) counts as an error.

With --huge-mb, one more patient uploads one text file of that size (under
the upload limit) a third of the way in, and the others' p95 while it is sent
and read is reported beside the p95 outside that window.

Figures: requests, errors, p50/p95/max per page and overall; uploads read
(from upload to processed, p95; documents still queued at the end); the
memory of the server (all its processes: web, workers, readers), sampled every
5 s: after warm-up, at the end, the largest, and its trend in MB per minute
over the measured time (flat memory: a trend near 0).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench password long enough"  # bench_web's: the seed gives it to everyone

# -- the people and their cases (a child process: Django without gevent) ------------


def seed(patients: int, coordinators: int, documents: int, out: Path) -> None:
    """Runs in `--seed-into`'s child process, with Django set up: writes the
    people (e-mail, role, TOTP secret, case) as JSON to `out`."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from benchmarks.bench_web import PASSWORD, account, mark_read, record_text
    from casebridge.engine.pipeline import build_case
    from casebridge.web.accounts.models import Role
    from casebridge.web.cases.actions import do_create_case, do_give_consent, do_upload_document

    call_command("migrate", interactive=False, verbosity=0)
    hashed = make_password(PASSWORD)
    staff = [
        account(f"coordinator{i}@load.casebridge.test", Role.COORDINATOR, hashed)
        for i in range(coordinators)
    ]
    people: list[dict[str, str]] = []
    for person in staff:
        secret = generate_totp_secret()
        TOTP.activate(person, secret)
        people.append({"email": person.email, "role": "coordinator", "totp": secret, "case": ""})
    records = out.parent / "records"
    records.mkdir(exist_ok=True)
    for number in range(patients):
        patient = account(f"patient{number}@load.casebridge.test", Role.PATIENT, hashed)
        case = do_create_case(acting_user=staff[0], owner=patient, programme="oncology")
        do_give_consent(case, acting_user=patient, kind="processing_art9", text_version="bench")
        items, rows = [], {}
        for index in range(documents):
            name, text = record_text(number * 1000 + index)
            path = records / f"{number}-{name}"
            path.write_text(text, encoding="utf-8")
            items.append((name, path))
            rows[name] = do_upload_document(
                case, acting_user=patient, file_name=name, data=text.encode("utf-8")
            )
        mark_read(case, rows, build_case(items, "oncology"))
        people.append(
            {"email": patient.email, "role": "patient", "totp": "", "case": case.pseudonym}
        )
    out.write_text(json.dumps(people))


# -- the load (this process: locust, gevent) -----------------------------------------


def plain_http_cookies():  # type: ignore[no-untyped-def]
    """A cookie jar that sends the site's Secure cookies over loopback's plain
    http too (DEBUG off marks them Secure; behind its TLS proxy a browser sends
    them). A cookie policy would not do: requests copies the cookies into a
    jar of the default policy for every request."""
    from requests.cookies import RequestsCookieJar

    class PlainHttpJar(RequestsCookieJar):
        def set_cookie(self, cookie, *args, **kwargs):  # type: ignore[no-untyped-def]
            cookie.secure = False
            return super().set_cookie(cookie, *args, **kwargs)

    return PlainHttpJar()


@dataclass
class Sample:
    at: float  # seconds since the measured part began (negative: warm-up)
    name: str
    ms: float
    ok: bool


@dataclass
class Run:
    started: float = 0.0  # monotonic time the measured part began
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)  # file names the people uploaded
    totp_retries: int = 0  # second-factor codes refused: their window had passed
    wall_start: datetime.datetime | None = None  # documents created after it were uploaded
    huge: dict[str, float] = field(default_factory=dict)  # the huge upload's times
    memory: list[tuple[float, float]] = field(default_factory=list)  # (s, MB)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the measured part


def tree_memory_mb(pid: int) -> float:
    """The proportional set size (PSS: shared pages split between processes) of a
    process and all its descendants, in MB; RSS where PSS cannot be read."""
    import psutil

    total = 0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for process in processes:
        try:
            total += getattr(process.memory_full_info(), "pss", process.memory_info().rss)
        except psutil.Error:
            continue
    return total / 1e6


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat):
    to tell the load this benchmark made from what else ran meanwhile."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(v) for v in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def trend_mb_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of memory over time, MB a minute."""
    if len(points) < 3:
        return float("nan")
    mean_t = sum(t for t, _ in points) / len(points)
    mean_m = sum(m for _, m in points) / len(points)
    num = sum((t - mean_t) * (m - mean_m) for t, m in points)
    den = sum((t - mean_t) ** 2 for t, _ in points)
    return num / den * 60 if den else float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--users", type=int, default=50, help="people at once (patients + coordinators)"
    )
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="measured minutes (after warm-up)"
    )
    parser.add_argument(
        "--huge-mb", type=int, default=0, help="one more patient uploads this many MB"
    )
    parser.add_argument(
        "--browse-only",
        action="store_true",
        help="no uploads or messages: the data stay as seeded, so memory that grows is the "
        "server's own, not the cases'",
    )
    parser.add_argument(
        "--documents", type=int, default=8, help="read records in each patient's case"
    )
    parser.add_argument(
        "--warmup", type=float, help="unmeasured seconds first (default: a fifth, at least 20)"
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--keep", action="store_true", help="keep the data folder and the log")
    parser.add_argument("--seed-into", type=Path, help=argparse.SUPPRESS)  # the child's part
    parser.add_argument("--patients", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--coordinators", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed_into is not None:
        import django

        django.setup()
        seed(args.patients, args.coordinators, args.documents, args.seed_into)
        return 0
    if args.users < 2:
        parser.error("--users: at least 2 (a patient and a coordinator)")
    if args.minutes <= 0:
        parser.error("--minutes: more than 0")

    from benchmarks.bench_web import (
        bench_environment,
        create_postgres_database,
        free_port,
        start_server,
        stop,
    )

    coordinators = max(1, args.users // 10)
    patients = args.users - coordinators
    tmp = Path(tempfile.mkdtemp(prefix="casebridge-bench-load-"))
    db_name = f"casebridge_bench_load_{os.getpid()}"
    env = bench_environment(tmp / "data", args.db, db_name)
    server: subprocess.Popen[bytes] | None = None
    try:
        if args.db == "postgres":
            create_postgres_database(env, db_name)
        began = time.perf_counter()
        subprocess.run(  # noqa: S603 - this script, fixed arguments
            [
                sys.executable,
                "-m",
                "benchmarks.bench_load",
                "--seed-into",
                str(tmp / "people.json"),
                "--patients",
                str(patients + (1 if args.huge_mb else 0)),
                "--coordinators",
                str(coordinators),
                "--documents",
                str(args.documents),
            ],
            env=env,
            cwd=REPO,
            check=True,
        )
        people = json.loads((tmp / "people.json").read_text())
        print(
            f"{patients} patients (a case of {args.documents} read records each), "
            f"{coordinators} coordinators; set up in {time.perf_counter() - began:.0f} s ({args.db})"
        )
        port = free_port()
        server = start_server(env, port, tmp / "server.log", worker=True)
        run = load(people, port, args, env)
        return report(run, args, env, tmp)
    finally:
        if server is not None:
            stop(server)
        if args.db == "postgres":
            try:
                create_postgres_database(env, db_name, drop=True)
            except Exception as error:  # noqa: BLE001 - report, keep cleaning up
                print(f"could not drop {db_name}: {error}", file=sys.stderr)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def load(
    people: list[dict[str, str]], port: int, args: argparse.Namespace, env: dict[str, str]
) -> Run:
    """Play the people with locust for the warm-up and the measured minutes."""
    import gevent
    from locust import HttpUser, between, task
    from locust.env import Environment
    from requests.adapters import HTTPAdapter

    os.environ.update(env)
    import django

    django.setup()  # allauth's TOTP code for the coordinators' second step
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    run = Run()
    rng = random.Random(args.seed)
    huge_patient = people.pop() if args.huge_mb else None
    staff = [p for p in people if p["role"] == "coordinator"]
    patients = [p for p in people if p["role"] == "patient"]
    cases = [p["case"] for p in patients]
    addresses = iter(range(10, 250))
    free = {"patient": list(patients), "coordinator": list(staff)}
    uploads = iter(range(10**6))

    def measured_at() -> float:
        return time.monotonic() - run.started if run.started else -1.0

    class Source(HTTPAdapter):
        """Each person's browser from its own loopback address (sign-ins are
        limited per address)."""

        def __init__(self, address: str) -> None:
            self.address = address
            super().__init__()

        def init_poolmanager(self, *pool_args, **kwargs):  # type: ignore[no-untyped-def]
            kwargs["source_address"] = (self.address, 0)
            return super().init_poolmanager(*pool_args, **kwargs)

    class Person(HttpUser):
        abstract = True
        host = f"http://127.0.0.1:{port}"
        wait_time = between(0.5, 3.0)
        role = ""

        def on_start(self) -> None:
            self.me = free[self.role].pop()
            self.client.mount("http://", Source(f"127.0.0.{next(addresses)}"))
            self.client.cookies = plain_http_cookies()
            page = self.fetch("sign-in form", "/accounts/login/")
            self.post(
                "sign in",
                "/accounts/login/",
                page,
                {"login": self.me["email"], "password": PASSWORD},
            )
            for attempt in range(3) if self.me["totp"] else ():
                # allauth accepts only the current 30-second window's code: under
                # load a code sent at the end of its window can arrive in the
                # next one and is refused (the form again, 200); a person types
                # the new code, and so does this, in the next window.
                if attempt:
                    run.totp_retries += 1
                    gevent.sleep(30 - time.time() % 30 + 0.5)
                page = self.fetch("second factor", "/accounts/2fa/authenticate/")
                code = format_hotp_value(hotp_value(self.me["totp"], int(time.time()) // 30))
                path = "/accounts/2fa/authenticate/"
                allowed = (200, 302) if attempt < 2 else (302,)
                if self.post("second factor", path, page, {"code": code}, allowed=allowed) == 302:
                    break

        def fetch(self, name: str, path: str, **kwargs: object) -> str:
            with self.client.get(
                path, name=name, allow_redirects=False, catch_response=True, **kwargs
            ) as response:
                self.judge(name, response, (200,))
                return response.text

        def post(
            self,
            name: str,
            path: str,
            page: str,
            data: dict[str, str],
            allowed: tuple[int, ...] = (302,),
            **kwargs: object,
        ) -> int:
            """A form sent as the browser sends it; a form that worked redirects
            (302), one shown again (200) was refused."""
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if token is None:
                run.errors.append(f"{name}: no form on the page before it")
                return 0
            with self.client.post(
                path,
                data={"csrfmiddlewaretoken": token.group(1), **data},
                name=name,
                allow_redirects=False,
                catch_response=True,
                **kwargs,  # type: ignore[arg-type]
            ) as response:
                self.judge(name, response, allowed)
                return int(response.status_code)

        def judge(self, name: str, response, allowed: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
            ok = response.status_code in allowed
            if not ok:
                response.failure(f"{response.status_code}")
                to = response.headers.get("Location", "")
                run.errors.append(
                    f"{name}: {response.status_code} {response.url}"
                    + (f" -> {to}" if to else "")
                    + f" at {measured_at():.0f} s"
                )
            else:
                response.success()
            run.samples.append(
                Sample(measured_at(), name, response.elapsed.total_seconds() * 1000, ok)
            )

    class Patient(Person):
        role = "patient"
        weight = 9

        def on_start(self) -> None:
            super().on_start()
            self.base = f"/cases/{self.me['case']}/"

        @task(4)
        def overview(self) -> None:
            self.fetch("patient overview", self.base)

        @task(2)
        def facts(self) -> None:
            self.fetch("patient facts", self.base + "facts/")

        @task(1)
        def timeline(self) -> None:
            self.fetch("patient timeline", self.base + "timeline/")

        @task(2)
        def records(self) -> None:
            self.fetch("patient records", self.base + "documents/")
            for _ in range(rng.randint(1, 3)):  # the live list, polled while documents are read
                gevent.sleep(1.0)
                self.fetch("records live list", self.base + "documents/list/")

        @task(1)
        def messages(self) -> None:
            self.fetch("patient messages", self.base + "messages/")

        @task(1)
        def questions(self) -> None:
            self.fetch("patient questions", self.base + "questions/")

        @task(1)
        def upload(self) -> None:
            from benchmarks.bench_web import record_text

            if args.browse_only:
                return self.records()
            page = self.fetch("patient records", self.base + "documents/")
            name, text = record_text(500_000 + next(uploads))
            name = f"upload-{len(run.uploads)}-{name}"
            run.uploads.append(name)
            self.post(
                "upload a record",
                self.base + "documents/",
                page,
                {},
                files={"files": (name, text.encode("utf-8"), "text/plain")},
            )

        @task(1)
        def message(self) -> None:
            if args.browse_only:
                return self.messages()
            page = self.fetch("patient messages", self.base + "messages/")
            self.post(
                "send a message",
                self.base + "messages/",
                page,
                {"body": "Could you tell me when the specialists will look at my records?"},
            )

    class Coordinator(Person):
        role = "coordinator"
        fixed_count = len(staff)

        @task(3)
        def queue(self) -> None:
            self.fetch("console queue", "/console/")

        @task(4)
        def case(self) -> None:
            reference = rng.choice(cases)
            section = rng.choice(["overview", "documents", "facts", "messages"])
            self.fetch(f"console case {section}", f"/console/cases/{reference}/?section={section}")

    environment = Environment(user_classes=[Patient, Coordinator])
    runner = environment.create_local_runner()
    run.wall_start = datetime.datetime.now(datetime.UTC)
    runner.start(len(people), spawn_rate=10)
    server_pid = _server_pid(port)

    def sample_memory() -> None:
        while True:
            run.memory.append((measured_at(), tree_memory_mb(server_pid)))
            gevent.sleep(5)

    sampler = gevent.spawn(sample_memory)
    warmup = args.warmup if args.warmup is not None else max(20.0, args.minutes * 60 / 5)
    gevent.sleep(warmup)
    from benchmarks.bench_web import process_tree_cpu

    run.started = time.monotonic()
    before = (process_tree_cpu(server_pid), time.process_time(), machine_busy_seconds())
    measured = args.minutes * 60
    if huge_patient is not None:
        gevent.spawn_later(
            measured / 3, huge_upload, huge_patient, port, args.huge_mb, run, measured_at
        )
    gevent.sleep(measured)
    after = (process_tree_cpu(server_pid), time.process_time(), machine_busy_seconds())
    run.cpu = {
        "server": after[0] - before[0],
        "generator": after[1] - before[1],
        "machine": after[2] - before[2],
        "seconds": measured,
    }
    runner.quit()
    sampler.kill()
    run.memory.append((measured_at(), tree_memory_mb(server_pid)))
    return run


def _server_pid(port: int) -> int:
    """The pid of the process listening on the port's parent tree: the server
    started by start_server (casebridge serve), found by its listening socket."""
    import psutil

    for conn in psutil.net_connections("tcp"):
        if (
            conn.laddr
            and conn.laddr.port == port
            and conn.status == psutil.CONN_LISTEN
            and conn.pid
        ):
            process = psutil.Process(conn.pid)
            while process.parent() is not None and "casebridge" in " ".join(
                process.parent().cmdline()
            ):
                process = process.parent()
            return process.pid
    raise SystemExit(f"no process listens on port {port}")


def huge_upload(person: dict[str, str], port: int, megabytes: int, run: Run, measured_at) -> None:  # type: ignore[no-untyped-def]
    """One patient sends one text file of `megabytes` MB (generated letters, over
    and over, as a scanned-to-text dump would be) and waits until it is read."""
    import requests

    session = requests.Session()
    session.cookies = plain_http_cookies()
    base = f"http://127.0.0.1:{port}"
    page = session.get(base + "/accounts/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None  # noqa: S101
    session.post(
        base + "/accounts/login/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "login": person["email"],
            "password": PASSWORD,
        },
    )
    from benchmarks.bench_web import record_text

    block = "\n\n".join(record_text(900_000 + i)[1] for i in range(20)).encode("utf-8")
    data = (block * (megabytes * 1_000_000 // len(block) + 1))[: megabytes * 1_000_000]
    page = session.get(f"{base}/cases/{person['case']}/documents/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None  # noqa: S101
    run.huge["start"] = measured_at()
    response = session.post(
        f"{base}/cases/{person['case']}/documents/",
        data={"csrfmiddlewaretoken": token.group(1)},
        files={"files": ("huge-notes.txt", data, "text/plain")},
        headers={"Accept": "application/json"},
    )
    run.huge["sent"] = measured_at()
    run.huge["status"] = response.status_code
    if response.status_code != 200:
        run.errors.append(f"huge upload: {response.status_code} {response.text[:200]}")
        return
    import gevent

    while True:  # the records' live list says when it is read (or needs attention)
        listing = session.get(f"{base}/cases/{person['case']}/documents/list/").text
        if "huge-notes.txt" in listing and not re.search(r"(?i)waiting|being read|queued", listing):
            break
        gevent.sleep(2)
    run.huge["read"] = measured_at()


def report(run: Run, args: argparse.Namespace, env: dict[str, str], tmp: Path) -> int:
    measured = [s for s in run.samples if s.at >= 0]
    seconds = args.minutes * 60
    print(f"\n== {args.users} people, {args.minutes:g} measured minutes ({args.db})")
    print(f"{'page':<28}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    names = sorted({s.name for s in measured})
    for name in [*names, "all"]:
        rows = [s for s in measured if name in ("all", s.name)]
        times = [s.ms for s in rows]
        print(
            f"{name:<28}{len(rows):>7}{percentile(times, 50):>9.0f}{percentile(times, 95):>9.0f}"
            f"{max(times):>9.0f}{sum(not s.ok for s in rows):>8}"
        )
    errors = sum(not s.ok for s in run.samples) + len([e for e in run.errors if "huge" in e])
    print(
        f"{len(measured)} requests measured, {len(measured) / seconds:.1f} a second; "
        f"errors (warm-up included): {errors}"
    )
    if run.cpu and measured:
        cpu, wall = run.cpu, run.cpu["seconds"]
        others = cpu["machine"] - cpu["server"] - cpu["generator"]
        print(
            f"CPU: the server {cpu['server'] / len(measured) * 1000:.1f} ms a request "
            f"({cpu['server'] / wall:.2f} cores), this load generator {cpu['generator'] / wall:.2f} "
            f"cores, everything else on the machine {others / wall:.2f} cores "
            f"(of {os.cpu_count()})"
        )
    if run.totp_retries:
        print(
            f"second-factor codes typed again (the first arrived after its window): {run.totp_retries}"
        )
    for line in sorted(set(run.errors))[:20]:
        print(f"  error: {line}")

    os.environ.update(env)
    from django.db.models import F

    from casebridge.web.cases.models import Document

    uploaded = Document.objects.filter(created_at__gte=run.wall_start)
    # The load has stopped; the workers finish what was still queued.
    waited, deadline = time.monotonic(), time.monotonic() + 180
    while uploaded.filter(processed_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(1)
    waited = time.monotonic() - waited
    rows = list(
        uploaded.filter(processed_at__isnull=False)
        .annotate(took=F("processed_at") - F("created_at"))
        .values_list("took", flat=True)
    )
    waits = [t.total_seconds() for t in rows if t is not None]
    left = uploaded.filter(processed_at__isnull=True).count()
    print(
        f"uploads: {len(run.uploads)} sent; read in p50 {percentile(waits, 50):.1f} s, "
        f"p95 {percentile(waits, 95):.1f} s (upload to processed); {left} not read at the end "
        f"({waited:.0f} s after the load stopped)"
    )
    if run.huge:
        start, end = run.huge.get("start", 0.0), run.huge.get("read", seconds)
        inside = [s.ms for s in measured if start <= s.at <= end]
        outside = [s.ms for s in measured if not start <= s.at <= end]
        print(
            f"huge upload ({args.huge_mb} MB): answer {run.huge.get('status')}, sent in "
            f"{run.huge.get('sent', float('nan')) - start:.0f} s, read "
            f"{run.huge.get('read', float('nan')) - start:.0f} s after the start; the others' p95 "
            f"while it was sent and read {percentile(inside, 95):.0f} ms ({len(inside)} requests), "
            f"outside {percentile(outside, 95):.0f} ms: x{percentile(inside, 95) / percentile(outside, 95):.2f}"
        )
    points = [(t, m) for t, m in run.memory if t >= 0]
    if points:
        print(
            f"server memory (PSS, all its processes): {points[0][1]:.0f} MB after warm-up, "
            f"{points[-1][1]:.0f} MB at the end, {max(m for _, m in points):.0f} MB at most; "
            f"trend {trend_mb_per_minute(points):+.1f} MB a minute over {len(points)} samples"
        )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
