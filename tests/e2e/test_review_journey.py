"""The second-opinion half of issue 11 in a real browser (headless Chromium):
a coordinator chooses a department from the ranked, explained matches; the
patient consents to that named department and approves the version of the pack
that would be sent; the coordinator sends it and opens the case to a reviewing
team; the reviewers (invited from the console, enrolling their own second
factor) read it in their workspace in Chinese, open the CT series in the image
viewer, write their opinions; the lead signs the team's; the coordinator
releases it and the patient reads it. Screenshots: test-artifacts/e2e/<test>/,
and the few the documentation shows (docs/review.md): refreshed in docs/screenshots/ with
CASEBRIDGE_UPDATE_DOCS=1.

The set-up before the browser (a patient with a case whose records are read)
goes through the real actions: the records are uploaded with
do_upload_document and read by the worker thread (tests/e2e/conftest.py); the
case moves to "ready for review" with do_change_status.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    REPO,
    E2EServer,
    PageWatch,
    Shots,
    fresh_totp_step,
)
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The documentation's copies are refreshed only when asked (CASEBRIDGE_UPDATE_DOCS=1):
# a test run never changes the checkout; otherwise they go with the artifacts.
DOCS_SHOTS = (
    REPO / "docs" / "screenshots"
    if os.environ.get("CASEBRIDGE_UPDATE_DOCS")
    else REPO / "test-artifacts" / "e2e" / "docs-screenshots"
)
PATIENT_EMAIL = "mei.lin@example.org"
PATIENT_PASSWORD = "a long enough patient password"
COORDINATOR_EMAIL = "carol@casebridge.test"
COORDINATOR_PASSWORD = "a long enough coordinator password"
LEAD_EMAIL = "li.radiology@hospital.test"
LEAD_NAME = "Li Wei"
LEAD_PASSWORD = "a long enough reviewer password"
SECOND_EMAIL = "wang.pathology@hospital.test"
SECOND_NAME = "Wang Fang"
SECOND_PASSWORD = "another long enough reviewer password"
SECOND_DIRECTION = "建议先行新辅助化疗联合抗HER2靶向治疗，再评估手术。"
TEAM_SUMMARY = "浸润性导管癌，HER2阳性。建议新辅助治疗后手术，有望根治。"
TEAM_DISAGREEMENT = "病理科建议先行新辅助治疗；影像科认为可以先手术。团队最终建议先行新辅助治疗。"
# The report as a hospital prints it: the patient named on it (the pack must hide it).
REPORT = "Patient: Mei LIN   NHS number: 943 476 5919   Date of birth: 14/03/1971\n" + PATHOLOGY
PROCESSING_SECONDS = 120
CJK = re.compile(r"[\u4e00-\u9fff]")


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


# -- second factors ----------------------------------------------------------------------


@dataclass
class Authenticator:
    """An authenticator app: the code of now, but never one already used (allauth
    takes each code once), so a second step in the same 30 s waits for the next,
    and never one about to expire."""

    secret: str
    used: set[int] = field(default_factory=set)

    def code(self) -> str:
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        while (step := fresh_totp_step()) in self.used:
            time.sleep(0.5)
        self.used.add(step)
        return format_hotp_value(hotp_value(self.secret, step))


def _give_code(page: Any, app: Authenticator, where: str) -> None:
    page.fill("input[name=code]", app.code())
    page.locator("form:has(input[name=code]) [type=submit]").first.click()
    page.wait_for_load_state()
    assert where not in page.url, f"the code was refused at {where}: {page.url}"


def _reauthenticate_if_asked(page: Any, app: Authenticator) -> bool:
    """A fresh second factor before a step that sends a case abroad (or signs):
    allauth's page takes a TOTP code, then carries out the kept POST."""
    if "/accounts/2fa/reauthenticate/" not in page.url:
        return False
    _give_code(page, app, "/accounts/2fa/reauthenticate/")
    return True


# -- pages -------------------------------------------------------------------------------


def _new_page(
    browser: Any, watch: PageWatch, viewport: dict[str, int] = DESKTOP, locale: str = "en-GB"
) -> Any:
    context = browser.new_context(viewport=viewport, locale=locale)
    context.set_default_timeout(20_000)
    return watch.attach(context.new_page())


def _no_server_errors(watch: PageWatch, step: str) -> None:
    assert not watch.server_errors, (
        f"{step}: the server answered with errors: {watch.server_errors}"
    )
    assert not watch.script_errors, f"{step}: the page's scripts failed: {watch.script_errors}"


def _sign_in(page: Any, server: E2EServer, email: str, password: str) -> None:
    page.goto(server.path("/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"signing in as {email} failed: {page.url}"


def _sign_in_staff(page: Any, server: E2EServer, email: str, password: str, app: Any) -> None:
    _sign_in(page, server, email, password)
    assert "/accounts/2fa/authenticate/" in page.url, f"no second-factor step: {page.url}"
    _give_code(page, app, "/accounts/2fa/authenticate/")


def _doc_shot(page: Any, name: str) -> Path:
    """A copy for the documentation: the first screen only, as a small PNG."""
    from PIL import Image

    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot(full_page=False)))
    path = DOCS_SHOTS / f"{name}.png"
    image.convert("RGB").quantize(colors=128).save(path, optimize=True)
    return path


# -- the set-up through the real actions -------------------------------------------------


def _ct_study() -> bytes:
    """pydicom's small CT, with the patient's own name and number in it."""
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientName, ds.PatientID = "Lin^Mei", "9434765919"
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def _patient_with_records() -> str:
    """Mei Lin, her oncology case, her consent to processing, and her records
    uploaded (the worker reads them)."""
    from allauth.account.models import EmailAddress

    from casebridge.web.accounts.models import Role, User
    from casebridge.web.cases.actions import do_create_case, do_give_consent, do_upload_document

    user = User.objects.create_user(
        PATIENT_EMAIL, PATIENT_PASSWORD, role=Role.PATIENT, full_name="Mei Lin"
    )
    EmailAddress.objects.create(user=user, email=PATIENT_EMAIL, verified=True, primary=True)
    case = do_create_case(acting_user=user, owner=user, programme="oncology")
    do_give_consent(case, acting_user=user, kind="processing_art9", text_version="1")
    for name, data in (("histology.txt", REPORT.encode()), ("ct-chest.dcm", _ct_study())):
        case.refresh_from_db()
        do_upload_document(case, acting_user=user, file_name=name, data=data)
    return case.pseudonym


def _document_states(pseudonym: str) -> list[tuple[str, str]]:
    from casebridge.web.cases.models import Document

    return [(d.file_name, d.state) for d in Document.objects.filter(case__pseudonym=pseudonym)]


def _wait_for_records(server: E2EServer, pseudonym: str) -> None:
    deadline = time.monotonic() + PROCESSING_SECONDS
    while time.monotonic() < deadline:
        states = server.db(lambda: _document_states(pseudonym))
        if len(states) == 2 and all(s not in ("queued", "processing") for _n, s in states):
            assert all(s in ("processed", "needs_attention") for _n, s in states), states
            return
        time.sleep(1)
    pytest.fail(f"the records were not read within {PROCESSING_SECONDS} s: {states}")


def _ready_for_review(pseudonym: str) -> None:
    from casebridge.web.accounts.models import User
    from casebridge.web.cases import workflow
    from casebridge.web.cases.actions import do_change_status
    from casebridge.web.cases.models import Case

    coordinator = User.objects.get(email=COORDINATOR_EMAIL)
    for status in (workflow.TRIAGE, workflow.COLLECTING_RECORDS, workflow.READY_FOR_REVIEW):
        case = Case.objects.get(pseudonym=pseudonym)
        if case.status != status:
            do_change_status(
                case, acting_user=coordinator, status=status, expected_version=case.version
            )


def _make_coordinator() -> str:
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


def _another_case() -> str:
    """Another patient's case: the viewer's URL of this series under its
    reference must not open."""
    from casebridge.web.accounts.models import Role, User
    from casebridge.web.cases.actions import do_create_case

    other = User.objects.create_user("eve@example.org", "x" * 20, role=Role.PATIENT)
    return do_create_case(acting_user=other, owner=other, programme="oncology").pseudonym


def _set_password_as_the_link_would(email: str, password: str) -> None:
    """What the e-mailed set-a-password link does, done directly (the links are
    tested elsewhere): a password, and the address, proved by the link, verified."""
    from allauth.account.models import EmailAddress

    from casebridge.web.accounts.models import User

    user = User.objects.get(email=email)
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )


def _case_status(pseudonym: str) -> str:
    from casebridge.web.cases.models import Case

    return Case.objects.get(pseudonym=pseudonym).status


def _audited(pseudonym: str, action: str) -> int:
    from casebridge.web.cases.models import AuditEvent

    return AuditEvent.objects.filter(case__pseudonym=pseudonym, action=action).count()


@pytest.fixture
def stop_orthanc() -> Iterator[None]:
    """The embedded image server the pack's images start is stopped afterwards."""
    from casebridge.web.cases import orthanc

    if orthanc.binary() is None:
        pytest.skip("Orthanc is not installed (scripts/install.sh installs it)")
    yield
    orthanc.stop_embedded()


# -- the journey -------------------------------------------------------------------------


def _reviewer_enrols_and_opens_the_workspace(
    page: Any, server: E2EServer, email: str, password: str
) -> Authenticator:
    """Sign in with the password set from the link, enrol TOTP on allauth's own
    enrolment page (the secret read from the page, as one types it into an app)."""
    _sign_in(page, server, email, password)
    page.goto(server.path("/review/"))
    assert "/accounts/2fa/totp/activate/" in page.url or "/accounts/reauthenticate/" in page.url, (
        f"a reviewer without a second factor reached {page.url}"
    )
    if "/accounts/reauthenticate/" in page.url:  # allauth: the password again first
        page.fill("input[name=password]", password)
        page.locator("form:has(input[name=password]) [type=submit]").click()
        page.wait_for_load_state()
    assert "/accounts/2fa/totp/activate/" in page.url, page.url
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), f"no TOTP secret on the page: {secret!r}"
    app = Authenticator(secret)
    _give_code(page, app, "/accounts/2fa/totp/activate/")
    page.goto(server.path("/review/"))
    assert page.url.endswith("/review/"), f"the workspace did not open: {page.url}"
    return app


def test_a_case_goes_from_the_ranked_matches_to_a_signed_opinion_the_patient_reads(
    e2e_server: E2EServer,
    browser: Any,
    watch: PageWatch,
    shots: Shots,
    mailoutbox: list[Any],
    stop_orthanc: None,
) -> None:
    expect = _expect()
    server = e2e_server
    started = time.monotonic()

    # 0. A patient's case whose records (a pathology report and a CT) are read.
    coordinator_app = Authenticator(server.db(_make_coordinator))
    ref = server.db(_patient_with_records)
    _wait_for_records(server, ref)
    server.db(lambda: _ready_for_review(ref))

    # 1. The coordinator sees the ranked, explained matches and chooses a department.
    console = _new_page(browser, watch)
    _sign_in_staff(console, server, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, coordinator_app)
    case_url = server.path(f"/console/cases/{ref}/")
    console.goto(case_url)
    matching = console.locator("section#matching")
    expect(matching).to_be_visible()
    matches = matching.locator("ol.matches > li")
    assert matches.count() >= 2, "fewer than two departments were ranked"
    best = matches.first
    assert "Matched:" in best.inner_text(), f"the best match is not explained: {best.inner_text()}"
    department = best.locator("label strong").inner_text()
    direction_id = best.locator("input[name=direction]").get_attribute("value")
    shots(console, "console-matching")
    best.locator("input[name=direction]").check()
    for discipline in ("radiology", "pathology"):
        matching.locator(f"input[name=disciplines][value={discipline}]").check()
    matching.get_by_role("button", name="Choose this department").click()
    console.wait_for_load_state()
    _reauthenticate_if_asked(console, coordinator_app)
    expect(console.locator("section#matching .chosen")).to_contain_text(department)
    expect(console.locator("section#matching .chosen")).to_contain_text("Radiology")
    assert server.db(lambda: _case_status(ref)) == "matched"
    _no_server_errors(watch, "choosing a department")

    # 2. The patient consents to the named department...
    patient = _new_page(browser, watch)
    _sign_in(patient, server, PATIENT_EMAIL, PATIENT_PASSWORD)
    patient.goto(server.path(f"/cases/{ref}/consent/"))
    transfer = patient.locator("form:has(button[value=give_transfer])")
    expect(transfer).to_contain_text(department)
    shots(patient, "patient-consent-to-the-department")
    transfer.locator("input[name=t-recipient]").first.check()
    transfer.get_by_label("I agree").check()
    transfer.locator("button[value=give_transfer]").click()
    patient.wait_for_load_state()
    expect(patient.locator("section[aria-labelledby=h-t] .given")).to_contain_text(department)

    # ... the coordinator prepares a version of the pack (the worker builds it) ...
    console.goto(case_url)
    pack_section = console.locator("section#pack")
    pack_section.get_by_role("button", name=re.compile("^Prepare a new version")).click()
    console.wait_for_load_state()
    expect(console.locator("section#pack")).to_contain_text("Version 1")

    # ... and the patient looks at "What would be sent" and approves it.
    approve = patient.get_by_role("button", name="Approve this version")
    deadline = time.monotonic() + PROCESSING_SECONDS
    while time.monotonic() < deadline:
        patient.goto(server.path(f"/cases/{ref}/pack/"))
        if approve.count():
            break
        assert "could not be prepared" not in patient.locator("main").inner_text()
        patient.wait_for_timeout(1000)
    expect(approve).to_be_visible()
    what = patient.locator("main")
    expect(what).to_contain_text(f"To: {department}")
    expect(what).to_contain_text("Summary in Chinese")
    expect(what.locator("h3", has_text="Images")).to_be_visible()
    expect(what).to_contain_text("CT")
    shots(patient, "patient-what-would-be-sent")
    patient.locator("form:has(button:text('Approve this version')) input[type=checkbox]").check()
    approve.click()
    patient.wait_for_load_state()
    expect(patient.locator("main")).to_contain_text("You approved this version")

    # 3. The coordinator ticks the redaction check and sends the version.
    console.goto(case_url)
    send = console.locator("section#pack form:has(button:text('Send version 1'))")
    send.locator("input[name=checked]").check()
    shots.element(console.locator("section#pack"), "console-pack-approved")
    send.get_by_role("button", name="Send version 1 to the department").click()
    console.wait_for_load_state()
    _reauthenticate_if_asked(console, coordinator_app)
    expect(console.locator("section#pack")).to_contain_text("Versions sent")
    assert server.db(lambda: _case_status(ref)) == "under_review"
    _no_server_errors(watch, "approving and sending the pack")

    # 4. The coordinator invites two reviewers of the department and opens the case
    #    to them: a radiologist who leads, a pathologist.
    console.goto(server.path("/console/reviewers/"))
    for email, name, discipline in (
        (LEAD_EMAIL, LEAD_NAME, "radiology"),
        (SECOND_EMAIL, SECOND_NAME, "pathology"),
    ):
        console.get_by_label("Work e-mail address").fill(email)
        console.get_by_label("Name").fill(name)
        console.get_by_label("Department").select_option(direction_id)
        console.locator(f"input[name=disciplines][value={discipline}]").check()
        console.get_by_role("button", name="Invite").click()
        console.wait_for_load_state()
        expect(console.locator("table")).to_contain_text(email)
    shots(console, "console-reviewers")
    invited = [m for m in mailoutbox if LEAD_EMAIL in m.to]
    assert invited and "/accounts/password/reset/" in invited[-1].body, "no invitation e-mail"

    console.goto(case_url)
    team = console.locator("section#review")
    expect(team).to_contain_text("Reviewing team at")
    for name, discipline in ((LEAD_NAME, "radiology"), (SECOND_NAME, "pathology")):
        team.get_by_role("checkbox", name=name, exact=True).check()
        team.get_by_label(f"Discipline of {name}").select_option(discipline)
    team.get_by_role("radio", name=f"{LEAD_NAME} leads").check()
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    team.locator("#review-due").fill(due)
    team.get_by_role("button", name="Open the case to these reviewers").click()
    console.wait_for_load_state()
    seats = console.locator("section#review > ul")
    expect(seats).to_contain_text(f"{LEAD_NAME} ({LEAD_EMAIL}): Radiology · lead")
    expect(seats).to_contain_text(f"{SECOND_NAME} ({SECOND_EMAIL}): Pathology")
    shots.element(console.locator("section#review"), "console-reviewing-team")
    _no_server_errors(watch, "inviting reviewers and opening the case")

    # 5. The lead reviewer: a password (as the e-mailed link sets it), a second
    #    factor enrolled on the real page, the workspace in Chinese.
    server.db(lambda: _set_password_as_the_link_would(LEAD_EMAIL, LEAD_PASSWORD))
    server.db(lambda: _set_password_as_the_link_would(SECOND_EMAIL, SECOND_PASSWORD))
    lead = _new_page(browser, watch)
    lead_app = _reviewer_enrols_and_opens_the_workspace(lead, server, LEAD_EMAIL, LEAD_PASSWORD)
    assert lead.locator("html").get_attribute("lang") == "zh-Hans"
    expect(lead.get_by_role("heading", level=1)).to_have_text("待审阅病例")
    row = lead.locator("table.queue tbody tr", has_text=ref)
    expect(row).to_contain_text(due)
    shots(lead, "reviewer-workspace-zh")
    row.get_by_role("link", name=ref).click()
    expect(lead).to_have_url(re.compile(rf"/review/cases/{ref}/$"))
    assert lead.locator("html").get_attribute("lang") == "zh-Hans"
    body = lead.locator("main").inner_text()
    assert len(CJK.findall(body)) > 100, "the reviewer's case page is hardly in Chinese"
    for identifier in ("Mei", "LIN", "943 476 5919", "9434765919", "14/03/1971"):
        assert identifier not in body, f"{identifier!r} reached the reviewer's case page"
    # what was sent: the summaries and the FHIR bundle name the case, never the patient
    files = lead.locator("section[aria-labelledby=h-files] ul.spaced").first.locator("a")
    assert files.count() >= 6, files.all_inner_texts()
    for i in range(files.count()):
        sent_file = lead.request.get(server.path(files.nth(i).get_attribute("href") or ""))
        assert sent_file.status == 200, files.nth(i).inner_text()
        if "pdf" in sent_file.headers.get("content-type", ""):
            continue
        text = sent_file.text()
        for identifier in ("943 476 5919", "9434765919", "14/03/1971", "Mei LIN", "Lin^Mei"):
            assert identifier not in text, f"{identifier!r} is in {files.nth(i).inner_text()}"
    shots(lead, "reviewer-case-zh")
    _doc_shot(lead, "review-case-zh-desktop")

    # The CT series in the viewer, through the gate; another case's URL answers 404.
    images = lead.locator("h3", has_text="影像").locator("xpath=following-sibling::ul[1]")
    link = images.locator("a").first
    expect(link).to_contain_text("CT")
    href = link.get_attribute("href")
    assert href and re.fullmatch(
        rf"/review/cases/{ref}/images/\d+/web-viewer/app/viewer\.html\?series=[0-9a-f-]+", href
    ), href
    answers: list[tuple[int, str]] = []  # every request the viewer makes, from the start
    lead.context.on(
        "response",
        lambda r: (
            answers.append((r.status, r.url))
            if "/web-viewer/" in r.url or r.status >= 400
            else None
        ),
    )
    with lead.context.expect_page() as opened:
        link.click()
    viewer = watch.attach(opened.value)
    viewer.wait_for_load_state("networkidle")
    expect(viewer.locator("canvas").first).to_be_attached(timeout=30_000)
    viewer.wait_for_timeout(1500)  # the first image drawn
    # the viewer's overlay names the case (the de-identified copy), never the patient
    expect(viewer.locator("body")).to_contain_text(ref)
    assert "Lin" not in viewer.locator("body").inner_text()
    shots.note("viewer-requests", "\n".join(f"{s} {u}" for s, u in answers))
    failed = [(s, u) for s, u in answers if s >= 400]
    assert answers and not failed, f"the viewer's requests were refused: {failed}"
    assert any("cornerstone" in u for _s, u in answers), "the viewer's scripts did not load"
    shots(viewer, "reviewer-viewer")
    _doc_shot(viewer, "review-viewer-desktop")
    other_ref = server.db(_another_case)
    elsewhere = href.replace(f"/review/cases/{ref}/", f"/review/cases/{other_ref}/")
    assert lead.request.get(server.path(elsewhere)).status == 404
    assert server.db(lambda: _audited(ref, "images.opened")) >= 1
    viewer.set_viewport_size(PHONE)
    viewer.wait_for_timeout(800)
    shots(viewer, "phone-reviewer-viewer")
    _doc_shot(viewer, "review-viewer-phone")
    viewer.close()

    # 6. The second reviewer writes and submits the pathology opinion.
    second = _new_page(browser, watch)
    _reviewer_enrols_and_opens_the_workspace(second, server, SECOND_EMAIL, SECOND_PASSWORD)
    second.goto(server.path(f"/review/cases/{ref}/"))
    mine = second.locator("section#mine")
    mine.locator("input[name=agreement][value=partly]").check()
    mine.locator("textarea[name=diagnosis_note]").fill("病理提示浸润性导管癌，2级，HER2 3+。")
    mine.locator("textarea[name=direction]").fill(SECOND_DIRECTION)
    shots(second, "second-reviewer-writing")
    mine.locator("button[name=submit][value='1']").click()
    second.wait_for_load_state()
    expect(second.locator("section#mine .given")).to_be_visible()
    _no_server_errors(watch, "the second reviewer's opinion")

    # The lead reads it, writes the team's opinion with a disagreement and signs.
    lead.reload()
    expect(lead.locator("section[aria-labelledby=h-submitted]")).to_contain_text(SECOND_DIRECTION)
    mine = lead.locator("section#mine")
    mine.locator("input[name=agreement][value=agree]").check()
    mine.locator("textarea[name=direction]").fill("影像未见远处转移征象。")
    mine.locator("button[name=submit][value='1']").click()
    lead.wait_for_load_state()
    team_form = lead.locator("section#team form").first
    team_form.locator("textarea[name=summary]").fill(TEAM_SUMMARY)
    team_form.locator("input[name=agreement][value=agree]").check()
    team_form.locator("textarea[name=direction]").fill(SECOND_DIRECTION)
    team_form.locator("textarea[name=disagreements]").fill(TEAM_DISAGREEMENT)
    team_form.locator("select[name=language]").select_option("zh")
    team_form.locator("button[type=submit]").click()
    lead.wait_for_load_state()
    sign = lead.locator("section#team form[action$='/sign'] button[type=submit]")
    expect(sign).to_be_visible()
    shots(lead, "lead-draft-saved")
    sign.click()
    lead.wait_for_load_state()
    assert _reauthenticate_if_asked(lead, lead_app), (
        f"signing did not ask for a fresh second factor: {lead.url}"
    )
    signed = lead.locator("section#signed article")
    expect(signed).to_have_count(1)
    expect(signed).to_contain_text(TEAM_SUMMARY)
    expect(signed).to_contain_text(TEAM_DISAGREEMENT)
    assert server.db(lambda: _case_status(ref)) == "opinion_ready"
    shots(lead, "reviewer-case-signed-zh")
    lead.set_viewport_size(PHONE)
    lead.goto(server.path(f"/review/cases/{ref}/"))
    shots(lead, "phone-reviewer-case-zh")
    _doc_shot(lead, "review-case-zh-phone")
    _no_server_errors(watch, "the team's opinion and its signature")

    # 7. The coordinator sees the opinion with its highlighted phrase and releases it.
    console.goto(case_url)
    opinion = console.locator("section#opinion")
    expect(opinion).to_contain_text("Version 1: signed by " + LEAD_NAME)
    expect(opinion.locator("dd mark").first).to_have_text("根治")
    expect(opinion).to_contain_text("1 phrase highlighted")
    expect(opinion).to_contain_text(TEAM_DISAGREEMENT)
    expect(opinion).to_contain_text(SECOND_DIRECTION)  # the discipline opinion beside it
    shots.element(opinion, "console-opinion-highlighted")
    opinion.locator("input[name=checked]").check()
    opinion.get_by_role("button", name="Release version 1 to the patient").click()
    console.wait_for_load_state()
    expect(console.locator("section#opinion .given")).to_contain_text("Released to the patient")
    _no_server_errors(watch, "releasing the opinion")

    # The patient sees that the opinion is ready and reads it.
    patient.goto(server.path(f"/cases/{ref}/"))
    expect(patient.get_by_text("The reviewing team's opinion is ready.")).to_be_visible()
    shots(patient, "patient-opinion-ready")
    patient.get_by_role("link", name="Read the opinion").click()
    expect(patient).to_have_url(re.compile(rf"/cases/{ref}/opinion/$"))
    reading = patient.locator("main")
    expect(reading.locator("section[lang=zh-Hans]")).to_contain_text(TEAM_SUMMARY)
    expect(reading).to_contain_text("Where the team did not agree")
    expect(reading).to_contain_text(TEAM_DISAGREEMENT)
    expect(reading).to_contain_text("not a diagnosis or a treatment plan")
    shots(patient, "patient-opinion")
    _doc_shot(patient, "patient-opinion-desktop")
    patient.set_viewport_size(PHONE)
    patient.reload()
    shots(patient, "phone-patient-opinion")
    _doc_shot(patient, "patient-opinion-phone")
    _no_server_errors(watch, "the patient reading the opinion")
    shots.note("run-time", f"{time.monotonic() - started:.0f} s")
