"""The portal's home, the guidance page and a case's overview (where things
stand, the next step, a line per section).

Views parse and validate; every case comes through the access gate; every
change is an action.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebridge.web.cases.access import allowed
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import read_engine
from casebridge.web.cases.models import Case, CaseMember, Document
from casebridge.web.portal import content, expect, lib, overview
from casebridge.web.portal.actions.documents import has_processing_consent
from casebridge.web.portal.case_pages import _ctx, _gate
from casebridge.web.portal.matched import chosen_direction

# -- home ---------------------------------------------------------------------------


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """Signed in: my cases (and those I follow). Otherwise: how to start."""
    cases: list[Case] = []
    if request.user.is_authenticated:
        followed = CaseMember.objects.filter(user=request.user, revoked_at__isnull=True)
        cases = list(
            Case.objects.filter(Q(owner=request.user) | Q(pk__in=followed.values("case")))
            # the patient's name, for the cases one follows ("Alice's records")
            .select_related("owner")
            # The list shows the pseudonym and status: not the engine JSON of every case.
            .defer("engine", "wrapped_key")
        )
    return render(
        request,
        "portal/home.html",
        {
            "cases": [
                (
                    c,
                    lib.status_text(
                        c, "" if c.owner_id == request.user.pk else lib.patient_name(c)
                    ),
                )
                for c in cases
            ],
            "guidance": content.guidance_for("home"),
            "first_contact_wait": expect.first_contact_wait(),
            # "Your cases" only when every case listed is one's own
            "owns": any(c.owner_id == request.user.pk for c in cases),
            "follows": any(c.owner_id != request.user.pk for c in cases),
        },
    )


@require_GET
def guidance(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/guidance.html", {"topics": content.guidance_topics()})


# -- the workspace --------------------------------------------------------------------


def _listed_questions(intake: Any) -> list[str]:
    value = intake.get("questions") if isinstance(intake, dict) else None
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value or [] if str(v).strip()]


@login_required
@never_cache
@require_GET
def case_home(request: AuthedRequest, pk: str) -> HttpResponse:
    """The overview, short (issue 12): where things stand, the one next step,
    and a line per section, each section on its own page (views_sections).
    The old ?facts=all (&page=N) address of every fact goes to facts/."""
    case = _gate(request, pk)
    if request.GET.get("facts") == "all":
        target = reverse("portal:facts", args=[case.pseudonym])
        page = request.GET.get("page")
        return redirect(f"{target}?{urlencode({'page': page})}" if page else target)
    view = read_engine(case)
    engine = view.engine
    lang = content.current_lang()
    lines = lib.fact_lines(view, case.pseudonym, lang)
    states = lib.document_states(case)
    # the summary of no read record is a page of "not stated": offered once one is read
    any_read = any(s.state == Document.State.PROCESSED for s in states)
    is_owner = case.owner_id == request.user.pk
    name = "" if is_owner else lib.patient_name(case)
    consent_given = has_processing_consent(case)
    record_requests = lib.open_record_requests(case)
    matched = chosen_direction(case, lang)
    step = overview.next_step(
        case,
        consent_given=consent_given,
        states=states,
        record_requests=record_requests,
        matched=matched,
        is_owner=is_owner,
        may_consent=allowed(request.user, case, "consent"),
        may_upload=allowed(request.user, case, "upload"),
        may_approve=allowed(request.user, case, "approve"),
        patient_name=name,
        essential_missing=overview.essential_missing(engine),
    )
    sections = overview.section_links(
        case,
        engine=engine,
        states=states,
        fact_count=len(lines),
        questions=len(_listed_questions(engine.intake)),
        any_read=any_read,
        patient_name=name,
    )
    return render(
        request,
        "portal/case_home.html",
        _ctx(
            request,
            case,
            "home",
            engine=engine,
            documents=states,
            document_count=len(states),
            record_requests=record_requests,
            matched=matched,
            next_step=step,
            sections=sections,
            consent_given=consent_given,
            any_read=any_read,
        ),
    )
