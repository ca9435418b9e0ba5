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
from django.utils.translation import ngettext, pgettext

from casebridge.web.cases import workflow
from casebridge.web.cases.models import Case, Document
from casebridge.web.cases.wording import patient_gaps
from casebridge.web.portal import content
from casebridge.web.portal.lib.timeline import patient_timeline

# where there is nothing left for the patient's side to do on the case
FINISHED = frozenset({workflow.WITHDRAWN, workflow.CLOSED})
# where records are still being gathered from the patient's side
COLLECTING = frozenset({workflow.ENQUIRY, workflow.TRIAGE, workflow.COLLECTING_RECORDS})


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
    essential_missing: int = 0,
) -> NextStep:
    """The single next step for this person on this case, most pressing first:
    read the opinion; approve what would be sent; give the consent naming the
    department; give consent to processing; answer a record request; add the
    first records; add the essential records found missing (the page's status
    says they are missing: it must not say there is nothing to do); else nothing
    to do (we will message them)."""
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
    if not states and may_upload and case.status in COLLECTING:
        text = (
            _("Add %(name)s's records: letters, reports, or photos of them.")
            % {"name": patient_name}
            if patient_name
            else _("Add your records: letters, reports, or photos of them.")
        )
        return NextStep("upload", text, reverse("portal:documents", args=[pk]), _("Add records"))
    if essential_missing and may_upload and case.status in COLLECTING:
        return NextStep(
            "missing",
            _(
                "Some essential records are missing. Add them if you have them: the page "
                "lists each one and who usually holds it."
            ),
            reverse("portal:missing", args=[pk]),
            _("Add the missing records"),
        )
    return nothing


def essential_missing(engine: Any) -> int:
    """How many of the engine's missing records are essential (the status line's
    "some important records are missing" counts the same)."""
    return sum(1 for gap in getattr(engine, "gaps", []) or [] if gap.severity == "essential")


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
    # counted from the rows the section pages list, with their labels (必需, 重要...)
    lang = content.current_lang()
    gaps = patient_gaps(engine, lang) if getattr(engine, "gaps", None) else []
    if not gaps:
        gaps_state = _("Nothing missing found so far")
    else:
        by_label: dict[str, int] = {}
        for gap in gaps:
            by_label[gap.severity] = by_label.get(gap.severity, 0) + 1
        parts = [_("%(n)d %(label)s") % {"n": n, "label": label} for label, n in by_label.items()]
        gaps_state = ngettext("%(n)d missing: %(parts)s", "%(n)d missing: %(parts)s", len(gaps)) % {
            "n": len(gaps),
            "parts": pgettext("between the items of a list", ", ").join(parts),
        }
    events = len(patient_timeline(engine, lang)) if getattr(engine, "timeline", None) else 0
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
            ngettext("%(n)d date", "%(n)d dates", events) % {"n": events}
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
