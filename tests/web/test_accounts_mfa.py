"""A second factor (allauth.mfa: TOTP with recovery codes) required for
coordinators, reviewers and admins, offered to patients; a fresh second factor
before a case is matched with a team abroad. Real codes, computed here from
the authenticator's secret as an authenticator app would."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.actions import do_change_status
from casebridge.web.cases.models import AuditEvent, DirectionChoice
from tests.web.conftest import PASSWORD, enrol_totp, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _verified(user) -> None:
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def _new_coordinator(email: str = "nina@casebridge.test") -> User:
    user = User.objects.create_user(email, PASSWORD, role=Role.COORDINATOR)
    _verified(user)
    return user


def _password_step(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


def _wait_for_next_code(secret: str) -> str:
    """A code no earlier step of the test used (each code works once)."""
    first = totp_code(secret)
    while totp_code(secret) == first:
        time.sleep(0.5)
    return totp_code(secret)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.REVIEWER, Role.ADMIN])
def test_staff_without_a_second_factor_reach_only_its_enrolment(client, case, role):
    user = User.objects.create_user(f"new-{role}@casebridge.test", PASSWORD, role=role)
    client.force_login(user)
    for url in ("/console/", f"/console/cases/{case.pseudonym}/", "/", f"/cases/{case.pseudonym}/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/2fa/totp/activate/"), url
    assert client.get("/accounts/2fa/").status_code == 200
    assert not AuditEvent.objects.filter(action="case.read").exists()


def test_a_coordinator_enrols_with_a_real_code_gets_recovery_codes_and_then_the_console(client):
    coordinator = _new_coordinator()
    assert _password_step(client, coordinator).status_code == 302  # no second factor yet
    sent = client.get("/console/")["Location"]
    assert sent.startswith("/accounts/2fa/totp/activate/")
    # the password was typed a moment ago: not asked again before the factor is added
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown for typing into the app, with the QR code
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=coordinator).exists()
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    types = set(Authenticator.objects.filter(user=coordinator).values_list("type", flat=True))
    assert types == {"totp", "recovery_codes"}
    assert client.get("/console/").status_code == 200


def test_an_enrolled_coordinator_is_asked_for_the_code_at_every_sign_in(client, people):
    coordinator = people.coordinator
    _verified(coordinator)
    response = _password_step(client, coordinator)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # the password alone does not sign in
    assert client.get("/console/")["Location"].startswith("/accounts/login/")

    client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.get(action="login.mfa_failed")
    assert failed.object_id == str(coordinator.pk) and failed.actor_label == "anonymous"

    client.post("/accounts/2fa/authenticate/", {"code": totp_code(coordinator.totp_secret)})
    assert client.session["_auth_user_id"] == str(coordinator.pk)
    assert client.get("/console/").status_code == 200


def test_a_totp_code_works_once_even_from_another_browser(people):
    from django.test import Client

    coordinator = people.coordinator
    _verified(coordinator)
    code = totp_code(coordinator.totp_secret)
    first, second = Client(), Client()
    for browser in (first, second):
        browser.post("/accounts/login/", {"login": coordinator.email, "password": PASSWORD})
        browser.post("/accounts/2fa/authenticate/", {"code": code})
    assert first.session["_auth_user_id"] == str(coordinator.pk)
    assert "_auth_user_id" not in second.session  # the shared cache remembers the used code


def test_a_recovery_code_signs_in_once(client, people):
    coordinator = people.coordinator
    _verified(coordinator)
    codes = RecoveryCodes.activate(coordinator).generate_codes()
    _password_step(client, coordinator)
    client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert client.session["_auth_user_id"] == str(coordinator.pk)
    client.post("/accounts/logout/")
    _password_step(client, coordinator)
    client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert "_auth_user_id" not in client.session


def test_staff_cannot_remove_their_totp_but_a_patient_can(client, people):
    client.force_login(people.coordinator)
    client.post("/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(user=people.coordinator, type="totp").exists()

    enrol_totp(people.owner)
    client.force_login(people.owner)
    page = client.get("/accounts/2fa/totp/deactivate/")
    assert page.status_code in (200, 302)  # offered (after re-authentication)


def test_a_patient_is_offered_a_second_factor_but_not_required(client, people, case):
    client.force_login(people.owner)
    assert client.get(f"/cases/{case.pseudonym}/").status_code == 200
    assert reverse("mfa_index") in client.get("/").content.decode()  # the header offers it
    assert client.get("/accounts/2fa/").status_code == 200


def test_a_patient_who_enrolled_gives_the_code_at_sign_in(client, people):
    _verified(people.owner)
    secret = enrol_totp(people.owner)
    assert _password_step(client, people.owner)["Location"] == "/accounts/2fa/authenticate/"
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.session["_auth_user_id"] == str(people.owner.pk)


def test_totp_secrets_are_stored_encrypted_not_readable_in_a_dump(people):
    stored = Authenticator.objects.get(user=people.coordinator, type="totp").data["secret"]
    assert stored.startswith("cb1:") and people.coordinator.totp_secret not in stored


# -- re-authentication before a case goes abroad --------------------------------------


def _ready_for_review(case, people):
    for status in ("triage", "collecting_records", "ready_for_review"):
        case = do_change_status(
            case, acting_user=people.coordinator, status=status, expected_version=case.version
        )
    # a department chosen (tests/web/test_matching.py covers the choice itself)
    DirectionChoice.objects.create(
        case=case, direction_id="fuscc-breast-surgery", chosen_by=people.coordinator
    )
    return case


def _match(client, case):
    url = reverse("console:change_status", args=[case.pseudonym])
    data = {"status": "matched", "expected_version": case.version, "reason": "Team found."}
    return client.post(url, data)


def test_matching_a_case_with_a_team_abroad_needs_a_fresh_second_factor(client, people, case):
    case = _ready_for_review(case, people)
    client.force_login(people.coordinator)  # signed in long ago, as far as the session knows
    response = _match(client, case)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    case.refresh_from_db()
    assert case.status == "ready_for_review"  # nothing sent yet

    # the code, then the kept request is carried out
    page = client.post(
        response["Location"], {"code": totp_code(people.coordinator.totp_secret)}, follow=False
    )
    assert page.status_code == 302
    case.refresh_from_db()
    assert case.status == "matched"
    # after is sealed with the case's key: read, not searched in the database
    changes = AuditEvent.objects.filter(action="case.status_changed")
    assert any(event.after["status"] == "matched" for event in changes)


def test_a_password_alone_does_not_reauthenticate_staff_for_sending_abroad(client, people, case):
    case = _ready_for_review(case, people)
    client.force_login(people.coordinator)
    location = _match(client, case)["Location"]
    assert not location.startswith("/accounts/reauthenticate/")  # the password page


def test_right_after_signing_in_with_the_code_the_case_can_be_matched(client, people, case):
    case = _ready_for_review(case, people)
    _verified(people.coordinator)
    _password_step(client, people.coordinator)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(people.coordinator.totp_secret)})
    assert _match(client, case)["Location"] == f"/console/cases/{case.pseudonym}/"
    case.refresh_from_db()
    assert case.status == "matched"


def test_five_minutes_later_the_second_factor_is_asked_again(client, people, case, settings):
    case = _ready_for_review(case, people)
    _verified(people.coordinator)
    _password_step(client, people.coordinator)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(people.coordinator.totp_secret)})
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1
    session["account_authentication_methods"] = records
    session.save()
    assert _match(client, case)["Location"].startswith("/accounts/2fa/reauthenticate/")


def test_other_workflow_moves_need_no_reauthentication(client, people, case):
    client.force_login(people.coordinator)
    url = reverse("console:change_status", args=[case.pseudonym])
    client.post(url, {"status": "triage", "expected_version": case.version})
    case.refresh_from_db()
    assert case.status == "triage"


def test_the_sign_in_page_offers_a_passkey_and_the_security_page_lets_anyone_add_one(
    client, people
):
    page = client.get("/accounts/login/").content.decode()
    assert 'id="passkey_login"' in page and 'id="mfa_login"' in page
    assert reverse("mfa_login_webauthn") in page
    chinese = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "使用通行密钥登录" in chinese
    client.force_login(people.owner)
    assert reverse("mfa_add_webauthn") in client.get("/accounts/2fa/").content.decode()
