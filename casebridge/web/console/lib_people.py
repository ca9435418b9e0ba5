"""Reads for the case page's people section (no state changes): who may see
the case, with what permissions, and the consents given or withdrawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from casebridge.web.cases.models import (
    AuditEvent,
    Case,
    Consent,
)
from casebridge.web.console.lib_case import RELATIONSHIP_WORDS

# -- who may see the case, and the consents ---------------------------------------------

PERMISSION_WORDS = (
    ("can_view", _("records")),
    ("can_upload", _("uploads")),
    ("can_message", _("messages")),
    ("can_approve", _("approves the pack")),
)
CONSENT_WORDS = {
    Consent.Kind.PROCESSING_ART9: _("Processing consent"),
    Consent.Kind.TRANSFER_ABROAD: _("Transfer abroad"),
}


@dataclass
class MemberLine:
    name: str
    relationship: Any
    permissions: str
    accepted_at: dt.datetime | None
    invited_at: dt.datetime
    revoked_at: dt.datetime | None
    has_account: bool


@dataclass
class ConsentLine:
    kind: str
    label: Any
    given: Any  # the Consent in force, or None
    withdrawn: Any  # the latest withdrawn one when none is in force


def people_section(case: Case) -> dict[str, Any]:
    """The overview's "Family and consents": each invited person with what they
    may do and when they accepted; each consent given (when, by whom) or not.
    Three queries, however many people and consents."""
    members = list(case.members.select_related("user").order_by("created_at", "pk"))
    accepted = dict(
        AuditEvent.objects.filter(
            case=case, action="member.invitation_accepted", object_type="casemember"
        )
        .order_by("at")
        .values_list("object_id", "at")
    )
    lines = [
        MemberLine(
            name=m.user.display_name,
            relationship=RELATIONSHIP_WORDS.get(m.relationship, m.relationship),
            permissions=", ".join(str(word) for attr, word in PERMISSION_WORDS if getattr(m, attr)),
            accepted_at=accepted.get(str(m.pk)),
            invited_at=m.created_at,
            revoked_at=m.revoked_at,
            has_account=m.user.has_usable_password(),
        )
        for m in members
    ]
    consents = list(case.consents.select_related("given_by", "withdrawn_by"))
    shown = []
    for kind, label in CONSENT_WORDS.items():
        of_kind = [c for c in consents if c.kind == kind]
        given = next((c for c in reversed(of_kind) if c.withdrawn_at is None), None)
        withdrawn = None if given else next(reversed(of_kind), None)
        shown.append(ConsentLine(kind=kind, label=label, given=given, withdrawn=withdrawn))
    return {"members": lines, "consents": shown}
