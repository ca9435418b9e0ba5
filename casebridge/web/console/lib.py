"""Reads for the console (no state changes): the work queue and what the case
page shows. Reads of a case's data go through the access gate in the views."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.case import Fact
from casebridge.engine.directions import load_directions
from casebridge.engine.kb import fact_kinds
from casebridge.web.accounts.models import STAFF_ROLES, Role, User
from casebridge.web.cases import matching, opinions, packs, reviews, workflow
from casebridge.web.cases.lib import (
    EngineView,
    TypeFlag,
    can_share_abroad,
    open_type_flags,
    page_lang,
    read_engine,
)
from casebridge.web.cases.models import (
    PROGRAMME_CHOICES,
    PROGRAMME_LABELS,
    AuditEvent,
    Case,
    CaseMember,
    Consent,
    Document,
    Enquiry,
    Message,
    Urgency,
)
from casebridge.web.cases.wording import patient_gaps, spans_html
from casebridge.web.console.facts import value_words
from casebridge.web.console.history import event_text

# Open enquiries: not yet a case, not turned away.
OPEN_ENQUIRY = (Enquiry.Status.NEW, Enquiry.Status.VERIFIED)
URGENCY_RANK = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.ROUTINE: 2}
STATUS_RANK = {status: index for index, status in enumerate(workflow.STATUSES)}
# Documents that need a person.
ATTENTION_STATES = (Document.State.NEEDS_ATTENTION, Document.State.FAILED)
# Audit actions after which a case waits in its (new) status.
STATUS_EVENTS = ("case.created", "case.status_changed", "case.paused_for_safety")

# The filters' labels, in the reader's language (lazy: translated when shown).
KINDS = (("all", _("Cases and enquiries")), ("cases", _("Cases")), ("enquiries", _("Enquiries")))
SCOPES = (("all", _("Everyone's")), ("mine", _("Assigned to me")), ("unassigned", _("Unassigned")))
SORTS = (
    ("waiting", _("Waiting longest")),
    ("urgency", _("Most urgent")),
    ("status", _("Status")),
    ("programme", _("Programme")),
    ("newest", _("Newest")),
)
STATUS_FILTERS = (
    ("open", _("All open")),
    ("all", _("All, closed too")),
    *[(s, _(workflow.LABELS[s])) for s in workflow.STATUSES],  # marked for translation there
    *[
        (f"enquiry:{s}", format_lazy(_("Enquiry: {}"), _(label)))
        for s, label in Enquiry.Status.choices
    ],
)


@dataclass(frozen=True)
class QueueFilters:
    kind: str = "all"
    status: str = "open"
    programme: str = ""
    urgency: str = ""
    scope: str = "all"
    sort: str = "waiting"

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        """From request.GET; an unknown value falls back to the default."""

        def pick(name: str, allowed: list[str], default: str) -> str:
            value = str(query.get(name, default) or default)
            return value if value in allowed else default

        return cls(
            kind=pick("kind", [k for k, _ in KINDS], "all"),
            status=pick("status", [s for s, _ in STATUS_FILTERS], "open"),
            programme=pick("programme", ["", *dict(PROGRAMME_CHOICES)], ""),
            urgency=pick("urgency", ["", *Urgency.values], ""),
            scope=pick("scope", [s for s, _ in SCOPES], "all"),
            sort=pick("sort", [s for s, _ in SORTS], "waiting"),
        )


@dataclass
class QueueRow:
    kind: str  # case | enquiry
    pk: int
    ref: str
    status: str
    status_label: str
    programme: str
    programme_label: str
    urgency: str
    urgency_label: str
    owner: str
    coordinator: str
    waiting_since: dt.datetime
    created_at: dt.datetime
    red_flag: bool = False
    amber_flag: bool = False  # an amber safety flag no coordinator has reviewed
    attention: int = 0  # documents that need a person
    unanswered: int = 0  # the patient's side's messages since staff last wrote

    @property
    def waiting(self) -> dt.timedelta:
        return timezone.now() - self.waiting_since

    @property
    def waiting_label(self) -> str:
        return waiting_words(self.waiting)


def waiting_words(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return gettext("%(n)d min") % {"n": max(minutes, 0)}
    hours = minutes // 60
    if hours < 48:
        return gettext("%(n)d h") % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def red_flag_enquiries() -> list[Enquiry]:
    """Enquiries whose red-flag screen told the person to seek care now, and
    that no coordinator has cleared yet: always shown first."""
    return list(
        Enquiry.objects.filter(red_flag_state=Enquiry.RedFlag.FLAGGED).order_by("created_at")
    )


def _case_rows(filters: QueueFilters, user: User) -> list[QueueRow]:
    if filters.kind == "enquiries" or filters.status.startswith("enquiry:"):
        return []
    last_move = (
        AuditEvent.objects.filter(case=OuterRef("pk"), action__in=STATUS_EVENTS)
        .values("case")
        .annotate(last=Max("at"))
        .values("last")
    )
    # A subquery, not a join + GROUP BY: grouping would compare every case's whole
    # engine JSON. The queue never shows the JSON (nor the wrapped key): not loaded.
    attention = (
        Document.objects.filter(case=OuterRef("pk"), state__in=ATTENTION_STATES)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The patient's side's messages after staff last wrote on the case.
    last_staff = (
        Message.objects.filter(case=OuterRef("pk"), sender__role__in=STAFF_WRITERS)
        .order_by()
        .values("case")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    unanswered = (
        Message.objects.filter(case=OuterRef("pk"), created_at__gt=OuterRef("last_staff"))
        .exclude(sender__role__in=STAFF_WRITERS)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = (
        Case.objects.select_related("owner", "coordinator")
        .defer("engine", "wrapped_key")
        .annotate(
            last_move=Subquery(last_move),
            attention=Coalesce(Subquery(attention, output_field=IntegerField()), Value(0)),
            last_staff=Coalesce(Subquery(last_staff), Value(NEVER)),
        )
        .annotate(unanswered=Coalesce(Subquery(unanswered, output_field=IntegerField()), Value(0)))
    )
    if filters.status == "open":
        queryset = queryset.exclude(status__in=workflow.TERMINAL)
    elif filters.status != "all":
        queryset = queryset.filter(status=filters.status)
    if filters.programme:
        queryset = queryset.filter(programme=filters.programme)
    if filters.urgency:
        queryset = queryset.filter(urgency=filters.urgency)
    if filters.scope == "mine":
        queryset = queryset.filter(coordinator=user)
    elif filters.scope == "unassigned":
        queryset = queryset.filter(coordinator__isnull=True)
    cases = list(queryset[:1000])
    rows = []
    for case in cases:
        rows.append(
            QueueRow(
                kind="case",
                pk=case.pk,
                ref=case.pseudonym,
                status=case.status,
                status_label=workflow.LABELS.get(case.status, case.status),
                programme=case.programme,
                programme_label=PROGRAMME_LABELS.get(case.programme, case.programme),
                urgency=case.urgency,
                urgency_label=Urgency(case.urgency).label,
                owner=case.owner.display_name,
                coordinator=case.coordinator.display_name if case.coordinator else "",
                waiting_since=case.last_move or case.created_at,
                created_at=case.created_at,
                red_flag=case.status == workflow.PAUSED_SAFETY,
                amber_flag=case.safety_review,
                attention=case.attention,
                unanswered=case.unanswered,
            )
        )
    return rows


# Who answers the patient's side (their messages count as answered after one).
STAFF_WRITERS = (Role.COORDINATOR, Role.ADMIN)
NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _enquiry_rows(filters: QueueFilters) -> list[QueueRow]:
    if filters.kind == "cases" or filters.urgency or filters.scope == "mine":
        return []  # enquiries have no urgency and no coordinator yet
    queryset = Enquiry.objects.filter(case__isnull=True)
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_ENQUIRY)
    elif filters.status.startswith("enquiry:"):
        queryset = queryset.filter(status=filters.status.split(":", 1)[1])
    elif filters.status != "all":
        return []
    if filters.programme:
        queryset = queryset.filter(programme=filters.programme)
    return [
        QueueRow(
            kind="enquiry",
            pk=enquiry.pk,
            ref=f"Enquiry {enquiry.pk}",
            status=enquiry.status,
            status_label=Enquiry.Status(enquiry.status).label,
            programme=enquiry.programme,
            programme_label=PROGRAMME_LABELS.get(enquiry.programme, enquiry.programme),
            urgency="",
            urgency_label="",
            owner=enquiry.full_name,
            coordinator="",
            waiting_since=enquiry.created_at,
            created_at=enquiry.created_at,
            red_flag=enquiry.red_flag_state == Enquiry.RedFlag.FLAGGED,
            amber_flag=any(f.get("level") == "amber" for f in enquiry.safety_flags or []),
        )
        for enquiry in queryset[:1000]
    ]


def queue(filters: QueueFilters, user: User) -> list[QueueRow]:
    """The work queue under `filters`, sorted; safety first within each sort (red,
    then amber)."""
    rows = _case_rows(filters, user) + _enquiry_rows(filters)
    keys = {
        "waiting": lambda r: (r.waiting_since,),
        "urgency": lambda r: (URGENCY_RANK.get(r.urgency, 3), r.waiting_since),
        "status": lambda r: (r.kind != "enquiry", STATUS_RANK.get(r.status, -1), r.waiting_since),
        "programme": lambda r: (r.programme, r.waiting_since),
        "newest": lambda r: (-r.created_at.timestamp(),),
    }
    key = keys[filters.sort]
    return sorted(rows, key=lambda r: (not r.red_flag, not r.amber_flag, *key(r)))


def coordinators() -> list[User]:
    return list(User.objects.filter(role__in=[Role.COORDINATOR, Role.ADMIN], is_active=True))


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


# -- who may see the case, and the consents ---------------------------------------------

PERMISSION_WORDS = (
    ("can_view", _("records")),
    ("can_upload", _("uploads")),
    ("can_message", _("messages")),
    ("can_approve", _("approves the pack")),
)
RELATIONSHIP_WORDS: dict[str, Any] = {
    CaseMember.Relationship.FAMILY: _("family"),
    CaseMember.Relationship.CAREGIVER: _("caregiver"),
}
CONSENT_WORDS = {
    Consent.Kind.PROCESSING_ART9: _("Processing consent"),
    Consent.Kind.TRANSFER_ABROAD: _("Transfer abroad"),
}


@dataclass
class MemberLine:
    name: str
    relationship: Any
    permissions: str
    accepted_at: dt.datetime | None
    invited_at: dt.datetime
    revoked_at: dt.datetime | None
    has_account: bool


@dataclass
class ConsentLine:
    kind: str
    label: Any
    given: Any  # the Consent in force, or None
    withdrawn: Any  # the latest withdrawn one when none is in force


def people_section(case: Case) -> dict[str, Any]:
    """The overview's "Family and consents": each invited person with what they
    may do and when they accepted; each consent given (when, by whom) or not.
    Three queries, however many people and consents."""
    members = list(case.members.select_related("user").order_by("created_at", "pk"))
    accepted = dict(
        AuditEvent.objects.filter(
            case=case, action="member.invitation_accepted", object_type="casemember"
        )
        .order_by("at")
        .values_list("object_id", "at")
    )
    lines = [
        MemberLine(
            name=m.user.display_name,
            relationship=RELATIONSHIP_WORDS.get(m.relationship, m.relationship),
            permissions=", ".join(str(word) for attr, word in PERMISSION_WORDS if getattr(m, attr)),
            accepted_at=accepted.get(str(m.pk)),
            invited_at=m.created_at,
            revoked_at=m.revoked_at,
            has_account=m.user.has_usable_password(),
        )
        for m in members
    ]
    consents = list(case.consents.select_related("given_by", "withdrawn_by"))
    shown = []
    for kind, label in CONSENT_WORDS.items():
        of_kind = [c for c in consents if c.kind == kind]
        given = next((c for c in reversed(of_kind) if c.withdrawn_at is None), None)
        withdrawn = None if given else next(reversed(of_kind), None)
        shown.append(ConsentLine(kind=kind, label=label, given=given, withdrawn=withdrawn))
    return {"members": lines, "consents": shown}


# -- the documents of a case page ------------------------------------------------------


@dataclass
class DocumentRow:
    document: Document
    engine_docs: list[Any]
    flag: TypeFlag | None = None

    @property
    def needs_person(self) -> bool:
        return self.flag is not None or self.document.state in ATTENTION_STATES


class DocumentPage:
    """A page of a case's documents: which ones and in what order, known from
    ids and states alone; the rows themselves are loaded only when asked for
    (a page rendered earlier, under the same key, is not rendered again)."""

    def __init__(
        self,
        case: Case,
        engine_docs: dict[str, Any],
        page: Page[int],
        states: dict[int, str],
        flags: dict[int, TypeFlag],
        attention: int,
    ) -> None:
        self.page = page  # the page of document ids (numbers, links)
        self.attention = attention  # documents that need a person, on every page
        self._case = case
        self._engine_docs = engine_docs
        self._flags = flags
        shown = list(page.object_list)
        # Names what the page shows: its documents and their states (a state
        # changes with what the worker read: type, reasons, engine ids) and
        # the patient's flags. The type overrides and the engine's reading of
        # each document move the case's version and engine token, also keys.
        self.key = hashlib.sha256(
            repr(
                (
                    page.number,
                    page.paginator.count,
                    attention,
                    [(pk, states.get(pk)) for pk in shown],
                    sorted((pk, repr(flags[pk])) for pk in shown if pk in flags),
                )
            ).encode()
        ).hexdigest()[:24]

    @functools.cached_property
    def rows(self) -> list[DocumentRow]:
        shown = list(self.page.object_list)
        loaded = self._case.documents.in_bulk(shown)
        return [
            DocumentRow(
                document=doc,
                engine_docs=[
                    self._engine_docs[i] for i in doc.engine_doc_ids if i in self._engine_docs
                ],
                flag=self._flags.get(doc.pk),
            )
            for doc in (loaded.get(pk) for pk in shown)
            if doc is not None
        ]


def document_page(
    case: Case, engine_docs: dict[str, Any], number: Any, per_page: int
) -> DocumentPage:
    """A page of the case's documents for the console: those that need a person
    first (unreadable, failed, or flagged by the patient as the wrong type),
    then the newest first. Two queries, whatever the number of documents (a
    third when the rows are rendered): the order is worked out on ids and
    states, only the page's rows are loaded."""
    flags = open_type_flags(case)
    light = list(case.documents.order_by("-created_at", "-pk").values_list("pk", "state"))
    needs = {pk for pk, state in light if pk in flags or state in ATTENTION_STATES}
    # sorted() keeps the newest-first order within each group.
    ordered = sorted((pk for pk, _ in light), key=lambda pk: pk not in needs)
    page = Paginator(ordered, per_page).get_page(number)
    return DocumentPage(case, engine_docs, page, dict(light), flags, len(needs))


def matching_section(case: Case, sent: forms.Form | None = None) -> dict[str, Any] | None:
    """What the case page's matching section shows; None before the records
    are ready (a ranking on half the records would mislead). After a refused
    choice, `sent` (the bound form) keeps what the coordinator picked and wrote."""
    if case.status not in matching.CHOOSABLE:
        return None
    data = matching.ranking(case)
    choice = matching.active_choice(case)
    # the form starts from the choice made, else from what the facts propose
    picked = set(choice.disciplines) if choice else {d["key"] for d in data["disciplines"]}
    selected, note = (choice.direction_id if choice else ""), (choice.note if choice else "")
    if sent is not None:
        picked = set(sent["disciplines"].value() or [])
        selected, note = sent["direction"].value() or "", sent["note"].value() or ""
    zh = page_lang() == "zh"
    names = {d["key"]: (d.get("zh") if zh else "") or d["en"] for d in data["all_disciplines"]}
    return {
        "ranking": data,
        "choice": choice,
        "choice_disciplines": [names.get(k, k) for k in choice.disciplines] if choice else [],
        "selected": selected,
        "note": note,
        "disciplines": [{**d, "proposed": d["key"] in picked} for d in data["all_disciplines"]],
    }


OPINION_LABELS: dict[str, Any] = {
    "summary": _("Summary"),
    "diagnosis_note": _("Diagnosis: why"),
    "staging": _("Staging"),
    "direction": _("Recommended direction"),
    "further_tests": _("Further tests"),
    "trials": _("Trials or advanced therapies"),
    "questions_back": _("Questions for the patient's team"),
    "disagreements": _("Where the team did not agree"),
}


def marked(text: str, hits: list[Any]) -> SafeString:
    """`text` escaped, each promise-like phrase in a <mark> with its reason."""
    out, at = [], 0
    for hit in hits:
        out.append(escape(text[at : hit.start]))
        why = hit.why_zh if page_lang() == "zh" else hit.why_en
        out.append(format_html('<mark title="{}">{}</mark>', why, text[hit.start : hit.end]))
        at = hit.end
    out.append(escape(text[at:]))
    return mark_safe("".join(str(part) for part in out))  # noqa: S308  # nosec B308 B703 - each part escaped above


def opinion_section(case: Case) -> dict[str, Any] | None:
    """The case page's opinion section: every signed version with its promise-like
    phrases highlighted for the coordinator to check before release. Nothing
    (and no query) before the case is with a team."""
    if case.status not in (*reviews.REVIEWABLE, workflow.POST_REVIEW):
        return None
    signed = opinions.signed_opinions(case)
    assignment = reviews.current_assignment(case)
    written = opinions.discipline_opinions(assignment) if assignment else []
    if not signed and not written:
        return None
    versions = []
    for opinion in signed:
        hits = opinions.highlights(opinion)
        parts = [
            (OPINION_LABELS[name], marked(getattr(opinion, name), hits.get(name, [])))
            for name in opinions.TEAM_FIELDS
            if getattr(opinion, name)
        ]
        versions.append(
            {"opinion": opinion, "parts": parts, "highlights": sum(map(len, hits.values()))}
        )
    return {
        "versions": versions,
        "disciplines": [o for o in written if o.submitted_at is not None],
    }


def review_section(case: Case) -> dict[str, Any] | None:
    """The case page's review section: once a pack is sent to the department."""
    if case.status not in reviews.REVIEWABLE:
        return None
    choice = matching.active_choice(case)
    if choice is None:
        return None
    directory = load_directions()
    direction = directory.get(choice.direction_id)
    disciplines = [str(d) for d in choice.disciplines] or list(direction.mdt if direction else [])
    zh = page_lang() == "zh"
    names = {
        k: ((d.zh if zh else "") or d.en) if (d := directory.disciplines.get(k)) else k
        for k in disciplines
    }
    assignment = reviews.current_assignment(case)
    return {
        "assignment": assignment,
        "seats": list(assignment.seats.select_related("reviewer")) if assignment else [],
        "candidates": [
            {
                "profile": p,
                "disciplines": [(k, names[k]) for k in disciplines if k in p.disciplines],
            }
            for p in reviews.reviewers_of(choice.direction_id)
        ],
        "disciplines": names,
        "department": matching.recipient_name(choice.names, page_lang()),
        "default_due": timezone.localdate()
        + dt.timedelta(
            days=(
                direction.typical_review_days if direction and direction.typical_review_days else 14
            )
        ),
        "sent": bool(packs.sent_packs(case)),
    }


def pack_section(case: Case) -> dict[str, Any] | None:
    """The case page's pack section: from the choice of a department on."""
    if case.status not in packs.PACKABLE:
        return None
    current = packs.current_pack(case)
    recipient = matching.consent_recipient(case, page_lang())
    return {
        "current": current,
        "files": list(current.files.all()) if current else [],
        "sent": packs.sent_packs(case),
        "stalled": current is not None and packs.stalled(current),
        "recipient": recipient,
        "consented": recipient is not None and can_share_abroad(case, recipient["id"]),
    }
