"""Who has a second factor (allauth.mfa). Coordinators, reviewers and admins
must (middleware.StaffMFAMiddleware and the console); patients may."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator


def has_second_factor(user: Any) -> bool:
    """An enrolled TOTP authenticator (recovery codes alone are not one)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
