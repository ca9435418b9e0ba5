"""Reads for the case page's matching, pack, review and opinion sections (no
state changes): what each shows, or None before the case reaches it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from casebridge.engine.directions import load_directions
from casebridge.web.cases import matching, opinions, packs, reviews, workflow
from casebridge.web.cases.lib import can_share_abroad, page_lang
from casebridge.web.cases.models import Case


def matching_section(case: Case, sent: forms.Form | None = None) -> dict[str, Any] | None:
    """What the case page's matching section shows; None before the records
    are ready (a ranking on half the records would mislead). After a refused
    choice, `sent` (the bound form) keeps what the coordinator picked and wrote."""
    if case.status not in matching.CHOOSABLE:
        return None
    data = matching.ranking(case)
    choice = matching.active_choice(case)
    # the form starts from the choice made, else from what the facts propose
    picked = set(choice.disciplines) if choice else {d["key"] for d in data["disciplines"]}
    selected, note = (choice.direction_id if choice else ""), (choice.note if choice else "")
    if sent is not None:
        picked = set(sent["disciplines"].value() or [])
        selected, note = sent["direction"].value() or "", sent["note"].value() or ""
    zh = page_lang() == "zh"
    names = {d["key"]: (d.get("zh") if zh else "") or d["en"] for d in data["all_disciplines"]}
    return {
        "ranking": data,
        "choice": choice,
        "choice_disciplines": [names.get(k, k) for k in choice.disciplines] if choice else [],
        "selected": selected,
        "note": note,
        "disciplines": [{**d, "proposed": d["key"] in picked} for d in data["all_disciplines"]],
    }


OPINION_LABELS: dict[str, Any] = {
    "summary": _("Summary"),
    "diagnosis_note": _("Diagnosis: why"),
    "staging": _("Staging"),
    "direction": _("Recommended direction"),
    "further_tests": _("Further tests"),
    "trials": _("Trials or advanced therapies"),
    "questions_back": _("Questions for the patient's team"),
    "disagreements": _("Where the team did not agree"),
}


def marked(text: str, hits: list[Any]) -> SafeString:
    """`text` escaped, each promise-like phrase in a <mark> with its reason."""
    out, at = [], 0
    for hit in hits:
        out.append(escape(text[at : hit.start]))
        why = hit.why_zh if page_lang() == "zh" else hit.why_en
        out.append(format_html('<mark title="{}">{}</mark>', why, text[hit.start : hit.end]))
        at = hit.end
    out.append(escape(text[at:]))
    return mark_safe("".join(str(part) for part in out))  # noqa: S308  # nosec B308 B703 - each part escaped above


def opinion_section(case: Case) -> dict[str, Any] | None:
    """The case page's opinion section: every signed version with its promise-like
    phrases highlighted for the coordinator to check before release. Nothing
    (and no query) before the case is with a team."""
    if case.status not in (*reviews.REVIEWABLE, workflow.POST_REVIEW):
        return None
    signed = opinions.signed_opinions(case)
    assignment = reviews.current_assignment(case)
    written = opinions.discipline_opinions(assignment) if assignment else []
    if not signed and not written:
        return None
    versions = []
    for opinion in signed:
        hits = opinions.highlights(opinion)
        parts = [
            (OPINION_LABELS[name], marked(getattr(opinion, name), hits.get(name, [])))
            for name in opinions.TEAM_FIELDS
            if getattr(opinion, name)
        ]
        versions.append(
            {"opinion": opinion, "parts": parts, "highlights": sum(map(len, hits.values()))}
        )
    return {
        "versions": versions,
        "disciplines": [o for o in written if o.submitted_at is not None],
    }


def review_section(case: Case) -> dict[str, Any] | None:
    """The case page's review section: once a pack is sent to the department."""
    if case.status not in reviews.REVIEWABLE:
        return None
    choice = matching.active_choice(case)
    if choice is None:
        return None
    directory = load_directions()
    direction = directory.get(choice.direction_id)
    disciplines = [str(d) for d in choice.disciplines] or list(direction.mdt if direction else [])
    zh = page_lang() == "zh"
    names = {
        k: ((d.zh if zh else "") or d.en) if (d := directory.disciplines.get(k)) else k
        for k in disciplines
    }
    assignment = reviews.current_assignment(case)
    return {
        "assignment": assignment,
        "seats": list(assignment.seats.select_related("reviewer")) if assignment else [],
        "candidates": [
            {
                "profile": p,
                "disciplines": [(k, names[k]) for k in disciplines if k in p.disciplines],
            }
            for p in reviews.reviewers_of(choice.direction_id)
        ],
        "disciplines": names,
        "department": matching.recipient_name(choice.names, page_lang()),
        "default_due": timezone.localdate()
        + dt.timedelta(
            days=(
                direction.typical_review_days if direction and direction.typical_review_days else 14
            )
        ),
        "sent": bool(packs.sent_packs(case)),
    }


def pack_section(case: Case) -> dict[str, Any] | None:
    """The case page's pack section: from the choice of a department on."""
    if case.status not in packs.PACKABLE:
        return None
    current = packs.current_pack(case)
    recipient = matching.consent_recipient(case, page_lang())
    return {
        "current": current,
        "files": list(current.files.all()) if current else [],
        "sent": packs.sent_packs(case),
        "stalled": current is not None and packs.stalled(current),
        "recipient": recipient,
        "consented": recipient is not None and can_share_abroad(case, recipient["id"]),
    }
