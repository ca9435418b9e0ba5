"""The new-message e-mail speaks to the patient of her own case ("in your
case"), to a relative of "a case you follow", and tells only someone who has
not yet chosen a password to ignore it if they have no account (issue 12)."""

from __future__ import annotations

import pytest
from django.core import mail

from casebridge.web.cases.actions import do_invite_member
from casebridge.web.cases.messaging import do_post_message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

LINK = "https://casebridge.test/cases/x/messages/"


def _post(case, people, capture) -> dict[str, object]:
    with capture(execute=True):
        do_post_message(case, acting_user=people.coordinator, body="Please add the scan", link=LINK)
    return {m.to[0]: m for m in mail.outbox}


def test_the_patient_reads_of_a_message_in_her_own_case_with_no_no_account_line(
    people, case, django_capture_on_commit_callbacks
):
    case.members.filter(user=people.family).update(can_message=True)
    sent = _post(case, people, django_capture_on_commit_callbacks)
    own, relative = sent[people.owner.email], sent[people.family.email]
    assert "wrote you a new message in your case" in own.body
    assert (
        "a case you follow" not in own.body and "do not have a casebridge account" not in own.body
    )
    assert "a new message on a case you follow" in relative.body
    assert "do not have a casebridge account" not in relative.body  # Bob has a password


def test_the_chinese_patient_reads_your_case_not_a_case_you_follow(
    people, case, django_capture_on_commit_callbacks
):
    people.owner.preferred_language = "zh"
    people.owner.save()
    own = _post(case, people, django_capture_on_commit_callbacks)[people.owner.email]
    assert "在您的病例中给您发送了一条新消息" in own.body
    assert "您关注的病例" not in own.body and "如果您没有 casebridge 账户" not in own.body


def test_a_relative_yet_to_accept_is_told_to_ignore_it_without_an_account(
    people, case, django_capture_on_commit_callbacks
):
    member = do_invite_member(case, acting_user=people.owner, email="new@example.org")
    member.can_message = True
    member.save()
    sent = _post(case, people, django_capture_on_commit_callbacks)
    assert "do not have a casebridge account" in sent["new@example.org"].body
    assert "do not have a casebridge account" not in sent[people.owner.email].body
