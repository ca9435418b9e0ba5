from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from casebridge.engine.case import Case as EngineCase
from casebridge.web.cases import storage
from casebridge.web.cases.actions import do_correct_fact, do_create_case, do_upload_document
from casebridge.web.cases.errors import DuplicateDocument
from casebridge.web.cases.models import AuditEvent, Document
from casebridge.web.cases.tasks import process_document, requeue_stale_documents
from tests.web.records import PATHOLOGY

pytestmark = pytest.mark.django_db


def _pdf(lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = 800
    for line in lines:
        pdf.drawString(60, y, line)
        y -= 18
    pdf.save()
    return buffer.getvalue()


def _facts(case) -> dict[str, str]:
    case.refresh_from_db()
    return {f.kind: f.value for f in EngineCase.from_dict(case.engine).facts}


def _upload(case, person, name, data) -> Document:
    return do_upload_document(case, acting_user=person, file_name=name, data=data)


def test_a_text_report_is_read_into_the_case_by_the_task(people, case):
    doc = _upload(case, people.family, "histology.txt", PATHOLOGY.encode())
    assert doc.state == Document.State.QUEUED
    assert process_document.call(doc.pk) == "processed"
    doc.refresh_from_db()
    assert doc.state == Document.State.PROCESSED and doc.attempts == 1
    assert doc.doc_type == "pathology" and doc.media_type == "text/plain"
    assert doc.engine_doc_id and doc.engine_doc_ids == [doc.engine_doc_id]
    assert doc.lease_expires_at is None and doc.processed_at is not None
    facts = _facts(case)
    assert facts["her2_ihc"] == "3+" and facts["histology"] == "invasive ductal carcinoma"
    event = AuditEvent.objects.get(action="document.processed")
    assert event.actor is None and event.actor_label == "system"


def test_a_pdf_report_is_read_from_its_text_layer(people, case):
    doc = _upload(case, people.owner, "Histopathology.pdf", _pdf(PATHOLOGY.splitlines()))
    process_document.call(doc.pk)
    doc.refresh_from_db()
    assert doc.state == Document.State.PROCESSED
    assert doc.media_type == "application/pdf"
    assert _facts(case)["er_status"] == "positive"


def test_a_processed_document_is_not_processed_twice(people, case):
    doc = _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    process_document.call(doc.pk)
    assert process_document.call(doc.pk) == "already processed"
    case.refresh_from_db()
    assert len(case.engine["documents"]) == 1
    doc.refresh_from_db()
    assert doc.attempts == 1


def test_the_same_file_uploaded_twice_is_refused_with_a_clear_message(people, case):
    _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    with pytest.raises(DuplicateDocument) as error:
        _upload(case, people.family, "copy of histology.txt", PATHOLOGY.encode())
    assert "same content as 'histology.txt'" in str(error.value)
    assert "not added again" in str(error.value)
    assert case.documents.count() == 1


def test_the_same_file_may_be_uploaded_to_two_different_cases(people, case, other_case):
    _upload(case, people.owner, "a.txt", PATHOLOGY.encode())
    _upload(other_case, people.outsider, "a.txt", PATHOLOGY.encode())


def test_a_document_whose_worker_died_is_queued_again_and_then_processed(people, case):
    doc = _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    long_ago = timezone.now() - dt.timedelta(hours=2)
    Document.objects.filter(pk=doc.pk).update(
        state=Document.State.PROCESSING,
        attempts=1,
        started_at=long_ago,
        lease_expires_at=long_ago + dt.timedelta(minutes=15),
    )
    assert requeue_stale_documents() == [doc.pk]
    doc.refresh_from_db()
    assert doc.state == Document.State.QUEUED
    assert AuditEvent.objects.filter(action="document.requeued", object_id=str(doc.pk)).exists()
    assert process_document.call(doc.pk) == "processed"
    doc.refresh_from_db()
    assert doc.attempts == 2


def test_a_new_run_takes_over_a_stale_lease_but_not_a_live_one(people, case):
    doc = _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    now = timezone.now()
    Document.objects.filter(pk=doc.pk).update(
        state=Document.State.PROCESSING, attempts=1, lease_expires_at=now + dt.timedelta(minutes=5)
    )
    assert process_document.call(doc.pk) == "being processed by another worker"
    assert requeue_stale_documents() == []
    Document.objects.filter(pk=doc.pk).update(lease_expires_at=now - dt.timedelta(seconds=1))
    assert process_document.call(doc.pk) == "processed"


def test_a_document_is_given_up_after_the_last_attempt(people, case, settings):
    doc = _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    Document.objects.filter(pk=doc.pk).update(
        state=Document.State.PROCESSING,
        attempts=settings.DOCUMENT_MAX_ATTEMPTS,
        lease_expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    assert process_document.call(doc.pk) == "failed: too many attempts"
    doc.refresh_from_db()
    assert doc.state == Document.State.FAILED
    assert "could not be processed" in doc.reasons[-1]


def test_a_damaged_stored_file_fails_at_once_with_a_plain_reason(people, case):
    doc = _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    storage.blob_path(doc).write_bytes(b"CBF1" + b"\x00" * 40)
    assert process_document.call(doc.pk) == "failed"
    doc.refresh_from_db()
    assert doc.state == Document.State.FAILED
    assert "integrity check" in doc.reasons[-1]
    assert case.engine["documents"] == []


def test_an_unreadable_file_needs_a_persons_attention_with_the_engines_reason(people, case):
    doc = _upload(case, people.owner, "mystery.bin", bytes(range(256)) * 4)
    process_document.call(doc.pk)
    doc.refresh_from_db()
    assert doc.state == Document.State.NEEDS_ATTENTION
    assert doc.reasons and all(isinstance(r, str) and r for r in doc.reasons)


def test_a_correction_survives_processing_of_a_later_document(people, case):
    first = _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    process_document.call(first.pk)
    case.refresh_from_db()
    grade = next(f for f in EngineCase.from_dict(case.engine).facts if f.kind == "grade")
    do_correct_fact(
        case,
        acting_user=people.coordinator,
        fact_id=grade.id,
        value="grade 3",
        reason="Addendum",
        expected_version=case.version,
    )
    later = _upload(case, people.owner, "letter.txt", b"Clinic letter. Seen today, well.")
    process_document.call(later.pk)
    case.refresh_from_db()
    engine = EngineCase.from_dict(case.engine)
    assert engine.first("grade").value == "grade 3"
    assert [c.value for c in engine.corrections] == ["grade 3"]
    assert len(engine.documents) == 2


def test_a_red_flag_pauses_the_case_for_safety(people):
    case = do_create_case(
        acting_user=people.owner, owner=people.owner, intake={"red_flags": ["mscc"]}
    )
    doc = _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    version = case.version
    process_document.call(doc.pk)
    case.refresh_from_db()
    assert case.status == "paused_safety" and case.paused and case.paused_from == "enquiry"
    assert case.version == version + 1
    assert AuditEvent.objects.filter(action="case.paused_for_safety", case=case).exists()


def test_an_upload_queues_the_task_once_the_transaction_commits(
    people, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        doc = _upload(case, people.owner, "histology.txt", PATHOLOGY.encode())
    assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [doc.pk]
    assert queued.task_path.endswith("process_document")
