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
