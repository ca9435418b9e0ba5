"""Issue 10: backup and restore, on SQLite and on PostgreSQL, for real.

An installation with a case whose documents were read is backed up with
`manage.py backup` while its worker runs, then wiped (database and data
folder gone); `manage.py restore` brings it back into a new data folder (and a
new PostgreSQL database); then `verify_audit --head` passes against the head
the backup recorded, every file decrypts (`verify_files`), the case is as it
was, and its page renders in a real server for its patient. Restored with the
wrong master key, the restore says it does not verify.
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import signal

import pytest

from tests.web.faults_harness import Installation
from tests.web.test_faults_web import Browser, _serve
from tests.web.test_faults_worker import BACKEND
from tests.web.test_serve_process import _free_port


@pytest.fixture
def original(tmp_path):
    made = Installation(tmp_path / "original", BACKEND, "bk_a")
    try:
        made.migrate()
        yield made
    finally:
        made.close()


def _restored(tmp_path, name: str, keys_of: Installation, **override: str) -> Installation:
    made = Installation(tmp_path / name, BACKEND, f"bk_{name}", keys_of=keys_of)
    made.env.update(override)
    return made


def _check(installation: Installation) -> dict:
    done = installation.run("check")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_backup_restored_after_a_wipe_verifies_decrypts_and_renders(original, tmp_path):
    seeded = json.loads(original.run("seed", "--cases", "1", "--docs", "3", "--tag", "k").stdout)
    worker = original.start("worker")
    original.wait_until_done(timeout=180)
    before = _check(original)
    assert before["problems"] == [] and before["states"] == {"processed": 3}
    backup = tmp_path / "backup"
    made = original.run("backup", str(backup))  # the worker still running
    assert made.returncode == 0, made.stderr
    assert "the keys are not in this backup" in made.stdout
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == 3 and len(manifest["files"]) == 3
    assert not [p for p in backup.iterdir() if p.name.endswith(".key")]

    original.close()  # the wipe: database and data folder gone
    shutil.rmtree(original.data)

    wrong = _restored(
        tmp_path,
        "wrongkey",
        original,
        CASEBRIDGE_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    try:
        refused = wrong.run("restore", str(backup))
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "does not verify" in refused.stderr
    finally:
        wrong.close()

    restored = _restored(tmp_path, "restored", original)
    try:
        done = restored.run("restore", str(backup))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "restored and verified" in done.stdout
        again = restored.run("restore", str(backup))  # not over a database in use
        assert again.returncode == 2 and "not empty" in again.stderr
        head = restored.run("verify_audit", "--head", str(backup / "audit-head.json"))
        assert head.returncode == 0, head.stderr
        files = restored.run("verify_files")
        assert files.returncode == 0, files.stdout + files.stderr
        after = _check(restored)
        assert after == before  # every document, fact and file as it was
        restored.migrate()  # the code's migrations apply on top, as after an upgrade

        port = _free_port()
        server = _serve(restored, port)
        browser = Browser(port)
        browser.sign_in(seeded["email"], seeded["password"])
        pseudonym = next(iter(seeded["cases"]))
        for path in (f"/cases/{pseudonym}/", f"/cases/{pseudonym}/documents/"):
            status, page, _ = browser.request("GET", path)
            assert status == 200, path
        assert b"report k0-0.txt" in page  # the sealed names open with the restored keys
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    finally:
        restored.close()
