"""The family page, the invitation's refusals and "who opened my case" read in
Chinese whole: the relationship, what each person may do, the refusals and every
thing the access log can say someone did."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest
from django.utils import translation

from casebridge.web.cases import audit
from casebridge.web.cases.actions import do_invite_member
from casebridge.web.portal.lib.activity import AUDIT_TEXT, action_text
from tests.web.conftest import switch_language

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

WEB = Path(__file__).resolve().parents[2] / "casebridge" / "web"


def _chinese_page(client, user, path: str, data: dict | None = None) -> str:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    switch_language(client, "zh-hans")
    response = client.post(path, data) if data is not None else client.get(path)
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def test_the_family_page_names_the_relationship_and_what_each_may_do_in_chinese(
    client, people, case
):
    do_invite_member(
        case,
        acting_user=people.owner,
        email="gran@example.org",
        relationship="caregiver",
        can_upload=True,
        can_message=True,
        can_approve=True,
    )
    page = _chinese_page(client, people.owner, f"/cases/{case.pseudonym}/family/")
    assert "bob（bob@example.org）— 家人" in page and "权限：可以查看、添加病历。" in page
    assert "gran@example.org — 照护者" in page
    assert "权限：可以查看、添加病历、发送消息、批准发送的内容。" in page
    for english in ("Family member", "Caregiver", "can view", ", add records"):
        assert english not in page


def test_inviting_oneself_is_refused_in_chinese_on_the_chinese_page(client, people, case):
    page = _chinese_page(
        client,
        people.owner,
        f"/cases/{case.pseudonym}/family/",
        {"email": people.owner.email, "relationship": "family"},
    )
    assert "您不能邀请自己加入自己的病例。" in page and "You cannot invite yourself" not in page


def test_inviting_someone_already_invited_is_refused_in_chinese(client, people, case):
    page = _chinese_page(
        client,
        people.owner,
        f"/cases/{case.pseudonym}/family/",
        {"email": people.family.email, "relationship": "family"},
    )
    assert "bob@example.org 已经可以查看这个病例了。" in page


def _case_actions() -> set[str]:
    """Every audit action the platform writes about a case: the literal third
    argument of audit.record(...) calls whose case is not None, both branches of
    a conditional, and the do_record_read(action=...) reads."""
    found: set[str] = set()
    for path in WEB.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name == "record" and len(node.args) >= 3:
                case_arg, action = node.args[1], node.args[2]
                if isinstance(case_arg, ast.Constant) and case_arg.value is None:
                    continue
                values = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
                found |= {v.value for v in values if isinstance(v, ast.Constant)}
            if name == "do_record_read":
                found |= {
                    k.value.value
                    for k in node.keywords
                    if k.arg == "action" and isinstance(k.value, ast.Constant)
                }
    return found


def test_every_thing_the_log_can_say_someone_did_has_words_in_both_languages():
    actions = _case_actions()
    assert {"case.read", "images.opened", "question.moved", "member.revoked"} <= actions
    assert not actions - set(AUDIT_TEXT), sorted(actions - set(AUDIT_TEXT))
    with translation.override("zh-hans"):
        english = [a for a in actions if re.search(r"[a-z]{3}", str(action_text(a)))]
    assert not english, english


def test_the_chinese_log_names_an_anonymous_visitor_and_joins_the_times_the_chinese_way(
    client, people, case
):
    audit.record(None, case, "member.invitation_link_refused", actor_label="anonymous")
    for _ in range(2):
        audit.record(people.owner, case, "question.added")
    page = _chinese_page(client, people.owner, f"/cases/{case.pseudonym}/activity/")
    assert "未登录的访客" in page and "打开了一个已失效的邀请链接" in page
    assert "添加了一个问题" in page
    times = re.search(r"查看每一次的时间</summary><p>([^<]*)</p>", page)
    assert times is not None and "、" in times.group(1) and ", " not in times.group(1)
    assert "anonymous" not in page and "question added" not in page
