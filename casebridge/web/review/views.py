"""The reviewer workspace (issue 11, parts 4 and 5): a reviewer's cases, and each
case as its sent pack holds it, Chinese first. Only what was sent is shown
here — the pack's redacted pages and pseudonymised summaries — never the
patient's uploaded files or the portal's pages. Every case is opened through
the access gate with the `review` need (reviews.open_assignment), which also
puts the read on record.

Views only parse; the gate and cases.reviews decide."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebridge.engine.directions import load_directions
from casebridge.engine.terminology import label
from casebridge.web.accounts.models import Role
from casebridge.web.cases import opinions, reviews, storage
from casebridge.web.cases.access import assignment_of, get_case_for_user_or_404
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.matching import recipient_names
from casebridge.web.cases.models import Case, CasePack, ReviewAssignment
from casebridge.web.cases.pack_files import pack_file_or_404, pack_file_response
from casebridge.web.cases.packs import sent_pack
from casebridge.web.cases.review_models import OPINION_FIELDS
from casebridge.web.review.forms import DisciplineOpinionForm, TeamOpinionForm, as_html

View = Callable[..., HttpResponse]

# The order a reviewer meets the files in: the Chinese summary first.
FILE_ORDER = (
    "summary.zh.html",
    "summary.zh.pdf",
    "summary.zh.json",
    "summary.en.html",
    "summary.en.pdf",
    "summary.en.json",
    "fhir.json",
)


def reviewer_view(view: View) -> View:
    """Reviewers only (anyone else: 404, like a case they may not see); the page
    in Simplified Chinese unless the reviewer chose English."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.role != Role.REVIEWER:
            raise Http404("No such page")
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        with translation.override(chosen or "zh-hans"):
            return view(request, *args, **kwargs)

    return never_cache(wrapped)


def _lang() -> str:
    return "zh" if (translation.get_language() or "").startswith("zh") else "en"


def _department_name(direction_id: str, lang: str) -> str:
    return recipient_names(lang).get(direction_id, direction_id)


def _discipline(key: str, lang: str) -> str:
    names = load_directions().disciplines.get(key)
    if names is None:
        return key
    return names.zh if lang == "zh" else names.en


@require_GET
@reviewer_view
def home(request: AuthedRequest) -> HttpResponse:
    lang = _lang()
    rows = []
    for assignment in reviews.assignments_for(request.user):
        # listed only where the gate would open it now (consent, second factor...)
        if reviews.open_assignment(request.user, assignment.case) is None:
            continue
        seat = assignment.seats.filter(reviewer=request.user).first()
        rows.append(
            {
                "case": assignment.case,
                "due_date": assignment.due_date,
                "discipline": _discipline(seat.discipline, lang) if seat else "",
                "lead": bool(seat and seat.lead),
            }
        )
    department = reviews.department_of(request.user)
    return render(
        request,
        "review/home.html",
        {"rows": rows, "department": _department_name(department, lang) if department else ""},
    )


def _file_rows(pack: CasePack, lang: str) -> list[dict[str, Any]]:
    about = {f["name"]: f for f in pack.manifest.get("files", [])}
    stored = list(pack.files.all())
    for file in stored:  # its name is sealed with the case's key: one key, not one a file
        file.case = pack.case
    files = sorted(
        stored,
        key=lambda f: (FILE_ORDER.index(f.name) if f.name in FILE_ORDER else 99, f.position),
    )
    rows, number = [], 0
    for file in files:
        info = dict(about.get(file.name, {}))
        row: dict[str, Any] = {"file": file, "name": file.name, "pages": info.get("pages")}
        if info.get("role") == "original":
            number += 1
            row["number"] = number
            row["type"] = label(f"doc_type.{info.get('doc_type', 'other')}", lang)
            row["date"] = info.get("date") or ""
        rows.append(row)
    return rows


@require_GET
@reviewer_view
def case(request: AuthedRequest, ref: str) -> HttpResponse:
    opened = get_case_for_user_or_404(request.user, ref, "review", request=request)
    return render_case(request, opened)


def opened_or_404(request: AuthedRequest, ref: str) -> tuple[Case, ReviewAssignment]:
    opened = get_case_for_user_or_404(request.user, ref, "review", request=request)
    assignment = assignment_of(request.user, opened)
    if assignment is None:  # lapsed between the gate and here
        raise Http404("No such case")
    return opened, assignment


def _sent_section(opened: Case, pack: CasePack | None, lang: str) -> SafeString:
    """What was sent (its files, images, and the case fact by fact), rendered
    once per version and language: a sent version never changes, and its 300
    files' sealed names need not be opened at every request."""
    key = (opened.pseudonym, pack.pk, pack.sha256, lang) if pack else None
    if key is not None and key in _SENT_CACHE:
        return _SENT_CACHE[key]
    rows = _file_rows(pack, lang) if pack else []
    html = render_to_string(
        "review/_sent.html",
        {
            "case": opened,
            "pack": pack,
            "rows": rows,
            "summary": next((r for r in rows if r["name"] == f"summary.{lang}.html"), None),
            "series": list(pack.series.all()) if pack else [],
            "facts": _summary_data(opened, rows, lang),
        },
    )
    fragment = mark_safe(html)  # noqa: S308  # nosec B308 B703 - our own template, escaped
    if key is not None:
        if len(_SENT_CACHE) >= SENT_CACHE_SIZE:
            _SENT_CACHE.pop(next(iter(_SENT_CACHE)))
        _SENT_CACHE[key] = fragment
    return fragment


def _summary_data(opened: Case, rows: list[dict[str, Any]], lang: str) -> dict[str, Any] | None:
    """The sent summary as data (summary.<lang>.json of the pack), each source
    linked to its redacted page: the facts beside the pages they come from."""
    row = next((r for r in rows if r["name"] == f"summary.{lang}.json"), None)
    if row is None:
        return None
    data = json.loads(storage.read_pack_file(opened, row["file"]))  # checks its hash
    position = {r["name"]: r["file"].position for r in rows}
    for source in data.get("sources", []):
        source["position"] = position.get(source.get("file") or "")
    return dict(data)


# The rendered sent parts of the versions this process has shown, in memory only
# (health data: never in the shared cache table); a few cases' worth.
SENT_CACHE_SIZE = 16
_SENT_CACHE: dict[tuple[str, int, str, str], SafeString] = {}


def _opinion_initial(opinion: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(opinion, name) for name in names} if opinion is not None else {}


def render_case(
    request: AuthedRequest,
    opened: Case,
    *,
    error: str = "",
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    assignment = assignment_of(request.user, opened)
    if assignment is None:
        raise Http404("No such case")
    bound = bound or {}
    lang = _lang()
    pack = sent_pack(opened, assignment.direction_id)
    seats = list(assignment.seats.select_related("reviewer"))
    me = next(s for s in seats if s.reviewer_id == request.user.pk)
    team = [
        {
            "name": seat.reviewer.display_name,
            "discipline": _discipline(seat.discipline, lang),
            "lead": seat.lead,
            "me": seat.reviewer_id == request.user.pk,
        }
        for seat in seats
    ]
    sent_html = _sent_section(opened, pack, lang)
    written = opinions.discipline_opinions(assignment)
    mine = next((o for o in written if o.author_id == request.user.pk), None)
    fields = ("agreement", *OPINION_FIELDS)
    draft, signed = opinions.team_versions(opened, assignment)
    if not me.lead:
        draft = None
    # a draft goes on where it was; an amendment starts from the signed version
    source = draft or (signed[0] if signed else None)
    team_initial = _opinion_initial(source, ("agreement", "language", *opinions.TEAM_FIELDS))
    if draft is not None:
        team_initial["amend_reason"] = draft.amend_reason
    return render(
        request,
        "review/case.html",
        {
            "case": opened,
            "assignment": assignment,
            "department": _department_name(assignment.direction_id, lang),
            "pack": pack,
            "sent_html": sent_html,
            "seats": team,
            "me": me,
            "my_discipline": _discipline(me.discipline, lang),
            "mine": mine,
            "mine_form": as_html(
                bound.get("mine")
                or DisciplineOpinionForm(initial=_opinion_initial(mine, fields), auto_id="mine-%s")
            ),
            "submitted": [
                {"opinion": o, "discipline": _discipline(o.discipline, lang)}
                for o in written
                if o.submitted_at is not None
            ],
            "draft": draft,
            "draft_hash": opinions.content_hash(draft) if draft else "",
            "team_form": as_html(
                bound.get("team") or TeamOpinionForm(initial=team_initial, auto_id="team-%s")
            )
            if me.lead
            else "",
            "signed": signed,
            "error": error,
        },
        status=status,
    )


@require_GET
@reviewer_view
def pack_file(request: AuthedRequest, ref: str, number: int, position: int) -> HttpResponse:
    opened = get_case_for_user_or_404(request.user, ref, "review", request=request)
    assignment = assignment_of(request.user, opened)
    pack, file = pack_file_or_404(opened, number, position)
    # only what was sent to the reviewer's own department, never a version
    # still waiting for the patient's approval
    if (
        assignment is None
        or pack.state != CasePack.State.SENT
        or pack.recipient != assignment.direction_id
    ):
        raise Http404("No such file")
    return pack_file_response(opened, file, meta_from_request(request))
