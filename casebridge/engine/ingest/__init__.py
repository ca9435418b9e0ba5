"""The ingest stage: any file a patient has becomes Documents with pages of text.

    read_path(path, name) -> list[Document]
    read_bytes(data, name) -> list[Document]

`name` is the file's name relative to the records folder; archive members are
named "archive.zip/member/path". The type of a file is detected from its
content, never its name. Bad input never raises and is never dropped: it
becomes a Document with status "needs_attention" and a plain-language reason.
Limits are in ingest/limits.py.

Page.method is one of text-layer, ocr, docx, plain, html, dicom; for OCR pages
Page.ocr_confidence is tesseract's mean word confidence as a fraction (0..1).
Document.language is "en", "zh" or another ISO 639-1 code (ingest/language.py).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from casebridge.engine.case import Document, Page
from casebridge.engine.ingest import language, limits
from casebridge.engine.ingest.archive import read_zip
from casebridge.engine.ingest.dicom import read_dicom
from casebridge.engine.ingest.docx import read_docx
from casebridge.engine.ingest.images import read_image
from casebridge.engine.ingest.ocr import OcrUnavailable
from casebridge.engine.ingest.pdf import read_pdf, real_chars
from casebridge.engine.ingest.sniff import sniff
from casebridge.engine.ingest.text import declared_charset, decode_text, markup_to_text, normalise

__all__ = ["read_bytes", "read_path"]

log = logging.getLogger(__name__)

BLURRED_PHOTO = (
    "Photo too blurred or dark to read: please retake it (flat, in focus, in good light)"
)
FAINT_SCAN = (
    "Scan too faint or blurred to read reliably: please send a clearer scan or the original"
)
NO_TEXT = (
    f"No readable text: fewer than {limits.MIN_READABLE_CHARS} letters or numbers could be "
    "read from this file"
)


def read_path(path: Path, name: str) -> list[Document]:
    """Read one file of the records folder. Never raises."""
    try:
        if path.is_symlink():
            doc = _new(str(path.readlink()).encode("utf-8", "replace"), name, size=0)
            doc.needs_attention("Not read: this is a shortcut (link) to another file, not a file")
            return [doc]
        size = path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            return [_oversized(path, name, size)]
        data = path.read_bytes()
    except OSError as exc:
        doc = _new(name.encode("utf-8", "replace"), name, size=0)
        doc.needs_attention(f"This file could not be opened ({exc.strerror or 'unknown error'})")
        return [doc]
    return read_bytes(data, name)


def read_bytes(data: bytes, name: str) -> list[Document]:
    """Read one file given as bytes (an upload). Never raises."""
    return _read(data, name, depth=0)


def _read(data: bytes, name: str, depth: int) -> list[Document]:
    doc = _new(data, name)
    if not data:
        doc.needs_attention("The file is empty")
        return [doc]
    if len(data) > limits.MAX_FILE_BYTES:
        doc.needs_attention(_too_large(len(data)))
        return [doc]
    try:
        kind = sniff(data)
        doc.media_type = kind.media_type
        if kind.handler == "zip":
            if depth >= limits.MAX_ARCHIVE_DEPTH:
                doc.needs_attention(
                    "Not opened: an archive inside an archive inside an archive is too deep"
                )
                return [doc]
            return read_zip(doc, data, depth, _read)
        if kind.handler == "unsupported":
            doc.needs_attention(kind.reason)
            return [doc]
        _dispatch(doc, data, kind.handler)
    except OcrUnavailable:
        doc.needs_attention("Scanned pages cannot be read: OCR (tesseract) is not installed")
    except Exception:  # noqa: BLE001 - bad input never crashes the case
        log.exception("ingest failed on %s", name)
        doc.needs_attention(
            "This file could not be read because of an unexpected problem: please check it "
            "opens on your computer and send it again"
        )
        return [doc]
    _check(doc)
    return [doc]


def _dispatch(doc: Document, data: bytes, handler: str) -> None:
    if handler == "pdf":
        read_pdf(doc, data)
    elif handler == "image":
        read_image(doc, data)
    elif handler == "docx":
        read_docx(doc, data)
    elif handler == "dicom":
        pdf = read_dicom(doc, data)
        if pdf:
            inner = Document(id=doc.id, file_name=doc.file_name, sha256=doc.sha256, size=len(pdf))
            read_pdf(inner, pdf)
            offset = len(doc.pages)
            for page in inner.pages:
                page.number += offset
            doc.pages.extend(inner.pages)
            for problem in inner.problems:
                doc.needs_attention(problem)
    elif handler in ("text", "html", "xml"):
        declared = declared_charset(data) if handler != "text" else None
        text, _encoding = decode_text(data, declared)
        if handler == "text":
            doc.pages = [Page(1, normalise(text), "plain")]
        else:
            doc.pages = [Page(1, markup_to_text(text), "html")]
    else:  # pragma: no cover - sniff only returns the handlers above
        doc.needs_attention("This kind of file cannot be read")


def _check(doc: Document) -> None:
    """Readability, OCR quality and language of a document that was opened."""
    if doc.status == "needs_attention" and not doc.pages:
        return
    if doc.media_type == "application/dicom":
        text = "\n".join(p.text for p in doc.pages if p.method != "dicom")
        if not text.strip():
            return
    else:
        text = doc.text
    ocr_pages = [p for p in doc.pages if p.method == "ocr" and p.text.strip()]
    is_photo = doc.media_type.startswith("image/")
    doc.language = language.detect(text)
    if real_chars(text) < limits.MIN_READABLE_CHARS:
        doc.needs_attention(BLURRED_PHOTO if is_photo else NO_TEXT)
        return
    if ocr_pages:
        weight = sum(real_chars(p.text) for p in ocr_pages)
        mean = sum((p.ocr_confidence or 0.0) * real_chars(p.text) for p in ocr_pages) / weight
        if mean < limits.OCR_LOW_CONFIDENCE:
            doc.needs_attention(BLURRED_PHOTO if is_photo else FAINT_SCAN)
    if doc.language not in language.READ_LANGUAGES:
        doc.needs_attention(
            f"This document is written in {language.describe(doc.language)}: a translation is "
            "needed"
        )


def _new(data: bytes, name: str, size: int | None = None) -> Document:
    digest = hashlib.sha256(data).hexdigest()
    return Document(
        id=digest[:16], file_name=name, sha256=digest, size=len(data) if size is None else size
    )


def _too_large(size: int) -> str:
    return (
        f"This file is too large to read ({size // limits.MB} MB; the limit is "
        f"{limits.MAX_FILE_BYTES // limits.MB} MB): please split it or send a smaller copy"
    )


def _oversized(path: Path, name: str, size: int) -> Document:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
        fh.seek(0)
        head = fh.read(4096)
    hexdigest = digest.hexdigest()
    doc = Document(id=hexdigest[:16], file_name=name, sha256=hexdigest, size=size)
    doc.media_type = sniff(head).media_type
    doc.needs_attention(_too_large(size))
    return doc
