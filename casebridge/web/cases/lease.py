"""A worker's lease on the document it reads, kept while the read runs.

A claim (tasks._claim) gives the worker DOCUMENT_LEASE_SECONDS; after that
requeue_stale_documents takes the document back for another worker, which is
right when the worker died and wrong when it is only slow: a first read that
waits for the reader's forkserver to warm up on a busy machine, a long OCR.
Taken over while still reading, the slow worker's work is thrown away
("superseded") and the next one may be as slow again. So while a read is under
way a thread renews the lease every third of it. The renewal names the attempt:
once another run has taken the document, this one renews nothing. A worker
that hangs is still stopped by the reader's wall-clock limit, and a worker that
dies stops renewing, so its lease runs out as before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from casebridge.web.cases.models import Document

log = logging.getLogger(__name__)


def renew(document_id: int, attempt: int) -> bool:
    """Extend the lease of `attempt` on the document; False once it is not ours."""
    until = timezone.now() + dt.timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS)
    renewed = Document.objects.filter(
        pk=document_id, state=Document.State.PROCESSING, attempts=attempt
    ).update(lease_expires_at=until)
    return renewed == 1


@contextlib.contextmanager
def kept(document_id: int, attempt: int) -> Iterator[None]:
    """Renew the lease in the background for as long as the block runs."""
    stop = threading.Event()
    every = max(0.5, settings.DOCUMENT_LEASE_SECONDS / 3)

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    if not renew(document_id, attempt):
                        return  # taken over, or finished: nothing of ours to keep
                except DatabaseError:  # the next beat tries again; the lease may lapse
                    log.warning("could not renew the lease on document %s", document_id)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"lease-{document_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
