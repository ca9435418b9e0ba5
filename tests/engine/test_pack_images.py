"""Pages of the case pack beyond plain text: text inside a picture on a page that
has a text layer, rotated and cropped pages, the final check of the finished
image, and a pack that knows nothing of the patient. Real PDFs (reportlab,
pypdf), real Tesseract."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from casebridge.engine.case import Case, Document, Identifier, Page, Source
from casebridge.engine.ingest import ocr
from casebridge.engine.pack import legible, pages
from casebridge.engine.pack.build import build_pack
from casebridge.engine.pack.identity import KnownIdentity, PackError
from casebridge.engine.pack.pages import DPI, redact_document
from casebridge.engine.pack.words import Device, ocr_words, text_layer_words
from casebridge.engine.render.redact import Redactor

needs_ocr = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")

LINE = "NHS number 999 047 1320 seen in clinic today"


def _ident(kind: str, value: str) -> Identifier:
    return Identifier(kind, value, Source("x", "letter.pdf", 1, 0, len(value), value))


def _document(text: str) -> Document:
    return Document(
        id="d",
        file_name="letter.pdf",
        sha256="d",
        size=1,
        media_type="application/pdf",
        pages=[Page(1, text, "text-layer")],
    )


def _label_picture(text: str) -> Image.Image:
    """A photographed label: black text on a light grey card."""
    picture = Image.new("RGB", (900, 160), (235, 235, 235))
    ImageDraw.Draw(picture).text((30, 40), text, fill="black", font=ImageFont.load_default(64))
    return picture


def _pdf_with_picture(line: str, picture: Image.Image) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 760, line)
    pdf.drawImage(ImageReader(picture), 72, 560, 450, 80)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _ocr_text(image: Image.Image) -> str:
    words = ocr_words(image, "eng", DPI)
    assert words is not None
    return " ".join(w.text for w in words)


@needs_ocr
def test_a_name_in_a_picture_on_a_page_with_a_text_layer_is_blacked_out() -> None:
    redactor = Redactor([_ident("person_name", "Eleanor Whitcombe")], "en")
    line = "Clinic letter: your scan is booked for Monday."
    data = _pdf_with_picture(line, _label_picture("Eleanor Whitcombe"))
    (page,) = redact_document(_document(line), data, redactor)
    assert page.image is not None, page.note
    assert page.blacked_out >= 1
    seen = _ocr_text(page.image)
    assert "Whitcombe" not in seen and "Eleanor" not in seen
    assert "scan" in seen  # the text layer's words are still on the picture


@needs_ocr
def test_a_misread_name_in_a_picture_is_blacked_out_too() -> None:
    """The picture says "Whitc0mbe" (a zero): the exact patterns miss it, a reader does not."""
    redactor = Redactor([_ident("person_name", "Eleanor Whitcombe")], "en")
    line = "Clinic letter: your scan is booked for Monday."
    data = _pdf_with_picture(line, _label_picture("Mrs E. Whitc0mbe"))
    (page,) = redact_document(_document(line), data, redactor)
    assert page.image is not None, page.note
    assert "hitc" not in _ocr_text(page.image)


@needs_ocr
def test_what_the_blackout_misses_the_final_check_finds_and_the_build_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were the search of the picture to miss the name (here: made to), the finished
    image is read again and the page is withheld, with its reason in the manifest."""
    real_spans, real_hits = pages._spans, legible.hits
    calls = {"hits": 0}

    def spans(words, redactor, offset=0):  # noqa: ANN001, ANN202
        # Tesseract's words of the first reading come after the text layer's (offset > 0)
        return [] if offset else real_spans(words, redactor, offset)

    def hits(words, needles):  # noqa: ANN001, ANN202
        calls["hits"] += 1
        return [] if calls["hits"] == 1 else real_hits(words, needles)

    monkeypatch.setattr(pages, "_spans", spans)
    monkeypatch.setattr(pages.legible, "hits", hits)
    line = "NHS number 999 047 1320 seen in clinic"
    data = _pdf_with_picture(line, _label_picture("Eleanor Whitcombe"))
    document = _document(line)
    case = Case(documents=[document], identifiers=[_ident("person_name", "Eleanor Whitcombe"),
                                                   _ident("nhs_number", "999 047 1320")])  # fmt: skip
    pack = build_pack(case, lambda d: data, pseudonym="CB-T1", created="2026-12-07T09:00:00+00:00")
    (original,) = [f for f in pack.files if f.role == "original"]
    assert original.details["pages_as_text"] == [1]
    (withheld,) = original.details["pages_withheld"]
    assert withheld["page"] == 1 and "could still be read" in withheld["why"]


def _turned_and_cropped(number: str, *, rotate: int = 0, crop: bool = False) -> bytes:
    """A letter page whose NHS number is drawn on its own (so that the same page
    without it tells which pixels are the number's), turned and/or cropped."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(595, 842))
    pdf.setFont("Helvetica", 14)
    pdf.drawString(200, 500, "NHS number")
    pdf.drawString(290, 500, number)
    pdf.drawString(390, 500, "seen in clinic")
    pdf.drawString(200, 300, "Clinic letter for the reviewing team")
    pdf.showPage()
    pdf.save()
    writer = PdfWriter()
    page = writer.add_page(PdfReader(io.BytesIO(out.getvalue())).pages[0])
    if rotate:
        page.rotate(rotate)
    if crop:  # a scanner's or an editor's crop: the page shows only part of its media
        page.cropbox = RectangleObject((150, 250, 560, 700))
    done = io.BytesIO()
    writer.write(done)
    return done.getvalue()


def _render(data: bytes) -> Image.Image:
    pdf = pdfium.PdfDocument(data)
    try:
        return pdf[0].render(scale=DPI / 72).to_pil().convert("L")
    finally:
        pdf.close()


def _number_pixels(rotate: int, crop: bool) -> list[tuple[int, int]]:
    """The pixels of the rendered page that are the number's glyphs."""
    with_number = _render(_turned_and_cropped("999 047 1320", rotate=rotate, crop=crop))
    without = _render(_turned_and_cropped("", rotate=rotate, crop=crop))
    width, height = with_number.size
    a, b = with_number.load(), without.load()
    assert a is not None and b is not None
    out = [(x, y) for y in range(height) for x in range(width) if a[x, y] < 128 <= b[x, y]]
    assert len(out) > 100
    return out


TURNS = [(90, False), (180, False), (270, False), (0, True), (90, True), (270, True)]


@needs_ocr
@pytest.mark.parametrize(("rotate", "crop"), TURNS)
def test_on_a_rotated_or_cropped_page_the_identifier_pixels_are_black(
    rotate: int, crop: bool
) -> None:
    data = _turned_and_cropped("999 047 1320", rotate=rotate, crop=crop)
    redactor = Redactor([_ident("nhs_number", "999 047 1320")], "en")
    (page,) = redact_document(_document(LINE), data, redactor)
    assert page.image is not None, page.note
    grey = page.image.convert("L")
    shown = grey.load()
    assert shown is not None
    pixels = _number_pixels(rotate, crop)
    assert all(shown[x, y] < 40 for x, y in pixels), (rotate, crop)
    # and only about there: the black is the number's box, not the page
    assert grey.histogram()[0] < 8 * len(pixels)


@pytest.mark.parametrize(("rotate", "crop"), TURNS)
def test_text_layer_boxes_land_on_the_words_as_rendered(rotate: int, crop: bool) -> None:
    data = _turned_and_cropped("999 047 1320", rotate=rotate, crop=crop)
    pdf = pdfium.PdfDocument(data)
    try:
        pdf_page = pdf[0]
        words = text_layer_words(pdf_page, Device(pdf_page, DPI / 72))
    finally:
        pdf.close()
    boxes = [w.box for w in words if w.text in ("999", "047", "1320")]
    assert len(boxes) == 3 and all(w.plain for w in words)
    for x, y in _number_pixels(rotate, crop):
        assert any(b[0] - 1 <= x <= b[2] + 1 and b[1] - 1 <= y <= b[3] + 1 for b in boxes)


def test_a_pack_that_knows_no_name_nhs_number_or_date_of_birth_is_refused() -> None:
    document = _document("Dear patient, your scan is booked.")
    case = Case(documents=[document], identifiers=[_ident("postcode", "LS29 8QJ")])
    with pytest.raises(PackError, match="E301"):
        build_pack(case, lambda d: None, pseudonym="CB-T2", created="2026-12-07T09:00:00+00:00")


def test_the_identity_known_outside_the_records_is_hidden_in_the_pack() -> None:
    """The records do not say who she is in a way the engine reads; the account does."""
    text = "Seen today with Eleanor Whitcombe's daughter; born 14/03/1971."
    case = Case(documents=[_document(text)])
    pack = build_pack(
        case,
        lambda d: None,
        pseudonym="CB-T3",
        created="2026-12-07T09:00:00+00:00",
        known=KnownIdentity(name="Eleanor Whitcombe", date_of_birth="1971-03-14"),
    )
    assert case.identifiers == []  # the caller's case is not changed
    (original,) = [f for f in pack.files if f.role == "original"]
    text_seen = _pdf_text(original.data)
    assert "Whitcombe" not in text_seen and "14/03/1971" not in text_seen
    assert "[name]" in text_seen


def test_a_patient_who_chose_to_include_their_name_has_it_sent_and_nothing_else() -> None:
    text = "Seen today with Eleanor Whitcombe; born 14/03/1971. Friend Ann Parker present."
    case = Case(documents=[_document(text)])
    pack = build_pack(
        case,
        lambda d: None,
        pseudonym="CB-T5",
        created="2026-12-07T09:00:00+00:00",
        known=KnownIdentity(
            name="Eleanor Whitcombe",
            date_of_birth="1971-03-14",
            others=(("person_name", "Ann Parker"),),
        ),
        include_name="WHITCOMBE, Eleanor",
    )
    (original,) = [f for f in pack.files if f.role == "original"]
    text_seen = _pdf_text(original.data)
    assert "Eleanor Whitcombe" in text_seen
    assert "14/03/1971" not in text_seen and "Parker" not in text_seen
    assert pack.manifest["patient_name_included"] is True


def test_the_intake_answers_name_the_patient_too() -> None:
    case = Case(documents=[_document("Letter for Eleanor Whitcombe.")],
                intake={"full_name": "Eleanor Whitcombe"})  # fmt: skip
    pack = build_pack(case, lambda d: None, pseudonym="CB-T4", created="2026-12-07T09:00:00Z")
    (original,) = [f for f in pack.files if f.role == "original"]
    assert "Whitcombe" not in _pdf_text(original.data)


def _pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))
    finally:
        pdf.close()
