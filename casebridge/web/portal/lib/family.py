"""The people the patient invited, as their family page lists them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from casebridge.web.cases.models import (
    AuditEvent,
    Case,
)
from casebridge.web.portal.lib.wording import RELATIONSHIP_TEXT

# -- the people the patient invited --------------------------------------------------------


@dataclass
class MemberRow:
    """Someone the patient invited, as their family page lists them: what they
    may do, and whether they have accepted (when) or the invitation waits (sent
    when, its link working until when)."""

    pk: int
    email: str
    relationship: Any
    allowed: str  # "can view, add records" in the page's language
    name: str = ""  # their name, when the patient or they gave one
    can_upload: bool = False
    can_message: bool = False
    can_approve: bool = False
    invited_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    @property
    def expired(self) -> bool:
        return (
            self.accepted_at is None
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )


def family_members(case: Case) -> list[MemberRow]:
    """The case's family and caregivers whose access stands, oldest first, with
    what each may do in the page's language and where their invitation stands:
    accepted when they chose their password or, with an account of their own,
    first opened the case after being invited. Two queries."""
    members = list(
        case.members.select_related("user")
        .filter(revoked_at__isnull=True)
        .order_by("created_at", "pk")
    )
    invited: dict[str, dt.datetime] = {}
    accepted: dict[str, dt.datetime] = {}
    first_read: dict[int, list[dt.datetime]] = {}
    if members:
        events = AuditEvent.objects.filter(case=case).filter(
            Q(
                action__in=[
                    "member.invited",
                    "member.invitation_resent",
                    "member.invitation_accepted",
                ]
            )
            | Q(action="case.read", actor_id__in=[m.user_id for m in members])
        )
        for action, object_id, actor_id, at in events.order_by("at", "pk").values_list(
            "action", "object_id", "actor_id", "at"
        ):
            if action in ("member.invited", "member.invitation_resent"):
                invited[object_id] = at  # the latest link sent counts
            elif action == "member.invitation_accepted":
                accepted.setdefault(object_id, at)
            else:
                first_read.setdefault(actor_id, []).append(at)
    days = dt.timedelta(days=int(settings.INVITE_LINK_DAYS))
    rows = []
    for member in members:
        allowed = [gettext("can view")]
        if member.can_upload:
            allowed.append(gettext("add records"))
        if member.can_message:
            allowed.append(gettext("send messages"))
        if member.can_approve:
            allowed.append(gettext("approve what is sent"))
        sent = invited.get(str(member.pk), member.created_at)
        took = accepted.get(str(member.pk))
        if took is None or took < sent:
            took = next((at for at in first_read.get(member.user_id, []) if at >= sent), None)
        rows.append(
            MemberRow(
                pk=member.pk,
                email=member.user.email,
                relationship=RELATIONSHIP_TEXT.get(member.relationship, member.relationship),
                allowed=pgettext("between the items of a list", ", ").join(allowed),
                name=member.user.full_name,
                can_upload=member.can_upload,
                can_message=member.can_message,
                can_approve=member.can_approve,
                invited_at=sent,
                accepted_at=took,
                expires_at=sent + days,
            )
        )
    return rows
