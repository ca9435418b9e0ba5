from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.http import Http404

from casebridge.engine.case import Case as EngineCase
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.actions import (
    clean_file_name,
    do_add_note,
    do_assign,
    do_change_status,
    do_correct_fact,
    do_create_case,
    do_invite_member,
    do_send_message,
    do_upload_document,
)
from casebridge.web.cases.errors import ActionError, ConcurrencyError, NotAllowed
from casebridge.web.cases.models import AuditEvent, Case, CaseMember, Document
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY

pytestmark = pytest.mark.django_db


def test_creating_a_case_gives_a_pseudonym_an_engine_case_and_an_audit_row(people):
    case = do_create_case(acting_user=people.owner, owner=people.owner, programme="oncology")
    assert case.pseudonym.startswith("CB-") and len(case.pseudonym) == 11
    engine = EngineCase.from_dict(case.engine)
    assert engine.case_id == case.pseudonym and engine.programme == "oncology"
    event = AuditEvent.objects.get(action="case.created", case=case)
    assert event.actor == people.owner and event.after["programme"] == "oncology"


def test_a_patient_cannot_open_a_case_for_someone_else(people):
    with pytest.raises(NotAllowed):
        do_create_case(acting_user=people.outsider, owner=people.owner)
    assert not Case.objects.exists()


def test_a_coordinator_opens_a_case_for_a_patient_but_not_for_staff(people):
    case = do_create_case(acting_user=people.coordinator, owner=people.owner, urgency="urgent")
    assert case.owner == people.owner and case.urgency == "urgent"
    with pytest.raises(ActionError, match="not a patient"):
        do_create_case(acting_user=people.coordinator, owner=people.coordinator)


def test_an_unknown_programme_is_refused_in_plain_words(people):
    with pytest.raises(ActionError, match="Unknown programme 'astrology'"):
        do_create_case(acting_user=people.owner, owner=people.owner, programme="astrology")


def test_an_action_and_its_audit_row_commit_together(people, case):
    message = do_send_message(case, acting_user=people.owner, body="When is my review?")
    event = AuditEvent.objects.get(action="message.sent")
    assert (event.object_type, event.object_id) == ("message", str(message.pk))
    assert event.case == case and event.actor == people.owner


def test_a_change_rolled_back_takes_its_audit_row_with_it(people, case):
    with pytest.raises(RuntimeError), transaction.atomic():
        do_add_note(case, acting_user=people.coordinator, body="Chase the MRI report")
        assert AuditEvent.objects.filter(action="note.added").count() == 1
        raise RuntimeError("the request failed after the action")
    assert not AuditEvent.objects.filter(action="note.added").exists()
    assert not case.notes.exists()


def test_a_failing_upload_leaves_neither_the_document_nor_its_audit_row(people, case):
    # The case's folder cannot be made (a file is in the way): the write fails
    # after the document row and its audit row were written in the transaction.
    files = settings.DATA_DIR / "files"
    files.mkdir(parents=True, exist_ok=True)
    (files / case.pseudonym).write_text("in the way")
    try:
        with pytest.raises(OSError):
            do_upload_document(case, acting_user=people.owner, file_name="a.txt", data=b"text")
    finally:
        (files / case.pseudonym).unlink()
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(action="document.uploaded").exists()


def test_two_coordinators_editing_at_once_the_second_gets_a_clear_conflict(people, case):
    other = User.objects.create_user("dan@casebridge.test", role=Role.COORDINATOR)
    seen_by_both = case.version
    do_assign(
        case, acting_user=people.coordinator, coordinator=other, expected_version=seen_by_both
    )
    with pytest.raises(ConcurrencyError) as error:
        do_change_status(case, acting_user=other, status="triage", expected_version=seen_by_both)
    assert "changed by someone else" in str(error.value)
    assert "not saved" in str(error.value)
    case.refresh_from_db()
    assert case.status == "enquiry" and case.coordinator == other  # the first change stands
    assert not AuditEvent.objects.filter(action="case.status_changed").exists()


def test_a_conflicting_correction_hands_back_what_was_typed(people, case):
    do_upload_document(
        case, acting_user=people.owner, file_name="path.txt", data=PATHOLOGY.encode()
    )
    process_document.call(case.documents.get().pk)
    case.refresh_from_db()
    fact = next(f for f in EngineCase.from_dict(case.engine).facts if f.kind == "grade")
    stale = case.version
    do_assign(
        case, acting_user=people.admin, coordinator=people.coordinator, expected_version=stale
    )
    with pytest.raises(ConcurrencyError) as error:
        do_correct_fact(
            case,
            acting_user=people.coordinator,
            fact_id=fact.id,
            value="grade 3",
            reason="Report addendum",
            expected_version=stale,
        )
    assert error.value.attempted["value"] == "grade 3"
    assert not case.corrections.exists()


def test_a_correction_is_applied_by_the_engine_and_audited_with_before_and_after(people, case):
    do_upload_document(
        case, acting_user=people.owner, file_name="path.txt", data=PATHOLOGY.encode()
    )
    process_document.call(case.documents.get().pk)
    case.refresh_from_db()
    fact = next(f for f in EngineCase.from_dict(case.engine).facts if f.kind == "grade")
    correction = do_correct_fact(
        case,
        acting_user=people.coordinator,
        fact_id=fact.id,
        value="grade 3",
        reason="Addendum of 20 March upgrades the tumour",
        expected_version=case.version,
    )
    case.refresh_from_db()
    corrected = next(f for f in EngineCase.from_dict(case.engine).facts if f.id == fact.id)
    assert corrected.value == "grade 3" and corrected.original_value == "grade 2"
    assert corrected.corrected_by is not None
    event = AuditEvent.objects.get(action="fact.corrected")
    assert event.before["value"] == "grade 2" and event.after["value"] == "grade 3"
    assert event.object_id == str(correction.pk)


def test_a_person_can_add_a_fact_no_document_states(people, case):
    do_correct_fact(
        case,
        acting_user=people.coordinator,
        kind="er_status",
        value="positive",
        reason="Confirmed by phone with the breast unit",
        expected_version=case.version,
    )
    case.refresh_from_db()
    added = [f for f in EngineCase.from_dict(case.engine).facts if f.kind == "er_status"]
    assert len(added) == 1 and added[0].source is None


def test_a_correction_of_an_unknown_kind_or_fact_is_refused(people, case):
    with pytest.raises(ActionError, match="not a kind of fact"):
        do_correct_fact(
            case,
            acting_user=people.coordinator,
            kind="favourite_colour",
            value="blue",
            reason="x",
            expected_version=case.version,
        )
    with pytest.raises(ActionError, match="no longer in this case"):
        do_correct_fact(
            case,
            acting_user=people.coordinator,
            fact_id="0123456789abcdef",
            value="x",
            reason="x",
            expected_version=case.version,
        )


def test_the_patient_and_family_cannot_correct_facts(people, case):
    for person in (people.owner, people.family, people.outsider):
        with pytest.raises(Http404):
            do_correct_fact(
                case,
                acting_user=person,
                kind="er_status",
                value="positive",
                reason="x",
                expected_version=case.version,
            )


def test_the_patient_invites_family_with_chosen_permissions(people, case):
    member = do_invite_member(
        case, acting_user=people.owner, email="Nan@Example.org", can_message=True
    )
    # a membership of this case, not a role: Nan can still enquire as a patient
    assert member.user.email == "nan@example.org" and member.user.role == Role.PATIENT
    assert (member.can_view, member.can_upload, member.can_message) == (True, False, True)
    assert not member.user.has_usable_password()
    event = AuditEvent.objects.filter(action="member.invited").last()
    assert event.after["email"] == "nan@example.org"


def test_inviting_twice_staff_or_oneself_is_refused(people, case):
    with pytest.raises(ActionError, match="already a member"):
        do_invite_member(case, acting_user=people.owner, email=people.family.email)
    # a staff address is not invited, and the patient is not told it is staff's
    assert do_invite_member(case, acting_user=people.owner, email=people.coordinator.email) is None
    with pytest.raises(ActionError, match="yourself"):
        do_invite_member(case, acting_user=people.owner, email=people.owner.email)
    assert CaseMember.objects.filter(case=case).count() == 1


def test_only_the_patient_invites(people, case):
    for person in (people.family, people.coordinator, people.outsider):
        with pytest.raises(Http404):
            do_invite_member(case, acting_user=person, email="x@example.org")


def test_a_family_member_without_message_permission_cannot_send_messages(people, case):
    with pytest.raises(Http404):
        do_send_message(case, acting_user=people.family, body="Hello")
    assert not case.messages.exists()


def test_an_empty_message_or_note_is_refused(people, case):
    with pytest.raises(ActionError, match="message is empty"):
        do_send_message(case, acting_user=people.owner, body="   ")
    with pytest.raises(ActionError, match="note is empty"):
        do_add_note(case, acting_user=people.coordinator, body="")


def test_only_staff_add_internal_notes(people, case):
    for person in (people.owner, people.family):
        with pytest.raises(Http404):
            do_add_note(case, acting_user=person, body="x")


def test_assigning_someone_who_is_not_a_coordinator_is_refused(people, case):
    with pytest.raises(ActionError, match="not an active coordinator"):
        do_assign(
            case,
            acting_user=people.coordinator,
            coordinator=people.family,
            expected_version=case.version,
        )


def test_uploaded_names_lose_folders_and_control_characters():
    assert clean_file_name("../../etc/passwd") == "passwd"
    assert clean_file_name("C:\\scans\\letter.pdf") == "letter.pdf"
    assert clean_file_name("a\x00b\nc.txt") == "a_b_c.txt"
    assert clean_file_name("") == "unnamed"
    assert len(clean_file_name("x" * 500 + ".pdf")) <= 200
    assert clean_file_name("x" * 500 + ".pdf").endswith(".pdf")


def test_a_case_opened_from_an_enquiry_links_it_and_marks_it_accepted(people):
    from casebridge.web.cases.models import Enquiry

    enquiry = Enquiry.objects.create(
        full_name="Alice", email=people.owner.email, diagnosis="Breast cancer, HER2 positive"
    )
    case = do_create_case(acting_user=people.coordinator, owner=people.owner, enquiry=enquiry)
    enquiry.refresh_from_db()
    assert enquiry.case == case and enquiry.status == Enquiry.Status.ACCEPTED
