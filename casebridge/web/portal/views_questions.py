"""The patient's questions for the specialists (issue 12): the list in order,
each editable, movable and removable; a question typed in; the questions found
in the patient's own notes, offered to add. Views only parse; cases.questions
decides and records."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.web.cases import questions as q
from casebridge.web.cases import workflow
from casebridge.web.cases.access import allowed
from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import read_engine
from casebridge.web.portal import content
from casebridge.web.portal.case_pages import _ctx, _gate


def _number(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@login_required
@never_cache
@require_http_methods(["GET"])
def questions(request: AuthedRequest, pk: str) -> HttpResponse:
    case = _gate(request, pk)
    listed = q.questions_of(case)
    may_change = allowed(request.user, case, "upload")
    found = q.suggestions(case, read_engine(case).engine, listed) if may_change else []
    return render(
        request,
        "portal/questions.html",
        _ctx(
            request,
            case,
            "questions",
            questions=listed,
            suggestions=found,
            may_change=may_change,
            max_length=q.MAX_LENGTH,
        ),
    )


@login_required
@never_cache
@require_POST
def change(request: AuthedRequest, pk: str) -> HttpResponse:
    """One change to the list: add (typed, or found in a note), edit, remove,
    move up or down. Each through its do_* action; a refusal says why."""
    case = _gate(request, pk, "upload")
    what = request.POST.get("action", "")
    meta = meta_from_request(request)
    question_id = _number(request.POST.get("question"))
    try:
        if what == "add":
            q.do_add_question(
                case,
                acting_user=request.user,
                text=request.POST.get("text", ""),
                document_id=_number(request.POST.get("document")),
                page=_number(request.POST.get("page")),
                meta=meta,
            )
            done = _("Question added.")
        elif what == "edit" and question_id:
            q.do_edit_question(
                case,
                acting_user=request.user,
                question_id=question_id,
                text=request.POST.get("text", ""),
                meta=meta,
            )
            done = _("Question saved.")
        elif what == "remove" and question_id:
            q.do_remove_question(case, acting_user=request.user, question_id=question_id, meta=meta)
            done = _("Question removed.")
        elif what in ("up", "down") and question_id:
            q.do_move_question(
                case, acting_user=request.user, question_id=question_id, direction=what, meta=meta
            )
            done = _("Order saved.")
        else:
            raise ActionError(_("That change could not be understood: reload the page."))
    except ActionError as error:
        messages.error(request, str(error))
        return redirect("portal:questions", pk=case.pseudonym)
    if case.status == workflow.PAUSED_SAFETY and case.paused:
        messages.error(request, content.red_flag_advice()["message_paused"])
    elif case.safety_review:
        messages.warning(request, content.red_flag_advice()["amber"])
    else:
        messages.success(request, done)
    anchor = f"#q-{question_id}" if what in ("up", "down", "edit") and question_id else ""
    return redirect(f"/cases/{case.pseudonym}/questions/{anchor}")
