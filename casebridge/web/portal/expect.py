"""What a first-time user is told to expect, from the installation's settings:
who runs it (the data controller) and how soon a coordinator gets in touch.
Nothing here promises a diagnosis, a treatment, acceptance or an outcome."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def operator_name() -> str:
    """The data controller: CASEBRIDGE_OPERATOR_NAME, or a plain description."""
    return settings.CASEBRIDGE_OPERATOR_NAME or _(
        "the organisation running this casebridge installation"
    )


def operator_contact() -> str:
    """How to reach the operator (CASEBRIDGE_OPERATOR_CONTACT); empty if not set."""
    return settings.CASEBRIDGE_OPERATOR_CONTACT


def first_contact_wait() -> str:
    """'within 2 working days' (CASEBRIDGE_FIRST_CONTACT_DAYS)."""
    days = settings.CASEBRIDGE_FIRST_CONTACT_DAYS
    return ngettext("within %(days)d working day", "within %(days)d working days", days) % {
        "days": days
    }


def red_flag_callback_wait() -> str:
    """'within 4 hours' (CASEBRIDGE_RED_FLAG_CALLBACK_HOURS), or, unset,
    'within 1 working day'."""
    hours = settings.CASEBRIDGE_RED_FLAG_CALLBACK_HOURS
    if hours <= 0:
        return _("within 1 working day")
    return ngettext("within %(hours)d hour", "within %(hours)d hours", hours) % {"hours": hours}


def context() -> dict[str, str]:
    return {
        "operator_name": operator_name(),
        "operator_contact": operator_contact(),
        "first_contact_wait": first_contact_wait(),
        "red_flag_wait": red_flag_callback_wait(),
    }
