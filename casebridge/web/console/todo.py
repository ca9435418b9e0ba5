"""What on a case needs a person now (issue 12): the first thing a coordinator
with many cases reads on its page, each item linking to the section where it is
done. Counted from what the page already holds (the engine reading) and a few
narrow queries, never a query per row.

The console's case page is in sections (SECTIONS); this says which section
each item, and each form's redirect, belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from casebridge.engine.case import Case as EngineCase
from casebridge.web.accounts.models import STAFF_ROLES
from casebridge.web.cases.lib import open_type_flags
from casebridge.web.cases.models import Case, Document
from casebridge.web.cases.record_requests import RecordRequest

# (key, heading): the case page's sections, each a page of its own
SECTIONS: tuple[tuple[str, Any], ...] = (
    ("overview", _("Overview")),
    ("documents", _("Documents")),
    ("facts", _("Facts and timeline")),
    ("missing", _("Missing records")),
    ("messages", _("Messages and notes")),
    ("history", _("History")),
)
SECTION_KEYS = frozenset(key for key, _ in SECTIONS)

# where a form's anchor lives (the redirect after a change goes to its section)
ANCHOR_SECTION = {
    "documents": "documents",
    "facts": "facts",
    "add-fact": "facts",
    "marked-wrong": "facts",
    "requests": "missing",
    "gaps": "missing",
    "messages": "messages",
    "notes": "messages",
    "history": "history",
}

# the bound form a refused change is shown again in -> its section
FORM_SECTION = {
    "fact": "facts",
    "marked_wrong": "facts",
    "note": "messages",
    "message": "messages",
    "request": "missing",
    "close_request": "missing",
    "doc_type": "documents",
}

ATTENTION_STATES = (Document.State.NEEDS_ATTENTION, Document.State.FAILED)


def section_of_anchor(anchor: str) -> str:
    return ANCHOR_SECTION.get(anchor, "overview")


@dataclass(frozen=True)
class Item:
    text: str  # plain words, with the count
    section: str
    anchor: str


def needs_a_person(case: Case, engine: EngineCase) -> list[Item]:
    """The items that need a person, most pressing first; empty when none."""
    items: list[Item] = []
    if case.paused:
        items.append(
            Item(
                gettext("Paused for safety: check the patient is getting local care"),
                "overview",
                "safety",
            )
        )
    if case.safety_review:
        items.append(
            Item(gettext("Amber safety flag: call the patient today"), "overview", "amber")
        )
    attention = Document.objects.filter(case=case, state__in=ATTENTION_STATES).count()
    flagged = len(open_type_flags(case))
    if attention:
        items.append(
            Item(
                ngettext(
                    "%(n)d document needs attention", "%(n)d documents need attention", attention
                )
                % {"n": attention},
                "documents",
                "documents",
            )
        )
    if flagged:
        items.append(
            Item(
                ngettext(
                    "%(n)d document the patient says has the wrong type",
                    "%(n)d documents the patient says have the wrong type",
                    flagged,
                )
                % {"n": flagged},
                "documents",
                "documents",
            )
        )
    if engine.conflicts:
        items.append(
            Item(
                ngettext(
                    "%(n)d conflict between records to check",
                    "%(n)d conflicts between records to check",
                    len(engine.conflicts),
                )
                % {"n": len(engine.conflicts)},
                "facts",
                "conflicts",
            )
        )
    possible = sum(1 for f in engine.facts if f.context == "possible" and f.corrected_by is None)
    if possible:
        items.append(
            Item(
                ngettext(
                    "%(n)d fact the records state only as possible: confirm or correct it",
                    "%(n)d facts the records state only as possible: confirm or correct them",
                    possible,
                )
                % {"n": possible},
                "facts",
                "facts",
            )
        )
    waiting = RecordRequest.objects.filter(case=case, state=RecordRequest.State.OPEN).count()
    if waiting:
        items.append(
            Item(
                ngettext(
                    "%(n)d record request waiting for the patient",
                    "%(n)d record requests waiting for the patient",
                    waiting,
                )
                % {"n": waiting},
                "missing",
                "requests",
            )
        )
    unanswered = _unanswered_messages(case)
    if unanswered:
        items.append(
            Item(
                ngettext(
                    "%(n)d message from the patient's side not answered yet",
                    "%(n)d messages from the patient's side not answered yet",
                    unanswered,
                )
                % {"n": unanswered},
                "messages",
                "messages",
            )
        )
    return items


def _unanswered_messages(case: Case) -> int:
    """Messages from the patient or their family since staff last wrote."""
    staff = list(STAFF_ROLES)
    last_staff = case.messages.filter(sender__role__in=staff).aggregate(at=Max("created_at"))["at"]
    theirs = case.messages.exclude(sender__role__in=staff)
    if last_staff is not None:
        theirs = theirs.filter(created_at__gt=last_staff)
    return theirs.count()
