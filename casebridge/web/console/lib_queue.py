"""Reads for the console's work queue (no state changes): the cases and open
enquiries waiting for a person, filtered and sorted, and the enquiries flagged red.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases import workflow
from casebridge.web.cases.models import (
    PROGRAMME_CHOICES,
    PROGRAMME_LABELS,
    AuditEvent,
    Case,
    Document,
    Enquiry,
    Message,
    Urgency,
)
from casebridge.web.console.lib_documents import ATTENTION_STATES

# Open enquiries: not yet a case, not turned away.
OPEN_ENQUIRY = (Enquiry.Status.NEW, Enquiry.Status.VERIFIED)
URGENCY_RANK = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.ROUTINE: 2}
STATUS_RANK = {status: index for index, status in enumerate(workflow.STATUSES)}
# Audit actions after which a case waits in its (new) status.
STATUS_EVENTS = ("case.created", "case.status_changed", "case.paused_for_safety")

# The filters' labels, in the reader's language (lazy: translated when shown).
KINDS = (("all", _("Cases and enquiries")), ("cases", _("Cases")), ("enquiries", _("Enquiries")))
SCOPES = (("all", _("Everyone's")), ("mine", _("Assigned to me")), ("unassigned", _("Unassigned")))
SORTS = (
    ("waiting", _("Waiting longest")),
    ("urgency", _("Most urgent")),
    ("status", _("Status")),
    ("programme", _("Programme")),
    ("newest", _("Newest")),
)
STATUS_FILTERS = (
    ("open", _("All open")),
    ("all", _("All, closed too")),
    *[(s, _(workflow.LABELS[s])) for s in workflow.STATUSES],  # marked for translation there
    *[
        (f"enquiry:{s}", format_lazy(_("Enquiry: {}"), _(label)))
        for s, label in Enquiry.Status.choices
    ],
)


@dataclass(frozen=True)
class QueueFilters:
    kind: str = "all"
    status: str = "open"
    programme: str = ""
    urgency: str = ""
    scope: str = "all"
    sort: str = "waiting"

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        """From request.GET; an unknown value falls back to the default."""

        def pick(name: str, allowed: list[str], default: str) -> str:
            value = str(query.get(name, default) or default)
            return value if value in allowed else default

        return cls(
            kind=pick("kind", [k for k, _ in KINDS], "all"),
            status=pick("status", [s for s, _ in STATUS_FILTERS], "open"),
            programme=pick("programme", ["", *dict(PROGRAMME_CHOICES)], ""),
            urgency=pick("urgency", ["", *Urgency.values], ""),
            scope=pick("scope", [s for s, _ in SCOPES], "all"),
            sort=pick("sort", [s for s, _ in SORTS], "waiting"),
        )


@dataclass
class QueueRow:
    kind: str  # case | enquiry
    pk: int
    ref: str
    status: str
    status_label: str
    programme: str
    programme_label: str
    urgency: str
    urgency_label: str
    owner: str
    coordinator: str
    waiting_since: dt.datetime
    created_at: dt.datetime
    red_flag: bool = False
    amber_flag: bool = False  # an amber safety flag no coordinator has reviewed
    attention: int = 0  # documents that need a person
    unanswered: int = 0  # the patient's side's messages since staff last wrote

    @property
    def waiting(self) -> dt.timedelta:
        return timezone.now() - self.waiting_since

    @property
    def waiting_label(self) -> str:
        return waiting_words(self.waiting)


def waiting_words(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return gettext("%(n)d min") % {"n": max(minutes, 0)}
    hours = minutes // 60
    if hours < 48:
        return gettext("%(n)d h") % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def red_flag_enquiries() -> list[Enquiry]:
    """Enquiries whose red-flag screen told the person to seek care now, and
    that no coordinator has cleared yet: always shown first."""
    return list(
        Enquiry.objects.filter(red_flag_state=Enquiry.RedFlag.FLAGGED).order_by("created_at")
    )


def _case_rows(filters: QueueFilters, user: User) -> list[QueueRow]:
    if filters.kind == "enquiries" or filters.status.startswith("enquiry:"):
        return []
    last_move = (
        AuditEvent.objects.filter(case=OuterRef("pk"), action__in=STATUS_EVENTS)
        .values("case")
        .annotate(last=Max("at"))
        .values("last")
    )
    # A subquery, not a join + GROUP BY: grouping would compare every case's whole
    # engine JSON. The queue never shows the JSON (nor the wrapped key): not loaded.
    attention = (
        Document.objects.filter(case=OuterRef("pk"), state__in=ATTENTION_STATES)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The patient's side's messages after staff last wrote on the case.
    last_staff = (
        Message.objects.filter(case=OuterRef("pk"), sender__role__in=STAFF_WRITERS)
        .order_by()
        .values("case")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    unanswered = (
        Message.objects.filter(case=OuterRef("pk"), created_at__gt=OuterRef("last_staff"))
        .exclude(sender__role__in=STAFF_WRITERS)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = (
        Case.objects.select_related("owner", "coordinator")
        .defer("engine", "wrapped_key")
        .annotate(
            last_move=Subquery(last_move),
            attention=Coalesce(Subquery(attention, output_field=IntegerField()), Value(0)),
            last_staff=Coalesce(Subquery(last_staff), Value(NEVER)),
        )
        .annotate(unanswered=Coalesce(Subquery(unanswered, output_field=IntegerField()), Value(0)))
    )
    if filters.status == "open":
        queryset = queryset.exclude(status__in=workflow.TERMINAL)
    elif filters.status != "all":
        queryset = queryset.filter(status=filters.status)
    if filters.programme:
        queryset = queryset.filter(programme=filters.programme)
    if filters.urgency:
        queryset = queryset.filter(urgency=filters.urgency)
    if filters.scope == "mine":
        queryset = queryset.filter(coordinator=user)
    elif filters.scope == "unassigned":
        queryset = queryset.filter(coordinator__isnull=True)
    cases = list(queryset[:1000])
    rows = []
    for case in cases:
        rows.append(
            QueueRow(
                kind="case",
                pk=case.pk,
                ref=case.pseudonym,
                status=case.status,
                status_label=workflow.LABELS.get(case.status, case.status),
                programme=case.programme,
                programme_label=PROGRAMME_LABELS.get(case.programme, case.programme),
                urgency=case.urgency,
                urgency_label=Urgency(case.urgency).label,
                owner=case.owner.display_name,
                coordinator=case.coordinator.display_name if case.coordinator else "",
                waiting_since=case.last_move or case.created_at,
                created_at=case.created_at,
                red_flag=case.status == workflow.PAUSED_SAFETY,
                amber_flag=case.safety_review,
                attention=case.attention,
                unanswered=case.unanswered,
            )
        )
    return rows


# Who answers the patient's side (their messages count as answered after one).
STAFF_WRITERS = (Role.COORDINATOR, Role.ADMIN)
NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _enquiry_rows(filters: QueueFilters) -> list[QueueRow]:
    if filters.kind == "cases" or filters.urgency or filters.scope == "mine":
        return []  # enquiries have no urgency and no coordinator yet
    queryset = Enquiry.objects.filter(case__isnull=True)
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_ENQUIRY)
    elif filters.status.startswith("enquiry:"):
        queryset = queryset.filter(status=filters.status.split(":", 1)[1])
    elif filters.status != "all":
        return []
    if filters.programme:
        queryset = queryset.filter(programme=filters.programme)
    return [
        QueueRow(
            kind="enquiry",
            pk=enquiry.pk,
            ref=f"Enquiry {enquiry.pk}",
            status=enquiry.status,
            status_label=Enquiry.Status(enquiry.status).label,
            programme=enquiry.programme,
            programme_label=PROGRAMME_LABELS.get(enquiry.programme, enquiry.programme),
            urgency="",
            urgency_label="",
            owner=enquiry.full_name,
            coordinator="",
            waiting_since=enquiry.created_at,
            created_at=enquiry.created_at,
            red_flag=enquiry.red_flag_state == Enquiry.RedFlag.FLAGGED,
            amber_flag=any(f.get("level") == "amber" for f in enquiry.safety_flags or []),
        )
        for enquiry in queryset[:1000]
    ]


def queue(filters: QueueFilters, user: User) -> list[QueueRow]:
    """The work queue under `filters`, sorted; safety first within each sort (red,
    then amber)."""
    rows = _case_rows(filters, user) + _enquiry_rows(filters)
    keys = {
        "waiting": lambda r: (r.waiting_since,),
        "urgency": lambda r: (URGENCY_RANK.get(r.urgency, 3), r.waiting_since),
        "status": lambda r: (r.kind != "enquiry", STATUS_RANK.get(r.status, -1), r.waiting_since),
        "programme": lambda r: (r.programme, r.waiting_since),
        "newest": lambda r: (-r.created_at.timestamp(),),
    }
    key = keys[filters.sort]
    return sorted(rows, key=lambda r: (not r.red_flag, not r.amber_flag, *key(r)))


def coordinators() -> list[User]:
    return list(User.objects.filter(role__in=[Role.COORDINATOR, Role.ADMIN], is_active=True))
