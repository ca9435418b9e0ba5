"""The retention job (issue 10): what is kept no longer than it must be is
erased, by the system, through the erasure an administrator would use
(cases/erasure.py: the case's data key and every row of it, its files; an
enquiry's row and key).

Two rules, each a setting (casebridge/web/settings.py, README):

- a case closed or withdrawn more than RETENTION_DAYS ago (default 8 years:
  the NHS Records Management Code of Practice keeps most adult health records
  8 years after the end of care, and a second opinion is such a record);
- an enquiry that never became a case, untouched for more than
  ENQUIRY_RETENTION_DAYS (default 180 days: long enough for a person to come
  back to it, short because it holds a stranger's contact details and health
  words that never became a case).

Nothing open is ever erased: a case must be in a terminal status (closed,
withdrawn), which nothing leaves, and both rules are asked again under the
row lock just before the erasure. The clock of a case starts at the later of
the status change that ended it and its last change. do_apply_retention runs
from `manage.py apply_retention [--dry-run]` and once a day from the workers
`casebridge serve` runs (serve.py); a dry run lists what would go and erases
nothing. Each erasure is audited with the system as its actor.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from casebridge.web.cases import audit, workflow
from casebridge.web.cases.erasure import erase_case, erase_enquiry
from casebridge.web.cases.models import Case, Enquiry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """One thing the rules say is due for erasure."""

    kind: str  # case | enquiry
    pk: int
    ref: str  # the case's pseudonym, or "enquiry <id>"
    status: str
    since: dt.datetime  # when its retention clock started


@dataclass
class RetentionRun:
    dry_run: bool
    cases_before: dt.datetime
    enquiries_before: dt.datetime
    due: list[Due] = field(default_factory=list)
    erased: list[Due] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What happened, one line each, for the command and the log."""
        verb = "would erase" if self.dry_run else "erased"
        done = self.due if self.dry_run else self.erased
        out = [f"{verb} {d.kind} {d.ref} ({d.status} since {d.since:%Y-%m-%d})" for d in done]
        out.append(
            f"{len(done)} {'to erase (dry run: nothing erased)' if self.dry_run else 'erased'}: "
            "cases closed or "
            f"withdrawn before {self.cases_before:%Y-%m-%d}, enquiries untouched since before "
            f"{self.enquiries_before:%Y-%m-%d}"
        )
        return out


def _ended() -> Coalesce:
    # the status change that ended the case (nothing leaves a terminal status,
    # so its last change is that one), or its creation if none is on record
    return Coalesce(
        Max("audit_events__at", filter=Q(audit_events__action="case.status_changed")),
        "created_at",
    )


def _due_cases(before: dt.datetime) -> QuerySet[Case]:
    return (
        Case.objects.filter(status__in=workflow.TERMINAL)
        .alias(since=Greatest(_ended(), "updated_at"))
        .filter(since__lt=before)
    )


def due_cases(before: dt.datetime) -> list[Due]:
    """Closed or withdrawn cases whose clock started before `before`."""
    rows = (
        _due_cases(before)
        .annotate(ended=Greatest(_ended(), "updated_at"))
        .order_by("ended", "pk")
        .values_list("pk", "pseudonym", "status", "ended")
    )
    return [Due("case", pk, ref, status, since) for pk, ref, status, since in rows]


def due_enquiries(before: dt.datetime) -> list[Due]:
    """Enquiries that never became a case, untouched since before `before`."""
    rows = (
        Enquiry.objects.filter(case__isnull=True, updated_at__lt=before)
        .order_by("updated_at", "pk")
        .values_list("pk", "status", "updated_at")
    )
    return [Due("enquiry", pk, f"enquiry {pk}", status, at) for pk, status, at in rows]


def _still_due(run: RetentionRun, case: Case) -> bool:
    return _due_cases(run.cases_before).filter(pk=case.pk).exists()


def _enquiry_still_due(run: RetentionRun, enquiry: Enquiry) -> bool:
    return enquiry.case_id is None and enquiry.updated_at < run.enquiries_before


def do_apply_retention(*, dry_run: bool = False, now: dt.datetime | None = None) -> RetentionRun:
    """Erase (or, dry_run, only list) every case and enquiry past its
    retention period. The system's act: no acting user; each erasure writes
    its own audit row (case.erased / enquiry.erased, reason "retention")."""
    now = now or timezone.now()
    run = RetentionRun(
        dry_run=dry_run,
        cases_before=now - dt.timedelta(days=settings.RETENTION_DAYS),
        enquiries_before=now - dt.timedelta(days=settings.ENQUIRY_RETENTION_DAYS),
    )
    run.due = [*due_cases(run.cases_before), *due_enquiries(run.enquiries_before)]
    if dry_run:
        return run
    reason = "retention"
    for item in run.due:
        if item.kind == "case":
            # asked again under the row lock: still ended, still past its time
            if erase_case(
                item.pk, actor=None, reason=reason, still=functools.partial(_still_due, run)
            ):
                run.erased.append(item)
        elif erase_enquiry(
            item.pk,
            reason=reason,
            still=functools.partial(_enquiry_still_due, run),
        ):
            run.erased.append(item)
    if run.erased:
        log.warning("retention: erased %d case(s) and enquiries", len(run.erased))
        audit.record(
            None,
            None,
            "retention.applied",
            after={
                "cases": [d.ref for d in run.erased if d.kind == "case"],
                "enquiries": [d.pk for d in run.erased if d.kind == "enquiry"],
                "cases_before": run.cases_before.isoformat(),
                "enquiries_before": run.enquiries_before.isoformat(),
            },
        )
    return run
