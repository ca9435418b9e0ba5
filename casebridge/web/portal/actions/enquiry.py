"""The enquiry's changes: sending it (rate-limited per client, an earlier one
merged), a red flag raised from it, and the contact added to it. Urgent symptoms
are screened and recorded in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from casebridge.web.accounts.models import User
from casebridge.web.cases import audit, enquiry_digest, throttle
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError, NotAllowed
from casebridge.web.cases.models import (
    PROGRAMME_CHOICES,
    Enquiry,
    snapshot,
)
from casebridge.web.cases.safety import amber, categories_of, red, screen_answers
from casebridge.web.cases.throttle import Throttled
from casebridge.web.portal import content
from casebridge.web.portal.actions.fields import clean_field

LANGUAGES = {"en", "zh"}


# -- the enquiry ----------------------------------------------------------------


class RedFlagCapReached(Throttled):
    """This client already has ENQUIRY_RED_FLAG_CAP red-flagged enquiries waiting
    for a coordinator: no more are kept. The page still says: seek care now."""


def _client(meta: RequestMeta | None) -> str | None:
    return meta.ip if meta is not None else None


def _check_enquiry_rate(meta: RequestMeta | None) -> None:
    """A new enquiry from this client address, within ENQUIRY_RATE."""
    limit, window = throttle.parse_rate(settings.ENQUIRY_RATE)
    if not throttle.hit("enquiry", _client(meta), limit=limit, window=window):
        minutes = max(1, throttle.retry_after(window) // 60)
        raise Throttled(
            f"Many enquiries were sent from this connection recently. Please try again in "
            f"{minutes} minutes, or e-mail us. In an emergency call 999, or NHS 111 for "
            "urgent advice.",
            retry_after=throttle.retry_after(window),
        )


def open_red_flags_from(ip: str | None) -> int:
    """Red-flagged enquiries from this client, with no account, no case and no
    coordinator's clearance yet."""
    if not ip:
        return 0
    return Enquiry.objects.filter(
        client_ip=ip,
        red_flag_state=Enquiry.RedFlag.FLAGGED,
        user__isnull=True,
        case__isnull=True,
    ).count()


def _check_red_flag_cap(meta: RequestMeta | None) -> None:
    if open_red_flags_from(_client(meta)) >= settings.ENQUIRY_RED_FLAG_CAP:
        raise RedFlagCapReached(
            "Several urgent enquiries from this connection are already waiting for a "
            "coordinator. Please seek local care now: call 999, or NHS 111 for urgent advice."
        )


def _recent() -> Any:
    return timezone.now() - timedelta(minutes=settings.ENQUIRY_DUPLICATE_MINUTES)


def _merged(enquiry: Enquiry, *, acting_user: Any, meta: RequestMeta | None) -> Enquiry:
    audit.record(
        acting_user,
        None,
        "enquiry.duplicate_merged",
        obj=enquiry,
        after={"into": enquiry.pk},
        meta=meta,
    )
    return enquiry


def do_flag_enquiry(
    *, acting_user: Any, red_flags: list[str], meta: RequestMeta | None = None
) -> Enquiry:
    """The urgency check found a red flag: keep an enquiry flagged for a
    coordinator. Nothing more can be done with it until a coordinator clears it.

    The same ticks from the same client within ENQUIRY_DUPLICATE_MINUTES, with no
    contact left yet, are merged into that enquiry; a client with
    ENQUIRY_RED_FLAG_CAP open ones gets RedFlagCapReached; new enquiries count
    against ENQUIRY_RATE (Throttled)."""
    known = set(content.red_flag_ids())
    ticked = [flag for flag in red_flags if flag in known]
    if not ticked:
        raise ActionError("No urgent symptom was ticked.")
    ip = _client(meta)
    with transaction.atomic():
        if ip:
            for earlier in Enquiry.objects.filter(
                client_ip=ip,
                red_flag_state=Enquiry.RedFlag.FLAGGED,
                user__isnull=True,
                case__isnull=True,
                created_at__gte=_recent(),
            ):
                # e-mail, phone and ticks are sealed: compared here, not in the query
                # (the few recent flagged enquiries of one client)
                if (
                    not earlier.email
                    and not earlier.phone
                    and sorted(earlier.red_flag_answers or []) == sorted(ticked)
                ):
                    return _merged(earlier, acting_user=acting_user, meta=meta)
        _check_red_flag_cap(meta)
        _check_enquiry_rate(meta)
        enquiry = Enquiry.objects.create(
            full_name="",
            email="",
            red_flag_answers=ticked,
            red_flag_state=Enquiry.RedFlag.FLAGGED,
            client_ip=ip,
        )
        audit.record(
            acting_user,
            None,
            "enquiry.red_flag",
            obj=enquiry,
            after={"red_flags": ticked},
            meta=meta,
        )
    return enquiry


def take_enquiry_name(user: User, name: str) -> bool:
    """The name an enquiry gives ("Your name") becomes its account's, unless the
    account has one: the account is the one source of a patient's name (the
    portal and the console read nothing else; cases 0026 did it for accounts
    linked earlier). True when `user.full_name` changed (the caller saves it)."""
    name = (name or "").strip()[:200]
    if (user.full_name or "").strip() or not name:
        return False
    user.full_name = name
    return True


def named_account(account_id: int | None) -> dict[str, int]:
    """What an enquiry's audit row adds when the enquiry's name became an
    account's: which account (the name itself is the enquiry's, sealed with it)."""
    return {} if account_id is None else {"named_account": account_id}


def do_add_enquiry_contact(
    enquiry: Enquiry,
    *,
    acting_user: Any,
    full_name: str,
    email: str,
    phone: str = "",
    meta: RequestMeta | None = None,
) -> Enquiry:
    """Someone told to seek local care leaves how a coordinator can reach them."""
    full_name = clean_field(full_name, "your name", limit=200)
    email = clean_field(email, "your e-mail address", limit=254).lower()
    phone = clean_field(phone, "your phone number", limit=40)
    if not email and not phone:
        raise ActionError("Give an e-mail address or a phone number so we can reach you.")
    with transaction.atomic():
        locked = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
        if locked.case_id is not None:
            raise NotAllowed("This enquiry is already closed.")
        # what is left blank keeps what the person gave before: nothing is lost
        locked.full_name = full_name or locked.full_name
        locked.email = email or locked.email
        locked.phone = phone or locked.phone
        locked.save(update_fields=["full_name", "email", "phone", "updated_at"])
        named = False
        if locked.user_id is not None:  # linked already, perhaps before it had a name
            account = User.objects.select_for_update().get(pk=locked.user_id)
            named = take_enquiry_name(account, locked.full_name)
            if named:
                account.save(update_fields=["full_name"])
        audit.record(
            acting_user,
            None,
            "enquiry.contact_added",
            obj=locked,
            after={"email": email, **named_account(locked.user_id if named else None)},
            meta=meta,
        )
    return locked


@dataclass(frozen=True)
class EnquiryAnswers:
    """What the enquiry form collects (validated by the form first)."""

    full_name: str
    email: str
    relationship: str
    programme: str
    diagnosis: str
    current_status: str
    goals: str
    questions: str
    country: str
    preferred_language: str
    contact_consent: bool
    phone: str = ""


def do_submit_enquiry(
    *,
    acting_user: Any,
    answers: EnquiryAnswers,
    enquiry: Enquiry | None = None,
    meta: RequestMeta | None = None,
) -> Enquiry:
    """Save the enquiry's answers: a new enquiry with no red flag, or one a
    coordinator cleared (`enquiry`). A flagged enquiry is refused.

    The same new enquiry (same e-mail, same words) within
    ENQUIRY_DUPLICATE_MINUTES is merged into the first; a new one counts against
    the client's ENQUIRY_RATE, and one whose words raise a red flag against its
    ENQUIRY_RED_FLAG_CAP (Throttled, RedFlagCapReached; nothing saved).

    The free-text answers go through the engine's emergency screen: a patient often
    writes the emergency there rather than ticking it. A red flag (one a coordinator
    has not already cleared) flags the enquiry as the tick-boxes do: the person is told
    to seek local care now and the enquiry waits for a coordinator. Amber findings are
    kept on the enquiry; the person is told to call their helpline today."""
    if enquiry is not None and enquiry.red_flag_state == Enquiry.RedFlag.FLAGGED:
        raise NotAllowed(
            "This enquiry is paused until a coordinator has checked that you are safe."
        )
    if not answers.contact_consent:
        raise ActionError("Please agree that we may contact you about your enquiry.")
    if answers.programme not in dict(PROGRAMME_CHOICES):
        raise ActionError(f"Unknown programme '{answers.programme}'.")
    if answers.relationship not in Enquiry.Relationship.values:
        raise ActionError(f"Unknown relationship '{answers.relationship}'.")
    if answers.preferred_language not in LANGUAGES:
        raise ActionError("Choose English or Chinese.")
    country = clean_field(answers.country, "your home country", required=True, limit=2).upper()
    if len(country) != 2 or not country.isalpha():
        raise ActionError("Choose your home country from the list.")
    goals = clean_field(answers.goals, "your goals")
    questions = clean_field(answers.questions, "your questions")
    fields = {
        "full_name": clean_field(answers.full_name, "your name", required=True, limit=200),
        "email": clean_field(
            answers.email, "your e-mail address", required=True, limit=254
        ).lower(),
        "phone": clean_field(answers.phone, "your phone number", limit=40),
        "relationship": answers.relationship,
        "programme": answers.programme,
        "diagnosis": clean_field(answers.diagnosis, "the diagnosis", required=True),
        "current_treatment": clean_field(answers.current_status, "the current situation"),
        "goals": goals,
        "question": questions,
        "country": country,
        "preferred_language": answers.preferred_language,
        "contact_consent": True,
    }
    found = screen_answers(
        {
            "diagnosis_own_words": str(fields["diagnosis"]),
            "current_status": str(fields["current_treatment"]),
            "goals": goals,
            "questions": questions,
        },
        programme=answers.programme,
    )
    digests = enquiry_digest.answers_digests(fields)  # current master key first
    with transaction.atomic():
        if enquiry is None:
            # found by the keyed digest (the e-mail is sealed, so it cannot be
            # queried); the opened address is compared too, so only the same
            # person's enquiry is ever merged
            earlier = next(
                (
                    found
                    for found in Enquiry.objects.filter(
                        answers_hash__in=digests,
                        case__isnull=True,
                        created_at__gte=_recent(),
                    ).order_by("created_at", "pk")
                    if found.email == fields["email"]
                ),
                None,
            )
            if earlier is not None:
                return _merged(earlier, acting_user=acting_user, meta=meta)
            if red(found) and not getattr(acting_user, "is_authenticated", False):
                _check_red_flag_cap(meta)
            _check_enquiry_rate(meta)
            saved = Enquiry.objects.create(
                red_flag_state=Enquiry.RedFlag.NONE,
                client_ip=_client(meta),
                answers_hash=digests[0],
                **fields,
            )
            before = None
        else:
            saved = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
            if saved.red_flag_state == Enquiry.RedFlag.FLAGGED or saved.case_id is not None:
                raise NotAllowed("This enquiry cannot be changed now.")
            before = snapshot(saved, ["email", "programme"])
            for name, value in fields.items():
                setattr(saved, name, value)
            saved.save()
        audit.record(
            acting_user,
            None,
            "enquiry.submitted",
            obj=saved,
            before=before,
            after=snapshot(saved, ["email", "programme", "country", "preferred_language"]),
            meta=meta,
        )
        _record_screen(saved, found, acting_user=acting_user, meta=meta)
    return saved


def _record_screen(
    enquiry: Enquiry, found: list[dict[str, Any]], *, acting_user: Any, meta: RequestMeta | None
) -> None:
    """Keep what the screen found on the enquiry; flag it when a red finding is new
    (not a category a coordinator already cleared with the person)."""
    enquiry.safety_flags = found
    fields = ["safety_flags", "updated_at"]
    known = set(categories_of(list(enquiry.red_flag_answers or [])))
    if enquiry.red_flag_state == Enquiry.RedFlag.CLEARED:
        new_red = [f for f in red(found) if f["category"] not in known]
    else:
        new_red = red(found)
    if new_red:
        ids = list(
            dict.fromkeys([*(enquiry.red_flag_answers or []), *(f["flag"] for f in new_red)])
        )
        enquiry.red_flag_answers = ids
        enquiry.red_flag_state = Enquiry.RedFlag.FLAGGED
        fields += ["red_flag_answers", "red_flag_state"]
    enquiry.save(update_fields=fields)
    if new_red:
        audit.record(
            acting_user,
            None,
            "enquiry.red_flag",
            obj=enquiry,
            after={
                "red_flags": [f["flag"] for f in new_red],
                "from": "free_text",
                "fields": sorted({f["field"] for f in new_red}),
                "rules": [f["rule"] for f in new_red],
            },
            meta=meta,
        )
    elif amber(found):
        audit.record(
            acting_user,
            None,
            "enquiry.amber_flag",
            obj=enquiry,
            after={
                "flags": [f["flag"] for f in amber(found)],
                "rules": [f["rule"] for f in amber(found)],
            },
            meta=meta,
        )
