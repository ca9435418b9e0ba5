"""Issue 10, faults: the web process SIGKILLed during uploads, on SQLite and
PostgreSQL.

A real `casebridge serve` (gunicorn, two web processes) receives uploads from
two signed-in patient sessions (the login form, the upload form with its CSRF
token, as a browser sends them) while its web processes, and now and then the
whole server, are SIGKILLed at random moments (seeded) and started again.
Afterwards: every upload the server answered "added" is a document; no
document row lacks its file; the files no row names (an upload killed between
writing its file and committing) are found by `verify_files` and removed by
`verify_files --remove-orphans`; then every document is processed exactly once
and the audit chain verifies. A second test kills an upload at the two exact
points that matter.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.web.faults_harness import Installation, record
from tests.web.test_faults_worker import BACKEND, KILLS, SEED, _finish
from tests.web.test_serve_process import _free_port


@pytest.fixture
def installation(tmp_path, request):
    made = Installation(tmp_path, BACKEND, "fweb" + request.node.name[7:12])
    try:
        made.migrate()
        yield made
    finally:
        made.close()


class Browser:
    """One signed-in person's cookies and CSRF token over plain http (the
    cookies are marked Secure, which http.cookiejar would not send back)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            connection.request(method, path, body=body, headers={**sent, **(headers or {})})
            response = connection.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, data, dict(response.getheaders())
        finally:
            connection.close()

    def token(self, path: str) -> str:
        status, page, _ = self.request("GET", path)
        assert status == 200, (path, status)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, path
        return found.group(1).decode()

    def sign_in(self, email: str, password: str) -> None:
        token = self.token("/accounts/login/")
        form = f"csrfmiddlewaretoken={token}&login={email}&password={password.replace(' ', '+')}"
        status, _, headers = self.request(
            "POST",
            "/accounts/login/",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302 and "sessionid" in self.cookies, (status, headers)

    def upload(self, pseudonym: str, files: list[tuple[str, bytes]]) -> dict:
        path = f"/cases/{pseudonym}/documents/"
        token = self.token(path)
        boundary = secrets.token_hex(12)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{token}\r\n".encode()
        ]
        for name, data in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
                + data
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        status, body, _ = self.request(
            "POST",
            path,
            b"".join(parts),
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Accept": "application/json",
            },
        )
        assert status in {200, 400}, (status, body[:300])
        return json.loads(body)


def _serve(installation: Installation, port: int) -> subprocess.Popen:
    command = [sys.executable, "-c", "from casebridge.cli import main; main()", "serve"]
    command += ["--port", str(port), "--workers", "2", "--no-worker"]
    command += ["--data-dir", str(installation.data)]
    out = open(installation.root / "serve.log", "ab")  # noqa: SIM115 - the child's
    server = subprocess.Popen(  # noqa: S603
        command, env=installation.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    out.close()
    installation.processes.append(server)
    deadline = time.monotonic() + 90
    while True:
        assert server.poll() is None, (installation.root / "serve.log").read_text()[-3000:]
        try:
            status, _, _ = Browser(port).request("GET", "/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        assert time.monotonic() < deadline
        time.sleep(0.2)


def _web_processes(server: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


class Uploader(threading.Thread):
    """A patient uploading two files at a time, again and again; a file
    whose request was cut off is sent again (as a person would), so a file
    already stored comes back as a duplicate, never as a second document."""

    def __init__(
        self, port: int, seeded: dict, case: str, name: str, stop: threading.Event
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.seeded, self.case, self.name, self.stop = port, seeded, case, name, stop
        self.added: set[str] = set()
        self.duplicates: set[str] = set()
        self.cut_off = 0
        self.requests = 0
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.signed_in = threading.Event()

    def run(self) -> None:
        browser = Browser(self.port)
        browser.sign_in(self.seeded["email"], self.seeded["password"])
        self.signed_in.set()
        pseudonym = self.case
        number = 0
        batch: list[tuple[str, bytes]] = []
        while not self.stop.is_set():
            if not batch:
                batch = [
                    (f"{self.name}-{number + i}.txt", record(self.name, number + i))
                    for i in range(2)
                ]
                number += 2
            try:
                self.requests += 1
                answer = browser.upload(pseudonym, batch)
            except (OSError, http.client.HTTPException, AssertionError) as error:
                # the session is in the database: it outlives the web process
                self.cut_off += 1
                self.errors.append(f"{type(error).__name__}: {str(error)[:200]}")
                time.sleep(0.1)
                continue
            for sent in answer["files"]:
                if sent["added"]:
                    self.added.add(sent["name"])
                elif sent["duplicate"]:
                    self.duplicates.add(sent["name"])
                else:
                    self.refused.append(sent["error"])
            batch = []
            time.sleep(0.5)  # a person choosing the next files


def test_web_processes_killed_during_uploads_leave_rows_and_files_in_agreement(installation):
    rng = random.Random(SEED)
    seeded = json.loads(installation.run("seed", "--cases", "2", "--docs", "0").stdout)
    port = _free_port()
    server = _serve(installation, port)
    stop = threading.Event()
    uploaders = [
        Uploader(port, seeded, case, f"u{i}", stop) for i, case in enumerate(seeded["cases"])
    ]
    for uploader in uploaders:
        uploader.start()
    for uploader in uploaders:
        assert uploader.signed_in.wait(60)
    kills = restarts = 0
    try:
        while kills < KILLS:
            time.sleep(rng.uniform(0.3, 3))
            if rng.random() < 0.2:  # the whole server: arbiter and web processes
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
                server = _serve(installation, port)
                restarts += 1
            else:  # one web process, in whatever request it is serving
                processes = _web_processes(server)
                if not processes:
                    continue
                os.kill(rng.choice(processes), signal.SIGKILL)
            kills += 1
        time.sleep(2)  # uploads after the last kill
    finally:
        stop.set()
        for uploader in uploaders:
            uploader.join(timeout=60)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    cut_off = sum(u.cut_off for u in uploaders)
    assert [r for u in uploaders for r in u.refused] == []
    assert cut_off  # the kills did land in requests
    found = installation.run("verify_files")
    orphans = found.stderr.count("no document names this file")
    assert found.returncode == (1 if orphans else 0), found.stdout + found.stderr
    assert "missing" not in found.stderr and "failed its integrity" not in found.stderr
    swept = installation.run("verify_files", "--remove-orphans", "--grace-minutes", "0")
    assert swept.returncode == 0, swept.stdout + swept.stderr
    requeuer = installation.start("requeue-loop", "--every", "1")
    report = _finish(installation, requeuer, timeout=600)
    added = set().union(*(u.added for u in uploaders))
    names = set(report["names"])
    assert added <= names  # every upload the server said it added is a document
    assert set().union(*(u.duplicates for u in uploaders)) <= names
    print(
        f"\n{BACKEND}: {kills} kills ({restarts} of the whole server), "
        f"{sum(u.requests for u in uploaders)} upload requests, {cut_off} cut off, "
        f"{len(added)} files acknowledged, {report['documents']} documents, "
        f"{orphans} orphan file(s) swept, seed {SEED}"
    )


def test_an_upload_killed_after_its_file_or_after_its_commit_leaves_nothing_inconsistent(
    installation,
):
    """Killed once its file is written but before the row commits: an orphan
    file, which verify_files names and --remove-orphans removes. Killed after
    the commit but before the task is queued: the document is read all the
    same (requeue_stale_documents queues it)."""
    installation.run("seed", "--cases", "1", "--docs", "1", "--tag", "s")
    # (the orphan last: SQLite gives a rolled-back id again, and that upload
    # would write its own file over the orphan)
    for point in ["upload-committed", "file-stored"]:
        killed = installation.run("upload", "--kill-at", point, "--tag", point)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
    found = installation.run("verify_files")
    assert found.returncode == 1 and found.stderr.count("no document names this file") == 1
    kept = installation.run("verify_files", "--remove-orphans")  # within the grace: kept
    assert kept.returncode == 1, kept.stdout
    swept = installation.run("verify_files", "--remove-orphans", "--grace-minutes", "0")
    assert swept.returncode == 0 and "1 orphan file(s) removed" in swept.stdout, swept.stdout
    requeuer = installation.start("requeue-loop", "--every", "1")
    report = _finish(installation, requeuer, timeout=600)
    assert sorted(report["names"]) == ["report s0-0.txt", "upload-committed.txt"]
