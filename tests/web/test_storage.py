from __future__ import annotations

import secrets
import stat

import pytest
from django.conf import settings

from casebridge.web.cases import storage
from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.errors import StorageError
from casebridge.web.cases.models import AuditEvent, Case

pytestmark = pytest.mark.django_db

CONTENT = b"Clinic letter: seen in the breast clinic today."


@pytest.fixture
def uploaded(people, case):
    return do_upload_document(case, acting_user=people.owner, file_name="letter.txt", data=CONTENT)


def test_an_upload_reads_back_identical_through_the_gate(people, case, uploaded):
    gated = get_case_for_user_or_404(people.coordinator, case.pk)
    assert storage.read_document(gated, uploaded) == CONTENT
    event = AuditEvent.objects.filter(action="document.read").get()
    assert event.actor == people.coordinator and event.object_id == str(uploaded.pk)


def test_the_file_on_disk_is_not_the_plain_content(uploaded):
    raw = storage.blob_path(uploaded).read_bytes()
    assert raw.startswith(storage.FILE_MAGIC)
    assert CONTENT not in raw and b"breast" not in raw


def test_files_live_in_the_data_folder_owner_only_never_under_static(case, uploaded):
    path = storage.blob_path(uploaded)
    assert path.is_relative_to(settings.DATA_DIR / "files" / case.pseudonym)
    assert not path.is_relative_to(settings.STATIC_ROOT)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_changed_byte_fails_the_integrity_check(people, case, uploaded):
    path = storage.blob_path(uploaded)
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x01
    path.write_bytes(bytes(raw))
    gated = get_case_for_user_or_404(people.owner, case.pk)
    with pytest.raises(StorageError, match="integrity check"):
        storage.read_document(gated, uploaded)


def test_a_blob_copied_onto_another_document_fails_the_integrity_check(people, case, uploaded):
    second = do_upload_document(case, acting_user=people.owner, file_name="b.txt", data=b"Other")
    storage.blob_path(second).write_bytes(storage.blob_path(uploaded).read_bytes())
    gated = get_case_for_user_or_404(people.owner, case.pk)
    with pytest.raises(StorageError, match="belongs to another document"):
        storage.read_document(gated, second)


def test_the_wrong_master_key_opens_nothing(people, case, uploaded, settings):
    gated = get_case_for_user_or_404(people.owner, case.pk)
    settings.CASEBRIDGE_MASTER_KEY = secrets.token_bytes(32)
    with pytest.raises(StorageError, match="master key"):
        storage.read_document(gated, uploaded)


def test_each_case_has_its_own_data_key(case, other_case):
    assert storage.unwrap_key(case) != storage.unwrap_key(other_case)
    assert bytes(case.wrapped_key) != bytes(other_case.wrapped_key)


def test_a_case_key_moved_to_another_case_does_not_open(case, other_case):
    other_case.wrapped_key = case.wrapped_key
    with pytest.raises(StorageError):
        storage.unwrap_key(other_case)


def test_reading_needs_the_case_the_gate_returned(case, uploaded):
    with pytest.raises(PermissionError):
        storage.read_document(Case.objects.get(pk=case.pk), uploaded)


def test_a_document_of_another_case_is_not_read_through_this_case(people, case, other_case):
    theirs = do_upload_document(
        other_case, acting_user=people.outsider, file_name="x.txt", data=b"Eve's letter"
    )
    mine = get_case_for_user_or_404(people.owner, case.pk)
    with pytest.raises(StorageError, match="does not belong"):
        storage.read_document(mine, theirs)


def test_a_missing_file_is_reported_in_plain_words(people, case, uploaded):
    storage.blob_path(uploaded).unlink()
    gated = get_case_for_user_or_404(people.owner, case.pk)
    with pytest.raises(StorageError, match="missing"):
        storage.read_document(gated, uploaded)
