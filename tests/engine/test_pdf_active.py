"""Issue 10: a PDF with JavaScript, OpenAction, Launch, embedded files, XFA or rich media is
flagged at ingest with a reason the coordinator reads, and the copy staff open is redrawn
without it. Real PDFs: written by pypdf and reportlab, and by hand where a library refuses."""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from casebridge.engine.ingest import pdf_active, read_bytes

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import hostile_pdf  # noqa: E402

LETTER = (
    "Dear Dr Patel, the core biopsy of the left breast shows invasive ductal carcinoma, "
    "grade 2. ER positive, HER2 negative. We will discuss her at the MDT next week."
)


def _letter(pages: int = 2) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for number in range(pages):
        pdf.drawString(60, 780, f"Page {number + 1}. {LETTER[:80]}")
        pdf.drawString(60, 760, LETTER[80:])
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _written(change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_letter())))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_with_javascript_is_flagged_with_a_reason_the_coordinator_reads() -> None:
    data = _written(lambda w: w.add_open_action(JavaScript("app.alert('You have been hacked');")))
    (doc,) = read_bytes(data, "letter.pdf")
    assert doc.metadata["active_content"] == "JavaScript"
    assert doc.status == "needs_attention"
    assert doc.problems == [
        "This PDF contains active content (JavaScript): it was removed from the copy staff and "
        "reviewers open, which shows each page redrawn as a picture; the original is kept "
        "unchanged"
    ]
    assert "ER positive, HER2 negative" in doc.text  # still read like any other letter


def test_an_attached_file_is_flagged_as_embedded_files() -> None:
    data = _written(lambda w: w.add_attachment("invoice.exe", b"MZ\x90\x00"))
    assert pdf_active.find_active(data).kinds == ("EmbeddedFiles",)


@pytest.mark.parametrize(
    ("which", "kinds"),
    [
        ("openaction-js", ("JavaScript", "OpenAction")),
        ("page-aa", ("JavaScript", "AA")),
        ("launch", ("OpenAction", "Launch")),
        ("xfa", ("XFA",)),
        ("richmedia", ("RichMedia",)),
        ("submit", ("OpenAction", "SubmitForm")),
        ("link-js", ("JavaScript",)),
    ],
)
def test_each_kind_of_active_content_is_named(which: str, kinds: tuple[str, ...]) -> None:
    rng = random.Random(0)
    while True:  # the corpus's maker picks a kind at random: take the one asked for
        data, made = hostile_pdf.active(rng)
        if made == which:
            break
    found = pdf_active.find_active(data)
    assert found.kinds == kinds and found.checked


def test_javascript_inside_a_compressed_object_stream_is_found_by_the_object_walk() -> None:
    data = hostile_pdf.hidden_in_object_stream(hostile_pdf.js_action(random.Random(1)))
    assert b"JavaScript" not in data  # nothing for a scan of the bytes to see
    assert pdf_active.find_active(data).kinds == ("JavaScript", "OpenAction")


def test_names_spelled_with_hash_escapes_are_found() -> None:
    data = hostile_pdf.letter(b"/Open#41ction 6 0 R", more=[b"<< /S /J#61vaScript /J#53 (x) >>"])
    assert pdf_active.find_active(data).kinds == ("JavaScript", "OpenAction")


def test_javascript_outside_the_object_graph_is_found_by_the_byte_scan() -> None:
    # an object no xref entry reaches: a viewer that repairs the file may still run it
    data = hostile_pdf.letter() + b"99 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"
    assert pdf_active.find_active(data).kinds == ("JavaScript",)


def test_a_page_destination_on_opening_is_a_view_setting_not_active_content() -> None:
    def open_at_page_two(writer: PdfWriter) -> None:
        writer.open_destination = writer.pages[1]

    data = _written(open_at_page_two)
    assert b"/OpenAction" in data
    (doc,) = read_bytes(data, "letter.pdf")
    assert doc.metadata["active_content"] == "" and doc.status == "processed"


def test_a_pdf_nested_too_deep_to_walk_is_unchecked_and_says_nothing_false() -> None:
    data = hostile_pdf.letter(page_extra=b"/Deep " + b"[" * 50_000 + b"]" * 50_000 + b" ")
    found = pdf_active.find_active(data)
    assert found == pdf_active.Found((), checked=False)
    (doc,) = read_bytes(data, "deep.pdf")
    assert doc.metadata["active_content"] == pdf_active.UNCHECKED


def _page_count(data: bytes) -> int:
    pdf = pdfium.PdfDocument(data)
    try:
        return len(pdf)
    finally:
        pdf.close()


def test_the_redrawn_copy_has_every_page_and_no_active_content() -> None:
    data = _written(
        lambda w: (w.add_open_action(JavaScript("app.alert(1);")), w.add_attachment("a.exe", b"MZ"))
    )
    copy = pdf_active.redraw(data)
    assert _page_count(copy) == 2
    assert pdf_active.find_active(copy) == pdf_active.Found((), checked=True)
    for name in (b"/JavaScript", b"/JS", b"/EmbeddedFile", b"/OpenAction", b"/AA"):
        assert name not in copy
    pdf = pdfium.PdfDocument(copy)
    try:
        page = pdf[0]
        width, height = page.get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 kept
        images = list(page.get_objects())
        assert len(images) == 1 and images[0].type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
        # the picture shows the page: it is not blank
        picture = images[0].get_bitmap(render=False).to_pil().convert("L")
        assert picture.getextrema()[0] < 100
        page.close()
    finally:
        pdf.close()


def test_the_redrawn_copy_is_made_in_a_limited_child_and_a_damaged_file_is_refused() -> None:
    data = _written(lambda w: w.add_open_action(JavaScript("app.alert(1);")))
    copy = pdf_active.redraw_in_child(data)
    assert copy.startswith(b"%PDF-") and _page_count(copy) == 2
    with pytest.raises(pdf_active.RedrawError, match="could not be redrawn"):
        pdf_active.redraw_in_child(b"%PDF-1.7\nnot a pdf at all")


def test_the_child_that_redraws_stops_at_its_memory_limit() -> None:
    big = hostile_pdf.huge_page(random.Random(0))  # a 200-inch page: a 20-megapixel picture
    assert pdf_active.redraw_in_child(big).startswith(b"%PDF-")
    with pytest.raises(pdf_active.RedrawError, match="MemoryError"):
        pdf_active.redraw_in_child(big, memory_mb=120)
