"""The patient's workspace: one case, its records, facts with their sources,
timeline, missing records with request letters, questions, summary and
downloads, consent, family, messages and the log of who opened it.

Views parse and validate; every case comes through the access gate; every
change is an action."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebridge.engine.ingest.sniff import sniff
from casebridge.web.accounts.models import Role
from casebridge.web.cases import mail, matching, storage, workflow
from casebridge.web.cases.access import (
    allowed,
    get_case_for_user_or_404,
    get_case_object_or_404,
    grant_of,
)
from casebridge.web.cases.actions import do_give_consent, do_withdraw_consent
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError, StorageError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import active_consents, read_engine
from casebridge.web.cases.messaging import do_post_message
from casebridge.web.cases.models import Case, CaseMember, Consent, Document
from casebridge.web.portal import content, expect, lib, overview
from casebridge.web.portal.actions.documents import (
    do_flag_document_type,
    do_record_read,
    do_upload_documents,
    flagged_document_ids,
    has_processing_consent,
)
from casebridge.web.portal.actions.family import (
    do_change_member_permissions,
    do_invite_family,
    do_resend_invitation,
    do_revoke_member,
)
from casebridge.web.portal.forms import (
    ChangeMemberForm,
    ConsentForm,
    FlagTypeForm,
    InviteForm,
    MessageForm,
    RevokeMemberForm,
    TransferConsentForm,
)
from casebridge.web.portal.matched import chosen_direction
from casebridge.web.portal.templatetags.portal_tags import letter_plain_text

SUMMARY_LANGS = ("en", "zh")
# the countries a transfer consent may name, for the patient (ISO 3166-1 alpha-2)
COUNTRY_NAMES = {"CN": gettext_lazy("China")}
# The engine's summary page carries its own inline CSS and no scripts.
SUMMARY_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


def _gate(request: HttpRequest, pk: str, need: str = "view") -> Case:
    """The patient's and family's pages: a reviewer abroad never sees them (they
    hold the uploaded files and the names); their workspace shows only what was
    sent. 404 for them as for anyone without the need."""
    if getattr(request.user, "role", None) == Role.REVIEWER:
        raise Http404("No such case")
    return get_case_for_user_or_404(request.user, pk, need, request=request)


def _ctx(request: HttpRequest, case: Case, tab: str, **extra: Any) -> dict[str, Any]:
    user = request.user
    # who the pages name for someone who is not the patient ("Alice's records")
    theirs = "" if case.owner_id == user.pk else lib.patient_name(case)
    return {
        "case": case,
        "tab": tab,
        "status_text": lib.status_text(case, theirs),
        "is_owner": case.owner_id == user.pk,
        "patient_name": theirs,
        "may_upload": allowed(user, case, "upload"),
        "may_message": allowed(user, case, "message"),
        "may_consent": allowed(user, case, "consent"),
        "guidance": content.guidance_for(tab, patient=theirs),
        **extra,
    }


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


def audited_attachment(
    request: AuthedRequest,
    case: Case,
    body: bytes | str,
    content_type: str,
    name: str,
    filename: str | None = None,
) -> HttpResponse:
    """A download of the case's data: the read recorded in the audit log (as
    `name`), then the file, never cached."""
    do_record_read(
        case,
        acting_user=request.user,
        action="case.downloaded",
        after={"file": name},
        meta=meta_from_request(request),
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename or name}"'
    return _no_store(response)


def letter_or_404(case: Case, slug: str) -> lib.Letter:
    """The case's ready-to-send request letter `slug` (rendered once per reading)."""
    letters = lib.cached_request_letters(read_engine(case))
    found = next((item for item in letters if item.slug == slug), None)
    if found is None:
        raise Http404("No such letter")
    return found


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


def _role(request: HttpRequest, case: Case) -> str:
    """Who the page is for (a part of the fragment cache's key)."""
    grant = grant_of(case)
    if case.owner_id == request.user.pk:
        return "owner"
    if grant is not None and grant.staff:
        return "staff"
    return "member"


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def documents(request: AuthedRequest, pk: str) -> HttpResponse:
    """The records: upload several at once (drag and drop, camera) and their states."""
    if request.method == "POST":
        return _upload(request, pk)
    case = _gate(request, pk)
    flagged = flagged_document_ids(case)
    rows = lib.document_rows(case, flagged)
    return render(
        request,
        "portal/documents.html",
        _ctx(
            request,
            case,
            "upload",
            documents=rows,
            list_status=lib.list_status(rows, flagged),
            flag_form=FlagTypeForm(lang=content.current_lang()),
            consent_given=has_processing_consent(case),
            max_mb=_max_mb(),
            record_requests=lib.open_record_requests(case),
        ),
    )


def _max_mb() -> int:
    from django.conf import settings

    return int(settings.MAX_UPLOAD_BYTES // (1024 * 1024))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _upload(request: AuthedRequest, pk: str) -> HttpResponse:
    case = _gate(request, pk, "upload")
    files = request.FILES.getlist("files") + request.FILES.getlist("camera")
    if not files:
        error = _("Choose at least one file to add.")
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": error}, status=400)
        messages.error(request, error)
        return redirect("portal:documents", pk=case.pseudonym)
    try:
        results = do_upload_documents(
            case,
            acting_user=request.user,
            files=[(f.name or "unnamed", f.size or 0, f.read) for f in files],
            meta=meta_from_request(request),
        )
    except ActionError as error:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": str(error)}, status=400)
        messages.error(request, str(error))
        return redirect("portal:documents", pk=case.pseudonym)
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": all(r.document is not None for r in results),
                "files": [
                    {
                        "name": r.file_name,
                        "added": r.document is not None,
                        "duplicate": r.duplicate,
                        "error": r.error,
                    }
                    for r in results
                ],
            },
            status=200
            if any(r.document for r in results) or all(r.duplicate for r in results)
            else 400,
        )
    for result in results:
        if result.document is not None:
            messages.success(request, _("'%(name)s' was added.") % {"name": result.file_name})
        else:
            messages.error(request, result.error)
    return redirect("portal:documents", pk=case.pseudonym)


@login_required
@never_cache
@require_GET
def document_list(request: AuthedRequest, pk: str) -> HttpResponse:
    """The document table alone, for htmx polling while documents are waiting
    or being read (and after an upload). The poll sends the key of the list it
    shows (?seen=): while nothing has changed the answer is 204, which htmx
    leaves as it is, so the page does not flicker and a screen reader hears
    nothing new; a change swaps the list and its status (read out politely).
    A list with nothing left to read carries no polling attribute: it stops."""
    case = _gate(request, pk)
    flagged = flagged_document_ids(case)
    rows = lib.document_rows(case, flagged)
    status = lib.list_status(rows, flagged)
    if request.GET.get("seen") == status.key:
        return HttpResponse(status=204)
    return render(
        request,
        "portal/_document_list.html",
        {
            "case": case,
            "documents": rows,
            "list_status": status,
            "fragment": True,
            "flag_form": FlagTypeForm(lang=content.current_lang()),
            "may_upload": allowed(request.user, case, "upload"),
        },
    )


@login_required
@never_cache
@require_GET
def document_text(request: AuthedRequest, pk: str, doc: int) -> HttpResponse:
    """The text casebridge read from a document, page by page."""
    case = _gate(request, pk)
    document = get_case_object_or_404(case, Document, doc)
    engine = read_engine(case).engine
    parts = lib.engine_documents_of(case, document, engine)
    part_index = _int(request.GET.get("part"), 0)
    if not parts:
        view = None
    else:
        part = parts[min(max(part_index, 0), len(parts) - 1)]
        view = lib.page_view(engine, part.id, _int(request.GET.get("page"), 1))
    do_record_read(
        case,
        acting_user=request.user,
        action="document.read",
        obj=document,
        after={"what": "text"},
        meta=meta_from_request(request),
    )
    return render(
        request,
        "portal/document_text.html",
        _ctx(
            request,
            case,
            "documents",
            document=document,
            row=lib.document_row(document, content.current_lang()),
            may_open_original=_may_open_original(request, case),
            view=view,
            fact=None,
            parts=parts,
            part_index=part_index,
        ),
    )


def _may_open_original(request: HttpRequest, case: Case) -> bool:
    """The patient and their family open the files they sent; staff open them
    from the console (which redraws a PDF with active content), and a reviewer
    abroad never reaches the portal."""
    return _role(request, case) in ("owner", "member")


# what a browser may show in the page rather than download: no HTML, no SVG
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})


@login_required
@never_cache
@require_GET
def document_original(request: AuthedRequest, pk: str, doc: int) -> HttpResponse:
    """The file the patient (or their family) uploaded, as it was sent: shown
    in the browser for a PDF checked free of active content and for a photo,
    otherwise downloaded; never cached, never sniffed, the read audited."""
    case = _gate(request, pk)
    if not _may_open_original(request, case):
        raise Http404("No such document")
    document = get_case_object_or_404(case, Document, doc)
    try:
        data = storage.read_document(
            case, document, after={"what": "original"}, meta=meta_from_request(request)
        )
    except StorageError:
        messages.error(
            request,
            _(
                "Sorry, your original file could not be opened. Please send your coordinator a message."
            ),
        )
        return redirect("portal:document_text", pk=case.pseudonym, doc=document.pk)
    kind = sniff(data[:8192]).media_type
    inline = kind in INLINE_TYPES and (kind != "application/pdf" or _checked_clean(case, document))
    response = HttpResponse(data, content_type=kind if inline else "application/octet-stream")
    response["Content-Disposition"] = (
        content_disposition_header(not inline, document.file_name or "document") or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)


def _checked_clean(case: Case, document: Document) -> bool:
    """Whether ingest checked this PDF for active content and found none (else
    it is downloaded, not opened in the page)."""
    ids = document.engine_doc_ids or ([document.engine_doc_id] if document.engine_doc_id else [])
    read = read_engine(case).engine.document(ids[0]) if ids else None
    return read is not None and read.metadata.get("active_content") == ""


@login_required
@never_cache
@require_GET
def fact_source(request: AuthedRequest, pk: str, fact_id: str) -> HttpResponse:
    """A fact and where it came from: its page with the words highlighted."""
    case = _gate(request, pk)
    reading = read_engine(case)
    engine = reading.engine
    fact = lib.find_fact(engine, fact_id)
    if fact is None:
        raise Http404("No such fact")
    view = None
    document = None
    if fact.source is not None:
        src = fact.source
        view = lib.page_view(engine, src.document_id, src.page, src.start, src.end)
        document = lib.platform_document(case, src.document_id)
        do_record_read(
            case,
            acting_user=request.user,
            action="document.read",
            obj=document,
            after={"what": "fact source", "fact_id": fact.id},
            meta=meta_from_request(request),
        )
    row = next((r for r in lib.cached_fact_rows(reading) if r.id == fact.id), None)
    return render(
        request,
        "portal/document_text.html",
        _ctx(
            request,
            case,
            "home",
            document=document,
            view=view,
            fact=row,
            parts=[],
            part_index=0,
            flag_form=None,
        ),
    )


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_POST
def flag_document(request: AuthedRequest, pk: str, doc: int) -> HttpResponse:
    case = _gate(request, pk, "upload")
    document = get_case_object_or_404(case, Document, doc)
    form = FlagTypeForm(request.POST, lang=content.current_lang())
    if not form.is_valid():
        messages.error(request, _("Choose a kind of document from the list."))
    else:
        try:
            do_flag_document_type(
                case,
                acting_user=request.user,
                document=document,
                note=form.cleaned_data["note"],
                suggested_type=form.cleaned_data["doc_type"],
                meta=meta_from_request(request),
            )
        except ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Thank you. A coordinator will check the type of this document.")
            )
    return redirect("portal:documents", pk=case.pseudonym)


# -- outputs -----------------------------------------------------------------------


@login_required
@never_cache
@require_GET
@xframe_options_sameorigin
def summary_page(request: AuthedRequest, pk: str, lang: str) -> HttpResponse:
    """The engine's summary page as it is (its own inline styles, no scripts),
    shown inside the site's preview page (views_sections.summary_preview) and
    framed by nothing else."""
    if lang not in SUMMARY_LANGS:
        raise Http404("No such language")
    case = _gate(request, pk)
    html = lib.summary_html(case, lang)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = SUMMARY_CSP
    return _no_store(response)


@login_required
@never_cache
@require_GET
def download(request: AuthedRequest, pk: str, name: str) -> HttpResponse:
    """summary-en.pdf, summary-zh.pdf, fhir.json: rendered by the engine, audited."""
    case = _gate(request, pk)
    if name in ("summary-en.pdf", "summary-zh.pdf"):
        body: bytes | str = lib.summary_pdf(case, name[8:10])
        content_type = "application/pdf"
    elif name == "fhir.json":
        body, content_type = lib.fhir_json(case), "application/fhir+json; charset=utf-8"
    else:
        raise Http404("No such download")
    return audited_attachment(
        request, case, body, content_type, name, filename=f"{case.pseudonym}-{name}"
    )


@login_required
@never_cache
@require_GET
def letter(request: AuthedRequest, pk: str, slug: str) -> HttpResponse:
    """A ready-to-send request letter: to read and copy, or to download."""
    case = _gate(request, pk)
    found = letter_or_404(case, slug)
    if request.GET.get("download"):
        return audited_attachment(
            request, case, letter_plain_text(found.text), "text/plain; charset=utf-8", f"{slug}.txt"
        )
    return render(request, "portal/letter.html", _ctx(request, case, "checklist", letter=found))


# -- consent, family, messages, activity -------------------------------------------------


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


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def family(request: AuthedRequest, pk: str) -> HttpResponse:
    case = _gate(request, pk, "consent")
    if request.method == "POST" and request.POST.get("action") == "change":
        return _change_member(request, case)
    if request.method == "POST" and request.POST.get("action") == "resend":
        return _resend_invitation(request, case)
    if request.method == "POST" and "member" in request.POST:
        return _revoke_member(request, case)
    form = InviteForm(
        request.POST if request.method == "POST" else None,
        initial={"language": mail.stored_language(translation.get_language())},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_invite_family(
                case,
                acting_user=request.user,
                email=data["email"],
                relationship=data["relationship"],
                can_upload=data["can_upload"],
                can_message=data["can_message"],
                can_approve=data["can_approve"],
                language=data["language"] or mail.stored_language(translation.get_language()),
                name=data["name"],
                site_url=request.build_absolute_uri("/"),
                meta=meta_from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("portal:family", pk=case.pseudonym)
    members = lib.family_members(case)
    return render(
        request, "portal/family.html", _ctx(request, case, "family", form=form, members=members)
    )


def _revoke_member(request: AuthedRequest, case: Case) -> HttpResponse:
    revoke = RevokeMemberForm(request.POST)
    if not revoke.is_valid():
        raise Http404("No such member")
    member = case.members.filter(pk=revoke.cleaned_data["member"], revoked_at__isnull=True).first()
    if member is None:
        raise Http404("No such member")
    try:
        do_revoke_member(
            case, acting_user=request.user, member=member, meta=meta_from_request(request)
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Access removed."))
    return redirect("portal:family", pk=case.pseudonym)


def _resend_invitation(request: AuthedRequest, case: Case) -> HttpResponse:
    resend = RevokeMemberForm(request.POST)  # the same one field: the membership's id
    if not resend.is_valid():
        raise Http404("No such member")
    member = case.members.filter(pk=resend.cleaned_data["member"], revoked_at__isnull=True).first()
    if member is None:
        raise Http404("No such member")
    try:
        do_resend_invitation(
            case,
            acting_user=request.user,
            member=member,
            site_url=request.build_absolute_uri("/"),
            meta=meta_from_request(request),
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new link was sent."))
    return redirect("portal:family", pk=case.pseudonym)


def _change_member(request: AuthedRequest, case: Case) -> HttpResponse:
    change = ChangeMemberForm(request.POST)
    if not change.is_valid():
        raise Http404("No such member")
    data = change.cleaned_data
    member = case.members.filter(pk=data["member"], revoked_at__isnull=True).first()
    if member is None:
        raise Http404("No such member")
    try:
        do_change_member_permissions(
            case,
            acting_user=request.user,
            member=member,
            can_upload=data["can_upload"],
            can_message=data["can_message"],
            can_approve=data["can_approve"],
            meta=meta_from_request(request),
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved: what they may do has changed."))
    return redirect("portal:family", pk=case.pseudonym)


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


@login_required
@never_cache
@require_GET
def activity(request: AuthedRequest, pk: str) -> HttpResponse:
    """Who opened my case: the audit log, for the patient."""
    case = _gate(request, pk, "consent")
    log = lib.activity(case, request.user, content.current_lang())
    return render(request, "portal/activity.html", _ctx(request, case, "activity", log=log))
