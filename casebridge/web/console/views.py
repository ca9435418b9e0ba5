"""The coordinator console. Views only parse and validate; every change is a
do_* action; every case is fetched through the access gate.

Coordinators and administrators only: anyone else signed in gets 404 (the
console's existence is not advertised), anonymous visitors the login page.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from casebridge.engine.ingest import pdf_active
from casebridge.engine.ingest.sniff import sniff
from casebridge.engine.output import case_json
from casebridge.engine.render.checklist import render_checklist
from casebridge.engine.render.fhir import to_ips_bundle
from casebridge.engine.render.html import render_html
from casebridge.engine.render.pdf import render_pdf
from casebridge.engine.render.requests import render_requests
from casebridge.engine.render.summary import Wording
from casebridge.web.cases import audit, storage, withdrawal, workflow
from casebridge.web.cases.access import get_case_for_user_or_404, get_case_object_or_404
from casebridge.web.cases.actions import do_add_note, do_assign, do_change_status, do_correct_fact
from casebridge.web.cases.enquiry_flags import mistake_reported_at
from casebridge.web.cases.errors import ActionError, ConcurrencyError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import (
    cached_form_fragment,
    cached_fragment,
    engine_case,
    fact_kind_label,
    page_lang,
    read_engine,
)
from casebridge.web.cases.messaging import do_post_message
from casebridge.web.cases.models import PROGRAMME_CHOICES, Case, Document, Enquiry, Urgency
from casebridge.web.cases.questions import questions_of
from casebridge.web.cases.reauth import SENDS_ABROAD, require_recent_authentication
from casebridge.web.console import facts, lib, todo
from casebridge.web.console.actions import (
    do_clear_red_flag,
    do_override_document_type,
    do_request_records,
    do_restore_fact,
    do_restore_marked_wrong_fact,
    do_review_safety,
    is_console_user,
)
from casebridge.web.console.forms import (
    CONTEXT_WORDS,
    AssignForm,
    ClearRedFlagForm,
    CorrectFactForm,
    DocTypeForm,
    MessageForm,
    NoteForm,
    RecordRequestForm,
    RestoreMarkedWrongForm,
    SafetyReviewForm,
    StatusForm,
)

View = Callable[..., HttpResponse]
FACTS_PER_PAGE = 100  # facts (each with its correction form) per page of the case page
DOCUMENTS_PER_PAGE = 50  # document rows (each with its type form) per page of the case page

# The engine's summary page carries its own inline CSS and no scripts.
SUMMARY_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def console_view(view: View) -> View:
    """Staff only: anonymous → login page; signed in but not a coordinator or
    administrator → 404. Never cached."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_console_user(request.user):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


def _meta(request: HttpRequest) -> audit.RequestMeta | None:
    return audit.meta_from_request(request)


# -- the queue ---------------------------------------------------------------------


@require_GET
@console_view
def queue(request: AuthedRequest) -> HttpResponse:
    filters = lib.QueueFilters.from_query(request.GET)
    rows = lib.queue(filters, request.user)
    return render(
        request,
        "console/queue.html",
        {
            "filters": filters,
            "rows": rows,
            "red_flags": lib.red_flag_enquiries(),
            "kinds": lib.KINDS,
            "scopes": lib.SCOPES,
            "sorts": lib.SORTS,
            "statuses": lib.STATUS_FILTERS,
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
    page = lib.case_page(case)
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
            people=lib.people_section(case),
            patient_questions=questions_of(case),
            status_form=bound.get("status") or StatusForm(initial=version),
            assign_form=bound.get("assign")
            or AssignForm(initial={**version, "coordinator": case.coordinator_id}),
            outputs=_outputs(),
            letters=lib.letter_titles(page.engine, "zh" if lang.startswith("zh") else "en"),
            matching=lib.matching_section(case, bound.get("matching")),
            pack=lib.pack_section(case),
            review=lib.review_section(case),
            opinion=lib.opinion_section(case),
        )
    elif section == "documents":
        # One form per row shown: a page at a time, not all of them (a case of
        # 300 documents has thousands of facts: MBs of forms).
        documents = lib.document_page(
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
            conflicts = lib.conflict_lines(page.engine, words)
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
            conversation=lib.conversation(case),
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
            audit_events=lib.recent_audit(case),
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
            conversation=lib.conversation(case),
            notes=case.notes.select_related("author"),
            note_form=bound.get("note") or NoteForm(),
            message_form=bound.get("message") or MessageForm(),
        )
    else:  # history: the audit trail (the corrections are the facts: withheld)
        context["audit_events"] = lib.recent_audit(case)
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
def add_note(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "manage")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "note")
    try:
        do_add_note(
            case,
            acting_user=request.user,
            body=form.cleaned_data["body"],
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "note")
    return _done(request, case, gettext("Note added (staff only)."), "notes")


@require_POST
@console_view
def send_message(request: AuthedRequest, ref: str) -> HttpResponse:
    """A coordinator answers the patient's side: the patient and the family who
    may message are e-mailed a link to the portal's messages (a link only)."""
    case = get_case_for_user_or_404(request.user, ref, "manage")
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "message")
    try:
        do_post_message(
            case,
            acting_user=request.user,
            body=form.cleaned_data["body"],
            link=_portal_messages_link(request, case),
            console_link=request.build_absolute_uri(
                reverse("console:case", args=[case.pseudonym]) + "?section=messages#messages"
            ),
            meta=_meta(request),
        )
    except ActionError as error:
        return _refused(request, ref, error, form, "", "message")
    return _done(request, case, gettext("Message sent to the patient's side."), "messages")


def _portal_messages_link(request: HttpRequest, case: Case) -> str:
    """The portal's page of the case's messages, for the patient's e-mail (by
    its URL name: the apps never import one another); "" without a portal."""
    try:
        path = reverse("portal:messages", kwargs={"pk": case.pseudonym})
    except NoReverseMatch:
        return ""
    return request.build_absolute_uri(path)


@require_POST
@console_view
def correct_fact(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "correct")
    post = request.POST
    fact = _shown_fact(case, post.get("fact_id") or "")
    typed = (post.get("value") or "").strip()
    if post.get("mode") == "save" and fact is not None:
        # Enter with nothing typed or the value as it is shown, and what the record
        # says left as it is: nothing to save (not a correction, not a refusal)
        same_value = not typed or facts.unchanged(fact, typed)
        same_context = post.get("context") in {None, "", fact.context}
        if same_value and same_context:
            return _nothing_changed(request, case, fact)
    form = CorrectFactForm(post)
    if not form.is_valid():
        return _invalid(request, ref, form, "fact")
    data = form.cleaned_data
    mode = data["mode"]
    if mode == "restore":
        return _restore_fact(request, case, ref, form)
    value = (data.get("value") or "").strip() or None
    if mode == "value" and fact is not None and value and facts.unchanged(fact, value):
        value = None  # the value as shown: only what the record says changes, if anything
        if not data.get("context") or data["context"] == fact.context:
            return _nothing_changed(request, case, fact)
        mode = "context"
    kind = (data["kind"] or None) if mode == "add" else fact.kind if fact is not None else None
    if mode in {"value", "add"} and value and kind and not data.get("anyway"):
        other = facts.looks_like(kind, value)
        if other is not None:
            form.add_error(None, _looks_like_words(value, kind, other))
            form.warning = True  # type: ignore[attr-defined]  # the row offers "save it anyway"
            return _render_case(request, case, bound={"fact": form})
    # where the coordinator goes on from: the fact after this one (read before
    # the change; fact ids are the kind, value and source, so the next one keeps its id)
    after = _fact_after(case, data.get("fact_id") or "") if mode != "add" else None
    try:
        do_correct_fact(
            case,
            acting_user=request.user,
            reason=data["reason"],
            expected_version=data["expected_version"],
            fact_id="" if mode == "add" else data["fact_id"],
            value=value if mode in {"value", "add"} else None,
            rejected=mode == "reject",
            kind=data["kind"] or None if mode == "add" else None,
            context="asserted" if mode == "confirm" else data.get("context") or None,
            meta=_meta(request),
        )
    except ActionError as error:
        action = reverse("console:correct_fact", args=[case.pseudonym])
        return _refused(request, ref, error, form, action, "fact")
    words = {
        "value": gettext("Fact corrected; the case was brought up to date."),
        "context": gettext("Fact corrected; the case was brought up to date."),
        "confirm": gettext("Fact confirmed as stated; the case was brought up to date."),
        "reject": gettext("Fact marked as wrong; the case was brought up to date."),
        "add": gettext("Fact added; the case was brought up to date."),
    }
    if after is None:
        return _done(request, case, words[mode], "facts")
    number, fact_id = after
    messages.success(request, words[mode])
    url = reverse("console:case", args=[case.pseudonym])
    return redirect(f"{url}?section=facts&facts_page={number}#fact-{fact_id}")


def _shown_fact(case: Case, fact_id: str) -> Any:
    """The fact of the case page with this id (as the coordinator saw it), or None."""
    if not fact_id:
        return None
    return next((row.fact for row in lib.case_page(case).facts if row.fact.id == fact_id), None)


def _fact_url(case: Case, fact_id: str) -> str:
    ids = [row.fact.id for row in lib.case_page(case).facts]
    number = ids.index(fact_id) // FACTS_PER_PAGE + 1 if fact_id in ids else 1
    url = reverse("console:case", args=[case.pseudonym])
    return f"{url}?section=facts&facts_page={number}#fact-{fact_id}"


def _nothing_changed(request: HttpRequest, case: Case, fact: Any) -> HttpResponse:
    """A save that changes nothing (nothing typed, or the value as shown) is not
    a correction: nothing is written, and the coordinator is told so."""
    label = fact_kind_label(fact.kind, page_lang())
    messages.info(
        request,
        gettext(
            "Nothing changed: %(kind)s is as the record says. Type a different value or "
            "choose what the record says to correct it."
        )
        % {"kind": label},
    )
    return redirect(_fact_url(case, fact.id))


def _looks_like_words(value: str, kind: str, other: str) -> str:
    lang = page_lang()
    words = {"value": value, "kind": fact_kind_label(kind, lang)}
    if other == kind:
        return (
            gettext(
                "“%(value)s” is not one of the values %(kind)s takes. Check it; to save it as "
                "typed, tick “Save it as typed” and save again."
            )
            % words
        )
    return gettext(
        "“%(value)s” looks like %(other)s, not %(kind)s. Check it; to save it as typed, "
        "tick “Save it as typed” and save again."
    ) % {**words, "other": fact_kind_label(other, lang)}


def _restore_fact(request: AuthedRequest, case: Case, ref: str, form: forms.Form) -> HttpResponse:
    data = form.cleaned_data
    fact = _shown_fact(case, data["fact_id"])
    # the fact keeps its id (the record's kind, value and source): its place, read before
    url = _fact_url(case, data["fact_id"])
    try:
        do_restore_fact(
            case,
            acting_user=request.user,
            fact_id=data["fact_id"],
            expected_version=data["expected_version"],
            meta=_meta(request),
        )
    except ActionError as error:
        action = reverse("console:correct_fact", args=[case.pseudonym])
        return _refused(request, ref, error, form, action, "fact")
    if fact is not None and fact.source is None:  # an added fact: gone
        text = gettext("The fact you added was removed; the case was brought up to date.")
        url = reverse("console:case", args=[case.pseudonym]) + "?section=facts#facts"
    else:
        text = gettext("What the record says stands again; the case was brought up to date.")
    messages.success(request, text)
    return redirect(url)


@require_POST
@console_view
def restore_marked_wrong(request: AuthedRequest, ref: str) -> HttpResponse:
    """Put a fact marked wrong back among the facts (the "Marked wrong" group)."""
    case = get_case_for_user_or_404(request.user, ref, "correct")
    form = RestoreMarkedWrongForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ref, form, "marked_wrong")
    fact_id = form.cleaned_data["fact_id"]
    try:
        restored = do_restore_marked_wrong_fact(
            case,
            acting_user=request.user,
            fact_id=fact_id,
            expected_version=form.cleaned_data["expected_version"],
            meta=_meta(request),
        )
    except ActionError as error:
        action = reverse("console:restore_marked_wrong", args=[case.pseudonym])
        return _refused(request, ref, error, form, action, "marked_wrong")
    messages.success(
        request, gettext("The fact is back among the facts; the case was brought up to date.")
    )
    return redirect(_fact_url(restored, fact_id))  # its row, on its page


def _fact_after(case: Case, fact_id: str) -> tuple[int, str] | None:
    """The page of facts and the id of the fact after `fact_id` (the one before
    it for the last): where the focus goes once the change is saved."""
    ids = [row.fact.id for row in lib.case_page(case).facts]
    if fact_id not in ids or len(ids) < 2:
        return None
    index = ids.index(fact_id)
    index = index + 1 if index + 1 < len(ids) else index - 1
    return index // FACTS_PER_PAGE + 1, ids[index]


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


# -- files and outputs -------------------------------------------------------------


@require_GET
@console_view
def document_file(request: AuthedRequest, ref: str, doc: int) -> HttpResponse:
    case = get_case_for_user_or_404(request.user, ref, "view", request=request)
    document = get_case_object_or_404(case, Document, doc)
    try:
        data = storage.read_document(case, document)
    except ActionError as error:
        return _render_case(request, case, status=500, error=str(error))
    name, kind = document.file_name, "application/octet-stream"
    if sniff(data[:8192]).handler == "pdf" and not _checked_clean(case, document):
        # Active content (or a PDF not checked for it): staff and reviewers get the pages
        # redrawn as pictures in a limited child (engine/ingest/pdf_active.py); the stored
        # original stays as it is.
        try:
            data = pdf_active.redraw_in_child(data)
        except pdf_active.RedrawError:
            return _render_case(request, case, status=422, error=str(REDRAW_FAILED))
        name, kind = f"{name.removesuffix('.pdf')} (redrawn copy).pdf", "application/pdf"
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = _attachment(name)
    return response


REDRAW_FAILED = _(
    "This PDF holds active content (or could not be checked for it) and a safe copy could not "
    "be made: ask the patient for another copy of the record."
)


def _checked_clean(case: Case, document: Document) -> bool:
    """Whether ingest checked this PDF for active content and found none."""
    read = read_engine(case).engine.document(document.engine_doc_id)
    return read is not None and read.metadata.get("active_content") == ""


def _attachment(name: str, inline: bool = False) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(not inline, name) or "attachment"


@require_GET
@console_view
def case_output(request: AuthedRequest, ref: str, name: str) -> HttpResponse:
    """The engine's outputs for this case, rendered by the engine's renderers."""
    case = get_case_for_user_or_404(request.user, ref, "view", request=request)
    engine = engine_case(case)
    label = case.pseudonym
    if name in {"summary.en.html", "summary.zh.html"}:
        response = HttpResponse(render_html(engine, name.split(".")[1]), "text/html; charset=utf-8")
        response["Content-Security-Policy"] = SUMMARY_CSP
        return response
    if name in {"summary.en.pdf", "summary.zh.pdf"}:
        response = HttpResponse(render_pdf(engine, name.split(".")[1]), "application/pdf")
        response["Content-Disposition"] = _attachment(f"{label}-{name}", inline=True)
        return response
    if name == "checklist.md":
        body, kind = render_checklist(engine), "text/markdown; charset=utf-8"
    elif name == "fhir.json":
        bundle = to_ips_bundle(engine)
        body, kind = json.dumps(bundle, ensure_ascii=False, indent=2), "application/fhir+json"
    elif name == "case.json":
        body, kind = case_json(engine), "application/json"
    elif name.startswith("requests/"):
        letters = render_requests(engine)
        if name not in letters:
            raise Http404("No such letter")
        body, kind = letters[name], "text/markdown; charset=utf-8"
    else:
        raise Http404("No such output")
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = _attachment(f"{label}-{name.replace('/', '-')}")
    return response
