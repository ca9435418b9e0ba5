"""Issue 10 (security review: "a PDF with JavaScript/OpenAction reaches coordinators
unchanged"): staff open a redrawn copy of a PDF with active content, or of one not checked
for it; the stored original is kept as it was; a clean PDF is served as it is."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from casebridge.engine.ingest import pdf_active
from casebridge.web.cases import storage
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.models import Document
from casebridge.web.cases.tasks import process_document

pytestmark = pytest.mark.django_db


def _letter() -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawString(60, 780, "HISTOPATHOLOGY REPORT. Date of report: 12/03/2024.")
    pdf.drawString(60, 760, "Invasive ductal carcinoma, grade 2. ER positive. HER2 negative.")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _with_javascript() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_letter())))
    writer.add_open_action(JavaScript("app.launchURL('http://example.invalid/', true);"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _upload(case, person, name: str, data: bytes, *, process: bool = True) -> Document:
    doc = do_upload_document(case, acting_user=person, file_name=name, data=data)
    if process:
        process_document.call(doc.pk)
    doc.refresh_from_db()
    return doc


def _open(client, person, case, doc: Document):
    client.force_login(person)
    url = reverse("console:document_file", args=[case.pseudonym, doc.pk])
    return client.get(url, secure=True)


def test_a_pdf_with_javascript_reaches_the_coordinator_redrawn_and_the_original_is_kept(
    client, people, case
):
    original = _with_javascript()
    doc = _upload(case, people.owner, "histology.pdf", original)
    assert doc.state == Document.State.NEEDS_ATTENTION
    assert any("active content (JavaScript" in reason for reason in doc.reasons)
    response = _open(client, people.coordinator, case, doc)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "histology (redrawn copy).pdf" in response["Content-Disposition"]
    copy = response.content
    assert copy.startswith(b"%PDF-") and copy != original
    assert pdf_active.find_active(copy) == pdf_active.Found((), checked=True)
    assert b"/JavaScript" in original and b"/JavaScript" not in copy
    stored = storage.read_document(case_for_system(case.pk), doc)
    assert stored == original  # the stored file is untouched


def test_a_clean_pdf_is_served_as_it_was_uploaded(client, people, case):
    original = _letter()
    doc = _upload(case, people.owner, "histology.pdf", original)
    assert not any("active content" in reason for reason in doc.reasons)
    response = _open(client, people.coordinator, case, doc)
    assert response.content == original
    assert 'filename="histology.pdf"' in response["Content-Disposition"]


def test_a_pdf_not_yet_checked_is_redrawn_too(client, people, case):
    original = _letter()
    doc = _upload(case, people.owner, "histology.pdf", original, process=False)
    assert doc.state == Document.State.QUEUED
    response = _open(client, people.coordinator, case, doc)
    assert response.content != original and response.content.startswith(b"%PDF-")
    assert "redrawn copy" in response["Content-Disposition"]


def test_a_pdf_that_cannot_be_redrawn_is_not_served_and_the_coordinator_is_told(
    client, people, case
):
    damaged = b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (x) >> >>\n"
    doc = _upload(case, people.owner, "broken.pdf", damaged)
    response = _open(client, people.coordinator, case, doc)
    assert response.status_code == 422
    assert damaged not in response.content
    assert "a safe copy could not be made" in response.content.decode()
