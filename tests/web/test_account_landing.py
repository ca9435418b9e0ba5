"""Where a patient lands, and what the header and home page ask of them (issue 12):
with exactly one case, confirming the e-mail address (or signing in) opens it; the
next step on the home page is a button; two-step sign-in is offered as optional
on the home page, not beside the address in the header (staff keep their link)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from casebridge.web.cases.actions import do_create_case
from tests.web.conftest import PASSWORD
from tests.web.test_portal_patient_pages import _enquiry, _sign_up

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _verified(user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def _sign_in(client, user) -> str:
    _verified(user)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response["Location"]


def test_confirming_the_email_address_opens_the_patients_only_case(client, settings):
    settings.ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
    _enquiry(client, "mei@example.org")
    response = client.post(_sign_up(client, "mei@example.org"))
    assert response.status_code == 302
    assert response["Location"].startswith("/cases/CB-"), response["Location"]
    assert "give your consent" in client.get(response["Location"]).content.decode()


def test_signing_in_with_one_case_opens_it_and_with_two_shows_the_list(client, people, case):
    assert _sign_in(client, people.owner) == f"/cases/{case.pseudonym}/"
    client.logout()
    do_create_case(acting_user=people.coordinator, owner=people.owner, programme="oncology")
    assert _sign_in(client, people.owner) == "/"


def test_a_sign_in_with_somewhere_to_go_next_still_goes_there(client, people, case):
    _verified(people.owner)
    response = client.post(
        "/accounts/login/?next=/guidance/", {"login": people.owner.email, "password": PASSWORD}
    )
    assert response["Location"] == "/guidance/"


def test_the_next_step_on_the_home_page_is_a_button(client, people, case):
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/").content.decode()
    assert f'<a class="button" href="/cases/{case.pseudonym}/consent/">' in page


def test_a_patients_header_has_no_two_step_link_the_home_page_offers_it_as_optional(
    client, people, case
):
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/").content.decode()
    header = page.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    assert "/accounts/2fa/" not in header and "Sign out" in header
    assert "Set up two-step sign-in (optional)" in page and 'href="/accounts/2fa/"' in page
    client.get("/i18n/setlang/")  # the Chinese, too
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "设置两步登录（可选）" in client.get("/").content.decode()


def test_staff_keep_the_two_step_link_in_the_header(client, people):
    client.force_login(people.coordinator, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/", secure=True).content.decode()
    header = page.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    assert 'href="/accounts/2fa/"' in header
