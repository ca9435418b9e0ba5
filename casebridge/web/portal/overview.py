"""The case overview's one next step and its list of sections (issue 12).

The overview is short: where things stand, the single thing this person should
do now, and a line per section (each on its own page). Both are computed here
from what the overview already holds (consent, the records' states, the open
record requests, the department choice, the engine's reading), so the page
asks no query for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casebridge.web.cases import workflow
from casebridge.web.cases.models import Case, Document

# where there is nothing left for the patient's side to do on the case
FINISHED = frozenset({workflow.WITHDRAWN, workflow.CLOSED})


@dataclass(frozen=True)
class NextStep:
    """The one thing to do now: a sentence, and a button (none: nothing to do)."""

    key: str  # which situation, for tests and styling: consent, upload, ...
    text: str
    url: str = ""
    label: str = ""


def next_step(
    case: Case,
    *,
    consent_given: bool,
    states: Sequence[Any],
    record_requests: Sequence[Any],
    matched: dict[str, Any] | None,
    is_owner: bool,
    may_consent: bool,
    may_upload: bool,
    may_approve: bool,
    patient_name: str = "",
) -> NextStep:
    """The single next step for this person on this case, most pressing first:
    read the opinion; approve what would be sent; give the consent naming the
    department; give consent to processing; answer a record request; add the
    first records; else nothing to do (we will message them)."""
    pk = case.pseudonym
    nothing = NextStep(
        "nothing",
        _(
            "There is nothing you need to do now. We will send you a message when something changes."
        ),
    )
    if case.status in FINISHED or case.status == workflow.PAUSED_SAFETY:
        # paused for safety, the page's banner says what to do: get care at home
        return nothing
    matched = matched or {}
    if matched.get("opinion"):
        return NextStep(
            "opinion",
            _("The reviewing team's opinion is ready."),
            reverse("portal:opinion", args=[pk]),
            _("Read the opinion"),
        )
    if matched.get("pack_to_approve") and may_approve:
        return NextStep(
            "approve",
            _(
                "Look at exactly what would be sent to the department, and approve it "
                "if it is right."
            ),
            reverse("portal:pack", args=[pk]),
            _("See what would be sent"),
        )
    if matched.get("consent_needed") and may_consent:
        return NextStep(
            "transfer_consent",
            _(
                "Nothing is sent to the department until you agree. If you want it to "
                "review your case, give your consent naming it."
            ),
            reverse("portal:consent", args=[pk]),
            _("Read and give consent"),
        )
    if not consent_given:
        if may_consent and is_owner:
            return NextStep(
                "consent",
                _("Give your consent, so that we may read your records."),
                reverse("portal:consent", args=[pk]),
                _("Give consent"),
            )
        return NextStep(
            "wait_consent",
            _("%(name)s needs to give consent before records can be added.")
            % {"name": patient_name}
            if patient_name
            else _("The patient needs to give consent before records can be added."),
        )
    if record_requests and may_upload:
        first = record_requests[0]
        text = ngettext(
            "We have asked for a record: %(title)s.",
            "We have asked for %(n)d records, first: %(title)s.",
            len(record_requests),
        ) % {"n": len(record_requests), "title": first.title}
        return NextStep(
            "record_request",
            text,
            reverse("portal:documents", args=[pk]) + "#upload-form",
            _("Upload it"),
        )
    if (
        not states
        and may_upload
        and case.status
        in (
            workflow.ENQUIRY,
            workflow.TRIAGE,
            workflow.COLLECTING_RECORDS,
        )
    ):
        text = (
            _("Add %(name)s's records: letters, reports, or photos of them.")
            % {"name": patient_name}
            if patient_name
            else _("Add your records: letters, reports, or photos of them.")
        )
        return NextStep("upload", text, reverse("portal:documents", args=[pk]), _("Add records"))
    return nothing


@dataclass(frozen=True)
class SectionLink:
    """A line of the overview's list of sections: where it goes, and its state."""

    key: str
    title: str
    url: str
    state: str


def section_links(
    case: Case,
    *,
    engine: Any,
    states: Sequence[Any],
    fact_count: int,
    questions: int,
    any_read: bool,
    patient_name: str = "",
) -> list[SectionLink]:
    """The overview's sections, each with a one-line state ("Records — 7 read")."""
    pk = case.pseudonym
    read = sum(1 for s in states if s.state == Document.State.PROCESSED)
    if not states:
        records_state = _("No records yet")
    else:
        records_state = ngettext(
            "%(read)d of %(n)d read", "%(read)d of %(n)d read", len(states)
        ) % {"read": read, "n": len(states)}
    gaps = list(getattr(engine, "gaps", []) or [])
    essential = sum(1 for gap in gaps if gap.severity == "essential")
    if not gaps:
        gaps_state = _("Nothing missing found so far")
    elif essential:
        gaps_state = ngettext(
            "%(n)d missing, %(essential)d important",
            "%(n)d missing, %(essential)d important",
            len(gaps),
        ) % {"n": len(gaps), "essential": essential}
    else:
        gaps_state = ngettext("%(n)d missing", "%(n)d missing", len(gaps)) % {"n": len(gaps)}
    events = len(getattr(engine, "timeline", []) or [])
    return [
        SectionLink(
            "records",
            _("%(name)s's records") % {"name": patient_name} if patient_name else _("Your records"),
            reverse("portal:documents", args=[pk]),
            records_state,
        ),
        SectionLink(
            "facts",
            _("What %(name)s's records say") % {"name": patient_name}
            if patient_name
            else _("What your records say"),
            reverse("portal:facts", args=[pk]),
            ngettext("%(n)d item found", "%(n)d items found", fact_count) % {"n": fact_count}
            if fact_count
            else _("Nothing yet"),
        ),
        SectionLink(
            "timeline",
            _("Timeline"),
            reverse("portal:timeline", args=[pk]),
            ngettext("%(n)d dated event", "%(n)d dated events", events) % {"n": events}
            if events
            else _("No dated events yet"),
        ),
        SectionLink(
            "missing", _("Missing records"), reverse("portal:missing", args=[pk]), gaps_state
        ),
        SectionLink(
            "questions",
            _("%(name)s's questions for the specialists") % {"name": patient_name}
            if patient_name
            else _("Your questions for the specialists"),
            reverse("portal:questions", args=[pk]),
            ngettext("%(n)d question", "%(n)d questions", questions) % {"n": questions}
            if questions
            else _("No questions yet"),
        ),
        SectionLink(
            "summary",
            _("Summary and downloads"),
            reverse("portal:summary_and_downloads", args=[pk]),
            _("Ready to read")
            if any_read
            else _("Once %(name)s's records have been read") % {"name": patient_name}
            if patient_name
            else _("Once your records have been read"),
        ),
    ]
