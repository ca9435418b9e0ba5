"""Two small middlewares: security headers Django 5.2 does not set itself, and
the idle timeout for staff sessions."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN_KEY = "casebridge_last_seen"
# The last-seen time is saved at most this often: saving it on every request
# would write the session row on every page, and the timeout counts minutes.
LAST_SEEN_RESOLUTION_SECONDS = 30


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response


class StaffIdleTimeoutMiddleware:
    """A staff member (coordinator, reviewer, admin) idle for longer than
    STAFF_IDLE_TIMEOUT_SECONDS is logged out; the request goes on as anonymous,
    so a page that needs a login sends them to it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "is_case_staff", False):
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if (
                last_seen is not None
                and now - float(last_seen) > settings.STAFF_IDLE_TIMEOUT_SECONDS
            ):
                logout(request)  # flushes the session
                request.session_idle_expired = True  # type: ignore[attr-defined]
            elif last_seen is None or now - float(last_seen) >= LAST_SEEN_RESOLUTION_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
