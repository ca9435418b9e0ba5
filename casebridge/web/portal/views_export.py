"""A copy of everything: the patient downloads their whole case as one ZIP
archive (UK GDPR arts. 15 and 20; cases/exports.py makes it)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.exports import do_export_case
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.reauth import require_recent_authentication
from casebridge.web.portal.archive_words import ArchiveWords
from casebridge.web.portal.case_pages import _gate


@login_required
@never_cache
@require_GET
def export(request: AuthedRequest, pk: str) -> StreamingHttpResponse:
    """The patient's own act (the consent need: a relative, staff and anyone
    else get 404; staff export with `manage.py export_case`). It is the whole
    record, so the patient proves who they are again first unless they just
    did (allauth sends them to re-authenticate, then back here). The export is
    recorded before the archive starts; the archive is streamed, never cached."""
    case = _gate(request, pk, "consent")
    require_recent_authentication(request)
    archive = do_export_case(
        case, acting_user=request.user, words=ArchiveWords(), meta=meta_from_request(request)
    )
    response = StreamingHttpResponse(archive.chunks(), content_type="application/zip")
    response["Content-Disposition"] = (
        content_disposition_header(True, archive.filename) or "attachment"
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
