"""The reviewers' image viewer (issue 11, part 5b): Orthanc's web viewer,
proxied through casebridge so that every request passes the access gate.
Orthanc itself listens on loopback only and is never reachable directly.

A viewer is opened on one de-identified series of a sent version
(PackSeries); under its prefix the proxy lets through only the viewer's own
scripts and styles, that series and its instances: an id of any other series
or instance answers 404, like another case."""

from __future__ import annotations

import re

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from casebridge.web.cases import audit, orthanc
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.models import CasePack, PackSeries
from casebridge.web.review.views import opened_or_404, reviewer_view

# the viewer's own files (no patient data in them)
STATIC = re.compile(r"(?:app|libs)/[A-Za-z0-9_.\-/]+", re.ASCII)
SERIES = re.compile(r"(?:series|is-stable-series)/([0-9a-f\-]{20,64})", re.ASCII)
INSTANCE = re.compile(r"instances/[a-z0-9]+-([0-9a-f\-]{20,64})_\d+", re.ASCII)
# The viewer (cornerstone) decodes in the page and uses inline handlers.
VIEWER_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def _allowed(path: str, series: PackSeries) -> bool:
    # one spelling per file: no "..", ".", empty segment or trailing slash (the
    # audit of an opening keys on app/viewer.html)
    if any(part in ("", ".", "..") for part in path.split("/")):
        return False
    if STATIC.fullmatch(path):
        return True
    match = SERIES.fullmatch(path)
    if match:
        return match.group(1) == series.orthanc_series
    match = INSTANCE.fullmatch(path)
    return match is not None and match.group(1) in set(series.instances)


@require_GET
@reviewer_view
def viewer(request: AuthedRequest, ref: str, row: int, path: str) -> HttpResponse:
    opened, assignment = opened_or_404(request, ref)
    series = (
        PackSeries.objects.filter(pk=row, case=opened, pack__state=CasePack.State.SENT)
        .select_related("pack")
        .first()
    )
    if series is None or series.pack.recipient != assignment.direction_id:
        raise Http404("No such series")
    if not _allowed(path, series):
        raise Http404("No such image")
    try:
        # no query string passes: the viewer reads ?series= in the page itself
        status, headers, content = orthanc.server().raw(f"/web-viewer/{path}")
    except orthanc.OrthancError:
        return HttpResponse("The image server is not answering; try again shortly.", status=503)
    if status >= 400:
        raise Http404("No such image")
    if path == "app/viewer.html":  # one row per opening, not one per tile
        audit.record(
            request.user,
            opened,
            "images.opened",
            obj=series,
            after={"pack": series.pack.number, "modality": series.modality},
            meta=meta_from_request(request),
        )
    response = HttpResponse(
        content, content_type=headers.get("Content-Type", "application/octet-stream")
    )
    response["Content-Security-Policy"] = VIEWER_CSP
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
