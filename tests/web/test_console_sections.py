"""The console's case page in sections (issue 12): a coordinator with many
cases reads first what needs a person, each item linking to the section where
it is done; each section is a page of its own; a change or a refusal comes back
in the section of its form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casebridge.web.cases.actions import do_send_message, do_upload_document
from casebridge.web.cases.models import Document
from casebridge.web.cases.questions import do_add_question, do_move_question
from casebridge.web.cases.tasks import process_document
from casebridge.web.console.actions import do_request_records

pytestmark = pytest.mark.django_db

# a clinic letter saying grade 3 and a pathology report saying grade 2: a conflict
LETTER = (
    "Breast Clinic\nDate: 11/09/2026\nDear Dr Smith,\n"
    "Invasive ductal carcinoma, grade 3, left breast. Plan: MDT discussion.\n"
)
PATHOLOGY = (
    "HISTOPATHOLOGY REPORT\nDate of report: 01/09/2026\nSpecimen: Left breast core biopsy.\n"
    "Diagnosis: Invasive ductal carcinoma (NST), grade 2.\n"
)


def _read(case, person, name: str, text: str) -> Document:
    document = do_upload_document(case, acting_user=person, file_name=name, data=text.encode())
    process_document.call(document.pk)
    return document


def _page(client, case, query: str = "") -> str:
    response = client.get(reverse("console:case", args=[case.pseudonym]) + query, secure=True)
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_opens_on_what_needs_a_person_with_links_to_each_section(
    client, people, case
):
    _read(case, people.owner, "letter.txt", LETTER)
    _read(case, people.owner, "histology.txt", PATHOLOGY)
    failed = _read(case, people.owner, "scan.txt", "x")
    failed = Document.objects.get(pk=failed.pk)  # saved: the reasons are sealed
    failed.state, failed.reasons = Document.State.NEEDS_ATTENTION, ["A page could not be read."]
    failed.save(update_fields=["state", "reasons"])
    case.refresh_from_db()
    do_request_records(case, acting_user=people.coordinator, title="The CT report")
    do_send_message(case, acting_user=people.owner, body="Has my CT report arrived?")
    client.force_login(people.coordinator)
    page = _page(client, case)
    todo = page[page.index('id="todo"') : page.index("</section>", page.index('id="todo"'))]
    url = reverse("console:case", args=[case.pseudonym])
    assert f'{url}?section=documents#documents">1 document needs attention' in todo
    assert f"{url}?section=facts#conflicts" in todo and "conflict between records" in todo
    assert f'{url}?section=missing#requests">1 record request waiting' in todo
    assert f'{url}?section=messages#messages">1 message from the patient&#x27;s side' in todo
    # the overview holds none of the heavy sections
    assert 'id="facts"' not in page and 'id="documents"' not in page and 'id="notes"' not in page
    assert 'aria-current="page">Overview' in page


def test_a_reply_from_staff_answers_the_patients_messages(client, people, case):
    do_send_message(case, acting_user=people.owner, body="Has my CT report arrived?")
    do_send_message(case, acting_user=people.coordinator, body="Not yet: we have asked for it.")
    client.force_login(people.coordinator)
    page = _page(client, case)
    assert "not answered yet" not in page
    assert "Nothing on this case needs a person now." in page


def test_each_section_is_a_page_of_its_own_marked_in_the_sections_nav(client, people, case):
    _read(case, people.owner, "histology.txt", PATHOLOGY)
    client.force_login(people.coordinator)
    for section, inside in (
        ("documents", 'id="documents"'),
        ("facts", 'id="facts"'),
        ("missing", 'id="gaps"'),
        ("messages", 'id="notes"'),
        ("history", 'id="history"'),
    ):
        page = _page(client, case, f"?section={section}")
        assert inside in page, section
        assert 'id="todo"' not in page, section
        assert f'?section={section}" aria-current="page"' in page, section
    assert 'id="todo"' in _page(client, case, "?section=nonsense")  # the overview


def test_a_change_comes_back_in_its_section_and_a_refusal_keeps_what_was_typed(
    client, people, case
):
    client.force_login(people.coordinator)
    added = client.post(
        reverse("console:add_note", args=[case.pseudonym]), {"body": "Called her."}, secure=True
    )
    assert added["Location"].endswith("?section=messages#notes")
    refused = client.post(
        reverse("console:correct_fact", args=[case.pseudonym]),
        {"mode": "add", "kind": "", "value": "a value I typed", "expected_version": case.version},
        secure=True,
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'id="facts"' in page and "a value I typed" in page


def test_the_overview_lists_the_patients_questions_in_their_order(client, people, case):
    do_add_question(case, acting_user=people.owner, text="Do I need chemotherapy at all?")
    first = do_add_question(case, acting_user=people.owner, text="Could I keep my breast?")
    do_move_question(case, acting_user=people.owner, question_id=first.pk, direction="up")
    client.force_login(people.coordinator)
    page = _page(client, case)
    assert page.index("Could I keep my breast?") < page.index("Do I need chemotherapy at all?")
