"""Background processing of uploaded documents (django-tasks, database backend;
run workers with `manage.py db_worker`).

process_document(document_id):
  1. claims the document (queued → processing, attempts + 1, a lease), in a
     short transaction; a document already processed is left alone, so running
     the task twice is harmless;
  2. decrypts it and reads it outside any lock in a child process with CPU,
     memory and wall-clock limits and caps on pages and characters
     (cases/reader.py): the engine's ingest, classification and extraction;
  3. merges what it read under the case row lock (select_for_update) into the
     case's engine JSON as it is then, with the people's corrections from the
     database, and re-runs the case stages; a document added meanwhile with the
     same content (which makes this one a duplicate) sends it back to step 2;
  4. marks the document processed / needs_attention, with the engine's reasons
     (or the limit that stopped the read), and pauses the case when the
     engine's safety screen says so.

The patient's consent to processing is asked for twice (cases/withdrawal.py):
at the claim, before anything is decrypted or read, and under the case lock
before what was read is saved; withdrawn, the document is `held` (kept
encrypted, a plain reason, what was read thrown away) and read when consent is
given again.

A worker that dies leaves the document in `processing` with a lease that runs
out: requeue_stale_documents() (the `requeue_stale_documents` command, run
every few minutes) puts it back in the queue, and a new run of the task also
takes over a document whose lease has run out. It also queues again a document
left `queued` with no task that will run it (a worker killed between taking the
task and claiming the document; an upload's process killed between its commit
and the enqueue). After DOCUMENT_MAX_ATTEMPTS
the document is marked failed, with a plain-language reason. A document over a
reading limit is not retried: it needs a person's attention at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TASK_MIN_PRIORITY, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casebridge.engine.case import Document as EngineDocument
from casebridge.web.cases import audit, lease, reader, safety, storage, withdrawal, workflow
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.errors import StorageError
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import Case, Document

log = logging.getLogger(__name__)

DONE = {Document.State.PROCESSED, Document.State.NEEDS_ATTENTION}


@task()
def process_document(document_id: int) -> str:
    """Read one uploaded document into its case. Returns what happened, in words."""
    claimed = _claim(document_id)
    if isinstance(claimed, str):
        return claimed
    attempt = claimed
    try:
        return _process(document_id, attempt)
    except Exception as error:  # noqa: BLE001 - recorded on the document, retried
        log.exception("processing document %s failed", document_id)
        return _failed(document_id, attempt, error)


def _claim(document_id: int) -> int | str:
    """The attempt number if this run now owns the document, else why not."""
    now = timezone.now()
    with transaction.atomic():
        doc = Document.objects.select_for_update().filter(pk=document_id).first()
        if doc is None:
            return "no such document"
        if doc.state in DONE:
            return f"already {doc.state}"
        if doc.state == Document.State.FAILED:
            return "failed earlier; requeue it to try again"
        if (
            doc.state == Document.State.PROCESSING
            and doc.lease_expires_at
            and (doc.lease_expires_at > now)
        ):
            return "being processed by another worker"
        if doc.state == Document.State.HELD:
            return "held: the patient withdrew consent to processing"
        since = withdrawal.processing_withdrawn_at(doc.case_id)
        if since is not None:
            return _hold(doc, since, "before reading")
        if doc.attempts >= settings.DOCUMENT_MAX_ATTEMPTS:
            _give_up(doc, "it could not be read after several attempts")
            return "failed: too many attempts"
        doc.state = Document.State.PROCESSING
        doc.attempts += 1
        doc.started_at = now
        doc.lease_expires_at = now + dt.timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS)
        doc.save(update_fields=["state", "attempts", "started_at", "lease_expires_at"])
        return doc.attempts


# How many times a read is made again because documents with its content were
# added to the case while it was read (an archive's members; rare).
READ_ROUNDS = 3


def read_limits() -> reader.ReadLimits:
    return reader.ReadLimits(
        cpu_seconds=settings.DOCUMENT_READ_CPU_SECONDS,
        memory_mb=settings.DOCUMENT_READ_MEMORY_MB,
        wall_seconds=settings.DOCUMENT_READ_WALL_SECONDS,
        max_characters=settings.DOCUMENT_MAX_CHARACTERS,
        max_pages=settings.DOCUMENT_MAX_PAGES,
    )


def _read(case: Case, data: bytes, name: str) -> tuple[list[dict[str, Any]], reader.ReadOutcome]:
    known = list((case.engine or {}).get("documents") or [])
    programme = str((case.engine or {}).get("programme") or "oncology")
    outcome = reader.read_document(
        data, name, programme=programme, known=known, limits=read_limits()
    )
    return known, outcome


def _process(document_id: int, attempt: int) -> str:
    doc = Document.objects.get(pk=document_id)
    case = case_for_system(doc.case_id)
    data = storage.read_document(case, doc)
    for _round in range(READ_ROUNDS):
        with lease.kept(document_id, attempt):
            known, outcome = _read(case, data, doc.file_name)
        with transaction.atomic():
            locked = case_for_system(doc.case_id, lock=True)
            doc = Document.objects.select_for_update().get(pk=document_id)
            if doc.state != Document.State.PROCESSING or doc.attempts != attempt:
                return "superseded: another run took this document over"
            since = withdrawal.processing_withdrawn_at(locked)
            if since is not None:  # withdrawn while it was read: nothing of the read is kept
                return _hold(doc, since, "before saving")
            if reader.still_fits(known, list(locked.engine.get("documents") or []), outcome):
                return _merge(locked, doc, outcome, attempt)
        case = locked  # its content arrived meanwhile: read again against the case as it is
    raise RuntimeError("the case kept receiving this document's content while it was read")


def _merge(locked: Case, doc: Document, outcome: reader.ReadOutcome, attempt: int) -> str:
    """Under the case lock: add what was read to the case and record it."""
    before = locked.engine
    engine = engine_case(locked)
    docs: list[EngineDocument] = reader.merge(engine, outcome)
    result = engine.to_dict()
    locked.engine = result
    reasons = [p for d in docs for p in d.problems]
    doc.state = (
        Document.State.NEEDS_ATTENTION
        if any(d.status == "needs_attention" for d in docs)
        else Document.State.PROCESSED
    )
    doc.reasons = list(dict.fromkeys(reasons))
    doc.engine_doc_ids = [d.id for d in docs]
    doc.engine_doc_id = docs[0].id if docs else ""
    doc.doc_type = docs[0].doc_type if docs else ""
    doc.media_type = docs[0].media_type if docs and not outcome.limit else doc.media_type
    doc.processed_at = timezone.now()
    doc.lease_expires_at = None
    doc.save()
    fields = ["engine"]
    if _new_amber(before, result) and not locked.safety_review:
        locked.safety_review = True  # listed for a coordinator; the case carries on
        fields.append("safety_review")
    if result.get("paused") and locked.status in workflow.OPEN:
        fields += _pause_for_safety(locked, result)
    locked.save(update_fields=[*fields, "updated_at"])
    after: dict[str, Any] = {
        "state": doc.state,
        "engine_doc_ids": doc.engine_doc_ids,
        "doc_type": doc.doc_type,
        "reasons": doc.reasons,
        "attempt": attempt,
    }
    if outcome.limit:
        after["limit"] = outcome.limit
    audit.record(None, locked, "document.processed", obj=doc, after=after)
    return str(doc.state)


def _amber(engine: dict[str, Any]) -> set[tuple[str, str]]:
    cleared = set((engine.get("intake") or {}).get("safety_cleared") or [])
    return {
        (str(f.get("rule", "")), str((f.get("evidence") or {}).get("document_id", "")))
        for f in engine.get("safety_flags") or []
        if f.get("level") == "amber" and f.get("category") not in cleared
    }


def _new_amber(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """An amber flag the case did not have before this document."""
    return bool(_amber(after) - _amber(before or {}))


def _pause_for_safety(case: Case, engine: dict[str, Any]) -> list[str]:
    labels = [
        str(f.get("label", ""))
        for f in engine.get("safety_flags", [])
        if f.get("level", "red") == "red"
    ]
    return safety.pause(case, reason="; ".join(label for label in labels if label))


def _failed(document_id: int, attempt: int, error: Exception) -> str:
    retry = not isinstance(error, StorageError)
    with transaction.atomic():
        doc = Document.objects.select_for_update().get(pk=document_id)
        if doc.state != Document.State.PROCESSING or doc.attempts != attempt:
            return "superseded"
        if not retry:
            _give_up(doc, str(error))
            return "failed"
        if doc.attempts >= settings.DOCUMENT_MAX_ATTEMPTS:
            _give_up(doc, f"it could not be read after {doc.attempts} attempts")
            return "failed"
        doc.state, doc.lease_expires_at = Document.State.QUEUED, None
        doc.save(update_fields=["state", "lease_expires_at"])
        audit.record(
            None,
            doc.case,
            "document.retry",
            obj=doc,
            after={"attempt": attempt, "error": type(error).__name__},
        )
        delay = dt.timedelta(seconds=30 * 2**attempt)
        transaction.on_commit(lambda: enqueue_document(document_id, delay))
    return "queued again"


def _hold(doc: Document, since: dt.datetime, when: str) -> str:
    """Under the document's lock: keep it, unread (withdrawal.hold), on record."""
    withdrawal.hold(doc, since)
    audit.record(
        None,
        doc.case,
        "document.held",
        obj=doc,
        after={"since": since.isoformat(), "stopped": when, "attempt": doc.attempts},
    )
    return "held: the patient withdrew consent to processing"


def _give_up(doc: Document, why: str) -> None:
    doc.state, doc.lease_expires_at = Document.State.FAILED, None
    reason = f"This file could not be processed: {why}. Your coordinator has been told."
    doc.reasons = [*doc.reasons, reason]
    doc.save(update_fields=["state", "lease_expires_at", "reasons"])
    audit.record(None, doc.case, "document.failed", obj=doc, after={"reason": reason})


def fair_priority(document_id: int) -> int:
    """The task's priority: minus the number of the case's documents uploaded
    before this one that are still waiting or being read. Workers take the
    highest priority first, so the n-th waiting document of each case comes
    before every case's (n+1)-th: a case that uploads 300 files does not starve
    another case's single one."""
    doc = Document.objects.filter(pk=document_id).only("case_id").first()
    if doc is None:
        return 0
    ahead = (
        Document.objects.filter(
            case_id=doc.case_id, state__in=[Document.State.QUEUED, Document.State.PROCESSING]
        )
        .filter(pk__lt=document_id)
        .count()
    )
    return -min(ahead, -TASK_MIN_PRIORITY)


def enqueue_document(document_id: int, delay: dt.timedelta | None = None) -> None:
    """Queue process_document (call it from transaction.on_commit), with its
    case's fair priority."""
    options: dict[str, Any] = {"priority": fair_priority(document_id)}
    if delay:
        options["run_after"] = timezone.now() + delay
    process_document.using(**options).enqueue(document_id)


def _queued_without_a_task(now: dt.datetime) -> list[int]:
    """Queued documents no task will ever run. A worker killed after
    django-tasks-db marked the task RUNNING but before _claim leaves the
    document `queued` with no lease and its task RUNNING for ever; a process
    killed between an upload's commit and its on_commit enqueue leaves it with
    no task at all (tests/web/test_faults_worker.py kills at both points).
    A RUNNING task counts as alive for one lease after it started; documents
    queued less than a lease ago are left to the enqueue under way (a second
    task would only find the document taken: harmless, but needless)."""
    alive_since = now - dt.timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS)
    waiting = set(
        Document.objects.filter(
            state=Document.State.QUEUED, created_at__lt=alive_since
        ).values_list("pk", flat=True)
    )
    if not waiting:
        return []
    tasks = DBTaskResult.objects.filter(task_path=process_document.module_path).filter(
        Q(status=TaskResultStatus.READY)
        | Q(status=TaskResultStatus.RUNNING, started_at__gte=alive_since)
    )
    for args_kwargs in tasks.values_list("args_kwargs", flat=True).iterator():
        waiting.difference_update((args_kwargs or {}).get("args") or [])
    return sorted(waiting)


def requeue_stale_documents(now: dt.datetime | None = None) -> list[int]:
    """Put back in the queue every document whose worker died (still
    `processing` after its lease ran out), and queue again every queued
    document no task will run (_queued_without_a_task). Returns their ids."""
    now = now or timezone.now()
    requeued: list[int] = []
    orphaned = _queued_without_a_task(now)
    for pk in orphaned:
        log.warning("document %s was queued with no task to run it: queued again", pk)
        enqueue_document(pk)
    stale = Document.objects.filter(state=Document.State.PROCESSING, lease_expires_at__lt=now)
    for pk, case_id in stale.values_list("pk", "case_id"):
        with transaction.atomic():
            # The case row first, then the document, then the audit chain: the
            # order a worker's merge takes them in (_process). Locking the
            # document first deadlocked on PostgreSQL with a merge of the same
            # case (the merge holding the case and waiting for the chain's lock,
            # this holding the chain and waiting for the case row).
            list(Case.objects.select_for_update().filter(pk=case_id).values_list("pk"))
            doc = (
                Document.objects.select_for_update(of=("self",))
                .select_related("case")
                .filter(pk=pk, state=Document.State.PROCESSING, lease_expires_at__lt=now)
                .first()
            )
            if doc is None:  # finished or renewed meanwhile
                continue
            doc.state, doc.lease_expires_at = Document.State.QUEUED, None
            doc.save(update_fields=["state", "lease_expires_at"])
            audit.record(
                None,
                doc.case,
                "document.requeued",
                obj=doc,
                before={"state": "processing", "attempts": doc.attempts},
                after={"state": "queued"},
            )
            requeued.append(doc.pk)
            transaction.on_commit(functools.partial(enqueue_document, doc.pk))
    return [*orphaned, *requeued]
