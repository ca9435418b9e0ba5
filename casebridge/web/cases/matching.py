"""Matching a case to a China department, in the web platform (issue 11,
part 2): the engine's explained ranking (engine/match.py) for the console,
and the coordinator's choice, which moves the case to `matched`."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from casebridge.engine.directions import load_directions
from casebridge.engine.match import rank
from casebridge.web.accounts.models import User
from casebridge.web.cases import audit, workflow
from casebridge.web.cases.access import require
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import Case, DirectionChoice
from casebridge.web.cases.promises import refuse_promises

# Where a choice may be made: a case whose records are ready, or one already
# matched whose coordinator changes the department before anything is sent.
CHOOSABLE = frozenset({workflow.READY_FOR_REVIEW, workflow.MATCHED})


def ranking(case: Case) -> dict[str, Any]:
    """The ranking as plain JSON (Ranking.to_dict), each proposed discipline
    with its names, for the console's matching section."""
    directory = load_directions()
    data = rank(engine_case(case)).to_dict()
    for item in data["disciplines"]:
        names = directory.disciplines.get(item["key"])
        item["name"] = {"en": names.en, "zh": names.zh} if names else {"en": item["key"]}
    data["all_disciplines"] = [
        {"key": key, "en": names.en, "zh": names.zh} for key, names in directory.disciplines.items()
    ]
    data["directory_version"] = directory.version
    return data


def active_choice(case: Case) -> DirectionChoice | None:
    return case.direction_choices.filter(active=True).first()


def do_choose_direction(
    case: Case,
    *,
    acting_user: User,
    direction_id: str,
    disciplines: list[str],
    note: str = "",
    expected_version: int | None = None,
    meta: RequestMeta | None = None,
) -> DirectionChoice:
    """Choose the department (one the ranking ranked for this case, not one it
    set aside) and the disciplines; the case moves to `matched`. A choice made
    again while matched replaces the earlier one. Refused with a clear message:
    a case not ready, a direction not ranked, no discipline or an unknown one,
    a note that promises."""
    from casebridge.web.cases.actions import _lock, _save  # actions imports cases.lib too

    require(acting_user, case, "manage")
    note = (note or "").strip()
    if note:
        refuse_promises(note)
    data = ranking(case)
    match = next((m for m in data["matches"] if m["id"] == direction_id), None)
    if match is None:
        why = next((r["en"] for r in data["not_ranked"] if r["id"] == direction_id), "")
        raise ActionError(
            f"That department is not among the ranked matches for this case"
            f"{': ' + why if why else ''}. Choose one of the ranked departments."
        )
    known = {d["key"] for d in data["all_disciplines"]}
    chosen = list(dict.fromkeys(disciplines))
    if not chosen:
        raise ActionError("Choose at least one MDT discipline to review the case.")
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise ActionError(f"Unknown MDT discipline: {', '.join(unknown)}.")
    with transaction.atomic():
        locked = _lock(case, expected_version)
        if locked.status not in CHOOSABLE:
            raise ActionError(
                f"A department can be chosen once the case is ready for review; this case is "
                f"'{locked.get_status_display()}'."
            )
        replaced = list(
            locked.direction_choices.filter(active=True).values_list("direction_id", flat=True)
        )
        locked.direction_choices.filter(active=True).update(active=False)
        choice = DirectionChoice(
            case=locked,
            direction_id=direction_id,
            directory_version=str(data["directory_version"]),
            names={k: match[k] for k in ("hospital", "department", "city")},
            disciplines=chosen,
            chosen_by=acting_user,
        )
        choice.explanation = {k: match[k] for k in ("matched", "asked", "not_offered", "missing")}
        choice.note = note
        choice.save()
        before = locked.status
        if locked.status != workflow.MATCHED:
            workflow.check_transition(locked.status, workflow.MATCHED)
            locked.status = workflow.MATCHED
            _save(locked, ["status"])
        audit.record(
            acting_user,
            locked,
            "case.direction_chosen",
            obj=choice,
            before={"status": before, "replaced": replaced},
            after={
                "status": locked.status,
                "direction": direction_id,
                "disciplines": chosen,
                "directory_version": choice.directory_version,
            },
            meta=meta,
        )
    case.status, case.version = locked.status, locked.version
    return choice
