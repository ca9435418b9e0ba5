"""`casebridge serve` runs two document workers by default, so that one long
document does not hold up the others: for real, a server started as the README
says, its demo records read by both workers at the same time."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from casebridge.web import serve
from tests.web.test_serve_process import _free_port, _get


def _workers_of(pid: int) -> list[str]:
    found = subprocess.run(["pgrep", "-a", "-P", str(pid)], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if "db_worker" in line]


def _documents(database: Path) -> list[tuple[str, str | None, str | None]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=20) as db:
        return db.execute("SELECT state, started_at, processed_at FROM cases_document").fetchall()


def test_two_document_workers_by_default_and_from_the_environment(monkeypatch):
    monkeypatch.delenv("CASEBRIDGE_DOCUMENT_WORKERS", raising=False)
    assert serve.default_document_workers() == 2
    monkeypatch.setenv("CASEBRIDGE_DOCUMENT_WORKERS", "3")
    assert serve.default_document_workers() == 3
    monkeypatch.setenv("CASEBRIDGE_DOCUMENT_WORKERS", "many")
    assert serve.default_document_workers() == 2


def test_a_document_worker_that_died_is_started_again(monkeypatch):
    monkeypatch.setattr(serve, "worker_command", lambda: [sys.executable, "-c", "pass"])
    workers = serve.Workers(2)
    workers.start()
    try:
        for child in workers.children:
            child.wait(timeout=30)
        first = [c.pid for c in workers.children]
        assert workers.restart_dead(threading.Event()) == 2
        assert [c.pid for c in workers.children] != first
        stopping = threading.Event()
        stopping.set()
        for child in workers.children:
            child.wait(timeout=30)
        assert workers.restart_dead(stopping) == 0  # not while the server stops
    finally:
        workers.stop()


def test_serve_reads_two_documents_at_once_with_its_two_workers(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBRIDGE_")}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["CASEBRIDGE_DB"] = "sqlite"
    env["CASEBRIDGE_LOG_LEVEL"] = "WARNING"
    data = tmp_path / "data"
    command = [sys.executable, "-c", "from casebridge.cli import main; main()", "serve"]
    command += ["--demo", "--data-dir", str(data), "--port", str(port), "--workers", "1"]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text()
            try:
                _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert len(_workers_of(server.pid)) == 2
        deadline = time.monotonic() + 480
        while True:
            rows = _documents(data / "casebridge.sqlite3")
            if rows and all(state not in {"queued", "processing"} for state, _, _ in rows):
                break
            assert time.monotonic() < deadline, (rows, log.read_text()[-3000:])
            time.sleep(1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    spans = sorted((started, done) for _, started, done in rows if started and done)
    assert len(spans) >= 2
    overlapping = any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))
    assert overlapping, spans  # one document began before the one before it was done
