"""Redacted pages of an original document, for the reviewers abroad (issue 11,
part 3): never the uploaded file, but each page as an image with every
identifier the case holds blacked out, and a text layer rebuilt from the
redacted text.

Where an identifier is on the image is found from the page's own words and
their boxes: the PDF's text layer (pypdfium2's character boxes) or, for a scan
or a photo, Tesseract's word boxes. The words are joined into one text and the
case's Redactor (render/redact.py, the summary's) finds the identifiers in it;
each word an identifier touches is blacked out.

When in doubt the image is withheld: if the engine's reading of the page holds
more identifiers than were found among the image's words (a page the OCR read
turned, a number split oddly), the page is sent as its redacted text alone and
says so. A leaked identifier is worse than a missing picture.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from casebridge.engine.case import Document, Page
from casebridge.engine.ingest import limits, ocr
from casebridge.engine.render.redact import Redactor

# Pages are drawn at this resolution: enough to read a report, small enough to send.
DPI = 150
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom in image pixels


@dataclass
class RedactedPage:
    number: int
    text: str  # the page's text, identifiers replaced by markers
    image: Image.Image | None  # None: the page goes as its redacted text alone
    blacked_out: int = 0  # identifiers blacked out on the image
    note: str = ""  # why the image was withheld, in plain words


def redact_document(
    document: Document, data: bytes | None, redactor: Redactor
) -> list[RedactedPage]:
    """Every page of `document`, redacted. `data` is the original file (None when
    it cannot be had: the page goes as its redacted text)."""
    if data is not None and document.media_type == "application/pdf":
        return list(_pdf_pages(document, data, redactor))
    if data is not None and document.media_type.startswith("image/"):
        return list(_image_pages(document, data, redactor))
    return [_text_only(page, redactor, "") for page in document.pages]


def _text_only(page: Page, redactor: Redactor, note: str) -> RedactedPage:
    return RedactedPage(page.number, redactor(page.text), None, 0, note)


def _pdf_pages(document: Document, data: bytes, redactor: Redactor) -> Iterator[RedactedPage]:
    pdf = pdfium.PdfDocument(data)
    try:
        by_number = {p.number: p for p in document.pages}
        for index in range(len(pdf)):
            page = by_number.get(index + 1) or Page(index + 1, "", "text-layer")
            pdf_page = pdf[index]
            try:
                scale = DPI / 72
                image = pdf_page.render(scale=scale).to_pil().convert("RGB")
                if page.method == "ocr":
                    words = _ocr_words(image, page.text)
                else:
                    words = _text_layer_words(pdf_page, scale)
                yield _blacked_out(page, image, words, redactor)
            finally:
                pdf_page.close()
    finally:
        pdf.close()


def _image_pages(document: Document, data: bytes, redactor: Redactor) -> Iterator[RedactedPage]:
    picture = Image.open(io.BytesIO(data))
    frames = getattr(picture, "n_frames", 1)
    for index, page in enumerate(document.pages):
        if index >= frames:
            yield _text_only(page, redactor, "")
            continue
        picture.seek(index)
        image = picture.convert("RGB")
        yield _blacked_out(page, image, _ocr_words(image, page.text), redactor)


def _text_layer_words(pdf_page: pdfium.PdfPage, scale: float) -> list[Word]:
    """The text layer's words with their boxes, in image pixels."""
    textpage = pdf_page.get_textpage()
    try:
        height = pdf_page.get_height()
        words: list[Word] = []
        chars: list[str] = []
        box: list[float] = []
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if not char or char.isspace():
                if chars:
                    words.append(Word("".join(chars), (box[0], box[1], box[2], box[3])))
                chars, box = [], []
                continue
            left, bottom, right, top = textpage.get_charbox(i)
            cell = [left * scale, (height - top) * scale, right * scale, (height - bottom) * scale]
            box = cell if not box else [min(box[0], cell[0]), min(box[1], cell[1]),
                                        max(box[2], cell[2]), max(box[3], cell[3])]  # fmt: skip
            chars.append(char)
        if chars:
            words.append(Word("".join(chars), (box[0], box[1], box[2], box[3])))
        return words
    finally:
        textpage.close()


def _ocr_words(image: Image.Image, known_text: str) -> list[Word]:
    """Tesseract's words and boxes on the image, in the page's language."""
    if not ocr.available():
        return []
    languages = (
        limits.OCR_CHINESE_LANGUAGE if _CJK.search(known_text or "") else limits.OCR_FIRST_LANGUAGE
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = ocr.write_image(image.convert("L"), Path(tmp) / "page.pgm")
        try:
            tsv = ocr._run(["-l", languages, "--psm", "3", "tsv"], path)
        except (RuntimeError, subprocess.TimeoutExpired):
            return []
    words = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        left, top, width, height = (float(c) for c in cols[6:10])
        words.append(Word(cols[11].strip(), (left, top, left + width, top + height)))
    return words


def _blacked_out(
    page: Page, image: Image.Image, words: list[Word], redactor: Redactor
) -> RedactedPage:
    """The page image with each word an identifier touches painted black, or
    the text alone when fewer identifiers were found on the image than the
    engine's reading of the page holds."""
    text = redactor(page.text)
    joined, starts = "", []
    for word in words:
        if joined:
            joined += " "
        starts.append(len(joined))
        joined += word.text
    spans = redactor.spans(joined)
    # each identifier the engine's reading holds must be found on the image as
    # often (compared without spacing and punctuation: the two readings differ)
    expected = Counter(_key(page.text[a:b]) for a, b in redactor.spans(page.text))
    found = Counter(_key(joined[a:b]) for a, b in spans)
    if expected - found:
        return RedactedPage(
            page.number,
            text,
            None,
            0,
            "The picture of this page could not be checked for the patient's details, so only "
            "its text is sent, with those details removed.",
        )
    draw = ImageDraw.Draw(image)
    hidden = 0
    for start, end in spans:
        touched = [
            w for w, at in zip(words, starts, strict=True) if at < end and at + len(w.text) > start
        ]
        for word in touched:
            left, top, right, bottom = word.box
            draw.rectangle([left - 2, top - 2, right + 2, bottom + 2], fill="black")
        hidden += 1 if touched else 0
    return RedactedPage(page.number, text, image, hidden)


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()
