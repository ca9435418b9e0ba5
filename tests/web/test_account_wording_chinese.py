"""The sign-up, sign-in, confirmation, password and two-step pages a Chinese-reading
patient sees speak the site's Chinese (电子邮箱地址, 两步登录), not English or
allauth's own wording, and the e-mails say plainly why they were sent (issue 12)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def test_a_too_short_password_at_sign_up_is_refused_in_chinese(client):
    page = client.post(
        "/accounts/signup/",
        {"email": "mei@example.org", "password1": "short", "password2": "short"},
        **CHINESE,
    ).content.decode()
    assert "这个密码太短：至少需要 12 个字符。" in page
    assert "too short" not in page


def test_every_password_rule_has_a_chinese_message():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with translation.override("zh-hans"):
        for password in ("short", "12345678901234", "password123456"):
            with pytest.raises(ValidationError) as refused:
                validate_password(password)
            assert all(not message.isascii() for message in refused.value.messages)


def test_the_reauthentication_page_asks_for_the_password_in_the_sites_wording(people):
    from allauth.account.models import EmailAddress

    people.owner.preferred_language = "zh"
    people.owner.save()
    EmailAddress.objects.create(
        email=people.owner.email, user=people.owner, verified=True, primary=True
    )
    client = Client()
    client.force_login(people.owner)
    page = client.get("/accounts/reauthenticate/", **CHINESE).content.decode()
    assert "请输入您的密码：" in page and "其他方式" in page
    assert "输入您的密码:" not in page and "可选项" not in page


def test_the_password_reset_and_confirmation_messages_say_dianzi_youxiang_dizhi(client):
    page = client.get("/accounts/password/reset/", **CHINESE).content.decode()
    assert "电子邮箱地址" in page and "电子邮件地址" not in page
    with translation.override("zh-hans"):
        confirmed = translation.gettext("You have confirmed %(email)s.")
        assert confirmed == "您已确认电子邮箱地址 %(email)s。"
        assert "Email" not in translation.gettext("Two-Factor Authentication")
        assert translation.gettext("Two-Factor Authentication") == "两步登录"


def test_the_confirmation_email_says_plainly_why_it_came_in_both_languages(client):
    client.post(
        "/accounts/signup/",
        {"email": "mei@example.org", "password1": PASSWORD, "password2": PASSWORD},
        **CHINESE,
    )
    (message,) = mail.outbox
    assert "我们收到了用这个电子邮箱地址注册 casebridge 的请求。" in message.body
    assert "我们希望是您本人" not in message.body
    mail.outbox.clear()
    Client().post(
        "/accounts/signup/",
        {"email": "tom@example.org", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en-GB",
    )
    (message,) = mail.outbox
    assert "We have received a request to sign up to casebridge" in message.body
    assert "we hope you" not in message.body
