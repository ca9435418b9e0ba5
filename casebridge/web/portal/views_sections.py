"""The case's sections, each on its own page (issue 12): what the records say,
the timeline, the missing records, the summary and downloads, and the summary
preview inside the site's page.

The overview (views_case.case_home) links to each with a line of its state.
Each section's markup is rendered once per reading of the case, language and
role (cached_fragment, keyed per section), as the overview's were."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebridge.web.cases.access import allowed
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import EngineView, cached_fragment, read_engine
from casebridge.web.cases.models import Case, Document
from casebridge.web.portal import content
from casebridge.web.portal.case_pages import SUMMARY_LANGS, _ctx, _gate, _role
from casebridge.web.portal.lib.facts import fact_lines, fact_page
from casebridge.web.portal.lib.outputs import cached_request_letters
from casebridge.web.portal.lib.timeline import booked_tests
from casebridge.web.portal.lib.wording import patient_name


def _section_page(
    request: AuthedRequest,
    case: Case,
    view: EngineView,
    key: str,
    heading: str,
    heading_id: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """A section's page: its heading, a way back to the overview, and its
    markup (cached per section, reading, language and role)."""
    lang = content.current_lang()
    role = _role(request, case)
    name = "" if role == "owner" else patient_name(case)

    def render_section() -> str:
        return render_to_string(
            template,
            {
                "case": case,
                "engine": view.engine,
                # the cache key's role keeps the patient's wording apart from a relative's
                "patient_name": name,
                **context,
            },
        )

    html = cached_fragment(view, case, f"portal.section.{key}", lang, role, render_section)
    return render(
        request,
        "portal/case_section.html",
        _ctx(
            request,
            case,
            "home",
            heading=heading,
            heading_id=heading_id,
            section=mark_safe(html),  # noqa: S308  # nosec B308 B703 - our own template
        ),
    )


def _patient_heading(case: Case, request: AuthedRequest, mine: str, theirs: str) -> str:
    """`mine` for the patient, `theirs` (with %(name)s) for anyone else."""
    if case.owner_id == request.user.pk:
        return mine
    return theirs % {"name": patient_name(case)}


@login_required
@never_cache
@require_GET
def facts(request: AuthedRequest, pk: str) -> HttpResponse:
    """Everything the records say, a page at a time (?page=N), each with its sources."""
    case = _gate(request, pk)
    view = read_engine(case)
    lines = fact_lines(view, case.pseudonym, content.current_lang())
    facts_page = fact_page(lines, request.GET.get("page"))
    return _section_page(
        request,
        case,
        view,
        f"facts.{facts_page.number}",
        _patient_heading(
            case, request, _("What your records say"), _("What %(name)s's records say")
        ),
        "h-facts",
        "portal/_section_facts.html",
        {"facts_page": facts_page, "total": len(lines)},
    )


@login_required
@never_cache
@require_GET
def timeline(request: AuthedRequest, pk: str) -> HttpResponse:
    """The dated events the records mention, in order."""
    case = _gate(request, pk)
    view = read_engine(case)
    return _section_page(
        request,
        case,
        view,
        "timeline",
        _("Timeline"),
        "h-timeline",
        "portal/_section_timeline.html",
        {},
    )


@login_required
@never_cache
@require_GET
def missing(request: AuthedRequest, pk: str) -> HttpResponse:
    """The records that are missing, with ready-to-send request letters."""
    case = _gate(request, pk)
    view = read_engine(case)
    return _section_page(
        request,
        case,
        view,
        "missing",
        _("Records that are missing"),
        "h-gaps",
        "portal/_section_missing.html",
        {
            "letters": cached_request_letters(view),
            "booked": booked_tests(view.engine, content.current_lang()),
        },
    )


def _any_read(case: Case) -> bool:
    return case.documents.filter(state=Document.State.PROCESSED).exists()


@login_required
@never_cache
@require_GET
def summary_and_downloads(request: AuthedRequest, pk: str) -> HttpResponse:
    """The summary (preview, PDFs) and the structured data, once a record is
    read; for the patient, the copy of everything (views_export)."""
    case = _gate(request, pk)
    view = read_engine(case)
    any_read = _any_read(case)
    return _section_page(
        request,
        case,
        view,
        f"summary.{int(any_read)}",  # a record read since: another fragment
        _("Summary and downloads"),
        "h-summary",
        "portal/_section_summary.html",
        # the role is in the fragment's key, and only the patient may export
        {"any_read": any_read, "may_export": allowed(request.user, case, "consent")},
    )


@login_required
@never_cache
@require_GET
def summary_preview(request: AuthedRequest, pk: str, lang: str) -> HttpResponse:
    """The engine's summary inside the site's page: the header, a heading, the
    way back and the download; the summary itself in a sandboxed frame, still
    under its own strict policy (views_outputs.summary_page)."""
    if lang not in SUMMARY_LANGS:
        raise Http404("No such language")
    case = _gate(request, pk)
    heading = (
        _("Summary of the records, in English")
        if lang == "en"
        else _("Summary of the records, in Chinese")
    )
    return render(
        request,
        "portal/summary_preview.html",
        _ctx(
            request,
            case,
            "home",
            heading=heading,
            summary_lang=lang,
            pdf_name=f"summary-{lang}.pdf",
            download_label=(
                _("Download this summary (PDF)")
                if lang == "en"
                else _("Download the Chinese summary (PDF)")
            ),
        ),
    )
