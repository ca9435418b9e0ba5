"""An enquiry joined to its account and the case opened from it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from casebridge.web.accounts.models import STAFF_ROLES, User
from casebridge.web.cases import audit, mail
from casebridge.web.cases.actions import (
    do_create_case,
)
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import NotAllowed
from casebridge.web.cases.models import (
    Case,
    Enquiry,
)
from casebridge.web.cases.safety import categories_of
from casebridge.web.portal.actions.enquiry import named_account, take_enquiry_name


def do_link_enquiry(
    enquiry: Enquiry, *, acting_user: User, meta: RequestMeta | None = None
) -> Enquiry:
    """Tie an enquiry to the account made (or signed in) for its e-mail address,
    in the browser session that wrote it."""
    if not acting_user.is_authenticated:
        raise NotAllowed("Sign in first.")
    if enquiry.email.lower() != acting_user.email.lower():
        raise NotAllowed("This enquiry was made with another e-mail address.")
    with transaction.atomic():
        locked = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
        if locked.user_id not in (None, acting_user.pk):
            raise NotAllowed("This enquiry belongs to another account.")
        if locked.user_id is None:
            locked.user = acting_user
            locked.save(update_fields=["user", "updated_at"])
            # the language the enquirer chose is the account's: its e-mails (the
            # sign-up confirmation, sent next) are written in it
            chosen = mail.stored_language(locked.preferred_language)
            changed = []
            if acting_user.preferred_language != chosen:
                acting_user.preferred_language = chosen
                changed.append("preferred_language")
            named = take_enquiry_name(acting_user, locked.full_name)
            if named:
                changed.append("full_name")
            if changed:
                acting_user.save(update_fields=changed)
            audit.record(
                acting_user,
                None,
                "enquiry.linked",
                obj=locked,
                after={"user": acting_user.pk, **named_account(acting_user.pk if named else None)},
                meta=meta,
            )
    return locked


def enquiry_intake(enquiry: Enquiry) -> dict[str, Any]:
    """The engine's intake from the enquiry: the patient's own words. The flags a
    coordinator cleared with the person (tick-boxes and free text) are cleared in the
    case too, so the same words do not pause the new case again."""
    cleared: list[str] = []
    if enquiry.red_flag_state == Enquiry.RedFlag.CLEARED:
        cleared = categories_of(
            [
                *(enquiry.red_flag_answers or []),
                *(f.get("flag", "") for f in enquiry.safety_flags or []),
            ]
        )
    return {
        "safety_cleared": cleared,
        "source": "enquiry",
        "relationship": enquiry.relationship,
        "diagnosis_own_words": enquiry.diagnosis,
        "current_status": enquiry.current_treatment,
        "goals": enquiry.goals,
        "questions": enquiry.question,
        "home_country": enquiry.country,
        "preferred_language": enquiry.preferred_language,
        "red_flags": [],
    }


def do_open_case_from_enquiry(
    enquiry: Enquiry, *, acting_user: User, meta: RequestMeta | None = None
) -> Case | None:
    """The enquirer's e-mail is verified: mark the enquiry verified and open the
    case from it. Idempotent (a second call returns the same case). None when the
    enquiry cannot become a case yet (a red flag not cleared)."""
    if enquiry.user_id != acting_user.pk:
        raise NotAllowed("This enquiry belongs to another account.")
    with transaction.atomic():
        locked = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
        if locked.case_id is not None:
            return locked.case
        if locked.red_flag_state == Enquiry.RedFlag.FLAGGED:
            return None
        if locked.email_verified_at is None:
            locked.email_verified_at = timezone.now()
            locked.status = Enquiry.Status.VERIFIED
            locked.save(update_fields=["email_verified_at", "status", "updated_at"])
            audit.record(acting_user, None, "enquiry.verified", obj=locked, meta=meta)
        if acting_user.role in STAFF_ROLES:
            return None  # a staff account does not own a case
        return do_create_case(
            acting_user=acting_user,
            owner=acting_user,
            programme=locked.programme,
            intake=enquiry_intake(locked),
            enquiry=locked,
            meta=meta,
        )
