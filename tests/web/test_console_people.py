"""The case's overview says who may see the case and which consents are given,
and the history names who did each thing: the invitee who used their link,
"casebridge (automatic)" for a background task, never "anonymous"."""

from __future__ import annotations

import pytest

from casebridge.web.accounts.models import User
from casebridge.web.cases import audit
from casebridge.web.cases.actions import do_give_consent, do_invite_member
from casebridge.web.portal.actions.family import do_accept_invitation, do_record_invitation_opened
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _david_accepts(case, people):
    member = do_invite_member(
        case, acting_user=people.owner, email="david@example.org", can_message=True
    )
    User.objects.filter(pk=member.user_id).update(full_name="David")
    do_record_invitation_opened(member)
    do_accept_invitation(member, password=PASSWORD, language="en")
    return member


def test_the_overview_lists_the_family_with_what_they_may_do_and_when_they_accepted(
    client, people, case
):
    _david_accepts(case, people)
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="v1")
    client.force_login(people.coordinator)
    page = client.get(f"/console/cases/{case.pseudonym}/").content.decode()
    assert "Family and consents" in page
    assert "David (family; records, messages), accepted " in page
    assert "bob (family; records, uploads), added " in page
    assert "Processing consent: given " in page and " by alice" in page
    assert "Transfer abroad: not given" in page


def test_the_history_names_the_invitee_and_the_automatic_tasks_never_anonymous(
    client, people, case
):
    _david_accepts(case, people)
    audit.record(None, case, "document.processed")  # a background task's row
    client.force_login(people.coordinator)
    page = client.get(f"/console/cases/{case.pseudonym}/?section=history").content.decode()
    assert "David (by the invitation&#x27;s link) opened the invitation&#x27;s link" in page
    assert "David accepted an invitation to the case" in page
    assert "casebridge (automatic) finished reading a document" in page
    assert "anonymous" not in page and "a change to who may see the case" not in page


def test_the_family_and_consents_read_in_chinese(client, people, case):
    _david_accepts(case, people)
    people.coordinator.preferred_language = "zh"
    people.coordinator.save()
    client.force_login(people.coordinator)
    page = client.get(f"/console/cases/{case.pseudonym}/").content.decode()
    assert "Family and consents" not in page and "not given" not in page
