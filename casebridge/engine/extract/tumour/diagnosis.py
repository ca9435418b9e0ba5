"""The diagnosis statement written after a "Diagnosis:" heading: the whole sentence that
names a histology, across the line breaks of the page's layout.

Separate because finding where a statement ends is its own problem.
"""

from __future__ import annotations

import re

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract.spans import make_fact
from casebridge.engine.extract.terms import key, normalise
from casebridge.engine.extract.tumour.mentions import Lexicon, lexicon

_DIAGNOSIS = re.compile(
    r"(?:^|(?<=[\n.]))[ \t]*(?:final\s+)?(?:pathologic(?:al)?\s+|surgical\s+pathology\s+)?"
    r"diagnos[ie]s\s*(?:/\s*diagnoses)?\s*[:.\n]\s*",
    re.IGNORECASE | re.MULTILINE,
)


# The end of a statement after a "Diagnosis:" heading. A line break inside a sentence is
# only the page's wrapping ("...with a biopsy-proven left\naxillary nodal metastasis."); the
# statement ends at a full stop or semicolon-free sentence end, a blank line, a bullet, a
# labelled field on a new line ("\nClinical stage: cT2"), or a heading alone on its line.
_STATEMENT_END = re.compile(
    r"(?<!\b[A-Za-z])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bNo)(?<!\bvs)(?<!\bapprox)(?<!\be\.g)"
    r"(?<!\bi\.e)(?<!\bcf)\.(?=\s|$)"
    r"|[ \t]*\n(?=[ \t]*\n|[ \t]*[-\u2022*\u00b7](?!\w)|[ \t]*\(?\d{1,2}[.)]\s"
    r"|[ \t]*[A-Z][\w /()&,\-]{0,40}:\s|[ \t]*[A-Z][\w /()&\-]{0,40}[ \t]*\n)"
)


_STATEMENT_MAX = 400  # characters: a statement with no end within this is not emitted


_STATEMENTS_SEARCHED = 5  # statements after the heading searched for the one naming a histology


def _statement_end(text: str, start: int) -> tuple[int, bool] | None:
    """The end of the statement that starts at `start` and whether it also ends the block
    (a blank line, a bullet, a new field or heading); None when no end is found within
    _STATEMENT_MAX characters (a statement cut mid-phrase is worse than none)."""
    limit = start + _STATEMENT_MAX
    m = _STATEMENT_END.search(text, start, min(len(text), limit + 1))
    if m is None:
        return (len(text), True) if len(text) <= limit else None
    return m.start(), not m.group(0).startswith(".")


def _diagnosis_fact(doc: Document, page: Page) -> Fact | None:
    """The diagnosis statement as written after a "Diagnosis:" heading: the whole sentence
    that names a histology, across the line breaks of the page's layout."""
    text = page.text
    lex = lexicon()
    for m in _DIAGNOSIS.finditer(text):
        pos = m.end()
        for _ in range(_STATEMENTS_SEARCHED):
            while pos < len(text) and text[pos] in " \t\n-:;,.\u2022*":
                pos += 1
            if pos >= len(text):
                break
            found = _statement_end(text, pos)
            if found is None:
                break
            end, block_ends = found
            if _names_histology(lex, text[pos:end]):
                value = " ".join(text[pos:end].split()).rstrip(" ,;:")
                if len(value) >= 4:
                    return make_fact(
                        doc,
                        page,
                        (pos, pos + len(text[pos:end].rstrip(" \t\n,;:"))),
                        "diagnosis",
                        value,
                        found_by="tumour.diagnosis.line",
                        context="asserted",
                    )
            if block_ends and text[end : end + 2].strip(" \t") in ("\n", ""):
                break  # a blank line: the diagnosis section is over
            pos = end + 1
    return None


def _names_histology(lex: Lexicon, statement: str) -> bool:
    norm = normalise(statement)
    for hm in lex.pattern.finditer(norm):
        if any(e.kind == "histology" for e in lex.entries.get(key(hm.group(0)), ())):
            return True
    return False
