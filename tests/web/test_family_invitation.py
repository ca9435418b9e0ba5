"""An invited relative's path: one e-mail, one page in their language that says
who invited them to what and what they may do, a password and the terms; then
they are signed in on the case with a verified address and no further e-mail.
The link is signed, works once and expires; every step is in the audit log."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.models import AuditEvent, CaseMember
from casebridge.web.portal.actions.family import do_revoke_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

NEW_PASSWORD = "apple orchard by the river"


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _invite(client, people, case, capture, *, email="gran@example.org", **permissions) -> str:
    """Alice invites someone from her family page; the path of the e-mail's link."""
    people.owner.full_name = "Alice Smith"
    people.owner.save()
    _login(client, people.owner)
    with capture(execute=True):
        response = client.post(
            f"/cases/{case.pseudonym}/family/",
            {"email": email, "relationship": "family", **permissions},
        )
    assert response.status_code == 302
    client.logout()
    (message,) = [m for m in mail.outbox if m.to == [email]]
    (link,) = re.findall(r"https?://\S+", message.body)
    assert link.startswith("http://testserver/invitation/")
    return link.removeprefix("http://testserver")


def _accept(client, path, capture, **extra):
    with capture(execute=True):
        return client.post(
            path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "terms": "on", **extra}
        )


def test_an_invited_relative_gets_one_email_and_one_page_and_lands_signed_in_on_the_case(
    client, people, case, django_capture_on_commit_callbacks
):
    path = _invite(client, people, case, django_capture_on_commit_callbacks, can_upload="on")
    page = client.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alice has invited you, as family, to follow their second-opinion case" in text
    assert "add records" in text and "send and read messages" not in text  # as Alice chose
    assert 'name="password1"' in text and 'name="password2"' in text and 'name="terms"' in text
    assert "oncology" not in text and "Smith" not in text  # a first name, never a diagnosis

    response = _accept(client, path, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pseudonym}/"
    assert len(mail.outbox) == 1  # the invitation, and nothing after it
    gran = User.objects.get(email="gran@example.org")
    assert gran.check_password(NEW_PASSWORD) and gran.role == Role.PATIENT
    address = EmailAddress.objects.get(user=gran)
    assert address.verified and address.primary and address.email == gran.email
    home = client.get(f"/cases/{case.pseudonym}/")  # signed in: the case opens
    assert home.status_code == 200 and "This is Alice&#x27;s case" in home.content.decode()
    actions = list(
        AuditEvent.objects.filter(action__startswith="member.").values_list("action", flat=True)
    )
    assert actions[-3:] == [
        "member.invited",
        "member.invitation_opened",
        "member.invitation_accepted",
    ]
    assert AuditEvent.objects.filter(action="login.succeeded", actor=gran).exists()


def test_the_page_lists_messages_only_when_the_patient_allowed_them(
    client, people, case, django_capture_on_commit_callbacks
):
    path = _invite(client, people, case, django_capture_on_commit_callbacks, can_message="on")
    text = client.get(path).content.decode()
    assert "send and read messages with the casebridge coordinator" in text
    assert "add records:" not in text


def test_the_link_works_once_and_then_says_it_was_used(
    client, people, case, django_capture_on_commit_callbacks
):
    path = _invite(client, people, case, django_capture_on_commit_callbacks)
    _accept(client, path, django_capture_on_commit_callbacks)
    client.logout()
    again = client.get(path)
    assert again.status_code == 410
    text = again.content.decode()
    assert "This invitation has already been used" in text
    assert "ask Alice to send you a new invitation" in text
    assert _accept(client, path, django_capture_on_commit_callbacks).status_code == 410
    gran = User.objects.get(email="gran@example.org")
    assert gran.check_password(NEW_PASSWORD)  # the second try changed nothing
    refused = AuditEvent.objects.filter(action="member.invitation_link_refused").last()
    assert refused is not None and refused.after == {"reason": "used"}


def test_the_invitee_opening_the_link_again_while_signed_in_lands_on_the_case(
    client, people, case, django_capture_on_commit_callbacks
):
    path = _invite(client, people, case, django_capture_on_commit_callbacks)
    _accept(client, path, django_capture_on_commit_callbacks)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pseudonym}/"


def test_an_expired_link_says_so_plainly_and_whom_to_ask(
    client, people, case, settings, django_capture_on_commit_callbacks
):
    assert settings.INVITE_LINK_DAYS == 7
    path = _invite(client, people, case, django_capture_on_commit_callbacks)
    later = time.time() + 8 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(path)
        assert _accept(client, path, django_capture_on_commit_callbacks).status_code == 410
    assert response.status_code == 410
    text = response.content.decode()
    assert "This invitation has expired" in text and "An invitation works for 7 days." in text
    assert "Ask Alice to send you a new one" in text
    assert not User.objects.get(email="gran@example.org").has_usable_password()
    refused = AuditEvent.objects.filter(action="member.invitation_link_refused").last()
    assert refused is not None and refused.after == {"reason": "expired"}


def test_a_withdrawn_invitation_no_longer_opens(
    client, people, case, django_capture_on_commit_callbacks
):
    path = _invite(client, people, case, django_capture_on_commit_callbacks)
    member = CaseMember.objects.get(user__email="gran@example.org")
    do_revoke_member(case, acting_user=people.owner, member=member)
    response = client.get(path)
    assert response.status_code == 410
    assert "This invitation has been withdrawn" in response.content.decode()
    assert _accept(client, path, django_capture_on_commit_callbacks).status_code == 410
    assert not User.objects.get(email="gran@example.org").has_usable_password()


def test_a_broken_link_says_it_is_not_complete(client):
    response = client.get("/invitation/not-a-real-token/")
    assert response.status_code == 400
    assert "The link is not complete" in response.content.decode()
    refused = AuditEvent.objects.get(action="member.invitation_link_refused")
    assert refused.after == {"reason": "broken"} and refused.case is None


def test_different_passwords_or_no_agreement_are_refused_plainly_and_nothing_changes(
    client, people, case, django_capture_on_commit_callbacks
):
    path = _invite(client, people, case, django_capture_on_commit_callbacks)
    response = _accept(client, path, django_capture_on_commit_callbacks, password2="other words")
    assert response.status_code == 200
    assert "The two passwords are not the same" in response.content.decode()
    response = _accept(client, path, django_capture_on_commit_callbacks, terms="")
    assert "Tick the box to agree to the terms." in response.content.decode()
    response = _accept(
        client, path, django_capture_on_commit_callbacks, password1="short", password2="short"
    )
    assert response.status_code == 200 and "too short" in response.content.decode()
    gran = User.objects.get(email="gran@example.org")
    assert not gran.has_usable_password() and not EmailAddress.objects.filter(user=gran).exists()
    assert len(mail.outbox) == 1


def test_the_page_speaks_the_invitees_language_and_keeps_it(
    client, people, case, django_capture_on_commit_callbacks
):
    people.owner.preferred_language = "zh"
    people.owner.save()
    path = _invite(client, people, case, django_capture_on_commit_callbacks)
    text = client.get(path).content.decode()
    assert 'lang="zh-Hans"' in text and "casebridge/site.css" in text
    assert "Alice 邀请您以家人身份，在 casebridge 上关注其第二诊疗意见病例" in text
    assert "接受邀请" in text and "has invited you" not in text
    _accept(client, path, django_capture_on_commit_callbacks)
    assert User.objects.get(email="gran@example.org").preferred_language == "zh"
    case_page = client.get(f"/cases/{case.pseudonym}/").content.decode()
    assert 'lang="zh-Hans"' in case_page  # the case opens in the language she read


def test_an_existing_account_is_asked_to_sign_in_and_keeps_its_role_and_password(
    client, people, case, django_capture_on_commit_callbacks
):
    path = _invite(
        client, people, case, django_capture_on_commit_callbacks, email="eve@example.org"
    )
    (message,) = mail.outbox
    assert "sign in with your casebridge account" in message.body
    page = client.get(path).content.decode()
    assert "You already have a casebridge account with eve@example.org" in page
    assert 'name="password1"' not in page
    assert f"/accounts/login/?next=%2Fcases%2F{case.pseudonym}%2F" in page
    _accept(client, path, django_capture_on_commit_callbacks)  # a password posted is ignored
    people.outsider.refresh_from_db()
    assert not people.outsider.check_password(NEW_PASSWORD)
    assert people.outsider.role == Role.PATIENT
    assert not AuditEvent.objects.filter(action="member.invitation_accepted").exists()
