"""The case's messages between the patient's side and the coordinators."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casebridge.web.cases import workflow
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.messaging import do_post_message
from casebridge.web.cases.models import Case
from casebridge.web.portal import content
from casebridge.web.portal.case_pages import _ctx, _gate
from casebridge.web.portal.forms import MessageForm


def _console_link(request: HttpRequest, case: Case) -> str:
    """The console's messages section of the case, for the coordinators' e-mails
    (by its URL name: the apps never import one another); "" without a console."""
    try:
        url = reverse("console:case", args=[case.pseudonym])
        return request.build_absolute_uri(f"{url}?section=messages#messages")
    except NoReverseMatch:
        return ""


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def case_messages(request: AuthedRequest, pk: str) -> HttpResponse:
    if request.method == "POST":
        case = _gate(request, pk, "message")
        form = MessageForm(request.POST)
        if form.is_valid():
            link = request.build_absolute_uri(
                reverse("portal:messages", kwargs={"pk": case.pseudonym})
            )
            try:
                do_post_message(
                    case,
                    acting_user=request.user,
                    body=form.cleaned_data["body"],
                    link=link,
                    console_link=_console_link(request, case),
                    meta=meta_from_request(request),
                )
            except ActionError as error:
                messages.error(request, str(error))
            else:
                advice = content.red_flag_advice()
                if case.status == workflow.PAUSED_SAFETY and case.paused:
                    messages.error(request, advice["message_paused"])
                elif case.safety_review:
                    messages.warning(request, advice["amber"])
                else:
                    messages.success(request, _("Message sent."))
                return redirect("portal:messages", pk=case.pseudonym)
    else:
        # the message need covers reading as well as sending: a relative the
        # patient did not allow to message does not see the thread either
        case = _gate(request, pk, "message")
        form = MessageForm()
    # through the case (not Message.objects): each message comes with its case,
    # whose key opens the bodies, without a query per message
    thread = list(case.messages.select_related("sender"))
    return render(
        request,
        "portal/messages.html",
        _ctx(
            request,
            case,
            "messages",
            form=form,
            thread=thread,
            reply_days=settings.CASEBRIDGE_REPLY_DAYS,
        ),
    )
