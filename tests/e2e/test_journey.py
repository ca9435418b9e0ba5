"""A patient's whole journey in a real browser (headless Chromium), and the
red-flag stop. Screenshots of every step: test-artifacts/e2e/<test>/.

The documents go the real way: the upload page's own script posts them, the
upload action queues process_document after the commit, django-tasks-db's
Worker runs it in a thread (tests/e2e/conftest.py), and the engine reads them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, E2EServer, PageWatch, Shots, fresh_totp_step

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast-her2"
PATIENT_EMAIL = "mei.lin@example.org"
PATIENT_PASSWORD = "a long enough patient password"
COORDINATOR_EMAIL = "carol@casebridge.test"
COORDINATOR_PASSWORD = "a long enough coordinator password"
CORRECTION_REASON = (
    "The histopathology report gives Nottingham grade 2; the letter's grade 3 is a typo"
)
PROCESSING_SECONDS = 90
CJK = re.compile(r"[\u4e00-\u9fff]")


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _fill_enquiry(
    page: Any,
    *,
    who: str,
    diagnosis: str,
    now: str,
    questions: str,
    name: str,
    email: str,
    hope: str = "",
) -> None:
    """The enquiry's details step: oncology, the person's own words, the UK, English."""
    page.get_by_label(who).check()
    page.get_by_label("What is it about?").select_option("oncology")
    page.get_by_label("The diagnosis, in your own words").fill(diagnosis)
    page.get_by_label("How things are now, and the current treatment").fill(now)
    if hope:
        page.get_by_label("What you hope a second opinion will help with").fill(hope)
    page.get_by_label("Your questions for the specialists").fill(questions)
    page.get_by_label("Home country").select_option("GB")
    page.get_by_label("English", exact=True).check()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("I agree that casebridge may contact me about this enquiry by e-mail").check()


def _new_page(browser: Any, watch: PageWatch, viewport: dict[str, int] = DESKTOP) -> Any:
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-GB")
    context.set_default_timeout(20_000)
    return watch.attach(context.new_page())


def _no_server_errors(watch: PageWatch, step: str) -> None:
    assert not watch.server_errors, (
        f"{step}: the server answered with errors: {watch.server_errors}"
    )
    assert not watch.script_errors, f"{step}: the page's scripts failed: {watch.script_errors}"


def _confirmation_link(outbox: list[Any], email: str) -> str:
    sent = [m for m in outbox if email in m.to]
    assert sent, f"no e-mail was sent to {email}: outbox {[m.to for m in outbox]}"
    found = re.search(r"https?://\S+/accounts/confirm-email/\S+", sent[-1].body)
    assert found, f"the e-mail to {email} has no confirmation link:\n{sent[-1].body}"
    return found.group(0)


def _sign_in(page: Any, server: E2EServer, email: str, password: str, next_path: str = "") -> None:
    page.goto(server.path("/accounts/login/" + (f"?next={next_path}" if next_path else "")))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"signing in as {email} failed: {page.url}"


def _make_coordinator() -> str:
    """A coordinator with a second factor (staff must have one); returns its
    TOTP secret, from which the test computes the code an authenticator shows."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from casebridge.web.accounts.models import Role, User

    user = User.objects.create_user(
        COORDINATOR_EMAIL, COORDINATOR_PASSWORD, role=Role.COORDINATOR, full_name="Carol Jones"
    )
    EmailAddress.objects.create(user=user, email=COORDINATOR_EMAIL, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _give_totp_code(page: Any, secret: str) -> None:
    """The second step of a staff sign-in: the code of the authenticator app."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    assert "/accounts/2fa/authenticate/" in page.url, f"no second-factor step: {page.url}"
    page.fill("input[name=code]", format_hotp_value(hotp_value(secret, fresh_totp_step())))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    assert "/accounts/2fa/authenticate/" not in page.url, f"the code was refused: {page.url}"


def _document_states() -> list[tuple[str, str, list[str]]]:
    from casebridge.web.cases.models import Document

    return [(d.file_name, d.state, d.reasons) for d in Document.objects.order_by("pk")]


def _wait_for_processing(page: Any, server: E2EServer, expected: int) -> None:
    """Poll the Records page, which refreshes its own list (htmx) while any
    document is waiting or being read, until every one is read."""
    rows = page.locator("#document-list tbody tr")
    pending = page.locator("#document-list .state-queued, #document-list .state-processing")
    deadline = time.monotonic() + PROCESSING_SECONDS
    while time.monotonic() < deadline:
        if rows.count() == expected and pending.count() == 0:
            return
        page.wait_for_timeout(1000)
    states = server.db(_document_states)
    done = [s for s in states if s[1] not in ("queued", "processing")]
    where = (
        "the worker finished but the page never showed it (its polling did not refresh)"
        if len(done) == expected
        else f"the worker ran {server.tasks_run[0]} task(s)"
    )
    pytest.fail(
        f"the records were not all read within {PROCESSING_SECONDS} s: {where}; "
        f"in the database: {states}"
    )


# Whatever sticks out past a phone's screen (outside a scrolling box), and tap
# targets under 24 x 24 px (WCAG 2.2 "target size (minimum)"): noted, not failed.
LAYOUT_PROBE = """() => {
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const scrolls = (el) => {
    // An absolutely placed element escapes a scrolling box that is not positioned.
    if (["absolute", "fixed"].includes(getComputedStyle(el).position)) return false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const wide = [], small = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && !scrolls(el)) wide.push(name(el) + " right=" + Math.round(r.right));
    // Links in running text are exempt; a control inside its label is as big as the label.
    if (!el.matches("button, input:not([type=hidden]), select, summary")) continue;
    const t = (el.closest("label") || el).getBoundingClientRect();
    if (t.width && (t.width < 24 || t.height < 24))
      small.push(name(el) + " " + Math.round(t.width) + "x" + Math.round(t.height) + " " + (el.innerText || el.value || el.type || "").trim().slice(0, 30));
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 12), small: small.slice(0, 12)};
}"""


def _note_phone_layout(page: Any, shots: Shots, step: str) -> None:
    found = page.evaluate(LAYOUT_PROBE)
    lines = [f"{step} ({page.url}): viewport {found['width']} px, page {found['scrollWidth']} px"]
    lines += [f"  wider than the screen: {item}" for item in found["wide"]]
    lines += [f"  small tap target: {item}" for item in found["small"]]
    shots.note("phone-layout", "\n".join(lines))


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _download(page: Any, link_text: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_text, exact=True).click()
    path = info.value.path()
    return Path(path).read_bytes()


def test_a_patient_goes_from_enquiry_to_a_corrected_bilingual_summary(
    e2e_server: E2EServer, browser: Any, watch: PageWatch, shots: Shots, mailoutbox: list[Any]
) -> None:
    expect = _expect()
    server = e2e_server
    records = sorted(p for p in EXAMPLE.iterdir() if p.is_file())
    assert len(records) >= 5, f"the example records are missing from {EXAMPLE}"
    page = _new_page(browser, watch)

    # 1. An anonymous visitor starts a confidential enquiry: the urgency check, all "no".
    page.goto(server.path("/"))
    shots(page, "home")
    page.get_by_role("link", name="Start a confidential enquiry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a confidential enquiry")
    shots(page, "urgency-check")
    page.get_by_label("None of these apply now").check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/enquiry/details/$"))

    # 2. The enquiry: oncology, the details.
    _fill_enquiry(
        page,
        who="I am the patient",
        diagnosis="Breast cancer in the left breast, found after a biopsy this month",
        now="Waiting for surgery; chemotherapy has been mentioned",
        hope="To know whether the treatment plan is the right one",
        questions="Do I need chemotherapy first?",
        name="Mei Lin",
        email=PATIENT_EMAIL,
    )
    shots(page, "enquiry-details")
    page.get_by_role("button", name="Send my enquiry").click()
    expect(page).to_have_url(re.compile(r"/enquiry/sent/$"))
    shots(page, "enquiry-sent")

    # 3. Sign up with the same e-mail address; the verification link comes by e-mail.
    page.get_by_role("link", name="Create my account").click()
    page.fill("input[name=email]", PATIENT_EMAIL)
    page.fill("input[name=password1]", PATIENT_PASSWORD)
    page.fill("input[name=password2]", PATIENT_PASSWORD)
    shots(page, "sign-up")
    page.locator("form:has(input[name=password2]) [type=submit]").click()
    page.wait_for_load_state()
    shots(page, "verification-sent")
    link = _confirmation_link(mailoutbox, PATIENT_EMAIL)
    assert link.startswith(server.url), f"the link points elsewhere: {link}"
    page.goto(link)
    shots(page, "confirm-email")
    page.locator("form[method=post]:has([type=submit])").last.locator("[type=submit]").click()
    page.wait_for_load_state()
    shots(page, "email-confirmed")
    _no_server_errors(watch, "e-mail confirmation")

    # 4. Signed in (at once when ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION is on, else by
    #    signing in): the case opened from the enquiry; consent first.
    if page.get_by_role("button", name="Sign out").count() == 0:
        _sign_in(page, server, PATIENT_EMAIL, PATIENT_PASSWORD)
    else:
        page.goto(server.path("/"))
    shots(page, "my-cases")
    page.locator("a[href^='/cases/CB-']").first.click()
    pseudonym = re.search(r"/cases/(CB-[0-9A-Z]+)/", page.url)
    assert pseudonym, f"no case page after signing in: {page.url}"
    case_path = f"/cases/{pseudonym.group(1)}/"
    expect(page.get_by_text("Before you add records, please give your consent.")).to_be_visible()
    page.get_by_role("link", name="Give consent").first.click()
    expect(page).to_have_url(re.compile(r"/consent/$"))
    shots(page, "consent")
    page.locator("form:has(button[value=give_processing])").get_by_label("I agree").check()
    page.locator("button[value=give_processing]").click()
    expect(page).to_have_url(re.compile(r"/documents/$"))

    # 5. The example records, several files at once through the file input. The
    #    worker holds off until all are in, so the page shows them waiting.
    server.pause_worker()
    page.set_input_files("#id_files", [str(p) for p in records])
    shots(page, "records-chosen")
    page.get_by_role("button", name="Add these records").click()
    # Each file gets a progress row; once the table below lists them, the rows of
    # the files added give way to one line saying how many (refused ones stay).
    summary = page.locator("#progress li.summary")
    expect(summary).to_contain_text(f"{len(records)} records added", timeout=60_000)
    refused = page.locator("#progress li:not(.summary)")
    assert refused.count() == 0, f"not every file was added: {refused.all_inner_texts()}"
    waiting = page.locator("#document-list .state-queued")
    expect(waiting).to_have_count(len(records))
    expect(waiting.first).to_have_text("Waiting to be read")
    shots(page, "records-waiting")

    # 6. The worker reads them; the page refreshes its own list (no reload).
    page.evaluate("window.e2eSamePage = true")
    server.resume_worker()
    _wait_for_processing(page, server, len(records))
    assert page.evaluate("window.e2eSamePage === true"), "the page reloaded instead of polling"
    shots(page, "records-read")
    states = page.locator("#document-list tbody tr .state").all_inner_texts()
    assert all(s in ("Read", "Needs a person to look at it") for s in states), states
    _no_server_errors(watch, "upload and processing")

    # 7. The overview, short: the one next step and a line per section; the
    # facts with sources, the checklist of missing records and a request
    # letter each on their section's own page.
    page.goto(server.path(case_path))
    expect(
        page.get_by_role("heading", name="Your next step").or_(
            page.get_by_role("heading", name="Nothing to do now")
        )
    ).to_be_visible()
    shots(page, "overview")
    page.get_by_role("link", name=re.compile("^What your records say")).click()
    expect(page.get_by_role("heading", level=1, name="What your records say")).to_be_visible()
    facts = page.locator("section[aria-labelledby=h-facts] tbody tr")
    assert facts.count() > 5, "hardly any facts were read from the example records"
    page.goto(server.path(case_path + "missing/"))
    gaps = page.locator("section[aria-labelledby=h-gaps] > ul > li")
    assert gaps.count() >= 1, "no missing records were listed"
    assert "HER2 ISH" in " ".join(gaps.all_inner_texts())
    letters = page.locator("section[aria-labelledby=h-gaps] h2 + ul li a:not([href*=download])")
    assert letters.count() >= 1, "no request letter was offered for the missing records"
    letters.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request letter")
    assert len(page.locator("#letter-text").inner_text()) > 200
    shots(page, "request-letter")

    phone = watch.attach(page.context.new_page())
    phone.set_viewport_size(PHONE)
    letter_path = page.url.replace(server.url, "")
    for step, path in (
        ("phone-my-cases", "/"),
        ("phone-overview", case_path),
        ("phone-records", case_path + "documents/"),
        ("phone-consent", case_path + "consent/"),
        ("phone-request-letter", letter_path),
        ("phone-withdraw-confirmation", case_path + "withdraw/"),
    ):
        phone.goto(server.path(path))
        shots(phone, step)
        _note_phone_layout(phone, shots, step)
    phone.close()

    # 8. A coordinator signs in to the console, opens the case and corrects the grade.
    secret = server.db(_make_coordinator)
    console = _new_page(browser, watch)
    _sign_in(console, server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "/console/")
    _give_totp_code(console, secret)
    console.goto(server.path("/console/"))
    shots(console, "console-queue")
    console.get_by_role("link", name=pseudonym.group(1)).first.click()
    expect(console.get_by_role("heading", level=1)).to_have_text(f"Case {pseudonym.group(1)}")
    # the case opens on what needs a person: the grade conflict is one, linking to the facts
    todo = console.locator("section#todo")
    expect(todo).to_contain_text("conflict between records")
    shots(console, "console-case-overview")
    console.get_by_role("link", name="Facts and timeline").click()
    expect(console.locator("nav.case-sections [aria-current=page]")).to_have_text(
        "Facts and timeline"
    )
    grade_rows = console.locator("#facts tbody tr").filter(
        has=console.locator("th", has_text=re.compile(r"^\s*Grade\s*$"))
    )
    grade_3 = grade_rows.filter(has=console.locator("td", has_text=re.compile(r"^\s*grade 3")))
    assert grade_3.count() >= 1, (
        f"no 'grade 3' fact to correct; the grade rows: {grade_rows.all_inner_texts()}"
    )
    row = grade_3.first
    row.locator("summary", has_text="Check this fact").click()
    row.get_by_label("New value").fill("grade 2")
    row.get_by_label("Why (required").fill(CORRECTION_REASON)
    shots.element(row, "console-correcting")
    row.get_by_role("button", name="Save the correction").click()
    console.wait_for_load_state()
    _no_server_errors(watch, "the correction")
    reason = console.locator("#facts").get_by_text(CORRECTION_REASON).first
    expect(reason).to_be_visible()
    shots(console, "console-corrected")
    corrected_row = console.locator("#facts tbody tr").filter(has_text=CORRECTION_REASON)
    shots.element(corrected_row.first, "console-corrected-row")
    console.context.close()

    # 9. The patient sees the correction and downloads the bilingual summary.
    page.goto(server.path(case_path + "facts/"))
    corrected = page.locator("section[aria-labelledby=h-facts] tbody tr").filter(
        has_text="corrected by a coordinator"
    )
    expect(corrected.first).to_be_visible()
    assert "grade 2" in corrected.first.inner_text()
    shots(page, "overview-corrected")
    shots.element(corrected.first, "overview-corrected-row")

    page.goto(server.path(case_path + "summary-and-downloads/"))
    english = _download(page, "Summary, English (PDF)")
    chinese = _download(page, "Summary, Chinese (PDF)")
    (shots.folder / "summary-en.pdf").write_bytes(english)
    (shots.folder / "summary-zh.pdf").write_bytes(chinese)
    assert english.startswith(b"%PDF"), english[:40]
    assert chinese.startswith(b"%PDF"), chinese[:40]
    english_text, chinese_text = _pdf_text(english), _pdf_text(chinese)
    assert pseudonym.group(1) in english_text
    # The corrected grade, marked as corrected, in both languages.
    assert re.search(r"grade 2\s*\(corrected", english_text), english_text[:3000]
    assert "已更正" in chinese_text, chinese_text[:3000]  # "corrected"
    assert len(CJK.findall(chinese_text)) > 50, "the Chinese summary has (almost) no Chinese text"
    page.goto(server.path(case_path + "summary/zh/"))
    shots(page, "summary-zh-preview")
    _no_server_errors(watch, "the summary")


def test_a_red_flag_answer_shows_999_and_nhs_111_and_the_enquiry_cannot_go_on(
    e2e_server: E2EServer, browser: Any, watch: PageWatch, shots: Shots
) -> None:
    expect = _expect()
    server = e2e_server
    page = _new_page(browser, watch, PHONE)
    page.goto(server.path("/enquiry/"))
    page.get_by_label("Chest pain").check()
    shots(page, "phone-urgency-check-chest-pain")
    _note_phone_layout(page, shots, "phone-urgency-check")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/enquiry/seek-care/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("999")
    expect(heading).to_contain_text("NHS 111")
    shots(page, "phone-seek-care")
    _note_phone_layout(page, shots, "phone-seek-care")

    for path in ("/enquiry/details/", "/enquiry/", "/enquiry/sent/"):
        page.goto(server.path(path))
        expect(page).to_have_url(re.compile(r"/enquiry/seek-care/$"))
    assert page.get_by_role("button", name="Send my enquiry").count() == 0
    _no_server_errors(watch, "the red-flag stop")
    assert server.db(_enquiries) == [("flagged", ["chest_pain"], "")]


def _enquiries() -> list[tuple[str, list[str], str]]:
    from casebridge.web.cases.models import Enquiry

    return [(e.red_flag_state, e.red_flag_answers, e.email) for e in Enquiry.objects.all()]


def test_an_emergency_written_in_the_enquiry_stops_it_and_a_patients_message_pauses_the_case(
    e2e_server: E2EServer, browser: Any, watch: PageWatch, shots: Shots
) -> None:
    expect = _expect()
    server = e2e_server
    page = _new_page(browser, watch, PHONE)

    # 1. Nothing ticked at the urgency check, but the emergency is in the questions box.
    page.goto(server.path("/enquiry/"))
    page.get_by_label("None of these apply now").check()
    page.get_by_role("button", name="Continue").click()
    _fill_enquiry(
        page,
        who="A family member",
        diagnosis="Lung cancer with spread to the spine",
        now="Second cycle of chemo",
        questions="Since yesterday Dad's legs are numb and he can't walk, is that the cancer?",
        name="Sam Lee",
        email="sam.lee@example.org",
    )
    page.get_by_role("button", name="Send my enquiry").click()
    expect(page).to_have_url(re.compile(r"/enquiry/seek-care/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("999")
    expect(page.locator("ul.found")).to_contain_text("legs are numb")
    shots(page, "phone-seek-care-from-free-text")
    _note_phone_layout(page, shots, "phone-seek-care-from-free-text")
    assert server.db(_enquiries) == [("flagged", ["mscc"], "sam.lee@example.org")]

    # 2. A patient with a case writes an emergency in a message, in Chinese: the case
    #    pauses at once and the page says seek local care now.
    pseudonym = server.db(_patient_with_a_case)
    page = _new_page(browser, watch, PHONE)
    _sign_in(page, server, PATIENT_EMAIL, PATIENT_PASSWORD)
    page.goto(server.path(f"/cases/{pseudonym}/messages/"))
    page.get_by_label("Your message").fill("我爸今天早上咳出一口鲜血，现在还在咯血")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert").first).to_contain_text("999")
    expect(page.locator("body")).to_contain_text(
        "Your message mentions something that may need care now"
    )
    shots(page, "phone-message-paused")
    _no_server_errors(watch, "a message that pauses the case")
    assert server.db(lambda: _case_status(pseudonym)) == "paused_safety"


def _patient_with_a_case() -> str:
    from allauth.account.models import EmailAddress

    from casebridge.web.accounts.models import Role, User
    from casebridge.web.cases.actions import do_create_case

    user = User.objects.create_user(
        PATIENT_EMAIL, PATIENT_PASSWORD, role=Role.PATIENT, full_name="Mei Lin"
    )
    EmailAddress.objects.create(user=user, email=PATIENT_EMAIL, verified=True, primary=True)
    return do_create_case(acting_user=user, owner=user, programme="oncology").pseudonym


def _case_status(pseudonym: str) -> str:
    from casebridge.web.cases.models import Case

    return Case.objects.get(pseudonym=pseudonym).status
