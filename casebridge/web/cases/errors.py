"""Errors an action raises, each with a plain-language message a page can show."""

from __future__ import annotations

from typing import Any


class ActionError(Exception):
    """A change was refused; nothing was saved. str() is the message to show."""


class IllegalTransition(ActionError):
    pass


class ConcurrencyError(ActionError):
    """Someone else changed the case first. `attempted` holds the change that was
    not saved, so a page can show it again next to the new state."""

    def __init__(self, message: str, *, attempted: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.attempted = attempted or {}


class DuplicateDocument(ActionError):
    pass


class StorageError(ActionError):
    """A stored file is missing, was altered, or the key does not open it."""


class NotAllowed(ActionError):
    """The acting user may not do this (the gate answers 404 for other people's
    cases; this is for a refused action on a case they can see)."""
