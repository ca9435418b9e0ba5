"""The family page says where each invitation stands (waiting, sent when, until
when; or accepted when) and lets the patient change what someone may do, the
change audited; the guidance no longer sends her to a coordinator (issue 12)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.http import Http404
from django.utils import timezone

from casebridge.web.cases.actions import do_invite_member
from casebridge.web.cases.errors import NotAllowed
from casebridge.web.cases.models import AuditEvent
from casebridge.web.portal.actions.family import do_accept_invitation, do_change_member_permissions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _page(client, user, case, lang: str = "en") -> str:
    user.preferred_language = lang
    user.save()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"/cases/{case.pseudonym}/family/")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_a_waiting_invitation_says_when_it_was_sent_and_until_when_it_works(client, people, case):
    member = do_invite_member(case, acting_user=people.owner, email="david@example.org")
    member.user.full_name = "David Wang"
    member.user.save()
    page = _page(client, people.owner, case)
    until = timezone.localdate() + dt.timedelta(days=7)
    assert "David Wang (david@example.org) — Family member" in page
    assert "What they may do: can view." in page
    assert "Invited on " in page and "waiting for them to accept." in page
    assert "The link works until" in page and str(until.year) in page
    zh = _page(client, people.owner, case, "zh")
    assert "正在等待对方接受" in zh


def test_an_accepted_invitation_says_when(client, people, case):
    member = do_invite_member(case, acting_user=people.owner, email="david@example.org")
    do_accept_invitation(member, password="a long pass phrase 42", language="en")
    page = _page(client, people.owner, case)
    assert "david@example.org — Family member" in page
    assert "Accepted the invitation on" in page
    zh = _page(client, people.owner, case, "zh")
    assert "接受邀请" in zh


def test_an_expired_invitation_says_so_and_how_to_send_a_new_link(client, people, case, settings):
    do_invite_member(case, acting_user=people.owner, email="david@example.org")
    # the audit rows are append-only (a trigger on PostgreSQL): the link's days run out
    # instead of the invitation being dated in the past
    settings.INVITE_LINK_DAYS = 0
    page = _page(client, people.owner, case)
    assert "not accepted: the link stopped working on" in page
    assert "You can send them a new link." in page and ">Send a new link<" in page


def test_the_patient_sends_a_new_link_and_the_invitation_waits_again(
    client, people, case, django_capture_on_commit_callbacks, settings
):
    from django.core import mail as outbox

    member = do_invite_member(case, acting_user=people.owner, email="david@example.org")
    settings.INVITE_LINK_DAYS = 0  # expired (see above)
    assert "stopped working" in _page(client, people.owner, case)
    settings.INVITE_LINK_DAYS = 7
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cases/{case.pseudonym}/family/", {"action": "resend", "member": member.pk}
        )
    assert response.status_code == 302
    page = _page(client, people.owner, case)
    assert "A new link was sent." in page and "waiting for them to accept." in page
    sent_at = AuditEvent.objects.get(action="member.invitation_resent").at
    invited = AuditEvent.objects.get(action="member.invited", object_id=str(member.pk))
    assert sent_at >= invited.at
    sent = [m for m in outbox.outbox if "david@example.org" in m.to]
    assert len(sent) == 1 and "/invitation/" in sent[0].body
    event = AuditEvent.objects.get(action="member.invitation_resent")
    assert event.actor_id == people.owner.pk and event.object_id == str(member.pk)


def test_only_the_patient_sends_a_new_link_and_not_once_it_was_accepted(client, people, case):
    member = do_invite_member(case, acting_user=people.owner, email="david@example.org")
    client.force_login(people.family, backend="django.contrib.auth.backends.ModelBackend")
    refused = client.post(
        f"/cases/{case.pseudonym}/family/", {"action": "resend", "member": member.pk}
    )
    assert refused.status_code == 404
    assert not AuditEvent.objects.filter(action="member.invitation_resent").exists()
    waiting = _page(client, people.owner, case).count(">Send a new link<")
    do_accept_invitation(member, password="a long enough passphrase 42", language="en")
    page = _page(client, people.owner, case)
    assert "Accepted the invitation on" in page
    assert page.count(">Send a new link<") == waiting - 1  # not for David any more


def test_the_patient_changes_what_a_relative_may_do_and_it_is_audited(client, people, case):
    member = case.members.get(user=people.family)
    assert member.can_upload and not member.can_message
    page = _page(client, people.owner, case)
    assert "Change what they may do" in page and "Remove access" in page
    response = client.post(
        f"/cases/{case.pseudonym}/family/",
        {"action": "change", "member": member.pk, "can_message": "on"},
        follow=True,
    )
    assert "Saved: what they may do has changed." in response.content.decode()
    member.refresh_from_db()
    assert member.can_message and not member.can_upload and member.revoked_at is None
    event = AuditEvent.objects.get(action="member.permissions_changed")
    assert event.actor == people.owner and event.object_id == str(member.pk)
    assert event.before == {"can_upload": True, "can_message": False, "can_approve": False}
    assert event.after == {
        "email": people.family.email,
        "can_upload": False,
        "can_message": True,
        "can_approve": False,
    }


def test_saving_the_same_permissions_writes_no_audit_row(people, case):
    member = case.members.get(user=people.family)
    do_change_member_permissions(
        case,
        acting_user=people.owner,
        member=member,
        can_upload=True,
        can_message=False,
        can_approve=False,
    )
    assert not AuditEvent.objects.filter(action="member.permissions_changed").exists()


def test_only_the_patient_changes_what_someone_may_do(client, people, case):
    member = case.members.get(user=people.family)
    with pytest.raises((NotAllowed, Http404)):
        do_change_member_permissions(
            case,
            acting_user=people.family,
            member=member,
            can_upload=True,
            can_message=True,
            can_approve=True,
        )
    client.force_login(people.family, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        f"/cases/{case.pseudonym}/family/",
        {"action": "change", "member": member.pk, "can_message": "on"},
    )
    assert response.status_code == 404
    member.refresh_from_db()
    assert not member.can_message


def test_the_family_guidance_says_the_patient_can_remove_or_change_here(client, people, case):
    page = _page(client, people.owner, case)
    assert "You can remove someone, or change what they may do, here at any time." in page
    assert "ask a coordinator to remove" not in page
    zh = _page(client, people.owner, case, "zh")
    assert "您可以随时在本页移除某人，或更改其权限。" in zh and "请协调员移除" not in zh
