"""Reviewers on a sent case, for the review tests (test_reviews, test_opinions):
the fixtures `sent` and `team` live in conftest.py and stand on these."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casebridge.web.accounts.models import User
from casebridge.web.cases import workflow
from casebridge.web.cases.actions import do_give_consent, do_upload_document
from casebridge.web.cases.matching import do_choose_direction, ranking
from casebridge.web.cases.models import Case, CasePack
from casebridge.web.cases.reviews import Seat, do_assign_review, do_invite_reviewer
from casebridge.web.cases.tasks import process_document
from tests.web.conftest import enrol_totp
from tests.web.records import PATHOLOGY, stored_pack

SUMMARY_ZH = "<html><body><h1>病例摘要</h1></body></html>".encode()


def sent_pack(case: Case, by, recipient: str, *, number: int = 1, state=CasePack.State.SENT):  # noqa: ANN001, ANN201
    """A pack as the department received it: a Chinese summary page, stored
    encrypted (building a real one is test_packs' business)."""
    return stored_pack(
        case,
        by,
        recipient=recipient,
        state=state,
        number=number,
        name="summary.zh.html",
        data=SUMMARY_ZH,
        media_type="text/html",
    )


def reviewer(people, email: str, direction: str, disciplines: list[str], *, mfa=True) -> User:  # noqa: ANN001
    profile = do_invite_reviewer(
        acting_user=people.coordinator,
        email=email,
        full_name=email.split("@")[0].title(),
        direction_id=direction,
        disciplines=disciplines,
        link="https://casebridge.test/accounts/password/reset/",
    )
    if mfa:  # the secret kept on the object, for tests that compute real codes
        profile.user.totp_secret = enrol_totp(profile.user)
    return profile.user


def make_matched(people, case, disciplines=("pathology", "medical_oncology")):  # noqa: ANN001, ANN201
    """Alice's breast case: read, the best-ranked department chosen, her
    consents naming it (matched)."""
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    assert process_document.call(doc.pk) == "processed"
    Case.objects.filter(pk=case.pk).update(status=workflow.READY_FOR_REVIEW)
    case.refresh_from_db()
    best = ranking(case)["matches"][0]["id"]
    do_choose_direction(
        case,
        acting_user=people.coordinator,
        direction_id=best,
        disciplines=list(disciplines),
    )
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="1")
    do_give_consent(
        case,
        acting_user=people.owner,
        kind="transfer_abroad",
        text_version="1",
        country="CN",
        recipients=[best],
    )
    case.refresh_from_db()
    return case, best


def make_sent(people, case):  # noqa: ANN001, ANN201 - a test helper
    """make_matched, then a pack sent there and the case under review."""
    case, best = make_matched(people, case)
    Case.objects.filter(pk=case.pk).update(status=workflow.UNDER_REVIEW)
    case.refresh_from_db()
    sent_pack(case, people.coordinator, best)
    return case, best


def make_team(people, sent):  # noqa: ANN001, ANN201 - a test helper
    """Two reviewers of the department on the case: a pathologist who leads, an
    oncologist; and a colleague of the same department not on it."""
    case, best = sent
    lead = reviewer(people, "li@hospital.test", best, ["pathology"])
    onc = reviewer(people, "wang@hospital.test", best, ["medical_oncology", "pathology"])
    idle = reviewer(people, "zhao@hospital.test", best, ["pathology"])
    case.refresh_from_db()
    assignment = do_assign_review(
        case,
        acting_user=people.coordinator,
        expected_version=case.version,
        seats=[Seat(lead.pk, "pathology", lead=True), Seat(onc.pk, "medical_oncology")],
        due_date=timezone.localdate() + dt.timedelta(days=10),
    )
    case.refresh_from_db()
    return case, best, assignment, lead, onc, idle
