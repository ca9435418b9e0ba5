"""Reviewers and their access (issue 11, part 4).

    do_invite_reviewer     a coordinator invites a clinician of one department
                           of the directory (an account with the reviewer
                           role; they set a password from the e-mailed link
                           and must enrol a second factor before any case)
    do_set_reviewer_active a coordinator turns a reviewer off or on again
    do_assign_review       a coordinator opens a case, once its pack is sent to
                           the chosen department, to reviewers of that
                           department: a discipline each, one lead, a due date
    do_revoke_review       a coordinator closes it again, with a reason
    revoke_for_withdrawal  the patient's withdrawn transfer consent closes every
                           open assignment in the same transaction

review_access.open_assignment() is what the access gate asks on every request
of a reviewer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from casebridge.engine.directions import Direction, load_directions
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases import audit
from casebridge.web.cases.access import require
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.lib import can_share_abroad
from casebridge.web.cases.models import Case, DirectionChoice
from casebridge.web.cases.packs import sent_pack
from casebridge.web.cases.review_access import REVIEWABLE as REVIEWABLE
from casebridge.web.cases.review_access import open_assignment as open_assignment
from casebridge.web.cases.review_models import ReviewAssignment, ReviewerProfile, ReviewSeat
from casebridge.web.cases.versions import lock_case, save_case

STAFF = frozenset({Role.COORDINATOR, Role.ADMIN})


@dataclass(frozen=True)
class Seat:
    """One line of an assignment form: who, in which discipline, leading or not."""

    reviewer_id: int
    discipline: str
    lead: bool = False


def _require_staff(acting_user: User) -> None:
    if acting_user.role not in STAFF or not acting_user.is_active:
        raise ActionError("Only a coordinator or an administrator may do this.")


def _department(direction_id: str) -> Direction:
    direction = load_directions().get(direction_id)
    if direction is None:
        raise ActionError(f"'{direction_id}' is not a department of the directory.")
    return direction


# -- reading ------------------------------------------------------------------------


def current_assignment(case: Case) -> ReviewAssignment | None:
    """The case's assignment not revoked (it may have run past its end), or None."""
    return case.assignments.filter(revoked_at__isnull=True).prefetch_related("seats").first()


def reviewers_of(direction_id: str) -> list[ReviewerProfile]:
    """The active reviewers of one department, for the assignment form."""
    return list(
        ReviewerProfile.objects.filter(direction_id=direction_id, active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def assignments_for(user: Any) -> list[ReviewAssignment]:
    """The open assignments `user` sits on, soonest due first (their home page).
    Each is checked by the gate again when its case is opened."""
    return list(
        ReviewAssignment.objects.filter(
            seats__reviewer=user, revoked_at__isnull=True, access_until__gt=timezone.now()
        )
        .select_related("case")
        .defer("case__engine")  # the engine JSON (MBs a case) is not needed to list them
        .order_by("due_date", "pk")
    )


def department_of(user: Any) -> str:
    """The department id a reviewer belongs to ('' for anyone else)."""
    profile = ReviewerProfile.objects.filter(user=user).first()
    return profile.direction_id if profile is not None else ""


def departments_of(user_ids: set[int]) -> dict[int, str]:
    """The department id of each reviewer among `user_ids` (one query)."""
    if not user_ids:
        return {}
    return dict(
        ReviewerProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "direction_id")
    )


# -- reviewers ----------------------------------------------------------------------


def do_invite_reviewer(
    *,
    acting_user: User,
    email: str,
    full_name: str,
    direction_id: str,
    disciplines: list[str],
    link: str,
    meta: RequestMeta | None = None,
) -> ReviewerProfile:
    """A reviewer account for a clinician of one department. A new address gets
    an account without a password (they set one from the e-mailed link); an
    address that already belongs to a patient, family member or staff account
    is refused: a role is never changed by an invitation."""
    _require_staff(acting_user)
    email = User.objects.normalize_email((email or "").strip()).lower()
    if "@" not in email:
        raise ActionError("Give the reviewer's e-mail address.")
    full_name = (full_name or "").strip()
    if not full_name:
        raise ActionError("Give the reviewer's name as their department knows them.")
    direction = _department(direction_id)
    unknown = [d for d in disciplines if d not in direction.mdt]
    if unknown or not disciplines:
        raise ActionError(
            "Choose the disciplines the reviewer reviews in, among those of "
            f"{direction.department.en}: {', '.join(direction.mdt)}."
        )
    if User.objects.filter(email__iexact=email).exists():
        # on record outside the refused change (which writes nothing)
        audit.record(
            acting_user,
            None,
            "reviewer.invite_refused",
            after={"email": email, "reason": "existing account"},
            meta=meta,
        )
        raise ActionError(
            f"{email} already has a casebridge account; a reviewer needs an account of "
            "their own. Ask them for their work address."
        )
    with transaction.atomic():
        user = User.objects.create_user(email, role=Role.REVIEWER, full_name=full_name)
        user.preferred_language = "zh"  # the workspace opens in Chinese; they may switch
        user.save(update_fields=["preferred_language"])
        profile = ReviewerProfile.objects.create(
            user=user,
            direction_id=direction.id,
            disciplines=list(dict.fromkeys(disciplines)),
            invited_by=acting_user,
        )
        audit.record(
            acting_user,
            None,
            "reviewer.invited",
            obj=profile,
            after={"email": email, "direction": direction.id, "disciplines": profile.disciplines},
            meta=meta,
        )
        transaction.on_commit(lambda: _send_invitation(email, link))
    return profile


def _send_invitation(email: str, link: str) -> None:
    """A link only (set a password, then enrol the second factor): no case, no
    patient, no health data."""
    body = (
        "您已受邀作为临床审阅专家使用 casebridge。请通过以下链接设置密码，"
        "然后启用双重验证。\n"
        "You have been invited to casebridge as a clinical reviewer. Set your password "
        "from this link, then enrol a second factor:\n"
        f"{link}\n\n"
        "本邮件不含任何健康信息。This e-mail contains no health information.\n"
    )
    send_mail(
        "casebridge: reviewer invitation / 审阅专家邀请", body, None, [email], fail_silently=True
    )


def do_set_reviewer_active(
    profile: ReviewerProfile, *, acting_user: User, active: bool, meta: RequestMeta | None = None
) -> None:
    _require_staff(acting_user)
    with transaction.atomic():
        before = profile.active
        profile.active = active
        profile.save(update_fields=["active"])
        audit.record(
            acting_user,
            None,
            "reviewer.activated" if active else "reviewer.deactivated",
            obj=profile,
            before={"active": before},
            after={"active": active},
            meta=meta,
        )


# -- assignments --------------------------------------------------------------------


def _check_seats(seats: list[Seat], direction: Direction, disciplines: list[str]) -> list[User]:
    if not seats:
        raise ActionError("Choose at least one reviewer for the case.")
    leads = [s for s in seats if s.lead]
    if len(leads) != 1:
        raise ActionError("Choose exactly one lead reviewer: they sign the team's opinion.")
    ids = [s.reviewer_id for s in seats]
    if len(set(ids)) != len(ids):
        raise ActionError("Each reviewer sits on the case once, in one discipline.")
    profiles = {
        p.user_id: p
        for p in ReviewerProfile.objects.filter(user_id__in=ids, active=True).select_related("user")
    }
    users = []
    for seat in seats:
        profile = profiles.get(seat.reviewer_id)
        if profile is None or profile.direction_id != direction.id:
            raise ActionError(
                f"Only active reviewers of {direction.department.en} may review this case."
            )
        if seat.discipline not in disciplines or seat.discipline not in profile.disciplines:
            raise ActionError(
                f"{profile.user.display_name}: choose a discipline they review in among "
                f"the case's ({', '.join(disciplines)})."
            )
        users.append(profile.user)
    return users


def do_assign_review(
    case: Case,
    *,
    acting_user: User,
    expected_version: int,
    seats: list[Seat],
    due_date: dt.date,
    link: str = "",
    meta: RequestMeta | None = None,
) -> ReviewAssignment:
    """Open the case to the chosen department's reviewers. Refused unless the
    case is under review with a pack sent to that department and the transfer
    consent naming it stands. An open assignment is replaced (revoked)."""
    require(acting_user, case, "process")
    today = timezone.localdate()
    if due_date <= today:
        raise ActionError("Give a due date after today.")
    with transaction.atomic():
        locked = lock_case(case, expected_version)
        if locked.status not in REVIEWABLE:
            raise ActionError(
                "A review is assigned once the case's pack is sent; this case is "
                f"'{locked.get_status_display()}'."
            )
        choice = DirectionChoice.objects.filter(case=locked, active=True).first()
        if choice is None:
            raise ActionError("Choose a department for the case first.")
        direction = _department(choice.direction_id)
        pack = sent_pack(locked, direction.id)
        if pack is None:
            raise ActionError(
                f"No pack has been sent to {direction.department.en} yet: send it first."
            )
        if not can_share_abroad(locked, direction.id):
            raise ActionError(
                "The patient's consent to send the case to this department is not in force."
            )
        disciplines = [str(d) for d in choice.disciplines] or list(direction.mdt)
        users = _check_seats(seats, direction, disciplines)
        replaced = _revoke_open(locked, acting_user, "replaced by a new assignment", meta)
        grace = dt.timedelta(days=settings.REVIEW_ACCESS_GRACE_DAYS)
        end = dt.datetime.combine(due_date, dt.time.max, tzinfo=timezone.get_current_timezone())
        assignment = ReviewAssignment(
            case=locked,
            due_date=due_date,
            access_until=end + grace,
            created_by=acting_user,
        )
        assignment.direction_id = direction.id
        assignment.disciplines = sorted({s.discipline for s in seats})
        try:
            with transaction.atomic():
                assignment.save()
                ReviewSeat.objects.bulk_create(
                    [
                        ReviewSeat(
                            assignment=assignment,
                            reviewer_id=s.reviewer_id,
                            discipline=s.discipline,
                            lead=s.lead,
                        )
                        for s in seats
                    ]
                )
        except IntegrityError:
            raise ActionError("Someone else assigned the case just now: reload it.") from None
        save_case(locked, [])
        audit.record(
            acting_user,
            locked,
            "review.assigned",
            obj=assignment,
            after={
                "direction": direction.id,
                "pack": pack.number,
                "due_date": due_date.isoformat(),
                "seats": [
                    {"reviewer": s.reviewer_id, "discipline": s.discipline, "lead": s.lead}
                    for s in seats
                ],
                "replaced": replaced,
            },
            meta=meta,
        )
        addresses = [u.email for u in users]
        transaction.on_commit(lambda: _send_assigned(addresses, link))
    case.version = locked.version
    return assignment


def _send_assigned(addresses: list[str], link: str) -> None:
    body = (
        "您有一份新的病例需要审阅。请登录 casebridge 查看。\n"
        "A case has been opened to you for review. Sign in to casebridge to see it:\n"
        f"{link}\n\n"
        "本邮件不含任何健康信息。This e-mail contains no health information.\n"
    )
    for address in addresses:  # one each: reviewers never see each other's address
        send_mail(
            "casebridge: case for review / 待审阅病例", body, None, [address], fail_silently=True
        )


def _revoke_open(
    locked: Case, acting_user: User, reason: str, meta: RequestMeta | None
) -> list[int]:
    now = timezone.now()
    revoked = []
    for assignment in ReviewAssignment.objects.select_for_update().filter(
        case=locked, revoked_at__isnull=True
    ):
        assignment.revoked_at, assignment.revoked_by = now, acting_user
        assignment.revoke_reason = reason[:200]
        assignment.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit.record(
            acting_user,
            locked,
            "review.revoked",
            obj=assignment,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat(), "reason": reason},
            meta=meta,
        )
        revoked.append(assignment.pk)
    return revoked


def do_revoke_review(
    case: Case,
    *,
    acting_user: User,
    expected_version: int,
    reason: str,
    meta: RequestMeta | None = None,
) -> list[int]:
    """Close the case's open assignment at once; the reviewers' next request is a 404."""
    require(acting_user, case, "manage")
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("Say why the reviewers' access ends: it stays on record.")
    with transaction.atomic():
        locked = lock_case(case, expected_version)
        revoked = _revoke_open(locked, acting_user, reason, meta)
        if not revoked:
            raise ActionError("The case is not open to any reviewer.")
        save_case(locked, [])
    case.version = locked.version
    return revoked


def revoke_for_withdrawal(case: Case, acting_user: User, meta: RequestMeta | None) -> list[int]:
    """Inside the patient's withdrawal of the transfer consent: close every open
    assignment (the gate already refuses without the consent; this puts the
    end of access on record, with its reason)."""
    return _revoke_open(case, acting_user, "the patient withdrew their consent", meta)
