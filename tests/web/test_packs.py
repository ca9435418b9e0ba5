"""Case packs in the web platform (issue 11, part 3): a coordinator prepares a
version for the chosen department, a worker builds it (redacted, encrypted,
hashed), the patient approves exactly that version, a coordinator sends it;
each step refused with a clear message when it may not happen."""

from __future__ import annotations

import io

import pytest
from django.http import Http404

from casebridge.web.cases import storage, workflow
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.actions import (
    do_change_status,
    do_upload_document,
    do_withdraw_consent,
)
from casebridge.web.cases.errors import ActionError, StorageError
from casebridge.web.cases.models import AuditEvent, Case, CasePack
from casebridge.web.cases.packs import (
    build_pack,
    current_pack,
    do_approve_pack,
    do_prepare_pack,
    do_send_pack,
)
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY
from tests.web.reviewing import make_matched


def system_engine(case):  # noqa: ANN001, ANN201 - a test helper
    from casebridge.web.cases.lib import engine_case

    return engine_case(case)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


@pytest.fixture
def matched(people, case) -> tuple[Case, str]:
    """Alice's breast case, read, matched, with her consents naming the department."""
    return make_matched(people, case, disciplines=["pathology"])


def _built(people, case: Case) -> CasePack:
    case.refresh_from_db()
    pack = do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)
    assert build_pack.call(pack.pk) == "built"
    pack.refresh_from_db()
    return pack


def test_a_prepared_pack_is_built_frozen_and_hashed_with_every_file_encrypted(people, matched):
    case, best = matched
    pack = _built(people, case)
    assert pack.state == CasePack.State.READY and pack.number == 1 and pack.recipient == best
    names = [f.name for f in pack.files.all()]
    assert {"summary.en.pdf", "summary.zh.pdf", "fhir.json"} <= set(names)
    assert any(n.startswith("originals/01-pathology") for n in names)
    system = case_for_system(case.pk)
    for file in pack.files.all():
        with storage.blob_store().open(file.blob_path, "rb") as handle:
            raw = handle.read()
        assert raw.startswith(storage.FILE_MAGIC) and b"Invasive" not in raw
        assert len(storage.read_pack_file(system, file)) == file.size
    assert [f["sha256"] for f in pack.manifest["files"]] == [f.sha256 for f in pack.files.all()]
    assert AuditEvent.objects.filter(action="pack.built").exists()


def test_the_patient_approves_exactly_the_version_they_saw(people, matched):
    case, _best = matched
    pack = _built(people, case)
    with pytest.raises(ActionError, match="not the version you looked at"):
        do_approve_pack(pack, acting_user=people.owner, sha256="0" * 64)
    approved = do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    assert approved.state == CasePack.State.APPROVED and approved.approved_by == people.owner


@pytest.mark.parametrize("who", ["coordinator", "family", "outsider"])
def test_only_the_patient_approves(people, matched, who):
    case, _best = matched
    pack = _built(people, case)
    with pytest.raises(Http404):
        do_approve_pack(pack, acting_user=getattr(people, who), sha256=pack.sha256)


def test_sending_the_approved_version_puts_the_case_under_review(people, matched):
    case, _best = matched
    pack = _built(people, case)
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    case.refresh_from_db()
    with pytest.raises(ActionError, match="under review when"):  # not by the status buttons
        do_change_status(
            case,
            acting_user=people.coordinator,
            status=workflow.UNDER_REVIEW,
            expected_version=case.version,
        )
    sent = do_send_pack(
        pack, acting_user=people.coordinator, expected_version=case.version, checked=True
    )
    case.refresh_from_db()
    assert sent.state == CasePack.State.SENT and case.status == workflow.UNDER_REVIEW
    event = AuditEvent.objects.get(action="pack.sent")
    assert event.after["sha256"] == pack.sha256 and event.before["status"] == "matched"


def test_an_unapproved_version_is_not_sent(people, matched):
    case, _best = matched
    pack = _built(people, case)
    case.refresh_from_db()
    with pytest.raises(ActionError, match="approved"):
        do_send_pack(
            pack, acting_user=people.coordinator, expected_version=case.version, checked=True
        )


def test_a_withdrawn_transfer_consent_stops_the_sending(people, matched):
    case, _best = matched
    pack = _built(people, case)
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    do_withdraw_consent(case, acting_user=people.owner, kind="transfer_abroad")
    case.refresh_from_db()
    with pytest.raises(ActionError, match="not in force"):
        do_send_pack(
            pack, acting_user=people.coordinator, expected_version=case.version, checked=True
        )
    pack.refresh_from_db()
    assert pack.state == CasePack.State.APPROVED


def test_a_stored_file_changed_after_approval_stops_the_sending(people, matched):
    case, _best = matched
    pack = _built(people, case)
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    file = pack.files.first()
    file.sha256 = "f" * 64  # the record no longer matches the manifest the patient approved
    file.save(update_fields=["sha256"])
    case.refresh_from_db()
    with pytest.raises(ActionError, match="not the approved file"):
        do_send_pack(
            pack, acting_user=people.coordinator, expected_version=case.version, checked=True
        )


def test_a_new_version_supersedes_the_unsent_one_and_keeps_its_number(people, matched):
    case, _best = matched
    first = _built(people, case)
    second = _built(people, case)
    first.refresh_from_db()
    assert first.state == CasePack.State.SUPERSEDED and second.number == 2
    assert current_pack(case) == second
    with pytest.raises(ActionError, match="newer one"):
        do_approve_pack(first, acting_user=people.owner, sha256=first.sha256)


def test_a_pack_is_not_prepared_before_a_department_is_chosen(people, case):
    with pytest.raises(ActionError, match="once a department is chosen"):
        do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)


# -- the pages ------------------------------------------------------------------------------


def test_the_console_prepares_a_version_and_sends_it_only_after_a_fresh_second_factor(
    client, people, matched
):
    from tests.web.conftest import totp_code

    case, _best = matched
    client.force_login(people.coordinator)
    done = client.post(f"/console/cases/{case.pseudonym}/pack", {"expected_version": case.version})
    assert done.status_code == 302
    pack = current_pack(case)
    assert build_pack.call(pack.pk) == "built"
    page = client.get(f"/console/cases/{case.pseudonym}/").content.decode()
    assert 'id="pack"' in page and "Waiting for the patient" in page and "fhir.json" in page
    pack.refresh_from_db()
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    case.refresh_from_db()
    url = f"/console/cases/{case.pseudonym}/pack/{pack.number}/send"
    response = client.post(url, {"expected_version": case.version, "checked": "on"})
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    client.post(response["Location"], {"code": totp_code(people.coordinator.totp_secret)})
    case.refresh_from_db()
    assert case.status == workflow.UNDER_REVIEW


def test_the_patient_sees_every_file_and_approves_exactly_that_version(client, people, matched):
    case, _best = matched
    pack = _built(people, case)
    client.force_login(people.owner)
    home = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert "See what would be sent" in home
    page = client.get(f"/cases/{case.pseudonym}/pack/").content.decode()
    assert "Summary in Chinese (PDF)" in page and "Record 1: Pathology report" in page
    assert "Approve this version" in page
    summary = client.get(f"/cases/{case.pseudonym}/pack/{pack.number}/0")
    assert summary.status_code == 200 and summary["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="pack.file_read").exists()
    refused = client.post(f"/cases/{case.pseudonym}/pack/", {"sha256": pack.sha256})
    assert "Tick the box" in refused.content.decode()
    client.post(f"/cases/{case.pseudonym}/pack/", {"sha256": pack.sha256, "confirm": "on"})
    pack.refresh_from_db()
    assert pack.state == CasePack.State.APPROVED
    assert (
        "You approved this version" in client.get(f"/cases/{case.pseudonym}/pack/").content.decode()
    )


def test_a_relative_sees_what_would_be_sent_but_cannot_approve_it(client, people, matched):
    case, _best = matched
    people.owner.full_name = "Alice Smith"
    people.owner.save()
    _built(people, case)
    client.force_login(people.family)
    page = client.get(f"/cases/{case.pseudonym}/pack/").content.decode()
    assert "Summary in English (PDF)" in page and "Approve this version" not in page
    assert "We remove Alice's name" in page and "Alice approves what is sent." in page
    for patients_words in ("your name", "your records", "Your coordinator", "identifies you"):
        assert patients_words not in page


def test_the_patient_reading_chinese_sees_the_preview_in_chinese(client, people, matched):
    case, _best = matched
    _built(people, case)
    client.force_login(people.owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get(f"/cases/{case.pseudonym}/pack/").content.decode()
    assert "将发送的内容" in page and "病理报告" in page and "批准此版本" in page


# -- what changes after a version was made (security review of part 3) ---------------


def test_a_record_added_after_approval_replaces_the_version_so_it_cannot_be_sent(people, matched):
    case, _best = matched
    pack = _built(people, case)
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    do_upload_document(case, acting_user=people.owner, file_name="new.txt", data=b"CT report.")
    pack.refresh_from_db()
    assert pack.state == CasePack.State.SUPERSEDED
    event = AuditEvent.objects.get(action="pack.superseded")
    assert event.after == {"number": 1, "why": "a record was added"}
    case.refresh_from_db()
    with pytest.raises(ActionError, match="approved"):
        do_send_pack(
            pack, acting_user=people.coordinator, expected_version=case.version, checked=True
        )


def test_a_corrected_fact_replaces_a_version_waiting_for_approval(people, matched):
    from casebridge.web.cases.actions import do_correct_fact

    case, _best = matched
    pack = _built(people, case)
    case.refresh_from_db()
    do_correct_fact(
        case,
        acting_user=people.coordinator,
        expected_version=case.version,
        fact_id="",
        kind="histology",
        value="Invasive lobular carcinoma",
        reason="pathology review",
    )
    pack.refresh_from_db()
    assert pack.state == CasePack.State.SUPERSEDED
    with pytest.raises(ActionError, match="newer one|not ready"):
        do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)


def test_a_sent_version_stays_sent_when_records_arrive_later(people, matched):
    case, _best = matched
    pack = _built(people, case)
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    case.refresh_from_db()
    do_send_pack(pack, acting_user=people.coordinator, expected_version=case.version, checked=True)
    do_upload_document(case, acting_user=people.owner, file_name="new.txt", data=b"CT report.")
    pack.refresh_from_db()
    assert pack.state == CasePack.State.SENT


def test_the_coordinator_must_say_they_checked_every_page_before_sending(people, matched):
    case, _best = matched
    pack = _built(people, case)
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    case.refresh_from_db()
    with pytest.raises(ActionError, match="tick the box"):
        do_send_pack(pack, acting_user=people.coordinator, expected_version=case.version)
    pack.refresh_from_db()
    assert pack.state == CasePack.State.APPROVED


def test_a_manifest_changed_after_approval_stops_the_sending(people, matched):
    case, _best = matched
    pack = _built(people, case)
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    manifest = dict(pack.manifest)
    manifest["files"] = [dict(f) for f in manifest["files"]]
    manifest["files"][0]["sha256"] = "0" * 64
    pack.manifest = manifest
    pack.save(update_fields=["manifest"])
    case.refresh_from_db()
    with pytest.raises(ActionError, match="prepare a new version"):
        do_send_pack(
            pack, acting_user=people.coordinator, expected_version=case.version, checked=True
        )


def test_a_record_that_failed_to_be_read_does_not_block_the_pack(people, matched):
    from casebridge.web.cases.models import Document

    case, _best = matched
    doc = do_upload_document(case, acting_user=people.owner, file_name="x.txt", data=b"Note.")
    Document.objects.filter(pk=doc.pk).update(state=Document.State.FAILED)
    assert _built(people, case).state == CasePack.State.READY


def test_a_member_of_an_uploaded_archive_is_never_rendered_from_the_archive_bytes(people, matched):
    import io
    import zipfile

    from casebridge.web.cases.packs import _originals

    case, _best = matched
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("clinic-letter.txt", "Clinic letter. Plan: surgery.")
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="records.zip", data=buffer.getvalue()
    )
    assert process_document.call(doc.pk) in {"processed", "needs_attention"}
    doc.refresh_from_db()
    system = case_for_system(case.pk)
    original = _originals(system)
    engine = system_engine(system)
    members = [d for d in engine.documents if d.id in doc.engine_doc_ids]
    assert members and all(original(d) is None for d in members)
    single = next(d for d in engine.documents if d.file_name.endswith("histology.txt"))
    assert original(single) == PATHOLOGY.encode()


def test_a_failed_build_is_on_the_case_record_and_a_stalled_one_is_shown(
    people, matched, monkeypatch
):
    import datetime as dt

    from django.utils import timezone

    from casebridge.web.cases import packs

    case, _best = matched
    case.refresh_from_db()
    pack = do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)
    assert not packs.stalled(pack)
    CasePack.objects.filter(pk=pack.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    pack.refresh_from_db()
    assert packs.stalled(pack)

    def broken(*args, **kwargs):  # a fault injected where the engine would fail
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(packs, "engine_build_pack", broken)
    assert build_pack.call(pack.pk).startswith("The pack could not be prepared")
    event = AuditEvent.objects.get(action="pack.failed")
    assert event.case_id == case.pk and "RuntimeError" in event.after["why"]


def test_a_stored_blob_swapped_after_approval_stops_the_sending(people, matched):
    case, _best = matched
    pack = _built(people, case)
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    first, second = list(pack.files.all())[:2]
    store = storage.blob_store()
    with store.open(second.blob_path, "rb") as handle:
        other = handle.read()
    store.delete(first.blob_path)
    store.save(first.blob_path, io.BytesIO(other))
    case.refresh_from_db()
    with pytest.raises(StorageError):
        do_send_pack(
            pack, acting_user=people.coordinator, expected_version=case.version, checked=True
        )


def test_a_relative_the_patient_allowed_to_approves_what_is_sent(people, matched):
    from casebridge.web.cases.models import CaseMember

    case, _best = matched
    CaseMember.objects.filter(case=case, user=people.family).update(can_approve=True)
    pack = _built(people, case)
    approved = do_approve_pack(pack, acting_user=people.family, sha256=pack.sha256)
    assert approved.approved_by == people.family
    event = AuditEvent.objects.get(action="pack.approved")
    assert event.actor == people.family


def test_the_patient_chooses_to_send_their_name_and_the_unsent_version_is_replaced(
    client, people, matched
):
    case, _best = matched
    first = _built(people, case)
    case.refresh_from_db()
    client.force_login(people.owner)
    response = client.post(
        f"/cases/{case.pseudonym}/pack/", {"share_name": "1", "expected_version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    first.refresh_from_db()
    assert case.share_name and first.state == CasePack.State.SUPERSEDED
    assert AuditEvent.objects.filter(action="pack.name_choice", actor=people.owner).exists()
    second = _built(people, case)
    assert second.manifest["patient_name_included"] is True
    page = client.get(f"/cases/{case.pseudonym}/pack/")
    assert "Your name is in this version" in page.text


def test_a_relative_cannot_choose_to_send_the_patients_name(client, people, matched):
    case, _best = matched
    client.force_login(people.family)
    response = client.post(
        f"/cases/{case.pseudonym}/pack/", {"share_name": "1", "expected_version": case.version}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert not case.share_name
