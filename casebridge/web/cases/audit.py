"""Writing audit rows. Called by the gate (reads) and by every action (changes),
inside the action's transaction, so a change and its audit row commit or roll
back together.

Every row is chained to the one before by an HMAC with the audit key
(cases/auditchain.py). Taking the previous row and adding the next happen under
one lock, so parallel writers still make one chain: on PostgreSQL a
transaction-scoped advisory lock, held until the action's transaction commits;
on SQLite the write lock every transaction takes at BEGIN (transaction_mode
IMMEDIATE). The unique `seq` is the last guard: two writers that took the same
previous row could never both commit. `verify` walks the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from casebridge.web.cases import auditchain, sealed
from casebridge.web.cases.clientip import client_ip
from casebridge.web.cases.models import AuditEvent, Case, Enquiry


@dataclass(frozen=True)
class RequestMeta:
    """Where a request came from, for the audit row."""

    ip: str | None = None
    user_agent: str = ""


def meta_from_request(request: HttpRequest | None) -> RequestMeta | None:
    if request is None:
        return None
    return RequestMeta(
        ip=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:400],
    )


def record(
    actor: Any,
    case: Case | None,
    action: str,
    *,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    meta: RequestMeta | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """One audit row. actor None means the system (a background task), or
    whoever actor_label names (e.g. "anonymous" for a failed sign-in)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if is_user else None,
        actor_label=actor.email if is_user else (actor_label or "system"),
        case=case,
        case_pseudonym=case.pseudonym if case is not None else "",
        action=action,
        object_type=obj._meta.model_name or "" if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        before=before,
        after=after,
        ip=meta.ip if meta else None,
        user_agent=(meta.user_agent if meta else "")[:400],
    )
    # before/after are sealed with the key of the case (or enquiry) the row is
    # about, so erasing it leaves who-did-what-when readable and the details not
    event.seal_details(case if case is not None else obj if isinstance(obj, Enquiry) else None)
    with transaction.atomic():  # a savepoint inside the action's transaction
        _lock_case_first(case)
        seq, prev = _take_chain_head()
        event.at = timezone.now()  # after the lock: times rise with seq
        event.seq = seq
        event.hmac = auditchain.mac(audit_key(), seq, prev, _content(event))
        event.save(force_insert=True)
    return event


# pg_advisory_xact_lock's key for "the audit chain" (b"cb-audit" as a bigint).
ADVISORY_LOCK_ID = int.from_bytes(b"cb-audit", "big")


def audit_key() -> bytes:
    return bytes(settings.CASEBRIDGE_AUDIT_KEY)


def _take_chain_head() -> tuple[int, str]:
    """The next seq and the HMAC to chain to, under the chain's lock (held to
    the end of the current transaction)."""
    _lock_chain()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hmac").first()
    if last is None:
        return 1, auditchain.GENESIS
    return last[0] + 1, last[1]


def _lock_case_first(case: Case | None) -> None:
    """On PostgreSQL, the case row before the chain: the row's insert checks its
    foreign key with a KEY SHARE lock on the case, and a worker merging a
    document holds the case FOR UPDATE and then waits for the chain. Taking the
    chain first (the gate's case.read row) and the case second deadlocked with
    it under load (bench_load's smoke run); every writer now takes the case,
    then the chain, the order a merge takes them in."""
    if case is not None and case.pk is not None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # the model's own table name, never input
            table = connection.ops.quote_name(Case._meta.db_table)
            sql = f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE"  # nosec B608  # noqa: S608
            cursor.execute(sql, [case.pk])


def _lock_chain() -> None:
    """On PostgreSQL, wait for the chain's advisory lock; it is released when
    the transaction ends (commit or rollback), so no other writer reads the
    previous row before this one's row is committed. SQLite: every
    transaction already holds the database's write lock from BEGIN.

    The lock is a statement of its own, before the one reading the newest row:
    under READ COMMITTED a statement sees the rows committed when it began, so
    a read in the same statement as a lock it waited for would miss the row
    its predecessor just committed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_ID])


def _content(event: AuditEvent) -> dict[str, Any]:
    """What the HMAC covers: the row as stored (before/after as their envelopes)."""
    return {name: sealed.stored_value(event, name) for name in auditchain.CONTENT_FIELDS}


@dataclass(frozen=True)
class Verification:
    """What `verify` found: the chain's result and, if a head was given, whether
    the log still holds it."""

    result: auditchain.Result
    problem: auditchain.Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(kept_head: auditchain.Head | None = None) -> Verification:
    """Walk the whole chain in seq order and name the first row altered,
    inserted or missing; with `kept_head` (exported earlier), also notice the
    newest rows deleted since."""
    rows = (
        AuditEvent.objects.order_by(models.F("seq").asc(nulls_first=True), "pk")
        .values(*auditchain.ROW_FIELDS)
        .iterator(chunk_size=2000)
    )
    result = auditchain.walk(rows, audit_key())
    problem = result.problem
    if problem is None and kept_head is not None:
        at_kept = (
            AuditEvent.objects.filter(seq=kept_head.seq).values_list("hmac", flat=True).first()
        )
        problem = auditchain.compare_head(result, kept_head, at_kept)
    return Verification(result, problem)
