"""Redacted pages of an original document, for the reviewers abroad (issue 11,
part 3): never the uploaded file, but each page as an image with every
identifier the case holds blacked out, and a text layer rebuilt from the
redacted text.

Where an identifier is on the image is found from the page's words and their
boxes (words.py): the PDF's text layer, and Tesseract's reading of the rendered
image too, so that a name in a scanned letterhead or a photographed label
pasted into a digital PDF is found as well. The case's Redactor (render/redact.py,
the summary's) finds the identifiers in the words joined, legible.py their
misread forms in Tesseract's; each word one touches is blacked out.

Then the finished image is read again (upright whatever its orientation) and,
if any identifier of the case is still legible on it, even misread, the picture
is withheld and the page goes as its redacted text, saying why. So it is, too,
when the engine's reading of the page holds more identifiers than were found
among the image's words, or when the image cannot be read. A leaked identifier
is worse than a missing picture.

Speed (a 300-page pack in the background in under a minute on two cores): a
full Tesseract reading costs about 1.4 s of one core for a page of text at
150 DPI. So what is already known for certain is not read again: before a
reading, the words whose pixels are known are painted white - a text-layer
word drawn as visible text with no picture, shading or annotation touching it
(words.Word.plain), and, for the final check of a scan, the words the first
reading read with confidence >= _SURE that are no identifier. Tesseract then
reads only what is left (letterheads, pictures, stamps, annotations, unsure
words), a fraction of a second a page; and when the final image, so painted, is
the one already read, that reading is the check. A text-layer word whose font
draws other letters than its text says (a forged text layer) is the case this
leaves to the text layer. Pages are read in parallel, one Tesseract a core
(ingest.ocr.workers()), kept loaded from page to page (tess_api.py: a third of
a reading's time was loading it); PDFium is not thread-safe, so pages are rendered
in this thread, a few ahead of the readers. Images stay at 150 DPI, the
resolution they are sent at, so the check sees what a reviewer sees.
"""

from __future__ import annotations

import io
import re
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageOps

from casebridge.engine.case import Document, Page
from casebridge.engine.ingest import limits, ocr
from casebridge.engine.pack import legible
from casebridge.engine.pack.words import Device, Word, ocr_words, text_layer_words
from casebridge.engine.render.redact import Redactor

# Pages are drawn at this resolution: enough to read a report, small enough to send.
DPI = 150
_CJK = re.compile(r"[\u3400-\u9fff]")
_SURE = 90.0  # Tesseract's confidence above which a word's pixels are taken as read
_MARGIN = 2  # pixels around a word's box, blacked out or painted white
_INK = 230  # a pixel darker than this may be print

UNCHECKED = (
    "The picture of this page could not be checked for the patient's details, so only "
    "its text is sent, with those details removed."
)
STILL_LEGIBLE = (
    "Some of the patient's details could still be read on the picture of this page after "
    "they were blacked out, so only its text is sent, with those details removed."
)


@dataclass
class RedactedPage:
    number: int
    text: str  # the page's text, identifiers replaced by markers
    image: Image.Image | None  # None: the page goes as its redacted text alone
    blacked_out: int = 0  # identifiers blacked out on the image
    note: str = ""  # why the image was withheld, in plain words


@dataclass
class _Job:
    page: Page
    image: Image.Image
    layer: list[Word] = field(default_factory=list)  # the text layer's words (PDF pages)
    scan: bool = False  # the page's words come from Tesseract alone


def redact_document(
    document: Document, data: bytes | None, redactor: Redactor
) -> list[RedactedPage]:
    """Every page of `document`, redacted. `data` is the original file (None when
    it cannot be had: the page goes as its redacted text)."""
    if data is not None and document.media_type == "application/pdf":
        return _in_parallel(_pdf_jobs(document, data), redactor)
    if data is not None and document.media_type.startswith("image/"):
        return _in_parallel(_image_jobs(document, data), redactor)
    return [_text_only(page, redactor, "") for page in document.pages]


def _text_only(page: Page, redactor: Redactor, note: str) -> RedactedPage:
    return RedactedPage(page.number, redactor(page.text), None, 0, note)


def _in_parallel(jobs: Iterator[_Job | Page], redactor: Redactor) -> list[RedactedPage]:
    """Each job finished in a pool of one worker a core; at most two a worker wait."""
    size = ocr.workers()
    slots = threading.BoundedSemaphore(size * 2)
    futures: list[Future[RedactedPage]] = []

    def run(job: _Job) -> RedactedPage:
        try:
            return _finish(job, redactor)
        finally:
            slots.release()

    with ThreadPoolExecutor(max_workers=size, thread_name_prefix="pack") as pool:
        for job in jobs:
            if isinstance(job, Page):
                done: Future[RedactedPage] = Future()
                done.set_result(_text_only(job, redactor, ""))
                futures.append(done)
                continue
            slots.acquire()
            futures.append(pool.submit(run, job))
        return [f.result() for f in futures]


def _pdf_jobs(document: Document, data: bytes) -> Iterator[_Job]:
    pdf = pdfium.PdfDocument(data)
    try:
        # form fields draw only with the form environment; annotations are drawn
        # by render() (its draw_annots): the image checked is the image sent
        pdf.init_forms()
        by_number = {p.number: p for p in document.pages}
        for index in range(len(pdf)):
            page = by_number.get(index + 1) or Page(index + 1, "", "text-layer")
            pdf_page = pdf[index]
            try:
                scale = DPI / 72
                device = Device(pdf_page, scale)
                image = pdf_page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
                scan = page.method == "ocr"
                layer = [] if scan else text_layer_words(pdf_page, device)
                yield _Job(page, image, layer, scan)
            finally:
                pdf_page.close()
    finally:
        pdf.close()


def _image_jobs(document: Document, data: bytes) -> Iterator[_Job | Page]:
    picture = Image.open(io.BytesIO(data))
    frames = getattr(picture, "n_frames", 1)
    for index, page in enumerate(document.pages):
        if index >= frames:
            yield page
            continue
        picture.seek(index)
        # upright as ingest read it (a phone photo's EXIF orientation), as a reviewer sees it
        frame = ImageOps.exif_transpose(picture) if index == 0 else picture
        yield _Job(page, (frame or picture).convert("RGB"), [], True)


def _languages(page: Page, redactor: Redactor) -> str:
    chinese = _CJK.search(page.text or "") or any(_CJK.search(v) for _, v in redactor.values)
    return limits.OCR_CHINESE_LANGUAGE if chinese else limits.OCR_FIRST_LANGUAGE


def _finish(job: _Job, redactor: Redactor) -> RedactedPage:
    """Find, black out, check: the page's image as sent, or its text alone and why."""
    page, image = job.page, job.image
    text = redactor(page.text)
    languages = _languages(page, redactor)
    needles = legible.needles(redactor.values)
    plain = [w for w in job.layer if w.plain]
    first_image = _painted_white(image, plain)
    # a page whose every mark is a known text-layer word leaves a blank image:
    # nothing there for Tesseract to read (most of a digital letter's pages)
    read = [] if _blank(first_image) else ocr_words(first_image, languages, DPI)
    if read is None:  # no Tesseract, or it failed: what the image shows is unknown
        return RedactedPage(page.number, text, None, 0, UNCHECKED)
    # the text layer's words and Tesseract's, each joined: the identifiers in either
    words = job.layer + read
    spans = _spans(job.layer, redactor) + _spans(read, redactor, offset=len(job.layer))
    exact = {i for touched in spans for i in touched}
    for hit in legible.hits(read, needles):
        touched = [len(job.layer) + i for i in hit]
        if not exact.issuperset(touched):  # a misreading the exact patterns missed
            spans.append(touched)
    # each identifier the engine's reading holds must be found on the image as
    # often (compared without spacing and punctuation: the two readings differ)
    expected = Counter(_key(page.text[a:b]) for a, b in redactor.spans(page.text))
    found = Counter(_key(m) for m in _matched(job.layer, redactor) + _matched(read, redactor))
    if expected - found:
        return RedactedPage(page.number, text, None, 0, UNCHECKED)
    draw = ImageDraw.Draw(image)
    black: set[int] = set()
    for touched in spans:
        for index in touched:
            left, top, right, bottom = words[index].box
            draw.rectangle(
                [left - _MARGIN, top - _MARGIN, right + _MARGIN, bottom + _MARGIN], fill="black"
            )
        black.update(touched)
    hidden = sum(1 for touched in spans if touched)
    # the final check: the finished image read again, what is known painted white
    known = plain + [w for i, w in enumerate(read) if job.scan and w.confidence >= _SURE
                     and len(job.layer) + i not in black]  # fmt: skip
    check_image = _painted_white(image, known)
    if not job.scan and check_image.tobytes() == first_image.tobytes():
        check = read  # nothing changed where Tesseract looked: that reading is the check
    else:
        again = ocr_words(check_image, languages, DPI)
        if again is None:
            return RedactedPage(page.number, text, None, 0, UNCHECKED)
        check = again
    if _spans(check, redactor) or legible.hits(check, needles):
        return RedactedPage(page.number, text, None, 0, STILL_LEGIBLE)
    return RedactedPage(page.number, text, image, hidden)


def _blank(image: Image.Image) -> bool:
    """No pixel darker than the faintest print (light grey 230 of 255): no text
    can be read there, so none need be looked for."""
    return image.convert("L").point(lambda p: 255 if p < _INK else 0).getbbox() is None


def _painted_white(image: Image.Image, words: list[Word]) -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out)
    for word in words:
        left, top, right, bottom = word.box
        draw.rectangle(
            [left - _MARGIN, top - _MARGIN, right + _MARGIN, bottom + _MARGIN], fill="white"
        )
    return out


def _joined(words: list[Word]) -> tuple[str, list[int]]:
    joined, starts = "", []
    for word in words:
        if joined:
            joined += " "
        starts.append(len(joined))
        joined += word.text
    return joined, starts


def _spans(words: list[Word], redactor: Redactor, offset: int = 0) -> list[list[int]]:
    """For each identifier the Redactor finds in the words joined, the words it touches."""
    joined, starts = _joined(words)
    out = []
    for start, end in redactor.spans(joined):
        out.append(
            [
                offset + i
                for i, (w, at) in enumerate(zip(words, starts, strict=True))
                if at < end and at + len(w.text) > start
            ]
        )
    return out


def _matched(words: list[Word], redactor: Redactor) -> list[str]:
    joined, _ = _joined(words)
    return [joined[a:b] for a, b in redactor.spans(joined)]


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()
