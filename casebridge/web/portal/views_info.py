"""The pages a first-time user may read before giving any health information:
the privacy notice and the terms of use. Public, no account needed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casebridge.web.portal import content, expect


def _page(request: HttpRequest, name: str) -> HttpResponse:
    values = {
        "operator": expect.operator_name(),
        "contact": expect.operator_contact()
        or _("through your coordinator, in your case’s messages"),
    }
    return render(
        request,
        "portal/legal.html",
        {"page": content.legal_page(name, values), "name": name},
    )


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return _page(request, "privacy")


@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    return _page(request, "terms")
