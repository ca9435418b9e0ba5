"""PDF: the text layer of each page (pypdfium2), and OCR of the pages without one."""

from __future__ import annotations

import unicodedata
from concurrent.futures import Future

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageStat

from casebridge.engine.case import Document, Page
from casebridge.engine.ingest import limits, ocr, pdf_active
from casebridge.engine.ingest.text import normalise

_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD


def real_chars(text: str) -> int:
    """Letters and digits (Chinese characters count): what a reader could use."""
    return sum(1 for ch in text if ch.isalnum())


def _garbage_share(text: str) -> float:
    """Share of glyphs a reader cannot use: replacement, private-use and control characters
    (what a font without a Unicode map gives)."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 0.0
    bad = sum(
        1 for ch in visible if ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cc", "Cn")
    )
    return bad / len(visible)


def _has_images(page: pdfium.PdfPage) -> bool:
    return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))


def read_pdf(doc: Document, data: bytes) -> None:
    flag_active_content(doc, data)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PASSWORD_ERROR:
            doc.needs_attention(
                "This PDF is protected by a password, so it cannot be read: please send a copy "
                "without the password (or tell us the password)"
            )
        else:
            doc.needs_attention(
                "This PDF is damaged or incomplete and cannot be opened: please send it again"
            )
        return
    try:
        _read_pages(doc, pdf)
    finally:
        pdf.close()


def flag_active_content(doc: Document, data: bytes) -> None:
    """metadata["active_content"]: "" when checked and none found, else the kinds found (or
    "unchecked"): the web then serves staff a redrawn copy (ingest/pdf_active.py). Kinds
    found are also a reason the coordinator sees. Checked before pdfium opens the file: a
    damaged file a viewer would repair is checked all the same."""
    found = pdf_active.find_active(data)
    if found.kinds:
        doc.metadata["active_content"] = ", ".join(found.kinds)
        doc.needs_attention(pdf_active.reason(found))
    else:
        doc.metadata["active_content"] = "" if found.checked else pdf_active.UNCHECKED


def _read_pages(doc: Document, pdf: pdfium.PdfDocument) -> None:
    total = len(pdf)
    if total == 0:
        doc.needs_attention("This PDF has no pages")
        return
    count = min(total, limits.MAX_PDF_PAGES)
    if total > count:
        doc.needs_attention(
            f"This PDF has {total} pages; only the first {count} were read: please split it "
            "into smaller files"
        )
    pages: list[Page | None] = [None] * count
    pending: list[tuple[int, Future[ocr.OcrResult]]] = []
    unreadable: list[int] = []
    layers: dict[int, str] = {}  # text layer of the pages sent to OCR
    pool: ocr.PagePool | None = None
    try:
        for index in range(count):
            try:
                page = pdf[index]
            except pdfium.PdfiumError:
                unreadable.append(index + 1)
                pages[index] = Page(index + 1, "", "text-layer")
                continue
            try:
                raw = _text_layer(page)
                text = normalise(raw)
                garbled = _garbage_share(raw) > limits.MAX_TEXT_LAYER_GARBAGE
                usable = real_chars(text) >= limits.MIN_TEXT_LAYER_CHARS and not garbled
                needs_ocr = not usable and (garbled or _has_images(page))
                if not needs_ocr or not ocr.available():
                    pages[index] = Page(index + 1, "" if garbled else text, "text-layer")
                    if needs_ocr:
                        unreadable.append(index + 1)
                    continue
                layers[index] = "" if garbled else text
                if pool is None:
                    pool = ocr.PagePool()
                image, dpi = page_image(page)
                pending.append((index, pool.submit(image, dpi)))
            finally:
                page.close()
        for index, future in pending:
            result = future.result()
            layer = layers.get(index, "")
            if real_chars(layer) > real_chars(result.text):
                pages[index] = Page(index + 1, layer, "text-layer")
                continue
            pages[index] = Page(index + 1, result.text, "ocr", ocr_confidence=result.confidence)
            if result.failed:
                unreadable.append(index + 1)
    finally:
        if pool is not None:
            pool.close()
    doc.pages = [p for p in pages if p is not None]
    if unreadable:
        listed = ", ".join(str(n) for n in sorted(unreadable)[:10])
        doc.needs_attention(f"Some pages could not be read (page {listed})")


def _text_layer(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        return str(textpage.get_text_bounded())
    finally:
        textpage.close()


def page_image(page: pdfium.PdfPage) -> tuple[Image.Image, int]:
    """A greyscale image of the page for OCR, and its resolution.

    A scanned page is usually one picture covering the page: that picture is
    taken as it is when its resolution suits OCR (no re-rendering, which costs
    as much as a tenth of the OCR). Anything else is rendered at OCR_DPI."""
    scan = _the_scan(page)
    if scan is not None:
        return scan
    width, height = page.get_size()  # in points (1/72 in)
    scale = limits.OCR_DPI / 72
    pixels = width * scale * height * scale
    if pixels > limits.OCR_MAX_PIXELS:
        scale *= (limits.OCR_MAX_PIXELS / pixels) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    image = bitmap.to_pil()
    # copy: the bitmap's memory is freed with the bitmap
    image = image.convert("L") if image.mode != "L" else image.copy()
    return image, round(scale * 72)


def _the_scan(page: pdfium.PdfPage) -> tuple[Image.Image, int] | None:
    if page.get_rotation() != 0:
        return None
    images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3))
    if len(images) != 1:
        return None
    picture = images[0]
    a, b, c, d, _e, _f = picture.get_matrix().get()
    width, height = page.get_size()
    if b or c or a <= 0 or d <= 0 or a * d < 0.85 * width * height:
        return None
    px_width, px_height = picture.get_px_size()
    dpi = px_width / (a / 72)
    if not limits.SCAN_MIN_DPI <= dpi <= limits.SCAN_MAX_DPI or px_width * px_height > (
        limits.OCR_MAX_PIXELS
    ):
        return None
    try:
        bitmap = picture.get_bitmap(render=False)
        image = bitmap.to_pil().convert("L")
    except (pdfium.PdfiumError, ValueError, OSError):
        return None
    if image.size != (px_width, px_height) or ImageStat.Stat(image.reduce(8)).mean[0] < 96:
        return None  # a mask or an inverted picture: let the renderer compose the page
    return image, round(dpi)
