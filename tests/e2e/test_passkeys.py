"""Passkeys (issue 10: "passkeys where feasible"), in a real browser: a patient
adds one (the phone's or computer's screen lock; here Chromium's virtual
authenticator, through the DevTools protocol) and signs in with it, without a
password; a coordinator who has one may use it as the second step after the
password, in place of the authenticator app's code.

WebAuthn works on https or on localhost only, so the browser opens the test
server as http://localhost:<port> (allauth is told to accept that origin)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import E2EServer, PageWatch, Shots, fresh_totp_step

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "a long enough passkey password"
PATIENT = "priya@passkeys.casebridge.test"
COORDINATOR = "carol@passkeys.casebridge.test"


def _account(email: str, role: str) -> Any:
    from allauth.account.models import EmailAddress

    from casebridge.web.accounts.models import User

    user = User.objects.create_user(email, PASSWORD, role=role, full_name=email.split("@")[0])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _with_authenticator(browser: Any) -> tuple[Any, Any]:
    """A browser context whose pages have a platform authenticator with user
    verification (as a phone's fingerprint or a laptop's PIN is)."""
    context = browser.new_context()
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return context, page


def _sign_in_with_password(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()


def _add_passkey(page: Any, base: str, name: str, secret: str = "", used: int = -1) -> None:
    """Add a key; allauth asks who it is again first: the password, or for a
    person with an authenticator app its code (a later one than `used`)."""
    page.goto(base + "/accounts/2fa/webauthn/add/")
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        page.locator("form:has(input[name=password]) [type=submit]").click()
        page.wait_for_url(lambda url: "/webauthn/add/" in url)
    elif "/accounts/2fa/reauthenticate/" in page.url:
        page.fill("input[name=code]", _code(secret, after=used))
        page.locator("form:has(input[name=code]) [type=submit]").click()
        page.wait_for_url(lambda url: "/webauthn/add/" in url)
    page.fill("input[name=name]", name)
    passwordless = page.locator("input[name=passwordless]")
    if passwordless.count():
        passwordless.check()
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add/" not in url, timeout=20_000)


def _code(secret: str, after: int) -> str:
    """The authenticator app's code of a time step later than `after` (a code is
    accepted once), never one about to expire."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    step = fresh_totp_step()
    while step <= after:
        time.sleep(1)
        step = fresh_totp_step()
    return str(format_hotp_value(hotp_value(secret, step)))


def _sign_out(page: Any, base: str) -> None:
    page.goto(base + "/accounts/logout/")
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()


def test_a_patient_adds_a_passkey_then_signs_in_with_it_without_a_password(
    browser: Any, e2e_server: E2EServer, settings: Any, shots: Shots, watch: PageWatch
) -> None:
    from allauth.mfa.models import Authenticator

    from casebridge.web.accounts.models import Role

    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    base = e2e_server.url.replace("127.0.0.1", "localhost")
    user = e2e_server.db(lambda: _account(PATIENT, Role.PATIENT))
    context, page = _with_authenticator(browser)
    watch.attach(page)
    _sign_in_with_password(page, base, PATIENT)
    assert "/accounts/login/" not in page.url
    _add_passkey(page, base, "My phone")
    shots(page, "passkey-added")
    keys = e2e_server.db(
        lambda: list(Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN))
    )
    assert len(keys) == 1

    _sign_out(page, base)
    page.goto(base + "/accounts/login/")
    shots(page, "sign-in-with-a-passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=20_000)
    page.wait_for_load_state()
    shots(page, "signed-in-with-the-passkey")
    assert "/accounts/" not in page.url, page.url  # no password, no second step asked
    signed = e2e_server.db(lambda: Authenticator.objects.get(pk=keys[0].pk).last_used_at)
    assert signed is not None
    assert not watch.server_errors and not watch.script_errors, watch
    context.close()


def test_a_coordinator_may_give_a_passkey_as_the_second_step_after_the_password(
    browser: Any, e2e_server: E2EServer, settings: Any, shots: Shots, watch: PageWatch
) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from casebridge.web.accounts.models import Role

    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    base = e2e_server.url.replace("127.0.0.1", "localhost")

    def coordinator() -> str:
        user = _account(COORDINATOR, Role.COORDINATOR)
        secret = generate_totp_secret()
        TOTP.activate(user, secret)  # staff must have TOTP (they keep it)
        return secret

    secret = e2e_server.db(coordinator)
    context, page = _with_authenticator(browser)
    watch.attach(page)
    _sign_in_with_password(page, base, COORDINATOR)
    step = fresh_totp_step()
    page.fill("input[name=code]", _code(secret, after=step - 1))
    page.locator("form:has(input[name=code]) [type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/2fa/authenticate/" not in url)
    _add_passkey(page, base, "Office laptop", secret, used=step)
    _sign_out(page, base)

    _sign_in_with_password(page, base, COORDINATOR)
    assert "/accounts/2fa/authenticate/" in page.url, page.url
    shots(page, "second-step-choices")
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(lambda url: "/accounts/2fa/" not in url, timeout=20_000)
    page.goto(base + "/console/")
    assert "/console/" in page.url and "/accounts/" not in page.url, page.url
    assert not watch.server_errors and not watch.script_errors, watch
    context.close()
