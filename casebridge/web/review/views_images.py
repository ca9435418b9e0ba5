"""The reviewers' image viewers (issue 11, part 5b): Orthanc's web viewer, and
the orthanc-wsi viewer for pathology slides, proxied through casebridge so
that every request passes the access gate. Orthanc itself listens on loopback
only and is never reachable directly.

A viewer is opened on one de-identified series of a sent version
(PackSeries); under its prefix the proxy lets through only the viewer's own
scripts and styles, that series and its instances (a slide: its pyramid and
its tiles): an id of any other series or instance answers 404, like another
case. A slide opens in the WSI viewer only, any other series in the web viewer
only."""

from __future__ import annotations

import re
from collections.abc import Callable

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
# The WSI viewer, paths from Orthanc's root: its four files, the jQuery of
# Orthanc Explorer it loads (../../app/libs/), the pyramid of the series (its
# levels and tile sizes, read by viewer.js) and its tiles (level/column/row).
SLIDE_STATIC = frozenset(
    {
        "wsi/app/viewer.html",
        "wsi/app/viewer.js",
        "wsi/app/ol.js",
        "wsi/app/ol.css",
        "app/libs/jquery.min.js",
    }
)
PYRAMID = re.compile(r"wsi/pyramids/([0-9a-f\-]{20,64})", re.ASCII)
TILE = re.compile(r"wsi/tiles/([0-9a-f\-]{20,64})/\d{1,3}/\d{1,6}/\d{1,6}", re.ASCII)
# OpenLayers draws the tiles on a canvas; the page has an inline style only.
SLIDE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)


def _one_spelling(path: str) -> bool:
    # no "..", ".", empty segment or trailing slash (the audit of an opening
    # keys on the viewer's page)
    return not any(part in ("", ".", "..") for part in path.split("/"))


def _allowed(path: str, series: PackSeries) -> bool:
    if series.slide or not _one_spelling(path):
        return False
    if STATIC.fullmatch(path):
        return True
    match = SERIES.fullmatch(path)
    if match:
        return match.group(1) == series.orthanc_series
    match = INSTANCE.fullmatch(path)
    return match is not None and match.group(1) in set(series.instances)


def _slide_allowed(path: str, series: PackSeries) -> bool:
    if not series.slide or not _one_spelling(path):
        return False
    if path in SLIDE_STATIC:
        return True
    match = PYRAMID.fullmatch(path) or TILE.fullmatch(path)
    return match is not None and match.group(1) == series.orthanc_series


def _proxy(
    request: AuthedRequest,
    ref: str,
    row: int,
    path: str,
    *,
    allowed: Callable[[str, PackSeries], bool],
    orthanc_path: str,
    opening: str,
    csp: str,
) -> HttpResponse:
    opened, assignment = opened_or_404(request, ref)
    series = (
        PackSeries.objects.filter(pk=row, case=opened, pack__state=CasePack.State.SENT)
        .select_related("pack")
        .first()
    )
    if series is None or series.pack.recipient != assignment.direction_id:
        raise Http404("No such series")
    if not allowed(path, series):
        raise Http404("No such image")
    try:
        # no query string passes: the viewers read ?series= in the page itself
        status, headers, content = orthanc.server().raw(orthanc_path)
    except orthanc.OrthancError:
        return HttpResponse("The image server is not answering; try again shortly.", status=503)
    if status >= 400:
        raise Http404("No such image")
    if path == opening:  # one row per opening, not one per tile
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
    response["Content-Security-Policy"] = csp
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@reviewer_view
def viewer(request: AuthedRequest, ref: str, row: int, path: str) -> HttpResponse:
    """Orthanc's web viewer on a series that is not a slide."""
    return _proxy(
        request,
        ref,
        row,
        path,
        allowed=_allowed,
        orthanc_path=f"/web-viewer/{path}",
        opening="app/viewer.html",
        csp=VIEWER_CSP,
    )


@require_GET
@reviewer_view
def slide(request: AuthedRequest, ref: str, row: int, path: str) -> HttpResponse:
    """The WSI viewer on a slide: `path` is from Orthanc's root, so that the
    viewer's relative links (../pyramids/, ../../app/libs/) stay under the prefix."""
    return _proxy(
        request,
        ref,
        row,
        path,
        allowed=_slide_allowed,
        orthanc_path=f"/{path}",
        opening="wsi/app/viewer.html",
        csp=SLIDE_CSP,
    )
