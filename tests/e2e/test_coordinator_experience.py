"""The coordinator console as a coordinator with many cases lives it (issue 12),
in headless Chromium, in English and in Chinese.

A coordinator signs in with their second factor, opens the work queue and a
case whose records hold a document that needs a person, two records that
disagree, a finding stated only as possible, a record request still open and
a message from the patient not yet answered. The case opens on "Needs a
person", which lists those five first, each a link to its section; the case is
in sections, none of them a page of thousands of pixels. The coordinator
corrects a fact with the keyboard alone (Enter saves, the focus goes on to the
next fact, a save that changes nothing is announced), answers the patient's message, and the
e-mail that tells them of the patient's next message links to the console, not
to the patient's pages. Every console page passes axe-core's WCAG 2.2 AA rules
with no serious or critical violation; the queue and the overview do not scroll
sideways on a 390 px phone.

Screenshots go with the artifacts (test-artifacts/e2e/<test>/); the ones the
documentation shows are refreshed in docs/screenshots/ with
CASEBRIDGE_UPDATE_DOCS=1, as the patient's test does.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, E2EServer, PageWatch, Shots
from tests.e2e.test_accessibility import FAILING, LANGUAGES, _axe, _lines, _signed_in, _speak
from tests.e2e.test_patient_experience import _docs_shot, _focused, _sideways, _sign_in, _tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LETTER = (
    "Breast Clinic\nDate: 11/09/2026\nDear Dr Smith,\n"
    "Invasive ductal carcinoma, grade 3, left breast. Plan: MDT discussion.\n"
)
PATHOLOGY = (
    "HISTOPATHOLOGY REPORT\nDate of report: 01/09/2026\nSpecimen: Left breast core biopsy.\n"
    "Diagnosis: Invasive ductal carcinoma (NST), grade 2.\n"
)
CT = (
    "CT CHEST ABDOMEN PELVIS\nDate: 20/09/2026\nFindings: 8 mm lesion in segment 6 of the "
    "liver, suspicious for liver metastasis. No lung nodules.\n"
)
PATIENT = "mei.lin@example.org"
COORDINATOR = "carol@casebridge.test"
SECTIONS = ("", "documents", "facts", "missing", "messages", "history")
# The tallest each section may be at desktop width (a case of 300 documents was
# once one 14,000 px page): a page of its own, a screen or a few.
HEIGHT_BOUND = {
    "": 3000,
    "documents": 2000,
    "facts": 3500,
    "missing": 3500,
    "messages": 2000,
    "history": 2000,
}
# what "Needs a person" lists for this case, by the section and place it links to
NEEDS = (
    ("documents", "documents"),
    ("facts", "conflicts"),
    ("facts", "facts"),
    ("missing", "requests"),
    ("messages", "messages"),
)
SAVED = {
    "en": "Fact corrected; the case was brought up to date.",
    "zh": "信息已更正，病例已同步更新。",
}
NOTHING = {
    "en": "Type a different value or choose what the record says to correct it.",
    "zh": "如需更正，请输入不同的值或选择病历的表述。",
}


@dataclass
class Made:
    pseudonym: str
    secret: str


def _made() -> Made:
    """The patient's case: three records read by the worker (a clinic letter and
    a pathology report that disagree on the grade, a CT report whose liver
    finding is only suspicious) and a scan it could not read, a record asked
    for, and the patient's unanswered message."""
    from casebridge.web.accounts.models import Role
    from casebridge.web.cases.actions import (
        do_create_case,
        do_give_consent,
        do_send_message,
        do_upload_document,
    )
    from casebridge.web.console.actions import do_request_records
    from tests.e2e.test_accessibility import _user

    owner, _ = _user(PATIENT, Role.PATIENT, staff=False)
    coordinator, secret = _user(COORDINATOR, Role.COORDINATOR, staff=True)
    case = do_create_case(acting_user=owner, owner=owner, programme="oncology")
    do_give_consent(case, acting_user=owner, kind="processing_art9", text_version="t1")
    for name, text in (
        ("clinic-letter.txt", LETTER),
        ("histology.txt", PATHOLOGY),
        ("ct-report.txt", CT),
        ("scan-photo.txt", "x"),
    ):
        do_upload_document(case, acting_user=owner, file_name=name, data=text.encode())
    case.refresh_from_db()
    do_request_records(case, acting_user=coordinator, title="The CT images")
    do_send_message(case, acting_user=owner, body="Has my CT report arrived?")
    return Made(case.pseudonym, secret)


def _documents_read(server: E2EServer, pseudonym: str) -> None:
    """Wait for the worker to read the four documents, then mark the scan as
    one it could not read (what a blurred photo of a page gives)."""
    from casebridge.web.cases.models import Document

    def states() -> list[str]:
        return list(
            Document.objects.filter(case__pseudonym=pseudonym).values_list("state", flat=True)
        )

    deadline = time.monotonic() + 120
    while any(s in ("queued", "processing") for s in server.db(states)):
        assert time.monotonic() < deadline, "the worker did not read the four documents"
        time.sleep(0.5)

    def mark_scan() -> None:
        for document in Document.objects.filter(case__pseudonym=pseudonym):
            if document.file_name == "scan-photo.txt":
                document.state = Document.State.NEEDS_ATTENTION
                document.reasons = ["The page could not be read: ask for a clearer copy."]
                document.save(update_fields=["state", "reasons"])

    server.db(mark_scan)


def _fact_ids(pseudonym: str) -> list[tuple[str, str, str, str]]:
    from casebridge.web.cases.models import Case

    case = Case.objects.get(pseudonym=pseudonym)
    return [(f["id"], f["kind"], f["value"], f["context"]) for f in case.engine["facts"]]


def _outbox() -> list[Any]:
    from django.core import mail

    return list(mail.outbox)


def test_a_coordinator_works_a_case_in_both_languages(
    e2e_server: E2EServer, browser: Any, watch: PageWatch, shots: Shots
) -> None:
    server = e2e_server
    made = server.db(_made)
    _documents_read(server, made.pseudonym)
    case_url = f"/console/cases/{made.pseudonym}/"
    failing: list[str] = []
    counts: list[str] = []
    heights: list[str] = []

    def check(page: Any, where: str) -> None:
        result = _axe(page)
        serious = [v for v in result["violations"] if v["impact"] in FAILING]
        failing.extend(_lines(where, serious))
        counts.append(
            f"{where}: {sum(len(v['nodes']) for v in serious)} serious or critical, "
            f"{sum(len(v['nodes']) for v in result['violations'])} in all "
            f"({', '.join(v['id'] for v in result['violations']) or 'none'})"
        )

    page = _signed_in(browser, watch, server, COORDINATOR, made.secret)
    for language in LANGUAGES:
        _speak(page, server, language)
        # the queue: the case is there, and opens from it
        response = page.goto(server.path("/console/"))
        assert response is not None and response.status == 200
        assert page.evaluate("() => document.documentElement.lang").lower().startswith(language)
        check(page, f"queue {language}")
        shots(page, f"queue-{language}")
        if language == "en":
            _docs_shot(page, "console-queue-en-desktop")
        page.get_by_role("link", name=made.pseudonym).click()
        page.wait_for_url(f"**{case_url}")

        # the overview opens on what needs a person, those five first, each a link
        todo = page.locator("#todo")
        first = page.locator("main section").first
        assert first.get_attribute("id") == "todo", "the case does not open on what needs a person"
        links = [urlparse(h) for h in todo.locator("a").evaluate_all("l => l.map(a => a.href)")]
        listed = [(re.sub(r"^section=", "", u.query), u.fragment) for u in links]
        assert listed == [(s if s else "", a) for s, a in NEEDS], listed
        heading = "Needs a person" if language == "en" else "需要人工处理"
        assert todo.locator("h2").inner_text().strip() == heading
        shots(page, f"overview-{language}")
        if language == "zh":
            _docs_shot(page, "console-case-overview-zh-desktop")

        # every section is a page of its own, none of them thousands of pixels long
        for section in SECTIONS:
            path = case_url + (f"?section={section}" if section else "")
            response = page.goto(server.path(path))
            assert response is not None and response.status == 200, path
            height = int(page.evaluate("() => document.documentElement.scrollHeight"))
            heights.append(f"{language} {section or 'overview'}: {height} px")
            assert height <= HEIGHT_BOUND[section], (
                f"{section or 'overview'} ({language}) is {height} px tall"
            )
            current = page.locator('nav.case-sections a[aria-current="page"]')
            assert current.count() == 1
            check(page, f"case {section or 'overview'} {language}")
            shots(page, f"section-{section or 'overview'}-{language}")
            if section == "facts" and language == "en":
                _docs_shot(page, "console-facts-en-desktop")
            if section == "documents" and language == "zh":
                _docs_shot(page, "console-documents-zh-desktop")

    # then the work, once in each language (the overview was checked before any of it)
    for language in LANGUAGES:
        _speak(page, server, language)
        _correct_a_fact_with_the_keyboard(page, server, made, language, shots)
        if language == "en":
            _restore_a_fact_marked_wrong(page, server, made, check, shots)
        _answer_the_patient(page, server, made, language, shots)

    # the patient writes again: the coordinator's e-mail links to the console
    patient = browser.new_context(viewport=DESKTOP, locale="en-GB")
    patient.set_default_timeout(20_000)
    patient_page = watch.attach(patient.new_page())
    _sign_in(patient_page, server, PATIENT)
    patient_page.goto(server.path(f"/cases/{made.pseudonym}/messages/"))
    before = len(_outbox())
    patient_page.fill("textarea[name=body]", "Thank you. Should I bring the CT disc?")
    patient_page.get_by_role("button", name="Send").click()
    patient_page.wait_for_load_state()
    patient.close()
    mails = [m for m in _outbox()[before:] if COORDINATOR in m.to]
    assert len(mails) == 1, [m.to for m in _outbox()[before:]]
    (link,) = re.findall(r"https?://\S+", mails[0].body)
    assert urlparse(link).path == case_url, link
    assert "section=messages" in link and "CT disc" not in mails[0].body
    response = page.goto(link)
    assert response is not None and response.status == 200
    assert page.locator("#messages").get_by_text("Should I bring the CT disc?").is_visible()
    shots(page, "new-message-link-opens-the-console")

    # a phone: the queue and the overview never scroll sideways
    page.set_viewport_size(PHONE)
    overflow = []
    for language in LANGUAGES:
        _speak(page, server, language)
        for name, path in (("queue", "/console/"), ("overview", case_url)):
            page.goto(server.path(path))
            if _sideways(page) > 1:
                overflow.append(f"{name} ({language}): scrolls {_sideways(page)} px sideways")
            check(page, f"{name} phone {language}")
            shots(page, f"{name}-phone-{language}")
            if language == "zh" and name == "queue":
                _docs_shot(page, "console-queue-zh-phone")
    page.set_viewport_size(DESKTOP)
    page.context.close()

    shots.note("axe", "\n".join(counts))
    shots.note("heights", "\n".join(heights))
    assert not watch.server_errors, f"the server answered with errors: {watch.server_errors}"
    assert not watch.script_errors, watch.script_errors
    assert not overflow, "console pages wider than a 390 px phone:\n" + "\n".join(overflow)
    assert not failing, (
        f"{len(failing)} serious or critical WCAG 2.2 AA violations (axe-core); all are in "
        f"{shots.folder.name}/axe.txt:\n" + "\n".join(failing)
    )


def _restore_a_fact_marked_wrong(
    page: Any, server: E2EServer, made: Made, check: Any, shots: Shots
) -> None:
    """A fact marked wrong leaves the list for the collapsed "Marked wrong" group
    (axe-checked open), and its Restore puts it back in the list."""
    facts = server.db(lambda: _fact_ids(made.pseudonym))
    target = next(f for f in facts if f[1] not in {"grade", "diagnosis"} and f[3] == "asserted")
    row = page.locator(f"#fact-{target[0]}")
    page.goto(server.path(f"/console/cases/{made.pseudonym}/?section=facts"))
    row.locator("summary").click()
    row.locator("input[name=reason]").fill("The lab repeated the test: see the MDT letter")
    row.get_by_role("button", name="This fact is wrong").click()
    page.wait_for_load_state()
    assert row.count() == 0, "a fact marked wrong is still among the facts"
    check(page, "case facts, the flash message after marking a fact wrong en")
    page.goto(server.path(f"/console/cases/{made.pseudonym}/?section=facts"))
    group = page.locator("#marked-wrong")
    assert group.get_attribute("open") is None, "the Marked wrong group is not collapsed"
    group.locator("summary").click()
    check(page, "case facts, a fact marked wrong en")
    shots(page, "marked-wrong-group-en")
    group.locator(f"#wrong-{target[0]}").get_by_role("button", name="Restore").click()
    page.wait_for_url(f"**#fact-{target[0]}")
    row.wait_for()
    assert page.locator("#marked-wrong").count() == 0
    assert any(f[0] == target[0] for f in server.db(lambda: _fact_ids(made.pseudonym)))


def _correct_a_fact_with_the_keyboard(
    page: Any, server: E2EServer, made: Made, language: str, shots: Shots
) -> None:
    """From the top of the facts section: Tab to a fact's "Check this fact",
    Enter opens it, type the value and the reason, Enter saves; the page comes
    back on the next fact, the focus on it. Then Enter with nothing to save writes
    nothing and says so in the status region (a screen reader reads it), the focus
    back on the same fact."""
    facts = server.db(lambda: _fact_ids(made.pseudonym))
    # English: the letter's grade (the records then agree); Chinese: the diagnosis as written
    kind, new_value = (
        ("grade", "grade 2")
        if language == "en"
        else ("diagnosis", "Invasive ductal carcinoma (NST), grade 2, left breast")
    )
    target = next(f for f in facts if f[1] == kind and f[3] == "asserted")
    ids = [f[0] for f in facts]
    after = ids[ids.index(target[0]) + 1]
    page.goto(server.path(f"/console/cases/{made.pseudonym}/?section=facts"))
    page.locator("main").focus()
    _tab_to(
        page,
        lambda f: (
            f["tag"] == "SUMMARY"
            and page.evaluate("() => document.activeElement.closest('tr').id")
            == f"fact-{target[0]}"
        ),
        f"the {kind}'s “Check this fact” ({language})",
        limit=200,
    )
    page.keyboard.press("Enter")  # opens the row's form
    _tab_to(page, lambda f: f["id"] == f"fact-{target[0]}-value", "the new value")
    page.keyboard.type(new_value)
    _tab_to(page, lambda f: f["id"] == f"fact-{target[0]}-context", "what the record says")
    _tab_to(page, lambda f: f["id"] == f"fact-{target[0]}-reason", "the reason")
    page.keyboard.type("The MDT letter of 11/09/2026 gives the reference grade")
    shots(page, f"correcting-by-keyboard-{language}")
    if language == "en":
        _docs_shot(page, "console-fact-correction-en-desktop")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**#fact-{after}")
    page.get_by_text(SAVED[language]).wait_for()
    page.wait_for_load_state()
    focused_row = page.evaluate(
        "() => { const r = document.activeElement.closest('tr'); return r ? r.id : ''; }"
    )
    assert focused_row == f"fact-{after}", f"the focus is on {_focused(page)}, not the next fact"
    assert _focused(page)["tag"] == "TR"  # the row itself: a screen reader reads the fact
    values = {f[0]: f[2] for f in server.db(lambda: _fact_ids(made.pseudonym))}
    assert values[target[0]] == new_value
    shots(page, f"next-fact-focused-{language}")

    # Enter with neither a value nor a context: nothing is written, the coordinator is
    # told so in the page's status region, and the focus stays on the same fact
    before_save = server.db(lambda: _fact_ids(made.pseudonym))
    page.keyboard.press("Tab")
    assert _focused(page)["tag"] == "SUMMARY" and _focused(page)["outline"]
    page.keyboard.press("Enter")
    _tab_to(page, lambda f: f["id"] == f"fact-{after}-reason", "the next fact's reason")
    page.keyboard.type("checked")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**#fact-{after}")
    status = page.locator("[role=status] ul.flash")
    status.wait_for()
    assert NOTHING[language] in status.inner_text()
    page.wait_for_load_state()
    row = page.evaluate(
        "() => { const r = document.activeElement.closest('tr'); return r ? r.id : ''; }"
    )
    assert row == f"fact-{after}", f"the focus is on {_focused(page)}, not the same fact"
    assert server.db(lambda: _fact_ids(made.pseudonym)) == before_save
    shots(page, f"nothing-changed-announced-{language}")


def _answer_the_patient(
    page: Any, server: E2EServer, made: Made, language: str, shots: Shots
) -> None:
    before = len(_outbox())
    page.goto(server.path(f"/console/cases/{made.pseudonym}/?section=messages"))
    words = {
        "en": "Not yet: we have asked the hospital for it.",
        "zh": "还没有，我们已向医院索取。",
    }[language]
    page.fill("textarea[name=body]", words)
    page.locator("#answer button[type=submit]").click()
    page.wait_for_url("**section=messages#messages")
    assert page.locator("#messages .conversation").get_by_text(words).is_visible()
    if language == "zh":
        _docs_shot(page, "console-messages-zh-desktop")
    sent = [m for m in _outbox()[before:] if PATIENT in m.to]
    assert len(sent) == 1, "the patient was not told of the answer"
    (link,) = re.findall(r"https?://\S+", sent[0].body)
    assert urlparse(link).path == f"/cases/{made.pseudonym}/messages/"
    assert words not in sent[0].body
    # answered: the overview no longer lists the patient's message
    page.goto(server.path(f"/console/cases/{made.pseudonym}/"))
    hrefs = page.locator("#todo a").evaluate_all("l => l.map(a => a.href)")
    assert not [h for h in hrefs if h.endswith("#messages")], hrefs
    shots(page, f"answered-{language}")
