"""Helpers every extractor uses to turn a regex match into a sourced Fact."""

from __future__ import annotations

import re
from collections.abc import Iterator

from casebridge.engine.case import Document, Fact, Page, Source

SNIPPET_PAD = 60  # characters of context either side of the match in the snippet


def source_for(doc: Document, page: Page, start: int, end: int, pad: int = SNIPPET_PAD) -> Source:
    """A Source whose snippet is the verbatim text around [start, end) on one line."""
    text = page.text
    lo = max(0, start - pad)
    hi = min(len(text), end + pad)
    nl = text.rfind("\n", lo, start)
    if nl != -1:
        lo = nl + 1
    nl = text.find("\n", end, hi)
    if nl != -1:
        hi = nl
    snippet = " ".join(text[lo:hi].split())
    return Source(doc.id, doc.file_name, page.number, start, end, snippet)


def make_fact(
    doc: Document,
    page: Page,
    match: re.Match[str] | tuple[int, int],
    kind: str,
    value: str,
    *,
    found_by: str,
    context: str | None = None,
    display: str = "",
    attributes: dict[str, str] | None = None,
) -> Fact:
    """A Fact sourced at the match's span. The context (negated, family, ...) is
    worked out from the text unless the caller already knows it."""
    from casebridge.engine.extract.context import context_of

    start, end = match.span() if isinstance(match, re.Match) else match
    return Fact(
        kind=kind,
        value=value,
        source=source_for(doc, page, start, end),
        context=context or context_of(page.text, start, end),
        display=display or value,
        attributes=dict(attributes or {}),
        found_by=found_by,
    )


def pages(doc: Document) -> Iterator[Page]:
    for page in doc.pages:
        if page.text.strip():
            yield page
