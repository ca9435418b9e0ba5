"""What a first-time user is told to expect, from the installation's settings:
who runs it (the data controller) and how soon a coordinator gets in touch.
Nothing here promises a diagnosis, a treatment, acceptance or an outcome."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def operator_name() -> str:
    """The data controller: CASEBRIDGE_OPERATOR_NAME, or a plain description."""
    return settings.CASEBRIDGE_OPERATOR_NAME or _(
        "the organisation running this casebridge installation"
    )


def operator_contact() -> str:
    """How to reach the operator: CASEBRIDGE_OPERATOR_CONTACT, else the address
    casebridge's e-mails come from (DEFAULT_FROM_EMAIL), so that someone without
    a case (and so without its messages) can still write to them."""
    if settings.CASEBRIDGE_OPERATOR_CONTACT:
        return settings.CASEBRIDGE_OPERATOR_CONTACT
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL


def retention_periods() -> dict[str, str]:
    """How long a case and an enquiry are kept (CASEBRIDGE_RETENTION_DAYS,
    CASEBRIDGE_ENQUIRY_RETENTION_DAYS, which apply_retention enforces), in words."""
    return {
        "case_retention": _period(settings.RETENTION_DAYS),
        "enquiry_retention": _period(settings.ENQUIRY_RETENTION_DAYS),
    }


def _period(days: int) -> str:
    """2922 days: "8 years"; 180: "180 days" (whole years only when exact to a leap day)."""
    years = round(days / 365.25)
    if years >= 1 and abs(days - years * 365.25) < 1:
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


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
