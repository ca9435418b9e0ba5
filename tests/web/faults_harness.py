"""The processes of the fault tests (tests/web/test_faults_*.py): each sets up
Django from its environment (a database and data folder of the test's own) and
does one thing, the way a real installation's processes do it:

    python -m tests.web.faults_harness seed --cases 2 --docs 5 --tag a
    python -m tests.web.faults_harness worker [--kill-at POINT]
    python -m tests.web.faults_harness requeue-loop --every 1
    python -m tests.web.faults_harness upload --kill-at POINT
    python -m tests.web.faults_harness check

`--kill-at` makes the process SIGKILL itself at one exact point of the real
code (after a step has committed, before the next), so that the windows a
random kill rarely hits are hit every time. Nothing is mocked: the step runs,
then the process dies as the kernel's OOM killer or a power cut would end it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections import Counter
from typing import Any

PASSWORD = "a long enough fault test password"  # noqa: S105 - a test account
EMAIL = "faults@example.org"


def record(tag: str, number: int) -> bytes:
    """A small pathology report of its own (its own date, grade and size): no
    two are the same content, and each gives the engine facts to read."""
    day = 1 + number % 28
    grade = 1 + number % 3
    return (
        "HISTOPATHOLOGY REPORT\n"
        f"Date of report: {day:02d}/03/2024\n"
        f"Lab number: {tag.upper()}-{number:05d}\n"
        "Specimen: Left breast core biopsy.\n"
        f"Diagnosis: Invasive ductal carcinoma (NST), grade {grade}.\n"
        f"Tumour size {10 + number % 40} mm.\n"
        "ER positive (Allred 8/8). PR positive. HER2 IHC 3+ (positive).\n"
    ).encode()


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.web.settings")
    import django

    django.setup()


def patient() -> Any:
    from allauth.account.models import EmailAddress

    from casebridge.web.accounts.models import Role, User

    user = User.objects.filter(email=EMAIL).first()
    if user is None:
        user = User.objects.create_user(EMAIL, PASSWORD, role=Role.PATIENT, full_name="Fault Test")
        EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    return user


def new_case(user: Any) -> Any:
    from casebridge.web.cases.actions import do_create_case, do_give_consent

    case = do_create_case(acting_user=user, owner=user, programme="oncology")
    do_give_consent(case, acting_user=user, kind="processing_art9", text_version="2025-01")
    return case


def seed(cases: int, docs: int, tag: str) -> dict[str, Any]:
    from casebridge.web.cases.actions import do_upload_document

    user = patient()
    made: dict[str, list[int]] = {}
    for c in range(cases):
        case = new_case(user)
        made[case.pseudonym] = [
            do_upload_document(
                case,
                acting_user=user,
                file_name=f"report {tag}{c}-{d}.txt",
                data=record(f"{tag}{c}", d),
            ).pk
            for d in range(docs)
        ]
    return {"cases": made, "email": EMAIL, "password": PASSWORD}


def arm(point: str) -> None:
    """SIGKILL this process at `point`, once the real step before it is done."""
    from casebridge.web.cases import actions, storage, tasks

    if point == "task-claimed":
        # django-tasks-db has committed the task as RUNNING; the document is
        # still queued, with no lease.
        def claim(document_id: int) -> int | str:
            _die()
            raise AssertionError("unreachable")

        tasks._claim = claim  # type: ignore[assignment]
    elif point == "document-claimed":
        original_claim = tasks._claim

        def claim_then_die(document_id: int) -> int | str:
            result = original_claim(document_id)
            _die()
            return result

        tasks._claim = claim_then_die  # type: ignore[assignment]
    elif point == "merged":
        # The merge has committed (the document is processed, its audit row
        # written); django-tasks-db has not yet marked the task done.
        original_process = tasks._process

        def process_then_die(document_id: int, attempt: int) -> str:
            result = original_process(document_id, attempt)
            _die()
            return result

        tasks._process = process_then_die  # type: ignore[assignment]
    elif point == "file-stored":
        # The encrypted file is on disk; the upload's transaction has not committed.
        original_store = storage.store_document

        def store_then_die(case: Any, document: Any, data: bytes) -> str:
            original_store(case, document, data)
            _die()
            raise AssertionError("unreachable")

        storage.store_document = store_then_die  # type: ignore[assignment]
    elif point == "upload-committed":
        # The upload has committed (row, file, audit); the task is not queued yet.
        def enqueue(document_id: int, delay: Any = None) -> None:
            _die()

        actions.enqueue_document = enqueue  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown kill point {point!r}")


def upload_one(tag: str) -> None:
    from casebridge.web.cases.actions import do_upload_document
    from casebridge.web.cases.models import Case

    user = patient()
    case = Case.objects.filter(owner=user).order_by("pk").first() or new_case(user)
    do_upload_document(case, acting_user=user, file_name=f"{tag}.txt", data=record(tag, 1))


def requeue_loop(every: float) -> None:
    """What `casebridge serve` does every minute (and cron runs beside
    `manage.py db_worker`), here every `every` seconds."""
    from django.db import close_old_connections

    from casebridge.web.cases.tasks import requeue_stale_documents

    while True:
        close_old_connections()
        try:  # as serve's loop: a failed round is logged and the next one retries
            ids = requeue_stale_documents()
        except Exception as error:  # noqa: BLE001
            print(f"re-queueing failed: {error!r}", flush=True)
        else:
            if ids:
                print(f"requeued {ids}", flush=True)
        time.sleep(every)


def check() -> dict[str, Any]:
    """Everything the fault tests assert, measured on the database and files
    as they are: states, each document once in its case's engine JSON, one
    processed audit row per document, facts only from documents of the case
    and none twice, every stored file decrypting."""
    from casebridge.web.cases import storage
    from casebridge.web.cases.access import case_for_system
    from casebridge.web.cases.errors import StorageError
    from casebridge.web.cases.models import AuditEvent, Case, Document

    report: dict[str, Any] = {"states": {}, "problems": [], "names": []}
    problems: list[str] = report["problems"]
    report["states"] = dict(Counter(Document.objects.values_list("state", flat=True)))
    processed_rows = Counter(
        AuditEvent.objects.filter(action="document.processed").values_list("object_id", flat=True)
    )
    attempts: list[int] = []
    for plain in Case.objects.order_by("pk"):
        case = case_for_system(plain.pk)
        engine = case.engine or {}
        engine_docs = [d["id"] for d in engine.get("documents") or []]
        if len(engine_docs) != len(set(engine_docs)):
            problems.append(f"{case.pseudonym}: an engine document twice")
        duplicates = [d["id"] for d in engine.get("documents") or [] if d.get("duplicate_of")]
        if duplicates:
            problems.append(f"{case.pseudonym}: engine documents merged twice: {duplicates}")
        claimed: list[str] = []
        for doc in Document.objects.filter(case=case):
            attempts.append(doc.attempts)
            report["names"].append(doc.file_name)
            claimed += doc.engine_doc_ids
            if doc.state in {"processed", "needs_attention"}:
                if processed_rows[str(doc.pk)] != 1:
                    problems.append(f"document {doc.pk}: {processed_rows[str(doc.pk)]} merges")
                if not doc.engine_doc_ids:
                    problems.append(f"document {doc.pk}: processed without an engine document")
            try:
                storage.read_document(case, doc)
            except StorageError as error:
                problems.append(f"document {doc.pk}: {error}")
        if sorted(claimed) != sorted(engine_docs):
            problems.append(f"{case.pseudonym}: rows {sorted(claimed)} != engine {engine_docs}")
        keys = [
            (f["kind"], str(f["value"]), json.dumps(f.get("source"), sort_keys=True))
            for f in engine.get("facts") or []
        ]
        if len(keys) != len(set(keys)):
            problems.append(f"{case.pseudonym}: the same fact twice")
        sources = {(f.get("source") or {}).get("document_id") for f in engine.get("facts") or []}
        if not sources <= {*engine_docs, None, ""}:
            problems.append(f"{case.pseudonym}: a fact from a document not in the case")
        report.setdefault("facts", 0)
        report["facts"] += len(keys)
    report["documents"] = len(attempts)
    report["attempts"] = dict(Counter(attempts))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="faults_harness")
    parser.add_argument("command", choices=["seed", "worker", "requeue-loop", "upload", "check"])
    parser.add_argument("--cases", type=int, default=1)
    parser.add_argument("--docs", type=int, default=1)
    parser.add_argument("--tag", default="a")
    parser.add_argument("--kill-at", default="")
    parser.add_argument("--every", type=float, default=1.0)
    args = parser.parse_args(argv)
    _setup()
    if args.kill_at:
        arm(args.kill_at)
    if args.command == "seed":
        print(json.dumps(seed(args.cases, args.docs, args.tag)))
    elif args.command == "worker":
        from django.core.management import call_command

        call_command("db_worker", interval=0.2, startup_delay=False, reload=False)
    elif args.command == "requeue-loop":
        requeue_loop(args.every)
    elif args.command == "upload":
        upload_one(args.tag)
    else:
        print(json.dumps(check()))


# -- the test's side: an installation of its own, and its processes -----------------


class Installation:
    """A database (a SQLite file, or a PostgreSQL database made for it) and a
    data folder with its own keys, used only through real processes."""

    def __init__(
        self, root: Any, backend: str, name: str, keys_of: Installation | None = None
    ) -> None:
        import base64
        import secrets
        from pathlib import Path

        self.root = Path(root)
        self.backend = backend
        self.data = self.root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        base = os.environ.get("CASEBRIDGE_DB_TEST_NAME") or "test_casebridge"
        self.db_name = f"{base}_{name}_{os.getpid()}".lower()[:63]
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CASEBRIDGE_") and k not in {"DATABASE_URL", "PYTEST_XDIST_WORKER"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="casebridge.web.settings",
            PYTHONUNBUFFERED="1",
            CASEBRIDGE_DATA_DIR=str(self.data),
            CASEBRIDGE_DB=backend,
            CASEBRIDGE_DB_NAME=self.db_name,
            CASEBRIDGE_SECRET_KEY=secrets.token_urlsafe(50),
            CASEBRIDGE_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
            CASEBRIDGE_AUDIT_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
            CASEBRIDGE_LOG_LEVEL="WARNING",
            # A killed worker's document is taken over within seconds, not 15 minutes.
            CASEBRIDGE_DOCUMENT_LEASE_SECONDS="4",
            # Every kill is an attempt: the give-up after 3 is tested elsewhere.
            CASEBRIDGE_DOCUMENT_MAX_ATTEMPTS="1000",
            CASEBRIDGE_ALLOWED_HOSTS="127.0.0.1,localhost",
            CASEBRIDGE_SSL_REDIRECT="0",
            CASEBRIDGE_HSTS_SECONDS="0",
        )
        if keys_of is not None:  # the same installation, moved: its keys too
            for key in ("SECRET", "MASTER", "AUDIT"):
                env[f"CASEBRIDGE_{key}_KEY"] = keys_of.env[f"CASEBRIDGE_{key}_KEY"]
        self.env = env
        self.processes: list[Any] = []
        if backend == "postgres":
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.db_name}"')

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
        ) as db:
            db.execute(sql)  # type: ignore[arg-type]  # names made here, not input

    def command(self, *args: str) -> list[str]:
        if args and args[0] in {"seed", "worker", "requeue-loop", "upload", "check"}:
            return [sys.executable, "-m", "tests.web.faults_harness", *args]
        return [sys.executable, "-m", "django", *args]

    def run(self, *args: str, timeout: float = 300, **extra: str) -> Any:
        import subprocess

        return subprocess.run(  # noqa: S603 - our own interpreter and arguments
            self.command(*args),
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=_repository(),
        )

    def start(self, *args: str, log: str = "", **extra: str) -> Any:
        """A process in a session (process group) of its own, so that a kill
        of the group ends its children too."""
        import subprocess

        out = open(self.root / (log or f"{args[0]}.log"), "ab")  # noqa: SIM115 - the child's
        process = subprocess.Popen(  # noqa: S603
            self.command(*args),
            env={**self.env, **extra},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=_repository(),
            start_new_session=True,
        )
        out.close()
        self.processes.append(process)
        return process

    def migrate(self) -> None:
        done = self.run("migrate", "--no-input", "-v", "0")
        assert done.returncode == 0, done.stderr

    def states(self) -> Counter[str]:
        """Documents per state, read straight from the database."""
        rows = self._query("SELECT state, COUNT(*) FROM cases_document GROUP BY state")
        return Counter({str(state): int(count) for state, count in rows})

    def claims(self) -> int:
        """How many times a worker has claimed a document, all documents together."""
        rows = self._query("SELECT COALESCE(SUM(attempts), 0) FROM cases_document")
        return int(rows[0][0])

    def _query(self, sql: str) -> list[Any]:
        if self.backend == "postgres":
            import psycopg

            with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={self.db_name}") as db:
                rows = db.execute(sql).fetchall()
        else:
            import sqlite3

            path = self.data / "casebridge.sqlite3"
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
                rows = db.execute(sql).fetchall()
        return list(rows)

    def pending(self) -> int:
        states = self.states()
        return states["queued"] + states["processing"]

    def wait_until_done(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pending():
            assert time.monotonic() < deadline, f"still pending: {dict(self.states())}"
            time.sleep(0.3)

    def stragglers(self) -> list[int]:
        """Processes still alive that were started with this installation's
        data folder (a worker's forkserver or reader child left behind)."""
        from pathlib import Path

        marker = f"CASEBRIDGE_DATA_DIR={self.data}\0".encode()
        alive: list[int] = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes():
                    status = (entry / "status").read_text()
                    if "zombie" not in status:
                        alive.append(int(entry.name))
            except OSError:
                continue
        return alive

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with _suppress():
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.backend == "postgres":
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


def _suppress() -> Any:
    import contextlib

    return contextlib.suppress(ProcessLookupError, PermissionError)


def _repository() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2])


if __name__ == "__main__":
    main()
