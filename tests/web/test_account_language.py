"""Signed in, the pages speak the account's language (preferred_language),
whichever browser the person signs in from; the header's switcher changes it
for good. Signed out, the switcher's cookie or the browser's languages decide."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.web.conftest import PASSWORD, switch_language

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
CHINESE_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def _speaks_chinese(page: str) -> bool:
    return '<html lang="zh-Hans">' in page


def _sign_in(client: Client, email: str, **headers: str) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(
        email=email, defaults={"user_id": _user_id(email), "verified": True, "primary": True}
    )
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD}, **headers)
    assert response.status_code == 302 and "/accounts/" not in response["Location"]


def _user_id(email: str) -> int:
    from casebridge.web.accounts.models import User

    return User.objects.get(email=email).pk


def test_a_chinese_account_signing_in_from_an_english_browser_reads_chinese(people, case):
    people.owner.preferred_language = "zh"
    people.owner.save()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"  # a shared computer's last choice
    _sign_in(client, people.owner.email, **ENGLISH_BROWSER)
    page = client.get(f"/cases/{case.pseudonym}/", **ENGLISH_BROWSER)
    assert _speaks_chinese(page.content.decode())
    assert page["Content-Language"] == "zh-hans"


def test_an_english_account_reads_english_whatever_the_browser_asks_for(client, people, case):
    client.force_login(people.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(f"/cases/{case.pseudonym}/", **CHINESE_BROWSER).content.decode()
    assert '<html lang="en-GB">' in page and "Your case" in page


def test_the_switcher_changes_the_accounts_language_and_every_later_page_and_sign_in_follow(
    client, people, case
):
    client.force_login(people.owner)
    switch_language(client, "zh-hans")
    people.owner.refresh_from_db()
    assert people.owner.preferred_language == "zh"
    assert _speaks_chinese(client.get(f"/cases/{case.pseudonym}/family/").content.decode())
    # another day, another computer whose browser speaks English
    elsewhere = Client()
    _sign_in(elsewhere, people.owner.email, **ENGLISH_BROWSER)
    page = elsewhere.get(f"/cases/{case.pseudonym}/", **ENGLISH_BROWSER).content.decode()
    assert _speaks_chinese(page)
    switch_language(elsewhere, "en-gb")
    people.owner.refresh_from_db()
    assert people.owner.preferred_language == "en"
    assert not _speaks_chinese(client.get(f"/cases/{case.pseudonym}/").content.decode())


def test_signed_in_the_cookie_follows_the_account_so_signing_out_keeps_the_language(client, people):
    people.owner.preferred_language = "zh"
    people.owner.save()
    client.force_login(people.owner)
    response = client.get("/", **ENGLISH_BROWSER)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    client.post("/accounts/logout/")
    assert _speaks_chinese(client.get("/", **ENGLISH_BROWSER).content.decode())


def test_an_anonymous_visitor_reads_the_browsers_language_then_the_switchers(client):
    assert _speaks_chinese(client.get("/", **CHINESE_BROWSER).content.decode())
    assert not _speaks_chinese(client.get("/", **ENGLISH_BROWSER).content.decode())
    switch_language(client, "zh-hans")
    assert _speaks_chinese(client.get("/", **ENGLISH_BROWSER).content.decode())


def test_a_staff_member_reads_their_accounts_language_too(client, people):
    people.reviewer.preferred_language = "zh"
    people.reviewer.save()
    client.force_login(people.reviewer)
    page = client.get("/accounts/2fa/", **ENGLISH_BROWSER).content.decode()
    assert _speaks_chinese(page)
