"""The clinical course: treatments, responses, medications, allergies, labs,
performance status, comorbidities and dated events, each a sourced Fact.

Vocabulary lives in knowledge/drugs.yaml, treatments.yaml and labs.yaml; all
terms are compiled once into two trie regexes (case-insensitive, and exact case
for short abbreviations such as EC, AC, ICE, PD), so a page is scanned for every
term in one pass. Attributes are read only where the text states them:

- treatment kinds (surgery, regimen, drug, radiotherapy, immunotherapy,
  targeted_therapy, hormone_therapy, cellular_therapy, transplant): "class",
  "components", "dose", "schedule", "cycles", "date" / "start_date" / "end_date"
  (+ "*_precision"), radiotherapy "dose_gy" / "fractions";
- response: "imaging", "date", "deauville";
- medication: "dose", "route", "frequency"; allergy: "reaction";
- lab: "analyte", "value", "unit", "comparator", "reference_range", "flag", "date";
- performance_status: "scale", "score"; event_date: "date", "precision", "event".

A past treatment ("previously treated with R-CHOP") is part of the course: for
the course kinds the "historical" context is kept as asserted with
attributes["historical"] = "yes"; negated, possible and family stay as found.

The parts: lexicon.py (terms and the scan), course_page.py (a page and the facts made
from it), treatments.py, findings.py and medications.py; this module dates documents
and events, and runs the parts over every page.
"""

from __future__ import annotations

import re

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import status as _status
from casebridge.engine.extract.context import context_of, sentence_bounds
from casebridge.engine.extract.course_page import _END_CUE, _ROW_LEAD, _START_CUE, _fact, _Page
from casebridge.engine.extract.dates import DateMatch, date_at, find_dates, is_after
from casebridge.engine.extract.dose_steps import read_course_doses, read_dose_steps
from casebridge.engine.extract.findings import _allergies, _comorbidities, _labs, _performance
from casebridge.engine.extract.lexicon import Mention, _scan
from casebridge.engine.extract.medications import _medications
from casebridge.engine.extract.radiotherapy_detail import read_radiotherapy_detail
from casebridge.engine.extract.spans import pages
from casebridge.engine.extract.treatments import _responses, _treatments

_DOB_LABEL = re.compile(
    r"(?i)\b(?:D\.?\s?O\.?\s?B\b\.?|date\s+of\s+birth|birth\s*date|born)\s*[:\-=|]?\s*$"
)


_DOC_DATE_LABELS = re.compile(
    r"(?i)\b(?P<label>date[ \t]+(?:of[ \t]+)?(?:report|letter|dictation|issue|clinic|consultation)"
    r"|report(?:ed)?[ \t]+(?:date|on)|date[ \t]+(?:reported|issued|typed|dictated|authori[sz]ed|verified"
    r"|signed|printed|of[ \t]+typing)|dictated(?:[ \t]+on)?|typed(?:[ \t]+on)?|letter[ \t]+date|clinic[ \t]+date"
    r"|(?:electronically[ \t]+)?(?:authori[sz]ed|verified|signed)(?:[ \t]+electronically)?"
    r"(?:[ \t]+(?:on|date|out))?|sign[- ]out[ \t]+date"
    r"|printed(?:[ \t]+on)?|produced(?:[ \t]+on)?|written(?:[ \t]+on)?"
    r"|date[ \t]+of[ \t]+(?:exam|examination|scan|procedure|meeting)|(?:MDT|meeting)[ \t]+date"
    r"|updated(?:[ \t]+on)?(?:[ \t]+by[ \t]+[A-Z][a-z]+)?"
    r"|(?<![\w ])date)\b\s*[:\-]?\s*"
)


_SPECIFIC_DOC_LABEL = re.compile(
    r"(?i)report|letter|dictat|typed|issue|clinic|consult|authori|verif|sign|print|produc|writ"
    r"|exam|scan|procedure|meeting|mdt"
)


_DEAR = re.compile(r"(?m)^[ \t]*Dear\b")


# ------------------------------------------------------------------ dated events
def _events(p: _Page, doc_date: tuple[int, str] | None, doc_event: str) -> None:
    text = p.text
    for d in p.dates:
        if d.start in p.dob:
            continue
        cue: tuple[int, int] | None = None
        if doc_date is not None and d.start == doc_date[0]:
            event, label = doc_event, "document date"
        else:
            found = _event_for(p, d)
            if found is None:
                continue
            event, mention = found
            label, cue = mention.text, (mention.start, mention.end)
        attrs = {"date": d.iso, "precision": d.precision, "event": event, "label": label}
        if p.doc_date and is_after(d.iso, p.doc_date):
            attrs["status"] = "planned"  # booked or expected: it has not happened yet
        display = f"{event.replace('_', ' ')}: {' '.join(d.text.split())}"
        # the date of a scan happened even when the scan showed "no progression"; only a
        # progression or relapse that is itself negated ("no relapse since 2019") is not an event
        context = "asserted"
        if event in ("progression", "relapse", "response", "diagnosis") and cue is not None:
            context = context_of(text, cue[0], cue[1])
            context = "asserted" if context == "historical" else context
        _fact(
            p,
            (d.start, d.end),
            "event_date",
            d.iso,
            "event_date",
            attributes=attrs,
            display=display,
            context=context,
        )


def _event_for(p: _Page, d: DateMatch) -> tuple[str, Mention] | None:
    text = p.text
    lo, hi = sentence_bounds(text, d.start, d.end)
    line_lo = text.rfind("\n", 0, d.start) + 1
    line_hi = text.find("\n", d.end)
    line_hi = len(text) if line_hi == -1 else line_hi
    if _ROW_LEAD.match(text, line_lo, d.start) or "|" in text[line_lo:line_hi]:
        # a dated row ("12 Oct 2025 | Admitted ...", "03/07/2026 | HbA1c"): the event is
        # what its own row says, never the row above
        lo, hi = line_lo, line_hi
        before = [m for m in p.mentions_in(lo, d.start) if m.end <= d.start]
        after = p.mentions_in(d.end, hi)
    else:
        # a label right before the date ("Date of surgery:") sits in the previous "sentence"
        lo = min(lo, max(0, d.start - 40))
        before = [m for m in p.mentions_in(max(lo, d.start - 80), d.start) if m.end <= d.start]
        after = [m for m in p.mentions_in(d.end, min(hi, d.end + 40))]
    for m in [*reversed(before), *after]:
        ev = _mention_event(text, m, lo, d)
        if ev in ("treatment_start", "treatment_end") and m.first("cue") is not None:
            # "started", "stopped" date a treatment only when one is named nearby
            # ("He stopped smoking in 2010" is no treatment end)
            s_lo, s_hi = sentence_bounds(text, m.start, m.end)
            if not any(x.first("treatment") for x in p.mentions_in(max(lo, s_lo), s_hi)):
                continue
        if ev:
            return ev, m
    return None


def _mention_event(text: str, m: Mention, lo: int, d: DateMatch) -> str | None:
    for t in m.terms:
        if t.cat == "cue":
            return t.kind
        if t.cat == "imaging":
            return "imaging"
        if t.cat == "treatment":
            if t.kind == "surgery":
                return "surgery"
            if t.kind == "transplant":
                return "transplant"
            lead = text[max(lo, d.start - 40) : d.start]
            if _END_CUE.search(lead):
                return "treatment_end"
            if _START_CUE.search(lead):
                return "treatment_start"
            return "radiotherapy" if t.kind == "radiotherapy" else "treatment"
        if t.cat == "response":
            if t.value == "progressive disease":
                return "progression"
            if t.value == "relapse":
                return "relapse"
            return "response"
    return None


# ------------------------------------------------------------------ document date
def _document_date(doc: Document) -> tuple[Page, DateMatch] | None:
    best: tuple[int, Page, DateMatch] | None = None
    for page in pages(doc):
        text = page.text
        pos = 0
        while (m := _DOC_DATE_LABELS.search(text, pos)) is not None:
            pos = m.start() + 1
            d = date_at(text, m.end())
            if d is None or d.precision != "day":
                continue
            rank = 0 if _SPECIFIC_DOC_LABEL.search(m.group("label")) else 1
            if best is None or rank < best[0]:
                best = (rank, page, d)
            if rank == 0:
                return page, d
        if best is None:
            # a letter's date stands alone on a line above "Dear ..."
            dear = _DEAR.search(text)
            head = text[: dear.start()] if dear else text[:600]
            for d in find_dates(head):
                line_lo = head.rfind("\n", 0, d.start) + 1
                line_hi = head.find("\n", d.end)
                line = head[line_lo : line_hi if line_hi != -1 else len(head)]
                if (
                    d.precision == "day"
                    and len(line.strip()) <= len(d.text) + 12
                    and not _DOB_LABEL.search(head[line_lo : d.start])
                ):
                    best = (2, page, d)
                    break
        if best is not None:
            return best[1], best[2]
    return None


def document_date(doc: Document) -> str | None:
    """The ISO date the document was written ("Date reported", "Date of report",
    "Dictated", a letter's date above "Dear ..."), or None when it does not say."""
    try:
        found = _document_date(doc)
    except Exception:  # noqa: BLE001 - a strange page must never stop extraction
        return None
    return found[1].iso if found else None


# ------------------------------------------------------------------ entry point
def _prepare(doc: Document, page: Page, doc_date: str | None = None) -> _Page:
    text = page.text
    mentions = _scan(text)
    dates = find_dates(text)
    p = _Page(doc, page, text, mentions, [m.start for m in mentions], dates, text.lower())
    p.doc_date = doc_date
    p.sections = _status.sections(text)
    for d in dates:
        if _DOB_LABEL.search(text, max(0, d.start - 20), d.start):
            p.dob.add(d.start)
    return p


_LETTERS = frozenset({"clinic_letter", "referral_letter", "discharge_summary", "mdt_outcome"})


def extract(doc: Document) -> list[Fact]:
    """Every course fact on every page of the document."""
    found = _document_date(doc)
    doc_date = doc.document_date or (found[1].iso if found else None)
    facts: list[Fact] = []
    for page in pages(doc):
        p = _prepare(doc, page, doc_date)
        _treatments(p)
        _responses(p)
        _comorbidities(p)
        _labs(p)
        _performance(p)
        _allergies(p)
        _medications(p)
        read_dose_steps(p)
        read_course_doses(p)
        read_radiotherapy_detail(p)
        written = (found[1].start, found[1].iso) if found and found[0] is page else None
        _events(p, written, "letter" if doc.doc_type in _LETTERS else "report")
        facts.extend(p.facts)
    return facts
