"""The engine's emergency screen on a person's own words in the web platform: enquiry
answers and patient messages. Shared by the portal and the console (apps never import
each other), so it lives here.

A finding is kept as a plain dict (JSON in the database, in the audit row):
{flag, rule, category, level, label, field, phrase}.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.safety import context_holds, flag_term, rules, screen_text
from casebridge.web.cases import audit, workflow

if TYPE_CHECKING:
    from casebridge.web.cases.audit import RequestMeta
    from casebridge.web.cases.models import Case


def screen_answers(
    texts: dict[str, str],
    *,
    case: EngineCase | None = None,
    on_treatment: bool = False,
    programme: str = "oncology",
) -> list[dict[str, Any]]:
    """Every red or amber flag the free-text answers raise, red first. The answers are
    one person's account: treatment named in one ("second cycle of carboplatin") is the
    context of a temperature written in another."""
    found: list[dict[str, Any]] = []
    if not on_treatment:
        on_treatment = context_holds("sact", "\n".join(texts.values()), case)
    for field_name, text in texts.items():
        if not (text or "").strip():
            continue
        for flag in screen_text(
            text, case=case, on_treatment=on_treatment, programme=programme, field=field_name
        ):
            found.append(
                {
                    "flag": flag.rule.split(".")[0],
                    "rule": flag.rule,
                    "category": flag.category,
                    "level": flag.level,
                    "label": flag.label,
                    "field": field_name,
                    "phrase": flag.phrase,
                }
            )
    return sorted(found, key=lambda f: f["level"] != "red")


def red(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in found if f.get("level") == "red"]


def amber(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in found if f.get("level") == "amber"]


def categories_of(flag_ids: list[str]) -> list[str]:
    """The categories of engine flag ids (the enquiry's tick-box ids are flag ids)."""
    cfg = rules()
    out = []
    for fid in flag_ids:
        flag = cfg.flag(str(fid))
        if flag is not None and flag.category not in out:
            out.append(flag.category)
    return out


def label(found: dict[str, Any], lang: str) -> str:
    """A finding's label in the reader's language (the terminology table's Chinese)."""
    english = str(found.get("label", ""))
    if lang.startswith("zh"):
        term = flag_term(
            "safety", str(found.get("flag", "")), str(found.get("category", "")), english
        )
        if term is not None:
            return term.zh
    return english


def pause_reason(found: list[dict[str, Any]]) -> str:
    return "; ".join(dict.fromkeys(str(f.get("label", "")) for f in red(found)))


def pause(
    case: Case,
    *,
    reason: str,
    acting_user: Any = None,
    after: dict[str, Any] | None = None,
    meta: RequestMeta | None = None,
) -> list[str]:
    """Pause a locked case for safety, bump its version (a status change: an edit
    made against the old version must reload) and write the audit row. The caller
    saves the fields returned, in its transaction."""
    before = {"status": case.status, "paused": case.paused}
    case.paused_from, case.status, case.paused = case.status, workflow.PAUSED_SAFETY, True
    case.paused_reason = reason
    case.version += 1
    audit.record(
        acting_user,
        case,
        "case.paused_for_safety",
        obj=case,
        before=before,
        after={"status": case.status, "paused": True, "reason": reason, **(after or {})},
        meta=meta,
    )
    return ["status", "paused", "paused_from", "paused_reason", "version"]


def clear_flags(engine: dict[str, Any]) -> dict[str, Any]:
    """The engine JSON with every current safety flag's category cleared (intake
    `safety_cleared`): the flags stay listed, they no longer pause the case."""
    if not engine:
        return engine
    intake = dict(engine.get("intake") or {})
    cleared = list(intake.get("safety_cleared") or [])
    for flag in engine.get("safety_flags") or []:
        category = flag.get("category")
        if category and category not in cleared:
            cleared.append(category)
    intake["safety_cleared"] = cleared
    return {**engine, "intake": intake, "paused": False}


def act_on_flags(
    case: Case,
    found: list[dict[str, Any]],
    *,
    acting_user: Any,
    origin: dict[str, Any],
    meta: RequestMeta | None = None,
) -> None:
    """What a flag raised by something a patient or relative wrote on the case (a
    message, a question) does, in the caller's transaction: a red flag pauses an
    open case (as a red flag in the records does); an amber one, or a red one on
    a case already paused or closed, lists it for a coordinator. `origin` says
    where it was written, for the audit row. `case` is updated in place."""
    from casebridge.web.cases.models import Case as CaseModel
    from casebridge.web.cases.versions import save_case

    locked = CaseModel.objects.select_for_update().get(pk=case.pk)
    flags = [{k: f[k] for k in ("flag", "rule", "level", "field", "phrase")} for f in found]
    if red(found) and locked.status in workflow.OPEN:
        fields = pause(
            locked,
            reason=pause_reason(found),
            acting_user=acting_user,
            after={**origin, "flags": flags},
            meta=meta,
        )
        locked.save(update_fields=[*fields, "updated_at"])
    else:
        if not locked.safety_review:
            locked.safety_review = True
            save_case(locked, ["safety_review"])
        audit.record(
            acting_user,
            locked,
            "case.safety_flag",
            obj=locked,
            after={**origin, "flags": flags},
            meta=meta,
        )
    case.status, case.paused, case.version = locked.status, locked.paused, locked.version
    case.safety_review = locked.safety_review
