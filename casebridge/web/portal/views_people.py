"""Who may see a case and who did: inviting family, changing or revoking their
permissions, resending an invitation, and the log of who opened the case.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casebridge.web.cases import mail
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.models import Case
from casebridge.web.portal import content, lib
from casebridge.web.portal.actions.family import (
    do_change_member_permissions,
    do_invite_family,
    do_resend_invitation,
    do_revoke_member,
)
from casebridge.web.portal.case_pages import _ctx, _gate
from casebridge.web.portal.forms import (
    ChangeMemberForm,
    InviteForm,
    RevokeMemberForm,
)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def family(request: AuthedRequest, pk: str) -> HttpResponse:
    case = _gate(request, pk, "consent")
    if request.method == "POST" and request.POST.get("action") == "change":
        return _change_member(request, case)
    if request.method == "POST" and request.POST.get("action") == "resend":
        return _resend_invitation(request, case)
    if request.method == "POST" and "member" in request.POST:
        return _revoke_member(request, case)
    form = InviteForm(
        request.POST if request.method == "POST" else None,
        initial={"language": mail.stored_language(translation.get_language())},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_invite_family(
                case,
                acting_user=request.user,
                email=data["email"],
                relationship=data["relationship"],
                can_upload=data["can_upload"],
                can_message=data["can_message"],
                can_approve=data["can_approve"],
                language=data["language"] or mail.stored_language(translation.get_language()),
                name=data["name"],
                site_url=request.build_absolute_uri("/"),
                meta=meta_from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("portal:family", pk=case.pseudonym)
    members = lib.family_members(case)
    return render(
        request, "portal/family.html", _ctx(request, case, "family", form=form, members=members)
    )


def _revoke_member(request: AuthedRequest, case: Case) -> HttpResponse:
    revoke = RevokeMemberForm(request.POST)
    if not revoke.is_valid():
        raise Http404("No such member")
    member = case.members.filter(pk=revoke.cleaned_data["member"], revoked_at__isnull=True).first()
    if member is None:
        raise Http404("No such member")
    try:
        do_revoke_member(
            case, acting_user=request.user, member=member, meta=meta_from_request(request)
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Access removed."))
    return redirect("portal:family", pk=case.pseudonym)


def _resend_invitation(request: AuthedRequest, case: Case) -> HttpResponse:
    resend = RevokeMemberForm(request.POST)  # the same one field: the membership's id
    if not resend.is_valid():
        raise Http404("No such member")
    member = case.members.filter(pk=resend.cleaned_data["member"], revoked_at__isnull=True).first()
    if member is None:
        raise Http404("No such member")
    try:
        do_resend_invitation(
            case,
            acting_user=request.user,
            member=member,
            site_url=request.build_absolute_uri("/"),
            meta=meta_from_request(request),
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new link was sent."))
    return redirect("portal:family", pk=case.pseudonym)


def _change_member(request: AuthedRequest, case: Case) -> HttpResponse:
    change = ChangeMemberForm(request.POST)
    if not change.is_valid():
        raise Http404("No such member")
    data = change.cleaned_data
    member = case.members.filter(pk=data["member"], revoked_at__isnull=True).first()
    if member is None:
        raise Http404("No such member")
    try:
        do_change_member_permissions(
            case,
            acting_user=request.user,
            member=member,
            can_upload=data["can_upload"],
            can_message=data["can_message"],
            can_approve=data["can_approve"],
            meta=meta_from_request(request),
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved: what they may do has changed."))
    return redirect("portal:family", pk=case.pseudonym)


@login_required
@never_cache
@require_GET
def activity(request: AuthedRequest, pk: str) -> HttpResponse:
    """Who opened my case: the audit log, for the patient."""
    case = _gate(request, pk, "consent")
    log = lib.activity(case, request.user, content.current_lang())
    return render(request, "portal/activity.html", _ctx(request, case, "activity", log=log))
