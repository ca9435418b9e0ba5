"""Who has a second factor (allauth.mfa). Coordinators, reviewers and admins
must (middleware.StaffMFAMiddleware and the console); patients may."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator


def has_second_factor(user: Any) -> bool:
    """An enrolled TOTP authenticator (recovery codes alone are not one)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, CHECKED_ATTR, False):
        return True
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# Set by StaffMFAMiddleware on the request's own user object once it has found
# the authenticator, so that the access gate, later in the same request, does
# not ask again. Objects that never passed the middleware always ask.
CHECKED_ATTR = "_casebridge_has_second_factor"


def remember_second_factor(user: Any) -> None:
    setattr(user, CHECKED_ATTR, True)
