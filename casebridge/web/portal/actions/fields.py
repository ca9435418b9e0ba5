"""What every portal action does to a field typed by a person: trimmed, required
when it must be there, and no longer than its limit."""

from __future__ import annotations

from typing import Any

from casebridge.web.cases.errors import ActionError

MAX_FIELD = 5_000


def clean_field(value: Any, what: str, *, required: bool = False, limit: int = MAX_FIELD) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ActionError(f"Please fill in {what}.")
    if len(text) > limit:
        raise ActionError(f"{what.capitalize()} is too long (at most {limit} characters).")
    return text
