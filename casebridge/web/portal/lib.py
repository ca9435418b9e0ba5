"""Reads for the portal's pages: what a case's engine JSON and rows say, shaped
for templates. No state changes, no audit rows (the gate and actions write them)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from casebridge.engine.case import NOT_STATED, Fact, Source
from casebridge.engine.case import Case as EngineCase
from casebridge.engine.case import Document as EngineDocument
from casebridge.engine.kb import fact_kinds
from casebridge.engine.render.fhir import to_ips_bundle
from casebridge.engine.render.html import render_html
from casebridge.engine.render.pdf import render_pdf
from casebridge.engine.render.requests import render_requests
from casebridge.engine.render.summary import Wording, document_event
from casebridge.engine.terminology import Span, match_template
from casebridge.engine.terminology import label as term_label
from casebridge.engine.terminology import table as terminology_table
from casebridge.engine.timeline import TREATMENT_EVENTS
from casebridge.web.accounts.models import User
from casebridge.web.cases import matching, reviews, workflow
from casebridge.web.cases.lib import EngineView, doc_type_label, engine_case
from casebridge.web.cases.models import (
    AuditEvent,
    Case,
    CaseMember,
    Document,
    RecordRequest,
)
from casebridge.web.cases.withdrawal import is_held_reason
from casebridge.web.portal.facts import group_fact_rows

STATUS_TEXT: dict[str, Any] = {
    workflow.ENQUIRY: _("We have your enquiry and will look at it soon."),
    "triage": _("A coordinator is checking whether we can help."),
    "collecting_records": _("We are collecting your records. Add any you have."),
    "ready_for_review": _("Your records are ready; we are finding the right team."),
    "matched": _(
        "Your coordinator has chosen a department in China to ask for a review of your case."
    ),
    "under_review": _("The reviewing team is looking at your case."),
    "opinion_ready": _("The opinion is ready. Your coordinator will go through it with you."),
    "post_review": _("Follow-up after the opinion."),
    "closed": _("This case is closed."),
    workflow.PAUSED_SAFETY: _(
        "Paused for your safety: a coordinator will contact you. "
        "In an emergency call 999 or NHS 111."
    ),
    workflow.WITHDRAWN: _("You withdrew this case."),
}

# The statuses whose wording speaks to the patient, as someone else (a relative)
# reads them: "%(name)s" is the patient's first name.
RELATIVE_STATUS_TEXT: dict[str, Any] = {
    "collecting_records": _("We are collecting %(name)s's records."),
    "ready_for_review": _("%(name)s's records are ready; we are finding the right team."),
    "matched": _(
        "The coordinator has chosen a department in China to ask for a review of %(name)s's case."
    ),
    "under_review": _("The reviewing team is looking at %(name)s's case."),
    "opinion_ready": _("The opinion is ready. The coordinator will go through it with %(name)s."),
    workflow.PAUSED_SAFETY: _(
        "Paused for %(name)s's safety: a coordinator will contact them. "
        "In an emergency call 999 or NHS 111."
    ),
    workflow.WITHDRAWN: _("%(name)s withdrew this case."),
}

STATE_TEXT: dict[str, Any] = {
    Document.State.QUEUED: _("Waiting to be read"),
    Document.State.PROCESSING: _("Being read"),
    Document.State.PROCESSED: _("Read"),
    Document.State.NEEDS_ATTENTION: _("Needs a person to look at it"),
    Document.State.FAILED: _("Needs a person to look at it"),
    Document.State.HELD: _("Kept safely, not read"),
}
PENDING_STATES = {Document.State.QUEUED, Document.State.PROCESSING}
ATTENTION_STATES = {Document.State.NEEDS_ATTENTION, Document.State.FAILED}

CONTEXT_TEXT: dict[str, Any] = {
    "negated": _("not present"),
    "possible": _("possible"),
    "historical": _("in the past"),
    "family": _("family history"),
}

# what "(possible)" beside a fact means, in plain words
POSSIBLE_MEANS = _("the record says this may be so; it is not confirmed")

# facts about a relative, not the patient: listed apart, never among the patient's own
FAMILY_KINDS = frozenset({"family_history"})


def is_family(kind: str, context: str) -> bool:
    return context == "family" or kind in FAMILY_KINDS


def only_dates_a_document(fact: Fact) -> bool:
    """A "dated event" that only says when a letter or report was written: noise on
    the patient's pages (the summary's timeline leaves these out too)."""
    return fact.kind == "event_date" and fact.attributes.get("event") in ("letter", "report")


# who someone is, on the patient's record of who opened their case
ROLE_TEXT: dict[str, Any] = {
    "patient": _("Patient"),
    "family": _("Family member or caregiver"),
    "coordinator": _("Coordinator"),
    "reviewer": _("Clinical reviewer"),
    "admin": _("Administrator"),
}

AUDIT_TEXT: dict[str, Any] = {
    "case.read": _("opened the case"),
    "case.created": _("opened this case"),
    "case.status_changed": _("changed the status"),
    "case.assigned": _("assigned a coordinator"),
    "case.downloaded": _("downloaded"),
    "case.exported": _("downloaded a copy of everything"),
    "case.processing_stopped": _("stopped reading the records (consent withdrawn)"),
    "case.processing_resumed": _("went on reading the records (consent given again)"),
    "document.held": _("kept a document unread (consent withdrawn)"),
    "document.uploaded": _("added a document"),
    "document.read": _("opened a document"),
    "document.type_flagged": _("said a document has the wrong type"),
    "fact.corrected": _("corrected a fact"),
    "fact.restored": _("restored what the record says of a fact"),
    "fact.wrong_mark_undone": _("restored a fact that had been marked as wrong"),
    "consent.given": _("gave consent"),
    "consent.withdrawn": _("withdrew consent"),
    "member.invited": _("invited someone"),
    "message.sent": _("sent a message"),
    "records.requested": _("asked for a record"),
    "records.request_closed": _("closed a request for a record"),
    "pack.requested": _("asked for a version of what is sent to be prepared"),
    "pack.approved": _("approved what is sent"),
    "pack.sent": _("sent your case to the department"),
    "pack.file_read": _("opened a file of what is sent"),
    "review.assigned": _("opened your case to the department's reviewers"),
    "review.revoked": _("ended the reviewers' access to your case"),
    "case.direction_chosen": _("chose a department to review your case"),
    "document.processed": _("finished reading a document"),
    "opinion.discipline_saved": _("wrote part of the review"),
    "opinion.discipline_submitted": _("submitted their part of the review"),
    "opinion.draft_saved": _("wrote a draft of the team's opinion"),
    "opinion.signed": _("signed the team's opinion"),
    "opinion.released": _("shared the team's opinion with you"),
    "images.opened": _("looked at your scans"),
    "pack.superseded": _("replaced a version of what is sent"),
    "pack.failed": _("could not prepare what is sent"),
    "pack.built": _("prepared a version of what is sent"),
    "pack.name_choice": _("chose whether your name goes with what is sent"),
    "case.paused_for_safety": _("paused the case to check on your safety"),
    "case.safety_flag": _("noted a possible urgent symptom"),
    "case.safety_reviewed": _("checked a possible urgent symptom"),
    "document.failed": _("could not read a document"),
    "document.requeued": _("put a document back in line to be read"),
    "document.retry": _("tried again to read a document"),
    "document.type_overridden": _("changed a document's type"),
    "enquiry.read": _("opened your enquiry"),
    "enquiry.red_flag_cleared": _("checked the urgent symptoms in your enquiry"),
    "member.invitation_opened": _("opened an invitation"),
    "member.invitation_link_refused": _("opened an invitation link that no longer works"),
    "member.invitation_accepted": _("accepted an invitation"),
    "member.invitation_resent": _("sent a new invitation link"),
    "member.invite_refused": _("could not invite someone"),
    "member.invite_mail_limited": _("held back an invitation e-mail (too many in a short time)"),
    "member.revoked": _("removed someone's access"),
    "member.permissions_changed": _("changed what someone may do"),
    "note.added": _("added a note for the team"),
    "opinion.draft_discarded": _("set aside a draft of the team's opinion"),
    "question.added": _("added a question"),
    "question.edited": _("changed a question"),
    "question.moved": _("moved a question"),
    "question.removed": _("removed a question"),
}

# who did something without an account of their own to name
LABEL_TEXT: dict[str, Any] = {"anonymous": _("Someone not signed in")}

# how the patient knows the people they invited
RELATIONSHIP_TEXT: dict[str, Any] = {
    CaseMember.Relationship.FAMILY: _("Family member"),
    CaseMember.Relationship.CAREGIVER: _("Caregiver"),
}

# what a consent is for, in the patient's language
CONSENT_KIND_TEXT: dict[str, Any] = {
    "processing_art9": _("Processing of your health data"),
    "transfer_abroad": _("Sending your case to a reviewing team abroad"),
}


def first_name(user: User) -> str:
    """How a patient is named to others (an invitation, a relative's pages): the
    first word of the account's name (an enquiry's name is the account's: cases
    migration 0026 and do_link_enquiry); their e-mail address when there is no
    name at all."""
    first = (user.full_name or "").split()
    return first[0] if first else user.display_name


def patient_name(case: Case) -> str:
    """The patient's first name, as their relatives' pages name them ("Alice's
    records"): a name only, never anything about the case (first_name)."""
    return first_name(case.owner)


def status_text(case: Case, patient: str = "") -> Any:
    """Where the case stands, in the patient's words, or naming the patient
    (`patient`, their first name) for someone else who reads it."""
    if patient and case.status in RELATIVE_STATUS_TEXT:
        return str(RELATIVE_STATUS_TEXT[case.status]) % {"name": patient}
    return STATUS_TEXT.get(case.status, case.get_status_display())


def kind_label(kind: str) -> str:
    return str(fact_kinds().get(kind, {}).get("label", kind.replace("_", " ")))


@dataclass
class FactRow:
    id: str
    kind: str
    label: str
    value: str
    context: str
    context_text: Any
    source: Source | None
    corrected: bool


def fact_rows(engine: EngineCase) -> list[FactRow]:
    """Facts stated by the records (or added by a person), in the engine's order."""
    rows: list[FactRow] = []
    for fact in engine.facts:
        if fact.value == NOT_STATED or only_dates_a_document(fact):
            continue
        rows.append(
            FactRow(
                id=fact.id,
                kind=fact.kind,
                label=kind_label(fact.kind),
                value=fact.display or fact.value,
                context=fact.context,
                context_text=CONTEXT_TEXT.get(fact.context, ""),
                source=fact.source,
                corrected=fact.corrected_by is not None,
            )
        )
    return rows


def cached_fact_rows(view: EngineView) -> list[FactRow]:
    """fact_rows of a read-only EngineView, computed once per version of the case."""
    return view.derived("portal.fact_rows", fact_rows)


# -- the facts, grouped, with their links built once -----------------------------------

FACTS_PER_PAGE = 100  # groups per page of the full list of facts
LATEST_DOCUMENTS = 5  # the overview lists the latest few records


@dataclass(frozen=True)
class SourceLink:
    url: str
    file_name: str
    page: int


@dataclass
class DisagreeingValue:
    spans: list[Span]  # the value in the page's language (untranslated English marked)
    sources: list[SourceLink]


@dataclass
class Disagreement:
    """The engine's conflict (engine.conflicts) between the records on one fact kind:
    each value with the places that say it."""

    kind: str
    label: str
    values: list[DisagreeingValue]


@dataclass
class FactLine:
    """One row of the facts table: a kind's value with every place it was read."""

    kind: str
    label: str
    value: str
    context_text: Any
    corrected: bool
    by_person: bool
    first_of_kind: bool
    sources: list[SourceLink]
    spans: list[Span] = field(default_factory=list)  # the value in the page's language
    context: str = "asserted"
    family: bool = False  # about a relative: listed apart ("In your family")
    disagreement: Disagreement | None = None  # the records disagree on this value

    @property
    def count(self) -> int:
        return len(self.sources)

    @property
    def first(self) -> SourceLink | None:
        return self.sources[0] if self.sources else None


def fact_lines(view: EngineView, pseudonym: str, lang: str) -> list[FactLine]:
    """The facts grouped by kind and value (facts.group_fact_rows), each
    source's link built from one reverse() per case rather than one per row;
    computed once per reading of the case and language. In Chinese each value
    reads as the summary reads it (the engine's Wording, its terminology table),
    English it does not cover marked. The patient's own facts come first, their
    family's after them (`family`); a value the records disagree on carries the
    engine's conflict (`disagreement`)."""

    def compute(engine: EngineCase) -> list[FactLine]:
        marker = "0FACT0"
        pattern = reverse("portal:fact_source", args=[pseudonym, marker])
        head, _sep, tail = pattern.partition(marker)

        def link(fact_id: str, source: Source) -> SourceLink:
            return SourceLink(f"{head}{fact_id}{tail}", source.file_name, source.page)

        words = Wording(engine, "zh" if lang == "zh" else "en")
        facts = {f.id: f for f in engine.facts}
        conflicts = disagreements(engine, words, link)
        own: list[FactLine] = []
        family: list[FactLine] = []
        quotes: list[str] = []
        for group in group_fact_rows(cached_fact_rows(view)):
            of_group = [facts[i] for i in group.ids if i in facts]
            if of_group and all(words.not_a_finding(f) for f in of_group):
                continue  # a condition's value or an option: listed under its condition
            fact = next((facts[i] for i in group.ids if i in facts), None)
            spans = [Span(group.value)]
            context = fact.context if fact is not None else "asserted"
            context_text = group.context_text
            if fact is not None and fact.kind == "patient_statement":
                quoted = patient_words(fact, lang)
                said = quoted[-1].text.strip("\u201c\u201d…") if quoted else ""
                if not said or any(_same_passage(said, q) for q in quotes):
                    continue  # a fragment of the note with no kind, or a passage already shown
                quotes.append(said)
                spans = quoted
                # what the patient asks ("If HER2 is negative: …") is not a possible finding
                if context == "possible":
                    context, context_text = "asserted", ""
            elif fact is not None and fact.kind == "event_date":
                spans = [Span(dated_event_words(fact, lang))]
            elif lang == "zh" and fact is not None and group.kind != "cancer_type":
                spans = words.value(fact)
            disagreement = next((d for ids, d in conflicts if ids.intersection(group.ids)), None)
            line = FactLine(
                kind=group.kind,
                label=group.label,
                value=group.value,
                context_text=context_text,
                corrected=group.corrected,
                by_person=group.by_person,
                first_of_kind=group.first_of_kind,
                sources=[link(row.id, row.source) for row in group.rows],
                spans=spans,
                context=context,
                family=is_family(group.kind, fact.context if fact is not None else ""),
                disagreement=disagreement,
            )
            (family if line.family else own).append(line)
        return _first_of_kind([*own, *_option_lines(words, link), *family])

    return view.derived(f"portal.fact_lines.{pseudonym}.{lang}", compute)


def _same_passage(a: str, b: str) -> bool:
    """Two quotations of one passage of the note (each fact quotes its sentence, the
    longer ones cut with "…"): the shorter one's opening words are in the other."""
    short, long_ = sorted((a, b), key=len)
    return short[:40] in long_


def patient_words(fact: Fact, lang: str) -> list[Span]:
    """A passage of the patient's own note, quoted as written after "the patient writes:"
    ("患者写道：“…”"; Latin-script words marked untranslated on a Chinese page); none for
    a fragment with no kind of its own (the note's date, a value without its sentence)."""
    quote = " ".join(str(fact.attributes.get("quote", "")).split())
    about = str(fact.attributes.get("about", ""))
    if not quote or not about or about == "event_date":
        return []
    code = "zh" if lang == "zh" else "en"
    head = term_label("heading.patient_writes_quote", code)
    latin = code == "zh" and bool(re.search(r"[A-Za-z]", quote))
    return [Span(head), Span(f"\u201c{quote}\u201d", untranslated=latin)]


def _option_lines(words: Wording, link: Any) -> list[FactLine]:
    """The options a record discusses under a condition, as the summary names them
    ("if HER2 amplified: trastuzumab, pertuzumab"): never a finding or a treatment."""
    heading = words.options_heading()
    lines = []
    for spans, option in words.options():
        places: dict[tuple[str, int], SourceLink] = {}
        for f in option:
            if f.source is not None:
                places.setdefault((f.source.document_id, f.source.page), link(f.id, f.source))
        lines.append(
            FactLine(
                kind="options",
                label=heading,
                value="".join(s.text for s in spans),
                context_text="",
                corrected=False,
                by_person=False,
                first_of_kind=False,
                sources=list(places.values()),
                spans=spans,
            )
        )
    return lines


def dated_event_words(fact: Fact, lang: str) -> str:
    """A dated event as the timeline says it: "MDT meeting: 10 Sep 2026" /
    "MDT 讨论：2026年9月10日" (the event's name from the terminology table)."""
    attrs = fact.attributes
    event = attrs.get("event") or "event"
    code = "zh" if lang == "zh" else "en"
    what = term_label(f"event.{event}", code)
    if what == f"event.{event}":
        what = event.replace("_", " ")
    what = what[:1].upper() + what[1:] if code == "en" else what
    if attrs.get("status") == "planned" and event not in ("letter", "report"):
        # still to come, as the timeline marks it: "booked" (or "planned", a treatment)
        mark = "planned" if event in TREATMENT_EVENTS else "booked"
        marked = term_label(f"event.{mark}", code)
        what = f"{what}（{marked}）" if code == "zh" else f"{what} ({marked})"
    iso = attrs.get("date") or fact.value
    when = date_words(iso, attrs.get("precision") or "day", code)
    return f"{what}：{when}" if code == "zh" else f"{what}: {when}"


def _first_of_kind(lines: list[FactLine]) -> list[FactLine]:
    """The lines with `first_of_kind` set on the first of each run of one kind (the
    patient's own and their family's are separate runs)."""
    return [
        FactLine(
            **{
                **line.__dict__,
                "first_of_kind": before is None
                or (before.kind, before.family) != (line.kind, line.family),
            }
        )
        for before, line in zip([None, *lines], lines, strict=False)
    ]


def disagreements(
    engine: EngineCase, words: Wording, link: Any
) -> list[tuple[set[str], Disagreement]]:
    """The engine's conflicts (engine.conflicts, as the summary shows them), each
    with the ids of its facts: every value, worded as the summary words it, with
    each place (document page) that says it, once."""
    facts = {f.id: f for f in engine.facts}
    found: list[tuple[set[str], Disagreement]] = []
    for conflict in engine.conflicts:
        involved = [facts[i] for i in conflict.fact_ids if i in facts]
        values: list[DisagreeingValue] = []
        for value in conflict.values or sorted({f.value for f in involved}):
            matching = [f for f in involved if f.value == value]
            spans = words.value(matching[0]) if matching else words.text(value)
            places: list[SourceLink] = []
            seen: set[tuple[str, int]] = set()
            for fact in matching:
                if fact.source is None or (fact.source.document_id, fact.source.page) in seen:
                    continue
                seen.add((fact.source.document_id, fact.source.page))
                places.append(link(fact.id, fact.source))
            values.append(DisagreeingValue(spans, places))
        if len(values) > 1:
            label = "".join(s.text for s in words.kind(conflict.kind))
            found.append((set(conflict.fact_ids), Disagreement(conflict.kind, label, values)))
    return found


def fact_page(lines: list[FactLine], number: Any) -> Page:
    """One page of the full list of facts (FACTS_PER_PAGE rows)."""
    return Paginator(lines, FACTS_PER_PAGE).get_page(number)


# -- the overview's records ----------------------------------------------------------------


@dataclass(frozen=True)
class DocumentState:
    state: str


def document_states(case: Case) -> list[DocumentState]:
    """Each record's state (one query, no rows built): for the case's progress."""
    return [DocumentState(s) for s in case.documents.order_by().values_list("state", flat=True)]


def latest_documents(case: Case, limit: int = LATEST_DOCUMENTS) -> list[DocumentRow]:
    """The records added last, newest first (one query)."""
    docs = case.documents.order_by("-created_at", "-pk")[:limit]
    lang = _lang()
    return [document_row(doc, lang) for doc in docs]


# -- what we have asked the patient for -----------------------------------------------------


@dataclass(frozen=True)
class AskedRecord:
    """An open request for a record, as the patient's to-do list shows it."""

    title: str
    detail: str
    asked_at: dt.datetime


def open_record_requests(case: Case) -> list[AskedRecord]:
    """The records a coordinator asked for and has not closed (received or no
    longer needed), oldest first: one query, whatever their number. Read per
    page, never from a fragment cached per engine reading (it would go stale)."""
    # Through the case's related manager, so that every row has its case (and
    # so its key) without a query per row; instances, not values_list(): title
    # and detail are sealed and open only through the model.
    rows = (
        case.record_requests.filter(state=RecordRequest.State.OPEN)
        .select_related(None)
        .only("case_id", "title", "detail", "created_at")
        .order_by("created_at", "pk")
    )
    return [AskedRecord(row.title, row.detail, row.created_at) for row in rows]


def find_fact(engine: EngineCase, fact_id: str) -> Fact | None:
    return next((f for f in engine.facts if f.id == fact_id), None)


@dataclass
class DocumentRow:
    document: Document
    state_text: Any
    pending: bool
    doc_type: str  # the type in the page's language ("Pathology report"), "" before it is read
    flagged: bool
    engine_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(
        default_factory=list
    )  # why it needs a person, in the page's language
    progress: str = ""  # a plain note while it waits or is read

    @property
    def attention(self) -> bool:
        return self.document.state in ATTENTION_STATES


def _lang() -> str:
    from casebridge.web.portal.content import current_lang

    return current_lang()


def reason_text(reason: str, lang: str) -> str:
    """Why a document needs a person, as the engine wrote it, or in Chinese the
    curated wording of the same sentence (knowledge/terminology_zh.yaml
    attention, as the summary shows it); unchanged when the table has none."""
    if lang != "zh":
        return reason
    for term in terminology_table().in_category("attention"):
        values = match_template(term.en, reason)
        if values is not None:
            return term.zh.format(**values) if values else term.zh
    return reason


def progress_note(doc: Document) -> str:
    """What can be said of a record not yet read: waiting, or being read since
    when (and whether this is another try). Nothing is known of its pages until
    it has been read; the list says once, above, that a long scan takes minutes."""
    if doc.state == Document.State.QUEUED:
        return gettext("It will be read soon. You do not need to do anything.")
    if doc.state == Document.State.HELD:
        return gettext(
            "Consent to processing was withdrawn, so this file is kept safely (encrypted) "
            "but not read. It will be read if consent is given again."
        )
    if doc.state != Document.State.PROCESSING:
        return ""
    if doc.attempts > 1:
        return gettext(
            "Reading it again after a problem (try %(n)s of %(most)s). "
            "You do not need to do anything."
        ) % {"n": doc.attempts, "most": settings.DOCUMENT_MAX_ATTEMPTS}
    if doc.started_at is None:
        return ""
    started = formats.time_format(timezone.localtime(doc.started_at))
    return gettext("Started at %(time)s.") % {"time": started}


def document_row(doc: Document, lang: str, flagged: bool = False) -> DocumentRow:
    reasons = [
        reason_text(str(r), lang)
        for r in (doc.reasons or [])
        # the hold's own reason is said, translated, by progress_note
        if not (doc.state == Document.State.HELD and is_held_reason(r))
    ]
    if doc.state in ATTENTION_STATES and not reasons:
        reasons = [gettext("It could not be read.")]
    return DocumentRow(
        document=doc,
        state_text=STATE_TEXT.get(doc.state, doc.state),
        pending=doc.state in PENDING_STATES,
        doc_type=doc_type_label(doc.effective_doc_type or "", lang),
        flagged=flagged,
        engine_ids=list(doc.engine_doc_ids or ([doc.engine_doc_id] if doc.engine_doc_id else [])),
        reasons=reasons,
        progress=progress_note(doc),
    )


def document_rows(case: Case, flagged: set[str]) -> list[DocumentRow]:
    lang = _lang()
    return [document_row(doc, lang, str(doc.pk) in flagged) for doc in case.documents.all()]


@dataclass(frozen=True)
class ListStatus:
    """The records at a glance, for the list's live region: read out when it changes."""

    text: str
    polling: bool  # some record is waiting or being read
    key: str  # names what the list shows: the same key, the same list


def list_status(rows: list[DocumentRow], flagged: set[str]) -> ListStatus:
    total = len(rows)
    pending = sum(1 for r in rows if r.pending)
    attention = sum(1 for r in rows if r.attention)
    done = sum(1 for r in rows if r.document.state == Document.State.PROCESSED)
    parts: list[str] = []
    if total:
        parts.append(
            ngettext(
                "%(done)s of %(total)s record read.", "%(done)s of %(total)s records read.", total
            )
            % {"done": done, "total": total}
        )
    if pending:
        parts.append(
            ngettext("%(n)s is waiting or being read.", "%(n)s are waiting or being read.", pending)
            % {"n": pending}
        )
    if attention:
        parts.append(
            ngettext(
                "%(n)s needs a person to look at it.",
                "%(n)s need a person to look at them.",
                attention,
            )
            % {"n": attention}
        )
    seen = repr(
        (
            [(r.document.pk, r.document.state, r.document.attempts) for r in rows],
            sorted(flagged),
            _lang(),
        )
    )
    key = hashlib.sha256(seen.encode()).hexdigest()[:16]
    sentences = "".join(parts) if _lang() == "zh" else " ".join(parts)  # no space after 。
    return ListStatus(text=sentences, polling=bool(pending), key=key)


def platform_document(case: Case, engine_doc_id: str) -> Document | None:
    """The uploaded file an engine document (or an archive member) came from."""
    for doc in case.documents.all():
        if engine_doc_id == doc.engine_doc_id or engine_doc_id in (doc.engine_doc_ids or []):
            return doc
    return None


@dataclass
class PageView:
    document: EngineDocument
    page_number: int
    page_count: int
    before: str
    marked: str
    after: str


def page_view(
    engine: EngineCase, engine_doc_id: str, page: int, start: int = 0, end: int = 0
) -> PageView | None:
    """One page of a document's text, with characters start..end to highlight."""
    doc = engine.document(engine_doc_id)
    if doc is None or not doc.pages:
        return None
    page = min(max(page, 1), len(doc.pages))
    text = doc.pages[page - 1].text
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end < start:
        start, end = end, start
    return PageView(doc, page, len(doc.pages), text[:start], text[start:end], text[end:])


def engine_documents_of(case: Case, document: Document, engine: EngineCase) -> list[EngineDocument]:
    ids = document.engine_doc_ids or ([document.engine_doc_id] if document.engine_doc_id else [])
    return [d for d in (engine.document(i) for i in ids) if d is not None]


# -- outputs (the engine renders; never re-implemented here) -------------------------


def summary_html(case: Case, lang: str) -> str:
    return render_html(engine_case(case), lang)


def summary_pdf(case: Case, lang: str) -> bytes:
    return render_pdf(engine_case(case), lang)


def fhir_json(case: Case) -> str:
    return json.dumps(to_ips_bundle(engine_case(case)), ensure_ascii=False, indent=2)


@dataclass
class Letter:
    slug: str
    title: str
    text: str


def request_letters(engine: EngineCase) -> list[Letter]:
    """The ready-to-send letters, with the missing record each asks for."""
    titles = {gap.request_letter: gap.title for gap in engine.gaps if gap.request_letter}
    letters = []
    for name, text in sorted(render_requests(engine).items()):
        slug = name.rsplit("/", 1)[-1].removesuffix(".md")
        letters.append(Letter(slug, titles.get(name, slug), text))
    return letters


def cached_request_letters(view: EngineView) -> list[Letter]:
    """request_letters of a read-only EngineView, rendered once per version of the
    case; in Chinese each is named by its missing record's title as the summary
    words it (the letter itself stays English: it goes to a UK hospital or GP)."""
    letters = view.derived("portal.request_letters", request_letters)
    if _lang() != "zh":
        return letters

    def chinese(engine: EngineCase) -> list[Letter]:
        words = Wording(engine, "zh")
        titles = {
            gap.title: "".join(s.text for s in words.gap_title(gap))
            for gap in engine.gaps
            if gap.request_letter
        }
        return [Letter(x.slug, titles.get(x.title, x.title), x.text) for x in letters]

    return view.derived("portal.request_letters.zh", chinese)


def audit_log(case: Case, limit: int = 500) -> list[AuditEvent]:
    """Every row about the case, newest first: who opened, downloaded or changed it."""
    return list(
        AuditEvent.objects.filter(Q(case=case) | Q(case_pseudonym=case.pseudonym))
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )


def audit_text(event: AuditEvent) -> Any:
    return action_text(event.action)


def action_text(action: str) -> Any:
    """What an audit action means, for the patient ("opened the case")."""
    return AUDIT_TEXT.get(action, action.replace(".", " ").replace("_", " "))


# -- the people the patient invited --------------------------------------------------------


@dataclass
class MemberRow:
    """Someone the patient invited, as their family page lists them: what they
    may do, and whether they have accepted (when) or the invitation waits (sent
    when, its link working until when)."""

    pk: int
    email: str
    relationship: Any
    allowed: str  # "can view, add records" in the page's language
    name: str = ""  # their name, when the patient or they gave one
    can_upload: bool = False
    can_message: bool = False
    can_approve: bool = False
    invited_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    @property
    def expired(self) -> bool:
        return (
            self.accepted_at is None
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )


def family_members(case: Case) -> list[MemberRow]:
    """The case's family and caregivers whose access stands, oldest first, with
    what each may do in the page's language and where their invitation stands:
    accepted when they chose their password or, with an account of their own,
    first opened the case after being invited. Two queries."""
    members = list(
        case.members.select_related("user")
        .filter(revoked_at__isnull=True)
        .order_by("created_at", "pk")
    )
    invited: dict[str, dt.datetime] = {}
    accepted: dict[str, dt.datetime] = {}
    first_read: dict[int, list[dt.datetime]] = {}
    if members:
        events = AuditEvent.objects.filter(case=case).filter(
            Q(
                action__in=[
                    "member.invited",
                    "member.invitation_resent",
                    "member.invitation_accepted",
                ]
            )
            | Q(action="case.read", actor_id__in=[m.user_id for m in members])
        )
        for action, object_id, actor_id, at in events.order_by("at", "pk").values_list(
            "action", "object_id", "actor_id", "at"
        ):
            if action in ("member.invited", "member.invitation_resent"):
                invited[object_id] = at  # the latest link sent counts
            elif action == "member.invitation_accepted":
                accepted.setdefault(object_id, at)
            else:
                first_read.setdefault(actor_id, []).append(at)
    days = dt.timedelta(days=int(settings.INVITE_LINK_DAYS))
    rows = []
    for member in members:
        allowed = [gettext("can view")]
        if member.can_upload:
            allowed.append(gettext("add records"))
        if member.can_message:
            allowed.append(gettext("send messages"))
        if member.can_approve:
            allowed.append(gettext("approve what is sent"))
        sent = invited.get(str(member.pk), member.created_at)
        took = accepted.get(str(member.pk))
        if took is None or took < sent:
            took = next((at for at in first_read.get(member.user_id, []) if at >= sent), None)
        rows.append(
            MemberRow(
                pk=member.pk,
                email=member.user.email,
                relationship=RELATIONSHIP_TEXT.get(member.relationship, member.relationship),
                allowed=pgettext("between the items of a list", ", ").join(allowed),
                name=member.user.full_name,
                can_upload=member.can_upload,
                can_message=member.can_message,
                can_approve=member.can_approve,
                invited_at=sent,
                accepted_at=took,
                expires_at=sent + days,
            )
        )
    return rows


# -- who opened my case ---------------------------------------------------------------
YOU, PERSON, SYSTEM, LABEL, INVITEE = "you", "person", "system", "label", "invitee"
# the patient's own side: their openings are grouped with their family's
OWN_SIDE_ROLES = frozenset({"patient", "family"})

# an invitation's link is opened before anyone signs in: the row names the
# membership, so the line names the person invited, not "someone not signed in"
INVITEE_TEXT: dict[str, Any] = {
    "member.invitation_opened": _("opened the invitation link"),
    "member.invitation_link_refused": _("opened an invitation link that no longer works"),
}

# things done to one thing each time: "added 2 documents", not "added a document 2 times"
# (counted by the distinct things; the same document twice is still "2 times")
COUNTED_TEXT: dict[str, tuple[str, str]] = {
    "document.uploaded": ("added %(n)s document", "added %(n)s documents"),
    "document.processed": ("finished reading %(n)s document", "finished reading %(n)s documents"),
    "document.held": ("kept %(n)s document unread", "kept %(n)s documents unread"),
    "question.added": ("added %(n)s question", "added %(n)s questions"),
}


@dataclass
class ActivityGroup:
    """The rows of one person (or casebridge) doing one thing on one day:
    "You — opened the case 12 times on 7 Dec 2026, last at 14:02"."""

    kind: str  # YOU, PERSON (name, role, department), SYSTEM or LABEL (a gone user)
    name: str
    role: Any
    department: str
    what: Any
    day: dt.date
    times: list[dt.datetime] = field(default_factory=list)  # newest first
    action: str = ""
    objects: set[str] = field(default_factory=set)  # what each row was done to

    @property
    def count(self) -> int:
        return len(self.times)

    @property
    def counted(self) -> str:
        """ "added 2 documents" when each time was done to a different thing of a
        kind COUNTED_TEXT counts; "" otherwise (the line says "N times")."""
        words = COUNTED_TEXT.get(self.action)
        n = len(self.objects)
        if words is None or self.count < 2 or n != self.count:
            return ""
        return ngettext(words[0], words[1], n) % {"n": n}

    @property
    def last(self) -> dt.datetime:
        return self.times[0]


@dataclass
class Activity:
    """The log of who opened the case, for the patient: other people (staff and
    reviewers abroad) first, then the patient and their family, then what
    casebridge did by itself; each as groups, the most recent first."""

    others: list[ActivityGroup]
    own_side: list[ActivityGroup]
    automatic: list[ActivityGroup]

    @property
    def rows(self) -> int:
        return sum(g.count for g in (*self.others, *self.own_side, *self.automatic))


def activity(case: Case, viewer: Any, lang: str) -> Activity:
    """The audit log of `case` grouped for display, per person, per day and per
    thing done; every row of the case counted, none hidden (unlike audit_log,
    no limit: only four small columns a row are read, never the sealed
    details). Three queries whatever the rows: the rows, the people in them
    and the departments of the reviewers among them, and the case's memberships:
    a relative is labelled by their membership ("Family member"), whatever their
    account's role, and an invitation link opened before signing in is put down
    to the person it invited."""
    rows = list(
        AuditEvent.objects.filter(Q(case=case) | Q(case_pseudonym=case.pseudonym))
        .order_by("-at", "-pk")
        .values_list("actor_id", "actor_label", "action", "at", "object_type", "object_id")
    )
    members = {str(m.pk): m for m in case.members.select_related("user")}
    relationships = {m.user_id: m.relationship for m in members.values()}
    actor_ids = {actor_id for actor_id, *_ in rows if actor_id}
    actors = User.objects.in_bulk(actor_ids) if actor_ids else {}
    departments = reviews.departments_of(actor_ids)
    names = matching.recipient_names(lang) if departments else {}
    sections: dict[str, dict[tuple[Any, ...], ActivityGroup]] = {
        "others": {},
        "own_side": {},
        "automatic": {},
    }
    for actor_id, label, action, moment, object_type, object_id in rows:  # newest first
        actor = actors.get(actor_id) if actor_id else None
        invitee = (
            members.get(object_id)
            if actor is None and action in INVITEE_TEXT and object_type == "casemember"
            else None
        )
        who: tuple[Any, ...]
        name, role, what = "", "", action_text(action)
        if actor is not None:
            name = actor.display_name
            relationship = relationships.get(actor.pk) if actor.pk != case.owner_id else None
            role = RELATIONSHIP_TEXT.get(relationship, "") if relationship else ""
            role = role or ROLE_TEXT.get(actor.role, actor.role)
        if actor is not None and actor.pk == viewer.pk:
            kind, section, who = YOU, "own_side", ("user", actor.pk)
        elif actor is not None:
            kind, who = PERSON, ("user", actor.pk)
            own = actor.role in OWN_SIDE_ROLES or actor.pk in relationships
            section = "own_side" if own else "others"
        elif invitee is not None:  # the person invited, before they signed in
            kind, section, who = INVITEE, "own_side", ("invitee", invitee.pk)
            name, what = invitee.user.display_name, INVITEE_TEXT[action]
        elif label == "system":
            kind, section, who = SYSTEM, "automatic", ("system",)
        else:  # a user since removed (their label kept) or someone not signed in
            kind, section, who = LABEL, "others", ("label", label)
        at = timezone.localtime(moment)
        key = (*who, at.date(), action)
        group = sections[section].get(key)
        if group is None:
            group = sections[section][key] = ActivityGroup(
                kind=kind,
                name=name or LABEL_TEXT.get(label, label),
                role=role,
                department=names.get(departments.get(actor_id or 0, ""), ""),
                what=what,
                day=at.date(),
                action=action,
            )
        group.times.append(at)
        group.objects.add(f"{object_type}:{object_id}")
    return Activity(
        others=list(sections["others"].values()),
        own_side=list(sections["own_side"].values()),
        automatic=list(sections["automatic"].values()),
    )


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
