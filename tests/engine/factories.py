"""Builders for test inputs made from the dataclasses: a Document holding some text, and a
Fact sourced at a phrase of it, as an extractor would give them (no file is read).

Also used by benchmarks/bench_pdf.py for its realistic case.
"""

from __future__ import annotations

from casebridge.engine.case import Document, Fact, Page, Source
from casebridge.engine.extract.spans import source_for


def document(
    doc_id: str,
    doc_type: str = "pathology",
    text: str = "",
    date: str | None = None,
    *,
    name: str | None = None,
    pages: int = 1,
    method: str = "plain",
    media_type: str = "application/octet-stream",
    sha256: str | None = None,
) -> Document:
    """A document whose `pages` pages each hold `text`; no page at all when the text is
    empty (a file nothing could be read from). Named `<doc_id>.pdf` unless `name` is given."""
    return Document(
        id=doc_id,
        file_name=name or f"{doc_id}.pdf",
        sha256=doc_id * 4 if sha256 is None else sha256,
        size=len(text),
        media_type=media_type,
        pages=[Page(n, text, method) for n in range(1, pages + 1)] if text else [],
        doc_type=doc_type,
        document_date=date,
    )


def fact(
    doc: Document,
    kind: str,
    value: str,
    phrase: str | None = None,
    *,
    pad: int = 0,
    page: int = 1,
    nth: int = 0,
    context: str = "asserted",
    display: str = "",
    found_by: str = "",
    **attributes: str,
) -> Fact:
    """A fact sourced at `phrase` (the value unless given): its nth occurrence on the page,
    or offset 0 when the page does not hold it. The snippet is the phrase itself, or with
    `pad` what extract/spans.source_for gives: the words `pad` characters either side on
    the phrase's line."""
    words = value if phrase is None else phrase
    on_page = doc.pages[page - 1] if page <= len(doc.pages) else Page(page, "", "plain")
    start = -1
    for _ in range(nth + 1):
        start = on_page.text.find(words, start + 1)
        if start == -1:
            break
    start = max(0, start)
    end = start + len(words)
    if pad:
        source = source_for(doc, on_page, start, end, pad)
    else:
        source = Source(doc.id, doc.file_name, page, start, end, words)
    return Fact(
        kind=kind,
        value=value,
        source=source,
        context=context,
        display=display,
        attributes=dict(attributes),
        found_by=found_by,
    )
