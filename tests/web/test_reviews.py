"""Reviewers and their access (issue 11, part 4): a coordinator invites a
reviewer of one department, opens a case whose pack was sent there to a team
(a discipline each, one lead, a due date); the gate lets each of them see that
case, and only what was sent, while the assignment is open, they have a second
factor and the patient's consent naming the department stands. Anything else
is a 404, and every read is on the patient's record of who opened the case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases import storage, workflow
from casebridge.web.cases.access import can, get_case_for_user_or_404
from casebridge.web.cases.actions import do_withdraw_consent
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.matching import ranking
from casebridge.web.cases.models import (
    AuditEvent,
    Case,
    CasePack,
    ReviewAssignment,
    ReviewerProfile,
)
from casebridge.web.cases.reviews import (
    Seat,
    do_assign_review,
    do_invite_reviewer,
    do_revoke_review,
    do_set_reviewer_active,
    open_assignment,
)
from tests.web.conftest import enrol_totp
from tests.web.reviewing import SUMMARY_ZH, reviewer, sent_pack

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

# -- the gate ---------------------------------------------------------------------------


def test_a_reviewer_on_the_team_may_view_and_review_the_case_and_the_read_is_audited(people, team):
    case, _best, assignment, lead, onc, _idle = team
    assert open_assignment(lead, case) == assignment
    assert can(onc, case, "view") and can(onc, case, "review")
    assert not can(onc, case, "upload") and not can(onc, case, "manage")
    get_case_for_user_or_404(onc, case.pseudonym, "review")
    assert AuditEvent.objects.filter(actor=onc, case=case, action="case.read").count() == 1


def test_a_colleague_of_the_department_not_on_the_team_gets_404(people, team):
    case, *_rest, idle = team
    with pytest.raises(Http404):
        get_case_for_user_or_404(idle, case.pseudonym, "review")


def test_a_reviewer_opening_another_case_gets_404(people, team, other_case):
    _case, _best, _a, lead, _onc, _idle = team
    with pytest.raises(Http404):
        get_case_for_user_or_404(lead, other_case.pseudonym, "review")


def test_the_seeded_reviewer_without_an_assignment_sees_nothing(people, team):
    case = team[0]
    assert not can(people.reviewer, case, "view")


def test_an_expired_assignment_opens_nothing(people, team):
    case, _best, assignment, lead, *_ = team
    ReviewAssignment.objects.filter(pk=assignment.pk).update(
        access_until=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(Http404):
        get_case_for_user_or_404(lead, case.pseudonym, "review")


def test_a_revoked_assignment_opens_nothing_and_its_reason_stays_on_record(people, team):
    case, _best, assignment, lead, *_ = team
    do_revoke_review(
        case,
        acting_user=people.coordinator,
        expected_version=case.version,
        reason="patient asked to pause",
    )
    assert not can(lead, case, "view")
    assignment.refresh_from_db()
    assert assignment.revoked_by == people.coordinator
    assert assignment.revoke_reason == "patient asked to pause"
    assert AuditEvent.objects.filter(action="review.revoked", case=case).exists()


def test_revoking_with_no_reason_is_refused(people, team):
    case = team[0]
    with pytest.raises(ActionError, match="why"):
        do_revoke_review(
            case, acting_user=people.coordinator, expected_version=case.version, reason=" "
        )


def test_withdrawing_the_transfer_consent_mid_review_ends_every_reviewers_access_at_once(
    people, team
):
    case, _best, assignment, lead, onc, _idle = team
    do_withdraw_consent(case, acting_user=people.owner, kind="transfer_abroad")
    assert not can(lead, case, "view") and not can(onc, case, "review")
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None
    assert assignment.revoke_reason == "the patient withdrew their consent"


def test_withdrawing_the_processing_consent_ends_it_too(people, team):
    case, *_rest = team
    lead = team[3]
    do_withdraw_consent(case, acting_user=people.owner, kind="processing_art9")
    assert not can(lead, case, "view")


def test_a_reviewer_without_a_second_factor_sees_no_case(people, team):
    case, _best, _a, lead, *_ = team
    lead.authenticator_set.all().delete()
    assert not can(lead, case, "view")


def test_a_reviewer_turned_off_sees_no_case(people, team):
    case, _best, _a, lead, *_ = team
    do_set_reviewer_active(lead.reviewer_profile, acting_user=people.coordinator, active=False)
    assert not can(lead, case, "view")


def test_a_reviewer_never_reaches_the_uploaded_files(people, team):
    case, _best, _a, lead, *_ = team
    opened = get_case_for_user_or_404(lead, case.pseudonym, "review")
    with pytest.raises(PermissionError):
        storage.read_document(opened, case.documents.first())


# -- assigning ------------------------------------------------------------------------


def _assign(people, case, seats, days=7):
    case.refresh_from_db()
    return do_assign_review(
        case,
        acting_user=people.coordinator,
        expected_version=case.version,
        seats=seats,
        due_date=timezone.localdate() + dt.timedelta(days=days),
    )


def test_an_assignment_needs_exactly_one_lead(people, sent):
    case, best = sent
    a = reviewer(people, "a@hospital.test", best, ["pathology"])
    b = reviewer(people, "b@hospital.test", best, ["pathology"])
    with pytest.raises(ActionError, match="one lead"):
        _assign(people, case, [Seat(a.pk, "pathology"), Seat(b.pk, "pathology")])
    with pytest.raises(ActionError, match="one lead"):
        _assign(people, case, [Seat(a.pk, "pathology", True), Seat(b.pk, "pathology", True)])
    assert not ReviewAssignment.objects.exists()


def test_a_reviewer_of_another_department_cannot_be_put_on_the_case(people, sent):
    case, best = sent
    other = next(d for d in ranking(case)["matches"] if d["id"] != best)["id"]
    stranger = reviewer(people, "x@elsewhere.test", other, ["pathology"])
    with pytest.raises(ActionError, match="Only active reviewers"):
        _assign(people, case, [Seat(stranger.pk, "pathology", True)])


def test_a_seat_outside_the_reviewers_disciplines_is_refused(people, sent):
    case, best = sent
    path = reviewer(people, "p@hospital.test", best, ["pathology"])
    with pytest.raises(ActionError, match="discipline"):
        _assign(people, case, [Seat(path.pk, "medical_oncology", True)])


def test_a_due_date_in_the_past_is_refused(people, sent):
    case, best = sent
    path = reviewer(people, "p@hospital.test", best, ["pathology"])
    with pytest.raises(ActionError, match="due date"):
        _assign(people, case, [Seat(path.pk, "pathology", True)], days=0)


def test_no_assignment_before_the_pack_is_sent(people, sent):
    case, best = sent
    case.packs.update(state=CasePack.State.APPROVED)
    path = reviewer(people, "p@hospital.test", best, ["pathology"])
    with pytest.raises(ActionError, match="No pack has been sent"):
        _assign(people, case, [Seat(path.pk, "pathology", True)])


def test_a_new_team_replaces_the_open_one(people, team):
    case, best, first, lead, onc, idle = team
    second = _assign(people, case, [Seat(idle.pk, "pathology", True)])
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoke_reason.startswith("replaced")
    assert can(idle, case, "review") and not can(lead, case, "review")
    assert second.seats.get().lead


def test_the_assigned_reviewers_get_an_email_with_a_link_only(
    people, sent, django_capture_on_commit_callbacks
):
    case, best = sent
    path = reviewer(people, "p@hospital.test", best, ["pathology"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _assign(people, case, [Seat(path.pk, "pathology", True)])
    (message,) = mail.outbox
    assert message.to == ["p@hospital.test"]
    assert case.pseudonym not in message.body and "Invasive" not in message.body


# -- inviting -------------------------------------------------------------------------


def test_an_invited_reviewer_gets_an_account_of_their_department_in_chinese(
    people, sent, django_capture_on_commit_callbacks
):
    _case, best = sent
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        user = reviewer(people, "New.Doctor@Hospital.test", best, ["pathology"], mfa=False)
    assert user.email == "new.doctor@hospital.test" and user.role == Role.REVIEWER
    assert user.preferred_language == "zh" and not user.has_usable_password()
    assert ReviewerProfile.objects.get(user=user).direction_id == best
    (message,) = mail.outbox
    assert "/accounts/password/reset/" in message.body
    assert AuditEvent.objects.filter(action="reviewer.invited", actor=people.coordinator).exists()


def test_an_existing_account_is_never_turned_into_areviewer(people, sent):
    _case, best = sent
    with pytest.raises(ActionError, match="already has"):
        reviewer(people, people.owner.email, best, ["pathology"])
    people.owner.refresh_from_db()
    assert people.owner.role == Role.PATIENT
    assert AuditEvent.objects.filter(action="reviewer.invite_refused").exists()


def test_a_discipline_the_department_lacks_is_refused(people, sent):
    _case, best = sent
    with pytest.raises(ActionError, match="disciplines"):
        reviewer(people, "g@hospital.test", best, ["clinical_genetics_nonexistent"])


def test_only_staff_invite_reviewers(people, sent):
    _case, best = sent
    with pytest.raises(ActionError, match="coordinator"):
        do_invite_reviewer(
            acting_user=people.owner,
            email="z@hospital.test",
            full_name="Z",
            direction_id=best,
            disciplines=["pathology"],
            link="",
        )


# -- the pages --------------------------------------------------------------------------


def test_the_workspace_lists_the_case_and_opens_it_in_chinese_first(client, people, team):
    case, _best, _a, lead, *_ = team
    client.force_login(lead)
    home = client.get(reverse("review:home"))
    assert home.status_code == 200 and case.pseudonym in home.text
    assert "待审阅病例" in home.text or "审阅" in home.text
    page = client.get(reverse("review:case", args=[case.pseudonym]))
    assert page.status_code == 200
    assert 'lang="zh-Hans"' in page.text and "病理" in page.text
    url = reverse("review:file", args=[case.pseudonym, 1, 0])
    assert url in page.text
    file = client.get(url)
    assert file.status_code == 200 and file.content == SUMMARY_ZH
    assert AuditEvent.objects.filter(actor=lead, action="pack.file_read").exists()


def test_english_is_there_for_a_reviewer_who_chooses_it(client, people, team):
    case, _best, _a, lead, *_ = team
    client.force_login(lead)
    client.post(reverse("set_language"), {"language": "en-gb", "next": "/review/"})
    page = client.get(reverse("review:case", args=[case.pseudonym]))
    assert 'lang="en-GB"' in page.text and "Reviewing team" in page.text


def test_a_version_not_sent_is_not_shown_to_reviewers(client, people, team):
    case, best, _a, lead, *_ = team
    sent_pack(case, people.coordinator, best, number=2, state=CasePack.State.READY)
    client.force_login(lead)
    assert client.get(reverse("review:file", args=[case.pseudonym, 2, 0])).status_code == 404


def test_the_reviewer_cannot_open_the_patients_portal_pages_or_the_console(client, people, team):
    case, _best, _a, lead, *_ = team
    client.force_login(lead)
    for url in (
        reverse("portal:case", args=[case.pseudonym]),
        reverse("portal:documents", args=[case.pseudonym]),
        reverse("console:case", args=[case.pseudonym]),
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("who", ["owner", "family", "coordinator", "admin", "outsider"])
def test_nobody_but_reviewers_reaches_the_workspace(client, people, team, who):
    case = team[0]
    client.force_login(getattr(people, who))
    assert client.get(reverse("review:home")).status_code == 404
    assert client.get(reverse("review:case", args=[case.pseudonym])).status_code == 404
    assert client.get(reverse("review:file", args=[case.pseudonym, 1, 0])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, team):
    case = team[0]
    response = client.get(reverse("review:case", args=[case.pseudonym]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_patient_sees_the_reviewer_and_their_department_among_who_opened_the_case(
    client, people, team
):
    case, _best, _a, lead, *_ = team
    client.force_login(lead)
    client.get(reverse("review:case", args=[case.pseudonym]))
    client.force_login(people.owner)
    page = client.get(reverse("portal:activity", args=[case.pseudonym]))
    assert page.status_code == 200
    assert "Li" in page.text and "Clinical reviewer" in page.text
    department = case.direction_choices.get(active=True).names["department"]["en"]
    assert department in page.text


def test_a_coordinator_invites_assigns_and_ends_access_from_the_console(client, people, sent):
    case, best = sent
    client.force_login(people.coordinator)
    response = client.post(
        reverse("console:reviewers"),
        {
            "email": "chen@hospital.test",
            "full_name": "Chen Jing",
            "direction_id": best,
            "disciplines": ["pathology"],
        },
    )
    assert response.status_code == 302
    chen = User.objects.get(email="chen@hospital.test")
    enrol_totp(chen)
    page = client.get(reverse("console:case", args=[case.pseudonym]))
    assert "Chen Jing" in page.text and 'id="review"' in page.text
    case.refresh_from_db()
    due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    response = client.post(
        reverse("console:assign_review", args=[case.pseudonym]),
        {
            "expected_version": case.version,
            "seat": [chen.pk],
            f"discipline_{chen.pk}": "pathology",
            "lead": chen.pk,
            "due_date": due,
        },
    )
    assert response.status_code == 302, response.content
    assert can(chen, case, "review")
    case.refresh_from_db()
    response = client.post(
        reverse("console:revoke_review", args=[case.pseudonym]),
        {"expected_version": case.version, "reason": "wrong team"},
    )
    assert response.status_code == 302
    assert not can(chen, case, "review")


def test_a_refused_assignment_says_why_on_the_case_page(client, people, sent):
    case, best = sent
    path = reviewer(people, "p@hospital.test", best, ["pathology"])
    client.force_login(people.coordinator)
    response = client.post(
        reverse("console:assign_review", args=[case.pseudonym]),
        {
            "expected_version": case.version,
            "seat": [path.pk],
            f"discipline_{path.pk}": "pathology",
            "lead": 0,
            "due_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 400 and "one lead" in response.text
    assert not ReviewAssignment.objects.exists()


def test_the_workspace_shows_each_fact_beside_its_redacted_page(client, people):
    """With a real pack: the sent summary as data, its sources linked to the
    redacted originals of the same version."""
    from casebridge.web.cases.actions import do_create_case
    from casebridge.web.cases.packs import (
        build_pack,
        do_approve_pack,
        do_prepare_pack,
        do_send_pack,
    )
    from tests.web.reviewing import make_sent

    case = do_create_case(acting_user=people.owner, owner=people.owner, programme="oncology")
    case, best = make_sent(people, case)
    case.packs.all().delete()
    Case.objects.filter(pk=case.pk).update(status=workflow.MATCHED)
    case.refresh_from_db()
    pack = do_prepare_pack(case, acting_user=people.coordinator, expected_version=case.version)
    assert build_pack.call(pack.pk) == "built"
    pack.refresh_from_db()
    do_approve_pack(pack, acting_user=people.owner, sha256=pack.sha256)
    case.refresh_from_db()
    do_send_pack(pack, acting_user=people.coordinator, expected_version=case.version, checked=True)
    lead = reviewer(people, "li@hospital.test", best, ["pathology"])
    case.refresh_from_db()
    do_assign_review(
        case,
        acting_user=people.coordinator,
        expected_version=case.version,
        seats=[Seat(lead.pk, "pathology", lead=True)],
        due_date=timezone.localdate() + dt.timedelta(days=7),
    )
    client.force_login(lead)
    page = client.get(reverse("review:case", args=[case.pseudonym]))
    assert page.status_code == 200 and 'id="facts"' in page.text
    assert "诊断" in page.text and 'href="#src-1"' in page.text
    original = next(f for f in pack.files.all() if f.name.startswith("originals/01-"))
    link = reverse("review:file", args=[case.pseudonym, pack.number, original.position])
    assert f"{link}#page=1" in page.text
