"""The confidential enquiry: an urgency check first, then the enquiry itself,
then e-mail verification (allauth) to continue. Startable without an account."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.enquiry_flags import do_report_mistaken_red_flag, mistake_reported_at
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import Enquiry
from casebridge.web.cases.notify import enquiry_from_resume_token
from casebridge.web.cases.safety import label as safety_label
from casebridge.web.cases.throttle import Throttled
from casebridge.web.portal import content, expect
from casebridge.web.portal.actions.enquiry import (
    EnquiryAnswers,
    RedFlagCapReached,
    do_add_enquiry_contact,
    do_flag_enquiry,
    do_submit_enquiry,
)
from casebridge.web.portal.forms import ContactForm, EnquiryForm, UrgencyForm
from casebridge.web.portal.signals import continue_enquiry

ENQUIRY_KEY = "portal_enquiry_id"
URGENCY_OK_KEY = "portal_urgency_ok"


def session_enquiry(request: HttpRequest) -> Enquiry | None:
    pk = request.session.get(ENQUIRY_KEY)
    if pk is None:
        return None
    return Enquiry.objects.filter(pk=pk).first()


def _flagged(enquiry: Enquiry | None) -> bool:
    return enquiry is not None and enquiry.red_flag_state == Enquiry.RedFlag.FLAGGED


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Step 1: the urgency check."""
    enquiry = session_enquiry(request)
    if _flagged(enquiry):
        return redirect("portal:seek_care")
    form = UrgencyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        ticked = form.cleaned_data["red_flags"]
        if ticked:
            try:
                flagged = do_flag_enquiry(
                    acting_user=request.user, red_flags=ticked, meta=meta_from_request(request)
                )
            except Throttled as error:
                return limited(request, error)
            request.session[ENQUIRY_KEY] = flagged.pk
            request.session.pop(URGENCY_OK_KEY, None)
            return redirect("portal:seek_care")
        request.session[URGENCY_OK_KEY] = True
        return redirect("portal:enquiry_details")
    return render(
        request,
        "portal/enquiry_start.html",
        {"form": form, "guidance": content.guidance_for("enquiry_urgency")},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def seek_care(request: HttpRequest) -> HttpResponse:
    """The red-flag page: seek local care now. The enquiry waits for a coordinator.
    It says what happens next and by when, and lets the person say a tick was a
    mistake (recorded for the coordinator; the enquiry stays paused)."""
    enquiry = session_enquiry(request)
    if not _flagged(enquiry):
        return redirect("portal:enquiry_start")
    assert enquiry is not None
    if request.method == "POST" and request.POST.get("action") == "mistake":
        try:
            do_report_mistaken_red_flag(
                enquiry, acting_user=request.user, meta=meta_from_request(request)
            )
        except ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Thank you. We have told the coordinator."))
        return redirect("portal:seek_care")
    form = ContactForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            do_add_enquiry_contact(
                enquiry,
                acting_user=request.user,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                meta=meta_from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you. We have your contact details."))
            return redirect("portal:seek_care")
    return render(
        request,
        "portal/seek_care.html",
        {
            "form": form,
            "advice": content.red_flag_advice(),
            "enquiry": enquiry,
            "found": _findings(enquiry, "red"),
            "has_contact": bool(enquiry.email or enquiry.phone),
            "has_phone": bool(enquiry.phone),
            "ticked": bool(enquiry.red_flag_answers),
            "mistake_reported": mistake_reported_at(enquiry) is not None,
            "red_flag_wait": expect.red_flag_callback_wait(),
        },
        status=200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def details(request: HttpRequest) -> HttpResponse:
    """Step 2: the enquiry. Only after the urgency check, never while flagged.
    ?resume=<token> (the link e-mailed when a coordinator cleared a red flag)
    continues that enquiry in this browser."""
    if "resume" in request.GET:
        return _resume(request, request.GET["resume"])
    enquiry = session_enquiry(request)
    if _flagged(enquiry):
        return redirect("portal:seek_care")
    if enquiry is not None and (enquiry.case_id is not None or enquiry.user_id is not None):
        enquiry = None  # that one is done: this is a new enquiry
    cleared = enquiry if enquiry and enquiry.red_flag_state == Enquiry.RedFlag.CLEARED else None
    if not request.session.get(URGENCY_OK_KEY) and cleared is None:
        return redirect("portal:enquiry_start")
    # the page's language is the likeliest answer; who is writing is left unanswered
    initial = {"preferred_language": content.current_lang()}
    if cleared is not None:  # what they left on the seek-care page
        initial |= {"email": cleared.email, "full_name": cleared.full_name}
    if request.user.is_authenticated:
        initial |= {"email": request.user.email, "full_name": request.user.full_name}
    form = EnquiryForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        answers = EnquiryAnswers(
            full_name=data["full_name"],
            email=data["email"],
            relationship=data["relationship"],
            programme=data["programme"],
            diagnosis=data["diagnosis"],
            current_status=data["current_status"],
            goals=data["goals"],
            questions=data["questions"],
            country=data["country"],
            preferred_language=data["preferred_language"],
            contact_consent=data["contact_consent"],
        )
        try:
            saved = do_submit_enquiry(
                acting_user=request.user,
                answers=answers,
                enquiry=enquiry,  # a cleared one, or this session's (a second submit)
                meta=meta_from_request(request),
            )
        except RedFlagCapReached as error:
            return limited(request, error)
        except Throttled as error:
            form.add_error(None, str(error))
            return render(
                request,
                "portal/enquiry_details.html",
                {"form": form, "guidance": content.guidance_for("enquiry")},
                status=429,
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            request.session[ENQUIRY_KEY] = saved.pk
            request.session.pop(URGENCY_OK_KEY, None)
            if _flagged(saved):  # the screen found an emergency in their own words
                return redirect("portal:seek_care")
            if request.user.is_authenticated:
                case = continue_enquiry(request, request.user)
                if case is not None:
                    messages.success(request, _("Your case is open. Start by giving consent."))
                    return redirect("portal:consent", pk=case.pseudonym)
            return redirect("portal:enquiry_sent")
    return render(
        request,
        "portal/enquiry_details.html",
        {"form": form, "guidance": content.guidance_for("enquiry")},
    )


def limited(request: HttpRequest, error: Throttled) -> HttpResponse:
    """Too many enquiries from this connection: nothing was kept, and the page
    still says what a red flag needs (seek care now: 999 / NHS 111)."""
    response = render(
        request,
        "portal/enquiry_limited.html",
        {"reason": str(error), "advice": content.red_flag_advice()},
        status=429,
    )
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


def _resume(request: HttpRequest, token: str) -> HttpResponse:
    """Take up a cleared enquiry from its e-mailed link, then drop the token
    from the address (so it is not kept in history or sent as a referrer)."""
    try:
        enquiry = enquiry_from_resume_token(token)
    except ActionError as error:
        return render(
            request, "portal/enquiry_resume_invalid.html", {"reason": str(error)}, status=400
        )
    request.session.cycle_key()
    request.session[ENQUIRY_KEY] = enquiry.pk
    request.session.pop(URGENCY_OK_KEY, None)
    return redirect("portal:enquiry_details")


@never_cache
def sent(request: HttpRequest) -> HttpResponse:
    """Step 3: check your e-mail (create an account; allauth sends the link)."""
    enquiry = session_enquiry(request)
    if enquiry is None:
        return redirect("portal:enquiry_start")
    if _flagged(enquiry):
        return redirect("portal:seek_care")
    return render(
        request,
        "portal/enquiry_sent.html",
        {
            "enquiry": enquiry,
            "amber": _findings(enquiry, "amber"),
            "advice": content.red_flag_advice(),
            "first_contact_wait": expect.first_contact_wait(),
        },
    )


def _findings(enquiry: Enquiry, level: str) -> list[dict[str, str]]:
    """The screen's findings of one level, labelled in the page's language."""
    lang = content.current_lang()
    return [
        {"label": safety_label(f, lang), "phrase": str(f.get("phrase", ""))}
        for f in enquiry.safety_flags or []
        if f.get("level") == level
    ]
