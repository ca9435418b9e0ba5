"""Every portal URL against every role: the access rules, generated as a matrix.

A case the person may not use answers 404 (never 403); anonymous visitors are
sent to sign in. A new URL without a row here fails
test_every_portal_url_is_in_the_matrix."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.actions import do_give_consent, do_invite_member, do_upload_document
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.tasks import process_document
from casebridge.web.portal.invitations import make_token
from casebridge.web.portal.lib.outputs import request_letters
from tests.web.records import stored_pack

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

ROLES = (
    "owner",
    "family_with_permission",
    "family_without_permission",
    "coordinator",
    "admin",
    "reviewer",
    "outsider",
    "anonymous",
)
VIEWERS = {"owner", "family_with_permission", "family_without_permission", "coordinator", "admin"}
UPLOADERS = {"owner", "family_with_permission", "coordinator", "admin"}
MESSENGERS = {"owner", "coordinator", "admin"}  # the fixture's family member may not message
PATIENT_ONLY = {"owner"}
# the files the patient's side sent: staff open them from the console (which
# redraws a PDF with active content), a reviewer abroad never
PATIENT_SIDE = {"owner", "family_with_permission", "family_without_permission"}
EVERYONE = set(ROLES)

PUBLIC = "public"
# url name -> (method, who may, path arguments builder key)
MATRIX: dict[str, tuple[str, set[str] | str]] = {
    "home": ("get", PUBLIC),
    "guidance": ("get", PUBLIC),
    "privacy": ("get", PUBLIC),
    "terms": ("get", PUBLIC),
    "enquiry_start": ("get", PUBLIC),
    "seek_care": ("get", PUBLIC),
    "enquiry_details": ("get", PUBLIC),
    "enquiry_sent": ("get", PUBLIC),
    "invitation": ("get", PUBLIC),  # a family invitation's link: the token is the key
    "case": ("get", VIEWERS),
    "documents": ("get", VIEWERS),
    "documents#post": ("post", UPLOADERS),
    "document_list": ("get", VIEWERS),
    "document_text": ("get", VIEWERS),
    "document_original": ("get", PATIENT_SIDE),
    "flag_document": ("post", UPLOADERS),
    "fact_source": ("get", VIEWERS),
    "summary": ("get", VIEWERS),
    "summary_page": ("get", VIEWERS),
    "facts": ("get", VIEWERS),
    "timeline": ("get", VIEWERS),
    "missing": ("get", VIEWERS),
    "summary_and_downloads": ("get", VIEWERS),
    "download": ("get", VIEWERS),
    "letter": ("get", VIEWERS),
    "letter_download": ("get", VIEWERS),
    "consent": ("get", PATIENT_ONLY),
    "consent#post": ("post", PATIENT_ONLY),
    "pack": ("get", VIEWERS),
    "pack#post": ("post", PATIENT_ONLY),
    "pack_file": ("get", VIEWERS),
    "opinion": ("get", VIEWERS),
    "family": ("get", PATIENT_ONLY),
    "family#post": ("post", PATIENT_ONLY),
    "messages": ("get", MESSENGERS),  # the message need covers reading the thread
    "messages#post": ("post", MESSENGERS),
    "activity": ("get", PATIENT_ONLY),
    # the copy of everything: the patient's own (a relative views, but does not
    # take the whole record); the owner is first sent to re-authenticate (302)
    "export": ("get", PATIENT_ONLY),
    "questions": ("get", VIEWERS),
    "questions_change": ("post", UPLOADERS),
    "withdraw": ("get", PATIENT_ONLY),
    "withdraw#post": ("post", PATIENT_ONLY),
}


@pytest.fixture
def world(people, case):
    viewer_only = User.objects.create_user("dan@example.org", "x" * 20, role=Role.FAMILY)
    membership = do_invite_member(case, acting_user=people.owner, email=viewer_only.email)
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    report = (
        b"HISTOPATHOLOGY REPORT\nDiagnosis: Invasive ductal carcinoma, grade 2.\nHER2 IHC 3+.\n"
    )
    doc = do_upload_document(case, acting_user=people.owner, file_name="h.txt", data=report)
    process_document.call(doc.pk)
    case.refresh_from_db()
    engine = engine_case(case)
    stored_pack(case, people.coordinator)
    users = {
        "owner": people.owner,
        "family_with_permission": people.family,
        "family_without_permission": viewer_only,
        "coordinator": people.coordinator,
        "admin": people.admin,
        "reviewer": people.reviewer,
        "outsider": people.outsider,
        "anonymous": None,
    }
    pk = case.pseudonym
    args = {
        "invitation": [make_token(membership)],
        "case": [pk],
        "documents": [pk],
        "document_list": [pk],
        "document_text": [pk, doc.pk],
        "document_original": [pk, doc.pk],
        "flag_document": [pk, doc.pk],
        "fact_source": [pk, engine.facts[0].id],
        "summary": [pk, "en"],
        "summary_page": [pk, "en"],
        "facts": [pk],
        "timeline": [pk],
        "missing": [pk],
        "summary_and_downloads": [pk],
        "download": [pk, "fhir.json"],
        "letter": [pk, request_letters(engine)[0].slug],
        "letter_download": [pk, request_letters(engine)[0].slug, "txt"],
        "consent": [pk],
        "pack": [pk],
        "pack_file": [pk, 1, 0],
        "opinion": [pk],
        "family": [pk],
        "messages": [pk],
        "activity": [pk],
        "export": [pk],
        "questions": [pk],
        "questions_change": [pk],
        "withdraw": [pk],
    }
    data = {
        "documents": {},
        "consent": {"action": "nothing"},
        "family": {"email": ""},
        "messages": {"body": "hello"},
        "questions_change": {"action": "add", "text": "Could I have surgery first?"},
        "withdraw": {"version": "-1"},
        "flag_document": {"note": ""},
    }
    return users, args, data


def test_every_portal_url_is_in_the_matrix():
    resolver = get_resolver("casebridge.web.portal.urls")
    names = {p.name for p in resolver.url_patterns}
    assert names == {key.split("#")[0] for key in MATRIX}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("entry", sorted(MATRIX))
def test_the_access_rules_hold_for_every_url_and_role(client, world, entry, role):
    users, args, data = world
    name = entry.split("#")[0]
    method, allowed = MATRIX[entry]
    from django.urls import reverse

    url = reverse(f"portal:{name}", args=args.get(name, []))
    if users[role] is not None:
        client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(url) if method == "get" else client.post(url, data.get(name, {}))
    if allowed == PUBLIC:
        assert response.status_code in (200, 302), (entry, role)
    elif role == "anonymous":
        assert response.status_code == 302, (entry, role)
        assert response["Location"].startswith("/accounts/login/")
    elif role in allowed:
        assert response.status_code in (200, 302), (entry, role, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 404, (entry, role, response.status_code)


def test_a_post_without_the_csrf_token_is_refused(world, people, case):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(f"/cases/{case.pseudonym}/messages/", {"body": "hello"})
    assert response.status_code == 403


def test_a_case_that_does_not_exist_answers_like_one_of_someone_else(client, people):
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/cases/CB-00000000/").status_code == 404
    assert client.get("/cases/not-a-case/").status_code == 404
