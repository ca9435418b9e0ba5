"""The privacy notice and the terms as a first-time user reads them (issue 12):
the retention periods the software enforces, in words, in both languages; the
day of the wording, never a version id; and a contact that works without a case."""

from __future__ import annotations

import pytest

from tests.web.conftest import switch_language

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def test_the_privacy_notice_states_the_retention_periods_from_the_settings(client, settings):
    settings.RETENTION_DAYS, settings.ENQUIRY_RETENTION_DAYS = 2922, 90
    page = client.get("/privacy/").content.decode()
    assert "a case is erased 8 years after it is closed or withdrawn" in page
    assert "90 days after it was last touched" in page
    assert "must state its retention periods" not in page and "{case_retention}" not in page
    switch_language(client, "zh-hans")
    page = client.get("/privacy/").content.decode()
    assert "病例在结束或撤回 8 年后删除" in page and "最后一次更新 90 天后删除" in page
    assert "[运营本网站的机构" not in page


def test_the_legal_pages_show_the_day_of_their_wording_not_a_version_id(client):
    for url in ("/privacy/", "/terms/"):
        page = client.get(url).content.decode()
        assert "This wording is of 7 December 2026." in page
        assert "template-2026" not in page and "Version " not in page
    switch_language(client, "zh-hans")
    page = client.get("/privacy/").content.decode()
    assert "本文本的日期：2026年12月7日。" in page and "版本" not in page


def test_without_a_contact_set_the_privacy_notice_gives_the_sites_email_address(client, settings):
    settings.CASEBRIDGE_OPERATOR_CONTACT = ""
    settings.DEFAULT_FROM_EMAIL = "casebridge <help@hospital.example>"
    page = client.get("/privacy/").content.decode()
    assert "Contact: help@hospital.example." in page
    assert "in your case’s messages" not in page and "your case&#x27;s messages" not in page
    settings.CASEBRIDGE_OPERATOR_CONTACT = "privacy@hospital.example"
    assert "privacy@hospital.example" in client.get("/privacy/").content.decode()
