"""The console's queue of cases and the enquiries flagged red. Views only parse
and validate; every change is a do_* action.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from casebridge.web.cases import audit
from casebridge.web.cases.enquiry_flags import mistake_reported_at
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.models import PROGRAMME_CHOICES, Enquiry, Urgency
from casebridge.web.console import lib_queue
from casebridge.web.console.actions import do_clear_red_flag
from casebridge.web.console.forms import ClearRedFlagForm
from casebridge.web.console.gate import _meta, console_view

# -- the queue ---------------------------------------------------------------------


@require_GET
@console_view
def queue(request: AuthedRequest) -> HttpResponse:
    filters = lib_queue.QueueFilters.from_query(request.GET)
    rows = lib_queue.queue(filters, request.user)
    return render(
        request,
        "console/queue.html",
        {
            "filters": filters,
            "rows": rows,
            "red_flags": lib_queue.red_flag_enquiries(),
            "kinds": lib_queue.KINDS,
            "scopes": lib_queue.SCOPES,
            "sorts": lib_queue.SORTS,
            "statuses": lib_queue.STATUS_FILTERS,
            "programmes": PROGRAMME_CHOICES,
            "urgencies": Urgency.choices,
        },
    )


# -- enquiries ---------------------------------------------------------------------


def _enquiry(pk: int) -> Enquiry:
    try:
        return Enquiry.objects.select_related("case").get(pk=pk)
    except Enquiry.DoesNotExist:
        raise Http404("No such enquiry") from None


@require_GET
@console_view
def enquiry_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    enquiry = _enquiry(pk)
    audit.record(request.user, enquiry.case, "enquiry.read", obj=enquiry, meta=_meta(request))
    return render(
        request,
        "console/enquiry.html",
        {
            "enquiry": enquiry,
            "form": ClearRedFlagForm(),
            "mistake_at": mistake_reported_at(enquiry),
        },
    )


@require_POST
@console_view
def clear_red_flag(request: AuthedRequest, pk: int) -> HttpResponse:
    enquiry = _enquiry(pk)
    form = ClearRedFlagForm(request.POST)
    if form.is_valid():
        try:
            do_clear_red_flag(
                enquiry,
                acting_user=request.user,
                note=form.cleaned_data["note"],
                site_url=request.build_absolute_uri("/"),  # for the enquirer's resume link
                meta=_meta(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, gettext("The red flag on enquiry %(pk)s is cleared.") % {"pk": enquiry.pk}
            )
            return redirect("console:queue")
    audit.record(request.user, enquiry.case, "enquiry.read", obj=enquiry, meta=_meta(request))
    return render(
        request,
        "console/enquiry.html",
        {"enquiry": enquiry, "form": form, "mistake_at": mistake_reported_at(enquiry)},
        status=400,
    )
