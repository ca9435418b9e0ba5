"""What a radiotherapy statement gives besides its dose: the site treated and the date
written after the dose.

A radiotherapy prescription is written as dose, fractions and target ("60 Gy in 20
fractions to prostate and seminal vesicles", "radiotherapy to T9, 8 Gy in 1 fraction,
05/12/2025"; RCR Radiotherapy dose fractionation, 4th edition): the target follows "to"
right after the word radiotherapy, and a date closing the same clause is the date it was
given. A procedure dated before the record's date is done (extract/status.py)."""

from __future__ import annotations

import re

from casebridge.engine.extract.context import sentence_bounds
from casebridge.engine.extract.course_page import _Page
from casebridge.engine.extract.dates import is_before

# "to (the) prostate and seminal vesicles" / "to T9" / "to the left breast": up to the
# clause's end, a dose, or the words that go on to say when or why
_SITE = re.compile(
    r"[ \t]+(?:to|of)[ \t]+(?:the[ \t]+)?"
    r"(?P<site>[A-Za-z][\w-]*(?:[ \t]+(?!(?:planned|starting|from|on|for|with|in|at|given|"
    r"over|daily|using)\b)[A-Za-z][\w-]*){0,5})"
    r"(?=[ \t]*(?:[,;.(\n]|\d|$|(?:planned|starting|from|on|for|with|in|at|given|over)\b))",
)
# between the radiotherapy and its date: only its site, dose and fractions
_BETWEEN = re.compile(r"(?i)[\w\s,/#×x.-]*")
_OTHER_DATE_WORD = re.compile(r"(?i)\b(?:planned|start\w*|from|until|since|due|next|booked)\b")


def read_radiotherapy_detail(p: _Page) -> None:
    for f in p.facts:
        if f.kind != "radiotherapy" or f.source is None:
            continue
        a = f.attributes
        start, end = f.source.start, f.source.end
        site = _SITE.match(p.text, end)
        if site and "site" not in a and not site.group("site").lower().startswith("gy"):
            a["site"] = " ".join(site.group("site").split())
        if a.get("fractions") == "1" and a.get("dose_gy"):
            a["dose"] = f"{a['dose_gy']} Gy in 1 fraction"
        if a.get("dose_gy") and not (a.get("date") or a.get("start_date") or a.get("end_date")):
            _date_after_dose(p, start, end, a)


def _date_after_dose(p: _Page, start: int, end: int, a: dict[str, str]) -> None:
    """ "... to T9, 8 Gy in 1 fraction, 05/12/2025": the date closing the clause."""
    _, hi = sentence_bounds(p.text, start, end)
    for d in p.dates_in(end, hi):
        between = p.text[end : d.start]
        if "gy" not in between.lower() or _OTHER_DATE_WORD.search(between):
            return
        if _BETWEEN.fullmatch(between) is None:
            return
        a["date"] = d.iso
        a["date_precision"] = d.precision
        if "status" not in a and p.doc_date and is_before(d.iso, p.doc_date):
            a["status"] = "completed"
            a["status_date"] = p.doc_date
        return
