"""What the patient sees of the coordinator's choice of a department in China
(issue 11, part 2): the department, why it was chosen (the ranking's
explanation as it was at the choice), what they asked for, what is still
needed, the disciplines, the coordinator's note, in the page's language."""

from __future__ import annotations

from typing import Any

from casebridge.engine.directions import load_directions
from casebridge.web.cases import matching, opinions, packs, workflow
from casebridge.web.cases.lib import active_consents, consents_allow_sharing
from casebridge.web.cases.models import Case, CasePack, Consent

# Where the patient sees the choice: once the case is matched, and on after it
# (a case moved back to collecting records has its department chosen again).
SHOWN = frozenset(
    {workflow.MATCHED, workflow.UNDER_REVIEW, workflow.OPINION_READY, workflow.POST_REVIEW}
)


def chosen_direction(case: Case, lang: str) -> dict[str, Any] | None:
    # not while paused for safety: then the page is about getting care at home
    if case.status not in SHOWN:
        return None  # and no query: the overview's count stays the same for every case
    choice = matching.active_choice(case)
    if choice is None:
        return None
    key = "zh" if (lang or "").startswith("zh") else "en"

    def pick(value: dict[str, Any] | None) -> str:
        value = value or {}
        return str(value.get(key) or value.get("en") or "")

    def plain(lines: list[dict[str, Any]] | None) -> list[str]:
        # the patient's wording of each line; a line written for the
        # coordinator alone (file and page references) is not shown to them
        return [pick(r["plain"]) for r in lines or [] if r.get("plain")]

    in_force = active_consents(case)  # one query for both questions below
    consented = consents_allow_sharing(in_force, choice.direction_id)
    pack = packs.current_pack(case)
    names = load_directions().disciplines
    explanation = choice.explanation or {}
    return {
        "hospital": pick(choice.names.get("hospital")),
        "department": pick(choice.names.get("department")),
        "city": pick(choice.names.get("city")),
        "disciplines": [getattr(names[d], key) if d in names else d for d in choice.disciplines],
        "why": plain(explanation.get("matched")),
        "about": plain(explanation.get("asked")),
        "note": choice.note,
        "chosen_at": choice.chosen_at,
        # the next step is theirs while no consent in force names this department,
        # then while a version of the pack waits for their approval
        "consent_needed": case.status == workflow.MATCHED and not consented,
        "consented_at": consent_given_at(in_force, choice.direction_id) if consented else None,
        "pack": pack,
        "pack_to_approve": pack is not None and pack.state == CasePack.State.READY,
        "name": matching.recipient_name(choice.names, lang),
        # the team's opinion, once a coordinator has released a signed version
        "opinion": (
            opinions.released_opinion(case)
            if case.status in (workflow.OPINION_READY, workflow.POST_REVIEW)
            else None
        ),
    }


def consent_given_at(in_force: list[Consent], recipient: str) -> Any:
    """When the transfer consent in force naming `recipient` was given."""
    for consent in in_force:
        if consent.kind == Consent.Kind.TRANSFER_ABROAD and recipient in consent.recipients:
            return consent.given_at
    return None
