"""A coordinator's first sign-in, from the password to the work queue: no second
request for the password typed a moment ago, a way on from the recovery codes,
and staff land on their work, not on the patient's "Your cases"."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from casebridge.web.accounts.models import Role, User
from tests.web.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _new_coordinator() -> User:
    user = User.objects.create_user("nina@casebridge.test", PASSWORD, role=Role.COORDINATOR)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _sign_in(client, user) -> str:
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})["Location"]


# committed as the site commits (allauth's "authenticator added" signal runs on commit)
@pytest.mark.django_db(transaction=True)
def test_a_new_coordinator_enrols_right_after_signing_in_without_typing_the_password_again(client):
    coordinator = _new_coordinator()
    assert _sign_in(client, coordinator) == "/console/"
    enrol = client.get("/console/")["Location"]
    assert enrol.startswith("/accounts/2fa/totp/activate/")
    page = client.get(enrol)
    assert page.status_code == 200  # not /accounts/reauthenticate/
    secret = client.session["mfa.totp.secret"]
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done["Location"] == "/accounts/2fa/recovery-codes/"
    # the code typed to enrol is the fresh second factor: the codes are shown
    codes = client.get(done["Location"]).content.decode()
    assert 'href="/console/">Continue to the work queue</a>' in codes
    assert client.get("/console/").status_code == 200


def test_past_the_window_of_the_sign_in_the_password_is_asked_again(client, settings):
    coordinator = _new_coordinator()
    _sign_in(client, coordinator)
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1
    session["account_authentication_methods"] = records
    session.save()
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith(
        "/accounts/reauthenticate/"
    )


def test_an_enrolled_coordinator_lands_on_the_work_queue_after_signing_in(client, people):
    coordinator = people.coordinator
    EmailAddress.objects.create(user=coordinator, email=coordinator.email, verified=True)
    assert _sign_in(client, coordinator) == "/accounts/2fa/authenticate/"
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(coordinator.totp_secret)})
    assert done["Location"] == "/console/"


def test_a_reviewer_lands_on_the_reviews_and_a_patient_on_their_cases(client, people):
    for user, home in ((people.reviewer, "/review/"), (people.owner, "/")):
        EmailAddress.objects.create(user=user, email=user.email, verified=True)
        first = _sign_in(client, user)
        if first == "/accounts/2fa/authenticate/":
            first = client.post(first, {"code": totp_code(user.totp_secret)})["Location"]
        assert first == home, user.email
        client.logout()


def test_a_next_address_still_wins_over_the_work_queue(client, people):
    coordinator = _new_coordinator()
    response = client.post(
        "/accounts/login/?next=/console/reviewers/",
        {"login": coordinator.email, "password": PASSWORD},
    )
    assert response["Location"] == "/console/reviewers/"
