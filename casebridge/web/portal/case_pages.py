"""What every page of the patient's workspace shares: the access gate (a
reviewer abroad never sees these pages), the template context, the page's
role for the fragment cache, and audited, never-cached downloads.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from casebridge.web.accounts.models import Role
from casebridge.web.cases.access import (
    allowed,
    get_case_for_user_or_404,
    grant_of,
)
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import read_engine
from casebridge.web.cases.models import Case
from casebridge.web.portal import content, lib
from casebridge.web.portal.actions.documents import do_record_read

SUMMARY_LANGS = ("en", "zh")


def _gate(request: HttpRequest, pk: str, need: str = "view") -> Case:
    """The patient's and family's pages: a reviewer abroad never sees them (they
    hold the uploaded files and the names); their workspace shows only what was
    sent. 404 for them as for anyone without the need."""
    if getattr(request.user, "role", None) == Role.REVIEWER:
        raise Http404("No such case")
    return get_case_for_user_or_404(request.user, pk, need, request=request)


def _ctx(request: HttpRequest, case: Case, tab: str, **extra: Any) -> dict[str, Any]:
    user = request.user
    # who the pages name for someone who is not the patient ("Alice's records")
    theirs = "" if case.owner_id == user.pk else lib.patient_name(case)
    return {
        "case": case,
        "tab": tab,
        "status_text": lib.status_text(case, theirs),
        "is_owner": case.owner_id == user.pk,
        "patient_name": theirs,
        "may_upload": allowed(user, case, "upload"),
        "may_message": allowed(user, case, "message"),
        "may_consent": allowed(user, case, "consent"),
        "guidance": content.guidance_for(tab, patient=theirs),
        **extra,
    }


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


def audited_attachment(
    request: AuthedRequest,
    case: Case,
    body: bytes | str,
    content_type: str,
    name: str,
    filename: str | None = None,
) -> HttpResponse:
    """A download of the case's data: the read recorded in the audit log (as
    `name`), then the file, never cached."""
    do_record_read(
        case,
        acting_user=request.user,
        action="case.downloaded",
        after={"file": name},
        meta=meta_from_request(request),
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename or name}"'
    return _no_store(response)


def letter_or_404(case: Case, slug: str) -> lib.Letter:
    """The case's ready-to-send request letter `slug` (rendered once per reading)."""
    letters = lib.cached_request_letters(read_engine(case))
    found = next((item for item in letters if item.slug == slug), None)
    if found is None:
        raise Http404("No such letter")
    return found


def _role(request: HttpRequest, case: Case) -> str:
    """Who the page is for (a part of the fragment cache's key)."""
    grant = grant_of(case)
    if case.owner_id == request.user.pk:
        return "owner"
    if grant is not None and grant.staff:
        return "staff"
    return "member"
