"""Every change to a case: do_* functions (the Zulip pattern).

Each takes the acting user, checks the same rule as the access gate (Http404
when refused), changes state inside transaction.atomic(), and writes its audit
row (with before/after data) in that same transaction: the change and its
audit row are committed together or not at all. Refusals raise ActionError
subclasses with a plain-language message; nothing is saved then.

Changes two coordinators could make at once (status, assignment, corrections)
take `expected_version`, the Case.version the person saw; if the case changed
since, ConcurrencyError says so and carries the attempted change, so nothing
typed is lost.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from casebridge.engine.case import fact_id as engine_fact_id
from casebridge.engine.kb import fact_kinds
from casebridge.engine.pipeline import new_case, refresh
from casebridge.web.accounts.models import STAFF_ROLES, Role, User
from casebridge.web.cases import audit, matching, questions, safety, storage, withdrawal, workflow
from casebridge.web.cases.access import require
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.erasure import do_erase_case
from casebridge.web.cases.errors import ActionError, ConcurrencyError, DuplicateDocument, NotAllowed
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import (
    PROGRAMME_CHOICES,
    Case,
    CaseMember,
    Consent,
    Document,
    Enquiry,
    FactCorrection,
    InternalNote,
    Message,
    Urgency,
    snapshot,
)
from casebridge.web.cases.packs import supersede_for_change
from casebridge.web.cases.promises import refuse_promises
from casebridge.web.cases.reviews import revoke_for_withdrawal
from casebridge.web.cases.tasks import enqueue_document
from casebridge.web.cases.versions import lock_case, save_case

MAX_TEXT = 20_000


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionError(f"The {what} is empty.")
    if len(value) > MAX_TEXT:
        raise ActionError(f"The {what} is too long ({len(value)} characters; at most {MAX_TEXT}).")
    return value


# the names the actions and the console have always used
_lock, _save = lock_case, save_case


# -- cases ------------------------------------------------------------------------


def do_create_case(
    *,
    acting_user: User,
    owner: User,
    programme: str = "oncology",
    urgency: str = Urgency.ROUTINE,
    intake: dict[str, Any] | None = None,
    enquiry: Enquiry | None = None,
    meta: RequestMeta | None = None,
) -> Case:
    """Open a case for `owner`: the patient for themselves, or staff for a patient."""
    if acting_user.pk != owner.pk and acting_user.role not in {Role.COORDINATOR, Role.ADMIN}:
        raise NotAllowed("Only the patient or a coordinator can open a case.")
    if owner.role in STAFF_ROLES:
        # anyone else may be a patient, whoever invited them to follow another case
        raise ActionError("A case belongs to a patient: this account is not a patient's.")
    if programme not in dict(PROGRAMME_CHOICES):
        raise ActionError(f"Unknown programme '{programme}'.")
    if urgency not in Urgency.values:
        raise ActionError(f"Unknown urgency '{urgency}'.")
    if intake and isinstance(intake.get("questions"), str):
        # the enquiry's questions answer as the case's list, one a line
        intake = {**intake, "questions": questions.split_enquiry_questions(intake["questions"])}
    with transaction.atomic():
        case = Case(owner=owner, programme=programme, urgency=urgency)
        engine = new_case(programme, intake)
        engine.case_id = case.pseudonym  # one identifier for the engine and the platform
        case.engine = engine.to_dict()
        case.wrapped_key = storage.new_wrapped_key(case.pseudonym)
        case.save()
        if intake and intake.get("questions"):
            questions.add_enquiry_questions(case, acting_user, list(intake["questions"]))
        if enquiry is not None:
            enquiry.case = case
            enquiry.status = Enquiry.Status.ACCEPTED
            enquiry.save(update_fields=["case", "status", "updated_at"])
        audit.record(
            acting_user,
            case,
            "case.created",
            obj=case,
            after=snapshot(case, ["pseudonym", "owner", "programme", "status", "urgency"]),
            meta=meta,
        )
    return case


def do_change_status(
    case: Case,
    *,
    acting_user: User,
    status: str,
    expected_version: int,
    reason: str = "",
    meta: RequestMeta | None = None,
) -> Case:
    """Move the case along the workflow. Staff may make any legal move; the
    patient may only withdraw their case. Returns the updated case."""
    need = (
        "consent" if status == workflow.WITHDRAWN and case.owner_id == acting_user.pk else "manage"
    )
    require(acting_user, case, need)
    with transaction.atomic():
        locked = _lock(case, expected_version)
        held = withdrawal.processing_withdrawn_at(locked) is not None
        workflow.check_transition(locked.status, status, paused_from=locked.paused_from, held=held)
        if (
            status == workflow.MATCHED
            and locked.status != workflow.PAUSED_SAFETY
            and not locked.direction_choices.filter(active=True).exists()
        ):
            raise ActionError(
                "A case is matched by choosing a department for it: use the matching section "
                "of the case page."
            )
        if status == workflow.UNDER_REVIEW and locked.status != workflow.PAUSED_SAFETY:
            raise ActionError(
                "A case goes under review when the version of its pack the patient approved is "
                "sent: use the pack section of the case page."
            )
        if status == workflow.OPINION_READY and locked.status != workflow.PAUSED_SAFETY:
            raise ActionError(
                "The opinion is ready when the reviewing team's lead signs it, in their "
                "workspace: it cannot be set by hand."
            )
        before = snapshot(locked, ["status", "paused", "paused_from"])
        retired: list[str] = []
        if status in BEFORE_MATCHING:
            # moved back for more records or checks: the department is chosen
            # again from the ranking of the records as they will then be
            retired = matching.deactivate_choice(locked)
        if status == workflow.PAUSED_SAFETY:
            locked.paused_from, locked.paused = locked.status, True
            locked.paused_reason = reason
        elif locked.status == workflow.PAUSED_SAFETY:
            locked.paused_from, locked.paused, locked.paused_reason = "", False, ""
            # a person has checked the patient is safe: the flags they saw are cleared, so
            # the next document read does not pause the case again on the same words
            locked.engine = safety.clear_flags(locked.engine or {})
            locked.safety_review = False
        locked.status = status
        _save(
            locked, ["status", "paused", "paused_from", "paused_reason", "engine", "safety_review"]
        )
        audit.record(
            acting_user,
            locked,
            "case.status_changed",
            obj=locked,
            before=before,
            after={
                **snapshot(locked, ["status", "paused", "paused_from"]),
                "reason": reason,
                **({"directions_retired": retired} if retired else {}),
            },
            meta=meta,
        )
    return locked


# Statuses before a department is chosen: a case moved back to one of them
# loses its choice.
BEFORE_MATCHING = frozenset(
    {workflow.COLLECTING_RECORDS, workflow.READY_FOR_REVIEW, workflow.TRIAGE, workflow.ENQUIRY}
)


def do_assign(
    case: Case,
    *,
    acting_user: User,
    coordinator: User | None,
    expected_version: int,
    meta: RequestMeta | None = None,
) -> Case:
    """Assign the case to a coordinator (None: unassign)."""
    require(acting_user, case, "manage")
    if coordinator is not None and (
        coordinator.role not in {Role.COORDINATOR, Role.ADMIN} or not coordinator.is_active
    ):
        raise ActionError(f"{coordinator.email} is not an active coordinator.")
    with transaction.atomic():
        locked = _lock(case, expected_version)
        before = snapshot(locked, ["coordinator"])
        locked.coordinator = coordinator
        _save(locked, ["coordinator"])
        audit.record(
            acting_user,
            locked,
            "case.assigned",
            obj=locked,
            before=before,
            after=snapshot(locked, ["coordinator"]),
            meta=meta,
        )
    return locked


# -- documents --------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


def clean_file_name(name: str) -> str:
    """The last part of an uploaded name, without control characters or folders."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "unnamed"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot else name[:200]
    return name


def do_upload_document(
    case: Case,
    *,
    acting_user: User,
    file_name: str,
    data: bytes,
    meta: RequestMeta | None = None,
) -> Document:
    """Store an uploaded file encrypted and queue it for processing (after the
    transaction commits). The same content twice in one case is refused."""
    require(acting_user, case, "upload")
    name = clean_file_name(file_name)
    if not data:
        raise ActionError(f"'{name}' is empty: there is nothing to read.")
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise ActionError(
            f"'{name}' is {len(data) / 1e6:.0f} MB; the limit is "
            f"{settings.MAX_UPLOAD_BYTES / 1e6:.0f} MB. Split it, or send it to your coordinator."
        )
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Document.objects.filter(case=case, sha256=sha256).first()
    if existing is not None:
        raise _duplicate(name, existing)
    document: Document | None = None
    try:
        with transaction.atomic():
            document = Document.objects.create(
                case=case, file_name=name, sha256=sha256, size=len(data), uploaded_by=acting_user
            )
            audit.record(
                acting_user,
                case,
                "document.uploaded",
                obj=document,
                after=snapshot(document, ["file_name", "sha256", "size", "state"]),
                meta=meta,
            )
            document.blob_path = storage.store_document(case, document, data)
            document.save(update_fields=["blob_path"])
            supersede_for_change(case, acting_user, "a record was added", meta)
            doc_id = document.pk
            since = withdrawal.processing_withdrawn_at(case)
            if since is not None:
                # kept, not read, until the patient gives consent to processing again
                withdrawal.hold(document, since)
                audit.record(
                    None, case, "document.held", obj=document, after={"since": since.isoformat()}
                )
            else:
                transaction.on_commit(lambda: enqueue_document(doc_id))
    except IntegrityError:
        existing = Document.objects.filter(case=case, sha256=sha256).first()
        if existing is None:
            raise
        raise _duplicate(name, existing) from None
    except BaseException:
        if document is not None and document.blob_path:
            storage.delete_blob(document)
        raise
    return document


def _duplicate(name: str, existing: Document) -> DuplicateDocument:
    return DuplicateDocument(
        f"'{name}' has the same content as '{existing.file_name}', already uploaded to this "
        f"case on {existing.created_at:%d %B %Y}: it was not added again."
    )


# -- facts ------------------------------------------------------------------------


def do_correct_fact(
    case: Case,
    *,
    acting_user: User,
    reason: str,
    expected_version: int,
    fact_id: str = "",
    value: str | None = None,
    rejected: bool = False,
    kind: str | None = None,
    context: str | None = None,
    meta: RequestMeta | None = None,
) -> FactCorrection:
    """Correct a fact (a new value or context), reject it (rejected=True), or add
    one no document states (kind and value, no fact_id). Kept as an engine
    Correction and re-applied on every refresh."""
    require(acting_user, case, "correct")
    reason = _text(reason, "reason for the correction")
    attempted = {"fact_id": fact_id, "value": value, "rejected": rejected, "kind": kind}
    if kind is not None and kind not in fact_kinds():
        raise ActionError(f"'{kind}' is not a kind of fact casebridge knows.")
    if context is not None and context not in {
        "asserted",
        "negated",
        "possible",
        "historical",
        "family",
    }:
        raise ActionError(f"'{context}' is not a fact context.")
    if not fact_id:
        if kind is None or not value:
            raise ActionError("To add a fact, give its kind and its value.")
        fact_id = engine_fact_id(kind, value, None)
    elif value is None and not rejected and context is None:
        raise ActionError("Give the corrected value or context, or mark the fact as wrong.")
    try:
        with transaction.atomic():
            locked = _lock(case, expected_version)
            engine = engine_case(locked)
            fact = next((f for f in engine.facts if f.id == fact_id), None)
            if fact is None and kind is None:
                raise ActionError("That fact is no longer in this case: reload the case.")
            before = (
                {
                    "fact_id": fact.id,
                    "kind": fact.kind,
                    "value": fact.value,
                    "context": fact.context,
                }
                if fact
                else None
            )
            correction = FactCorrection.objects.create(
                case=locked,
                fact_id=fact_id,
                by=acting_user,
                reason=reason,
                value=value,
                rejected=rejected,
                kind=kind,
                context=context,
            )
            engine.corrections.append(correction.to_engine())
            refresh(engine)
            locked.engine = engine.to_dict()
            _save(locked, ["engine"])
            audit.record(
                acting_user,
                locked,
                "fact.corrected",
                obj=correction,
                before=before,
                after={**attempted, "fact_id": fact_id, "context": context, "reason": reason},
                meta=meta,
            )
            supersede_for_change(locked, acting_user, "a fact was corrected", meta)
    except ConcurrencyError as error:
        error.attempted = attempted
        raise
    return correction


# -- consent ----------------------------------------------------------------------


def do_give_consent(
    case: Case,
    *,
    acting_user: User,
    kind: str,
    text_version: str,
    language: str = "en",
    country: str = "",
    recipients: list[str] | None = None,
    meta: RequestMeta | None = None,
) -> Consent:
    """Record the patient's consent. A transfer abroad names its country and
    recipients; it means nothing without consent to processing (lib.can_share_abroad).
    Consent to processing given again after a withdrawal lifts what the
    withdrawal stopped (withdrawal.py): the held documents are queued to be
    read, staff see the clinical content again; audited as case.processing_resumed."""
    require(acting_user, case, "consent")
    if kind not in Consent.Kind.values:
        raise ActionError(f"'{kind}' is not a kind of consent.")
    if not text_version.strip():
        raise ActionError("Say which version of the consent wording was shown.")
    recipients = [r.strip() for r in (recipients or []) if r and r.strip()]
    if kind == Consent.Kind.TRANSFER_ABROAD and (not country or not recipients):
        raise ActionError("A consent to transfer abroad names the country and the recipients.")
    with transaction.atomic():
        was_withdrawn = (
            kind == Consent.Kind.PROCESSING_ART9
            and withdrawal.processing_withdrawn_at(case) is not None
        )
        consent = Consent.objects.create(
            case=case,
            kind=kind,
            text_version=text_version.strip(),
            language=language,
            country=country.upper(),
            recipients=recipients,
            given_by=acting_user,
        )
        audit.record(
            acting_user,
            case,
            "consent.given",
            obj=consent,
            after=snapshot(consent, ["kind", "text_version", "language", "country", "recipients"]),
            meta=meta,
        )
        if was_withdrawn:
            released = withdrawal.release_documents(case)
            audit.record(
                acting_user,
                case,
                "case.processing_resumed",
                obj=case,
                after={"documents_queued": released, "staff_access": "full"},
                meta=meta,
            )
            for pk in released:
                transaction.on_commit(functools.partial(enqueue_document, pk))
    return consent


def do_withdraw_consent(
    case: Case, *, acting_user: User, kind: str, meta: RequestMeta | None = None
) -> list[Consent]:
    """Withdraw, in one step, every consent of `kind` in force; withdrawing the
    consent to processing also withdraws every transfer abroad. From the commit
    on, lib.can_share_abroad answers False. Returns the consents withdrawn.

    The consent to processing withdrawn (and no other in force), processing
    stops (withdrawal.py): the documents waiting to be read are held, the worker
    reads nothing more, staff see only what must be kept, the case is held
    where it is; its effect is audited as case.processing_stopped."""
    require(acting_user, case, "consent")
    if kind not in Consent.Kind.values:
        raise ActionError(f"'{kind}' is not a kind of consent.")
    kinds = [kind]
    if kind == Consent.Kind.PROCESSING_ART9:
        kinds.append(Consent.Kind.TRANSFER_ABROAD)
    now = timezone.now()
    with transaction.atomic():
        # The case row first, as a worker's merge takes it (tasks._process): a
        # merge under way finishes before this commits, or sees it once it does.
        list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk"))
        withdrawn = list(
            Consent.objects.select_for_update().filter(
                case=case, kind__in=kinds, withdrawn_at__isnull=True
            )
        )
        if not withdrawn:
            raise ActionError("There is no consent of this kind in force to withdraw.")
        Consent.objects.filter(pk__in=[c.pk for c in withdrawn]).update(
            withdrawn_at=now, withdrawn_by=acting_user
        )
        for consent in withdrawn:
            consent.withdrawn_at, consent.withdrawn_by = now, acting_user
            audit.record(
                acting_user,
                case,
                "consent.withdrawn",
                obj=consent,
                before={"kind": consent.kind, "withdrawn_at": None},
                after={"kind": consent.kind, "withdrawn_at": now.isoformat()},
                meta=meta,
            )
        revoked: list[int] = []
        if Consent.Kind.TRANSFER_ABROAD in kinds:
            revoked = revoke_for_withdrawal(case, acting_user, meta)
        if kind == Consent.Kind.PROCESSING_ART9:
            since = withdrawal.processing_withdrawn_at(case)
            if since is not None:
                held = withdrawal.hold_documents(case, since)
                audit.record(
                    acting_user,
                    case,
                    "case.processing_stopped",
                    obj=case,
                    after={
                        "since": since.isoformat(),
                        "documents_held": held,
                        "assignments_revoked": revoked,
                        "staff_access": "limited to what must be kept",
                        "status_kept": case.status,
                    },
                    meta=meta,
                )
    return withdrawn


# -- people and conversation ------------------------------------------------------


def do_invite_member(
    case: Case,
    *,
    acting_user: User,
    email: str,
    relationship: str = CaseMember.Relationship.FAMILY,
    can_upload: bool = False,
    can_message: bool = False,
    can_approve: bool = False,
    meta: RequestMeta | None = None,
) -> CaseMember | None:
    """The patient invites a family member or caregiver, who may always view and,
    if granted, upload and send messages. The invitation is a membership of this
    case, never a role: a new address gets an ordinary account (no password yet;
    they set one through the e-mailed link) that can still enquire and own a
    case of its own.

    A staff address is not invited (staff see every case already), and the
    patient is not told so: None is returned and the refusal is audited, so
    the answer is the same for every address (no disclosure of staff accounts)."""
    require(acting_user, case, "consent")
    email = User.objects.normalize_email((email or "").strip()).lower()
    if "@" not in email:
        raise ActionError(gettext("Give the e-mail address of the person to invite."))
    if relationship not in CaseMember.Relationship.values:
        raise ActionError(
            gettext("'%(relationship)s' is not a relationship casebridge records.")
            % {"relationship": relationship}
        )
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email, role=Role.PATIENT)
        elif user.pk == case.owner_id:
            raise ActionError(gettext("You cannot invite yourself to your own case."))
        elif user.role in STAFF_ROLES:
            audit.record(
                acting_user,
                case,
                "member.invite_refused",
                after={"email": email, "reason": "staff account"},
                meta=meta,
            )
            return None
        member, created = CaseMember.objects.get_or_create(
            case=case,
            user=user,
            defaults={
                "relationship": relationship,
                "can_upload": can_upload,
                "can_message": can_message,
                "can_approve": can_approve,
                "invited_by": acting_user,
            },
        )
        if not created and member.revoked_at is None:
            raise ActionError(
                gettext("%(email)s is already a member of this case.") % {"email": email}
            )
        before = snapshot(
            member, ["can_view", "can_upload", "can_message", "can_approve", "revoked_at"]
        )
        if not created:  # re-invited after a revocation
            member.relationship, member.can_view = relationship, True
            member.can_upload, member.can_message = can_upload, can_message
            member.can_approve = can_approve
            member.revoked_at, member.invited_by = None, acting_user
            member.save()
        audit.record(
            acting_user,
            case,
            "member.invited",
            obj=member,
            before=None if created else before,
            after={
                "email": email,
                **snapshot(
                    member,
                    ["relationship", "can_view", "can_upload", "can_message", "can_approve"],
                ),
            },
            meta=meta,
        )
    return member


def do_send_message(
    case: Case,
    *,
    acting_user: User,
    body: str,
    meta: RequestMeta | None = None,
    composed: bool = False,
) -> Message:
    """Post a message on the case. A message from the patient or their family goes
    through the emergency screen: a red flag pauses the case (as a red flag in the
    records does) in the same transaction; an amber one lists the case for a
    coordinator. Staff messages are not screened (they quote, advise and safety-net)
    but must not promise: a guarantee, a cure, acceptance or a certain outcome
    is refused with the phrases named (cases/promises.py). `composed`: the
    platform's own sentence around words already checked (a record request's
    title, when the request closes): not checked again."""
    require(acting_user, case, "message")
    body = _text(body, "message")
    if acting_user.role in STAFF_ROLES and not composed:
        refuse_promises(body)
    found: list[dict[str, Any]] = []
    if acting_user.role not in STAFF_ROLES:
        found = safety.screen_answers(
            {"message": body},
            case=engine_case(case) if case.engine else None,
            programme=case.programme,
        )
    with transaction.atomic():
        message = Message.objects.create(case=case, sender=acting_user, body=body)
        audit.record(
            acting_user, case, "message.sent", obj=message, after={"length": len(body)}, meta=meta
        )
        if found:
            _screen_message(case, found, acting_user=acting_user, message=message, meta=meta)
    return message


def _screen_message(
    case: Case,
    found: list[dict[str, Any]],
    *,
    acting_user: User,
    message: Message,
    meta: RequestMeta | None,
) -> None:
    safety.act_on_flags(
        case,
        found,
        acting_user=acting_user,
        origin={"from": "message", "message": message.pk},
        meta=meta,
    )


def do_add_note(
    case: Case, *, acting_user: User, body: str, meta: RequestMeta | None = None
) -> InternalNote:
    """A staff-only note on the case."""
    require(acting_user, case, "manage")
    body = _text(body, "note")
    with transaction.atomic():
        note = InternalNote.objects.create(case=case, author=acting_user, body=body)
        audit.record(
            acting_user, case, "note.added", obj=note, after={"length": len(body)}, meta=meta
        )
    return note


__all__ = [
    "clean_file_name",
    "do_add_note",
    "do_assign",
    "do_change_status",
    "do_correct_fact",
    "do_create_case",
    "do_erase_case",
    "do_give_consent",
    "do_invite_member",
    "do_send_message",
    "do_upload_document",
    "do_withdraw_consent",
]
