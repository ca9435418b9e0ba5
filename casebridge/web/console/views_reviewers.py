"""The console's reviewers (issue 11, part 4): the reviewer accounts of each
department of the directory, inviting one, turning one off; and on a case,
opening it to the department's team (a discipline each, one lead, a due date)
or ending their access. The views only parse; cases.reviews checks, changes
state and writes the audit rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.engine.directions import load_directions
from casebridge.web.cases import opinions, reviews
from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import page_lang
from casebridge.web.cases.models import ReviewerProfile
from casebridge.web.cases.reviews import Seat
from casebridge.web.console.forms import VersionedForm
from casebridge.web.console.gate import _meta, console_view
from casebridge.web.console.views_case import _done, _refused


class InviteReviewerForm(forms.Form):
    email = forms.EmailField(label=_("Work e-mail address"))
    full_name = forms.CharField(label=_("Name"), max_length=200)
    direction_id = forms.ChoiceField(label=_("Department"), choices=())
    disciplines = forms.MultipleChoiceField(
        label=_("Reviews in"), choices=(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        directory = load_directions()
        lang = page_lang()
        self.fields["direction_id"].choices = [  # type: ignore[attr-defined]
            (d.id, _department(d, lang, city=True)) for d in directory
        ]
        self.fields["disciplines"].choices = [  # type: ignore[attr-defined]
            (key, _pick(names, lang)) for key, names in directory.disciplines.items()
        ]


def _pick(names: Any, lang: str) -> str:
    return str((names.zh if lang == "zh" else "") or names.en)


def _department(d: Any, lang: str, *, city: bool = False) -> str:
    """'Department, Hospital (City)', or in Chinese 医院科室（城市）."""
    if lang == "zh":
        where = f"（{_pick(d.city, lang)}）" if city else ""
        return f"{_pick(d.hospital, lang)}{_pick(d.department, lang)}{where}"
    return f"{d.department.en}, {d.hospital.en}" + (f" ({d.city.en})" if city else "")


class AssignReviewForm(VersionedForm):
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    lead = forms.IntegerField()


class ReleaseForm(forms.Form):
    checked = forms.BooleanField()


class RevokeReviewForm(VersionedForm):
    reason = forms.CharField(max_length=200)


@require_http_methods(["GET", "POST"])
@console_view
def reviewers(request: AuthedRequest) -> HttpResponse:
    form = InviteReviewerForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                profile = reviews.do_invite_reviewer(
                    acting_user=request.user,
                    email=data["email"],
                    full_name=data["full_name"],
                    direction_id=data["direction_id"],
                    disciplines=list(data["disciplines"]),
                    link=request.build_absolute_uri(reverse("account_reset_password")),
                    meta=_meta(request),
                )
            except ActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, gettext("%(email)s was invited.") % {"email": profile.user.email}
                )
                return redirect("console:reviewers")
        status = 400
    directory = load_directions()
    lang = page_lang()
    rows = [
        {
            "profile": p,
            "department": (
                _department(d, lang) if (d := directory.get(p.direction_id)) else p.direction_id
            ),
            "disciplines": [
                _pick(directory.disciplines[k], lang) if k in directory.disciplines else k
                for k in p.disciplines
            ],
        }
        for p in ReviewerProfile.objects.select_related("user").order_by(
            "direction_id", "user__email"
        )
    ]
    return render(request, "console/reviewers.html", {"form": form, "rows": rows}, status=status)


@require_POST
@console_view
def reviewer_active(request: AuthedRequest, reviewer: int) -> HttpResponse:
    profile = get_object_or_404(ReviewerProfile, pk=reviewer)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        return HttpResponse(
            gettext("Say whether the reviewer is to be active (1) or not (0)."), status=400
        )
    reviews.do_set_reviewer_active(
        profile, acting_user=request.user, active=wanted == "1", meta=_meta(request)
    )
    text = (
        gettext("%(email)s is now active.") if wanted == "1" else gettext("%(email)s is now off.")
    )
    messages.success(request, text % {"email": profile.user.email})
    return redirect("console:reviewers")


def _seats(request: AuthedRequest, lead: int) -> list[Seat]:
    """One Seat per ticked reviewer (`seat` values), their discipline from
    `discipline_<id>`."""
    seats = []
    for value in request.POST.getlist("seat"):
        try:
            reviewer_id = int(value)
        except ValueError:
            raise ActionError(gettext("Reload the case and try again.")) from None
        discipline = request.POST.get(f"discipline_{reviewer_id}", "")
        seats.append(Seat(reviewer_id, discipline, lead=reviewer_id == lead))
    return seats


@require_POST
@console_view
def assign_review(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "process")
    form = AssignReviewForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            ref,
            ActionError(gettext("Choose the reviewers, the lead and a due date.")),
            form,
            "",
            "review",
        )
    data = form.cleaned_data
    try:
        reviews.do_assign_review(
            case,
            acting_user=request.user,
            expected_version=data["expected_version"],
            seats=_seats(request, data["lead"]),
            due_date=data["due_date"],
            link=request.build_absolute_uri(reverse("review:home")),
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "review")
    return _done(request, case, gettext("The case is open to the reviewers."), "review")


@require_POST
@console_view
def revoke_review(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "manage")
    form = RevokeReviewForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            ref,
            ActionError(gettext("Say why the reviewers' access ends.")),
            form,
            "",
            "review",
        )
    try:
        reviews.do_revoke_review(
            case,
            acting_user=request.user,
            expected_version=form.cleaned_data["expected_version"],
            reason=form.cleaned_data["reason"],
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "review")
    return _done(request, case, gettext("The reviewers' access has ended."), "review")


@require_POST
@console_view
def release_opinion(request: AuthedRequest, ref: str, number: int) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "process")
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            ref,
            ActionError(gettext("Tick the box to say you have read this version.")),
            form,
            "",
            "opinion",
        )
    try:
        opinions.do_release_opinion(
            case, acting_user=request.user, number=number, meta=_meta(request)
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "opinion")
    return _done(
        request,
        case,
        gettext("Version %(n)s of the opinion was released.") % {"n": number},
        "opinion",
    )
