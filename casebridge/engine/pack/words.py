"""The words of a page and where they are on its rendered image: from the PDF's
text layer (pypdfium2) or from Tesseract.

Boxes are mapped with PDFium's own page-to-device transform for the very
arguments the page was rendered with (FPDF_PageToDevice), so a rotated page
(/Rotate 90, 180, 270) or one whose CropBox is not its MediaBox gets boxes on the
words as drawn; page height minus y is right only for an upright, uncropped page.
"""

from __future__ import annotations

import ctypes
import math
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from casebridge.engine.ingest import ocr
from casebridge.engine.pack import tess_api

Box = tuple[float, float, float, float]  # left, top, right, bottom in image pixels


@dataclass(frozen=True)
class Word:
    text: str
    box: Box
    confidence: float = 100.0  # Tesseract's, 0..100; a text-layer word is certain
    line: tuple[int, int, int] = (0, 0, 0)  # Tesseract's block, paragraph, line
    # a text-layer word drawn as visible text with no picture or annotation under
    # or over it: what the image shows there is exactly this word
    plain: bool = False


class Device:
    """PDF page space -> pixels of the page rendered at `scale` with no extra
    rotation and no crop (pypdfium2's PdfPage.render defaults)."""

    def __init__(self, pdf_page: pdfium.PdfPage, scale: float) -> None:

        self._page = pdf_page
        self.width = math.ceil(pdf_page.get_width() * scale)
        self.height = math.ceil(pdf_page.get_height() * scale)

    def point(self, x: float, y: float) -> tuple[int, int]:
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(
            self._page, 0, 0, self.width, self.height, 0, x, y, ctypes.byref(dx), ctypes.byref(dy)
        )
        return dx.value, dy.value

    def box(self, left: float, bottom: float, right: float, top: float) -> Box:
        """A page-space rectangle as pixels; under rotation its corners change places."""
        xs, ys = zip(*(self.point(x, y) for x in (left, right) for y in (bottom, top)), strict=True)
        return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))


def text_layer_words(pdf_page: pdfium.PdfPage, device: Device) -> list[Word]:
    """The text layer's words with their boxes on the rendered image."""
    covered = _pictures_and_annotations(pdf_page, device)
    textpage = pdf_page.get_textpage()
    try:
        words: list[Word] = []
        chars: list[str] = []
        box: list[float] = []
        visible = True

        def close() -> None:
            at: Box = (box[0], box[1], box[2], box[3])
            plain = visible and not any(_overlap(at, other) for other in covered)
            words.append(Word("".join(chars), at, plain=plain))

        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if not char or char.isspace():
                if chars:
                    close()
                chars, box, visible = [], [], True
                continue
            cell = list(device.box(*textpage.get_charbox(i)))
            box = cell if not box else [min(box[0], cell[0]), min(box[1], cell[1]),
                                        max(box[2], cell[2]), max(box[3], cell[3])]  # fmt: skip
            chars.append(char)
            visible = visible and _drawn(textpage, i)
        if chars:
            close()
        return words
    finally:
        textpage.close()


_HIDDEN_MODES = (
    pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE,
    pdfium_c.FPDF_TEXTRENDERMODE_CLIP,
)


def _drawn(textpage: pdfium.PdfTextPage, index: int) -> bool:
    """Whether the character is drawn as text (not the invisible layer a scanner
    lays over its picture, where the picture is what shows)."""
    obj = pdfium_c.FPDFText_GetTextObject(textpage, index)
    if not obj:
        return False
    return pdfium_c.FPDFTextObj_GetTextRenderMode(obj) not in _HIDDEN_MODES


def _pictures_and_annotations(pdf_page: pdfium.PdfPage, device: Device) -> list[Box]:
    """Where the page draws a picture, a shading or an annotation (in pixels)."""
    out: list[Box] = []
    # a picture inside a form XObject counts by the form's bounds: those of what
    # the form holds are in the form's own space, the form's are in the page's
    for i in range(pdfium_c.FPDFPage_CountObjects(pdf_page)):
        obj = pdfium_c.FPDFPage_GetObject(pdf_page, i)
        if _pictured(obj, 0):
            left, bottom, right, top = (ctypes.c_float() for _ in range(4))
            refs = (ctypes.byref(v) for v in (left, bottom, right, top))
            if pdfium_c.FPDFPageObj_GetBounds(obj, *refs):
                out.append(device.box(left.value, bottom.value, right.value, top.value))
    rect = pdfium_c.FS_RECTF()
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(pdf_page)):
        annot = pdfium_c.FPDFPage_GetAnnot(pdf_page, i)
        try:
            if annot and pdfium_c.FPDFAnnot_GetRect(annot, ctypes.byref(rect)):
                out.append(device.box(rect.left, rect.bottom, rect.right, rect.top))
        finally:
            if annot:
                pdfium_c.FPDFPage_CloseAnnot(annot)
    return out


_PICTURES = (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_SHADING)


def _pictured(obj: Any, depth: int) -> bool:
    """Whether a page object is or holds a picture or a shading (forms nest; a
    form nested past 15 levels counts as one)."""
    kind = pdfium_c.FPDFPageObj_GetType(obj)
    if kind in _PICTURES:
        return True
    if kind != pdfium_c.FPDF_PAGEOBJ_FORM:
        return False
    if depth >= 15:
        return True
    return any(
        _pictured(pdfium_c.FPDFFormObj_GetObject(obj, i), depth + 1)
        for i in range(pdfium_c.FPDFFormObj_CountObjects(obj))
    )


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def ocr_words(image: Image.Image, languages: str, dpi: int) -> list[Word] | None:
    """Tesseract's words on the image with their boxes and confidences; None when
    Tesseract is missing or failed (the page then cannot be checked).

    --psm 1 is automatic segmentation with orientation detection: text turned by
    90, 180 or 270 degrees (a photo pasted sideways, a scan upside down) is read
    upright, and its boxes still come in this image's pixels."""
    if not ocr.available():
        return None
    loaded = tess_api.read(image, languages, dpi)
    if loaded is not None:
        return [Word(text, box, confidence, line) for text, box, confidence, line in loaded]
    with tempfile.TemporaryDirectory(prefix="casebridge-pack-") as tmp:
        path = ocr.write_image(image.convert("L"), Path(tmp) / "page.pgm")
        try:
            tsv = ocr._run(["-l", languages, "--psm", "1", "--dpi", str(dpi), "tsv"], path)
        except (RuntimeError, subprocess.TimeoutExpired):
            return None
    words = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            left, top, width, height = (float(c) for c in cols[6:10])
            line = (int(cols[2]), int(cols[3]), int(cols[4]))
            confidence = float(cols[10])
        except ValueError:
            continue
        box = (left, top, left + width, top + height)
        words.append(Word(cols[11].strip(), box, confidence, line))
    return words
