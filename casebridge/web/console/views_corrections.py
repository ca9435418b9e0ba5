"""Corrections to the facts the engine read (correct, confirm, mark wrong, add,
restore), from the facts section of the case page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from casebridge.web.cases.access import get_case_for_user_or_404
from casebridge.web.cases.actions import do_correct_fact
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.http import AuthedRequest
from casebridge.web.cases.lib import fact_kind_label, page_lang
from casebridge.web.cases.models import Case
from casebridge.web.console import facts, lib_case
from casebridge.web.console.actions import (
    do_restore_fact,
    do_restore_marked_wrong_fact,
)
from casebridge.web.console.forms import CorrectFactForm, RestoreMarkedWrongForm
from casebridge.web.console.gate import _meta, console_view
from casebridge.web.console.views_case import (
    FACTS_PER_PAGE,
    _done,
    _invalid,
    _refused,
    _render_case,
)


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
    return next(
        (row.fact for row in lib_case.case_page(case).facts if row.fact.id == fact_id), None
    )


def _fact_url(case: Case, fact_id: str) -> str:
    ids = [row.fact.id for row in lib_case.case_page(case).facts]
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
    ids = [row.fact.id for row in lib_case.case_page(case).facts]
    if fact_id not in ids or len(ids) < 2:
        return None
    index = ids.index(fact_id)
    index = index + 1 if index + 1 < len(ids) else index - 1
    return index // FACTS_PER_PAGE + 1, ids[index]
