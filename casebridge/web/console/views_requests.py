"""The console's record requests: a coordinator closes one (received, or no
longer needed). The view only parses; do_close_record_request changes state
and writes the audit row. The case comes through the access gate, the request
through get_case_object_or_404 on that case."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from casebridge.web.cases.access import get_case_for_user_or_404, get_case_object_or_404
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.models import RecordRequest
from casebridge.web.console.actions import CLOSING_STATES, do_close_record_request
from casebridge.web.console.gate import _meta, console_view
from casebridge.web.console.views_case import _done, _refused


class CloseRecordRequestForm(forms.Form):
    state = forms.ChoiceField(
        choices=[(state.value, state.label) for state in CLOSING_STATES],
        error_messages={
            "required": _("Choose whether the record was received or is no longer needed."),
            "invalid_choice": _("Choose whether the record was received or is no longer needed."),
        },
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Note for staff (optional, never shown to the patient)"),
    )


@require_POST
@console_view
def close_record_request(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "manage")
    record_request = get_case_object_or_404(case, RecordRequest, pk)
    record_request.case = case  # the gate's case: no second load of it
    form = CloseRecordRequestForm(request.POST)
    if not form.is_valid():
        # The buttons always send a state: a form that lacks one was not sent
        # from the page, so the first message says what is wanted.
        message = next(iter(form.errors.values()))[0]
        return _refused(request, ref, ActionError(message), form, "", "close_request")
    try:
        closed = do_close_record_request(
            record_request,
            acting_user=request.user,
            state=form.cleaned_data["state"],
            note=form.cleaned_data["note"],
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "close_request")
    return _done(
        request,
        case,
        (
            gettext(
                "“%(title)s” is closed (received): the patient no longer sees it on their list."
            )
            if closed.state == RecordRequest.State.DONE
            else gettext(
                "“%(title)s” is closed (no longer needed): the patient no longer sees it on their list."
            )
        )
        % {"title": closed.title},
        "requests",
    )
