"""Whether a reviewer may open a case now (issue 11, part 4): what the access
gate asks on every request of a reviewer. Apart from reviews.py (the actions,
which stand on the gate) so that the gate can ask it without a cycle."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from casebridge.web.accounts.models import Role
from casebridge.web.cases import workflow
from casebridge.web.cases.lib import can_share_abroad
from casebridge.web.cases.mfa import has_second_factor
from casebridge.web.cases.models import Case
from casebridge.web.cases.review_models import ReviewAssignment, ReviewSeat

# The statuses in which a reviewing team may open the case: under review, and
# once the opinion is ready (an amendment is still theirs to write).
REVIEWABLE = frozenset({workflow.UNDER_REVIEW, workflow.OPINION_READY})


def open_assignment(user: Any, case: Case) -> ReviewAssignment | None:
    """The assignment through which `user` (a reviewer) may open `case` now, or
    None. Every condition is read from the database at each call: a revocation,
    a withdrawn consent or a lapsed date takes effect on the next request."""
    if getattr(user, "role", None) != Role.REVIEWER or not user.is_active:
        return None
    if case.status not in REVIEWABLE:
        return None
    # one query: the reviewer's seat on an open assignment of the case, with
    # their (active) profile; the department compared here, as the assignment
    # holds it sealed
    seat = (
        ReviewSeat.objects.filter(
            reviewer=user,
            reviewer__reviewer_profile__active=True,
            assignment__case=case,
            assignment__revoked_at__isnull=True,
            assignment__access_until__gt=timezone.now(),
        )
        .select_related("assignment", "reviewer__reviewer_profile")
        .order_by("-assignment__created_at", "-assignment__pk")
        .first()
    )
    if seat is None:
        return None
    assignment = seat.assignment
    assignment.case = case  # the caller's (the gate defers the engine JSON: MBs)
    if assignment.direction_id != seat.reviewer.reviewer_profile.direction_id:
        return None
    if not has_second_factor(user):
        return None
    if not can_share_abroad(case, assignment.direction_id):
        return None
    return assignment
