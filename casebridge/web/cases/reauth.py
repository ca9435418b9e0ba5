"""Re-authentication before an action that sends a case abroad.

`require_recent_authentication(request)` raises allauth's
ReauthenticationRequired unless the person proved who they are (a TOTP code
for coordinators, reviewers and admins; a password or a code for others; at
sign-in or on allauth's re-authenticate page) within
settings.ACCOUNT_REAUTHENTICATION_TIMEOUT seconds. allauth's AccountMiddleware
answers it: the POST is kept in the session, the person is sent to
/accounts/reauthenticate/ and, once they have, the kept POST is carried out.
`reauthentication_required` is the same as a view decorator.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Workflow moves that hand the case to a reviewing team abroad.
SENDS_ABROAD = frozenset({"matched", "under_review"})


def recently_authenticated(request: HttpRequest, *, within: int | None = None) -> bool:
    """Whether the signed-in person authenticated (any method) in the last
    `within` seconds (default: settings.ACCOUNT_REAUTHENTICATION_TIMEOUT)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    limit = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT if within is None else within
    records = [r for r in get_authentication_records(request, user) if isinstance(r, dict)]
    if getattr(user, "is_case_staff", False):
        # staff prove it with their second factor, not the password alone
        records = [r for r in records if r.get("method") == "mfa"]
    times = [float(r["at"]) for r in records if "at" in r]
    return bool(times) and time.time() - max(times) < limit


def require_recent_authentication(request: HttpRequest) -> None:
    if not recently_authenticated(request):
        raise ReauthenticationRequired()


def reauthentication_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view that sends a case abroad: it runs only right after the person
    authenticated again."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_recent_authentication(request)
        return view(request, *args, **kwargs)

    return wrapped
