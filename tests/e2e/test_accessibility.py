"""The second opinion's pages pass axe-core's WCAG 2.2 AA rules in a real
browser (headless Chromium), in English and in Chinese: the patient's pages,
the coordinator console's case and reviewers pages, and the reviewer
workspace. A serious or critical violation fails the test; every violation,
whatever its impact, and what axe could not decide, is written beside the
screenshots (test-artifacts/e2e/<test>/axe.txt).

axe-core comes from tests/e2e/axe (its lock file; scripts/install.sh runs
`npm ci` there). It is evaluated in the page through the DevTools protocol, so
the page keeps its own Content-Security-Policy.

The case is made with the platform's own actions (tests/web/reviewing.py): read,
a department chosen, the patient's consents, a pack sent, two reviewers on it,
the team's opinion signed and released to the patient, and a new version of the
pack waiting for the patient's approval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, E2EServer, PageWatch, Shots, fresh_totp_step

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = ("serious", "critical")
PASSWORD = "a long enough accessibility password"
LANGUAGES = {"en": "en-gb", "zh": "zh-hans"}

TEAM_OPINION = {
    "summary": "病理支持浸润性导管癌，建议按现有方案继续。",
    "agreement": "agree",
    "diagnosis_note": "HER2 3+ 与报告一致。",
    "staging": "cT2 N1 M0",
    "direction": "新辅助治疗后手术。",
    "further_tests": "乳腺MRI",
    "trials": "",
    "questions_back": "是否已做胚系BRCA检测？",
    "disagreements": "肿瘤内科认为可考虑先手术。",
    "language": "zh",
}


@dataclass
class Cast:
    """Who the real actions of tests/web/reviewing.py need (its `people`)."""

    owner: Any
    coordinator: Any


@dataclass
class Scenario:
    pseudonym: str
    coordinator_secret: str
    lead_email: str
    lead_secret: str


def _user(email: str, role: str, *, staff: bool) -> tuple[Any, str]:
    from allauth.account.models import EmailAddress

    from casebridge.web.accounts.models import User
    from tests.web.conftest import enrol_totp

    user = User.objects.create_user(email, PASSWORD, role=role, full_name=email.split("@")[0])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, enrol_totp(user) if staff else ""


def _scenario() -> Scenario:
    from allauth.account.models import EmailAddress

    from casebridge.web.accounts.models import Role
    from casebridge.web.cases.actions import do_create_case
    from casebridge.web.cases.models import CasePack
    from casebridge.web.cases.opinions import (
        do_release_opinion,
        do_save_discipline_opinion,
        do_save_opinion_draft,
        do_sign_opinion,
    )
    from tests.web.reviewing import make_sent, make_team, sent_pack

    owner, _ = _user("mei.lin@example.org", Role.PATIENT, staff=False)
    coordinator, coordinator_secret = _user("carol@casebridge.test", Role.COORDINATOR, staff=True)
    cast = Cast(owner=owner, coordinator=coordinator)
    created = do_create_case(acting_user=owner, owner=owner, programme="oncology")
    case, best, _assignment, lead, onc, _idle = make_team(cast, make_sent(cast, created))
    for reviewer in (lead, onc):  # invited reviewers set a password from the e-mailed link
        reviewer.set_password(PASSWORD)
        reviewer.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=reviewer, email=reviewer.email, defaults={"verified": True, "primary": True}
        )
    do_save_discipline_opinion(
        case,
        acting_user=onc,
        fields={"agreement": "partly", "direction": "先手术", "diagnosis_note": "分期存疑"},
        submit=True,
    )
    draft = do_save_opinion_draft(case, acting_user=lead, fields=TEAM_OPINION)
    case.refresh_from_db()
    signed = do_sign_opinion(
        case, acting_user=lead, number=draft.number, expected_version=case.version
    )
    case.refresh_from_db()
    do_release_opinion(case, acting_user=coordinator, number=signed.number)
    case.refresh_from_db()
    sent_pack(case, coordinator, best, number=2, state=CasePack.State.READY)
    return Scenario(case.pseudonym, coordinator_secret, lead.email, lead.totp_secret)


# -- signing in --------------------------------------------------------------------------


def _signed_in(
    browser: Any, watch: PageWatch, server: E2EServer, email: str, secret: str = ""
) -> Any:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = watch.attach(context.new_page())
    page.goto(server.path("/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()
    if secret:
        assert "/accounts/2fa/authenticate/" in page.url, f"{email}: no second factor: {page.url}"
        code = format_hotp_value(hotp_value(secret, fresh_totp_step()))
        page.fill("input[name=code]", code)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_load_state()
    assert "/accounts/" not in page.url, f"signing in as {email} failed: {page.url}"
    return page


def _speak(page: Any, server: E2EServer, language: str) -> None:
    """The language a person chooses. Signed out, the header's switcher sets
    Django's django_language cookie; signed in, the pages follow the account's
    language, which only the switcher changes: so it is pressed on an open page."""
    page.context.add_cookies(
        [{"name": "django_language", "value": LANGUAGES[language], "url": server.url}]
    )
    if page.url.startswith(server.url):
        with page.expect_navigation():
            page.locator(f".lang-switch button[value={LANGUAGES[language]}]").click()


# -- axe ---------------------------------------------------------------------------------


def _axe(page: Any) -> dict[str, Any]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result: dict[str, Any] = page.evaluate(
        "async (tags) => {"
        "  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        "  return {violations: r.violations, incomplete: r.incomplete, passes: r.passes.length};"
        "}",
        WCAG_22_AA,
    )
    return result


def _lines(where: str, found: list[dict[str, Any]]) -> list[str]:
    lines = []
    for rule in found:
        for node in rule["nodes"]:
            lines.append(
                f"{where}: [{rule['impact']}] {rule['id']} ({rule['help']}) at "
                f"{' > '.join(map(str, node['target']))}: {node['html'][:240]}"
            )
    return lines


# -- the test ----------------------------------------------------------------------------


def test_the_second_opinions_pages_have_no_serious_accessibility_violations_in_either_language(
    e2e_server: E2EServer, browser: Any, watch: PageWatch, shots: Shots
) -> None:
    assert AXE.is_file(), "axe-core is not installed in tests/e2e/axe: run scripts/install.sh"
    server = e2e_server
    made = server.db(_scenario)
    case = f"/cases/{made.pseudonym}/"
    pages = {
        "patient": (
            "mei.lin@example.org",
            "",
            [
                ("case overview", case),
                ("pack preview", case + "pack/"),
                ("opinion", case + "opinion/"),
                ("consent", case + "consent/"),
                ("activity", case + "activity/"),
            ],
        ),
        "coordinator": (
            "carol@casebridge.test",
            made.coordinator_secret,
            [
                ("console case", f"/console/cases/{made.pseudonym}/"),
                ("console documents", f"/console/cases/{made.pseudonym}/?section=documents"),
                ("console facts", f"/console/cases/{made.pseudonym}/?section=facts"),
                ("console missing", f"/console/cases/{made.pseudonym}/?section=missing"),
                ("console messages", f"/console/cases/{made.pseudonym}/?section=messages"),
                ("console history", f"/console/cases/{made.pseudonym}/?section=history"),
                ("console reviewers", "/console/reviewers/"),
            ],
        ),
        "lead reviewer": (
            made.lead_email,
            made.lead_secret,
            [
                ("reviewer home", "/review/"),
                ("reviewer case", f"/review/cases/{made.pseudonym}/"),
            ],
        ),
    }
    failing: list[str] = []
    report: list[str] = []
    counts: list[str] = []
    for who, (email, secret, visits) in pages.items():
        page = _signed_in(browser, watch, server, email, secret)
        for language in LANGUAGES:
            _speak(page, server, language)
            for name, path in visits:
                response = page.goto(server.path(path))
                assert response is not None and response.status == 200, (
                    f"{who}, {name} ({language}): {path} answered "
                    f"{response.status if response else 'nothing'}"
                )
                html_lang = page.evaluate("() => document.documentElement.lang")
                assert html_lang.lower().startswith(language), (
                    f"{who}, {name}: asked for {language}, the page says lang={html_lang!r}"
                )
                shots(page, f"{who}-{name}-{language}".replace(" ", "-"))
                result = _axe(page)
                where = f"{name} ({language}) {path}"
                serious = [v for v in result["violations"] if v["impact"] in FAILING]
                failing += _lines(where, serious)
                report += _lines(where, result["violations"])
                report += [
                    "  could not decide: " + line for line in _lines(where, result["incomplete"])
                ]
                counts.append(
                    f"{where}: {sum(len(v['nodes']) for v in serious)} serious or critical, "
                    f"{sum(len(v['nodes']) for v in result['violations'])} in all, "
                    f"{result['passes']} rules passed "
                    f"({', '.join(v['id'] for v in result['violations']) or 'none'})"
                )
        page.context.close()
    shots.note("axe", "\n".join(counts + [""] + report))
    assert not watch.server_errors, f"the server answered with errors: {watch.server_errors}"
    assert not failing, (
        f"{len(failing)} serious or critical WCAG 2.2 AA violations (axe-core); every "
        f"violation is listed in {shots.folder.name}/axe.txt:\n" + "\n".join(failing)
    )


# -- what axe does not decide: two known faults of the lead reviewer's case page ----------


def _lead_reviewers_case_page(client: Any, settings: Any) -> str:
    from casebridge.web.accounts.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    made = _scenario()
    client.force_login(User.objects.get(email=made.lead_email))
    page = client.get(f"/review/cases/{made.pseudonym}/", secure=True)
    assert page.status_code == 200
    return str(page.content.decode())


def test_the_lead_reviewers_case_page_has_a_short_plain_title(
    db: None, client: Any, settings: Any
) -> None:
    html = _lead_reviewers_case_page(client, settings)
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title, "the page has no <title>"
    text = title.group(1).strip()
    assert len(text) < 120 and "<" not in text, f"the title is {len(text)} characters: {text[:300]}"


def test_the_lead_reviewers_two_opinion_forms_give_their_fields_ids_of_their_own(
    db: None, client: Any, settings: Any
) -> None:
    html = _lead_reviewers_case_page(client, settings)
    body = re.sub(r"<title>.*?</title>", "", html, flags=re.S)
    ids = re.findall(r"\bid=\"([^\"]+)\"", body)
    shared = sorted({i for i in ids if ids.count(i) > 1})
    assert not shared, f"ids used more than once on the lead reviewer's case page: {shared}"
