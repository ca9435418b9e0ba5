"""The portal's changes: do_* functions in the pattern of cases/actions.py.

Each takes the acting user (an anonymous visitor for an enquiry), checks the
same rule as the access gate, changes state inside transaction.atomic() and
writes its audit row in the same transaction. Refusals raise ActionError
subclasses whose message can be shown as is. E-mails are sent after the
commit and carry a link only, never health data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from casebridge.engine.case import DOC_TYPES
from casebridge.engine.ingest.sniff import sniff
from casebridge.web.accounts.models import STAFF_ROLES, User
from casebridge.web.cases import audit, enquiry_digest, mail, throttle
from casebridge.web.cases.access import require
from casebridge.web.cases.actions import (
    do_create_case,
    do_invite_member,
    do_upload_document,
)
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError, NotAllowed
from casebridge.web.cases.lib import open_type_flags
from casebridge.web.cases.models import (
    PROGRAMME_CHOICES,
    Case,
    CaseMember,
    Consent,
    Document,
    Enquiry,
    snapshot,
)
from casebridge.web.cases.quota import check_upload_quota
from casebridge.web.cases.safety import amber, categories_of, red, screen_answers
from casebridge.web.cases.throttle import Throttled
from casebridge.web.portal import content, invitations
from casebridge.web.portal.lib import first_name

MAX_FIELD = 5_000
LANGUAGES = {"en", "zh"}


def _clean(value: Any, what: str, *, required: bool = False, limit: int = MAX_FIELD) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ActionError(f"Please fill in {what}.")
    if len(text) > limit:
        raise ActionError(f"{what.capitalize()} is too long (at most {limit} characters).")
    return text


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


def _take_enquiry_name(user: User, name: str) -> bool:
    """The name an enquiry gives ("Your name") becomes its account's, unless the
    account has one: the account is the one source of a patient's name (the
    portal and the console read nothing else; cases 0026 did it for accounts
    linked earlier). True when `user.full_name` changed (the caller saves it)."""
    name = (name or "").strip()[:200]
    if (user.full_name or "").strip() or not name:
        return False
    user.full_name = name
    return True


def _named_account(account_id: int | None) -> dict[str, int]:
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
    full_name = _clean(full_name, "your name", limit=200)
    email = _clean(email, "your e-mail address", limit=254).lower()
    phone = _clean(phone, "your phone number", limit=40)
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
            named = _take_enquiry_name(account, locked.full_name)
            if named:
                account.save(update_fields=["full_name"])
        audit.record(
            acting_user,
            None,
            "enquiry.contact_added",
            obj=locked,
            after={"email": email, **_named_account(locked.user_id if named else None)},
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
    country = _clean(answers.country, "your home country", required=True, limit=2).upper()
    if len(country) != 2 or not country.isalpha():
        raise ActionError("Choose your home country from the list.")
    goals = _clean(answers.goals, "your goals")
    questions = _clean(answers.questions, "your questions")
    fields = {
        "full_name": _clean(answers.full_name, "your name", required=True, limit=200),
        "email": _clean(answers.email, "your e-mail address", required=True, limit=254).lower(),
        "phone": _clean(answers.phone, "your phone number", limit=40),
        "relationship": answers.relationship,
        "programme": answers.programme,
        "diagnosis": _clean(answers.diagnosis, "the diagnosis", required=True),
        "current_treatment": _clean(answers.current_status, "the current situation"),
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
            named = _take_enquiry_name(acting_user, locked.full_name)
            if named:
                changed.append("full_name")
            if changed:
                acting_user.save(update_fields=changed)
            audit.record(
                acting_user,
                None,
                "enquiry.linked",
                obj=locked,
                after={"user": acting_user.pk, **_named_account(acting_user.pk if named else None)},
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


# -- documents --------------------------------------------------------------------


@dataclass
class UploadResult:
    file_name: str
    document: Document | None = None
    error: str = ""
    duplicate: bool = False


def has_processing_consent(case: Case) -> bool:
    return case.consents.filter(
        kind=Consent.Kind.PROCESSING_ART9, withdrawn_at__isnull=True
    ).exists()


def check_upload(name: str, size: int, data: bytes) -> None:
    """Refuse, with a plain reason, a file too big or of a type casebridge cannot read."""
    if size <= 0:
        raise ActionError(f"'{name}' is empty: there is nothing to read.")
    if size > settings.MAX_UPLOAD_BYTES:
        raise ActionError(
            f"'{name}' is {size / 1e6:.0f} MB; the limit is "
            f"{settings.MAX_UPLOAD_BYTES / 1e6:.0f} MB. Split it, or send it to your coordinator."
        )
    kind = sniff(data)
    if kind.handler == "unsupported":
        raise ActionError(f"'{name}' was not added. {kind.reason}.")


def do_upload_documents(
    case: Case,
    *,
    acting_user: User,
    files: Iterable[tuple[str, int, Any]],
    meta: RequestMeta | None = None,
) -> list[UploadResult]:
    """Upload several files: each (name, size, a callable returning its bytes or
    the bytes). Each file succeeds or fails on its own, with a plain reason;
    a duplicate (same content already in the case, e.g. a double submit) is
    reported, not stored twice. Needs the patient's consent to processing."""
    require(acting_user, case, "upload")
    if not has_processing_consent(case):
        raise NotAllowed(
            "Before records can be added, the patient needs to give consent to the use of "
            "their health information (on the Consent page)."
        )
    from casebridge.web.cases.errors import DuplicateDocument

    results: list[UploadResult] = []
    for name, size, reader in files:
        try:
            if size > settings.MAX_UPLOAD_BYTES or size <= 0:
                check_upload(name, size, b"")
            check_upload_quota(acting_user, name, size)  # before the file is read
            data = reader() if callable(reader) else reader
            check_upload(name, len(data), data)
            document = do_upload_document(
                case, acting_user=acting_user, file_name=name, data=data, meta=meta
            )
            results.append(UploadResult(document.file_name, document=document))
        except DuplicateDocument as error:
            results.append(UploadResult(name, error=str(error), duplicate=True))
        except ActionError as error:
            results.append(UploadResult(name, error=str(error)))
    return results


def do_flag_document_type(
    case: Case,
    *,
    acting_user: User,
    document: Document,
    note: str = "",
    suggested_type: str = "",
    meta: RequestMeta | None = None,
) -> None:
    """The patient (or family) says a document was read as the wrong type, and
    what it is if they know (`suggested_type`, one of the engine's types; ""
    for "I don't know"). A coordinator corrects the type; the flag is an audit
    row they can list, the suggestion in it."""
    require(acting_user, case, "upload")
    if document.case_id != case.pk:
        raise NotAllowed("This document is not in this case.")
    if suggested_type and suggested_type not in DOC_TYPES:
        raise ActionError("Choose a kind of document from the list.")
    note = _clean(note, "the note", limit=500)
    after: dict[str, Any] = {"note": note}
    if suggested_type:
        after["suggested_type"] = suggested_type
    with transaction.atomic():
        audit.record(
            acting_user,
            case,
            "document.type_flagged",
            obj=document,
            before={"doc_type": document.effective_doc_type},
            after=after,
            meta=meta,
        )


def flagged_document_ids(case: Case) -> set[str]:
    """Documents someone flagged as the wrong type since their type last changed."""
    return {str(pk) for pk in open_type_flags(case)}


def do_record_read(
    case: Case,
    *,
    acting_user: User,
    action: str,
    obj: Any = None,
    after: dict[str, Any] | None = None,
    meta: RequestMeta | None = None,
) -> None:
    """An audit row for a read beyond the gate's case.read: a download, a
    document's text. The case must come from the gate."""
    require(acting_user, case, "view")
    audit.record(acting_user, case, action, obj=obj, after=after, meta=meta)


# -- people and messages ----------------------------------------------------------


def inviter_name(user: User) -> str:
    """How an invitation names who sent it: the first name, else the display
    name (a name, never anything about the case)."""
    return first_name(user)


def _limit_invitations(acting_user: User) -> None:
    """One person sends at most INVITE_RATE invitations (and new links)."""
    limit, window = throttle.parse_rate(settings.INVITE_RATE)
    if not throttle.hit("invite", str(acting_user.pk), limit=limit, window=window):
        raise Throttled(
            gettext("You have sent many invitations in a short time. Please try again later."),
            retry_after=throttle.retry_after(window),
        )


def _send_invitation_mail(member: CaseMember, acting_user: User, site_url: str) -> None:
    """The invitation e-mail with a fresh signed link, once the transaction commits."""
    invitee = member.user
    path = reverse("portal:invitation", args=[invitations.make_token(member)])
    context = {
        "inviter": inviter_name(acting_user),
        "caregiver": member.relationship == CaseMember.Relationship.CAREGIVER,
        "link": site_url.rstrip("/") + path,
        "has_account": invitee.has_usable_password(),
        "days": settings.INVITE_LINK_DAYS,
    }
    people = [mail.to_user(invitee)]
    transaction.on_commit(lambda: mail.send("mail/family_invitation", people, context))


def do_invite_family(
    case: Case,
    *,
    acting_user: User,
    email: str,
    relationship: str,
    can_upload: bool,
    can_message: bool,
    site_url: str,
    can_approve: bool = False,
    language: str = "",
    name: str = "",
    meta: RequestMeta | None = None,
) -> CaseMember | None:
    """The patient invites a family member or caregiver; they get one e-mail
    (no health data in it) whose link opens the invitation's page under
    `site_url` (the site's own address, e.g. "https://casebridge.example/"):
    signed, single-use and expiring (portal/invitations.py). There a new
    account chooses its password and is signed in (do_accept_invitation); an
    existing account signs in as usual.

    One person sends at most INVITE_RATE invitations (Throttled); one address
    receives at most INVITE_EMAIL_RATE invitation e-mails, whoever sends them
    (past it the membership is made but no e-mail goes). The answer is the same
    for every address: a staff address gets no membership and no e-mail
    (cases.actions.do_invite_member), and the patient is not told.

    `language` is the one the patient chose for the invitee ("en" or "zh"; the
    inviter's when not given) and `name` what the patient calls them (optional):
    both are kept only on an account this invitation made, which then speaks
    that language and is named by that name; an existing account keeps its own."""
    name = _clean(name, "their name", limit=200)
    _limit_invitations(acting_user)
    with transaction.atomic():
        member = do_invite_member(
            case,
            acting_user=acting_user,
            email=email,
            relationship=relationship,
            can_upload=can_upload,
            can_message=can_message,
            can_approve=can_approve,
            meta=meta,
        )
        if member is None:
            return None
        invitee = member.user
        address = invitee.email
        if invitee.last_login is None and not invitee.has_usable_password():
            # an account made by this invitation: it speaks the language the patient
            # chose for them (else the inviter's) and has the name they gave, if any
            invitee.preferred_language = mail.stored_language(
                language or acting_user.preferred_language
            )
            fields = ["preferred_language"]
            if name:
                invitee.full_name = name
                fields.append("full_name")
            invitee.save(update_fields=fields)
        mails, mail_window = throttle.parse_rate(settings.INVITE_EMAIL_RATE)
        if throttle.hit("invite-mail", address.lower(), limit=mails, window=mail_window):
            _send_invitation_mail(member, acting_user, site_url)
        else:
            audit.record(
                acting_user,
                case,
                "member.invite_mail_limited",
                obj=member,
                after={"email": address},
                meta=meta,
            )
    return member


def do_resend_invitation(
    case: Case,
    *,
    acting_user: User,
    member: CaseMember,
    site_url: str,
    meta: RequestMeta | None = None,
) -> CaseMember:
    """The patient sends a new invitation link to someone who has not accepted
    yet (the first e-mail lost, or its link expired): a fresh signed link, the
    same e-mail in the invitee's language, and the family page counts its days
    from now (the page offers it only until they accept). The same limits as an
    invitation hold (per sender, per address)."""
    require(acting_user, case, "consent")
    _limit_invitations(acting_user)
    with transaction.atomic():
        locked = CaseMember.objects.select_for_update().select_related("user").get(pk=member.pk)
        if locked.case_id != case.pk or locked.revoked_at is not None:
            raise ActionError(gettext("This person no longer has access to the case."))
        invitee = locked.user
        mails, mail_window = throttle.parse_rate(settings.INVITE_EMAIL_RATE)
        if not throttle.hit("invite-mail", invitee.email.lower(), limit=mails, window=mail_window):
            raise Throttled(
                gettext("Several links went to this address in a short time. Please try later."),
                retry_after=throttle.retry_after(mail_window),
            )
        audit.record(
            acting_user,
            case,
            "member.invitation_resent",
            obj=locked,
            after={"email": invitee.email},
            meta=meta,
        )
        _send_invitation_mail(locked, acting_user, site_url)
    return locked


def do_accept_invitation(
    member: CaseMember,
    *,
    password: str,
    language: str,
    meta: RequestMeta | None = None,
) -> User:
    """The invitee opened the invitation's link (portal/invitations.py: signed,
    single-use, expiring; the view checks it first) and chose a password. That
    proves the address is theirs: it becomes their verified, primary address,
    so no confirmation e-mail follows, and nor does a "password changed" one
    (nothing changed that they did not just do). Their role is never changed.

    Only an account with no password yet (made by an invitation) accepts this
    way; one that has a password signs in as usual. Staff never get here (they
    are not invited), so the staff second-factor rules are untouched."""
    with transaction.atomic():
        locked = CaseMember.objects.select_for_update().filter(pk=member.pk).first()
        if locked is None or locked.revoked_at is not None or not locked.can_view:
            raise NotAllowed("This invitation has been withdrawn.")
        user = User.objects.select_for_update().get(pk=locked.user_id)
        if user.has_usable_password() or not user.is_active:
            raise NotAllowed("This invitation has already been used. Sign in instead.")
        if user.role in STAFF_ROLES:
            raise NotAllowed("This invitation cannot be used.")
        user.set_password(password)
        user.preferred_language = mail.stored_language(language)
        user.save(update_fields=["password", "preferred_language"])
        EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(
            primary=False
        )
        address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
        if address is None:
            address = EmailAddress(user=user, email=user.email)
        address.verified, address.primary = True, True
        address.save()
        audit.record(
            user,
            locked.case,
            "member.invitation_accepted",
            obj=locked,
            after={
                "email": user.email,
                "email_verified": True,
                "language": user.preferred_language,
            },
            meta=meta,
        )
    return user


def do_record_invitation_opened(
    member: CaseMember | None, *, problem: str = "", meta: RequestMeta | None = None
) -> None:
    """Someone opened an invitation's link: "member.invitation_opened", or
    "member.invitation_link_refused" with why when it cannot be used (expired,
    used, withdrawn or broken), with the case when the link names one."""
    audit.record(
        None,
        member.case if member is not None else None,
        "member.invitation_link_refused" if problem else "member.invitation_opened",
        obj=member,
        after={"reason": problem} if problem else None,
        meta=meta,
        actor_label="anonymous",
    )


def do_revoke_member(
    case: Case, *, acting_user: User, member: CaseMember, meta: RequestMeta | None = None
) -> CaseMember:
    """The patient (the case's owner, no one else) ends a family member's or
    caregiver's access. The membership row stays, revoked, for the record; the
    patient can invite them again later."""
    require(acting_user, case, "consent")
    if case.owner_id != acting_user.pk:
        raise NotAllowed("Only the patient can remove someone from their case.")
    with transaction.atomic():
        locked = CaseMember.objects.select_for_update().filter(pk=member.pk, case=case).first()
        if locked is None:
            raise NotAllowed("This person is not a member of this case.")
        if locked.revoked_at is not None:
            raise ActionError(gettext("This person's access was already removed."))
        before = snapshot(locked, ["can_view", "can_upload", "can_message", "revoked_at"])
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            acting_user,
            case,
            "member.revoked",
            obj=locked,
            before=before,
            after={
                "email": locked.user.email,
                **snapshot(locked, ["can_view", "can_upload", "can_message", "revoked_at"]),
            },
            meta=meta,
        )
    return locked


def do_change_member_permissions(
    case: Case,
    *,
    acting_user: User,
    member: CaseMember,
    can_upload: bool,
    can_message: bool,
    can_approve: bool,
    meta: RequestMeta | None = None,
) -> CaseMember:
    """The patient (the case's owner, no one else) changes what a family member
    or caregiver may do besides viewing: add records, send messages, approve what
    is sent. Audited as "member.permissions_changed" with before and after;
    nothing is written when nothing changed."""
    require(acting_user, case, "consent")
    if case.owner_id != acting_user.pk:
        raise NotAllowed("Only the patient can change what someone may do on their case.")
    fields = ["can_upload", "can_message", "can_approve"]
    with transaction.atomic():
        locked = CaseMember.objects.select_for_update().filter(pk=member.pk, case=case).first()
        if locked is None:
            raise NotAllowed("This person is not a member of this case.")
        if locked.revoked_at is not None:
            raise ActionError(gettext("This person's access was already removed."))
        before = snapshot(locked, fields)
        locked.can_upload, locked.can_message = bool(can_upload), bool(can_message)
        locked.can_approve = bool(can_approve)
        after = snapshot(locked, fields)
        if after == before:
            return locked
        locked.save(update_fields=fields)
        audit.record(
            acting_user,
            case,
            "member.permissions_changed",
            obj=locked,
            before=before,
            after={"email": locked.user.email, **after},
            meta=meta,
        )
    return locked
