"""Steps of the patient's workspace that need a page of their own: withdrawing
the case (a confirmation page, then a POST with an explicit confirm field) and
the request letter as a file (plain text, or the original Markdown).

Views parse and validate; every case comes through the access gate; every
change is an action."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casebridge.web.cases import workflow
from casebridge.web.cases.access import can
from casebridge.web.cases.actions import do_change_status
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.models import Case
from casebridge.web.portal import content
from casebridge.web.portal.case_pages import _gate, audited_attachment, letter_or_404
from casebridge.web.portal.forms import WithdrawCaseForm
from casebridge.web.portal.lib.wording import patient_name, status_text
from casebridge.web.portal.templatetags.portal_tags import letter_plain_text

LETTER_FORMATS = {
    "txt": "text/plain; charset=utf-8",  # plain text, no Markdown marks
    "md": "text/markdown; charset=utf-8",  # the engine's letter as it is
}


def _page(request: HttpRequest, case: Case, tab: str, **extra: Any) -> dict[str, Any]:
    user = request.user
    theirs = "" if case.owner_id == user.pk else patient_name(case)
    return {
        "case": case,
        "tab": tab,
        "status_text": status_text(case, theirs),
        "is_owner": case.owner_id == user.pk,
        "may_upload": can(user, case, "upload"),
        "may_message": can(user, case, "message"),
        "may_consent": can(user, case, "consent"),
        "guidance": content.guidance_for(tab, patient=theirs),
        **extra,
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def withdraw_case(request: AuthedRequest, pk: str) -> HttpResponse:
    """GET: what withdrawing means, and a form to confirm. POST: withdraws only
    with `confirm` ticked (and the case version the patient saw)."""
    case = _gate(request, pk, "consent")
    final = case.status in workflow.TERMINAL
    form = WithdrawCaseForm(
        request.POST if request.method == "POST" else None, initial={"version": case.version}
    )
    if request.method == "POST" and not final and form.is_valid():
        try:
            do_change_status(
                case,
                acting_user=request.user,
                status=workflow.WITHDRAWN,
                expected_version=form.cleaned_data["version"],
                reason="withdrawn by the patient",
                meta=meta_from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your case was withdrawn."))
            return redirect("portal:case", pk=case.pseudonym)
    return render(
        request,
        "portal/withdraw.html",
        _page(request, case, "withdraw", form=form, final=final),
    )


@login_required
@never_cache
@require_GET
def letter_download(request: AuthedRequest, pk: str, slug: str, fmt: str) -> HttpResponse:
    """A request letter as a file: `txt` (plain text to print or paste) or `md`."""
    if fmt not in LETTER_FORMATS:
        raise Http404("No such format")
    case = _gate(request, pk, "view")
    found = letter_or_404(case, slug)
    body = letter_plain_text(found.text) if fmt == "txt" else found.text
    return audited_attachment(request, case, body, LETTER_FORMATS[fmt], f"{slug}.{fmt}")
