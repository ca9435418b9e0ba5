"""The console and portal pages render in Simplified Chinese when asked."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from casebridge.web.cases.models import Enquiry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_every_interface_string_has_a_chinese_translation():
    with translation.override("zh-hans"):
        assert translation.gettext("Work queue") == "工作队列"
        assert translation.gettext("Clear the red flag") == "解除危险信号"
        assert translation.gettext("Their goals") == "希望达到的目标"


def test_the_console_queue_and_an_enquiry_render_in_chinese(client, people):
    flagged = Enquiry.objects.create(
        full_name="Flagged Person",
        email="f@example.org",
        goals="A plan",
        red_flag_state=Enquiry.RedFlag.FLAGGED,
    )
    people.coordinator.preferred_language = "zh"  # signed in, the pages follow the account
    people.coordinator.save()
    client.force_login(people.coordinator)
    page = client.get(reverse("console:queue"), secure=True).content.decode()
    assert "工作队列" in page and "危险信号：请先与以下人员沟通" in page
    assert "Work queue" not in page
    page = client.get(
        reverse("console:enquiry", args=[flagged.pk]), secure=True, **ZH
    ).content.decode()
    assert "解除危险信号" in page and "希望达到的目标" in page and "A plan" in page


def test_the_enquiry_pages_render_in_chinese(client):
    page = client.get("/enquiry/", **ZH).content.decode()
    assert 'lang="zh' in page or "zh-hans" in page
    client.post("/enquiry/", {"red_flags": ["chest_pain"]})
    client.post("/enquiry/seek-care/", {"email": "sam@example.org"})
    page = client.get("/enquiry/seek-care/", **ZH).content.decode()
    assert "拨打 999（急救）" in page
    assert "在任何手机或电脑上继续您的咨询" in page
    page = client.get("/enquiry/details/", {"resume": "broken"}, **ZH).content.decode()
    assert "此链接无法使用" in page
