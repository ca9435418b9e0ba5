"""Ties an enquiry to its account and opens the case once the e-mail address
is verified, through allauth's signals (connected in apps.PortalConfig.ready).

The enquiry is found through the browser session that wrote it (at sign-up or
sign-in), and then only if the account's e-mail address is the enquiry's: an
enquiry typed with someone else's address is never attached to their account.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.models import EmailAddress
from django.http import HttpRequest

from casebridge.web.cases.audit import meta_from_request
from casebridge.web.cases.errors import ActionError
from casebridge.web.cases.models import Case, Enquiry
from casebridge.web.portal.actions.enquiry_link import do_link_enquiry, do_open_case_from_enquiry

log = logging.getLogger(__name__)
ENQUIRY_KEY = "portal_enquiry_id"


def _verified(user: Any, email: str) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def continue_enquiry(request: HttpRequest | None, user: Any) -> Case | None:
    """Link the session's enquiry to `user` and, once their address is verified,
    open the case from every linked enquiry without one. Returns the last case."""
    meta = meta_from_request(request)
    if request is not None and hasattr(request, "session"):
        pk = request.session.get(ENQUIRY_KEY)
        enquiry = Enquiry.objects.filter(pk=pk).first() if pk else None
        if enquiry is not None and enquiry.email and enquiry.email.lower() == user.email.lower():
            try:
                do_link_enquiry(enquiry, acting_user=user, meta=meta)
            except ActionError as error:
                log.info("enquiry %s not linked: %s", enquiry.pk, error)
    case = None
    for enquiry in Enquiry.objects.filter(user=user, case__isnull=True):
        if not _verified(user, enquiry.email):
            continue
        try:
            case = do_open_case_from_enquiry(enquiry, acting_user=user, meta=meta) or case
        except ActionError as error:
            log.info("enquiry %s: no case opened: %s", enquiry.pk, error)
    return case


def on_signed_up(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    continue_enquiry(request, user)


def on_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    continue_enquiry(request, user)


def on_email_confirmed(
    sender: Any, request: HttpRequest, email_address: Any, **kwargs: Any
) -> None:
    continue_enquiry(request, email_address.user)


def connect() -> None:
    from allauth.account.signals import email_confirmed, user_logged_in, user_signed_up

    user_signed_up.connect(on_signed_up, dispatch_uid="casebridge.portal.signed_up")
    user_logged_in.connect(on_logged_in, dispatch_uid="casebridge.portal.logged_in")
    email_confirmed.connect(on_email_confirmed, dispatch_uid="casebridge.portal.email_confirmed")
