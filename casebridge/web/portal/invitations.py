"""The link in a family invitation: signed, expiring, single-use.

The token names the membership and carries a fingerprint of the invited
account as it was when the invitation was sent (its password hash, last
sign-in and address) and of the membership (whether it was revoked): once the
invitee chooses a password, or signs in, the fingerprint no longer matches and
the link reads as used. It expires after INVITE_LINK_DAYS (settings). No health
data is in it, and nothing but the membership's number can be read from it.

Django's signing (as the enquiry's resume link, cases/notify.py): a new
invitation is a new token; nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from casebridge.web.cases.models import CaseMember

SALT = "casebridge.portal.family-invitation"

# why a link cannot be used
BROKEN, EXPIRED, USED, ENDED = "broken", "expired", "used", "ended"


def max_age() -> int:
    return int(settings.INVITE_LINK_DAYS) * 24 * 3600


def _fingerprint(member: CaseMember) -> str:
    user = member.user
    state = "|".join(
        str(part)
        for part in (
            member.pk,
            user.pk,
            user.email.lower(),
            user.password,
            user.last_login.isoformat() if user.last_login else "",
            member.revoked_at.isoformat() if member.revoked_at else "",
        )
    )
    return salted_hmac(SALT, state, algorithm="sha256").hexdigest()[:32]


def make_token(member: CaseMember) -> str:
    """A token for this membership's invitation, valid from now."""
    return signing.dumps({"m": member.pk, "f": _fingerprint(member)}, salt=SALT, compress=True)


@dataclass(frozen=True)
class Opened:
    """What a token opened: the membership (when the token names one) and, when
    the link cannot be used, why (BROKEN, EXPIRED, USED or ENDED); "" when it can."""

    member: CaseMember | None
    problem: str = ""

    @property
    def usable(self) -> bool:
        return self.member is not None and not self.problem


def open_token(token: str) -> Opened:
    """The membership a token names, and whether its link can still be used."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=None)
    except signing.BadSignature:
        return Opened(None, BROKEN)
    pk = data.get("m") if isinstance(data, dict) else None
    member = (
        CaseMember.objects.select_related("user", "case", "case__owner", "invited_by")
        .filter(pk=pk)
        .first()
        if isinstance(pk, int)
        else None
    )
    if member is None:
        return Opened(None, BROKEN)
    if member.revoked_at is not None or not member.can_view:
        return Opened(member, ENDED)
    if not constant_time_compare(str(data.get("f", "")), _fingerprint(member)):
        return Opened(member, USED)
    try:
        signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        return Opened(member, EXPIRED)
    return Opened(member)
