"""`casebridge serve --demo` for real: a child process started the way the
README says, answering on loopback, serving its pages' CSS, and stopping
cleanly (its web processes and its worker too) on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return response.status, response.read(), response.headers.get("Content-Type", "")


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def test_serve_demo_answers_serves_its_css_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBRIDGE_")}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["CASEBRIDGE_DB"] = "sqlite"  # the embedded default, whatever the suite runs on
    env["CASEBRIDGE_LOG_LEVEL"] = "WARNING"
    command = [sys.executable, "-c", "from casebridge.cli import main; main()", "serve"]
    command += ["--demo", "--data-dir", str(tmp_path / "data"), "--port", str(port)]
    command += ["--workers", "2"]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text()
            try:
                status, _, _ = _get(f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert status == 200
        printed = log.read_text()
        assert "patient@demo.casebridge.test" in printed and f"{base}/" in printed
        status, body, kind = _get(f"{base}/static/casebridge/site.css")
        assert status == 200 and kind.startswith("text/css") and body
        status, body, _ = _get(f"{base}/accounts/login/")
        assert status == 200 and b"csrfmiddlewaretoken" in body
        # The web processes (2) and the worker run under the server process.
        children = _children(server.pid)
        assert len(children) >= 3, children
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert code == 0, log.read_text()
    time.sleep(0.5)
    for pid in children:  # gone (or a zombie on its way out)
        status_file = f"/proc/{pid}/status"
        assert not os.path.exists(status_file) or "zombie" in Path(status_file).read_text()
