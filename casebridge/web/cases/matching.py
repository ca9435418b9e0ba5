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
from casebridge.web.cases.versions import lock_case, save_case

# Where a choice may be made: a case whose records are ready, or one already
# matched whose coordinator changes the department before anything is sent.
CHOOSABLE = frozenset({workflow.READY_FOR_REVIEW, workflow.MATCHED})

# The longest note to the patient a choice keeps (the console's form says the same).
NOTE_LIMIT = 2000


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


def check_choice(
    case: Case, *, direction_id: str, disciplines: list[str], note: str = ""
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """What a choice is refused for, before anything is locked (so the console
    can refuse it before it asks for the second factor again): a direction
    the ranking did not rank for this case, no discipline or an unknown one, a
    note that promises. Returns the ranking, the chosen match and the
    disciplines (deduplicated, in the order given)."""
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ActionError(f"The note to the patient is too long (at most {NOTE_LIMIT} characters).")
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
    return data, match, chosen


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
    a note that promises (check_choice)."""
    require(acting_user, case, "process")
    note = (note or "").strip()
    with transaction.atomic():
        locked = lock_case(case, expected_version)
        if locked.status not in CHOOSABLE:
            raise ActionError(
                f"A department can be chosen once the case is ready for review; this case is "
                f"'{locked.get_status_display()}'."
            )
        # ranked under the lock: the facts the choice is explained by are the
        # ones of the version it was made against
        data, match, chosen = check_choice(
            locked, direction_id=direction_id, disciplines=disciplines, note=note
        )
        replaced = deactivate_choice(locked)
        choice = DirectionChoice(
            case=locked,
            directory_version=str(data["directory_version"]),
            chosen_by=acting_user,
        )
        choice.direction_id = direction_id
        choice.names = {k: match[k] for k in ("hospital", "department", "city")}
        choice.disciplines = chosen
        choice.explanation = {k: match[k] for k in ("matched", "asked", "not_offered", "missing")}
        choice.note = note
        choice.save()
        before = locked.status
        if locked.status != workflow.MATCHED:
            workflow.check_transition(locked.status, workflow.MATCHED)
            locked.status = workflow.MATCHED
        # a new version even when already matched: a page or form made against
        # the earlier choice is out of date
        save_case(locked, ["status"])
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


def deactivate_choice(locked: Case) -> list[str]:
    """Retire the case's active choice (inside the caller's transaction, the
    case row locked; the caller's audit row names what it returns: the
    directions retired)."""
    old = list(locked.direction_choices.filter(active=True))
    for choice in old:
        choice.active = False
        choice.save(update_fields=["active"])
    return [c.direction_id for c in old]


# The directory lists departments in mainland China (ISO 3166-1 alpha-2).
COUNTRY = "CN"


def _pick(value: dict[str, Any] | None, lang: str) -> str:
    value = value or {}
    key = "zh" if (lang or "").startswith("zh") else "en"
    return str(value.get(key) or value.get("en") or "")


def recipient_name(names: dict[str, Any], lang: str) -> str:
    """'Department, Hospital (City)' in the page's language: how a consent names
    the team it lets the case go to."""
    department, hospital = _pick(names.get("department"), lang), _pick(names.get("hospital"), lang)
    city = _pick(names.get("city"), lang)
    if (lang or "").startswith("zh"):
        return f"{hospital}{department}（{city}）" if city else f"{hospital}{department}"
    return f"{department}, {hospital}" + (f" ({city})" if city else "")


def consent_recipient(case: Case, lang: str) -> dict[str, str] | None:
    """The recipient a transfer consent may name now: the chosen department
    (id, country, name), or None while no department is chosen."""
    choice = active_choice(case)
    if choice is None:
        return None
    return {
        "id": choice.direction_id,
        "country": COUNTRY,
        "name": recipient_name(choice.names, lang),
    }


def recipient_names(lang: str) -> dict[str, str]:
    """Every department of the directory by id, named as in a consent: for the
    consents a patient gave earlier (a department chosen then replaced)."""
    return {
        d.id: recipient_name(
            {
                "department": {"en": d.department.en, "zh": d.department.zh},
                "hospital": {"en": d.hospital.en, "zh": d.hospital.zh},
                "city": {"en": d.city.en, "zh": d.city.zh},
            },
            lang,
        )
        for d in load_directions().directions
    }
