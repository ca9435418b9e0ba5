"""A case's stored documents and the engine's outputs (summaries, checklist,
FHIR, JSON, request letters), as files.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from casebridge.engine.ingest import pdf_active
from casebridge.engine.ingest.sniff import sniff
from casebridge.engine.output import case_json
from casebridge.engine.render.checklist import render_checklist
from casebridge.engine.render.fhir import to_ips_bundle
from casebridge.engine.render.html import render_html
from casebridge.engine.render.pdf import render_pdf
from casebridge.engine.render.requests import render_requests
from casebridge.web.cases import storage
from casebridge.web.cases.access import get_case_for_user_or_404, get_case_object_or_404
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import engine_case, read_engine
from casebridge.web.cases.models import Case, Document
from casebridge.web.console.gate import console_view
from casebridge.web.console.views_case import _render_case

# The engine's summary page carries its own inline CSS and no scripts.
SUMMARY_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

# -- files and outputs -------------------------------------------------------------


@require_GET
@console_view
def document_file(request: AuthedRequest, ref: str, doc: int) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "view", request=request)
    document = get_case_object_or_404(case, Document, doc)
    try:
        data = storage.read_document(case, document)
    except ActionError as error:
        return _render_case(request, case, status=500, error=str(error))
    name, kind = document.file_name, "application/octet-stream"
    if sniff(data[:8192]).handler == "pdf" and not _checked_clean(case, document):
        # Active content (or a PDF not checked for it): staff and reviewers get the pages
        # redrawn as pictures in a limited child (engine/ingest/pdf_active.py); the stored
        # original stays as it is.
        try:
            data = pdf_active.redraw_in_child(data)
        except pdf_active.RedrawError:
            return _render_case(request, case, status=422, error=str(REDRAW_FAILED))
        name, kind = f"{name.removesuffix('.pdf')} (redrawn copy).pdf", "application/pdf"
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = _attachment(name)
    return response


REDRAW_FAILED = _(
    "This PDF holds active content (or could not be checked for it) and a safe copy could not "
    "be made: ask the patient for another copy of the record."
)


def _checked_clean(case: Case, document: Document) -> bool:
    """Whether ingest checked this PDF for active content and found none."""
    read = read_engine(case).engine.document(document.engine_doc_id)
    return read is not None and read.metadata.get("active_content") == ""


def _attachment(name: str, inline: bool = False) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(not inline, name) or "attachment"


@require_GET
@console_view
def case_output(request: AuthedRequest, ref: str, name: str) -> HttpResponse:
    """The engine's outputs for this case, rendered by the engine's renderers."""
    case = get_case_for_user_or_404(request.user, ref, "view", request=request)
    engine = engine_case(case)
    label = case.pseudonym
    if name in {"summary.en.html", "summary.zh.html"}:
        response = HttpResponse(render_html(engine, name.split(".")[1]), "text/html; charset=utf-8")
        response["Content-Security-Policy"] = SUMMARY_CSP
        return response
    if name in {"summary.en.pdf", "summary.zh.pdf"}:
        response = HttpResponse(render_pdf(engine, name.split(".")[1]), "application/pdf")
        response["Content-Disposition"] = _attachment(f"{label}-{name}", inline=True)
        return response
    if name == "checklist.md":
        body, kind = render_checklist(engine), "text/markdown; charset=utf-8"
    elif name == "fhir.json":
        bundle = to_ips_bundle(engine)
        body, kind = json.dumps(bundle, ensure_ascii=False, indent=2), "application/fhir+json"
    elif name == "case.json":
        body, kind = case_json(engine), "application/json"
    elif name.startswith("requests/"):
        letters = render_requests(engine)
        if name not in letters:
            raise Http404("No such letter")
        body, kind = letters[name], "text/markdown; charset=utf-8"
    else:
        raise Http404("No such output")
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = _attachment(f"{label}-{name.replace('/', '-')}")
    return response
