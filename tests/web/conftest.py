"""Fixtures for the web platform's tests.

The settings are the production ones (DEBUG off), fed by environment variables
set here before Django starts: a fresh data folder per test process and a
random master key. CASEBRIDGE_DB=postgres runs the same tests on PostgreSQL.
"""

from __future__ import annotations

import atexit
import base64
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

_DATA_DIR = tempfile.mkdtemp(prefix="casebridge-web-test-")
atexit.register(shutil.rmtree, _DATA_DIR, True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.web.settings")
os.environ["CASEBRIDGE_DATA_DIR"] = _DATA_DIR
os.environ.setdefault("CASEBRIDGE_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("CASEBRIDGE_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
os.environ.setdefault("CASEBRIDGE_AUDIT_KEY", base64.b64encode(secrets.token_bytes(32)).decode())

PASSWORD = "a long enough test password"


def pytest_configure(config: pytest.Config) -> None:
    """pytest-django sets Django up only when DJANGO_SETTINGS_MODULE is known at
    start-up (pyproject does not name it, so the engine's tests stay Django-free);
    this conftest is read later, so it sets Django up itself, with pytest-django's
    database blocker on as usual."""
    import django

    django.setup()

    def stop_orthanc() -> None:  # the embedded image server a test started, if any
        from casebridge.web.cases.orthanc import stop_embedded

        stop_embedded()

    atexit.register(stop_orthanc)  # runs before the data folder is removed (LIFO)
    try:
        from pytest_django.plugin import _setup_django
    except ImportError:  # a pytest-django without it: no database blocker
        return
    _setup_django(config)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Real hashing costs half a second a user; the tests are not about it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _site_language_between_tests() -> Iterator[None]:
    """A request leaves its language active in the thread (LocaleMiddleware and
    the account's language never deactivate it): a test that then calls an
    action directly would otherwise read the previous test's Chinese."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


def enrol_totp(user) -> str:
    """Give `user` a TOTP authenticator (as the enrolment page would); returns
    its secret, from which a test computes real codes (totp_code)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows now (RFC 6238, 30 s, 6 digits)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time() if at is None else at) // 30))


@dataclass
class People:
    """A base set, like healthchecks' BaseTestCase: the patient who owns the
    case, a family member they invited, a coordinator, an administrator, a
    reviewer, and an outsider (another patient with a case of their own)."""

    owner: object
    family: object
    coordinator: object
    admin: object
    reviewer: object
    outsider: object


@pytest.fixture
def people(db: None) -> People:
    from casebridge.web.accounts.models import Role, User

    def make(email: str, role: str) -> User:
        user = User.objects.create_user(email, PASSWORD, role=role, full_name=email.split("@")[0])
        if user.is_case_staff:  # staff cannot work without a second factor
            user.totp_secret = enrol_totp(user)  # type: ignore[attr-defined]
        return user

    return People(
        owner=make("alice@example.org", Role.PATIENT),
        family=make("bob@example.org", Role.FAMILY),
        coordinator=make("carol@casebridge.test", Role.COORDINATOR),
        admin=make("ada@casebridge.test", Role.ADMIN),
        reviewer=make("rui@hospital.test", Role.REVIEWER),
        outsider=make("eve@example.org", Role.PATIENT),
    )


@pytest.fixture
def case(people: People):
    """Alice's oncology case; Bob may view and upload, not message."""
    from casebridge.web.cases.actions import do_create_case, do_invite_member

    created = do_create_case(acting_user=people.owner, owner=people.owner, programme="oncology")
    do_invite_member(created, acting_user=people.owner, email=people.family.email, can_upload=True)
    return created


@pytest.fixture
def other_case(people: People):
    """Eve's own case."""
    from casebridge.web.cases.actions import do_create_case

    return do_create_case(acting_user=people.outsider, owner=people.outsider)


@pytest.fixture
def plain_http(settings) -> None:
    """The test client speaks plain http: no redirect to https (tests that
    check the redirect itself do not use this)."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def sent(people, case):
    """Alice's breast case, read, a department chosen, her consents naming it,
    a pack sent there, under review (tests/web/reviewing.py)."""
    from tests.web.reviewing import make_sent

    return make_sent(people, case)


@pytest.fixture
def team(people, sent):
    """Two reviewers of the department on the case (a pathologist who leads, an
    oncologist) and a colleague not on it (tests/web/reviewing.py)."""
    from tests.web.reviewing import make_team

    return make_team(people, sent)


def switch_language(client, language: str) -> None:
    """What the header's switcher does ("en-gb" or "zh-hans"): signed in, it
    is the account's language too, which the pages then follow (a browser's
    Accept-Language no longer counts once signed in)."""
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302, response.status_code
