"""Erasing a case (UK GDPR art. 17): do_erase_case, a do_* action like those of
actions.py (which re-exports it), kept apart for what it must also do outside
the database: the files, the process's parsed copy and SQLite's log."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError, connection, transaction

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases import audit, pack_images, storage
from casebridge.web.cases.access import require
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError, NotAllowed
from casebridge.web.cases.lib import forget_case
from casebridge.web.cases.models import Case, Enquiry, PackSeries

log = logging.getLogger(__name__)


def do_erase_case(case: Case, *, acting_user: User, meta: RequestMeta | None = None) -> str:
    """Erase a case (UK GDPR art. 17): its data key and every row of it (the
    case, its documents, messages, notes, corrections, consents, members,
    record requests, and the enquiry it came from with that enquiry's own
    key), then, once committed, its encrypted files. An administrator's act.

    What stays is the audit log, as it must: who did what and when, with the
    pseudonym; its before/after were sealed with the keys destroyed here, so
    they no longer open (the chain still verifies). Returns the pseudonym.

    On SQLite deleted content is overwritten (secure_delete, cases/apps.py)
    and the write-ahead log is checkpointed and truncated after the commit, so
    neither the file nor its -wal keeps a byte of the case."""
    require(acting_user, case, "manage")
    if acting_user.role != Role.ADMIN:
        raise NotAllowed("Only an administrator can erase a case.")
    erased = erase_case(case.pk, actor=acting_user, meta=meta)
    if erased is None:  # erased meanwhile by someone else
        raise ActionError("This case is no longer there: it was erased already.")
    return erased


def erase_case(
    case_pk: int,
    *,
    actor: User | None,
    meta: RequestMeta | None = None,
    reason: str = "",
    still: Callable[[Case], bool] | None = None,
) -> str | None:
    """do_erase_case's work, for an administrator or (actor None) the system:
    the retention job (cases/retention.py), which passes `still`, asked under
    the case's row lock: when it answers False (the case changed since it was
    picked) nothing is erased and None is returned."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().defer("engine").filter(pk=case_pk).first()
        if locked is None or (still is not None and not still(locked)):
            return None
        pseudonym = locked.pseudonym
        blobs = [d.blob_path for d in locked.documents.all() if d.blob_path]
        studies = sorted(
            set(PackSeries.objects.filter(case=locked).values_list("orthanc_study", flat=True))
        )
        counts = {
            "documents": len(blobs),
            "messages": locked.messages.count(),
            "notes": locked.notes.count(),
        }
        # clear JSON on purpose (no holder): it must stay readable after the key goes
        why = {"reason": reason} if reason else {}
        audit.record(
            actor, None, "case.erased", after={"case": pseudonym, **counts, **why}, meta=meta
        )
        Enquiry.objects.filter(case=locked).delete()
        locked.delete()
        transaction.on_commit(lambda: _after_erasure(case_pk, pseudonym, blobs, studies))
    return pseudonym


def erase_enquiry(
    enquiry_pk: int, *, reason: str, still: Callable[[Enquiry], bool] | None = None
) -> bool:
    """Erase an enquiry that never became a case (the system's act: the
    retention job): its row and, with it, its data key, so the audit rows about
    it keep who-did-what-when and no longer open their details. `still` is
    asked under the row lock; False: nothing is erased. Returns whether it was."""
    with transaction.atomic():
        locked = (
            Enquiry.objects.select_for_update()
            .filter(pk=enquiry_pk, case__isnull=True)
            .only("pk", "status", "created_at", "updated_at", "case")
            .first()
        )
        if locked is None or (still is not None and not still(locked)):
            return False
        audit.record(
            None,
            None,
            "enquiry.erased",
            after={"enquiry": enquiry_pk, "status": locked.status, "reason": reason},
        )
        locked.delete()
        transaction.on_commit(_truncate_log)
    return True


def _after_erasure(case_pk: int, pseudonym: str, blobs: list[str], studies: list[str]) -> None:
    # Through the storage API, so the same holds for an object store.
    for name in blobs:
        storage.delete_blob_named(name)
    pack_images.delete_studies(studies, pseudonym)  # the de-identified images too
    storage.delete_case_blobs(pseudonym)  # temporary files of an interrupted upload
    forget_case(case_pk)
    _truncate_log(pseudonym)


def _truncate_log(what: str = "an enquiry") -> None:
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # The log's older frames hold the deleted pages as they were before the
        # delete: copy them into the file (where secure_delete zeroes them) and
        # empty the log. A reader holding an old snapshot can keep it from
        # finishing; SQLite's next automatic checkpoint then does it.
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except OperationalError:
            log.warning("erasure of %s: the write-ahead log could not be truncated now", what)
