"""The console's matching section (issue 11, part 2): the ranked, explained
departments for a case ready for review, and the coordinator's choice. The
view only parses; cases.matching.do_choose_direction checks, changes state
and writes the audit row. Choosing prepares a case for sending abroad, so
the coordinator proves who they are again first, as for the status move."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from casebridge.engine.directions import load_directions
from casebridge.web.cases import matching
from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import page_lang
from casebridge.web.cases.reauth import require_recent_authentication
from casebridge.web.console.gate import _meta, console_view
from casebridge.web.console.views_case import _done, _refused


class ChooseDirectionForm(forms.Form):
    direction = forms.CharField(
        max_length=120, error_messages={"required": _("Choose one of the ranked departments.")}
    )
    disciplines = forms.MultipleChoiceField(
        choices=[],
        error_messages={"required": _("Choose at least one MDT discipline.")},
    )
    note = forms.CharField(
        required=False,
        max_length=matching.NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why this department, for the patient (optional; shown to them)"),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, keys: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["disciplines"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - declared above
        field.choices = [(k, k) for k in keys or []]


@require_POST
@console_view
def choose_direction(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "process")
    keys = list(load_directions().disciplines)  # the form's choices: no ranking needed for them
    form = ChooseDirectionForm(request.POST, keys=keys)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return _refused(request, ref, ActionError(message), form, "", "matching")
    try:
        # refused before the second factor is asked for, not after it
        matching.check_choice(
            case,
            direction_id=form.cleaned_data["direction"],
            disciplines=form.cleaned_data["disciplines"],
            note=form.cleaned_data["note"],
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "matching")
    require_recent_authentication(request)  # its POST is kept and carried out afterwards
    try:
        choice = matching.do_choose_direction(
            case,
            acting_user=request.user,
            direction_id=form.cleaned_data["direction"],
            disciplines=form.cleaned_data["disciplines"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["expected_version"],
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "matching")
    name = matching.recipient_name(choice.names, page_lang())
    text = gettext("Department chosen for the case: %(name)s.") % {"name": name}
    return _done(request, case, text, "matching")
