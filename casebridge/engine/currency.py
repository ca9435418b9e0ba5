"""What is current on the latest record's date, and the date each fact holds on.

A treatment or medication's `attributes["status"]` (extract/status.py) says what its own
record states on that record's date. Across the case:
- the latest record's date is the newest document date;
- a course stated current whose end date (a discharge supply "for 2 more days") is before
  the latest record's date has run out: `settle` makes it "completed";
- a medication stated current is current on the latest record's date when its record is no
  more than `current_within_days` (knowledge/treatment_status.yaml) older; an older one is
  shown with its date as not confirmed by the latest records, never as stopped.
"""

from __future__ import annotations

from casebridge.engine.case import TREATMENT_KINDS, Case, Fact
from casebridge.engine.extract.dates import first_day, is_before
from casebridge.engine.extract.status import current_within_days

STATUS_KINDS = frozenset({*TREATMENT_KINDS, "medication"})
_OWN_DATES = ("date", "start_date", "end_date")


def latest_record_date(case: Case) -> str | None:
    """The newest date (day precision) any document of the case was written on."""
    dates = [
        d.document_date
        for d in case.documents
        if d.duplicate_of is None and d.document_date and len(d.document_date) == 10
    ]
    return max(dates) if dates else None


def document_date_of(case: Case, fact: Fact) -> str | None:
    doc = case.document(fact.source.document_id) if fact.source else None
    return doc.document_date if doc is not None else None


def fact_date(case: Case, fact: Fact) -> str | None:
    """The date a fact is shown with: its own date (a result's, a course's start or end,
    an event's), else the date of the document stating it; None when neither is known."""
    for key in _OWN_DATES:
        if fact.attributes.get(key):
            return fact.attributes[key]
    if fact.kind == "event_date":
        return fact.value
    return document_date_of(case, fact)


def stated_on(case: Case, fact: Fact) -> str | None:
    """The date the fact's status holds on: its record's date."""
    return fact.attributes.get("status_date") or document_date_of(case, fact)


def settle(case: Case) -> None:
    """A course stated current that ended before the latest record's date is completed."""
    latest = latest_record_date(case)
    if latest is None:
        return
    for fact in case.facts:
        ended = fact.attributes.get("end_date")
        if (
            fact.kind in STATUS_KINDS
            and fact.attributes.get("status") == "current"
            and ended
            and is_before(ended, latest)
        ):
            fact.attributes["status"] = "completed"


def current_on_latest(case: Case, fact: Fact, latest: str | None) -> bool:
    """Whether a fact stated current is still current on the latest record's date."""
    if fact.attributes.get("status") != "current":
        return False
    ended = fact.attributes.get("end_date")
    if latest is None:
        return True
    if ended and is_before(ended, latest):
        return False
    said = stated_on(case, fact)
    if not said:
        return True  # an undated list: shown current, its date "not stated"
    a, b = first_day(said), first_day(latest)
    return a is not None and b is not None and (b - a).days <= current_within_days()
