"""Every console URL × every role: coordinators and admins get in; every other
signed-in person gets 404 (never 403); anonymous visitors the login page."""

from __future__ import annotations

import time

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.models import CaseMember, Enquiry, ReviewerProfile
from casebridge.web.console import urls as console_urls
from casebridge.web.console.actions import do_request_records
from casebridge.web.middleware import LAST_SEEN_KEY
from tests.web.records import stored_pack

pytestmark = pytest.mark.django_db

# Every console URL, with its method. A URL added to console/urls.py and not
# here fails test_the_matrix_covers_every_console_url.
METHODS = {
    "queue": "get",
    "enquiry": "get",
    "clear_red_flag": "post",
    "case": "get",
    "change_status": "post",
    "assign": "post",
    "review_safety": "post",
    "add_note": "post",
    "send_message": "post",
    "correct_fact": "post",
    "restore_marked_wrong": "post",
    "request_records": "post",
    "choose_direction": "post",
    "prepare_pack": "post",
    "send_pack": "post",
    "pack_file": "get",
    "close_record_request": "post",
    "override_doc_type": "post",
    "document_file": "get",
    "case_output": "get",
    "reviewers": "get",
    "reviewer_active": "post",
    "assign_review": "post",
    "revoke_review": "post",
    "release_opinion": "post",
}
ROLES = (
    "owner",
    "family",
    "family_revoked",
    "coordinator",
    "admin",
    "reviewer",
    "outsider",
    "anonymous",
)
ALLOWED = {"coordinator", "admin"}


@pytest.fixture
def world(people, case):
    doc = do_upload_document(
        case, acting_user=people.owner, file_name="letter.txt", data=b"Clinic letter."
    )
    enquiry = Enquiry.objects.create(
        full_name="Flagged Person",
        email="flagged@example.org",
        red_flag_state=Enquiry.RedFlag.FLAGGED,
    )
    revoked = User.objects.create_user("fay@example.org", "a long password 123", role=Role.FAMILY)
    CaseMember.objects.create(case=case, user=revoked, revoked_at=timezone.now())
    people.family_revoked = revoked
    asked = do_request_records(case, acting_user=people.coordinator, title="CT report")
    stored_pack(case, people.coordinator)
    profile = ReviewerProfile.objects.create(
        user=people.reviewer, direction_id="fuscc-breast-surgery", invited_by=people.coordinator
    )
    kwargs = {
        "reviewer": profile.pk,
        "pk": enquiry.pk,
        "ref": case.pseudonym,
        "doc": doc.pk,
        "name": "checklist.md",
        # URLs whose pk is not the enquiry's: their own values, by URL name
        "close_record_request": {"pk": asked.pk},
        "number": 1,
        "position": 0,
    }
    return people, kwargs


def _url(name: str, kwargs: dict) -> str:
    pattern = next(p for p in console_urls.urlpatterns if p.name == name)
    values = {**kwargs, **kwargs.get(name, {})}
    wanted = {k: v for k, v in values.items() if k in pattern.pattern.converters}
    return reverse(f"console:{name}", kwargs=wanted)


def _client(client, people, role: str):
    if role != "anonymous":
        client.force_login(getattr(people, role))
    return client


def test_the_matrix_covers_every_console_url():
    names = {p.name for p in console_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(METHODS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(METHODS))
def test_only_coordinators_and_admins_reach_each_console_url(client, world, role, name):
    people, kwargs = world
    url = _url(name, kwargs)
    response = getattr(_client(client, people, role), METHODS[name])(url, secure=True)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif role in ALLOWED:
        # a GET shows the page; an empty POST is refused as invalid input, not as access
        assert response.status_code in ({200} if METHODS[name] == "get" else {400})
    else:
        assert response.status_code == 404


def test_a_case_of_another_id_answers_404_even_to_staff(client, world):
    people, kwargs = world
    client.force_login(people.coordinator)
    for ref in ("CB-00000000", "999999", "not-a-case"):
        response = client.get(reverse("console:case", args=[ref]), secure=True)
        assert response.status_code == 404


def test_a_document_of_another_case_answers_404(client, world, other_case):
    people, kwargs = world
    client.force_login(people.coordinator)
    url = reverse("console:document_file", args=[other_case.pseudonym, kwargs["doc"]])
    assert client.get(url, secure=True).status_code == 404


def test_a_deactivated_coordinator_gets_nothing(client, world):
    people, kwargs = world
    people.coordinator.is_active = False
    people.coordinator.save()
    client.force_login(people.coordinator)
    response = client.get(reverse("console:queue"), secure=True)
    assert response.status_code in {302, 404}


def test_an_idle_coordinator_is_signed_out_of_the_console(client, world, settings):
    people, _ = world
    client.force_login(people.coordinator)
    assert client.get(reverse("console:queue"), secure=True).status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = time.time() - settings.STAFF_IDLE_TIMEOUT_SECONDS - 5
    session.save()
    response = client.get(reverse("console:queue"), secure=True)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_console_pages_carry_the_security_headers_and_are_not_cached(client, world):
    people, kwargs = world
    client.force_login(people.coordinator)
    response = client.get(reverse("console:case", args=[kwargs["ref"]]), secure=True)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
