"""The summary as data, for the reviewers' workspace (issue 11, part 5): every
line of the summary (facts, timeline, gaps, the patient's questions) with the
numbers of its sources, and every source with its verbatim passage and the
redacted original in the pack it comes from (file and page), so a reviewer
reads each fact beside the page it was taken from.

Built from the same Summary as summary.<lang>.html, identifiers replaced the
same way; it is one more file of the pack, approved with the others."""

from __future__ import annotations

import re
from typing import Any

from casebridge.engine.case import Case
from casebridge.engine.render.redact import Redactor
from casebridge.engine.render.summary import Line, build_summary
from casebridge.engine.terminology import Span


def _text(spans: list[Span]) -> str:
    return "".join(s.text for s in spans)


def _line(line: Line) -> dict[str, Any]:
    return {
        "label": _text(line.label),
        "status": line.status,
        "parts": [
            {"sep": part.sep if i else "", "text": _text(part.spans), "refs": list(part.refs)}
            for i, part in enumerate(line.parts)
        ],
        "note": _text(line.note),
    }


def summary_data(case: Case, lang: str, originals: dict[str, str]) -> dict[str, Any]:
    """`originals`: each document's file name in the records -> its redacted
    copy's name in the pack ("originals/01-pathology-2026-09-08.pdf")."""
    summary = build_summary(case, lang)
    redact = Redactor(case.identifiers, lang)
    # the summary names a source by its file name, identifiers replaced
    by_name = {(redact(name) if redact else name): copy for name, copy in originals.items()}
    sources = []
    for item in summary.sources:
        digits = re.search(r"\d+", item.page or "")
        sources.append(
            {
                "number": item.number,
                "snippet": item.snippet,
                "file": by_name.get(item.file, ""),
                "page": int(digits.group()) if digits else None,
            }
        )
    return {
        "lang": lang,
        "title": summary.title,
        "case": summary.case_id,
        "sections": [
            {"key": s.key, "heading": s.heading, "lines": [_line(ln) for ln in s.lines]}
            for s in summary.sections
        ],
        "sources": sources,
    }
