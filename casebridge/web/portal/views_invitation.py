"""The page an invitation's link opens: one page, in the site's layout and the
invitee's language, that says who invited them, to what, and what they will
be able to do. A new account chooses a password (twice) and agrees to the
terms, and is then signed in on the case; an account that has a password
signs in as usual. A link that is expired, used or withdrawn says so plainly
and tells them to ask the patient for a new invitation."""

from __future__ import annotations

from typing import Any

from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from casebridge.web.cases import mail
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import CaseMember
from casebridge.web.portal import invitations
from casebridge.web.portal.actions.family import (
    do_accept_invitation,
    do_record_invitation_opened,
    inviter_name,
)
from casebridge.web.portal.forms import AcceptInvitationForm


def _language(request: HttpRequest, member: CaseMember | None) -> str:
    """The invitee's language (the inviter's, set when the invitation made the
    account), unless this browser has chosen one with the language switch."""
    if member is None or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return mail.site_language(translation.get_language())
    return mail.language_of(member.user)


def _allowed_to(member: CaseMember) -> list[str]:
    """What the patient allowed, in the invitee's words."""
    name = inviter_name(member.case.owner)
    things = [
        _("see %(name)s's case: the records, the questions and, when it is ready, the opinion")
        % {"name": name}
    ]
    if member.can_upload:
        things.append(_("add records: letters, reports, or photos of them"))
    if member.can_message:
        things.append(_("send and read messages with the casebridge coordinator"))
    if member.can_approve:
        things.append(
            _("approve, for %(name)s, what is sent to the reviewing team abroad") % {"name": name}
        )
    return things


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    opened = invitations.open_token(token)
    member = opened.member
    meta = meta_from_request(request)
    with translation.override(_language(request, member)):
        language = translation.get_language()
        if (
            member is not None
            and opened.problem in (invitations.USED, invitations.EXPIRED)
            and request.user.is_authenticated
            and request.user.pk == member.user_id
        ):  # the invitee, signed in, opened the e-mail again: the case is theirs to see
            return redirect("portal:case", pk=member.case.pseudonym)
        if member is None or opened.problem:
            if request.method == "GET":
                do_record_invitation_opened(member, problem=opened.problem, meta=meta)
            return render(
                request,
                "portal/invitation_invalid.html",
                {
                    "problem": opened.problem or invitations.BROKEN,
                    "inviter": inviter_name(member.case.owner) if member is not None else "",
                    "has_account": member is not None and member.user.has_usable_password(),
                    "days": settings.INVITE_LINK_DAYS,
                },
                status=400 if member is None else 410,
            )
        case, invitee = member.case, member.user
        case_url = reverse("portal:case", args=[case.pseudonym])
        if request.user.is_authenticated and request.user.pk == invitee.pk:
            return redirect(case_url)
        context: dict[str, Any] = {
            "inviter": inviter_name(case.owner),
            "caregiver": member.relationship == CaseMember.Relationship.CAREGIVER,
            "allowed_to": _allowed_to(member),
            "email": invitee.email,
        }
        if invitee.has_usable_password():  # an account of their own already: sign in
            if request.method == "GET":
                do_record_invitation_opened(member, meta=meta)
            login_url = f"{reverse('account_login')}?{urlencode({'next': case_url})}"
            return render(
                request,
                "portal/invitation.html",
                {**context, "has_account": True, "login_url": login_url},
            )
        form = AcceptInvitationForm(
            request.POST if request.method == "POST" else None, user=invitee
        )
        if request.method == "GET":
            do_record_invitation_opened(member, meta=meta)
        elif form.is_valid():
            try:
                user = do_accept_invitation(
                    member,
                    password=form.cleaned_data["password1"],
                    language=language,
                    meta=meta,
                )
            except ActionError:  # used or withdrawn since the page was opened
                return render(
                    request,
                    "portal/invitation_invalid.html",
                    {
                        "problem": invitations.USED,
                        "inviter": context["inviter"],
                        "has_account": True,
                    },
                    status=410,
                )
            else:
                messages.success(
                    request,
                    _("Welcome to casebridge. This is %(name)s's case.")
                    % {"name": context["inviter"]},
                )
                response = perform_login(request, user, redirect_url=case_url)
                # the case opens in the language the invitation was read in
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                )
                return response
        return render(request, "portal/invitation.html", {**context, "form": form})
