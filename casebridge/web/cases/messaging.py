"""A message on a case and the e-mail that tells the other side, shared by the
apps (the patient and family write from the portal, coordinators answer from
the console; apps never import one another, so both take it from here).

The e-mail carries a link only, never the message's text: the patient and
family get the portal's page of the messages, coordinators the console's.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases import mail
from casebridge.web.cases.access import can
from casebridge.web.cases.actions import do_send_message
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.models import Case, CaseMember, Message


def message_recipients(case: Case, sender: User) -> list[User]:
    """Who hears of a new message: staff write to the patient and the family who
    may read the messages (the "message" need: reading and sending); the patient or family write to the case's coordinator (or
    every active coordinator while none is assigned)."""
    if can(sender, case, "manage"):
        people = [case.owner] + [
            m.user
            for m in CaseMember.objects.filter(case=case, revoked_at__isnull=True).select_related(
                "user"
            )
            if m.grants("message")
        ]
    elif case.coordinator is not None and case.coordinator.is_active:
        people = [case.coordinator]
    else:
        people = list(User.objects.filter(role=Role.COORDINATOR, is_active=True))
    return [p for p in people if p.is_active and p.pk != sender.pk]


def do_post_message(
    case: Case,
    *,
    acting_user: User,
    body: str,
    link: str,
    console_link: str = "",
    meta: RequestMeta | None = None,
) -> Message:
    """Send a message on the case and, after it commits, tell the other side by
    e-mail, each in their language: the patient and family get `link` (the
    portal's page of the messages), coordinators `console_link` (the console's
    page of the case). A link only, never the message's text."""
    with transaction.atomic():
        message = do_send_message(case, acting_user=acting_user, body=body, meta=meta)
        recipients = message_recipients(case, acting_user)
        sends: list[tuple[list[mail.Recipient], dict[str, Any]]]
        if can(acting_user, case, "manage"):
            # the patient reads "in your case", a relative "on a case you follow";
            # only a relative yet to choose a password (an invitation not accepted)
            # is told to ignore it if they have no account
            owner = [u for u in recipients if u.pk == case.owner_id]
            unset = [u for u in recipients if u not in owner and not u.has_usable_password()]
            others = [u for u in recipients if u not in owner and u not in unset]
            sends = [
                (mail.to_users(owner), {"link": link, "own_case": True}),
                (mail.to_users(unset), {"link": link, "no_account_yet": True}),
                (mail.to_users(others), {"link": link}),
            ]
            name = "mail/new_message"
        else:
            name = "mail/new_message_staff"
            context = {
                "link": console_link or link,
                "ref": case.pseudonym,
                "from_patient": acting_user.pk == case.owner_id,
                # the e-mail says why they get it: they coordinate the case, or no
                # one does yet and every coordinator is told (message_recipients)
                "assigned": case.coordinator is not None and case.coordinator.is_active,
            }
            sends = [(mail.to_users(recipients), context)]

        def tell() -> None:
            for people, context in sends:
                if people:
                    mail.send(name, people, context)

        transaction.on_commit(tell)
    return message
