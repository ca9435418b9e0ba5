"""The consent page as a Chinese-reading patient in the UK reads it (issue 12):
the transfer consent says where the department will be named before one is
chosen, its paragraphs join without a stray space, and "abroad" is China, not
境外 (which, read from the UK, points the wrong way)."""

from __future__ import annotations

import pathlib

import pytest

from casebridge.web.cases.actions import do_give_consent
from casebridge.web.portal import content
from tests.web.conftest import switch_language

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _chinese_consent_page(client, people, case) -> str:
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    switch_language(client, "zh-hans")
    return client.get(f"/cases/{case.pseudonym}/consent/").content.decode()


def test_before_a_department_is_chosen_the_page_says_it_will_be_named_there(client, people, case):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    page = _chinese_consent_page(client, people, case)
    assert "发送给下列国家的下列科室" in page
    assert "协调员选定科室后，会在此写明该科室及其所在国家。" in page


def test_the_chinese_consent_paragraphs_have_no_space_after_a_full_stop(client, people, case):
    page = _chinese_consent_page(client, people, case)
    assert "。 " not in page and "； " not in page
    assert "第二诊疗意见。文件以加密方式存储在英国。" in page


def test_the_chinese_pages_say_china_not_jingwai(client, people, case):
    page = _chinese_consent_page(client, people, case)
    assert "境外" not in page and "中国的审阅团队" in page
    assert "发送到英国以外" in page
    assert "境外" not in client.get("/").content.decode()
    for name in ("consents", "guidance"):
        text = (pathlib.Path(content.CONTENT_DIR) / f"{name}.yaml").read_text(encoding="utf-8")
        wording = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert "境外" not in wording, name


def test_the_changed_chinese_consent_wording_has_a_new_dated_version():
    for kind in ("processing_art9", "transfer_abroad"):
        consent = content.consent_text(kind, "zh")
        assert consent.dated == "2026-12-07"
        assert consent.version not in ("processing-2025.1", "transfer-2026.1")
