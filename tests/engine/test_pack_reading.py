"""What makes the pack fast must not change what it finds or sends: Tesseract
kept loaded (tess_api) reads a page exactly as the `tesseract` command does at
ingest, and a page with no colour is written as one channel, exactly."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from casebridge.engine.ingest import ocr
from casebridge.engine.pack import tess_api, words
from casebridge.engine.pack.pages import DPI, RedactedPage
from casebridge.engine.pack.pdf import redacted_pdf

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract is not installed")


def _scan() -> Image.Image:
    pdf = pdfium.PdfDocument(str(EXAMPLES / "breast-her2" / "Scan 13 Sep 2026.pdf"))
    try:
        return pdf[0].render(scale=DPI / 72).to_pil().convert("RGB")
    finally:
        pdf.close()


@needs_tesseract
def test_the_loaded_tesseract_reads_a_scan_word_for_word_as_the_command(monkeypatch):
    image = _scan()
    loaded = tess_api.read(image, "eng", DPI)
    assert loaded is not None, "tesserocr is part of the installation"
    monkeypatch.setattr(tess_api, "read", lambda *args: None)  # the command, as without it
    command = words.ocr_words(image, "eng", DPI)
    assert command is not None
    assert [w[0] for w in loaded] == [w.text for w in command]
    assert [w[1] for w in loaded] == [w.box for w in command]
    assert [w[3] for w in loaded] == [w.line for w in command]
    assert "WHITCOMBE" in {w[0] for w in loaded}


@needs_tesseract
def test_the_loaded_tesseract_reads_a_page_turned_sideways_with_boxes_on_this_image():
    turned = _scan().rotate(90, expand=True)  # a scan fed in sideways
    read = tess_api.read(turned, "eng", DPI)
    assert read is not None
    found = {w[0]: w[1] for w in read}
    assert "WHITCOMBE" in found
    left, top, right, bottom = found["WHITCOMBE"]
    assert bottom - top > right - left  # a tall box: the word as it lies on the image


@needs_tesseract
def test_a_blank_image_reads_as_no_words_not_a_failure():
    assert tess_api.read(Image.new("RGB", (400, 300), "white"), "eng", DPI) == []


def _colour_spaces(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    spaces = []
    for page in reader.pages:
        for obj in page["/Resources"]["/XObject"].values():
            spaces.append(str(obj.get_object()["/ColorSpace"]))
    return spaces


def test_a_page_without_colour_is_written_as_grey_and_one_with_colour_keeps_it():
    grey = _scan()
    red, green, blue = grey.split()
    assert red.tobytes() == green.tobytes() == blue.tobytes()
    coloured = grey.copy()
    ImageDraw.Draw(coloured).rectangle([10, 10, 60, 60], fill=(0, 94, 184))  # an NHS-blue logo
    pdf = redacted_pdf(
        [RedactedPage(1, "text", grey), RedactedPage(2, "text", coloured)], "CB-TEST 01"
    )
    assert _colour_spaces(pdf) == ["/DeviceGray", "/DeviceRGB"]
    # the grey page's pixels are the image's, exactly
    stream = next(iter(PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/XObject"].values()))
    assert stream.get_object().get_data() == red.tobytes()
