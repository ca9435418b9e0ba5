"""No promises in what staff send (issue 11, part 6): the engine's phrase
checker (engine/promises.py, words in knowledge/promises.yaml) applied to a
message before it is written. A patient's or relative's own words are theirs
and never checked; a reviewer's opinion is highlighted for the coordinator,
not refused (the review's release)."""

from __future__ import annotations

from django.utils import translation

from casebridge.engine import promises
from casebridge.web.cases.errors import ActionError


def refuse_promises(text: str) -> None:
    """Raise ActionError naming each promise in `text`, in the sender's language."""
    found = promises.find(text)
    if found:
        raise ActionError(promises.explain(found, translation.get_language() or "en"))
