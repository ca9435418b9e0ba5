"""Every e-mail the platform sends, in one shape, shared by the apps (apps
never import one another) and by the allauth adapter.

A message is a pair of templates, `<name>_subject.txt` and `<name>_message.txt`
(the platform's own under templates/mail/, allauth's under
templates/account/email/), rendered in the recipient's language: the account's
preferred_language when there is one, else the language of the request. The
body extends mail/base_message.txt, which says what casebridge is, that the
e-mail carries no health information and whom to call in an emergency; the
message itself says who sent it and why, and gives a link. Never a diagnosis,
a message's text or a document in an e-mail: a name at most (who invited).

One message per recipient, so recipients never see each other's address.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)

ENGLISH, CHINESE = "en-gb", "zh-hans"  # the site's LANGUAGES
BRAND = "casebridge"


def site_language(code: str | None) -> str:
    """The site's language for a stored or requested code: "zh", "zh-hans",
    "zh-cn"... are Simplified Chinese; anything else English."""
    return CHINESE if (code or "").lower().startswith("zh") else ENGLISH


def stored_language(code: str | None) -> str:
    """The code an account or enquiry stores ("en" or "zh") for a site language."""
    return "zh" if site_language(code) == CHINESE else "en"


def language_of(user: Any = None, fallback: str | None = None) -> str:
    """The language to write to someone in: their account's preferred language,
    else `fallback` (a request's language), else the active one."""
    chosen = getattr(user, "preferred_language", None) if user is not None else None
    return site_language(chosen or fallback or translation.get_language())


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str  # a site language: ENGLISH or CHINESE


def to_user(user: Any) -> Recipient:
    return Recipient(user.email, language_of(user))


def to_users(users: Iterable[Any]) -> list[Recipient]:
    """Each active user with an address, once (sorted by address)."""
    seen: dict[str, Recipient] = {}
    for user in users:
        if user is not None and user.is_active and user.email:
            seen.setdefault(user.email.lower(), to_user(user))
    return [seen[key] for key in sorted(seen)]


def subject_line(text: str) -> str:
    """A rendered subject on one line, "casebridge: " before it once."""
    text = " ".join(text.split())
    prefix = f"{BRAND}: "
    return text if text.lower().startswith(prefix) else prefix + text


def render(name: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    """The subject and body of template pair `name` in `language`."""
    with translation.override(site_language(language)):
        subject = render_to_string(f"{name}_subject.txt", context)
        body = render_to_string(f"{name}_message.txt", context)
    return subject_line(subject), tidy(body)


def tidy(body: str) -> str:
    """At most one blank line in a row, none at the ends (templates' blocks leave some)."""
    lines = [line.rstrip() for line in body.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept) + "\n"


def send(name: str, recipients: Iterable[Recipient], context: dict[str, Any]) -> int:
    """Render `name` for each recipient in their language and send it to them
    alone. A failed send is logged, never raised (the change it tells of is
    already made). Returns how many were sent."""
    sent = 0
    for recipient in recipients:
        subject, body = render(name, context, recipient.language)
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.address])
        try:
            sent += message.send()
        except Exception as error:  # a mail server down must not undo what was done
            # the kind of failure only: an address is personal data, kept out of logs
            log.warning("e-mail %s to one recipient not sent: %s", name, type(error).__name__)
    return sent
