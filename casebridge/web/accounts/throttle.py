"""Failed sign-ins: a progressive delay per account, in the shared cache.

After settings.LOGIN_FREE_ATTEMPTS failures for an e-mail address, each next
try must wait, the wait doubling with every failure up to
settings.LOGIN_MAX_DELAY_SECONDS; the count is forgotten after
LOGIN_FAILURE_WINDOW_SECONDS without a failure, or at a successful sign-in.
There is never a hard lock: at worst one try per ceiling.

A stranger failing against a coordinator's address slows only strangers: a
browser that has signed in to the account before carries a signed device
cookie, and its tries are counted for that device alone (OWASP's "device
cookies"), so the coordinator at their own browser is not slowed at all.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseBase

from casebridge.web.cases.throttle import cache_key

DEVICE_COOKIE = "casebridge_device"
DEVICE_SALT = "casebridge.accounts.device"
DEVICE_MAX_AGE = 180 * 24 * 3600


def delay_after(failures: int) -> int:
    """Seconds a try must wait after `failures` failures in a row."""
    free = settings.LOGIN_FREE_ATTEMPTS
    if failures < free:
        return 0
    return int(min(2 ** (failures - free), settings.LOGIN_MAX_DELAY_SECONDS))


def _user_id_for(email: str) -> int | None:
    from casebridge.web.accounts.models import User

    return User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()


def device_of(request: HttpRequest, email: str) -> str | None:
    """The id of this browser's device cookie when it was issued to the
    account of `email`; None otherwise (a stranger's browser)."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") is None:
        return None
    user_id = _user_id_for(email)
    return str(data.get("d")) if user_id is not None and data["u"] == user_id else None


def _counter(request: HttpRequest, email: str) -> str:
    device = device_of(request, email)
    who = f"device:{device}" if device else f"email:{email.strip().lower()}"
    return cache_key("login-failures", who)


def wait_seconds(request: HttpRequest, email: str) -> int:
    """How long this try must still wait (0: go ahead)."""
    state: dict[str, Any] = cache.get(_counter(request, email)) or {}
    failures, last = int(state.get("n", 0)), float(state.get("at", 0))
    return max(0, int(last + delay_after(failures) - time.time() + 0.999))


def record_failure(request: HttpRequest, email: str) -> int:
    """Count a failed try; returns the failures in a row."""
    key = _counter(request, email)
    state: dict[str, Any] = cache.get(key) or {}
    failures = int(state.get("n", 0)) + 1
    cache.set(
        key, {"n": failures, "at": time.time()}, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS
    )
    return failures


def record_success(request: HttpRequest, user: Any, response: HttpResponseBase | None) -> None:
    """Forget the failures and give this browser its device cookie."""
    email = str(getattr(user, "email", ""))
    cache.delete(_counter(request, email))
    cache.delete(cache_key("login-failures", f"email:{email.lower()}"))
    if response is None:
        return
    device = device_of(request, email) or secrets.token_hex(8)
    value = signing.dumps({"u": user.pk, "d": device}, salt=DEVICE_SALT)
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
