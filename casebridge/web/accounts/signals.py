"""Audit rows for what allauth signals: a wrong second-factor code."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from casebridge.web.cases import audit


def on_mfa_failed(
    sender: Any, request: HttpRequest, user: Any, reauthentication: bool = False, **kwargs: Any
) -> None:
    audit.record(
        None,
        None,
        "login.mfa_failed",
        obj=user,
        after={"login": getattr(user, "email", ""), "reauthentication": reauthentication},
        meta=audit.meta_from_request(request),
        actor_label="anonymous",
    )
