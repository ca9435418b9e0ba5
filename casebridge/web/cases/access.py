"""THE access gate: the one place that decides who may see or change a case.

Deny by default. Someone else's case answers 404 (Http404), never 403, so the
existence of a case is not disclosed. Every read through the gate (need="view")
writes a `case.read` audit row.

Needs:
    view     see the case and its documents, facts, messages
    upload   add documents
    message  send messages on the case
    correct  correct a fact
    manage   change status, assign, internal notes (staff work)
    consent  give or withdraw consent, invite family, withdraw the case
             (the patient's own decisions)
    review   work on the case as a member of its reviewing team abroad
    approve  approve the version of the pack that is sent abroad (the
             patient's, or a relative's the patient allowed to)
    process  staff work on the health data: choose a department, prepare or
             send a pack, open the case to reviewers, release an opinion, ask
             for records

Who has which (a user's role, then their tie to the case):
    admin        every need except consent (consent is the patient's own act)
    coordinator  view, upload, message, correct, manage on every case
    reviewer     view and review on a case opened to them, and only while
                 its assignment is open (not revoked, not past its end), they
                 sit on it, their department is the assignment's, they have a
                 second factor and the patient's consent to the transfer
                 naming that department stands (review_access.open_assignment);
                 every other case, and every case once any of these lapses: 404
    owner        view, upload, message, consent, approve on their own case
    member       view, and upload / message / approve where the patient
                 granted them
    anyone else  nothing: 404

Once the patient withdraws the consent to processing (and until they give it
again), staff keep view, message and manage but lose upload, correct and
process (withdrawal.WITHHELD_NEEDS), and the case the gate returns them is
stamped with the date: every read of its clinical content (documents, their
text and files, facts, summary, FHIR, timeline, packs) then answers 403 with
one plain line (withdrawal.ClinicalWithheld). What must be kept stays open:
the case header, the consents, the messages and notes, the history. A need
refused for that reason answers the same 403, not 404: the case is the
coordinator's to see, only its health data is not. The patient and their
family are never stamped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.http import Http404, HttpRequest

from casebridge.web.accounts.models import Role
from casebridge.web.cases import audit
from casebridge.web.cases.models import Case, CaseMember, Consent, InternalNote, Message
from casebridge.web.cases.record_requests import RecordRequest
from casebridge.web.cases.review_access import open_assignment
from casebridge.web.cases.withdrawal import (
    WITHHELD_ATTR,
    WITHHELD_NEEDS,
    ClinicalWithheld,
    processing_withdrawn_at,
    refuse_withheld,
)

NEEDS: tuple[str, ...] = (
    "view",
    "upload",
    "message",
    "correct",
    "manage",
    "consent",
    "review",
    "approve",
    "process",
)
STAFF_NEEDS = frozenset({"view", "upload", "message", "correct", "manage", "process"})
OWNER_NEEDS = frozenset({"view", "upload", "message", "consent", "approve"})
ADMIN_NEEDS = STAFF_NEEDS
REVIEWER_NEEDS = frozenset({"view", "review"})

GRANT_ATTR = "_casebridge_grant"
# The rows of a case that stay open to staff after the withdrawal of the
# consent to processing (what must be kept: the conversation, the consents,
# the requests made of the patient); every other row is clinical content.
KEPT_MODELS: frozenset[type[models.Model]] = frozenset(
    {Message, InternalNote, Consent, RecordRequest}
)
ASSIGNMENT_ATTR = "_casebridge_review_assignment"
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Grant:
    """Stamped on a Case the gate returned: who it was opened for and for what.
    storage.read_document refuses a Case without one."""

    user_id: int | None  # None: the system (a background task)
    need: str
    staff: bool = False  # may see staff-only things (internal notes)
    user: Any = field(default=None, compare=False, repr=False)
    # Every need the user had on the case when the gate opened it (one
    # membership query for all of them): pages ask allowed() instead of can().
    needs: frozenset[str] = field(default=frozenset(), compare=False)


def _check_need(need: str) -> None:
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}; one of {', '.join(NEEDS)}")


def _needs_and_hold(user: Any, case: Case) -> tuple[frozenset[str], Any]:
    """needs_of, and for staff the moment the patient withdrew the consent to
    processing (None if they did not, or gave it again): one query more."""
    if user is not None and user.is_authenticated and user.is_active:
        full = {Role.ADMIN: ADMIN_NEEDS, Role.COORDINATOR: STAFF_NEEDS}.get(user.role)
        if full is not None:
            since = processing_withdrawn_at(case)
            return (full - WITHHELD_NEEDS if since else full), since
    return needs_of(user, case), None


def needs_of(user: Any, case: Case) -> frozenset[str]:
    """Every need `user` has on `case` (at most one membership query; for
    staff, the one query of the consent to processing)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    role = user.role
    if role in (Role.ADMIN, Role.COORDINATOR):
        return _needs_and_hold(user, case)[0]
    if role == Role.REVIEWER:
        assignment = open_assignment(user, case)
        # kept on the case the gate returns, for the review pages of this request
        # (assignment_of); can() and the actions ask again
        setattr(case, ASSIGNMENT_ATTR, (user.pk, assignment))
        return REVIEWER_NEEDS if assignment is not None else frozenset()
    if case.owner_id == user.pk:
        return OWNER_NEEDS
    member = CaseMember.objects.filter(case=case, user=user).first()
    if member is None:
        return frozenset()
    return frozenset(need for need in NEEDS if member.grants(need))


def _refuse(need: str, since: Any) -> None:
    """A refused need: 403 with the plain line when the withdrawal took it
    away (the case itself is no secret to staff), else 404."""
    if since is not None and need in WITHHELD_NEEDS:
        raise ClinicalWithheld(since)
    raise Http404("No such case")


def can(user: Any, case: Case, need: str) -> bool:
    """Whether user may do `need` on case. No audit row; use the gate to read."""
    _check_need(need)
    return need in needs_of(user, case)


def allowed(user: Any, case: Case, need: str) -> bool:
    """can(), answered from the gate's Grant when the gate opened `case` for
    `user` in this request (no query); otherwise the same as can()."""
    _check_need(need)
    grant = grant_of(case)
    if grant is not None and grant.user_id is not None and grant.user_id == user.pk:
        return need in grant.needs
    return can(user, case, need)


def get_case_for_user_or_404(
    user: Any, pk: int | str, need: str = "view", *, request: HttpRequest | None = None
) -> Case:
    """The case with primary key or pseudonym `pk` if `user` may do `need` on it,
    else Http404. A `view` writes a case.read audit row."""
    _check_need(need)
    lookup = {"pseudonym": pk} if isinstance(pk, str) and pk.startswith("CB-") else {"pk": pk}
    try:
        # The engine JSON (MBs for a case of hundreds of documents) is loaded
        # only when something reads case.engine: cases.lib.read_engine keeps
        # the parsed case per version, so most pages never load it at all.
        case = Case.objects.select_related("owner", "coordinator").defer("engine").get(**lookup)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No such case") from None
    needs, since = _needs_and_hold(user, case)
    if need not in needs:
        _refuse(need, since)
    grant = Grant(user.pk, need, staff="manage" in needs, user=user, needs=needs)
    setattr(case, GRANT_ATTR, grant)
    # for a staff member after the withdrawal: the clinical reads refuse the case
    setattr(case, WITHHELD_ATTR, since)
    if need in ("view", "review"):  # a reviewer's every read is on record too
        audit.record(user, case, "case.read", meta=audit.meta_from_request(request))
    return case


def require(user: Any, case: Case, need: str) -> None:
    """For actions: the same rule as the gate (Http404 when refused, or the
    withdrawal's 403), no audit row."""
    _check_need(need)
    needs, since = _needs_and_hold(user, case)
    if need not in needs:
        _refuse(need, since)


def assignment_of(user: Any, case: Case) -> Any:
    """The review assignment the gate found when it opened `case` for `user` in
    this request (asked once a request, not once a page part), or asked now."""
    stashed = getattr(case, ASSIGNMENT_ATTR, None)
    if isinstance(stashed, tuple) and stashed[0] == user.pk:
        return stashed[1]
    return open_assignment(user, case)


def grant_of(case: Case) -> Grant | None:
    grant = getattr(case, GRANT_ATTR, None)
    return grant if isinstance(grant, Grant) else None


def case_for_system(pk: int, *, lock: bool = False) -> Case:
    """The case for a background task (no user): stamped with a system grant.
    lock=True takes the row lock (select_for_update; inside a transaction)."""
    queryset = Case.objects.select_for_update() if lock else Case.objects.all()
    case = queryset.get(pk=pk)
    setattr(case, GRANT_ATTR, Grant(None, "system", staff=True))
    return case


def get_case_object_or_404(case: Case, model: type[M], pk: Any) -> M:
    """An object (document, message, note, consent, ...) of a case the gate
    returned; one of another case answers 404 like the case itself would.
    Internal notes are for staff only; the clinical rows (documents, packs
    and their files, corrections, opinions) are withheld from staff after the
    patient withdrew the consent to processing."""
    grant = grant_of(case)
    if grant is None:
        raise Http404("No such object")
    if model is InternalNote and not grant.staff:
        raise Http404("No such object")
    if model not in KEPT_MODELS:
        refuse_withheld(case)
    try:
        return model._default_manager.get(pk=pk, case=case)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]  # on every concrete model; the stubs drop it from Model
        raise Http404("No such object") from None
