"""The life of a case as a transition table. Nothing else decides which status
may follow which: actions.do_change_status asks check_transition().

enquiry → triage → collecting_records → ready_for_review → matched →
under_review → opinion_ready → post_review → closed; a safety flag moves any
open case to paused_safety (and, once cleared, back to where it was); the
patient may withdraw an open case at any time.

While the patient's consent to processing is withdrawn (cases/withdrawal.py)
the case is held where it is: it does not move on (nothing of it may be read or
worked on), but it can be closed at any point (the patient may not come back;
a closed case is then kept for the retention period and erased, see
cases/retention.py), withdrawn, or paused for safety. Consent given again, it
carries on from the status it kept.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from casebridge.web.cases.errors import IllegalTransition

ENQUIRY = "enquiry"
TRIAGE = "triage"
COLLECTING_RECORDS = "collecting_records"
READY_FOR_REVIEW = "ready_for_review"
MATCHED = "matched"
UNDER_REVIEW = "under_review"
OPINION_READY = "opinion_ready"
POST_REVIEW = "post_review"
CLOSED = "closed"
PAUSED_SAFETY = "paused_safety"
WITHDRAWN = "withdrawn"

# Marked for translation (gettext_noop: still plain text here, so the model's
# choices and its migrations do not change); pages translate them as shown.
LABELS: dict[str, str] = {
    ENQUIRY: gettext_noop("Enquiry"),
    TRIAGE: gettext_noop("Triage"),
    COLLECTING_RECORDS: gettext_noop("Collecting records"),
    READY_FOR_REVIEW: gettext_noop("Ready for review"),
    MATCHED: gettext_noop("Department chosen"),
    UNDER_REVIEW: gettext_noop("Under review"),
    OPINION_READY: gettext_noop("Opinion ready"),
    POST_REVIEW: gettext_noop("After the review"),
    CLOSED: gettext_noop("Closed"),
    PAUSED_SAFETY: gettext_noop("Paused for safety"),
    WITHDRAWN: gettext_noop("Withdrawn"),
}
STATUSES: tuple[str, ...] = tuple(LABELS)
CHOICES: list[tuple[str, str]] = list(LABELS.items())

TERMINAL: frozenset[str] = frozenset({CLOSED, WITHDRAWN})
OPEN: frozenset[str] = frozenset(STATUSES) - TERMINAL - {PAUSED_SAFETY}

# The forward and backward moves of the main path. Every open status may also
# go to paused_safety and withdrawn (added below).
_MOVES: dict[str, frozenset[str]] = {
    ENQUIRY: frozenset({TRIAGE, CLOSED}),
    TRIAGE: frozenset({COLLECTING_RECORDS, CLOSED}),
    COLLECTING_RECORDS: frozenset({READY_FOR_REVIEW, CLOSED}),
    READY_FOR_REVIEW: frozenset({MATCHED, COLLECTING_RECORDS}),
    MATCHED: frozenset({UNDER_REVIEW, READY_FOR_REVIEW}),
    UNDER_REVIEW: frozenset({OPINION_READY, COLLECTING_RECORDS}),
    OPINION_READY: frozenset({POST_REVIEW}),
    POST_REVIEW: frozenset({CLOSED}),
    CLOSED: frozenset(),
    WITHDRAWN: frozenset(),
    # Leaving a safety pause goes back to the status it paused (see resume_target)
    # or ends the case.
    PAUSED_SAFETY: frozenset({WITHDRAWN, CLOSED}),
}

TRANSITIONS: dict[str, frozenset[str]] = {
    status: moves | ({PAUSED_SAFETY, WITHDRAWN} if status in OPEN else frozenset())
    for status, moves in _MOVES.items()
}


# The moves of a case held by a withdrawn consent to processing.
HELD_MOVES: frozenset[str] = frozenset({CLOSED, WITHDRAWN, PAUSED_SAFETY})


def allowed_moves(current: str, *, paused_from: str = "", held: bool = False) -> frozenset[str]:
    moves = TRANSITIONS.get(current, frozenset())
    if current == PAUSED_SAFETY and paused_from in OPEN:
        moves = moves | {paused_from}
    if held and current not in TERMINAL:
        # closing is always open to a held case, whatever its status
        moves = (moves & HELD_MOVES) | {CLOSED}
    return moves


def check_transition(
    current: str, target: str, *, paused_from: str = "", held: bool = False
) -> None:
    """Raise IllegalTransition, in plain words, unless current → target is allowed.
    paused_from is the status a paused case left (the only way back out); held:
    the patient's consent to processing is withdrawn (HELD_MOVES)."""
    if target not in LABELS:
        raise IllegalTransition(f"'{target}' is not a case status.")
    if current == target:
        raise IllegalTransition(f"The case is already '{LABELS[current]}'.")
    moves = allowed_moves(current, paused_from=paused_from, held=held)
    if held and target not in moves and target in allowed_moves(current, paused_from=paused_from):
        raise IllegalTransition(
            "The patient withdrew consent to processing: the case stays where it is until "
            "they give it again. It can still be closed, withdrawn or paused for safety."
        )
    if target not in moves:
        if not moves:
            raise IllegalTransition(
                f"The case is {LABELS[current].lower()}: its status cannot change any more."
            )
        options = ", ".join(sorted(moves))
        raise IllegalTransition(
            f"A case cannot move from '{current}' to '{target}'. "
            f"From '{current}' it can move to: {options}."
        )
