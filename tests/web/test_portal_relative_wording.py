"""A relative reads the case's pages as a relative: "Alice's records", never
"your records" (the pages still speak to the patient as "you")."""

from __future__ import annotations

import html

import pytest
from django.core.cache import cache

from casebridge.web.cases import workflow
from casebridge.web.cases.actions import do_give_consent, do_upload_document
from casebridge.web.cases.models import Case
from casebridge.web.cases.tasks import process_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

REPORT = (
    b"HISTOPATHOLOGY REPORT\nDate of report: 11/03/2024\n"
    b"Diagnosis: Invasive ductal carcinoma of the left breast, grade 2.\n"
)


@pytest.fixture(autouse=True)
def _named(people) -> None:
    cache.clear()  # the overview's fragment cache and allauth's limits
    people.owner.full_name = "Alice Smith"
    people.owner.save()


def _page(client, user, path: str, **headers: str) -> str:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return html.unescape(client.get(path, **headers).content.decode())


def _read(case, people, n: int = 2) -> None:
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    for day in range(n):
        doc = do_upload_document(
            case, acting_user=people.owner, file_name=f"r{day}.txt", data=REPORT + bytes([65 + day])
        )
        assert process_document.call(doc.pk) == "processed"


def test_a_relative_reads_that_all_of_alices_records_have_been_read(client, people, case):
    _read(case, people)
    home = f"/cases/{case.pseudonym}/"
    page = _page(client, people.family, home)
    assert "All 2 of Alice's records have been read" in page
    assert "<h1>Alice's case</h1>" in page and "Alice's records" in page
    assert "What Alice's records say" in page
    for patients_words in ("your records have been read", "Your case<", "Your records<"):
        assert patients_words not in page
    patient = _page(client, people.owner, home)
    assert "All 2 of your records have been read" in patient and "<h1>Your case</h1>" in patient
    assert "Alice's" not in patient


def test_a_relative_reads_it_in_chinese_with_the_patients_name(client, people, case):
    _read(case, people)
    people.family.preferred_language = "zh"  # the account's language: the pages follow it
    people.family.save()
    page = _page(client, people.family, f"/cases/{case.pseudonym}/")
    assert "Alice 的 2 份病历已全部读完" in page and "Alice 的病例" in page
    assert "您的病历" not in page


def test_the_records_page_and_the_list_of_cases_name_the_patient_for_a_relative(
    client, people, case
):
    _read(case, people, 1)
    records = _page(client, people.family, f"/cases/{case.pseudonym}/documents/")
    assert "<h1>Alice's records</h1>" in records
    listing = _page(client, people.family, "/")
    assert "Records read: a coordinator will review the case next" in listing
    assert "coordinator will review your case" not in listing


def test_later_statuses_name_the_patient_for_a_relative(client, people, case):
    Case.objects.filter(pk=case.pk).update(status=workflow.UNDER_REVIEW)
    page = _page(client, people.family, f"/cases/{case.pseudonym}/")
    assert "The reviewing team is looking at Alice's case." in page
    patient = _page(client, people.owner, f"/cases/{case.pseudonym}/")
    assert "The reviewing team is looking at your case." in patient


def test_the_summary_and_its_preview_name_the_patients_records_for_a_relative(client, people, case):
    downloads = f"/cases/{case.pseudonym}/summary-and-downloads/"
    before = _page(client, people.family, downloads)
    assert "Alice's summary will appear here once Alice's records have been read." in before
    _read(case, people, 1)
    page = _page(client, people.family, downloads)
    assert "A summary of what Alice's records say, for Alice and for the specialists." in page
    preview = _page(client, people.family, f"/cases/{case.pseudonym}/summary/en/")
    assert "This is the summary of Alice's records that the specialists will read." in preview
    assert "A summary of what your records say" not in page
    assert "This is the summary of your records" not in preview
    patient = _page(client, people.owner, downloads)
    assert "A summary of what your records say, for you and for the specialists." in patient


def test_the_chinese_summary_page_names_the_patient_for_a_relative(client, people, case):
    _read(case, people, 1)
    people.family.preferred_language = "zh"
    people.family.save()
    page = _page(client, people.family, f"/cases/{case.pseudonym}/summary-and-downloads/")
    assert "这是 Alice 的病历内容摘要，供 Alice 和专家阅读。" in page and "供您和专家" not in page
    preview = _page(client, people.family, f"/cases/{case.pseudonym}/summary/zh/")
    assert "这是专家将要阅读的 Alice 的病历摘要。" in preview and "阅读的您的" not in preview


def test_the_guidance_beside_a_relatives_pages_speaks_of_the_patients_records(client, people, case):
    _read(case, people, 1)
    records = _page(client, people.family, f"/cases/{case.pseudonym}/documents/")
    assert "What happens to Alice's files" in records
    assert "the exact words in the document" in records
    assert "What happens to your files" not in records
    case.members.filter(user=people.family).update(can_message=True)
    messages = _page(client, people.family, f"/cases/{case.pseudonym}/messages/")
    assert "Alice and everyone on the case who may send messages" in messages
    patient = _page(client, people.owner, f"/cases/{case.pseudonym}/documents/")
    assert "What happens to your files" in patient and "Alice's files" not in patient


def test_the_chinese_guidance_names_the_patient_for_a_relative(client, people, case):
    _read(case, people, 1)
    people.family.preferred_language = "zh"
    people.family.save()
    records = _page(client, people.family, f"/cases/{case.pseudonym}/documents/")
    assert "Alice 的文件会如何处理" in records and "您的文件会如何处理" not in records


def test_a_relatives_questions_page_names_the_patients_questions(client, people, case):
    page = _page(client, people.family, f"/cases/{case.pseudonym}/questions/")
    assert "Alice's questions for the specialists" in page
    assert "No questions on Alice's list yet." in page
    assert "If Alice feels unwell" in page
    for patients_words in ("Your questions", "your list", "an option for me", "If you feel"):
        assert patients_words not in page
    patient = _page(client, people.owner, f"/cases/{case.pseudonym}/questions/")
    assert "Your questions for the specialists" in patient and "Alice's" not in patient


def test_a_relative_reads_what_was_asked_for_and_how_to_ask_for_the_patients_records(
    client, people, case
):
    from casebridge.web.console.actions import do_request_records

    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    do_request_records(case, acting_user=people.coordinator, title="Old MRI report", detail="")
    page = _page(client, people.family, f"/cases/{case.pseudonym}/documents/")
    assert "What we have asked for" in page and "How to ask for Alice's records" in page
    assert "Alice's GP practice" in page
    assert "What we have asked you for" not in page and "Your GP practice" not in page
