"""The coordinator console as a coordinator works a case (issue 12), in English
and in Chinese: every section in the reader's language, in plain words (the
summary's names for document types and fact kinds, history in words, never an
engine key, an audit code or a version number); corrections of a fact made
from its row, Enter saving and the page going on to the next fact, a refusal
coming back in its row with what was typed; and an answer to the patient sent
from the console, the patient e-mailed a link to the portal's messages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from casebridge.web.cases.actions import do_send_message
from casebridge.web.cases.models import Case, Message
from tests.web.test_console_sections import LETTER, PATHOLOGY, _read

pytestmark = pytest.mark.django_db

# a CT report whose liver finding is only "suspicious": a fact stated as possible
CT = (
    "CT CHEST ABDOMEN PELVIS\nDate: 20/09/2026\nFindings: 8 mm lesion in segment 6 of the "
    "liver, suspicious for liver metastasis. No lung nodules.\n"
)
SECTIONS = ("", "documents", "facts", "missing", "messages", "history")
# what an engine or the audit log calls things, never shown to a person
ENGINE_WORDS = re.compile(
    r"mdt_outcome|pathology_report|imaging_report|clinic_letter|metastatic_site|"
    r"\b(?:case|document|fact)\.[a-z_]+\b|\bVersion\b|requests/\d\d-|\.md\b"
)


@pytest.fixture
def worked(people, case) -> Case:
    """A case a coordinator works: a letter and a pathology report that disagree
    on the grade, a CT report stating a liver finding only as possible, and the
    patient's question waiting for an answer."""
    _read(case, people.owner, "letter.txt", LETTER)
    _read(case, people.owner, "histology.txt", PATHOLOGY)
    _read(case, people.owner, "ct.txt", CT)
    case.refresh_from_db()
    do_send_message(case, acting_user=people.owner, body="Has my CT report arrived?")
    return case


def _speaks(user, language: str) -> None:
    """Signed in, the pages follow the account's language (the header's switch sets it)."""
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])


def _page(client, case, section: str = "") -> str:
    query = f"?section={section}" if section else ""
    response = client.get(reverse("console:case", args=[case.pseudonym]) + query, secure=True)
    assert response.status_code == 200, section
    return response.content.decode()


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def _shown(html: str) -> str:
    """The words a person reads (no tags, no attributes, no <option> lists of types)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<select.*?</select>", "", html, flags=re.S))


def _fact(case: Case, kind: str, context: str = "") -> dict:
    case.refresh_from_db()
    return next(
        f
        for f in case.engine["facts"]
        if f["kind"] == kind and (not context or f["context"] == context)
    )


def test_every_section_of_the_case_reads_in_chinese(client, people, worked):
    _speaks(people.coordinator, "zh")
    client.force_login(people.coordinator)
    pages = {section: _main(_page(client, worked, section)) for section in SECTIONS}
    assert "需要人工处理" in pages[""] and "1 处病历记载不一致，需要核对" in pages[""]
    assert "1 条信息在病历中仅记载为可能：请确认或更正" in pages[""]
    assert "1 条患者方消息尚未回复" in pages[""]
    assert "信息与时间线" in pages[""] and "缺少的病历" in pages[""]  # the sections' names
    assert (
        "多学科诊疗（MDT）讨论结论" in pages["documents"]
    )  # the letter's type, the summary's words
    assert "病历记载不一致" in pages["facts"] and "组织学分级" in pages["facts"]
    # values as the summary words them: the grades that disagree, the side, the liver
    assert re.search(r"组织学分级</strong>: 2级\s*/\s*3级", pages["facts"])
    assert "左侧" in pages["facts"] and "肝" in pages["facts"]
    assert "核对此信息" in pages["facts"] and "确认：情况属实，并非仅为可能" in pages["facts"]
    assert "缺少的资料" in pages["missing"] and "向患者索取" in pages["missing"]
    assert "发送回复" in pages["messages"] and "内部备注" in pages["messages"]
    assert "添加了文件" in pages["history"] and "审计记录" in pages["history"]
    for section, html in pages.items():
        assert 'lang="en-GB"' not in html, section  # no part of the page claims to be English
        for english in ("Needs a person", "Documents", "Check this fact", "Send the answer"):
            assert english not in html, (section, english)


def test_no_section_shows_an_engine_key_an_audit_code_or_a_version(client, people, worked):
    client.force_login(people.coordinator)
    for language in ("zh", "en"):
        _speaks(people.coordinator, language)
        for section in SECTIONS:
            shown = _shown(_main(_page(client, worked, section)))
            found = ENGINE_WORDS.findall(shown)
            assert not found, (section, language, found)
    english = _main(_page(client, worked, "documents"))
    assert "MDT outcome" in english and "Pathology report" in english


def test_saving_a_correction_goes_on_to_the_next_fact(client, people, worked):
    grade = _fact(worked, "grade")
    ids = [f["id"] for f in worked.engine["facts"]]
    after = ids[ids.index(grade["id"]) + 1]
    client.force_login(people.coordinator)
    response = client.post(
        reverse("console:correct_fact", args=[worked.pseudonym]),
        {
            "mode": "save",  # what Enter in the row's boxes sends
            "fact_id": grade["id"],
            "value": "grade 2",
            "reason": "Pathology report is the reference",
            "expected_version": worked.version,
        },
        secure=True,
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?section=facts&facts_page=1#fact-{after}")
    assert _fact(worked, "grade")["value"] == "grade 2"
    page = client.get(response["Location"], secure=True).content.decode()
    assert "Fact corrected; the case was brought up to date." in page
    # the row can take the focus: the address's #fact-… moves it there, no script needed
    assert f'<tr id="fact-{after}" tabindex="-1"' in page


def test_confirming_a_possible_fact_states_it_and_it_no_longer_needs_a_person(
    client, people, worked
):
    possible = _fact(worked, "metastatic_site", "possible")
    client.force_login(people.coordinator)
    response = client.post(
        reverse("console:correct_fact", args=[worked.pseudonym]),
        {
            "mode": "confirm",
            "fact_id": possible["id"],
            "reason": "MRI of 02/10/2026 confirms it",
            "expected_version": worked.version,
        },
        secure=True,
    )
    assert response.status_code == 302
    assert _fact(worked, "metastatic_site")["context"] == "asserted"
    assert "stated only as possible" not in _page(client, worked)


def test_an_empty_correction_is_told_nothing_changed_in_the_page_language(client, people, worked):
    """Enter with nothing typed is not an error (no 400): nothing is saved, and the
    coordinator is told so, back at the fact."""
    grade = _fact(worked, "grade")
    _speaks(people.coordinator, "zh")
    client.force_login(people.coordinator)
    response = client.post(
        reverse("console:correct_fact", args=[worked.pseudonym]),
        {
            "mode": "save",
            "fact_id": grade["id"],
            "value": "",
            "context": "",
            "reason": "the MDT said so",
            "expected_version": worked.version,
        },
        secure=True,
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#fact-{grade['id']}")
    page = client.get(response["Location"], secure=True).content.decode()
    assert "未作更改" in page
    assert _fact(worked, "grade")["value"] == grade["value"]


def test_a_coordinator_answers_from_the_console_and_the_patient_is_emailed_the_portal_link(
    client, people, worked, django_capture_on_commit_callbacks
):
    client.force_login(people.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:send_message", args=[worked.pseudonym]),
            {"body": "Not yet: we have asked the hospital for it."},
            secure=True,
        )
    assert response.status_code == 302
    assert response["Location"].endswith("?section=messages#messages")
    assert Message.objects.filter(case=worked, sender=people.coordinator).count() == 1
    (sent,) = mail.outbox
    assert sent.to == [people.owner.email]
    assert f"https://testserver/cases/{worked.pseudonym}/messages/" in sent.body
    assert "asked the hospital" not in sent.body  # a link only, never the words
    assert "not answered yet" not in _page(client, worked)


def test_an_answer_that_promises_is_refused_and_kept(client, people, worked):
    client.force_login(people.coordinator)
    response = client.post(
        reverse("console:send_message", args=[worked.pseudonym]),
        {"body": "We guarantee the team will accept your case."},
        secure=True,
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="messages"' in page and "We guarantee the team will accept your case." in page
    assert not Message.objects.filter(case=worked, sender=people.coordinator).exists()
