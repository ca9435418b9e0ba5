"""allauth adapters: where casebridge's account rules meet allauth.

AccountAdapter: the client's address as the installation's proxies report it
(cases.clientip), allauth's failed-login limit per client address, the
progressive delay per account (accounts.throttle), every failed and
successful sign-in in the audit log, and the session clocks started.

Its e-mails are casebridge's own (templates/account/email/, in the frame of
cases/mail.py): "casebridge: ..." subjects with no host before them, in the
recipient's language (their account's, else the request's), a link only.

MFAAdapter: TOTP secrets encrypted with a key derived from the master key
(never readable in a database dump), and staff may not remove their TOTP.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context, ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.conf import settings
from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from casebridge.web.accounts import throttle
from casebridge.web.cases import audit, datakeys, mail
from casebridge.web.cases.clientip import client_ip
from casebridge.web.middleware import mark_signed_in


def _login_of(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()


def _user_for(email: str) -> Any:
    from casebridge.web.accounts.models import User

    return User.objects.filter(email__iexact=email).first() if email else None


def _only_case(user: Any) -> str:
    """The pseudonym of the one case `user` owns or follows, or "" (none, or several)."""
    from django.db.models import Q

    from casebridge.web.cases.models import Case, CaseMember

    followed = CaseMember.objects.filter(user=user, revoked_at__isnull=True).values("case")
    found = list(
        Case.objects.filter(Q(owner=user) | Q(pk__in=followed)).values_list("pseudonym", flat=True)[
            :2
        ]
    )
    return found[0] if len(found) == 1 else ""


def audit_login(request: HttpRequest, action: str, email: str, **after: Any) -> None:
    """An audit row for a sign-in attempt, tied to the account it named (if any)."""
    user = _user_for(email)
    audit.record(
        None,
        None,
        action,
        obj=user,
        after={"login": email, **after},
        meta=audit.meta_from_request(request),
        actor_label="anonymous",
    )


def home_url(user: Any) -> str:
    """Where a person starts after signing in: coordinators and administrators
    the console's work queue, reviewers their workspace, everyone else their
    cases (settings.LOGIN_REDIRECT_URL)."""
    from django.urls import NoReverseMatch, reverse

    from casebridge.web.accounts.models import Role

    role = getattr(user, "role", None)
    queues: dict[Any, str] = {Role.COORDINATOR: "console:queue", Role.ADMIN: "console:queue"}
    name = queues.get(role)
    if role == Role.REVIEWER:
        name = "review:home"
    if name and getattr(user, "is_authenticated", False):
        try:
            return reverse(name)
        except NoReverseMatch:  # the console not installed
            pass
    return str(settings.LOGIN_REDIRECT_URL)


def signed_in_just_now(request: HttpRequest | None) -> bool:
    """Whether the person signed in (or re-authenticated) within
    ACCOUNT_REAUTHENTICATION_TIMEOUT seconds, with the strongest factor they
    have: staff with a second factor by its code, anyone else by any method.

    allauth counts only records marked "reauthenticated" (its re-authenticate
    pages), so the password typed a moment ago at sign-in did not count and the
    first step after it (enrolling TOTP) asked for it again. A sign-in record is
    as fresh a proof as a re-authentication one, within the same window; so is
    the code typed to enrol the TOTP in this session (the recovery codes next)."""
    from casebridge.web.accounts.signals import TOTP_ENROLLED_KEY
    from casebridge.web.cases.mfa import has_second_factor

    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return False
    records = [r for r in get_authentication_records(request, user) if isinstance(r, dict)]
    proofs = [r.get("at") for r in records]
    if getattr(user, "is_case_staff", False) and has_second_factor(user):
        proofs = [r.get("at") for r in records if r.get("method") == "mfa"]
        proofs.append(request.session.get(TOTP_ENROLLED_KEY))
    times = [float(at) for at in proofs if isinstance(at, int | float)]
    limit = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
    return bool(times) and time.time() - max(times) < limit


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Staff go to their work (a ?next= still wins: allauth reads it first)."""
        return home_url(request.user)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Not within the re-authentication window of a fresh sign-in: the
        person has just proved who they are (signed_in_just_now). Past it, or
        with only a password where staff have a second factor, it is asked."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        return not signed_in_just_now(getattr(context, "request", None))

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """A new account keeps the language its owner signed up in: its e-mails
        (the confirmation first) are written in it."""
        user.preferred_language = mail.stored_language(translation.get_language())
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """In the language of the account the e-mail is about (or the one with
        that address), else in the request's."""
        user = context.get("user") or _user_for(email)
        with translation.override(mail.language_of(user)):
            super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject: str) -> str:
        return mail.subject_line(str(subject))

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        message = super().render_mail(template_prefix, email, context, headers=headers)
        message.body = mail.tidy(str(message.body))
        return message

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request) or "0.0.0.0"  # noqa: S104  # nosec B104 - a key for counting, never bound

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth's "login_failed" rate is per client address here (settings):
        # checked now, counted only when the password turns out wrong.
        if not ratelimit.consume(request, action="login_failed_ip", dry_run=True):
            audit_login(request, "login.throttled", _login_of(credentials), why="client")
            raise self.validation_error("too_many_login_attempts")
        email = _login_of(credentials)
        wait = throttle.wait_seconds(request, email)
        if wait > 0:
            audit_login(request, "login.throttled", email, why="account", wait=wait)
            raise forms.ValidationError(
                _(
                    "Too many failed sign-ins for this address. Wait %(seconds)d seconds and "
                    "try again, or reset your password."
                )
                % {"seconds": wait}
            )

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = _login_of(credentials)
        ratelimit.consume(request, action="login_failed_ip")
        failures = throttle.record_failure(request, email)
        audit_login(request, "login.failed", email, failures=failures)

    def get_reauthentication_methods(self, user: Any) -> list[dict[str, Any]]:
        """Staff re-authenticate with their second factor (cases/reauth.py)."""
        methods: list[dict[str, Any]] = super().get_reauthentication_methods(user)
        if getattr(user, "is_case_staff", False):
            second = [m for m in methods if m.get("id") == "mfa_reauthenticate"]
            return second or methods
        return methods

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        """Audited; and a patient or relative with exactly one case goes straight
        into it, not to a list of one: on signing in, and on confirming the e-mail
        address (whose case the sign-in signal has just opened, after the
        redirect was chosen). Staff, a `next`, none or several cases: unchanged."""
        response = super().post_login(request, user, **kwargs)
        if response.get("Location") == "/" and not getattr(user, "is_case_staff", False):
            only = _only_case(user)
            if only:
                response["Location"] = reverse("portal:case", args=[only])
        throttle.record_success(request, user, response)
        mark_signed_in(request)
        audit.record(
            user,
            None,
            "login.succeeded",
            obj=user,
            meta=audit.meta_from_request(request),
        )
        return response


def _mfa_key(master: bytes | None = None) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"casebridge mfa secrets"
    ).derive(master if master is not None else settings.CASEBRIDGE_MASTER_KEY)
    return AESGCM(key)


PREFIX = "cb1:"


def open_secret(encrypted_text: str) -> tuple[str, bool]:
    """The secret, and whether the current master key sealed it (during a
    rotation the other accepted keys open it too; rotate_master_key re-seals)."""
    raw = base64.b64decode(encrypted_text[len(PREFIX) :])
    for index, master in enumerate(datakeys.accepted_master_keys()):
        try:
            text = _mfa_key(master).decrypt(raw[:12], raw[12:], b"allauth.mfa").decode()
        except InvalidTag:
            continue
        return text, index == 0
    raise InvalidTag


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = _mfa_key().encrypt(nonce, text.encode(), b"allauth.mfa")
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(PREFIX):
            return encrypted_text  # stored before encryption was on
        return open_secret(encrypted_text)[0]

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Coordinators, reviewers and admins keep their TOTP: they may replace
        it through recovery codes, not go without one."""
        staff = getattr(authenticator.user, "is_case_staff", False)
        return not (staff and authenticator.type == Authenticator.Type.TOTP)
