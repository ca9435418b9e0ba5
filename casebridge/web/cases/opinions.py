"""The opinion itself (issue 11, part 5).

    do_save_discipline_opinion  a reviewer writes their discipline's structured
                                opinion (diagnosis agreed or not and why,
                                staging, direction, further tests, trials,
                                questions back); submitting it freezes it
    do_save_opinion_draft       the lead writes the team's consolidated opinion,
                                the disagreements beside it; an amendment of a
                                signed one is a new draft naming it and why
    do_sign_opinion             the lead signs it (the view asks for a fresh
                                second factor first): it never changes again;
                                the first signature moves the case to
                                opinion_ready
    do_release_opinion          a coordinator, having checked the highlighted
                                phrases, releases a signed version to the patient

A reviewer's opinion is the clinician's word: nothing in it is refused for its
wording; promise-like phrases are highlighted for the coordinator (highlights).
Each opinion records the pack version it was written on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebridge.engine import promises
from casebridge.web.accounts.models import Role, User
from casebridge.web.cases import audit, mail, workflow
from casebridge.web.cases.access import require
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import Case
from casebridge.web.cases.packs import sent_pack
from casebridge.web.cases.review_access import open_assignment
from casebridge.web.cases.review_models import (
    OPINION_FIELDS,
    Agreement,
    DisciplineOpinion,
    Opinion,
    ReviewAssignment,
    ReviewSeat,
)
from casebridge.web.cases.versions import lock_case, move_on, save_case

# What the lead writes beyond a discipline's fields.
TEAM_FIELDS: tuple[str, ...] = ("summary", *OPINION_FIELDS, "disagreements")
MAX_FIELD = 20_000  # characters: a long opinion, not a pasted record


def _seat(user: User, case: Case) -> tuple[ReviewAssignment, ReviewSeat]:
    require(user, case, "review")
    assignment = open_assignment(user, case)
    seat = assignment.seats.filter(reviewer=user).first() if assignment else None
    if assignment is None or seat is None:  # lapsed between the gate and here
        raise ActionError(_("Your access to this case has ended."))
    return assignment, seat


def _clean(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in names:
        value = str(fields.get(name) or "").strip()
        if len(value) > MAX_FIELD:
            raise ActionError(_("Keep each part under %(n)s characters.") % {"n": f"{MAX_FIELD:,}"})
        out[name] = value
    return out


def _agreement(value: Any) -> str:
    value = str(value or "")
    if value and value not in Agreement.values:
        raise ActionError(_("Choose whether you agree with the diagnosis."))
    return value


# -- one discipline ---------------------------------------------------------------------


def discipline_opinions(assignment: ReviewAssignment) -> list[DisciplineOpinion]:
    found = list(assignment.discipline_opinions.select_related("author", "pack"))
    for opinion in found:  # their text is sealed with the case's key: the case at hand
        opinion.case = assignment.case
    return found


def do_save_discipline_opinion(
    case: Case,
    *,
    acting_user: User,
    fields: dict[str, Any],
    submit: bool = False,
    meta: RequestMeta | None = None,
) -> DisciplineOpinion:
    """Save (and, with submit, freeze) the reviewer's opinion in their discipline."""
    assignment, seat = _seat(acting_user, case)
    values = _clean(fields, OPINION_FIELDS)
    agreement = _agreement(fields.get("agreement"))
    if submit and not agreement:
        raise ActionError(_("Say whether you agree with the diagnosis before you submit."))
    if submit and not (values["diagnosis_note"] or values["direction"]):
        raise ActionError(
            _("Write at least why, or the direction you recommend, before you submit.")
        )
    with transaction.atomic():
        pack = sent_pack(case, assignment.direction_id)
        if pack is None:
            raise ActionError(_("Nothing has been sent to your department yet."))
        opinion = (
            DisciplineOpinion.objects.select_for_update()
            .filter(assignment=assignment, author=acting_user)
            .first()
        )
        if opinion is not None and opinion.submitted_at is not None:
            raise ActionError(_("You submitted your opinion: it stays as it was submitted."))
        if opinion is None:
            opinion = DisciplineOpinion(
                case=case, assignment=assignment, author=acting_user, discipline=seat.discipline
            )
        opinion.pack = pack  # written on the newest version sent
        opinion.agreement = agreement
        for name, value in values.items():
            setattr(opinion, name, value)
        if submit:
            opinion.submitted_at = timezone.now()
        opinion.save()
        audit.record(
            acting_user,
            case,
            "opinion.discipline_submitted" if submit else "opinion.discipline_saved",
            obj=opinion,
            after={"discipline": seat.discipline, "pack": pack.number, "agreement": agreement},
            meta=meta,
        )
    return opinion


# -- the team's opinion -----------------------------------------------------------------


def draft_of(case: Case) -> Opinion | None:
    return case.opinions.filter(signed_at__isnull=True).first()


def signed_opinions(case: Case, assignment: ReviewAssignment | None = None) -> list[Opinion]:
    """Every signed version, newest first; with `assignment`, only those of its
    department (a team never reads another department's opinion)."""
    found = list(
        case.opinions.filter(signed_at__isnull=False).select_related(
            "pack", "signed_by", "amends", "assignment"
        )
    )
    return _of_department(found, assignment)


def team_versions(case: Case, assignment: ReviewAssignment) -> tuple[Opinion | None, list[Opinion]]:
    """The draft (None if there is none, or it is a replaced team's: never shown
    to this one) and the signed versions of `assignment`'s department, newest
    first: what the lead's page shows. Until a version exists (most of a review)
    one narrow query: compiling the four joins costs more than running them."""
    if not case.opinions.exists():
        return None, []
    found = list(case.opinions.select_related("pack", "signed_by", "amends", "assignment"))
    for opinion in found:  # sealed with the case's key: the case at hand
        opinion.case = case
    draft = next((o for o in found if o.signed_at is None), None)
    if draft is not None and draft.assignment_id != assignment.pk:
        draft = None
    signed = [o for o in found if o.signed_at is not None]
    return draft, _of_department(signed, assignment)


def _of_department(found: list[Opinion], assignment: ReviewAssignment | None) -> list[Opinion]:
    if assignment is None:
        return found
    return [o for o in found if o.assignment.direction_id == assignment.direction_id]


def _lead(user: User, case: Case) -> ReviewAssignment:
    assignment, seat = _seat(user, case)
    if not seat.lead:
        raise ActionError(_("Only the lead reviewer writes and signs the team's opinion."))
    return assignment


def do_save_opinion_draft(
    case: Case,
    *,
    acting_user: User,
    fields: dict[str, Any],
    language: str = "zh",
    amend_reason: str = "",
    meta: RequestMeta | None = None,
) -> Opinion:
    """The lead's draft of the team's opinion. Once a version is signed, a new
    draft is its amendment and says why."""
    assignment = _lead(acting_user, case)
    values = _clean(fields, TEAM_FIELDS)
    agreement = _agreement(fields.get("agreement"))
    amend_reason = (amend_reason or "").strip()[:MAX_FIELD]
    with transaction.atomic():
        pack = sent_pack(case, assignment.direction_id)
        if pack is None:
            raise ActionError(_("Nothing has been sent to your department yet."))
        draft = Opinion.objects.select_for_update().filter(case=case, signed_at=None).first()
        if draft is not None and draft.assignment_id != assignment.pk:
            # a team that was replaced left a draft: it never becomes the new team's
            audit.record(
                acting_user,
                case,
                "opinion.draft_discarded",
                obj=draft,
                after={"number": draft.number, "assignment": draft.assignment_id},
                meta=meta,
            )
            draft.delete()
            draft = None
        latest = next(iter(signed_opinions(case, assignment)), None)
        created = draft is None
        if draft is None:
            number = (
                case.opinions.order_by("-number").values_list("number", flat=True).first() or 0
            ) + 1
            draft = Opinion(
                case=case, assignment=assignment, number=number, author=acting_user, amends=latest
            )
        draft.pack = pack
        draft.assignment = assignment
        draft.language = "en" if language.startswith("en") else "zh"
        draft.agreement = agreement
        for name, value in values.items():
            setattr(draft, name, value)
        draft.amend_reason = amend_reason
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            raise ActionError(_("Another draft was started just now: reload the page.")) from None
        audit.record(
            acting_user,
            case,
            "opinion.draft_saved",
            obj=draft,
            after={"number": draft.number, "pack": pack.number, "new": created},
            meta=meta,
        )
    return draft


def content_hash(opinion: Opinion) -> str:
    """The SHA-256 of what was signed: every written part, the version it was
    written on and the version it amends."""
    body = {
        "number": opinion.number,
        "pack": opinion.pack.sha256,
        "language": opinion.language,
        "agreement": opinion.agreement,
        "amends": opinion.amends.number if opinion.amends else None,
        "amend_reason": opinion.amend_reason,
        **{name: getattr(opinion, name) for name in TEAM_FIELDS},
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def do_sign_opinion(
    case: Case,
    *,
    acting_user: User,
    number: int,
    expected_version: int,
    seen: str | None = None,
    link: str = "",
    meta: RequestMeta | None = None,
) -> Opinion:
    """The lead signs the draft numbered `number`. The view has asked for a fresh
    second factor. Refused: not the lead, already signed, empty, an amendment
    without its reason. The first signature moves the case to opinion_ready."""
    assignment = _lead(acting_user, case)
    with transaction.atomic():
        locked = lock_case(case, expected_version)
        opinion = Opinion.objects.select_for_update().filter(case=locked, number=number).first()
        if opinion is None or opinion.assignment_id != assignment.pk:
            raise ActionError(_("There is no such version of the opinion: reload the page."))
        if opinion.signed_at is None and seen is not None and seen != content_hash(opinion):
            raise ActionError(
                _("The draft changed after you read it (another tab?): read it again, then sign.")
            )
        if opinion.signed_at is not None:
            raise ActionError(
                _(
                    "Version %(number)s was signed on %(date)s: a signed opinion never "
                    "changes. Write an amendment instead."
                )
                % {"number": opinion.number, "date": f"{opinion.signed_at:%Y-%m-%d}"}
            )
        if not opinion.summary or not opinion.agreement or not opinion.direction:
            raise ActionError(
                _(
                    "Write the summary, whether the team agrees with the diagnosis and the "
                    "recommended direction before signing."
                )
            )
        if opinion.amends_id is not None and not opinion.amend_reason:
            raise ActionError(_("Say why this version amends the signed one before signing."))
        if locked.status not in (workflow.UNDER_REVIEW, workflow.OPINION_READY):
            raise ActionError(
                f"The case is '{locked.get_status_display()}': nothing can be signed."
            )
        opinion.case = locked
        opinion.signed_at, opinion.signed_by = timezone.now(), acting_user
        opinion.sha256 = content_hash(opinion)
        opinion.save()
        before = move_on(locked, workflow.UNDER_REVIEW, workflow.OPINION_READY)
        save_case(locked, ["status"])
        audit.record(
            acting_user,
            locked,
            "opinion.signed",
            obj=opinion,
            before={"status": before},
            after={
                "status": locked.status,
                "number": opinion.number,
                "pack": opinion.pack.number,
                "sha256": opinion.sha256,
                "amends": opinion.amends.number if opinion.amends else None,
            },
            meta=meta,
        )
        coordinators = _coordinators(locked)
        ref = locked.pseudonym
        assigned = locked.coordinator is not None and locked.coordinator.is_active
        transaction.on_commit(lambda: _send_signed(coordinators, ref, link, assigned))
    case.status, case.version = locked.status, locked.version
    return opinion


def _coordinators(case: Case) -> list[User]:
    """Who hears that an opinion is signed: the case's coordinator, or every
    active coordinator while none is assigned."""
    if case.coordinator is not None and case.coordinator.is_active:
        return [case.coordinator]
    return list(User.objects.filter(role=Role.COORDINATOR, is_active=True))


def _send_signed(coordinators: list[User], ref: str, link: str, assigned: bool = True) -> None:
    """Each coordinator in their language: the case's reference and the
    console's link, never the opinion; and why they get it (they coordinate the
    case, or no one does yet and every coordinator is told)."""
    context = {"ref": ref, "link": link, "assigned": assigned}
    mail.send("mail/opinion_signed", mail.to_users(coordinators), context)


# -- release ----------------------------------------------------------------------------


def highlights(opinion: Opinion) -> dict[str, list[promises.Promise]]:
    """Promise-like phrases in each part of a signed opinion, for the coordinator
    to check before release (never refused: the clinician's word)."""
    found = {}
    for name in TEAM_FIELDS:
        hits = promises.find(getattr(opinion, name) or "")
        if hits:
            found[name] = hits
    return found


def do_release_opinion(
    case: Case, *, acting_user: User, number: int, meta: RequestMeta | None = None
) -> Opinion:
    """A coordinator releases a signed version to the patient, having read it
    and its highlighted phrases."""
    require(acting_user, case, "process")
    with transaction.atomic():
        opinion = Opinion.objects.select_for_update().filter(case=case, number=number).first()
        if opinion is None or opinion.signed_at is None:
            raise ActionError("Only a signed opinion can be released to the patient.")
        if opinion.released_at is not None:
            raise ActionError(f"Version {opinion.number} was already released.")
        if opinion.amendments.filter(signed_at__isnull=False).exists():
            raise ActionError(
                f"Version {opinion.number} was amended by a later signed version: release "
                "the newest one."
            )
        if opinion.sha256 != content_hash(opinion):
            raise ActionError("This version does not match what was signed: it cannot be released.")
        opinion.released_at, opinion.released_by = timezone.now(), acting_user
        opinion.save(update_fields=["released_at", "released_by"])
        audit.record(
            acting_user,
            case,
            "opinion.released",
            obj=opinion,
            after={
                "number": opinion.number,
                "highlights": sum(map(len, highlights(opinion).values())),
            },
            meta=meta,
        )
    return opinion


def released_opinion(case: Case) -> Opinion | None:
    """The newest version released to the patient, or None."""
    return case.opinions.filter(released_at__isnull=False).select_related("pack").first()
