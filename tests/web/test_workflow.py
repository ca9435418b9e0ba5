from __future__ import annotations

import pytest
from django.http import Http404

from casebridge.web.cases import workflow
from casebridge.web.cases.actions import do_change_status
from casebridge.web.cases.errors import IllegalTransition
from casebridge.web.cases.models import AuditEvent

MAIN_PATH = [
    workflow.ENQUIRY,
    workflow.TRIAGE,
    workflow.COLLECTING_RECORDS,
    workflow.READY_FOR_REVIEW,
    workflow.MATCHED,
    workflow.UNDER_REVIEW,
    workflow.OPINION_READY,
    workflow.POST_REVIEW,
    workflow.CLOSED,
]


def test_the_main_path_is_legal_step_by_step():
    for current, target in zip(MAIN_PATH, MAIN_PATH[1:], strict=False):
        workflow.check_transition(current, target)


def test_skipping_a_step_is_refused_with_the_allowed_moves_named():
    with pytest.raises(IllegalTransition) as error:
        workflow.check_transition(workflow.ENQUIRY, workflow.MATCHED)
    message = str(error.value)
    assert "cannot move from 'enquiry' to 'matched'" in message
    assert "triage" in message and "withdrawn" in message


def test_every_open_status_can_be_paused_for_safety_and_withdrawn():
    for status in workflow.OPEN:
        workflow.check_transition(status, workflow.PAUSED_SAFETY)
        workflow.check_transition(status, workflow.WITHDRAWN)


def test_a_paused_case_resumes_only_where_it_was_paused():
    workflow.check_transition(
        workflow.PAUSED_SAFETY, workflow.MATCHED, paused_from=workflow.MATCHED
    )
    with pytest.raises(IllegalTransition):
        workflow.check_transition(
            workflow.PAUSED_SAFETY, workflow.OPINION_READY, paused_from=workflow.MATCHED
        )


def test_closed_and_withdrawn_cases_never_change_again():
    for terminal in workflow.TERMINAL:
        for target in workflow.STATUSES:
            if target != terminal:
                with pytest.raises(IllegalTransition, match="cannot change any more"):
                    workflow.check_transition(terminal, target)


def test_an_unknown_status_and_a_same_status_move_are_refused():
    with pytest.raises(IllegalTransition, match="not a case status"):
        workflow.check_transition(workflow.TRIAGE, "lost")
    with pytest.raises(IllegalTransition, match="already"):
        workflow.check_transition(workflow.TRIAGE, workflow.TRIAGE)


@pytest.mark.django_db
def test_a_coordinator_moves_a_case_and_the_move_is_audited(people, case):
    moved = do_change_status(
        case, acting_user=people.coordinator, status=workflow.TRIAGE, expected_version=case.version
    )
    assert moved.status == workflow.TRIAGE
    assert moved.version == case.version + 1
    event = AuditEvent.objects.get(action="case.status_changed")
    assert event.before["status"] == workflow.ENQUIRY
    assert event.after["status"] == workflow.TRIAGE
    assert event.actor == people.coordinator


@pytest.mark.django_db
def test_an_illegal_move_changes_nothing_and_writes_no_audit_row(people, case):
    with pytest.raises(IllegalTransition):
        do_change_status(
            case,
            acting_user=people.coordinator,
            status=workflow.OPINION_READY,
            expected_version=case.version,
        )
    case.refresh_from_db()
    assert case.status == workflow.ENQUIRY
    assert not AuditEvent.objects.filter(action="case.status_changed").exists()


@pytest.mark.django_db
def test_pausing_and_resuming_remembers_where_the_case_was(people, case):
    case = do_change_status(
        case, acting_user=people.coordinator, status="triage", expected_version=case.version
    )
    case = do_change_status(
        case,
        acting_user=people.coordinator,
        status=workflow.PAUSED_SAFETY,
        expected_version=case.version,
        reason="Patient reports new back pain and leg weakness",
    )
    assert case.paused and case.paused_from == "triage"
    case = do_change_status(
        case, acting_user=people.coordinator, status="triage", expected_version=case.version
    )
    assert not case.paused and case.paused_from == ""


@pytest.mark.django_db
def test_the_patient_may_withdraw_their_case_but_not_move_it_otherwise(people, case):
    with pytest.raises(Http404):
        do_change_status(
            case, acting_user=people.owner, status="triage", expected_version=case.version
        )
    withdrawn = do_change_status(
        case, acting_user=people.owner, status="withdrawn", expected_version=case.version
    )
    assert withdrawn.status == "withdrawn"


@pytest.mark.django_db
def test_a_family_member_cannot_withdraw_the_patients_case(people, case):
    with pytest.raises(Http404):
        do_change_status(
            case, acting_user=people.family, status="withdrawn", expected_version=case.version
        )
