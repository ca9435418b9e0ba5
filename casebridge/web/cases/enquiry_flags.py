"""A red flag ticked by mistake: the person told to seek care says so, and the
coordinator sees it when they contact them. Shared by the portal (which records
it) and the console (which shows it); the enquiry stays flagged, as only a
coordinator who has spoken to the person may clear it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from casebridge.web.cases import audit
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import NotAllowed
from casebridge.web.cases.models import AuditEvent, Enquiry

MISTAKEN_RED_FLAG = "enquiry.red_flag_mistaken"


def mistake_reported_at(enquiry: Enquiry) -> datetime | None:
    """When the person said their red flag was a mistake (None: they have not)."""
    event = (
        AuditEvent.objects.filter(
            action=MISTAKEN_RED_FLAG, object_type="enquiry", object_id=str(enquiry.pk)
        )
        .order_by("-at")
        .only("at")
        .first()
    )
    return event.at if event is not None else None


def do_report_mistaken_red_flag(
    enquiry: Enquiry, *, acting_user: Any, meta: RequestMeta | None = None
) -> bool:
    """Record, once per enquiry, that the person says the red flag was a mistake
    (an audit row). False when it was already recorded. The enquiry is not
    changed: it stays paused for a coordinator."""
    with transaction.atomic():
        locked = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
        if locked.red_flag_state != Enquiry.RedFlag.FLAGGED:
            raise NotAllowed("This enquiry has no red flag to report as a mistake.")
        if mistake_reported_at(locked) is not None:
            return False
        audit.record(
            acting_user,
            None,
            MISTAKEN_RED_FLAG,
            obj=locked,
            after={"red_flags": list(locked.red_flag_answers or [])},
            meta=meta,
        )
    return True
