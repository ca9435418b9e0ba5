"""The patient's preview of exactly what would be sent to the department abroad,
and their approval of that version (issue 11, part 3); then the team's opinion
that comes back (part 5). Every file opens here as
it will be sent; approving names the version's hash, so a version prepared
after they looked cannot be approved by mistake."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casebridge.engine.terminology import label
from casebridge.web.cases import matching, opinions, packs
from casebridge.web.cases.access import allowed
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import can_share_abroad
from casebridge.web.cases.models import CasePack
from casebridge.web.cases.pack_files import pack_file_or_404, pack_file_response
from casebridge.web.portal import content
from casebridge.web.portal.case_pages import _ctx, _gate


class ApproveForm(forms.Form):
    sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        required=True,
        error_messages={"required": gettext_lazy("Tick the box to confirm you have looked at it.")},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def pack(request: AuthedRequest, pk: str) -> HttpResponse:
    case = _gate(request, pk)
    lang = content.current_lang()
    current = packs.current_pack(case)
    form = ApproveForm(initial={"sha256": current.sha256 if current else ""})
    if request.method == "POST" and "share_name" in request.POST:
        return _share_name(request, pk)
    if request.method == "POST":
        case = _gate(request, pk, "approve")
        form = ApproveForm(request.POST)
        if current is None:
            messages.error(request, _("Nothing was changed."))
        elif form.is_valid():
            current.case = case
            try:
                packs.do_approve_pack(
                    current,
                    acting_user=request.user,
                    sha256=form.cleaned_data["sha256"],
                    meta=meta_from_request(request),
                )
            except ActionError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("Thank you. Your coordinator can now send this version, and only this one."),
                )
                return redirect("portal:pack", pk=case.pseudonym)
    recipient = matching.consent_recipient(case, lang)
    if current is not None and (recipient is None or recipient["id"] != current.recipient):
        # the version names who it was made for, whatever is chosen now
        name = matching.recipient_names(lang).get(current.recipient, current.recipient)
        recipient = {"id": current.recipient, "name": name}
    files = list(current.files.all()) if current else []
    manifest = {f["name"]: f for f in (current.manifest if current else {}).get("files", [])}
    key = "zh" if lang.startswith("zh") else "en"
    rows, number = [], 0
    for f in files:
        about = dict(manifest.get(f.name, {}))
        if about.get("role") == "original":
            number += 1
            about["number"] = number
            about["type"] = label(f"doc_type.{about.get('doc_type', 'other')}", key)
        rows.append((f, about))
    return render(
        request,
        "portal/pack.html",
        _ctx(
            request,
            case,
            "pack",
            pack=current,
            files=rows,
            recipient=recipient,
            consented=recipient is not None and can_share_abroad(case, recipient["id"]),
            may_approve=allowed(request.user, case, "approve"),
            ready=current is not None and current.state == CasePack.State.READY,
            form=form,
            sent=packs.sent_packs(case),
        ),
    )


def _share_name(request: AuthedRequest, pk: str) -> HttpResponse:
    case = _gate(request, pk, "consent")
    try:
        version = int(request.POST.get("expected_version", ""))
        packs.do_set_share_name(
            case,
            acting_user=request.user,
            share=request.POST.get("share_name") == "1",
            expected_version=version,
            meta=meta_from_request(request),
        )
    except (ValueError, ActionError):
        messages.error(request, _("Nothing was changed: reload the page and try again."))
    else:
        messages.success(
            request,
            _("Saved. Your coordinator prepares a new version for you to look at.")
            if case.share_name
            else _("Saved. Your name will be removed from what is sent."),
        )
    return redirect("portal:pack", pk=case.pseudonym)


@login_required
@never_cache
@require_GET
def pack_file(request: AuthedRequest, pk: str, number: int, position: int) -> HttpResponse:
    case = _gate(request, pk)
    _pack, file = pack_file_or_404(case, number, position)
    return pack_file_response(case, file, meta_from_request(request))


@login_required
@never_cache
@require_GET
def opinion(request: AuthedRequest, pk: str) -> HttpResponse:
    """The reviewing team's opinion, as signed, once a coordinator released it."""
    case = _gate(request, pk)
    released = opinions.released_opinion(case)
    lang = content.current_lang()
    return render(
        request,
        "portal/opinion.html",
        _ctx(
            request,
            case,
            "opinion",
            opinion=released,
            department=matching.recipient_names(lang).get(released.assignment.direction_id, "")
            if released
            else "",
        ),
    )
