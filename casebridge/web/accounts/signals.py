"""What allauth signals: a wrong second-factor code (an audit row); a TOTP
enrolled in this session (its code was typed just now: the session notes when)."""

from __future__ import annotations

import time
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


# When this session enrolled a TOTP authenticator (accounts.adapter.signed_in_just_now).
TOTP_ENROLLED_KEY = "casebridge_totp_enrolled_at"


def on_authenticator_added(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    if getattr(authenticator, "type", "") == "totp" and hasattr(request, "session"):
        request.session[TOTP_ENROLLED_KEY] = time.time()
