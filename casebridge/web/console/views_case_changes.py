"""Changes to a case from its page: status, assignment, safety review, a
document's type, asking the patient for records. Each is a do_* action.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from casebridge.web.cases.access import get_case_for_user_or_404, get_case_object_or_404
from casebridge.web.cases.actions import do_assign, do_change_status
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.models import Document
from casebridge.web.cases.reauth import SENDS_ABROAD, require_recent_authentication
from casebridge.web.console.actions import (
    do_override_document_type,
    do_request_records,
    do_review_safety,
)
from casebridge.web.console.forms import (
    AssignForm,
    DocTypeForm,
    RecordRequestForm,
    SafetyReviewForm,
    StatusForm,
)
from casebridge.web.console.gate import _meta, console_view
from casebridge.web.console.views_case import (
    _done,
    _invalid,
    _refused,
)


@require_POST
@console_view
def change_status(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "manage")
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "status")
    if form.cleaned_data["status"] in SENDS_ABROAD:
        # matched with a reviewing team abroad: the person proves who they are
        # again first (their POST is kept and carried out once they have)
        require_recent_authentication(request)
    try:
        updated = do_change_status(
            case,
            acting_user=request.user,
            status=form.cleaned_data["status"],
            expected_version=form.cleaned_data["expected_version"],
            reason=form.cleaned_data["reason"],
            meta=_meta(request),
        )
    except ActionError as error:
        action = reverse("console:change_status", args=[case.pseudonym])
        return _refused(request, ref, error, form, action, "status")
    return _done(
        request,
        updated,
        gettext("The case is now “%(status)s”.") % {"status": updated.get_status_display()},
    )


@require_POST
@console_view
def review_safety(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "manage")
    form = SafetyReviewForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "safety")
    try:
        updated = do_review_safety(
            case,
            acting_user=request.user,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["expected_version"],
            meta=_meta(request),
        )
    except ActionError as error:
        action = reverse("console:review_safety", args=[case.pseudonym])
        return _refused(request, ref, error, form, action, "safety")
    return _done(request, updated, gettext("The amber safety flags are reviewed."))


@require_POST
@console_view
def assign(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "manage")
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "assign")
    try:
        updated = do_assign(
            case,
            acting_user=request.user,
            coordinator=form.cleaned_data["coordinator"],
            expected_version=form.cleaned_data["expected_version"],
            meta=_meta(request),
        )
    except ActionError as error:
        action = reverse("console:assign", args=[case.pseudonym])
        return _refused(request, ref, error, form, action, "assign")
    if updated.coordinator is None:
        return _done(request, updated, gettext("The case is not assigned to anyone now."))
    who = updated.coordinator.display_name
    return _done(request, updated, gettext("The case is assigned to %(who)s.") % {"who": who})


@require_POST
@console_view
def override_doc_type(request: AuthedRequest, ref: str, doc: int) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "correct")
    document = get_case_object_or_404(case, Document, doc)
    form = DocTypeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "doc_type")
    try:
        do_override_document_type(
            case,
            document,
            acting_user=request.user,
            doc_type=form.cleaned_data["doc_type"],
            expected_version=form.cleaned_data["expected_version"],
            meta=_meta(request),
        )
    except ActionError as error:
        action = reverse("console:override_doc_type", args=[case.pseudonym, document.pk])
        return _refused(request, ref, error, form, action, "doc_type")
    return _done(
        request,
        case,
        gettext("The type of “%(name)s” was changed.") % {"name": document.file_name},
        "documents",
    )


@require_POST
@console_view
def request_records(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "process")
    form = RecordRequestForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "request")
    try:
        do_request_records(
            case,
            acting_user=request.user,
            title=form.cleaned_data["title"],
            detail=form.cleaned_data["detail"],
            gap_id=form.cleaned_data["gap_id"],
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "request")
    return _done(request, case, gettext("The patient was asked for the record."), "requests")
