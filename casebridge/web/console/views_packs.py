"""The console's pack section (issue 11, part 3): prepare a version of the pack
for the chosen department, look at its files, send the version the patient
approved (after a fresh second factor: it leaves the country). The views only
parse; cases.packs checks, changes state and writes the audit rows."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from casebridge.web.cases import packs
from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.pack_files import pack_file_or_404, pack_file_response
from casebridge.web.cases.reauth import require_recent_authentication
from casebridge.web.console.gate import _meta, console_view
from casebridge.web.console.views_case import _done, _refused


class PackForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)


class SendPackForm(PackForm):
    # the coordinator's own look at every page's redaction, before it leaves
    checked = forms.BooleanField(required=False)


@require_POST
@console_view
def prepare_pack(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "process")
    form = PackForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, ref, ActionError(gettext("Reload the case and try again.")), form, "", "pack"
        )
    try:
        pack = packs.do_prepare_pack(
            case,
            acting_user=request.user,
            expected_version=form.cleaned_data["expected_version"],
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "pack")
    return _done(
        request,
        case,
        gettext("Version %(n)s of the pack is being prepared.") % {"n": pack.number},
        "pack",
    )


@require_POST
@console_view
def send_pack(request: AuthedRequest, ref: str, number: int) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "process")
    form = SendPackForm(request.POST)
    pack = case.packs.filter(number=number).first()
    if not form.is_valid() or pack is None:
        return _refused(
            request, ref, ActionError(gettext("Reload the case and try again.")), form, "", "pack"
        )
    require_recent_authentication(request)  # its POST is kept and carried out afterwards
    pack.case = case
    try:
        packs.do_send_pack(
            pack,
            acting_user=request.user,
            expected_version=form.cleaned_data["expected_version"],
            checked=form.cleaned_data["checked"],
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "pack")
    return _done(
        request, case, gettext("Version %(n)s of the pack was sent.") % {"n": pack.number}, "pack"
    )


@require_GET
@console_view
def pack_file(request: AuthedRequest, ref: str, number: int, position: int) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "view")
    _pack, file = pack_file_or_404(case, number, position)
    return pack_file_response(case, file, _meta(request))
