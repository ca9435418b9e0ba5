"""The people on a case: a family member or caregiver invited, an invitation
resent, opened or accepted, someone's access revoked or their permissions changed."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from casebridge.web.accounts.models import STAFF_ROLES, User
from casebridge.web.cases import audit, mail, throttle
from casebridge.web.cases.access import require
from casebridge.web.cases.actions import (
    do_invite_member,
)
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError, NotAllowed
from casebridge.web.cases.models import (
    Case,
    CaseMember,
    snapshot,
)
from casebridge.web.cases.throttle import Throttled
from casebridge.web.portal import invitations
from casebridge.web.portal.actions.fields import clean_field
from casebridge.web.portal.lib.wording import first_name

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
    name = clean_field(name, "their name", limit=200)
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
