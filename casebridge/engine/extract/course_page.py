"""A page being read for the clinical course, and how a Fact is made from a span of it:
its context (negated, historical, planned...), its status cue and its dates."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import status as _status
from casebridge.engine.extract.context import context_of
from casebridge.engine.extract.dates import DateMatch
from casebridge.engine.extract.lexicon import TREATMENT_KINDS, Mention
from casebridge.engine.extract.spans import make_fact

_KEEP_HISTORY = TREATMENT_KINDS | {"response", "comorbidity", "medication", "allergy"}


# ------------------------------------------------------------------ patterns
_NUM_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "sixteen": 16, "eighteen": 18,
}  # fmt: skip


_N = r"(?P<n>\d{1,2}|" + "|".join(_NUM_WORDS) + r")"


_CYCLES_ANY = re.compile(rf"(?i)\b{_N}\s*(?:cycles?|courses?)\b")


_UNIT = r"(?:mg/m2|mg/m²|mg/kg|mg|g/m2|g/m²|g|mcg|micrograms?|units|IU|ml|mL)"


_START_CUE = re.compile(
    r"(?i)\b(?:start(?:ed|ing)?|commenc\w*|began|begun|initiat\w*|from|since|C1D1|cycle\s*1)\b"
)


_END_CUE = re.compile(
    r"(?i)\b(?:complet\w*|finish\w*|until|till|ended|stopped|discontinued|last\s+(?:cycle|dose))\b"
    r"|\bto\s*$|[-–]\s*$"  # "to" only right before the date ("... to 17/06/2024")
)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


# ------------------------------------------------------------------ helpers
@dataclass
class _Page:
    doc: Document
    page: Page
    text: str
    mentions: list[Mention]
    starts: list[int]
    dates: list[DateMatch]
    low: str
    dob: set[int] = field(default_factory=set)  # start offsets of dates of birth
    facts: list[Fact] = field(default_factory=list)
    doc_date: str | None = None  # the record's date, against which a status is read
    sections: list[_status.Section] = field(default_factory=list)

    def dates_in(self, lo: int, hi: int) -> list[DateMatch]:
        return [d for d in self.dates if lo <= d.start and d.end <= hi and d.start not in self.dob]

    def mentions_in(self, lo: int, hi: int) -> list[Mention]:
        i = bisect_left(self.starts, lo)
        out = []
        while i < len(self.mentions) and self.mentions[i].start < hi:
            out.append(self.mentions[i])
            i += 1
        return out


def _context(text: str, start: int, end: int, kind: str) -> tuple[str, dict[str, str]]:
    ctx = context_of(text, start, end)
    if ctx == "historical" and kind in _KEEP_HISTORY:
        return "asserted", {"historical": "yes"}
    return ctx, {}


# A form field answered after the term: "CHEMORADIATION THERAPY: No", "Prior treatment: Not given".
_FORM_ANSWER = re.compile(
    r"[ \t]*(?:therapy|treatment|history)?[ \t]*[:\-][ \t]*(?P<a>no\b|none\b|nil\b|negative\b"
    r"|not\s+(?:given|answered|applicable|provided|known|stated|available)|n/a|unknown)",
    re.IGNORECASE,
)


_NOT_A_TERM_AFTER = re.compile(r"-(?:like|free|related|specific|score)\b|\s+score\b", re.IGNORECASE)


def _fact(
    p: _Page, span: tuple[int, int], kind: str, value: str, rule: str, **kw: Any
) -> Fact | None:
    context = kw.get("context")
    if context is None:
        tail = p.text[span[1] : span[1] + 40]
        if _NOT_A_TERM_AFTER.match(tail):
            return None  # "depression-like", "recurrence-free", "Recurrence Score"
        answer = _FORM_ANSWER.match(tail)
        if answer:
            a = answer.group("a").lower()
            if not a.startswith(("no", "nil", "negative")) or a.startswith("not"):
                return None  # the form does not say: not stated, no fact
            kw["context"] = "negated"
    attrs: dict[str, str] = {k: str(v) for k, v in (kw.pop("attributes", None) or {}).items() if v}
    context = kw.pop("context", None)
    if context is None:
        context, extra = _context(p.text, span[0], span[1], kind)
        attrs.update(extra)
        if kind in TREATMENT_KINDS and context == "asserted" and _refused_later(p, span):
            context = (
                "negated"  # "... a second autograft as an option; she does not wish to have one"
            )
    if kind in _STATUS_KINDS and context == "asserted":
        _put_status(p, span, kind, attrs)
    fact = make_fact(
        p.doc,
        p.page,
        span,
        kind,
        value,
        found_by=f"course.{rule}",
        context=context,
        display=kw.pop("display", ""),
        attributes=attrs,
    )
    p.facts.append(fact)
    return fact


_STATUS_KINDS = TREATMENT_KINDS | {"medication"}


def _refused_later(p: _Page, span: tuple[int, int]) -> bool:
    """Whether a refusal by pronoun after the mention refers to it: no other treatment is named
    between the mention and the refusal."""
    limit = len(p.text)
    for m in p.mentions:
        if m.start >= span[1] and m.first("treatment"):
            limit = min(limit, m.start)
    return _status.refused_by_pronoun(p.text, span[1], limit)


def _put_status(p: _Page, span: tuple[int, int], kind: str, attrs: dict[str, str]) -> None:
    """attributes["status"] (planned / current / completed) and ["status_date"] (the record's
    date it holds on), when the record says; nothing when it does not."""
    section = _status.section_status(p.sections, span[0])
    if section == "current" and kind != "medication" and _aside_in_item(p, span[0]):
        section = None  # "Posaconazole ... - not started; venetoclax dose would need reducing"
    if section is None and kind == "medication" and p.doc.doc_type == "medication_list":
        section = "current"  # a list of what the patient takes
    found = _status.read_status(
        p.text, span, kind=kind, attrs=attrs, doc_date=p.doc_date, section=section
    )
    if found:
        attrs["status"] = found
        if found == "planned" and _status.is_proposal(p.text, span[0]):
            attrs["intent"] = "proposal"  # referred to discuss, an option: not yet decided
        if p.doc_date:
            attrs["status_date"] = p.doc_date


_ASIDE = re.compile(r";|\.\s")


def _aside_in_item(p: _Page, pos: int) -> bool:
    """Whether a mention on a list item's line below its heading comes after the item's first
    clause: a list names each item first, what follows is said about that item."""
    inside = [s for s in p.sections if s.start <= pos < s.end]
    if not inside:
        return False
    section = max(inside, key=lambda s: s.start)
    line_start = p.text.rfind("\n", 0, pos) + 1
    if line_start < section.start:
        return False  # on the label's own line: "Current treatment: Salvage R-GDP ..."
    return _ASIDE.search(p.text, line_start, pos) is not None


def _num(raw: str) -> int:
    return _NUM_WORDS.get(raw.lower()) or int(raw)


def _put_date(attrs: dict[str, str], key: str, d: DateMatch) -> None:
    if key not in attrs:
        attrs[key] = d.iso
        attrs[f"{key}_precision"] = d.precision


_CLAUSE_END = re.compile(r"[,;]|\.(?=\s|$)")
# "days 1, 4, 8 and 11": the commas of a list of a cycle's days do not end the drug's words
_DAYS_LIST = re.compile(r"(?i)\bdays?\s+\d{1,2}(?:\s*,\s*\d{1,2})*$")
_NEXT_DAY = re.compile(r",\s*\d{1,2}\b")


def _clause_end(text: str, start: int, stop: int) -> int:
    """Where a drug's own words end: at the next comma, semicolon or full stop (not at a
    comma of a list of days, "days 1, 4, 8 and 11")."""
    pos = start
    while (m := _CLAUSE_END.search(text, pos, stop)) is not None:
        if (
            m.group() == ","
            and _DAYS_LIST.search(text, max(start, m.start() - 40), m.start())
            and _NEXT_DAY.match(text, m.start(), stop)
        ):
            pos = m.end()
            continue
        return m.start()
    return stop


def _sections(text: str, head: re.Pattern[str]) -> list[tuple[int, int]]:
    """Each section a heading opens, to the next blank line."""
    spans = []
    for m in head.finditer(text):
        b = _BLANK_LINE.search(text, m.end())
        spans.append((m.start(), b.start() if b else len(text)))
    return spans


def _sentence_end(text: str, pos: int) -> int:
    m = re.compile(r"[.;](?=\s|$)").search(text, pos)
    return m.start() if m else len(text)


_ROW_LEAD = re.compile(r"[ \t]*(?:[-•*·|][ \t]*)?$")
