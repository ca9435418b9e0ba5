"""Reads for the console's case page (no state changes): the engine's reading
of the case with its facts, conflicts, letters, the audit trail and the
conversation. Reads of a case's data go through the access gate in the views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.case import Fact
from casebridge.engine.kb import fact_kinds
from casebridge.web.accounts.models import STAFF_ROLES, Role
from casebridge.web.cases import workflow
from casebridge.web.cases.lib import EngineView, read_engine
from casebridge.web.cases.models import (
    AuditEvent,
    Case,
    CaseMember,
    Message,
)
from casebridge.web.cases.wording import patient_gaps, spans_html
from casebridge.web.console.facts import value_words
from casebridge.web.console.history import event_text

# -- the case page -----------------------------------------------------------------


@dataclass
class FactRow:
    fact: Fact
    label: str
    correction: Any = None  # the engine Correction applied, if any


@dataclass
class CasePage:
    engine: EngineCase
    view: EngineView
    facts: list[FactRow] = field(default_factory=list)
    kinds: list[tuple[str, str]] = field(default_factory=list)
    marked_wrong: list[FactRow] = field(default_factory=list)  # correction: the mark
    allowed_moves: list[tuple[str, str]] = field(default_factory=list)
    engine_docs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _EngineParts:
    """What the case page derives from the engine alone (kept per case version)."""

    facts: list[FactRow]
    kinds: list[tuple[str, str]]
    engine_docs: dict[str, Any]
    marked_wrong: list[FactRow]


def _engine_parts(engine: EngineCase) -> _EngineParts:
    labels = {kind: str(spec.get("label", kind)) for kind, spec in fact_kinds().items()}
    return _EngineParts(
        facts=[
            FactRow(fact=fact, label=labels.get(fact.kind, fact.kind), correction=fact.corrected_by)
            for fact in engine.facts
        ],
        kinds=sorted(labels.items(), key=lambda item: item[1]),
        engine_docs={d.id: d for d in engine.documents},
        marked_wrong=_marked_wrong(engine, labels),
    )


def _marked_wrong(engine: EngineCase, labels: dict[str, str]) -> list[FactRow]:
    """The facts marked wrong, each with its latest mark (who, when, why): the
    engine keeps them aside while the mark stands."""
    marks = {c.fact_id: c for c in engine.corrections if c.rejected}
    return [
        FactRow(fact=fact, label=labels.get(fact.kind, fact.kind), correction=marks.get(fact.id))
        for fact in engine.rejected_facts
        if fact.id in marks
    ]


def case_page(case: Case) -> CasePage:
    """What the console's case page shows, from the engine's JSON (with the
    people's corrections from the database) and the engine's own renderers.
    The engine parts are read-only and shared while the case is unchanged
    (cases.lib.read_engine)."""
    view = read_engine(case)
    parts = view.derived("console.case_page", _engine_parts)
    moves = workflow.allowed_moves(case.status, paused_from=case.paused_from)
    if case.status == workflow.READY_FOR_REVIEW:
        moves = moves - {workflow.MATCHED}  # by choosing a department (the matching section)
    return CasePage(
        engine=view.engine,
        view=view,
        facts=parts.facts,
        kinds=parts.kinds,
        marked_wrong=parts.marked_wrong,
        allowed_moves=[
            (status, workflow.LABELS[status]) for status in workflow.STATUSES if status in moves
        ],
        engine_docs=parts.engine_docs,
    )


def conflict_lines(engine: EngineCase, words: Any) -> list[tuple[str, list[Any]]]:
    """Each disagreement between records: its kind and the values the records
    give, each once, in the summary's words when `words` (a Chinese Wording) is
    given, else as the engine read them."""
    facts = {fact.id: fact for fact in engine.facts}
    lines = []
    for conflict in engine.conflicts:
        if words is None:  # in plain words: a cancer type's name, never its code
            named = {value_words(conflict.kind, v): None for v in conflict.values}
            lines.append((conflict.kind, list(named)))
            continue
        shown: dict[str, Any] = {}
        for fact_id in conflict.fact_ids:
            fact = facts.get(fact_id)
            if fact is not None and fact.value not in shown:
                shown[fact.value] = spans_html(words.value(fact), "zh")
        lines.append((conflict.kind, [shown[v] for v in sorted(shown)]))
    return lines


def letter_titles(engine: EngineCase, lang: str) -> list[tuple[str, str]]:
    """The draft letters asking for records, each named by what it asks for in
    the page's language (the gap it is for), never by its file name."""
    shown: dict[str, str] = {}
    for gap, words in zip(engine.gaps, patient_gaps(engine, lang), strict=True):
        if gap.request_letter and gap.request_letter not in shown:
            shown[gap.request_letter] = "".join(span.text for span in words.title)
    return sorted(shown.items())


def recent_audit(case: Case, limit: int = 50) -> list[AuditEvent]:
    """The latest audit rows but reads, each with `who`: the person by name; a
    row written by an invitation's link (no one signed in) names the invitee;
    a background task reads "casebridge (automatic)". Never "anonymous"."""
    events = list(
        case.audit_events.exclude(action="case.read")
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    by_link = {e.object_id for e in events if e.actor_id is None and e.object_type == "casemember"}
    invitees = (
        {
            str(m.pk): m.user.display_name
            for m in CaseMember.objects.filter(case=case, pk__in=by_link).select_related("user")
        }
        if by_link
        else {}
    )
    for event in events:
        event.case = case  # the key of its details, no query per row
        event.who = _who(event, invitees)  # type: ignore[attr-defined]
        event.words = event_text(event)  # type: ignore[attr-defined]
    return events


def _who(event: AuditEvent, invitees: dict[str, str]) -> Any:
    if event.actor is not None:
        return event.actor.display_name
    if event.object_type == "casemember" and event.object_id in invitees:
        return format_lazy(_("{name} (by the invitation's link)"), name=invitees[event.object_id])
    if event.actor_label in {"", "system"}:
        return _("casebridge (automatic)")
    if event.actor_label == "anonymous":
        return _("someone not signed in")
    return event.actor_label


def conversation(case: Case) -> list[Message]:
    """The case's messages, each sender with `who` (their name, else their
    e-mail address) and `role` ("patient, writes Chinese", "family",
    "coordinator"): two queries however many messages."""
    messages = list(case.messages.select_related("sender"))
    members = dict(case.members.values_list("user_id", "relationship"))
    for message in messages:
        sender = message.sender
        if sender.pk == case.owner_id:
            role: Any = _("patient")
        elif sender.pk in members:
            role = RELATIONSHIP_WORDS.get(members[sender.pk], _("family"))
        else:
            role = STAFF_WORDS.get(sender.role, _("staff"))
        if sender.role not in STAFF_ROLES and sender.preferred_language.startswith("zh"):
            role = format_lazy(_("{role}; writes Chinese"), role=role)
        message.who, message.role = sender.display_name, role  # type: ignore[attr-defined]
    return messages


STAFF_WORDS: dict[str, Any] = {
    Role.COORDINATOR: _("coordinator"),
    Role.ADMIN: _("administrator"),
    Role.REVIEWER: _("reviewer"),
}


RELATIONSHIP_WORDS: dict[str, Any] = {
    CaseMember.Relationship.FAMILY: _("family"),
    CaseMember.Relationship.CAREGIVER: _("caregiver"),
}
