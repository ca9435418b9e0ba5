"""The timeline and the booked tests, with dates in the page's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.render.summary import Wording, document_event
from casebridge.engine.terminology import Span
from casebridge.engine.terminology import label as term_label
from casebridge.engine.terminology import table as terminology_table

# -- the timeline and the missing records, in the page's language ------------------------


@dataclass
class TimelineDay:
    """One date of the patient's timeline with everything that happened on it."""

    iso: str  # as precise as the records say: "2026-09-11", "2026-09" or "2026"
    date: str  # "11 Sep 2026" / "2026年9月11日"
    events: list[list[Span]] = field(default_factory=list)


def date_words(iso: str, precision: str, lang: str, *, full: bool = False) -> str:
    """A record's date in one format: "11 Sep 2026" / "2026年9月11日"; only the
    month or year when that is all the record says ("Sep 2026" / "2026年9月").
    `full` names the month in full ("23 November 2026")."""
    months = FULL_MONTHS if full else MONTHS
    parts = iso[:10].split("-")
    try:
        day = dt.date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, 1)
        if len(parts) > 2:
            day = day.replace(day=int(parts[2]))
    except ValueError:
        return iso
    if precision == "year":
        return f"{day.year}年" if lang == "zh" else str(day.year)
    if precision == "month":
        if lang == "zh":
            return f"{day.year}年{day.month}月"
        return f"{months[day.month - 1]} {day.year}"
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {months[day.month - 1]} {day.year}"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FULL_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip


def patient_timeline(engine: EngineCase, lang: str) -> list[TimelineDay]:
    """The engine's timeline for the patient: what happened, one row per date
    (never the same date on consecutive rows), each event worded as the summary
    words it (its terminology table; English it does not cover marked). Events
    that only say a letter or report is dated are left out, as the summary does."""
    words = Wording(engine, "zh" if lang == "zh" else "en")
    days: dict[str, TimelineDay] = {}
    for event in sorted(engine.timeline, key=lambda e: e.date):
        if document_event(event):
            continue
        spans = words.event(event)
        if not spans:
            continue
        if lang != "zh":
            spans = _english_event(spans)
        shown = {"year": 4, "month": 7}.get(event.precision, 10)
        iso = event.date[:shown]
        day = days.get(iso)
        if day is None:
            day = days[iso] = TimelineDay(iso, date_words(iso, event.precision, lang))
        if spans not in day.events:
            day.events.append(spans)
    return list(days.values())


@dataclass(frozen=True)
class BookedTest:
    what: str  # "影像检查" / "imaging"
    date: str  # "2026年9月22日" / "22 Sep 2026"


# booked events that have a report to ask for once they are done
_REPORTED_EVENTS = frozenset({"imaging", "biopsy"})


def booked_tests(engine: EngineCase, lang: str) -> list[BookedTest]:
    """The scans and tests the records say are booked (dated after their record): not
    missing, their report can be asked for once they are done."""
    code = "zh" if lang == "zh" else "en"
    found: list[BookedTest] = []
    for event in sorted(engine.timeline, key=lambda e: e.date):
        _head, _sep, what = (event.label or "").partition(":")
        what = what.strip().lower()
        if event.kind != "booked" or what not in _REPORTED_EVENTS:
            continue
        named = term_label(f"event.{what}", code)
        named = named if named != f"event.{what}" else what
        item = BookedTest(
            named if code == "zh" else named[:1].upper() + named[1:],
            date_words(event.date, event.precision, code),
        )
        if item not in found:
            found.append(item)
    return found


def _english_event(spans: list[Span]) -> list[Span]:
    """An event's words in English as the table names them ("mdt" -> "MDT meeting"),
    the first letter a capital."""
    table = terminology_table()
    named = []
    for span in spans:
        term = table.lookup(span.text, ["event"]) if span.text.strip(" :,") else None
        named.append(Span(term.en) if term is not None else span)
    if named and named[0].text:
        named[0] = Span(named[0].text[:1].upper() + named[0].text[1:])
    return named
