"""Every e-mail casebridge sends: branded ("casebridge: ..." with no host:port
before it), in the recipient's language, saying who sent it and why, with a
link only and never health data (issue 12)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache

from casebridge.web.accounts.models import User
from casebridge.web.cases.messaging import do_post_message
from casebridge.web.portal.actions.family import do_invite_family

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

PASSWORD = "a long enough test password"
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()  # allauth's rate limits (one confirmation e-mail per address a while)


def _links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def _branded_link_only(message, *, english: bool = True) -> None:
    """What every e-mail shares: the brand in the subject and no host before it,
    one line on what casebridge is, no health data, whom to call."""
    assert message.subject.startswith("casebridge: ")
    assert "[" not in message.subject and "testserver" not in message.subject
    assert len(message.to) == 1
    if english:
        assert "casebridge arranges second opinions" in message.body
        assert "this e-mail contains no health information" in message.body
    else:
        assert "casebridge 为英国的患者" in message.body
        assert "本邮件不含任何健康信息" in message.body


def _sign_up(client, email: str, **headers: str):
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
        **headers,
    )
    assert response.status_code == 302, response.content[:2000]
    (message,) = mail.outbox
    return message


# -- allauth's e-mails -----------------------------------------------------------


def test_the_sign_up_confirmation_email_is_casebridges_own_in_english(client):
    message = _sign_up(client, "mei@example.org")
    _branded_link_only(message)
    assert message.subject == "casebridge: confirm your e-mail address to finish signing up"
    assert "a request to sign up to casebridge with this e-mail address" in message.body
    assert "If it was not you, ignore this e-mail" in message.body
    assert "In an emergency call 999, or NHS 111" in message.body
    (link,) = _links(message.body)
    assert "/accounts/confirm-email/" in link
    assert "Hello from" not in message.body and "testserver" not in message.body.split(link)[0]


def test_a_patient_who_chose_chinese_gets_the_confirmation_email_in_chinese(client):
    message = _sign_up(client, "mei@example.org", **CHINESE)
    _branded_link_only(message, english=False)
    assert message.subject == "casebridge: 请确认您的电子邮件地址以完成注册"
    assert "紧急情况" in message.body and "999" in message.body and "NHS 111" in message.body
    assert "/accounts/confirm-email/" in _links(message.body)[0]
    assert User.objects.get(email="mei@example.org").preferred_language == "zh"


def test_an_enquirer_who_chose_chinese_is_confirmed_in_chinese_from_an_english_browser(client):
    assert client.post("/enquiry/", {"none_apply": "on"}).status_code == 302
    details = {
        "relationship": "self",
        "programme": "oncology",
        "diagnosis": "Breast cancer found after a biopsy",
        "country": "GB",
        "preferred_language": "zh",
        "full_name": "Mei Lin",
        "email": "mei@example.org",
        "contact_consent": "on",
    }
    assert client.post("/enquiry/details/", details)["Location"] == "/enquiry/sent/"
    message = _sign_up(client, "mei@example.org")
    _branded_link_only(message, english=False)
    for health_word in ("Breast", "biopsy", "Mei", "Lin"):
        assert health_word not in message.body and health_word not in message.subject


def test_switching_language_while_signed_in_changes_the_language_of_ones_emails(client, people):
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    people.owner.refresh_from_db()
    assert people.owner.preferred_language == "zh"
    client.logout()
    client.post("/accounts/password/reset/", {"email": people.owner.email})
    (message,) = mail.outbox
    assert message.subject == "casebridge: 设置新密码"


def test_the_password_reset_email_is_in_the_accounts_language_not_the_browsers(client, people):
    people.owner.preferred_language = "zh"
    people.owner.save()
    response = client.post("/accounts/password/reset/", {"email": people.owner.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    _branded_link_only(message, english=False)
    assert message.subject == "casebridge: 设置新密码"
    assert "/accounts/password/reset/key/" in _links(message.body)[0]
    assert "如果这不是您本人的操作" in message.body


def test_the_password_reset_email_in_english_says_why_and_what_if_it_was_not_you(
    client, people, case
):
    response = client.post("/accounts/password/reset/", {"email": people.owner.email}, **CHINESE)
    assert response.status_code == 302
    (message,) = mail.outbox
    _branded_link_only(message)  # alice's account is in English, whatever the browser says
    assert message.subject == "casebridge: choose a new password"
    assert "a request to set a new password for the casebridge account" in message.body
    assert "your password stays as it is" in message.body
    assert case.pseudonym not in message.body and "oncology" not in message.body


def test_a_reset_for_an_unknown_address_is_answered_in_the_browsers_language(client):
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"}, **CHINESE)
    (message,) = mail.outbox
    _branded_link_only(message, english=False)
    assert "/accounts/signup/" in _links(message.body)[0]


def test_signing_up_with_a_known_address_says_so_and_links_to_a_password_reset(client, people):
    client.post(
        "/accounts/signup/",
        {"email": people.owner.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    (message,) = mail.outbox
    _branded_link_only(message)
    assert message.subject == "casebridge: you already have an account"
    assert "/accounts/password/reset/" in _links(message.body)[0]


# -- the platform's own ------------------------------------------------------------


def test_the_family_invitation_names_who_invited_in_the_inviters_language(
    people, case, django_capture_on_commit_callbacks
):
    people.owner.full_name, people.owner.preferred_language = "Mei Lin", "zh"
    people.owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        do_invite_family(
            case,
            acting_user=people.owner,
            email="gran@example.org",
            relationship="family",
            can_upload=False,
            can_message=False,
            site_url="https://casebridge.test/",
        )
    (message,) = mail.outbox
    _branded_link_only(message, english=False)
    assert message.subject == "casebridge: Mei 邀请您关注其病例"
    assert "Mei 邀请您以家人身份" in message.body and "Lin" not in message.body  # a first name
    (link,) = _links(message.body)
    assert link.startswith("https://casebridge.test/invitation/")
    assert case.pseudonym not in message.body
    assert User.objects.get(email="gran@example.org").preferred_language == "zh"


def test_a_coordinators_message_notification_links_to_the_consoles_messages_of_the_case(
    client, people, case, django_capture_on_commit_callbacks
):
    case.coordinator = people.coordinator
    case.save()
    client.force_login(people.family, backend="django.contrib.auth.backends.ModelBackend")
    member = case.members.get(user=people.family)
    member.can_message = True
    member.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/cases/{case.pseudonym}/messages/", {"body": "Her pain is worse today"})
    (message,) = mail.outbox
    _branded_link_only(message)
    assert message.to == [people.coordinator.email]
    assert message.subject == f"casebridge: new message on case {case.pseudonym}"
    assert "a family member or caregiver on case" in message.body
    assert _links(message.body) == [
        f"http://testserver/console/cases/{case.pseudonym}/?section=messages#messages"
    ]
    assert "pain" not in message.body and "pain" not in message.subject


def test_a_patients_message_notification_links_to_the_portal_in_their_language(
    people, case, django_capture_on_commit_callbacks
):
    people.owner.preferred_language = "zh"
    people.owner.save()
    case.members.filter(user=people.family).update(can_message=True)
    link = f"https://casebridge.test/cases/{case.pseudonym}/messages/"
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(
            case,
            acting_user=people.coordinator,
            body="Please add the scan from March",
            link=link,
            console_link="https://casebridge.test/console/",
        )
    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == [people.owner.email, people.family.email]
    chinese, english = by_address[people.owner.email], by_address[people.family.email]
    _branded_link_only(chinese, english=False)
    _branded_link_only(english)
    assert chinese.subject == "casebridge: 您有一条新消息"
    assert english.subject == "casebridge: you have a new message"
    assert "the casebridge care team wrote a new message" in english.body
    for message in (chinese, english):
        assert _links(message.body) == [link]
        assert "scan" not in message.body and "March" not in message.body
