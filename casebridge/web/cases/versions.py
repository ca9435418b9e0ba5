"""A case's row locked for a change and its version moved on: what every
action that changes a case does first and last (actions, matching, the
console's actions). Its own module so that the modules of actions can use it
without importing one another."""

from __future__ import annotations

from casebridge.web.cases import workflow
from casebridge.web.cases.access import GRANT_ATTR
from casebridge.web.cases.errors import ConcurrencyError
from casebridge.web.cases.models import Case


def lock_case(case: Case, expected_version: int | None) -> Case:
    """The case row, locked until the transaction ends, checked against the
    version the person saw. Carries the caller's gate stamp over."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrencyError(
            f"Case {locked.pseudonym} was changed by someone else while you had it open "
            f"(you saw version {expected_version}, it is now version {locked.version}). "
            "Your change was not saved: reload the case, check it, and make the change again."
        )
    if hasattr(case, GRANT_ATTR):
        setattr(locked, GRANT_ATTR, getattr(case, GRANT_ATTR))
    return locked


def save_case(case: Case, fields: list[str]) -> None:
    """Save `fields` and a new version (a page or form made before is out of date)."""
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


def move_on(case: Case, when: str, to: str) -> str:
    """The workflow step an action makes by itself (the first pack sent, the
    first opinion signed): `case` goes from `when` to `to` if it is there, by
    the transition table; returns the status before. The caller saves it."""
    before = case.status
    if case.status == when:
        workflow.check_transition(case.status, to)
        case.status = to
    return before
