"""The pages a first-time user may read before giving any health information:
the privacy notice and the terms of use. Public, no account needed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casebridge.web.portal import content, expect
from casebridge.web.portal.lib.timeline import date_words


def _page(request: HttpRequest, name: str) -> HttpResponse:
    values = {
        "operator": expect.operator_name(),
        "contact": expect.operator_contact(),
        **expect.retention_periods(),
    }
    page = content.legal_page(name, values)
    lang = content.current_lang()
    return render(
        request,
        "portal/legal.html",
        {
            "page": page,
            "name": name,
            # the patient reads the day of the wording, never the version id
            "dated": date_words(page.dated, "day", lang, full=True) if page.dated else "",
        },
    )


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return _page(request, "privacy")


@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    return _page(request, "terms")
