"""The opinion itself (issue 11, part 5): each discipline writes a structured
opinion and submits it; the lead writes the team's, records where the team
did not agree, and signs it after a fresh second factor; a signed version
never changes (an amendment is a new signed version with its reason); the
first signature moves the case to opinion_ready; a coordinator, having read
the highlighted phrases, releases a version to the patient, who reads it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from casebridge.web.cases import workflow
from casebridge.web.cases.actions import do_withdraw_consent
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import AuditEvent, Case, CasePack, Opinion
from casebridge.web.cases.opinions import (
    content_hash,
    do_release_opinion,
    do_save_discipline_opinion,
    do_save_opinion_draft,
    do_sign_opinion,
    highlights,
)
from casebridge.web.cases.review_models import SignedOpinionError
from tests.web.conftest import totp_code
from tests.web.reviewing import sent_pack

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

TEAM = {
    "summary": "病理支持浸润性导管癌，建议按现有方案继续。",
    "agreement": "agree",
    "diagnosis_note": "HER2 3+ 与报告一致。",
    "staging": "cT2 N1 M0",
    "direction": "新辅助治疗后手术。",
    "further_tests": "乳腺MRI",
    "trials": "",
    "questions_back": "是否已做胚系BRCA检测？",
    "disagreements": "肿瘤内科认为可考虑先手术。",
    "language": "zh",
}


def _signed(people, team, fields=None, **kwargs) -> Opinion:
    case, _best, _a, lead, *_ = team
    draft = do_save_opinion_draft(case, acting_user=lead, fields=fields or TEAM, **kwargs)
    case.refresh_from_db()
    return do_sign_opinion(
        case, acting_user=lead, number=draft.number, expected_version=case.version
    )


def test_a_discipline_opinion_is_saved_then_submitted_and_then_never_changes(people, team):
    case, _best, _a, _lead, onc, _idle = team
    draft = do_save_discipline_opinion(
        case, acting_user=onc, fields={"agreement": "partly", "direction": "先手术"}
    )
    assert draft.submitted_at is None and draft.discipline == "medical_oncology"
    assert draft.pack.number == 1  # the version it was written on
    done = do_save_discipline_opinion(
        case,
        acting_user=onc,
        fields={"agreement": "partly", "direction": "先手术", "diagnosis_note": "分期存疑"},
        submit=True,
    )
    assert done.pk == draft.pk and done.submitted_at is not None
    with pytest.raises(ActionError, match="stays as it was submitted"):
        do_save_discipline_opinion(case, acting_user=onc, fields={"agreement": "agree"})
    assert AuditEvent.objects.filter(action="opinion.discipline_submitted", actor=onc).exists()


def test_a_discipline_opinion_is_not_submitted_empty(people, team):
    case, _best, _a, _lead, onc, _idle = team
    with pytest.raises(ActionError, match="agree with the diagnosis"):
        do_save_discipline_opinion(case, acting_user=onc, fields={}, submit=True)


def test_the_lead_signs_and_the_case_is_opinion_ready(people, team):
    case, *_rest = team
    opinion = _signed(people, team)
    case.refresh_from_db()
    assert case.status == workflow.OPINION_READY
    assert opinion.sha256 == content_hash(opinion) and opinion.pack.number == 1
    event = AuditEvent.objects.get(action="opinion.signed")
    assert event.before == {"status": "under_review"} and event.after["number"] == 1


def test_only_the_lead_writes_and_signs_the_team_opinion(people, team):
    case, _best, _a, _lead, onc, _idle = team
    with pytest.raises(ActionError, match="Only the lead"):
        do_save_opinion_draft(case, acting_user=onc, fields=TEAM)


def test_a_second_signature_is_refused(people, team):
    case, _best, _a, lead, *_ = team
    opinion = _signed(people, team)
    case.refresh_from_db()
    with pytest.raises(ActionError, match="never changes"):
        do_sign_opinion(
            case, acting_user=lead, number=opinion.number, expected_version=case.version
        )


def test_a_signed_opinion_cannot_be_edited_even_by_code(people, team):
    opinion = _signed(people, team)
    opinion.summary = "改过的"
    with pytest.raises(SignedOpinionError):
        opinion.save()
    opinion.refresh_from_db()
    assert opinion.summary == TEAM["summary"]


def test_an_amendment_is_a_new_signed_version_with_its_reason(people, team):
    case, _best, _a, lead, *_ = team
    first = _signed(people, team)
    amended = {**TEAM, "further_tests": "乳腺MRI；胚系BRCA检测"}
    draft = do_save_opinion_draft(case, acting_user=lead, fields=amended)
    assert draft.number == 2 and draft.amends == first
    case.refresh_from_db()
    with pytest.raises(ActionError, match="why this version amends"):
        do_sign_opinion(case, acting_user=lead, number=2, expected_version=case.version)
    do_save_opinion_draft(
        case, acting_user=lead, fields=amended, amend_reason="收到新的基因检测建议"
    )
    case.refresh_from_db()
    second = do_sign_opinion(case, acting_user=lead, number=2, expected_version=case.version)
    first.refresh_from_db()
    assert first.further_tests == "乳腺MRI" and second.amends == first
    assert second.amend_reason == "收到新的基因检测建议"


def test_an_opinion_is_not_signed_without_summary_agreement_and_direction(people, team):
    case, _best, _a, lead, *_ = team
    draft = do_save_opinion_draft(case, acting_user=lead, fields={"summary": "草稿"})
    case.refresh_from_db()
    with pytest.raises(ActionError, match="before signing"):
        do_sign_opinion(case, acting_user=lead, number=draft.number, expected_version=case.version)


def test_an_opinion_records_the_newest_version_sent(people, team):
    case, best, _a, lead, *_ = team
    sent_pack(case, people.coordinator, best, number=2)
    sent_pack(case, people.coordinator, best, number=3, state=CasePack.State.READY)
    draft = do_save_opinion_draft(case, acting_user=lead, fields=TEAM)
    assert draft.pack.number == 2


def test_after_the_consent_is_withdrawn_nothing_can_be_written(people, team):
    case, _best, _a, lead, *_ = team
    do_withdraw_consent(case, acting_user=people.owner, kind="transfer_abroad")
    from django.http import Http404

    with pytest.raises(Http404):
        do_save_opinion_draft(case, acting_user=lead, fields=TEAM)


def test_promise_like_phrases_are_highlighted_not_refused(people, team):
    opinion = _signed(people, team, fields={**TEAM, "direction": "手术可以根治，保证效果。"})
    found = highlights(opinion)
    assert "direction" in found and {h.phrase for h in found["direction"]} >= {"保证"}


def test_the_coordinator_releases_a_signed_version_and_the_patient_reads_it(client, people, team):
    case, *_rest = team
    opinion = _signed(people, team, fields={**TEAM, "direction": "保证可以治愈。"})
    client.force_login(people.coordinator)
    page = client.get(reverse("console:case", args=[case.pseudonym]))
    assert 'id="opinion"' in page.text and "<mark" in page.text
    client.force_login(people.owner)
    home = client.get(reverse("portal:case", args=[case.pseudonym]))
    assert "is reading it" in home.text
    assert client.get(reverse("portal:opinion", args=[case.pseudonym])).text.count("保证") == 0
    client.force_login(people.coordinator)
    refused = client.post(
        reverse("console:release_opinion", args=[case.pseudonym, opinion.number]), {}
    )
    assert refused.status_code == 400
    done = client.post(
        reverse("console:release_opinion", args=[case.pseudonym, opinion.number]),
        {"checked": "on"},
    )
    assert done.status_code == 302
    client.force_login(people.owner)
    home = client.get(reverse("portal:case", args=[case.pseudonym]))
    assert reverse("portal:opinion", args=[case.pseudonym]) in home.text
    page = client.get(reverse("portal:opinion", args=[case.pseudonym]))
    assert TEAM["summary"] in page.text and "not a diagnosis" in page.text
    assert "The team agrees with it." in page.text
    assert AuditEvent.objects.filter(action="opinion.released").exists()
    with pytest.raises(ActionError, match="already released"):
        do_release_opinion(case, acting_user=people.coordinator, number=opinion.number)


def test_the_lead_signs_in_the_workspace_only_after_a_fresh_second_factor(
    client, people, team, django_capture_on_commit_callbacks
):
    case, _best, _a, lead, onc, _idle = team
    client.force_login(onc)
    response = client.post(
        reverse("review:my_opinion", args=[case.pseudonym]),
        {"agreement": "disagree", "diagnosis_note": "分期偏高", "submit": "1"},
    )
    assert response.status_code == 302
    client.force_login(lead)
    page = client.get(reverse("review:case", args=[case.pseudonym]))
    assert "分期偏高" in page.text  # the team sees each submitted discipline opinion
    response = client.post(reverse("review:team_opinion", args=[case.pseudonym]), TEAM)
    assert response.status_code == 302
    case.refresh_from_db()
    url = reverse("review:sign", args=[case.pseudonym, 1])
    seen = content_hash(Opinion.objects.get(case=case))
    response = client.post(url, {"expected_version": case.version, "seen": seen})
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert Opinion.objects.get(case=case).signed_at is None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"code": totp_code(lead.totp_secret)})
    opinion = Opinion.objects.get(case=case)
    assert opinion.signed_at is not None and opinion.signed_by == lead
    assert Case.objects.get(pk=case.pk).status == workflow.OPINION_READY
    assert mail.outbox and TEAM["summary"] not in mail.outbox[0].body  # a link only
    assert mail.outbox[0].subject == f"casebridge: an opinion is ready on case {case.pseudonym}"
    assert f"/console/cases/{case.pseudonym}/" in mail.outbox[0].body


def test_the_oncologist_cannot_sign_in_the_workspace(client, people, team):
    case, _best, _a, lead, onc, _idle = team
    do_save_opinion_draft(case, acting_user=lead, fields=TEAM)
    client.force_login(onc)
    page = client.get(reverse("review:case", args=[case.pseudonym]))
    assert reverse("review:sign", args=[case.pseudonym, 1]) not in page.text
    response = client.post(reverse("review:team_opinion", args=[case.pseudonym]), TEAM)
    assert response.status_code == 400 and "只有牵头审阅专家" in response.text


def test_the_status_buttons_cannot_declare_an_opinion_ready(people, team):
    from casebridge.web.cases.actions import do_change_status

    case = team[0]
    case.refresh_from_db()
    with pytest.raises(ActionError, match="lead signs it"):
        do_change_status(
            case,
            acting_user=people.coordinator,
            status=workflow.OPINION_READY,
            expected_version=case.version,
        )


def test_a_draft_changed_after_the_lead_read_it_is_not_signed(people, team):
    case, _best, _a, lead, *_ = team
    draft = do_save_opinion_draft(case, acting_user=lead, fields=TEAM)
    read = content_hash(draft)
    do_save_opinion_draft(case, acting_user=lead, fields={**TEAM, "direction": "先手术"})
    case.refresh_from_db()
    with pytest.raises(ActionError, match="changed after you read it"):
        do_sign_opinion(
            case, acting_user=lead, number=draft.number, expected_version=case.version, seen=read
        )


def test_a_version_amended_by_a_later_signed_one_is_not_released(people, team):
    case, _best, _a, lead, *_ = team
    first = _signed(people, team)
    _signed(people, team, amend_reason="新的检查结果")
    with pytest.raises(ActionError, match="release the newest"):
        do_release_opinion(case, acting_user=people.coordinator, number=first.number)


def test_a_case_with_a_signed_opinion_can_still_be_erased(people, team):
    from casebridge.web.cases.erasure import do_erase_case

    case, _best, _a, _lead, onc, _idle = team
    do_save_discipline_opinion(
        case, acting_user=onc, fields={"agreement": "agree", "direction": "手术"}, submit=True
    )
    _signed(people, team)
    case.refresh_from_db()
    do_erase_case(case, acting_user=people.admin)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Opinion.objects.exists()


def test_a_new_team_never_sees_the_replaced_teams_draft_or_opinion(people, team):
    from casebridge.web.cases.matching import ranking  # noqa: F401 - same department here
    from casebridge.web.cases.reviews import Seat, do_assign_review
    from tests.web.reviewing import reviewer

    case, best, _a, lead, *_ = team
    _signed(people, team)
    do_save_opinion_draft(case, acting_user=lead, fields={**TEAM, "summary": "旧团队草稿"})
    newcomer = reviewer(people, "new@hospital.test", best, ["pathology"])
    case.refresh_from_db()
    do_assign_review(
        case,
        acting_user=people.coordinator,
        expected_version=case.version,
        seats=[Seat(newcomer.pk, "pathology", lead=True)],
        due_date=timezone.localdate() + dt.timedelta(days=5),
    )
    draft = do_save_opinion_draft(case, acting_user=newcomer, fields={"summary": "新团队"})
    assert draft.summary == "新团队" and draft.assignment.seats.get().reviewer == newcomer
    assert AuditEvent.objects.filter(action="opinion.draft_discarded").exists()


def test_the_workspace_shows_each_saved_draft_and_a_refused_form_as_posted(client, people, team):
    """The unposted forms' HTML is kept between reloads; what fills them is part
    of what it is kept by, so a saved draft shows at once, and a form posted
    with a problem comes back as it was posted."""
    case, _best, _a, lead, onc, _idle = team
    client.force_login(onc)
    url = reverse("review:case", args=[case.pseudonym])
    assert "第一稿" not in client.get(url).text
    for text in ("第一稿", "第二稿"):
        client.post(reverse("review:my_opinion", args=[case.pseudonym]), {"direction": text})
        page = client.get(url).text
        assert text in page
    assert "第一稿" not in page
    refused = client.post(
        reverse("review:my_opinion", args=[case.pseudonym]),
        {"direction": "未写完的意见", "submit": "1"},  # no agreement: not submitted
    )
    assert refused.status_code == 400 and "未写完的意见" in refused.text
    assert "第二稿" in client.get(url).text  # the saved draft, not the refused post
