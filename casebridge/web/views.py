"""Views stay thin: parse and validate, call the access gate and an action.
The site-wide ones: the health check, the language switch, and the 403 page
(which says why when it is the patient's withdrawn consent)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults, i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebridge.web.cases import mail
from casebridge.web.cases.withdrawal import ClinicalWithheld


@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - a health check reports, it does not crash
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; for someone signed in, the language chosen is
    also their account's, so their e-mails are written in it."""
    response = i18n.set_language(request)
    code = request.POST.get("language", "")
    user = getattr(request, "user", None)
    if (
        request.method == "POST"
        and user is not None
        and user.is_authenticated
        and code in dict(settings.LANGUAGES)
        and user.preferred_language != mail.stored_language(code)
    ):
        user.preferred_language = mail.stored_language(code)
        user.save(update_fields=["preferred_language"])
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 403 page; for the clinical content of a case whose patient
    withdrew the consent to processing, one plain line saying so, and when."""
    if isinstance(exception, ClinicalWithheld):
        context = {"since": exception.since, "line": exception.line}
        return render(request, "withheld.html", context, status=403)
    return defaults.permission_denied(request, exception or Exception())
