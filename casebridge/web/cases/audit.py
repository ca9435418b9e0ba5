"""Writing audit rows. Called by the gate (reads) and by every action (changes),
inside the action's transaction, so a change and its audit row commit or roll
back together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import HttpRequest

from casebridge.web.cases.clientip import client_ip
from casebridge.web.cases.models import AuditEvent, Case


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
    return AuditEvent.objects.create(
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
        user_agent=meta.user_agent if meta else "",
    )
