"""A document's redacted pages as one PDF (reportlab): each page the blacked-out
image with the redacted text under it as an invisible layer (so a reviewer can
search and copy it), or, where the image was withheld, the redacted text
printed, with the reason."""

from __future__ import annotations

import io
import re
from textwrap import wrap

from PIL import Image
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from casebridge.engine.pack.pages import DPI, RedactedPage
from casebridge.engine.render.cjk_font import pdf_fonts

# Page images as binary streams, not ASCII85: without reportlab's C accelerator
# the encoding is pure Python and half of the pack's PDF writing
# (benchmarks/bench_pack.py); the files are smaller too. PDF readers need neither.
rl_config.useA85 = 0

_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
LATIN = "Helvetica"


def redacted_pdf(pages: list[RedactedPage], title: str) -> bytes:
    fonts = pdf_fonts()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pageCompression=1, invariant=1)
    pdf.setTitle(title)
    pdf.setAuthor("casebridge")
    for page in pages:
        if page.image is not None:
            width, height = (v * 72 / DPI for v in page.image.size)
            pdf.setPageSize((width, height))
            pdf.drawImage(ImageReader(_gray_if_gray(page.image)), 0, 0, width, height)
            text = pdf.beginText(12, height - 14)
            text.setTextRenderMode(3)  # invisible: the layer is for search and copy
            for line in _wrapped(page.text, 0):
                text.setFont(_font(line, fonts.fallback), 9)
                text.textLine(line)
            pdf.drawText(text)
            pdf.showPage()
            continue
        # the text alone, on as many A4 pages as it needs
        pdf.setPageSize(A4)
        lines = ([f"[{page.note}]", ""] if page.note else []) + _wrapped(page.text, 90)
        per_page = int((A4[1] - 2 * MARGIN) // LEADING)
        for at in range(0, max(len(lines), 1), per_page):
            text = pdf.beginText(MARGIN, A4[1] - MARGIN)
            text.setLeading(LEADING)
            for line in lines[at : at + per_page]:
                text.setFont(_font(line, fonts.fallback), 10)
                text.textLine(line)
            pdf.drawText(text)
            pdf.showPage()
    pdf.save()
    return out.getvalue()


MARGIN, LEADING = 48, 13


def _gray_if_gray(image: Image.Image) -> Image.Image:
    """A page with no colour as one channel, exactly (its red channel is then
    each pixel's grey): a third of the pixels to compress, 3-6x faster to write
    (most records are black on white). A page with any colour stays as it is."""
    if image.mode != "RGB":
        return image
    red, green, blue = image.split()
    if red.tobytes() == green.tobytes() == blue.tobytes():
        return red
    return image


def _font(line: str, cjk_font: str) -> str:
    return cjk_font if _CJK.search(line) else LATIN


def _wrapped(body: str, width: int) -> list[str]:
    """The lines of `body`, each cut to `width` characters (a Chinese character
    counts two); 0: as they are."""
    out: list[str] = []
    for raw in (body or "").splitlines():
        if not width or len(raw) <= width // (2 if _CJK.search(raw) else 1):
            out.append(raw)
        elif _CJK.search(raw):
            step = width // 2
            out += [raw[i : i + step] for i in range(0, len(raw), step)]
        else:
            out += wrap(raw, width) or [""]
    return out
