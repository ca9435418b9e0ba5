"""The child side of cases/reader.py: one document, in a process of its own,
under limits it sets on itself before it touches the file.

Protocol on the pipe from the parent: a JSON header (name, programme, the
case's documents without their pages), then the file's bytes. Answer: one JSON
object, either the new documents with their facts and identifiers, or
{"limit": "memory"}. Running out of CPU time ends the process by SIGXCPU;
running out of address space while the answer cannot be sent exits with
reader.MEMORY_EXIT.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import resource
import tempfile
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

import pypdfium2 as pdfium

from casebridge.engine.case import SCHEMA_VERSION, Case, Document
from casebridge.engine.ingest.sniff import sniff
from casebridge.engine.pipeline import add_document
from casebridge.web.cases.reader import MEMORY_EXIT, not_read


def main(conn: Connection, limits: dict[str, Any]) -> None:
    # A process group of its own: the parent's kill also ends any tesseract
    # started for OCR, which would otherwise outlive a stopped read.
    os.setsid()
    _set_limits(limits)
    try:
        header = json.loads(conn.recv_bytes())
        # OCR's page images go to the folder the parent removes after us.
        tempfile.tempdir = header.get("tmp") or None
        data = conn.recv_bytes()
        answer = read(data, header, limits)
        del data
        conn.send_bytes(json.dumps(answer).encode())
    except MemoryError:
        os._exit(MEMORY_EXIT)
    conn.close()


def _set_limit(which: int, value: int, grace: int = 0) -> None:
    _soft, hard = resource.getrlimit(which)
    top = value + grace if hard == resource.RLIM_INFINITY else min(value + grace, hard)
    resource.setrlimit(which, (min(value, top), top))


def _set_limits(limits: dict[str, Any]) -> None:
    _set_limit(resource.RLIMIT_CORE, 0)  # a core dump would put the record on disk
    # SIGXCPU at the soft limit, SIGKILL a few seconds later if it is ignored.
    _set_limit(resource.RLIMIT_CPU, int(limits["cpu_seconds"]), grace=5)
    _set_limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))


class _MemoryWatch(logging.Handler):
    """Ingest turns any exception into a plain "could not be read" (it never
    raises on bad input) and logs it: a MemoryError logged so is the memory
    limit speaking, and is reported as such."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.hit = False

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and isinstance(record.exc_info[1], MemoryError):
            self.hit = True


def read(data: bytes, header: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    case = Case.from_dict(
        {
            "schema_version": SCHEMA_VERSION,
            "programme": header.get("programme") or "oncology",
            "documents": header.get("known") or [],
        }
    )
    known = len(case.documents)
    name = str(header["name"])
    over = _too_many_pdf_pages(data, name, case, int(limits["max_pages"]))
    if over is not None:
        return {"documents": [asdict(over)], "facts": [], "identifiers": []}
    watch = _MemoryWatch()
    logging.getLogger().addHandler(watch)
    try:
        admit = functools.partial(
            caps, max_pages=int(limits["max_pages"]), max_characters=int(limits["max_characters"])
        )
        add_document(case, data, name, admit=admit)
    finally:
        logging.getLogger().removeHandler(watch)
    if watch.hit:
        return {"limit": "memory"}
    return {
        "documents": [asdict(d) for d in case.documents[known:]],
        "facts": [asdict(f) for f in case.facts],
        "identifiers": [asdict(i) for i in case.identifiers],
    }


def caps(docs: list[Document], *, max_pages: int, max_characters: int) -> None:
    """The caps on pages and characters, applied to each document just read,
    before classification and extraction (whose cost grows with the text)."""
    for doc in docs:
        pages = len(doc.pages)
        characters = sum(len(p.text) for p in doc.pages)
        if pages > max_pages:
            why = f"the file has {pages:,} pages; the limit is {max_pages:,}"
        elif characters > max_characters:
            why = f"the file has {characters:,} characters of text; the limit is {max_characters:,}"
        else:
            continue
        doc.pages = []
        doc.needs_attention(not_read(why))


def _too_many_pdf_pages(data: bytes, name: str, case: Case, max_pages: int) -> Document | None:
    """A PDF's pages are counted before any is read: a 1,200-page scan is
    refused at once instead of after minutes of OCR. None when it is not a PDF,
    is within the cap, or its content is already in the case (the engine then
    marks it a duplicate, as it would)."""
    if sniff(data[:8192]).handler != "pdf":
        return None
    digest = hashlib.sha256(data).hexdigest()
    if any(d.sha256 == digest for d in case.documents):
        return None
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None  # damaged or protected: the engine says which
    try:
        pages = len(pdf)
    finally:
        pdf.close()
    if pages <= max_pages:
        return None
    doc = Document(
        id=digest[:16], file_name=name, sha256=digest, size=len(data), media_type="application/pdf"
    )
    doc.needs_attention(not_read(f"the file has {pages:,} pages; the limit is {max_pages:,}"))
    return doc
