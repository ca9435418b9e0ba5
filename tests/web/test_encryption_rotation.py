"""Master-key rotation without downtime: during it both keys open every data
key; `manage.py rotate_master_key` re-wraps every case's and enquiry's key and
re-seals the second-factor secrets with the new key; afterwards the new key
alone opens everything and the old one nothing. Real SQLite or PostgreSQL."""

from __future__ import annotations

import secrets
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.web.accounts.adapter import MFAAdapter
from casebridge.web.cases import datakeys, storage
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.actions import do_create_case, do_send_message, do_upload_document
from casebridge.web.cases.models import Case, Enquiry, Message
from casebridge.web.cases.sealed import SealedError
from tests.web.conftest import totp_code

MARKER = "Pangolin-Tuba-2208"


def _keys() -> tuple[bytes, bytes]:
    """The key everything so far was made with (the fixtures' staff second
    factors too), and a new one."""
    from django.conf import settings

    return bytes(settings.CASEBRIDGE_MASTER_KEY), secrets.token_bytes(32)


def _use(settings, current: bytes, *accepted: bytes) -> None:
    settings.CASEBRIDGE_MASTER_KEY = current
    settings.CASEBRIDGE_MASTER_KEYS_ACCEPTED = list(accepted)


def _everything_opens(case_pk: int, enquiry_pk: int, document) -> None:
    case = case_for_system(case_pk)
    assert case.engine["case_id"] == case.pseudonym
    assert [m.body for m in case.messages.all()] == [f"message {MARKER}"]
    assert Enquiry.objects.get(pk=enquiry_pk).full_name == MARKER
    assert storage.read_document(case, document) == MARKER.encode()


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_master_key", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _a_case_under(settings, people, key: bytes) -> tuple[int, int, object]:
    _use(settings, key)
    enquiry = Enquiry.objects.create(full_name=MARKER, email="alice@example.org")
    case = do_create_case(acting_user=people.owner, owner=people.owner)
    do_send_message(case, acting_user=people.owner, body=f"message {MARKER}")
    document = do_upload_document(
        case, acting_user=people.owner, file_name="a.txt", data=MARKER.encode()
    )
    return case.pk, enquiry.pk, document


def test_the_rotation_rewraps_every_key_and_then_the_new_key_alone_opens_everything(
    settings, people
):
    old, new = _keys()
    case_pk, enquiry_pk, document = _a_case_under(settings, people, old)
    before = bytes(Case.objects.get(pk=case_pk).wrapped_key)

    _use(settings, new, old)  # step 2 of the rotation: new current, old accepted
    _everything_opens(case_pk, enquiry_pk, document)
    # one case key, one enquiry key, the three staff second factors of the fixture
    assert "re-wrapped 5;" in _rotate()
    assert bytes(Case.objects.get(pk=case_pk).wrapped_key) != before

    _use(settings, new)  # step 3: the old key dropped
    _everything_opens(case_pk, enquiry_pk, document)
    assert "0 key(s) not yet" in _rotate("--check")

    _use(settings, old)  # and the old key alone opens nothing any more
    with pytest.raises(SealedError):
        _ = case_for_system(case_pk).engine
    with pytest.raises(SealedError):
        _ = Message.objects.get(case_id=case_pk).body


def test_while_the_servers_restart_every_process_opens_every_key(settings, people):
    """Step 1 (old current, new accepted) and step 2 (new current, old
    accepted) side by side: whichever process wrapped a key, the other opens it."""
    old, new = _keys()
    _use(settings, old, new)  # a process still on step 1 opens a case ...
    step1_pk, step1_enquiry, step1_doc = _a_case_under(settings, people, old)
    _use(settings, new, old)  # ... a process on step 2 makes another
    case = do_create_case(acting_user=people.outsider, owner=people.outsider)
    assert datakeys.unwrap(bytes(case.wrapped_key), case.key_aad(), [new])  # wrapped by the new
    _use(settings, old, new)
    assert case_for_system(case.pk).engine["case_id"] == case.pseudonym
    _use(settings, new, old)
    _everything_opens(step1_pk, step1_enquiry, step1_doc)


def test_a_staff_second_factor_still_works_after_the_rotation(settings, people):
    old, new = _keys()
    secret = people.admin.totp_secret  # enrolled by the fixture, under the old key
    stored = dict(Authenticator.objects.get(user=people.admin, type="totp").data)
    _use(settings, new, old)
    _rotate()
    _use(settings, new)
    totp = Authenticator.objects.get(user=people.admin, type="totp")
    assert totp.data != stored
    assert MFAAdapter().decrypt(totp.data["secret"]) == secret
    assert totp.wrap().validate_code(totp_code(secret))


def test_running_it_again_changes_nothing(settings, people):
    old, new = _keys()
    _a_case_under(settings, people, old)
    _use(settings, new, old)
    assert "re-wrapped 5;" in _rotate()
    assert "re-wrapped 0;" in _rotate()


def test_check_names_keys_still_under_another_master_key_and_exits_non_zero(settings, people):
    old, new = _keys()
    _a_case_under(settings, people, old)
    _use(settings, new, old)
    with pytest.raises(CommandError, match="still under another master key"):
        _rotate("--check")


def test_a_key_no_accepted_master_key_opens_is_named_and_left_alone(settings, people):
    old, new = _keys()
    case_pk, _, _ = _a_case_under(settings, people, old)
    before = bytes(Case.objects.get(pk=case_pk).wrapped_key)
    _use(settings, new)  # the old key forgotten too early
    with pytest.raises(CommandError, match="open with no accepted master key"):
        _rotate()
    assert bytes(Case.objects.get(pk=case_pk).wrapped_key) == before  # untouched


# -- without downtime: real processes on a real database ----------------------------------

PROCESS = r"""
import json, sys, time
from pathlib import Path
import django
django.setup()
from django.core.management import call_command
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.actions import do_create_case, do_send_message
from casebridge.web.cases.models import Case

mode, marker = sys.argv[1], sys.argv[2]


def read_all():
    reads = 0
    for pk in Case.objects.values_list("pk", flat=True):
        case = case_for_system(pk)
        assert case.engine["case_id"] == case.pseudonym
        # (another process may have opened the case and not yet written its message)
        assert [m.body for m in case.messages.all()] in ([], [f"{marker} {case.pseudonym}"])
        reads += 1
    return reads


def new_case(owner):
    case = do_create_case(acting_user=owner, owner=owner)
    do_send_message(case, acting_user=owner, body=f"{marker} {case.pseudonym}")


if mode == "setup":
    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("p@example.org", "x" * 20, role=Role.PATIENT)
    for _ in range(20):
        new_case(owner)
    print(json.dumps({"cases": Case.objects.count()}))
elif mode == "serve":  # a server process: reads every case and opens new ones, until told to stop
    stop, ready = Path(sys.argv[3]), Path(sys.argv[4])
    owner = User.objects.get(email="p@example.org")
    reads = errors = created = 0
    failures = []
    while True:
        try:
            reads += read_all()
            new_case(owner)
            created += 1
        except Exception as error:  # counted: any failure is downtime
            errors += 1
            failures.append(repr(error))
        ready.touch()
        if stop.exists():
            break
        time.sleep(0.05)
    print(json.dumps({"reads": reads, "errors": errors, "created": created, "failures": failures[:3]}))
elif mode == "read":
    print(json.dumps({"reads": read_all()}))
"""


def _env(data_dir, current: bytes, *accepted: bytes) -> dict[str, str]:
    import base64
    import os
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBRIDGE_DB")}
    env.update(
        CASEBRIDGE_DATA_DIR=str(data_dir),
        CASEBRIDGE_DB="sqlite",
        DJANGO_SETTINGS_MODULE="casebridge.web.settings",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        CASEBRIDGE_MASTER_KEY=base64.b64encode(current).decode(),
        CASEBRIDGE_MASTER_KEYS_ACCEPTED=",".join(base64.b64encode(k).decode() for k in accepted),
    )
    return env


def _start(env: dict[str, str], *args: str):
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-c", PROCESS, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _manage(env: dict[str, str], *args: str):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _result(process) -> dict:
    import json

    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _wait_for(path, process) -> None:
    import time

    deadline = time.monotonic() + 120
    while not path.exists():
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the server process never got going"
        time.sleep(0.05)


def test_servers_keep_reading_and_writing_through_the_whole_rotation(tmp_path):
    """Three real processes on one SQLite file: one still on step 1 (old key
    current, new accepted), one on step 2 (new current, old accepted), while
    step 2's `rotate_master_key` runs; not one read or write fails, and after it
    the new key alone opens every case, those the servers opened meanwhile too."""
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    data = tmp_path / "data"
    assert _result(_start(_env(data, old), "setup", MARKER)) == {"cases": 20}

    stop1, stop2 = tmp_path / "stop1", tmp_path / "stop2"
    ready1, ready2 = tmp_path / "ready1", tmp_path / "ready2"
    step1 = _start(_env(data, old, new), "serve", MARKER, str(stop1), str(ready1))
    step2 = _start(_env(data, new, old), "serve", MARKER, str(stop2), str(ready2))
    _wait_for(ready1, step1)
    _wait_for(ready2, step2)
    stop1.touch()  # the last process on step 1 is restarted into step 2
    first = _result(step1)

    rotation = _manage(_env(data, new, old), "rotate_master_key")
    assert rotation.returncode == 0, rotation.stderr[-3000:]
    ready2.unlink()
    _wait_for(ready2, step2)  # step 2 went on serving after the rotation too
    stop2.touch()
    second = _result(step2)

    assert (first["errors"], second["errors"]) == (0, 0), (first, second)
    assert first["created"] > 0 and second["created"] > 0 and second["reads"] > 20
    check = _manage(_env(data, new), "rotate_master_key", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 key(s) not yet" in check.stdout
    total = 20 + first["created"] + second["created"]
    assert _result(_start(_env(data, new), "read", MARKER)) == {"reads": total}
    stale = _start(_env(data, old), "read", MARKER)  # the old key alone: nothing opens
    _, err = stale.communicate(timeout=300)
    assert stale.returncode != 0 and "SealedError" in err
