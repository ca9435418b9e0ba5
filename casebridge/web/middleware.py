"""Small middlewares: security headers Django 5.2 does not set itself, the idle
and absolute session limits, the account's language, and the second factor
staff must enrol."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation

LAST_SEEN_KEY = "casebridge_last_seen"
SIGNED_IN_KEY = "casebridge_signed_in"
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


class SessionLimitsMiddleware:
    """Every signed-in session has two limits: idle (no request for
    IDLE_TIMEOUT_SECONDS, STAFF_IDLE_TIMEOUT_SECONDS for coordinators, reviewers
    and admins) and absolute (SESSION_MAX_SECONDS after sign-in, however busy).
    Past either the person is logged out and the request goes on as anonymous,
    so a page that needs a login sends them to it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            idle_limit = (
                settings.STAFF_IDLE_TIMEOUT_SECONDS
                if getattr(user, "is_case_staff", False)
                else settings.IDLE_TIMEOUT_SECONDS
            )
            last_seen = session.get(LAST_SEEN_KEY)
            started = session.get(SIGNED_IN_KEY)
            if started is None:  # a session from before this limit: it starts now
                session[SIGNED_IN_KEY] = started = now
            if (last_seen is not None and now - float(last_seen) > idle_limit) or (
                now - float(started) > settings.SESSION_MAX_SECONDS
            ):
                logout(request)  # flushes the session
                request.session_idle_expired = True  # type: ignore[attr-defined]
            elif last_seen is None or now - float(last_seen) >= LAST_SEEN_RESOLUTION_SECONDS:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)


# The old name (staff were the only ones with an idle limit).
StaffIdleTimeoutMiddleware = SessionLimitsMiddleware


def mark_signed_in(request: HttpRequest) -> None:
    """Start the absolute and idle clocks of a new sign-in (accounts.adapter)."""
    now = time.time()
    request.session[SIGNED_IN_KEY] = now
    request.session[LAST_SEEN_KEY] = now


class AccountLanguageMiddleware:
    """Signed in, every page is in the account's language (preferred_language),
    whichever browser they sign in from: its languages, or the cookie an
    earlier visitor of a shared computer left, do not count. The site's switcher
    changes the account's language (views.set_language), so a switch lasts.
    Signed out, LocaleMiddleware's choice (the switcher's cookie, else the
    browser's languages) stands. The cookie is set to the account's language
    too, so the pages after signing out do not change language under them.

    After SessionLimitsMiddleware (an expired session is signed out first),
    inside LocaleMiddleware (whose response header reads the language chosen)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from casebridge.web.cases.mail import site_language

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        translation.activate(site_language(user.preferred_language))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # the switcher may just have changed it, or they signed out: read again
        user = getattr(request, "user", None)
        language = (
            site_language(user.preferred_language)
            if user is not None and user.is_authenticated
            else None
        )
        name = settings.LANGUAGE_COOKIE_NAME
        if language and request.COOKIES.get(name) != language and name not in response.cookies:
            response.set_cookie(
                name,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


# Where a coordinator, reviewer or admin without a second factor may still go:
# enrolling it, signing out, the login steps, and what every page needs.
MFA_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/login/",
    "/accounts/reauthenticate/",
    "/accounts/confirm-email/",
    "/accounts/password/",
    "/i18n/",
    "/static/",
    "/healthz",
)


class StaffMFAMiddleware:
    """Coordinators, reviewers and admins read every patient's records: until
    they have enrolled a second factor (TOTP) every page but enrolment sends
    them to it. allauth then asks for the code at every sign-in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "is_case_staff", False)
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
        ):
            from casebridge.web.cases.mfa import has_second_factor, remember_second_factor

            if not has_second_factor(user):
                return redirect_to_enrolment(request)
            remember_second_factor(user)  # for the gate, later in this request
        return self.get_response(request)


def redirect_to_enrolment(request: HttpRequest) -> HttpResponse:
    from django.urls import reverse
    from django.utils.http import urlencode

    target = reverse("mfa_activate_totp")
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(target)
