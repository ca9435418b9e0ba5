"""The records page and the overview as a first-time patient meets them: the
list follows the reading by itself (and says so to a screen reader), states
and types in plain words in both languages, the summary offered only once
there is something to summarise, a wrong type told with what it should be,
and the patient's own original file to open."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from casebridge.web.cases.actions import do_give_consent, do_upload_document
from casebridge.web.cases.models import AuditEvent, Document
from casebridge.web.cases.tasks import process_document
from tests.web.conftest import switch_language
from tests.web.records import PATHOLOGY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


def _login(client, user) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _uploaded(case, people, name: str = "histology.txt", data: bytes = PATHOLOGY.encode()):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t1")
    return do_upload_document(case, acting_user=people.owner, file_name=name, data=data)


def _list(client, case, **extra):
    return client.get(f"/cases/{case.pseudonym}/documents/list/", **extra)


def _in_chinese(client, get):
    """`get()` with the header's switcher on Chinese, then back on English."""
    switch_language(client, "zh-hans")
    try:
        return get()
    finally:
        switch_language(client, "en-gb")


def _poll_url(html: str) -> str:
    found = re.search(r'hx-get="([^"]+)"', html)
    assert found, "the list should poll"
    return found.group(1).replace("&amp;", "&")


# -- 1. the list follows the reading -------------------------------------------------


def test_a_waiting_record_is_shown_in_plain_words_and_the_list_polls_with_a_refresh_link(
    client, people, case
):
    _uploaded(case, people)
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/documents/").content.decode()
    assert "Waiting to be read" in page and "It will be read soon" in page
    assert 'hx-trigger="every 3s"' in page and "?seen=" in page
    # without JavaScript the page still works: a link that loads it again
    assert f'href="/cases/{case.pseudonym}/documents/">Refresh the list</a>' in page
    # the live region is the status line, not the whole list
    status = re.search(r'<p id="document-status"[^>]*>([^<]*)</p>', page)
    assert status and 'aria-live="polite"' in status.group(0)
    assert "0 of 1 record read." in status.group(1)
    assert 'id="document-list"' in page
    assert "aria-live" not in page.split('id="document-list"')[1].split(">")[0]


def test_a_poll_that_finds_nothing_changed_answers_204_and_htmx_leaves_the_list(
    client, people, case
):
    _uploaded(case, people)
    _login(client, people.owner)
    url = _poll_url(_list(client, case).content.decode())
    assert client.get(url).status_code == 204


def test_once_every_record_is_read_the_list_says_so_and_stops_polling(client, people, case):
    doc = _uploaded(case, people)
    _login(client, people.owner)
    url = _poll_url(_list(client, case).content.decode())
    assert process_document.call(doc.pk) == "processed"
    response = client.get(url)
    assert response.status_code == 200
    listing = response.content.decode()
    assert "hx-trigger" not in listing and "hx-get" not in listing  # polling stops
    assert 'hx-swap-oob="innerHTML"' in listing  # the status words change in place
    assert "1 of 1 record read." in listing and ">Read<" in listing
    assert "Refresh the list" not in listing


def test_a_record_being_read_says_since_when_and_a_retry_says_so(client, people, case):
    doc = _uploaded(case, people)
    Document.objects.filter(pk=doc.pk).update(state="processing", attempts=1)
    _login(client, people.owner)
    assert "Being read" in _list(client, case).content.decode()
    from django.utils import timezone

    Document.objects.filter(pk=doc.pk).update(started_at=timezone.now())
    assert "Started at" in _list(client, case).content.decode()
    Document.objects.filter(pk=doc.pk).update(attempts=2)
    assert "Reading it again after a problem (try 2 of" in _list(client, case).content.decode()


def test_a_record_that_needs_a_person_says_so_with_its_reason_in_both_languages(
    client, people, case
):
    doc = _uploaded(case, people)
    doc = Document.objects.get(pk=doc.pk)  # saved: the reasons are sealed
    doc.state, doc.reasons = "needs_attention", ["This kind of file cannot be read"]
    doc.save(update_fields=["state", "reasons"])
    _login(client, people.owner)
    english = _list(client, case).content.decode()
    assert "Needs a person to look at it" in english
    assert "This kind of file cannot be read" in english
    assert "1 needs a person to look at it." in english
    chinese = _in_chinese(client, lambda: _list(client, case)).content.decode()
    assert "无法读取此类文件" in chinese  # the summary's curated wording of the reason
    assert "This kind of file cannot be read" not in chinese


# -- 2. the summary only once there is something in it --------------------------------


def test_the_summary_page_offers_no_summary_before_a_record_is_read(client, people, case):
    _uploaded(case, people)
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/summary-and-downloads/").content.decode()
    assert "Your summary will appear here once your records have been read." in page
    assert "summary-en.pdf" not in page and "fhir.json" not in page
    assert "/summary/en/" not in page


def test_the_summary_page_offers_the_summary_and_says_fhir_is_for_hospital_systems_once_read(
    client, people, case
):
    doc = _uploaded(case, people)
    process_document.call(doc.pk)
    _login(client, people.owner)
    url = f"/cases/{case.pseudonym}/summary-and-downloads/"
    page = client.get(url).content.decode()
    assert "summary-en.pdf" in page and "summary-zh.pdf" in page and "/summary/en/" in page
    assert "Structured data for hospital systems (FHIR)" in page
    assert "You do not need it." in page and "FHIR JSON" not in page
    chinese = _in_chinese(client, lambda: client.get(url)).content.decode()
    assert "FHIR" in chinese and "Structured data for hospital systems" not in chinese


# -- 3. types in people's words, and "this is the wrong type" with what it is ---------------


def test_document_types_are_named_through_the_terminology_table_in_both_languages(
    client, people, case
):
    doc = _uploaded(case, people)
    process_document.call(doc.pk)
    _login(client, people.owner)
    assert "Pathology report" in _list(client, case).content.decode()
    assert "病理报告" in _in_chinese(client, lambda: _list(client, case)).content.decode()
    Document.objects.filter(pk=doc.pk).update(doc_type_override="other")
    assert "Other document" in _list(client, case).content.decode()
    assert "其他文件" in _in_chinese(client, lambda: _list(client, case)).content.decode()
    Document.objects.filter(pk=doc.pk).update(doc_type_override="mdt_outcome")
    listing = _list(client, case).content.decode()
    assert "MDT outcome" in listing and "mdt outcome" not in listing


def test_the_wrong_type_control_offers_the_types_by_name_and_i_dont_know(client, people, case):
    doc = _uploaded(case, people)
    process_document.call(doc.pk)
    _login(client, people.owner)
    listing = _list(client, case).content.decode()
    assert "This is the wrong type" in listing
    assert '<option value="">I don&#x27;t know</option>' in listing
    assert '<option value="clinic_letter">Clinic letter</option>' in listing
    assert '<option value="other">Other document</option>' in listing
    chinese = _in_chinese(client, lambda: _list(client, case)).content.decode()
    assert '<option value="clinic_letter">门诊信函</option>' in chinese


def test_the_chosen_type_is_kept_in_the_flag_and_shown_to_the_coordinator(client, people, case):
    doc = _uploaded(case, people)
    process_document.call(doc.pk)
    _login(client, people.owner)
    response = client.post(
        f"/cases/{case.pseudonym}/documents/{doc.pk}/flag/",
        {"doc_type": "clinic_letter", "note": "from my GP"},
    )
    assert response.status_code == 302
    flag = AuditEvent.objects.get(action="document.type_flagged")
    assert flag.after == {"note": "from my GP", "suggested_type": "clinic_letter"}
    assert flag.before == {"doc_type": "pathology"}
    client.force_login(people.coordinator)
    page = client.get(
        reverse("console:case", args=[case.pseudonym]) + "?section=documents"
    ).content.decode()
    assert "Flagged as the wrong type" in page
    assert "they say it is: <strong>Clinic letter</strong>" in page


def test_i_dont_know_flags_the_type_without_a_suggestion_and_an_unknown_type_is_refused(
    client, people, case
):
    doc = _uploaded(case, people)
    process_document.call(doc.pk)
    _login(client, people.owner)
    url = f"/cases/{case.pseudonym}/documents/{doc.pk}/flag/"
    client.post(url, {"doc_type": "not_a_type", "note": ""})
    assert not AuditEvent.objects.filter(action="document.type_flagged").exists()
    client.post(url, {"doc_type": "", "note": ""})
    assert AuditEvent.objects.get(action="document.type_flagged").after == {"note": ""}


# -- 4. the patient's own original ------------------------------------------------------


def test_the_patient_opens_their_own_original_file_not_cached_not_sniffed_and_audited(
    client, people, case
):
    doc = _uploaded(case, people)
    process_document.call(doc.pk)
    _login(client, people.owner)
    page = client.get(f"/cases/{case.pseudonym}/documents/{doc.pk}/").content.decode()
    original = f"/cases/{case.pseudonym}/documents/{doc.pk}/original/"
    assert f'href="{original}"' in page and "Open the file you sent" in page
    response = client.get(original)
    assert response.status_code == 200
    assert response.content == PATHOLOGY.encode()
    assert response["Content-Disposition"] == 'attachment; filename="histology.txt"'
    assert response["Content-Type"] == "application/octet-stream"  # text is downloaded
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    read = AuditEvent.objects.filter(action="document.read", object_id=str(doc.pk)).last()
    assert read is not None and read.actor == people.owner
    assert read.after == {"what": "original"}


def test_a_photo_opens_in_the_page_and_a_pdf_not_checked_clean_is_downloaded(client, people, case):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    photo = _uploaded(case, people, "letter.png", png)
    pdf = do_upload_document(
        case, acting_user=people.owner, file_name="scan.pdf", data=b"%PDF-1.4\n%%EOF\n"
    )
    _login(client, people.owner)
    shown = client.get(f"/cases/{case.pseudonym}/documents/{photo.pk}/original/")
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    # not read yet, so not known to be free of active content: downloaded, not shown
    kept = client.get(f"/cases/{case.pseudonym}/documents/{pdf.pk}/original/")
    assert kept["Content-Disposition"].startswith("attachment")
    assert kept["Content-Type"] == "application/octet-stream"


def test_family_may_open_the_original_but_staff_and_reviewers_may_not_from_the_portal(
    client, people, case
):
    doc = _uploaded(case, people)
    url = f"/cases/{case.pseudonym}/documents/{doc.pk}/original/"
    _login(client, people.family)
    assert client.get(url).status_code == 200
    for person in (people.coordinator, people.reviewer, people.outsider):
        _login(client, person)
        assert client.get(url).status_code == 404, person
    _login(client, people.coordinator)  # who opens the files from the console
    page = client.get(f"/cases/{case.pseudonym}/documents/{doc.pk}/").content.decode()
    assert "Open the file you sent" not in page
