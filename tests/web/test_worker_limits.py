"""Issue 10: a document is read in a child process under CPU, memory and
wall-clock limits and caps on pages and characters. A document over one needs a
person's attention with the limit named, is not retried, and the worker and the
case's other documents go on. Real child processes, real files."""

from __future__ import annotations

import io

import pytest

from casebridge.engine.case import Case as EngineCase
from casebridge.web.cases.actions import do_upload_document
from casebridge.web.cases.models import AuditEvent, Document
from casebridge.web.cases.tasks import process_document
from tests.web.records import PATHOLOGY

pytestmark = pytest.mark.django_db

# Dense clinical text: the engine reads about 40,000 characters a second of it.
BLOCK = PATHOLOGY + "Clinic letter. The patient is well. Seen today.\n"


def _pdf(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(pages):
        pdf.drawString(60, 800, f"Clinic letter page {number + 1}. The patient is well.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _process(case, person, name: str, data: bytes) -> Document:
    doc = do_upload_document(case, acting_user=person, file_name=name, data=data)
    process_document.call(doc.pk)
    doc.refresh_from_db()
    return doc


def _engine(case) -> EngineCase:
    case.refresh_from_db()
    return EngineCase.from_dict(case.engine)


def _assert_the_case_goes_on(case, person) -> None:
    """The same worker then reads a normal report of the same case."""
    doc = _process(case, person, "histology.txt", PATHOLOGY.encode())
    assert doc.state == Document.State.PROCESSED
    assert _engine(case).value("her2_ihc") == "3+"


def _assert_stopped(doc: Document, case, limit: str, words: str) -> None:
    assert doc.state == Document.State.NEEDS_ATTENTION
    assert doc.attempts == 1  # not retried
    assert len(doc.reasons) == 1 and words in doc.reasons[0]
    assert doc.reasons[0].startswith("This file was not read: ")
    engine = _engine(case)
    stopped = engine.document(doc.engine_doc_id)
    assert stopped is not None and stopped.status == "needs_attention"
    assert stopped.problems == doc.reasons and not stopped.pages
    assert not [f for f in engine.facts if f.source and f.source.document_id == stopped.id]
    event = AuditEvent.objects.get(action="document.processed", object_id=str(doc.pk))
    assert event.after["limit"] == limit


def test_a_document_that_needs_more_cpu_time_than_the_limit_is_stopped_and_named(
    people, case, settings
):
    settings.DOCUMENT_READ_CPU_SECONDS = 1
    doc = _process(case, people.owner, "long letter.txt", (BLOCK * 3000).encode())
    _assert_stopped(doc, case, "cpu", "more than the 1-second limit of processing time")
    _assert_the_case_goes_on(case, people.owner)


def test_a_document_that_takes_longer_than_the_wall_clock_limit_is_stopped_and_named(
    people, case, settings
):
    settings.DOCUMENT_READ_WALL_SECONDS = 1
    doc = _process(case, people.owner, "long letter.txt", (BLOCK * 3000).encode())
    _assert_stopped(doc, case, "wall", "took longer than the 1-second limit")
    _assert_the_case_goes_on(case, people.owner)


def test_a_document_that_needs_more_memory_than_the_limit_is_stopped_and_named(
    people, case, settings
):
    settings.DOCUMENT_READ_MEMORY_MB = 300
    settings.DOCUMENT_MAX_CHARACTERS = 10**9  # so that memory, not the cap, stops it
    doc = _process(case, people.owner, "export.txt", (BLOCK * 250_000).encode())  # 62 MB
    _assert_stopped(doc, case, "memory", "more than the 300 MB memory limit")
    _assert_the_case_goes_on(case, people.owner)


def test_a_text_over_the_character_cap_is_not_read_and_says_how_long_it_is(people, case, settings):
    settings.DOCUMENT_MAX_CHARACTERS = 1_000
    doc = _process(case, people.owner, "notes.txt", (BLOCK * 10).encode())
    assert doc.state == Document.State.NEEDS_ATTENTION and doc.attempts == 1
    assert doc.reasons == [
        "This file was not read: the file has 2,479 characters of text; the limit is 1,000. "
        "Please split it into smaller files or send a smaller copy; your coordinator can see "
        "this too"
    ]
    stopped = _engine(case).document(doc.engine_doc_id)
    assert stopped is not None and not stopped.pages and stopped.media_type == "text/plain"
    _assert_the_case_goes_on(case, people.owner)


def test_a_pdf_over_the_page_cap_is_refused_before_any_page_is_read(people, case, settings):
    settings.DOCUMENT_MAX_PAGES = 5
    doc = _process(case, people.owner, "whole record.pdf", _pdf(6))
    assert doc.state == Document.State.NEEDS_ATTENTION
    assert "the file has 6 pages; the limit is 5" in doc.reasons[0]
    stopped = _engine(case).document(doc.engine_doc_id)
    assert stopped is not None and stopped.media_type == "application/pdf" and not stopped.pages
    within = _process(case, people.owner, "short record.pdf", _pdf(5))
    assert within.reasons == [] or all("limit" not in r for r in within.reasons)
    assert len(_engine(case).document(within.engine_doc_id).pages) == 5  # type: ignore[union-attr]


def test_a_normal_document_is_read_in_a_child_with_its_facts_and_sources(people, case):
    doc = _process(case, people.owner, "histology.txt", PATHOLOGY.encode())
    assert doc.state == Document.State.PROCESSED and doc.doc_type == "pathology"
    engine = _engine(case)
    her2 = engine.first("her2_ihc")
    assert her2 is not None and her2.source is not None
    assert her2.source.document_id == doc.engine_doc_id
    assert her2.source.snippet and "HER2" in her2.source.snippet


def test_ocr_page_images_stay_in_a_folder_the_worker_removes_even_when_it_kills_the_reader(
    tmp_path, monkeypatch
):
    import tempfile
    import threading
    from pathlib import Path

    from casebridge.web.cases.reader import ReadLimits, read_document

    scan = (Path(__file__).parents[2] / "examples/breast-her2/Scan 13 Sep 2026.pdf").read_bytes()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the worker makes it
    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.update(p.name for p in tmp_path.rglob("*.pgm"))
            done.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for wall in (300, 0.5):  # read to the end, then killed in the middle
            outcome = read_document(
                scan,
                "scan.pdf",
                programme="oncology",
                known=[],
                limits=ReadLimits(wall_seconds=wall),
            )
            # (pymp-* is multiprocessing's own, for the forkserver's socket)
            assert [p for p in tmp_path.iterdir() if not p.name.startswith("pymp-")] == []
    finally:
        done.set()
        watcher.join()
    assert seen  # the page images were written there, and nowhere left behind
    assert outcome.limit == "wall"
