"""Staff notes and messages to the patient's side, from the case page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.actions import do_add_note
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.messaging import do_post_message
from casebridge.web.cases.models import Case
from casebridge.web.console.forms import MessageForm, NoteForm
from casebridge.web.console.gate import _meta, console_view
from casebridge.web.console.views_case import (
    _done,
    _invalid,
    _refused,
)


@require_POST
@console_view
def add_note(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "manage")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "note")
    try:
        do_add_note(
            case,
            acting_user=request.user,
            body=form.cleaned_data["body"],
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "note")
    return _done(request, case, gettext("Note added (staff only)."), "notes")


@require_POST
@console_view
def send_message(request: AuthedRequest, ref: str) -> HttpResponse:
    """A coordinator answers the patient's side: the patient and the family who
    may message are e-mailed a link to the portal's messages (a link only)."""
    case = get_case_for_user_or_404(request.user, ref, "manage")
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "message")
    try:
        do_post_message(
            case,
            acting_user=request.user,
            body=form.cleaned_data["body"],
            link=_portal_messages_link(request, case),
            console_link=request.build_absolute_uri(
                reverse("console:case", args=[case.pseudonym]) + "?section=messages#messages"
            ),
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "message")
    return _done(request, case, gettext("Message sent to the patient's side."), "messages")


def _portal_messages_link(request: HttpRequest, case: Case) -> str:
    """The portal's page of the case's messages, for the patient's e-mail (by
    its URL name: the apps never import one another); "" without a portal."""
    try:
        path = reverse("portal:messages", kwargs={"pk": case.pseudonym})
    except NoReverseMatch:
        return ""
    return request.build_absolute_uri(path)
