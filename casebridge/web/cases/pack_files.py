"""A pack's file as a response, for the console and the patient's preview alike:
read through the gate's case (storage.read_pack_file checks its hash), the read
audited for a person, served as it will be sent (a summary page under a strict
content policy, a PDF inline, the FHIR bundle as a download), never cached."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from casebridge.web.cases import audit, storage
from casebridge.web.cases.access import grant_of
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.models import Case, CasePack, PackFile
from casebridge.web.cases.withdrawal import refuse_withheld

# The summary page carries its own inline CSS and no scripts.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)


def pack_file_or_404(case: Case, number: int, position: int) -> tuple[CasePack, PackFile]:
    refuse_withheld(case)  # staff, once the patient withdrew the consent to processing
    pack = case.packs.filter(number=number).first()
    file = pack.files.filter(position=position).first() if pack else None
    if pack is None or file is None:
        raise Http404("No such file")
    pack.case, file.case = case, case
    return pack, file


def pack_file_response(case: Case, file: PackFile, meta: RequestMeta | None = None) -> HttpResponse:
    data = storage.read_pack_file(case, file)
    grant = grant_of(case)
    if grant is not None and grant.user is not None:
        audit.record(
            grant.user,
            case,
            "pack.file_read",
            obj=file,
            after={"pack": file.pack_id, "position": file.position},
            meta=meta,
        )
    response = HttpResponse(data, content_type=file.media_type)
    filename = f"{case.pseudonym}-{file.name.replace('/', '-')}"
    if file.media_type == "text/html":
        response["Content-Type"] = "text/html; charset=utf-8"
        response["Content-Security-Policy"] = PAGE_CSP
    elif file.media_type == "application/pdf":
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    else:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
