"""The console's case page in parts: documents a page at a time (those that
need a person first, the patient's wrong-type flags shown), and fragments
rendered once per reading of the case that still carry each visitor's own
CSRF token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.lib import CSRF_PLACEHOLDER
from casebridge.web.cases.models import Document
from casebridge.web.cases.tasks import process_document
from casebridge.web.console.actions import do_override_document_type
from casebridge.web.console.views_case import DOCUMENTS_PER_PAGE
from casebridge.web.portal.actions.documents import do_flag_document_type
from tests.web.records import PATHOLOGY

pytestmark = pytest.mark.django_db


def _page(client, case, query: str = "") -> str:
    response = client.get(reverse("console:case", args=[case.pseudonym]) + query, secure=True)
    assert response.status_code == 200
    return response.content.decode()


def _documents_section(page: str) -> str:
    start = page.index('<section id="documents"')
    return page[start : page.index("</section>", start)]


def test_it_pages_the_documents_and_lists_those_that_need_a_person_first(client, people, case):
    for index in range(DOCUMENTS_PER_PAGE + 2):
        do_upload_document(
            case, acting_user=people.owner, file_name=f"letter {index:02d}.txt", data=b"x%d" % index
        )
    # The oldest upload failed: it needs a person, so it comes first.
    # the file name is sealed: found by reading, not by a filter
    oldest = next(d.pk for d in case.documents.all() if d.file_name == "letter 00.txt")
    Document.objects.filter(pk=oldest).update(state=Document.State.FAILED)
    client.force_login(people.coordinator)

    first = _documents_section(_page(client, case, "?section=documents"))
    rows = re.findall(
        r'<tr(?: class="needs-person")?>\s*<th scope="row"><a[^>]*>([^<]+)</a>', first
    )
    assert len(rows) == DOCUMENTS_PER_PAGE
    assert rows[0] == "letter 00.txt"
    assert rows[1] == f"letter {DOCUMENTS_PER_PAGE + 1:02d}.txt"  # then the newest
    assert "1 needs a person" in first
    assert "?section=documents&amp;docs_page=2#documents" in first

    second = _documents_section(_page(client, case, "?section=documents&docs_page=2"))
    later = re.findall(r'<th scope="row"><a[^>]*>([^<]+)</a>', second)
    assert len(later) == 2 and "letter 01.txt" in later
    assert not set(later) & set(rows)

    # A page number that is not one (typed or stale) shows the nearest page.
    assert "letter 00.txt" in _documents_section(
        _page(client, case, "?section=documents&docs_page=zzz")
    )
    assert "letter 01.txt" in _documents_section(
        _page(client, case, "?section=documents&docs_page=99")
    )


def test_a_document_flagged_as_the_wrong_type_shows_until_a_coordinator_retypes_it(
    client, people, case
):
    document = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    process_document.call(document.pk)
    document.refresh_from_db()
    do_flag_document_type(
        case, acting_user=people.owner, document=document, note="This is my clinic letter."
    )
    client.force_login(people.coordinator)

    flagged = _documents_section(_page(client, case, "?section=documents"))
    assert "Flagged as the wrong type" in flagged
    assert "This is my clinic letter." in flagged
    assert 'class="needs-person"' in flagged

    case.refresh_from_db()
    do_override_document_type(
        case,
        document,
        acting_user=people.coordinator,
        doc_type="clinic_letter",
        expected_version=case.version,
    )
    cleared = _documents_section(_page(client, case, "?section=documents"))
    assert "Flagged as the wrong type" not in cleared
    assert "set by a person" in cleared


def test_the_cached_fact_forms_carry_each_visitors_own_csrf_token(people, case):
    document = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    process_document.call(document.pk)
    tokens = []
    for person in (people.coordinator, people.admin):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(person)
        page = _page(browser, case, "?section=facts")
        assert CSRF_PLACEHOLDER not in page
        start = page.index('class="correct-form"')  # a fact's correction form
        form = page[start : page.index("</form>", start)]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        fact_id = re.search(r'name="fact_id" value="([^"]+)"', form).group(1)
        tokens.append(token)
        case.refresh_from_db()
        response = browser.post(
            reverse("console:correct_fact", args=[case.pseudonym]),
            {
                "csrfmiddlewaretoken": token,
                "mode": "context",
                "context": "asserted",
                "fact_id": fact_id,
                "reason": f"Checked by {person.email} against the report.",
                "expected_version": case.version,
            },
            secure=True,
            headers={"referer": "https://testserver/console/"},  # https: CSRF checks it
        )
        assert response.status_code == 302, response.content.decode()[:500]
    assert tokens[0] != tokens[1]


def test_a_fact_correction_shows_at_once_despite_the_cached_rows(client, people, case):
    document = do_upload_document(
        case, acting_user=people.owner, file_name="histology.txt", data=PATHOLOGY.encode()
    )
    process_document.call(document.pk)
    client.force_login(people.coordinator)
    page = _page(client, case, "?section=facts")
    fact_id = re.search(r'name="fact_id" value="([^"]+)"', page).group(1)
    case.refresh_from_db()
    client.post(
        reverse("console:correct_fact", args=[case.pseudonym]),
        {
            "mode": "value",
            "fact_id": fact_id,
            "value": "a value only the correction gives",
            "reason": "Read again from the signed report.",
            "expected_version": case.version,
            "anyway": "1",  # past the check that it fits its kind (a closed set, maybe)
        },
        secure=True,
    )
    case.refresh_from_db()
    after = _page(client, case, "?section=facts")
    assert "a value only the correction gives" in after
    assert f'name="expected_version" value="{case.version}"' in after
