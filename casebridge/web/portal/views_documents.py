"""A case's records in the patient's workspace: uploading, the list, a
document's text and original, a fact's source, and flagging a wrong type.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebridge.engine.ingest.sniff import sniff
from casebridge.web.cases import storage
from casebridge.web.cases.access import allowed, get_case_object_or_404
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError, StorageError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import read_engine
from casebridge.web.cases.models import Case, Document
from casebridge.web.portal import content, lib
from casebridge.web.portal.actions.documents import (
    do_flag_document_type,
    do_record_read,
    do_upload_documents,
    flagged_document_ids,
    has_processing_consent,
)
from casebridge.web.portal.case_pages import (
    _ctx,
    _gate,
    _no_store,
    _role,
)
from casebridge.web.portal.forms import FlagTypeForm


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def documents(request: AuthedRequest, pk: str) -> HttpResponse:
    """The records: upload several at once (drag and drop, camera) and their states."""
    if request.method == "POST":
        return _upload(request, pk)
    case = _gate(request, pk)
    flagged = flagged_document_ids(case)
    rows = lib.document_rows(case, flagged)
    return render(
        request,
        "portal/documents.html",
        _ctx(
            request,
            case,
            "upload",
            documents=rows,
            list_status=lib.list_status(rows, flagged),
            flag_form=FlagTypeForm(lang=content.current_lang()),
            consent_given=has_processing_consent(case),
            max_mb=_max_mb(),
            record_requests=lib.open_record_requests(case),
        ),
    )


def _max_mb() -> int:
    from django.conf import settings

    return int(settings.MAX_UPLOAD_BYTES // (1024 * 1024))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _upload(request: AuthedRequest, pk: str) -> HttpResponse:
    case = _gate(request, pk, "upload")
    files = request.FILES.getlist("files") + request.FILES.getlist("camera")
    if not files:
        error = _("Choose at least one file to add.")
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": error}, status=400)
        messages.error(request, error)
        return redirect("portal:documents", pk=case.pseudonym)
    try:
        results = do_upload_documents(
            case,
            acting_user=request.user,
            files=[(f.name or "unnamed", f.size or 0, f.read) for f in files],
            meta=meta_from_request(request),
        )
    except ActionError as error:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": str(error)}, status=400)
        messages.error(request, str(error))
        return redirect("portal:documents", pk=case.pseudonym)
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": all(r.document is not None for r in results),
                "files": [
                    {
                        "name": r.file_name,
                        "added": r.document is not None,
                        "duplicate": r.duplicate,
                        "error": r.error,
                    }
                    for r in results
                ],
            },
            status=200
            if any(r.document for r in results) or all(r.duplicate for r in results)
            else 400,
        )
    for result in results:
        if result.document is not None:
            messages.success(request, _("'%(name)s' was added.") % {"name": result.file_name})
        else:
            messages.error(request, result.error)
    return redirect("portal:documents", pk=case.pseudonym)


@login_required
@never_cache
@require_GET
def document_list(request: AuthedRequest, pk: str) -> HttpResponse:
    """The document table alone, for htmx polling while documents are waiting
    or being read (and after an upload). The poll sends the key of the list it
    shows (?seen=): while nothing has changed the answer is 204, which htmx
    leaves as it is, so the page does not flicker and a screen reader hears
    nothing new; a change swaps the list and its status (read out politely).
    A list with nothing left to read carries no polling attribute: it stops."""
    case = _gate(request, pk)
    flagged = flagged_document_ids(case)
    rows = lib.document_rows(case, flagged)
    status = lib.list_status(rows, flagged)
    if request.GET.get("seen") == status.key:
        return HttpResponse(status=204)
    return render(
        request,
        "portal/_document_list.html",
        {
            "case": case,
            "documents": rows,
            "list_status": status,
            "fragment": True,
            "flag_form": FlagTypeForm(lang=content.current_lang()),
            "may_upload": allowed(request.user, case, "upload"),
        },
    )


@login_required
@never_cache
@require_GET
def document_text(request: AuthedRequest, pk: str, doc: int) -> HttpResponse:
    """The text casebridge read from a document, page by page."""
    case = _gate(request, pk)
    document = get_case_object_or_404(case, Document, doc)
    engine = read_engine(case).engine
    parts = lib.engine_documents_of(case, document, engine)
    part_index = _int(request.GET.get("part"), 0)
    if not parts:
        view = None
    else:
        part = parts[min(max(part_index, 0), len(parts) - 1)]
        view = lib.page_view(engine, part.id, _int(request.GET.get("page"), 1))
    do_record_read(
        case,
        acting_user=request.user,
        action="document.read",
        obj=document,
        after={"what": "text"},
        meta=meta_from_request(request),
    )
    return render(
        request,
        "portal/document_text.html",
        _ctx(
            request,
            case,
            "documents",
            document=document,
            row=lib.document_row(document, content.current_lang()),
            may_open_original=_may_open_original(request, case),
            view=view,
            fact=None,
            parts=parts,
            part_index=part_index,
        ),
    )


def _may_open_original(request: HttpRequest, case: Case) -> bool:
    """The patient and their family open the files they sent; staff open them
    from the console (which redraws a PDF with active content), and a reviewer
    abroad never reaches the portal."""
    return _role(request, case) in ("owner", "member")


# what a browser may show in the page rather than download: no HTML, no SVG
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})


@login_required
@never_cache
@require_GET
def document_original(request: AuthedRequest, pk: str, doc: int) -> HttpResponse:
    """The file the patient (or their family) uploaded, as it was sent: shown
    in the browser for a PDF checked free of active content and for a photo,
    otherwise downloaded; never cached, never sniffed, the read audited."""
    case = _gate(request, pk)
    if not _may_open_original(request, case):
        raise Http404("No such document")
    document = get_case_object_or_404(case, Document, doc)
    try:
        data = storage.read_document(
            case, document, after={"what": "original"}, meta=meta_from_request(request)
        )
    except StorageError:
        messages.error(
            request,
            _(
                "Sorry, your original file could not be opened. Please send your coordinator a message."
            ),
        )
        return redirect("portal:document_text", pk=case.pseudonym, doc=document.pk)
    kind = sniff(data[:8192]).media_type
    inline = kind in INLINE_TYPES and (kind != "application/pdf" or _checked_clean(case, document))
    response = HttpResponse(data, content_type=kind if inline else "application/octet-stream")
    response["Content-Disposition"] = (
        content_disposition_header(not inline, document.file_name or "document") or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)


def _checked_clean(case: Case, document: Document) -> bool:
    """Whether ingest checked this PDF for active content and found none (else
    it is downloaded, not opened in the page)."""
    ids = document.engine_doc_ids or ([document.engine_doc_id] if document.engine_doc_id else [])
    read = read_engine(case).engine.document(ids[0]) if ids else None
    return read is not None and read.metadata.get("active_content") == ""


@login_required
@never_cache
@require_GET
def fact_source(request: AuthedRequest, pk: str, fact_id: str) -> HttpResponse:
    """A fact and where it came from: its page with the words highlighted."""
    case = _gate(request, pk)
    reading = read_engine(case)
    engine = reading.engine
    fact = lib.find_fact(engine, fact_id)
    if fact is None:
        raise Http404("No such fact")
    view = None
    document = None
    if fact.source is not None:
        src = fact.source
        view = lib.page_view(engine, src.document_id, src.page, src.start, src.end)
        document = lib.platform_document(case, src.document_id)
        do_record_read(
            case,
            acting_user=request.user,
            action="document.read",
            obj=document,
            after={"what": "fact source", "fact_id": fact.id},
            meta=meta_from_request(request),
        )
    row = next((r for r in lib.cached_fact_rows(reading) if r.id == fact.id), None)
    return render(
        request,
        "portal/document_text.html",
        _ctx(
            request,
            case,
            "home",
            document=document,
            view=view,
            fact=row,
            parts=[],
            part_index=0,
            flag_form=None,
        ),
    )


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_POST
def flag_document(request: AuthedRequest, pk: str, doc: int) -> HttpResponse:
    case = _gate(request, pk, "upload")
    document = get_case_object_or_404(case, Document, doc)
    form = FlagTypeForm(request.POST, lang=content.current_lang())
    if not form.is_valid():
        messages.error(request, _("Choose a kind of document from the list."))
    else:
        try:
            do_flag_document_type(
                case,
                acting_user=request.user,
                document=document,
                note=form.cleaned_data["note"],
                suggested_type=form.cleaned_data["doc_type"],
                meta=meta_from_request(request),
            )
        except ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Thank you. A coordinator will check the type of this document.")
            )
    return redirect("portal:documents", pk=case.pseudonym)
