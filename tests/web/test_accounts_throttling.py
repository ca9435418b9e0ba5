"""Sign-in throttling in the shared cache: a progressive delay per account that
a stranger cannot turn into a lock-out, allauth's per-address limit, failed
sign-ins in the audit log, and the client address taken from a proxy header
only when the installation says so."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connection

from casebridge.web.accounts import throttle
from casebridge.web.cases.models import AuditEvent
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]


@pytest.fixture(autouse=True)
def _verified_addresses(people):
    from allauth.account.models import EmailAddress

    for user in (people.owner, people.coordinator):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def _sign_in(client, email: str, password: str, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def _fail(client, email: str, times: int, **extra) -> None:
    for _ in range(times):
        page = _sign_in(client, email, "not the password at all", **extra).content.decode()
        assert "Wait" not in page


def test_the_cache_is_the_database_cache_every_process_shares(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    cache.set("casebridge-probe", "seen", 60)
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a setting, quoted
        assert cursor.fetchone()[0] >= 1


def test_failed_sign_ins_are_counted_in_the_database_not_in_a_process(client, people, settings):
    _fail(client, people.owner.email, 2)
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {table}")  # noqa: S608
        keys = [row[0] for row in cursor.fetchall()]
    assert any("login-failures" in key for key in keys)
    assert not any(people.owner.email in key for key in keys)  # hashed, not in clear


def test_the_wait_doubles_after_the_free_tries_up_to_a_ceiling(settings):
    settings.LOGIN_FREE_ATTEMPTS, settings.LOGIN_MAX_DELAY_SECONDS = 5, 120
    waits = [throttle.delay_after(n) for n in range(12)]
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64]
    assert throttle.delay_after(40) == 120


def test_after_five_wrong_passwords_the_next_try_waits_and_is_not_checked(client, people):
    _fail(client, people.owner.email, 5)
    for _ in range(3):
        page = _sign_in(client, people.owner.email, "not the password at all").content.decode()
        if "Wait" in page:
            break
    assert "Too many failed sign-ins for this address" in page
    # even the right password waits: the guess is not checked during the wait
    page = _sign_in(client, people.owner.email, PASSWORD).content.decode()
    assert "Too many failed sign-ins" in page and "_auth_user_id" not in client.session


def test_the_delay_is_never_a_lock_once_it_has_passed_the_right_password_signs_in(client, people):
    _fail(client, people.owner.email, 5)
    key = throttle._counter(client.request().wsgi_request, people.owner.email)
    assert cache.get(key)["n"] == 5
    # twelve failures in a row, the last one longer ago than the longest wait
    cache.set(key, {"n": 12, "at": time.time() - 121}, 3600)
    response = _sign_in(client, people.owner.email, PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(people.owner.pk)


def test_a_stranger_cannot_lock_a_coordinator_out_of_their_own_browser(people):
    from django.test import Client

    from tests.web.conftest import totp_code

    coordinator_browser, stranger = Client(), Client()
    secret = people.coordinator.totp_secret
    # the coordinator signed in from this browser before: it has a device cookie
    _sign_in(coordinator_browser, people.coordinator.email, PASSWORD, secure=True)
    coordinator_browser.post(
        "/accounts/2fa/authenticate/", {"code": totp_code(secret)}, secure=True
    )
    assert throttle.DEVICE_COOKIE in coordinator_browser.cookies
    coordinator_browser.post("/accounts/logout/", secure=True)

    # a stranger fails twenty times against the coordinator's address, from many
    # addresses (the per-address limit does not stop them)
    for n in range(20):
        _sign_in(
            stranger, people.coordinator.email, "guess", secure=True, REMOTE_ADDR=f"10.0.0.{n}"
        )
    refused = _sign_in(stranger, people.coordinator.email, PASSWORD, secure=True)
    assert "Too many failed sign-ins" in refused.content.decode()

    # the coordinator's own browser is not slowed at all
    response = _sign_in(coordinator_browser, people.coordinator.email, PASSWORD, secure=True)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"


def test_every_failed_sign_in_is_in_the_audit_log_with_the_account_and_address(client, people):
    _sign_in(client, people.coordinator.email, "wrong", REMOTE_ADDR="203.0.113.9")
    _sign_in(client, "nobody@example.org", "wrong", REMOTE_ADDR="203.0.113.9")
    rows = list(AuditEvent.objects.filter(action="login.failed").order_by("pk"))
    assert [r.after["login"] for r in rows] == [people.coordinator.email, "nobody@example.org"]
    assert rows[0].object_type == "user" and rows[0].object_id == str(people.coordinator.pk)
    assert rows[1].object_id == ""  # no such account, still recorded
    assert {r.ip for r in rows} == {"203.0.113.9"} and {r.actor_label for r in rows} == {
        "anonymous"
    }


def test_a_successful_sign_in_is_audited_and_starts_the_session_clocks(client, people):
    from casebridge.web.middleware import LAST_SEEN_KEY, SIGNED_IN_KEY

    _sign_in(client, people.owner.email, PASSWORD)
    row = AuditEvent.objects.get(action="login.succeeded")
    assert row.actor == people.owner
    assert time.time() - client.session[SIGNED_IN_KEY] < 5
    assert time.time() - client.session[LAST_SEEN_KEY] < 5


def test_one_address_trying_many_accounts_is_stopped_by_allauths_limit(client, people):
    for n in range(10):
        _sign_in(client, f"someone{n}@example.org", "wrong", REMOTE_ADDR="198.51.100.7")
    page = _sign_in(client, people.owner.email, PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in page.content.decode()
    assert AuditEvent.objects.filter(action="login.throttled", after__why="client").exists()
    # another address is not affected
    _sign_in(client, people.owner.email, PASSWORD, REMOTE_ADDR="198.51.100.8")
    assert client.session["_auth_user_id"] == str(people.owner.pk)


# -- the client address ------------------------------------------------------------


def _ip_of_failure(client, **headers) -> str | None:
    """The address the audit row of one more failed sign-in names (audit rows
    are never deleted: the newest one is this failure's)."""
    _sign_in(client, "x@example.org", "wrong", REMOTE_ADDR="10.1.1.1", **headers)
    return AuditEvent.objects.filter(action="login.failed").latest("seq").ip


def test_forwarded_headers_are_ignored_unless_the_installation_trusts_a_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT, settings.CLIENT_IP_HEADER = 0, ""
    assert _ip_of_failure(client, HTTP_X_FORWARDED_FOR="6.6.6.6") == "10.1.1.1"
    assert _ip_of_failure(client, HTTP_X_REAL_IP="6.6.6.6") == "10.1.1.1"


def test_behind_one_trusted_proxy_the_client_is_the_address_it_appended(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # the client sent a forged first hop; the proxy appended the real address
    forwarded = "6.6.6.6, 192.0.2.44"
    assert _ip_of_failure(client, HTTP_X_FORWARDED_FOR=forwarded) == "192.0.2.44"
    settings.TRUSTED_PROXY_COUNT = 2
    assert _ip_of_failure(client, HTTP_X_FORWARDED_FOR=forwarded) == "6.6.6.6"
    assert _ip_of_failure(client, HTTP_X_FORWARDED_FOR="192.0.2.44") == "10.1.1.1"


def test_a_configured_client_ip_header_names_the_client(client, settings):
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    assert _ip_of_failure(client, HTTP_X_REAL_IP="192.0.2.7") == "192.0.2.7"
    assert _ip_of_failure(client, HTTP_X_REAL_IP="not an address") == "10.1.1.1"


def test_throttling_counts_the_proxied_client_not_the_proxy(client, people, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(10):  # ten clients behind the proxy, one failure each
        _sign_in(client, "x@example.org", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    _sign_in(client, people.owner.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert client.session["_auth_user_id"] == str(people.owner.pk)
