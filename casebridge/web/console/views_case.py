"""The console's case page, in sections (overview, documents, facts, missing,
messages, history), and how a refused or done change comes back to it. Every
case is fetched through the access gate.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from casebridge.engine.render.summary import Wording
from casebridge.web.cases import withdrawal, workflow
from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.errors import ActionError, ConcurrencyError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import cached_form_fragment, cached_fragment
from casebridge.web.cases.models import Case, Document
from casebridge.web.cases.questions import questions_of
from casebridge.web.console import lib_case, lib_documents, lib_people, lib_sections, todo
from casebridge.web.console.forms import (
    CONTEXT_WORDS,
    AssignForm,
    CorrectFactForm,
    MessageForm,
    NoteForm,
    RecordRequestForm,
    StatusForm,
)
from casebridge.web.console.gate import console_view

FACTS_PER_PAGE = 100  # facts (each with its correction form) per page of the case page
DOCUMENTS_PER_PAGE = 50  # document rows (each with its type form) per page of the case page

# -- the case page -----------------------------------------------------------------


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    error: str = "",
    retry: dict[str, Any] | None = None,
    bound: dict[str, forms.Form] | None = None,
) -> HttpResponse:
    bound = bound or {}
    since = withdrawal.withheld_since(case)
    if since is not None:
        return _render_withheld(request, case, since, status, error, retry, bound)
    page = lib_case.case_page(case)
    version = {"expected_version": case.version}
    view = page.view
    lang = get_language() or ""
    # The case in sections, each a page of its own (a case of 300 documents was
    # one 14,000 px page); a refused change comes back in the section of its form.
    section = next((todo.FORM_SECTION[k] for k in bound if k in todo.FORM_SECTION), None)
    section = section or request.GET.get("section") or "overview"
    if section not in todo.SECTION_KEYS:
        section = "overview"
    # in Chinese, the engine's values and flags as the summary words them (the
    # overview's safety flags, the facts' values)
    zh_words = lang.startswith("zh") and section in {"overview", "facts"}
    words = Wording(page.engine, "zh") if zh_words else None
    context: dict[str, Any] = {
        "case": case,
        "page": page,
        "words": words,
        "section": section,
        "sections": todo.SECTIONS,
        "error": error,
        "retry": retry,
    }
    if section == "overview":
        context.update(
            todo=todo.needs_a_person(case, page.engine),
            people=lib_people.people_section(case),
            patient_questions=questions_of(case),
            status_form=bound.get("status") or StatusForm(initial=version),
            assign_form=bound.get("assign")
            or AssignForm(initial={**version, "coordinator": case.coordinator_id}),
            outputs=_outputs(),
            letters=lib_case.letter_titles(page.engine, "zh" if lang.startswith("zh") else "en"),
            matching=lib_sections.matching_section(case, bound.get("matching")),
            pack=lib_sections.pack_section(case),
            review=lib_sections.review_section(case),
            opinion=lib_sections.opinion_section(case),
        )
    elif section == "documents":
        # One form per row shown: a page at a time, not all of them (a case of
        # 300 documents has thousands of facts: MBs of forms).
        documents = lib_documents.document_page(
            case, page.engine_docs, request.GET.get("docs_page"), DOCUMENTS_PER_PAGE
        )
        # The rows (a type form each) depend on the documents' states and flags
        # (the page's key), the case's version and the engine reading (its token).
        context["documents_section"] = mark_safe(  # noqa: S308  # nosec B308 B703 - our own template
            cached_form_fragment(
                request,
                view,
                case,
                f"console.documents.{documents.key}",
                lang,
                "staff",
                "console/_documents.html",
                {"case": case, "documents": documents},
            )
        )
    elif section == "facts":
        sent = bound.get("fact")
        row_form = sent if sent is not None and sent.data.get("mode") != "add" else None
        number = request.GET.get("facts_page")
        if row_form is not None:  # a row's correction refused: the page of that row
            ids = [row.fact.id for row in page.facts]
            wanted = row_form.data.get("fact_id", "")
            number = str(ids.index(wanted) // FACTS_PER_PAGE + 1) if wanted in ids else None
        facts_page = Paginator(page.facts, FACTS_PER_PAGE).get_page(number)
        rows_context = {
            "case": case,
            "page": page,
            "facts_page": facts_page,
            "contexts": list(CONTEXT_WORDS.items()),
            "words": words,
        }
        if row_form is not None:
            # what was typed, with its errors, in its row: never from the cache
            fact_rows: str = render_to_string(
                "console/_fact_rows.html", {**rows_context, "sent": row_form}, request=request
            )
        else:
            # The fact rows (a correction form each) depend on the engine reading and
            # the case's version alone, both in the reading's token.
            fact_rows = cached_form_fragment(
                request,
                view,
                case,
                f"console.facts.{facts_page.number}",
                lang,
                "staff",
                "console/_fact_rows.html",
                rows_context,
            )

        def render_engine_sections() -> str:
            # Conflicts and the timeline depend on the engine reading alone (no
            # forms, nothing of the request): rendered once per reading.
            conflicts = lib_case.conflict_lines(page.engine, words)
            return render_to_string(
                "console/_engine_sections.html", {"page": page, "conflicts": conflicts}
            )

        engine_sections = cached_fragment(
            view, case, "console.engine_sections", lang, "staff", render_engine_sections
        )
        context.update(
            facts_page=facts_page,
            fact_rows=mark_safe(fact_rows),  # noqa: S308  # nosec B308 B703 - our own template
            engine_sections=mark_safe(engine_sections),  # noqa: S308  # nosec B308 B703 - our own template
            add_fact_form=(sent if sent is not None and row_form is None else None)
            or CorrectFactForm(initial={**version, "mode": "add"}),
        )
    elif section == "missing":
        # What is missing, with a request form per gap: the engine reading alone.
        # the request's words start in the patient's language (they read it as sent)
        patient_lang = "zh" if case.owner.preferred_language == "zh" else "en"
        gaps_section = cached_form_fragment(
            request,
            view,
            case,
            f"console.gaps.{patient_lang}",
            lang,
            "staff",
            "console/_gaps.html",
            {"case": case, "page": page, "patient_lang": patient_lang},
        )
        context.update(
            gaps_section=mark_safe(gaps_section),  # noqa: S308  # nosec B308 B703 - our own template
            record_requests=case.record_requests.select_related("requested_by"),
            request_form=bound.get("request") or RecordRequestForm(),
        )
    elif section == "messages":
        context.update(
            conversation=lib_case.conversation(case),
            notes=case.notes.select_related("author"),
            note_form=bound.get("note") or NoteForm(),
            message_form=bound.get("message") or MessageForm(),
        )
    else:  # history
        corrections = list(case.corrections.select_related("by"))
        # a fact marked wrong is named too: the engine keeps it aside while the mark stands
        kept = [*page.engine.facts, *page.engine.rejected_facts]
        kinds = {fact.id: fact.kind for fact in kept}
        for correction in corrections:  # which fact, in words ("set Cancer type to …")
            # shown by the template only: not a field
            correction.fact_kind = correction.kind or kinds.get(correction.fact_id, "")  # type: ignore[attr-defined]
        context.update(
            corrections=corrections,
            audit_events=lib_case.recent_audit(case),
        )
    return render(request, "console/case.html", context, status=status)


# The sections open to staff after the patient withdrew the consent to processing.
KEPT_SECTIONS = frozenset({"overview", "messages", "history"})


def _render_withheld(
    request: HttpRequest,
    case: Case,
    since: Any,
    status: int,
    error: str,
    retry: dict[str, Any] | None,
    bound: dict[str, forms.Form],
) -> HttpResponse:
    """The case page once the patient withdrew the consent to processing: what
    must be kept (the header, the consents, the messages and notes, the audit
    trail), nothing read from the health data. Any other section answers the
    gate's 403 with its plain line."""
    section = next((todo.FORM_SECTION[k] for k in bound if k in todo.FORM_SECTION), None)
    if section is not None and section not in KEPT_SECTIONS:
        section = "overview"  # a kept change refused (closing a request): its message there
    section = section or request.GET.get("section") or "overview"
    if section not in KEPT_SECTIONS:
        raise withdrawal.ClinicalWithheld(since)
    version = {"expected_version": case.version}
    moves = workflow.allowed_moves(case.status, paused_from=case.paused_from, held=True)
    context: dict[str, Any] = {
        "case": case,
        "section": section,
        "sections": todo.SECTIONS,
        "kept_sections": KEPT_SECTIONS,
        "withheld_line": withdrawal.withheld_line(since),
        "error": error,
        "retry": retry,
    }
    if section == "overview":
        context.update(
            consents=case.consents.select_related("given_by", "withdrawn_by"),
            held_documents=case.documents.filter(state=Document.State.HELD).count(),
            page={
                "allowed_moves": [(s, workflow.LABELS[s]) for s in workflow.STATUSES if s in moves]
            },
            status_form=bound.get("status") or StatusForm(initial=version),
            assign_form=bound.get("assign")
            or AssignForm(initial={**version, "coordinator": case.coordinator_id}),
        )
    elif section == "messages":
        context.update(
            conversation=lib_case.conversation(case),
            notes=case.notes.select_related("author"),
            note_form=bound.get("note") or NoteForm(),
            message_form=bound.get("message") or MessageForm(),
        )
    else:  # history: the audit trail (the corrections are the facts: withheld)
        context["audit_events"] = lib_case.recent_audit(case)
    return render(request, "console/case_withheld.html", context, status=status)


def _outputs() -> list[tuple[str, Any]]:
    return [
        ("summary.en.html", _("Summary in English, web page")),
        ("summary.zh.html", _("Summary in Chinese, web page")),
        ("summary.en.pdf", _("Summary in English, PDF")),
        ("summary.zh.pdf", _("Summary in Chinese, PDF")),
        ("checklist.md", _("Records checklist")),
        # what other clinical systems import: named by what it is for
        ("fhir.json", _("The summary for another clinical system (FHIR file)")),
        ("case.json", _("Everything casebridge read, as data (JSON file)")),
    ]


@require_GET
@console_view
def case_detail(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "view", request=request)
    return _render_case(request, case)


def _refused(
    request: HttpRequest,
    ref: str,
    error: ActionError,
    form: forms.Form,
    action: str,
    bound_as: str,
) -> HttpResponse:
    """A refused change: the case page again (a fresh, audited read), with the
    message and the person's input kept. On a concurrency conflict the input
    comes back as a form to send again, now against the current version."""
    case = get_case_for_user_or_404(request.user, ref, "view", request=request)
    if isinstance(error, ConcurrencyError):
        data = request.POST.copy()
        data["expected_version"] = str(case.version)
        # every value of a field sent more than once (a discipline per box)
        fields = [
            (name, value, RETRY_LABELS.get(name, ""))
            for name, values in data.lists()
            for value in values
            if name != "csrfmiddlewaretoken"
        ]
        retry = {"action": action, "form": type(form)(data), "fields": fields}
        return _render_case(request, case, status=409, error=str(error), retry=retry)
    return _render_case(request, case, status=400, error=str(error), bound={bound_as: form})


# the words a change sent again is shown with (a field without words is sent
# again as it was, unseen: the version, which fact, which button)
RETRY_LABELS: dict[str, Any] = {
    "value": _("Value"),
    "context": _("What the record says"),
    "reason": _("Why"),
    "note": _("Note"),
    "status": _("New status"),
    "coordinator": _("Coordinator"),
    "doc_type": _("Type"),
    "title": _("What to ask for"),
    "detail": _("Why it is needed"),
    "body": _("Text"),
    "direction": _("Department"),
    "disciplines": _("Discipline"),
    "due_date": _("Opinion due"),
}


def _invalid(request: HttpRequest, ref: str, form: forms.Form, bound_as: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "view", request=request)
    return _render_case(
        request,
        case,
        status=400,
        error=gettext("Some of what you sent needs fixing: see the form below."),
        bound={bound_as: form},
    )


def _done(request: HttpRequest, case: Case, text: str, anchor: str = "") -> HttpResponse:
    """Back to the section where the change was made, at its place."""
    messages.success(request, text)
    url = reverse("console:case", args=[case.pseudonym])
    section = todo.section_of_anchor(anchor)
    if section != "overview":
        url += f"?section={section}"
    return redirect(url + (f"#{anchor}" if anchor else ""))
