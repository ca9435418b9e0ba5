"""A case's outputs for the patient: the summary page, the downloads and the
request letters.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from casebridge.web.cases.http import AuthedRequest
from casebridge.web.portal import lib
from casebridge.web.portal.case_pages import (
    SUMMARY_LANGS,
    _ctx,
    _gate,
    _no_store,
    audited_attachment,
    letter_or_404,
)
from casebridge.web.portal.templatetags.portal_tags import letter_plain_text

# The engine's summary page carries its own inline CSS and no scripts.
SUMMARY_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

# -- outputs -----------------------------------------------------------------------


@login_required
@never_cache
@require_GET
@xframe_options_sameorigin
def summary_page(request: AuthedRequest, pk: str, lang: str) -> HttpResponse:
    """The engine's summary page as it is (its own inline styles, no scripts),
    shown inside the site's preview page (views_sections.summary_preview) and
    framed by nothing else."""
    if lang not in SUMMARY_LANGS:
        raise Http404("No such language")
    case = _gate(request, pk)
    html = lib.summary_html(case, lang)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = SUMMARY_CSP
    return _no_store(response)


@login_required
@never_cache
@require_GET
def download(request: AuthedRequest, pk: str, name: str) -> HttpResponse:
    """summary-en.pdf, summary-zh.pdf, fhir.json: rendered by the engine, audited."""
    case = _gate(request, pk)
    if name in ("summary-en.pdf", "summary-zh.pdf"):
        body: bytes | str = lib.summary_pdf(case, name[8:10])
        content_type = "application/pdf"
    elif name == "fhir.json":
        body, content_type = lib.fhir_json(case), "application/fhir+json; charset=utf-8"
    else:
        raise Http404("No such download")
    return audited_attachment(
        request, case, body, content_type, name, filename=f"{case.pseudonym}-{name}"
    )


@login_required
@never_cache
@require_GET
def letter(request: AuthedRequest, pk: str, slug: str) -> HttpResponse:
    """A ready-to-send request letter: to read and copy, or to download."""
    case = _gate(request, pk)
    found = letter_or_404(case, slug)
    if request.GET.get("download"):
        return audited_attachment(
            request, case, letter_plain_text(found.text), "text/plain; charset=utf-8", f"{slug}.txt"
        )
    return render(request, "portal/letter.html", _ctx(request, case, "checklist", letter=found))
