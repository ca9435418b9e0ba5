"""The reviewer's opinion pages (issue 11, part 5): their discipline's opinion,
the lead's team opinion and its signature (after a fresh second factor). The
views only parse; cases.opinions checks, changes state and writes the audit."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casebridge.web.cases import opinions
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.reauth import require_recent_authentication
from casebridge.web.review.forms import DisciplineOpinionForm, TeamOpinionForm
from casebridge.web.review.views import opened_or_404, render_case, reviewer_view


def _back(ref: str, anchor: str) -> HttpResponse:
    return redirect(reverse("review:case", args=[ref]) + f"#{anchor}")


@require_POST
@reviewer_view
def my_opinion(request: AuthedRequest, ref: str) -> HttpResponse:
    opened, _assignment = opened_or_404(request, ref)
    form = DisciplineOpinionForm(request.POST, auto_id="mine-%s")
    if not form.is_valid():
        return render_case(
            request, opened, error=_("Check the form."), bound={"mine": form}, status=400
        )
    submit = request.POST.get("submit") == "1"
    try:
        opinions.do_save_discipline_opinion(
            opened,
            acting_user=request.user,
            fields=form.cleaned_data,
            submit=submit,
            meta=meta_from_request(request),
        )
    except ActionError as error:
        return render_case(request, opened, error=str(error), bound={"mine": form}, status=400)
    messages.success(request, _("Submitted.") if submit else _("Saved."))
    return _back(opened.pseudonym, "mine")


@require_POST
@reviewer_view
def team_opinion(request: AuthedRequest, ref: str) -> HttpResponse:
    opened, _assignment = opened_or_404(request, ref)
    form = TeamOpinionForm(request.POST, auto_id="team-%s")
    if not form.is_valid():
        return render_case(
            request, opened, error=_("Check the form."), bound={"team": form}, status=400
        )
    data = form.cleaned_data
    try:
        opinions.do_save_opinion_draft(
            opened,
            acting_user=request.user,
            fields=data,
            language=data["language"],
            amend_reason=data["amend_reason"],
            meta=meta_from_request(request),
        )
    except ActionError as error:
        return render_case(request, opened, error=str(error), bound={"team": form}, status=400)
    messages.success(request, _("Saved. Read it again, then sign it."))
    return _back(opened.pseudonym, "team")


@require_POST
@reviewer_view
def sign(request: AuthedRequest, ref: str, number: int) -> HttpResponse:
    opened, _assignment = opened_or_404(request, ref)
    try:
        version = int(request.POST.get("expected_version", ""))
    except ValueError:
        return render_case(request, opened, error=_("Reload the page and try again."), status=400)
    # refused before the second factor is asked for, not after it
    draft = opinions.draft_of(opened)
    if draft is None or draft.number != number:
        return render_case(
            request,
            opened,
            error=_("This version is signed already, or no longer the draft: reload the page."),
            status=400,
        )
    require_recent_authentication(request)  # its POST is kept and carried out afterwards
    try:
        opinions.do_sign_opinion(
            opened,
            acting_user=request.user,
            number=number,
            expected_version=version,
            seen=request.POST.get("seen", ""),  # what the lead read is what is signed
            link=request.build_absolute_uri(reverse("console:case", args=[opened.pseudonym])),
            meta=meta_from_request(request),
        )
    except ActionError as error:
        return render_case(request, opened, error=str(error), status=400)
    messages.success(request, _("Signed. The coordinator has been told the opinion is ready."))
    return _back(opened.pseudonym, "signed")
