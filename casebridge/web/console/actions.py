"""The console's changes, in the same pattern as cases/actions.py: each do_*
takes the acting user, checks the access rule (Http404 when refused), changes
state inside transaction.atomic() and writes its audit row in that same
transaction. Refusals raise ActionError subclasses with a plain message."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from casebridge.engine.case import DOC_TYPES, Fact
from casebridge.engine.pipeline import refresh
from casebridge.engine.registry import REGISTRY
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases import audit
from casebridge.web.cases.access import require
from casebridge.web.cases.actions import _lock, _save, _text, do_send_message
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError, ConcurrencyError
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import (
    Case,
    Document,
    Enquiry,
    FactCorrection,
    RecordRequest,
    snapshot,
)
from casebridge.web.cases.notify import enquiry_resume_link, send_enquiry_resume_mail
from casebridge.web.cases.packs import supersede_for_change
from casebridge.web.cases.safety import clear_flags

CONSOLE_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


def is_console_user(user: object) -> bool:
    """Coordinators and administrators (active, signed in) use the console."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "role", None) in CONSOLE_ROLES
    )


def _require_console(user: object) -> None:
    if not is_console_user(user):
        raise Http404("No such page")


# -- enquiries --------------------------------------------------------------------


def do_clear_red_flag(
    enquiry: Enquiry,
    *,
    acting_user: User,
    note: str,
    site_url: str = "",
    meta: RequestMeta | None = None,
) -> Enquiry:
    """A coordinator has spoken to the person behind a red-flagged enquiry: the
    flag is cleared, with what was said (the note) in the audit row. After the
    commit the enquirer is e-mailed a link (signed, expiring; no health data) to
    continue the enquiry in any browser. site_url is the site's own address
    (the view passes request.build_absolute_uri("/"))."""
    _require_console(acting_user)
    note = _text(note, "note of what you discussed with the patient")
    with transaction.atomic():
        locked = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
        if locked.red_flag_state != Enquiry.RedFlag.FLAGGED:
            raise ActionError(
                "This enquiry has no red flag to clear (someone may have cleared it)."
            )
        before = snapshot(locked, ["red_flag_state"])
        locked.red_flag_state = Enquiry.RedFlag.CLEARED
        locked.save(update_fields=["red_flag_state", "updated_at"])
        send_link = bool(locked.email) and locked.case_id is None
        audit.record(
            acting_user,
            locked.case,
            "enquiry.red_flag_cleared",
            obj=locked,
            before=before,
            after={
                **snapshot(locked, ["red_flag_state"]),
                "note": note,
                "resume_link_sent": send_link,
            },
            meta=meta,
        )
        if send_link:
            link = enquiry_resume_link(locked, site_url)
            transaction.on_commit(lambda: send_enquiry_resume_mail(locked, link))
    return locked


# -- documents --------------------------------------------------------------------


def do_review_safety(
    case: Case,
    *,
    acting_user: User,
    note: str,
    expected_version: int,
    meta: RequestMeta | None = None,
) -> Case:
    """A coordinator has spoken to the person about the case's amber safety flags
    (call the helpline today): the case leaves the amber list, the flags' categories
    are cleared in the engine's intake (they stay listed), and what was said goes in
    the audit row."""
    require(acting_user, case, "manage")
    note = _text(note, "note of what you discussed with the patient")
    with transaction.atomic():
        locked = _lock(case, expected_version)
        if not locked.safety_review:
            raise ActionError(
                "This case has no amber safety flag to review (someone may have done it)."
            )
        locked.safety_review = False
        locked.engine = clear_flags(locked.engine or {})
        _save(locked, ["safety_review", "engine"])
        audit.record(
            acting_user,
            locked,
            "case.safety_reviewed",
            obj=locked,
            before={"safety_review": True},
            after={"safety_review": False, "note": note},
            meta=meta,
        )
    return locked


def do_override_document_type(
    case: Case,
    document: Document,
    *,
    acting_user: User,
    doc_type: str,
    expected_version: int,
    meta: RequestMeta | None = None,
) -> Document:
    """Say what kind of document this is when the engine got it wrong. The
    document's facts are read again under the new type and the case refreshed;
    an empty doc_type removes the override (the engine's type stands)."""
    require(acting_user, case, "correct")
    if doc_type and doc_type not in DOC_TYPES:
        raise ActionError(f"'{doc_type}' is not a document type casebridge knows.")
    if document.case_id != case.pk:
        raise Http404("No such document")
    attempted = {"document": document.pk, "doc_type": doc_type}
    try:
        with transaction.atomic():
            locked = _lock(case, expected_version)
            doc = Document.objects.select_for_update().get(pk=document.pk, case=locked)
            if not doc.engine_doc_ids:
                raise ActionError(
                    f"'{doc.file_name}' has not been read yet: its type can be set once it is."
                )
            before = snapshot(doc, ["doc_type", "doc_type_override"])
            engine = engine_case(locked)
            wanted = doc_type or doc.doc_type or "other"
            ids = set(doc.engine_doc_ids)
            for engine_doc in engine.documents:
                if engine_doc.id not in ids or engine_doc.doc_type == wanted:
                    continue
                engine_doc.doc_type = wanted
                if engine_doc.duplicate_of is None and engine_doc.pages:
                    # Read the document again as its new type: drop what it gave.
                    engine.facts = [
                        f
                        for f in engine.facts
                        if f.source is None or f.source.document_id != engine_doc.id
                    ]
                    engine.identifiers = [
                        i for i in engine.identifiers if i.source.document_id != engine_doc.id
                    ]
                    REGISTRY["extract"].func(engine, engine_doc)
            refresh(engine)
            locked.engine = engine.to_dict()
            _save(locked, ["engine"])
            doc.doc_type_override = doc_type
            doc.doc_type_override_by = acting_user if doc_type else None
            doc.save(update_fields=["doc_type_override", "doc_type_override_by"])
            audit.record(
                acting_user,
                locked,
                "document.type_overridden",
                obj=doc,
                before=before,
                after=snapshot(doc, ["doc_type", "doc_type_override"]),
                meta=meta,
            )
            supersede_for_change(locked, acting_user, "a document's type was changed", meta)
    except ConcurrencyError as error:
        error.attempted = attempted
        raise
    return doc


# -- facts ------------------------------------------------------------------------


def do_restore_fact(
    case: Case,
    *,
    acting_user: User,
    fact_id: str,
    expected_version: int,
    meta: RequestMeta | None = None,
) -> Case:
    """Undo the corrections of a fact: what the record says stands again. The
    corrections are removed (the audit row keeps what they were: who, when,
    which value, why), the fact's document is read again so its own value and
    context come back, and a fact a person added goes. Other facts' corrections
    stay as they are."""
    return _undo_corrections(
        case,
        acting_user=acting_user,
        fact_id=fact_id,
        expected_version=expected_version,
        meta=meta,
        marked_wrong=False,
    )


def do_restore_marked_wrong_fact(
    case: Case,
    *,
    acting_user: User,
    fact_id: str,
    expected_version: int,
    meta: RequestMeta | None = None,
) -> Case:
    """Undo the mark of a fact marked wrong: it is back among the facts (and in
    the summary), with any other correction of it still applied. The marks are
    removed (the audit row keeps who made them, when and why); a fact not marked
    wrong, or no longer (restored already), is refused and nothing changes."""
    return _undo_corrections(
        case,
        acting_user=acting_user,
        fact_id=fact_id,
        expected_version=expected_version,
        meta=meta,
        marked_wrong=True,
    )


def _undo_corrections(
    case: Case,
    *,
    acting_user: User,
    fact_id: str,
    expected_version: int,
    meta: RequestMeta | None,
    marked_wrong: bool,
) -> Case:
    """Remove a fact's corrections (all of them, or its marks as wrong alone) and
    read its document again; audited as fact.restored or fact.wrong_mark_undone."""
    require(acting_user, case, "correct")
    try:
        with transaction.atomic():
            locked = _lock(case, expected_version)
            undone = FactCorrection.objects.filter(case=locked, fact_id=fact_id)
            if marked_wrong:
                undone = undone.filter(rejected=True)
            corrections = list(undone.select_related("by"))
            if not corrections:
                raise ActionError(
                    "This fact is not marked as wrong (someone may have restored it already): "
                    "nothing was changed."
                    if marked_wrong
                    else "This fact has no correction to undo (someone may have done it)."
                )
            engine = engine_case(locked)
            kept = engine.rejected_facts if marked_wrong else engine.facts
            fact = next((f for f in kept if f.id == fact_id), None)
            if fact is None:
                raise ActionError("That fact is no longer in this case: reload the case.")
            removed = [
                {
                    "by": c.by.display_name,
                    "at": c.at.isoformat(timespec="seconds"),
                    "value": c.value,
                    "context": c.context,
                    "kind": c.kind,
                    "rejected": c.rejected,
                    "reason": c.reason,
                }
                for c in corrections
            ]
            before = {"fact_id": fact.id, "kind": fact.kind, "value": fact.value}
            FactCorrection.objects.filter(pk__in=[c.pk for c in corrections]).delete()
            engine.corrections = [
                c
                for c in engine.corrections
                if c.fact_id != fact_id or (marked_wrong and not c.rejected)
            ]
            source = fact.source.document_id if fact.source is not None else None
            if source is None:  # a fact a person added: it goes (unless only its mark is undone)
                engine.facts = [f for f in engine.facts if f.id != fact_id]
            else:  # its document read again: the record's own value and context
                engine_doc = engine.document(source)
                engine.facts = [
                    f for f in engine.facts if f.source is None or f.source.document_id != source
                ]
                engine.identifiers = [
                    i for i in engine.identifiers if i.source.document_id != source
                ]
                if engine_doc is not None and engine_doc.pages:
                    REGISTRY["extract"].func(engine, engine_doc)
                if marked_wrong and all(f.id != fact_id for f in engine.facts):
                    _put_back(engine.facts, fact)
            refresh(engine)
            locked.engine = engine.to_dict()
            _save(locked, ["engine"])
            audit.record(
                acting_user,
                locked,
                "fact.wrong_mark_undone" if marked_wrong else "fact.restored",
                obj=locked,
                before={**before, "corrections": removed},
                after={"fact_id": fact_id},
                meta=meta,
            )
            why = (
                "a fact marked wrong was restored"
                if marked_wrong
                else "a fact's correction was undone"
            )
            supersede_for_change(locked, acting_user, why, meta)
    except ConcurrencyError as error:
        error.attempted = {"fact_id": fact_id, "restore": True}
        raise
    return locked


def _put_back(facts: list[Fact], fact: Fact) -> None:
    """A fact marked wrong that its document, read again, no longer gives (the
    reader changed since): the kept one, as the record said it, comes back."""
    if fact.original_value is not None:
        fact.value = fact.display = fact.original_value
        fact.original_value = None
    fact.corrected_by = None
    facts.append(fact)


# -- asking the patient for records ------------------------------------------------


def do_request_records(
    case: Case,
    *,
    acting_user: User,
    title: str,
    detail: str = "",
    gap_id: str = "",
    meta: RequestMeta | None = None,
) -> RecordRequest:
    """Ask the patient for a record: a to-do item on their case and a message
    telling them, written together."""
    require(acting_user, case, "process")
    title = _text(title, "title of the request")
    if len(title) > 200:
        raise ActionError("The title of the request is too long (at most 200 characters).")
    detail = (detail or "").strip()
    body = f"Please send us: {title}."
    if detail:
        body += f"\n\n{detail}"
    body += "\n\nYou can upload it on your case page, or ask us if you need help getting it."
    with transaction.atomic():
        message = do_send_message(case, acting_user=acting_user, body=body, meta=meta)
        request = RecordRequest.objects.create(
            case=case,
            title=title,
            detail=_text(detail, "detail") if detail else "",
            gap_id=gap_id[:120],
            requested_by=acting_user,
            message=message,
        )
        audit.record(
            acting_user,
            case,
            "records.requested",
            obj=request,
            after=snapshot(request, ["title", "gap_id", "state", "message"]),
            meta=meta,
        )
    return request


REQUEST_FIELDS = ["state", "closed_at", "closed_by"]
CLOSING_STATES = (RecordRequest.State.DONE, RecordRequest.State.CANCELLED)


def do_close_record_request(
    record_request: RecordRequest,
    *,
    acting_user: User,
    state: str,
    note: str = "",
    meta: RequestMeta | None = None,
) -> RecordRequest:
    """Close a request for records: received (`done`) or no longer needed
    (`cancelled`). It leaves the patient's to-do list, and they are told so
    in a message on the case (in-app only, like the request itself), written
    in the same transaction. A request already closed (two coordinators at
    once: the second) is refused and nothing changes. The note is for staff:
    it stays in the console and the audit row, never in the patient's message.

    No expected_version: closing changes nothing else on the case, and the
    request's own state is the guard (a row lock, and a conditional UPDATE
    that only an open request passes)."""
    case = _case_of(record_request)
    require(acting_user, case, "manage")
    if state not in CLOSING_STATES:
        raise ActionError(
            "A request can be closed as received or as no longer needed, nothing else."
        )
    note = (note or "").strip()
    if note:
        note = _text(note, "note")
    with transaction.atomic():
        try:
            locked = (
                RecordRequest.objects.select_related(None)
                .select_for_update()
                .get(pk=record_request.pk, case=case)
            )
        except RecordRequest.DoesNotExist:
            raise Http404("No such request") from None
        locked.case = case  # the key of its sealed title: no second load of the case
        if not locked.is_open:
            raise ActionError(_already_closed(locked))
        before = snapshot(locked, REQUEST_FIELDS)
        now = timezone.now()
        # The guard on SQLite too (where select_for_update locks nothing): only
        # an open request is updated, so of two closings at once one wins.
        changed = RecordRequest.objects.filter(pk=locked.pk, state=RecordRequest.State.OPEN).update(
            state=state, closed_at=now, closed_by=acting_user
        )
        if changed != 1:
            raise ActionError(_already_closed(RecordRequest.objects.get(pk=locked.pk)))
        locked.state, locked.closed_at, locked.closed_by = state, now, acting_user
        if note:  # sealed, so written by save() (update() refuses it), in the same transaction
            locked.close_note = note
            locked.save(update_fields=["close_note"])
        if state == RecordRequest.State.DONE:
            body = f"We have received: {locked.title}. Thank you."
        else:
            body = f"We no longer need: {locked.title}. You do not need to send it."
        # the title passed the promise check when the request was sent with it
        do_send_message(case, acting_user=acting_user, body=body, meta=meta, composed=True)
        audit.record(
            acting_user,
            case,
            "records.request_closed",
            obj=locked,
            before=before,
            after={**snapshot(locked, REQUEST_FIELDS), "note": note},
            meta=meta,
        )
    return locked


def _case_of(record_request: RecordRequest) -> Case:
    """The request's case: the one the view set (the gate's), else loaded
    without its engine JSON (closing a request never reads it)."""
    if RecordRequest.case.is_cached(record_request):
        return record_request.case
    return Case.objects.defer("engine").get(pk=record_request.case_id)


def _already_closed(record_request: RecordRequest) -> str:
    who = record_request.closed_by.display_name if record_request.closed_by else "someone"
    when = (
        timezone.localtime(record_request.closed_at).strftime("%d %b %Y %H:%M")
        if record_request.closed_at
        else "earlier"
    )
    return (
        f"This request was already closed ('{record_request.get_state_display()}') "
        f"by {who} on {when}: nothing was changed."
    )


__all__ = [
    "CONSOLE_ROLES",
    "do_clear_red_flag",
    "do_close_record_request",
    "do_override_document_type",
    "do_request_records",
    "do_restore_fact",
    "do_restore_marked_wrong_fact",
    "is_console_user",
]
