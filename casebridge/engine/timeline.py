"""Case stage 'timeline': the dated events of the records, merged and sorted.

Events come from four places, each keeping its Source:
- facts of kind ``event_date`` (attributes ``date``, ``precision``, ``event``);
- treatment facts (surgery, regimen, radiotherapy, ...) whose attributes carry a
  ``date``, ``start_date`` or ``end_date``;
- each document's own date (``Document.document_date``): a "letter" or "report"
  event labelled by its document type;
- DICOM studies (``Document.metadata["study_date"]`` and ``["modality"]``).

A planned treatment is a "planned" event and anything dated after its own record a
"booked" (or "planned") one: never an event that happened. Events of the same day and the
same kind are merged into one event with several sources. A thing without a readable date is left out: dates are never invented.
The small date helpers here (parse_date, find_dates, today_of) are shared by
the gaps and safety stages.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from casebridge.engine.case import TREATMENT_KINDS, Case, Document, Fact, Source, TimelineEvent
from casebridge.engine.currency import settle
from casebridge.engine.extract import dates as _dates
from casebridge.engine.kb import fact_kinds
from casebridge.engine.registry import component

# -- dates ---------------------------------------------------------------------


def find_dates(text: str) -> Iterator[tuple[int, int, str, str]]:
    """Every date written in the text (UK day-first conventions, see
    extract/dates.py): (start, end, iso, precision), in order."""
    for found in _dates.find_dates(text or ""):
        yield found.start, found.end, found.iso, found.precision


def parse_date(value: str | None) -> tuple[str, str] | None:
    """A single date value (ISO of any precision, UK numeric, '12 March 2024',
    DICOM '20240312', '2024') as (iso, precision); None when it is not a date."""
    if not value or not isinstance(value, str):
        return None
    return _dates.parse_date(value)


# The first and the last day an ISO date of any precision can mean (extract/dates.py).
as_date = _dates.first_day
latest_date = _dates.last_day


def today_of(case: Case) -> _dt.date:
    """The date the case is judged on: intake["today"] (ISO) when given, else today."""
    given = case.intake.get("today") if isinstance(case.intake, dict) else None
    if isinstance(given, _dt.date):
        return given
    parsed = parse_date(str(given)) if given else None
    if parsed and parsed[1] == "day":
        day = as_date(parsed[0])
        if day is not None:
            return day
    return _dt.date.today()


def warn(case: Case, message: str) -> None:
    """Add a plain-language warning once, however often the stage re-runs."""
    if message not in case.warnings:
        case.warnings.append(message)


# -- events --------------------------------------------------------------------

# Facts in these contexts happened (or are stated as having happened).
_HAPPENED = ("asserted", "historical")

_DOC_LABELS: dict[str, tuple[str, str]] = {
    "pathology": ("report", "Pathology report"),
    "radiology": ("report", "Imaging report"),
    "laboratory": ("report", "Laboratory results"),
    "genetic_report": ("report", "Genetic report"),
    "operative_note": ("report", "Operation note"),
    "medication_list": ("report", "Medication list"),
    "clinic_letter": ("letter", "Clinic letter"),
    "referral_letter": ("letter", "Referral letter"),
    "discharge_summary": ("letter", "Discharge summary"),
    "mdt_outcome": ("letter", "MDT outcome"),
    "other": ("report", "Document"),
}


def _event(date: str | None, kind: str, label: str, source: Source | None) -> TimelineEvent | None:
    parsed = parse_date(date)
    if parsed is None:
        return None
    iso, precision = parsed
    return TimelineEvent(
        date=iso, precision=precision, kind=kind, label=label, sources=[source] if source else []
    )


def _event_date_fact(fact: Fact) -> TimelineEvent | None:
    attrs = fact.attributes
    date = attrs.get("date") or fact.value
    event = _event(date, attrs.get("event") or "event", "", fact.source)
    if event is None:
        return None
    precision = attrs.get("precision")
    if precision in ("day", "month", "year") and precision != event.precision:
        # the record may state less than the normalised value suggests (e.g. "March 2024")
        event.date = "-".join(
            event.date.split("-")[: ("year", "month", "day").index(precision) + 1]
        )
        event.precision = precision
    what = attrs.get("event") or "event"
    label = fact.display if fact.display and parse_date(fact.display) is None else what
    event.label = label[:1].upper() + label[1:] if label else "Event"
    if attrs.get("status") == "planned" and event.kind not in ("letter", "report"):
        # dated after its own record: booked or expected, it has not happened yet
        planned = "planned" if event.kind in _TREATMENT_EVENTS else "booked"
        event.label = f"{planned.capitalize()}: {what.replace('_', ' ')}"
        event.kind = planned
    return event


_TREATMENT_EVENTS = frozenset(
    {"treatment", "treatment_start", "treatment_end", "transplant", "surgery"}
)
TREATMENT_EVENTS = _TREATMENT_EVENTS  # a date still to come of these is "planned", else "booked"


def _treatment_events(fact: Fact) -> list[TimelineEvent]:
    label_of = fact_kinds().get(fact.kind, {}).get("label", fact.kind)
    name = fact.display or fact.value
    events: list[TimelineEvent] = []
    if fact.attributes.get("intent") == "proposal":
        return []  # only referred to discuss: no date of its own, not even a planned one
    if fact.attributes.get("status") == "planned":
        # a treatment that has not been given is on the timeline as planned, never as given
        when = fact.attributes.get("start_date") or fact.attributes.get("date")
        ev = _event(when, "planned", f"Planned: {name}", fact.source)
        return [ev] if ev else []
    start = fact.attributes.get("start_date") or fact.attributes.get("date")
    kind = "surgery" if fact.kind == "surgery" else "treatment_start"
    if fact.kind == "transplant":
        kind = "transplant"
    ev = _event(start, kind, f"{label_of}: {name}", fact.source)
    if ev:
        if kind == "treatment_start" and not fact.attributes.get("start_date"):
            ev.kind = "treatment"
        events.append(ev)
    end = fact.attributes.get("end_date")
    ev = _event(end, "treatment_end", f"{label_of} ended: {name}", fact.source)
    if ev:
        events.append(ev)
    return events


def document_date_source(doc: Document, iso: str) -> Source:
    """Where the document's date is written, when it can be found verbatim."""
    from casebridge.engine.extract.spans import source_for

    for page in doc.pages:
        for start, end, found, _precision in find_dates(page.text):
            if found == iso:
                return source_for(doc, page, start, end)
    return Source(doc.id, doc.file_name, 1, 0, 0, f"document date {iso}")


def _document_events(doc: Document) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    if doc.duplicate_of is not None:
        return events
    if doc.doc_type == "imaging_study":
        study = doc.metadata.get("study_date") or doc.document_date
        parsed = parse_date(study)
        if parsed:
            modality = (doc.metadata.get("modality") or "").strip()
            label = f"{modality} imaging study" if modality else "Imaging study"
            description = (doc.metadata.get("study_description") or "").strip()
            if description:
                label += f" ({description})"
            source = Source(doc.id, doc.file_name, 1, 0, 0, f"DICOM study date {study}")
            ev = _event(parsed[0], "imaging", label, source)
            if ev:
                events.append(ev)
        return events
    parsed = parse_date(doc.document_date)
    if parsed:
        kind, label = _DOC_LABELS.get(doc.doc_type, ("report", "Document"))
        ev = _event(parsed[0], kind, label, document_date_source(doc, parsed[0]))
        if ev:
            events.append(ev)
    return events


def merge_events(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """One event per (date, kind); its labels and sources are gathered, in order."""
    merged: dict[tuple[str, str], TimelineEvent] = {}
    for ev in events:
        key = (ev.date, ev.kind)
        into = merged.get(key)
        if into is None:
            merged[key] = TimelineEvent(ev.date, ev.precision, ev.kind, ev.label, list(ev.sources))
            continue
        labels = into.label.split("; ")
        if ev.label not in labels:
            into.label = "; ".join([*labels, ev.label])
        for src in ev.sources:
            if src not in into.sources:
                into.sources.append(src)
    return sorted(merged.values(), key=lambda e: (e.date, e.kind, e.label))


def build_timeline(case: Case) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for fact in case.facts:
        if fact.context not in _HAPPENED:
            continue
        if fact.kind == "event_date":
            ev = _event_date_fact(fact)
            if ev:
                events.append(ev)
        elif fact.kind in TREATMENT_KINDS:
            events.extend(_treatment_events(fact))
    for doc in case.documents:
        events.extend(_document_events(doc))
    return merge_events(_happened_wins(events))


def _happened_wins(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """A booked item that another record shows happened on its date (an EBUS "arranged" in a
    discharge summary, then reported) is that event; a planned start the plan's own
    treatment already names is not repeated."""
    done = {(e.date, e.kind) for e in events if e.kind not in ("planned", "booked")}
    named = {
        e.date for e in events if e.kind == "planned" and e.label != "Planned: treatment start"
    }
    kept = []
    for e in events:
        what = e.label.partition(": ")[2].replace(" ", "_")
        if e.kind == "booked" and (e.date, what) in done:
            continue
        if e.kind == "planned" and e.label.startswith("Planned: treatment") and e.date in named:
            continue
        kept.append(e)
    return kept


@component(
    "timeline",
    level="case",
    reads=("facts", "documents"),
    writes=("timeline", "facts.attributes.status"),
)
def timeline(case: Case) -> None:
    settle(case)  # a course that ran out before the latest record is completed
    case.timeline = build_timeline(case)
