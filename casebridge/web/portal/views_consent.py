"""The patient's consents: giving and withdrawing the consent to processing and
to transfer abroad, with their history.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casebridge.web.cases import matching
from casebridge.web.cases.actions import do_give_consent, do_withdraw_consent
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import active_consents
from casebridge.web.cases.models import Case, Consent
from casebridge.web.portal import content, lib
from casebridge.web.portal.case_pages import _ctx, _gate
from casebridge.web.portal.forms import ConsentForm, TransferConsentForm

# the countries a transfer consent may name, for the patient (ISO 3166-1 alpha-2)
COUNTRY_NAMES = {"CN": gettext_lazy("China")}


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def consent(request: AuthedRequest, pk: str) -> HttpResponse:
    """Consent to processing (art. 9), a separate transfer consent, withdrawal in one step."""
    case = _gate(request, pk, "consent")
    lang = content.current_lang()
    processing_text = content.consent_text(Consent.Kind.PROCESSING_ART9, lang)
    transfer_text = content.consent_text(Consent.Kind.TRANSFER_ABROAD, lang)
    processing_form = ConsentForm(prefix="p")
    # a transfer consent names the department chosen for the case, and no other
    recipient = matching.consent_recipient(case, lang)
    offered = (
        [{**recipient, "country": str(COUNTRY_NAMES.get(recipient["country"], ""))}]
        if recipient
        else []
    )
    initial = {"recipient": recipient["id"]} if recipient else {}
    transfer_form = TransferConsentForm(prefix="t", recipients=offered, initial=initial)
    if request.method == "POST":
        meta = meta_from_request(request)
        action = request.POST.get("action")
        try:
            if action == "give_processing":
                processing_form = ConsentForm(request.POST, prefix="p")
                if processing_form.is_valid():
                    do_give_consent(
                        case,
                        acting_user=request.user,
                        kind=Consent.Kind.PROCESSING_ART9,
                        text_version=processing_text.version,
                        language=lang,
                        meta=meta,
                    )
                    if recipient is not None:  # they came for the transfer consent too
                        messages.success(request, _("Thank you. Your consent was recorded."))
                        return redirect(reverse("portal:consent", args=[case.pseudonym]) + "#h-t")
                    messages.success(request, _("Thank you. You can now add your records."))
                    return redirect("portal:documents", pk=case.pseudonym)
            elif action == "give_transfer":
                transfer_form = TransferConsentForm(request.POST, prefix="t", recipients=offered)
                if recipient is not None and transfer_form.is_valid():
                    do_give_consent(
                        case,
                        acting_user=request.user,
                        kind=Consent.Kind.TRANSFER_ABROAD,
                        text_version=transfer_text.version,
                        language=lang,
                        country=recipient["country"],
                        recipients=[recipient["id"]],
                        meta=meta,
                    )
                    messages.success(request, _("Your consent was recorded."))
                    return redirect("portal:consent", pk=case.pseudonym)
            elif action in ("withdraw_processing", "withdraw_transfer"):
                kind = (
                    Consent.Kind.PROCESSING_ART9
                    if action == "withdraw_processing"
                    else Consent.Kind.TRANSFER_ABROAD
                )
                do_withdraw_consent(case, acting_user=request.user, kind=kind, meta=meta)
                messages.success(request, _("Your consent was withdrawn."))
                return redirect("portal:consent", pk=case.pseudonym)
            else:
                messages.error(request, _("Nothing was changed."))
        except ActionError as error:
            messages.error(request, str(error))
    processing = active_consents(case, Consent.Kind.PROCESSING_ART9)
    transfers = active_consents(case, Consent.Kind.TRANSFER_ABROAD)
    names = matching.recipient_names(lang)
    consented = recipient is not None and any(recipient["id"] in c.recipients for c in transfers)
    return render(
        request,
        "portal/consent.html",
        _ctx(
            request,
            case,
            "consent",
            processing_text=processing_text,
            transfer_text=transfer_text,
            processing=processing,
            transfers=[(c, [names.get(r, r) for r in c.recipients]) for c in transfers],
            recipient=recipient,
            consented=consented,
            processing_form=processing_form,
            transfer_form=transfer_form,
            history=_consent_history(case),
        ),
    )


def _consent_history(case: Case) -> list[Consent]:
    history = list(case.consents.all())
    for consent in history:  # what it was for, in the page's language
        consent.kind_text = lib.CONSENT_KIND_TEXT.get(  # type: ignore[attr-defined]
            consent.kind, consent.get_kind_display()
        )
    return history
