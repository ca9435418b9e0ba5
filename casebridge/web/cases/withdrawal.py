"""What the patient's withdrawal of the consent to processing (UK GDPR art. 9)
stops, until they give it again (issue 10).

- The documents are not read: the worker asks processing_withdrawn_at() before
  it reads and again before it saves (cases/tasks.py); a document it skips, and
  every one uploaded meanwhile, is `held`: kept encrypted, with a plain reason,
  and queued again when consent is given again (hold_documents /
  release_documents, called by actions.do_withdraw_consent / do_give_consent).
- Staff see only what must be kept: the access gate (cases/access.py) stamps a
  staff member's case with the date of the withdrawal and takes away the needs
  that work on the health data (WITHHELD_NEEDS); every read of the clinical
  content (cases/lib.read_engine and engine_case, cases/storage's reads of files,
  access.get_case_object_or_404 for the clinical rows) then raises
  ClinicalWithheld, which answers 403 with one plain line (views.permission_denied).
  The patient and the people they invited are not stamped: their own records
  stay theirs.
- The case does not move on (workflow.HELD_MOVES): it can be closed, withdrawn
  or paused for safety, and resumes where it was when consent is given again.

Stands on the models alone, so that the gate, lib and storage can all ask it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q
from django.utils import formats, timezone

from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import Case, Consent, Document

# Set by the access gate on a case it opened for staff after the withdrawal:
# the moment of the withdrawal (an aware datetime).
WITHHELD_ATTR = "_casebridge_withheld_since"

# What a staff member may no longer do on a case whose patient withdrew the
# consent to processing: add or correct its health data, or work on it
# (choose a department, build or send a pack, open it to reviewers, release an
# opinion, ask for records). Reading it is refused where it is read.
WITHHELD_NEEDS = frozenset({"upload", "correct", "process"})


def processing_withdrawn_at(case: Case | int) -> dt.datetime | None:
    """When the patient withdrew their consent to processing, if they did and
    have not given it again; None otherwise (also for a case that never had
    it: what is withheld is what consent was taken back from). One query,
    always from the database: a withdrawal takes effect on the next request."""
    pk = case.pk if isinstance(case, Case) else case
    found = Consent.objects.filter(case_id=pk, kind=Consent.Kind.PROCESSING_ART9).aggregate(
        in_force=Max("pk", filter=Q(withdrawn_at__isnull=True)),
        last=Max("withdrawn_at"),
    )
    if found["in_force"] is not None:
        return None
    last: dt.datetime | None = found["last"]
    return last


def on_date(when: dt.datetime) -> str:
    """7 December 2026 (the date as people read it, in the site's zone)."""
    return formats.date_format(timezone.localtime(when), "j F Y")


def withheld_line(when: dt.datetime) -> str:
    """The one plain line staff read in place of the clinical content."""
    return (
        f"Not available: the patient withdrew consent to processing on {on_date(when)}. "
        "The case header, the consents, the messages and the history stay open; the rest "
        "opens again if the patient gives consent again."
    )


class ClinicalWithheld(PermissionDenied, ActionError):
    """A read of a case's clinical content, or work on it, after the patient
    withdrew the consent to processing: a 403 with withheld_line when it
    reaches Django, and, like every refused action, an ActionError whose
    message can be shown as it is."""

    def __init__(self, since: dt.datetime) -> None:
        self.since = since
        self.line = withheld_line(since)
        super().__init__(self.line)


def withheld_since(case: Any) -> dt.datetime | None:
    """The stamp the gate put on `case` (None: not withheld for its reader)."""
    since = getattr(case, WITHHELD_ATTR, None)
    return since if isinstance(since, dt.datetime) else None


def refuse_withheld(case: Any) -> None:
    """Raise ClinicalWithheld when the gate opened `case` for someone who may
    no longer read its clinical content. Every clinical read calls it."""
    since = withheld_since(case)
    if since is not None:
        raise ClinicalWithheld(since)


# -- the documents ---------------------------------------------------------------


def held_reason(when: dt.datetime) -> str:
    """The reason a held document carries (the patient and staff read it)."""
    return (
        f"This file is kept safely (encrypted) but was not read: the patient withdrew "
        f"consent to processing on {on_date(when)}. It will be read if consent is given again."
    )


def is_held_reason(text: object) -> bool:
    """Whether one of a document's (opened) reasons is the hold's. The reasons
    are sealed (they may quote the record), so this is asked of the decrypted
    list in Python, never of the database: the queries find held documents by
    their clear `state`."""
    return isinstance(text, str) and text.startswith("This file is kept safely (encrypted)")


def hold(doc: Document, when: dt.datetime) -> None:
    """Mark one document held (the caller holds its row lock)."""
    doc.state, doc.lease_expires_at = Document.State.HELD, None
    doc.reasons = [*(r for r in doc.reasons if not is_held_reason(r)), held_reason(when)]
    doc.save(update_fields=["state", "lease_expires_at", "reasons"])


def hold_documents(case: Case, when: dt.datetime) -> list[int]:
    """Inside the withdrawal: every document waiting to be read is held. One
    being read is left to its worker, which asks again before it saves."""
    held = []
    # through case.documents, so each row has its case (and key) without a query
    for doc in case.documents.select_for_update().filter(state=Document.State.QUEUED):
        hold(doc, when)
        held.append(doc.pk)
    return held


def release_documents(case: Case) -> list[int]:
    """Inside a new consent to processing: every held document is queued
    again, its held reason gone (the caller enqueues them after the commit)."""
    released = []
    for doc in case.documents.select_for_update().filter(state=Document.State.HELD):
        doc.state = Document.State.QUEUED
        doc.attempts = 0  # a hold is not a failed attempt
        doc.reasons = [r for r in doc.reasons if not is_held_reason(r)]
        doc.save(update_fields=["state", "attempts", "reasons"])
        released.append(doc.pk)
    return released
