"""The confidential enquiry: urgency check, red-flag stop, e-mail verification,
the case opened from the enquiry."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache

from casebridge.web.accounts.models import User
from casebridge.web.cases.models import AuditEvent, Case, Enquiry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

PASSWORD = "a long enough test password"


@pytest.fixture(autouse=True)
def _portal(plain_http) -> None:
    cache.clear()  # allauth's rate limits (one confirmation e-mail per address a while)


def _no_red_flags(client) -> None:
    response = client.post("/enquiry/", {"none_apply": "on"})
    assert response.status_code == 302 and response["Location"] == "/enquiry/details/"


def _details(email: str = "mei@example.org", **extra: str) -> dict[str, str]:
    data = {
        "relationship": "self",
        "programme": "oncology",
        "diagnosis": "Breast cancer found in March, after a biopsy",
        "current_status": "Had surgery, chemotherapy is planned",
        "goals": "To know whether the plan is the right one",
        "questions": "Is radiotherapy needed?",
        "country": "CN",
        "preferred_language": "zh",
        "full_name": "Mei Lin",
        "email": email,
        "contact_consent": "on",
    }
    data.update(extra)
    return data


def _sign_up_and_confirm(client, email: str) -> User:
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302, response.content[:2000]
    body = mail.outbox[-1].body
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path)
    assert response.status_code == 302
    return User.objects.get(email=email)


def test_the_enquiry_starts_without_an_account_with_the_urgency_check(client):
    response = client.get("/enquiry/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "New weakness or numbness in your legs" in page
    assert "38 °C" in page
    assert "In an emergency call 999 / NHS 111" in page
    assert "csrfmiddlewaretoken" in page


def test_a_red_flag_answer_shows_seek_local_care_now_and_flags_the_enquiry(client):
    response = client.post("/enquiry/", {"red_flags": ["mscc"]}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/enquiry/seek-care/"
    assert "Seek local care now: call 999 or NHS 111" in page
    enquiry = Enquiry.objects.get()
    assert enquiry.red_flag_state == Enquiry.RedFlag.FLAGGED
    assert enquiry.red_flag_answers == ["mscc"]
    assert AuditEvent.objects.filter(action="enquiry.red_flag").exists()


def test_a_flagged_enquiry_stops_every_further_step_until_a_coordinator_clears_it(client):
    client.post("/enquiry/", {"red_flags": ["chest_pain"]})
    assert client.get("/enquiry/details/")["Location"] == "/enquiry/seek-care/"
    assert client.post("/enquiry/details/", _details())["Location"] == "/enquiry/seek-care/"
    assert client.get("/enquiry/")["Location"] == "/enquiry/seek-care/"
    assert client.get("/enquiry/sent/")["Location"] == "/enquiry/seek-care/"
    assert Enquiry.objects.get().email == ""  # the details were not taken

    Enquiry.objects.update(red_flag_state=Enquiry.RedFlag.CLEARED)  # a coordinator cleared it
    assert client.get("/enquiry/details/").status_code == 200
    assert client.post("/enquiry/details/", _details())["Location"] == "/enquiry/sent/"
    assert Enquiry.objects.get().email == "mei@example.org"


def test_someone_told_to_seek_care_can_leave_contact_details_for_a_coordinator(client):
    client.post("/enquiry/", {"red_flags": ["bleeding"]})
    response = client.post("/enquiry/seek-care/", {"full_name": "Mei", "phone": "07700 900123"})
    assert response.status_code == 302
    assert Enquiry.objects.get().phone == "07700 900123"
    assert client.post("/enquiry/seek-care/", {"full_name": "Mei"}).status_code == 200


def test_the_urgency_check_needs_an_answer_and_a_consistent_one(client):
    page = client.post("/enquiry/", {}).content.decode()
    assert "None of these apply now" in page and "Tick any symptom" in page
    page = client.post("/enquiry/", {"red_flags": ["neuro"], "none_apply": "on"}).content.decode()
    assert "please check your answers" in page
    assert not Enquiry.objects.exists()


def test_the_details_step_needs_the_urgency_check_first(client):
    assert client.get("/enquiry/details/")["Location"] == "/enquiry/"


def test_an_incomplete_enquiry_is_shown_again_with_plain_reasons(client):
    _no_red_flags(client)
    response = client.post("/enquiry/details/", _details(diagnosis="", contact_consent=""))
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Enter the diagnosis in your own words" in page
    assert "Tick the box to agree that we may e-mail you" in page
    assert "This field is required" not in page
    assert not Enquiry.objects.exists()


def test_the_case_opens_from_the_enquiry_once_the_email_is_verified(client):
    _no_red_flags(client)
    assert client.post("/enquiry/details/", _details())["Location"] == "/enquiry/sent/"
    enquiry = Enquiry.objects.get()
    assert enquiry.status == Enquiry.Status.NEW and enquiry.case is None
    assert "Create my account" in client.get("/enquiry/sent/").content.decode()

    user = _sign_up_and_confirm(client, "mei@example.org")
    enquiry.refresh_from_db()
    assert enquiry.user == user and enquiry.status == Enquiry.Status.ACCEPTED
    assert enquiry.email_verified_at is not None
    case = Case.objects.get(owner=user)
    assert enquiry.case == case and case.programme == "oncology"
    assert case.engine["intake"]["diagnosis_own_words"].startswith("Breast cancer")
    assert case.engine["intake"]["home_country"] == "CN"

    client.post("/accounts/login/", {"login": "mei@example.org", "password": PASSWORD})
    assert case.pseudonym in client.get("/").content.decode()


def test_an_enquiry_is_not_attached_to_an_account_with_another_address(client):
    _no_red_flags(client)
    client.post("/enquiry/details/", _details(email="someone.else@example.org"))
    user = _sign_up_and_confirm(client, "mei@example.org")
    enquiry = Enquiry.objects.get()
    assert enquiry.user is None and enquiry.case is None
    assert not Case.objects.filter(owner=user).exists()


def test_a_signed_in_patient_with_a_verified_address_gets_the_case_at_once(client):
    _no_red_flags(client)
    client.post("/enquiry/details/", _details())
    user = _sign_up_and_confirm(client, "mei@example.org")
    client.post("/accounts/login/", {"login": "mei@example.org", "password": PASSWORD})
    _no_red_flags(client)
    response = client.post("/enquiry/details/", _details(programme="rare-disease"))
    case = Case.objects.filter(owner=user).order_by("-pk").first()
    assert case.programme == "rare-disease"
    assert response["Location"] == f"/cases/{case.pseudonym}/consent/"
    assert Case.objects.filter(owner=user).count() == 2


def test_the_enquiry_pages_refuse_a_post_without_the_csrf_token():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post("/enquiry/", {"none_apply": "on"}).status_code == 403
