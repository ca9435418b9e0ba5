from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from casebridge.web.cases.access import NEEDS, can, get_case_for_user_or_404, get_case_object_or_404
from casebridge.web.cases.actions import (
    do_add_note,
    do_give_consent,
    do_send_message,
    do_upload_document,
)
from casebridge.web.cases.models import (
    AuditEvent,
    CaseMember,
    Consent,
    Document,
    InternalNote,
    Message,
)

pytestmark = pytest.mark.django_db


def _fill(case, people):
    """One object of every kind on the case."""
    return {
        Document: do_upload_document(
            case, acting_user=people.owner, file_name="letter.txt", data=b"Clinic letter."
        ),
        Message: do_send_message(case, acting_user=people.owner, body="Hello"),
        InternalNote: do_add_note(case, acting_user=people.coordinator, body="Call GP"),
        Consent: do_give_consent(
            case, acting_user=people.owner, kind="processing_art9", text_version="v1"
        ),
        CaseMember: case.members.get(),
    }


def test_an_outsider_gets_404_for_every_need_on_someone_elses_case(people, case):
    for need in NEEDS:
        with pytest.raises(Http404):
            get_case_for_user_or_404(people.outsider, case.pk, need)
        with pytest.raises(Http404):
            get_case_for_user_or_404(people.outsider, case.pseudonym, need)


def test_an_outsider_gets_404_for_every_object_of_someone_elses_case(people, case, other_case):
    objects = _fill(case, people)
    own = get_case_for_user_or_404(people.outsider, other_case.pk)
    for model, obj in objects.items():
        with pytest.raises(Http404):
            get_case_object_or_404(own, model, obj.pk)


def test_a_missing_case_and_a_forbidden_case_answer_the_same(people, case):
    with pytest.raises(Http404) as missing:
        get_case_for_user_or_404(people.outsider, 999_999)
    with pytest.raises(Http404) as forbidden:
        get_case_for_user_or_404(people.outsider, case.pk)
    assert str(missing.value) == str(forbidden.value)


def test_anonymous_users_and_deactivated_owners_are_denied(people, case):
    with pytest.raises(Http404):
        get_case_for_user_or_404(AnonymousUser(), case.pk)
    people.owner.is_active = False
    people.owner.save()
    with pytest.raises(Http404):
        get_case_for_user_or_404(people.owner, case.pk)


def test_garbage_keys_answer_404_not_500(people, case):
    for key in ("abc", "CB-NOPE", None, "1; drop table"):
        with pytest.raises(Http404):
            get_case_for_user_or_404(people.coordinator, key)


def test_the_owner_may_view_upload_message_and_consent_but_not_manage_or_correct(people, case):
    allowed = {n for n in NEEDS if can(people.owner, case, n)}
    assert allowed == {"view", "upload", "message", "consent", "approve"}


def test_a_family_member_has_only_the_permissions_the_patient_granted(people, case):
    assert {n for n in NEEDS if can(people.family, case, n)} == {"view", "upload"}
    member = case.members.get(user=people.family)
    member.can_upload = False
    member.can_message = True
    member.save()
    assert {n for n in NEEDS if can(people.family, case, n)} == {"view", "message"}


def test_a_revoked_family_member_sees_nothing(people, case):
    from django.utils import timezone

    case.members.update(revoked_at=timezone.now())
    with pytest.raises(Http404):
        get_case_for_user_or_404(people.family, case.pk)


def test_a_coordinator_may_do_everything_but_the_patients_consent_on_every_case(
    people, case, other_case
):
    for each in (case, other_case):
        expected = set(NEEDS) - {"consent", "review", "approve"}
        assert {n for n in NEEDS if can(people.coordinator, each, n)} == expected


def test_an_admin_may_do_staff_work_but_not_consent_for_a_patient(people, case):
    # neither reviews: that is the reviewing team's, abroad (test_reviews)
    expected = set(NEEDS) - {"consent", "review", "approve"}  # the patient's own acts
    assert {n for n in NEEDS if can(people.admin, case, n)} == expected


def test_a_reviewer_sees_no_case_not_opened_to_them(people, case):
    for need in NEEDS:
        with pytest.raises(Http404):
            get_case_for_user_or_404(people.reviewer, case.pk, need)


def test_every_read_through_the_gate_writes_a_read_audit_event(people, case):
    before = AuditEvent.objects.filter(action="case.read").count()
    get_case_for_user_or_404(people.family, case.pk)
    get_case_for_user_or_404(people.coordinator, case.pseudonym)
    reads = AuditEvent.objects.filter(action="case.read").order_by("pk")
    assert reads.count() == before + 2
    assert [e.actor for e in reads][-2:] == [people.family, people.coordinator]
    assert reads.last().case_pseudonym == case.pseudonym


def test_a_refused_read_writes_no_audit_event(people, case):
    before = AuditEvent.objects.count()
    with pytest.raises(Http404):
        get_case_for_user_or_404(people.outsider, case.pk)
    assert AuditEvent.objects.count() == before


def test_internal_notes_are_hidden_from_the_patient_and_family(people, case):
    note = do_add_note(case, acting_user=people.coordinator, body="Sensitive")
    for person in (people.owner, people.family):
        seen = get_case_for_user_or_404(person, case.pk)
        with pytest.raises(Http404):
            get_case_object_or_404(seen, InternalNote, note.pk)
    staff_view = get_case_for_user_or_404(people.coordinator, case.pk)
    assert get_case_object_or_404(staff_view, InternalNote, note.pk) == note


def test_a_case_not_from_the_gate_opens_no_object(people, case):
    from casebridge.web.cases.models import Case

    message = do_send_message(case, acting_user=people.owner, body="Hi")
    with pytest.raises(Http404):
        get_case_object_or_404(Case.objects.get(pk=case.pk), Message, message.pk)


def test_an_unknown_need_is_a_programming_error(people, case):
    with pytest.raises(ValueError):
        get_case_for_user_or_404(people.coordinator, case.pk, "delete")
