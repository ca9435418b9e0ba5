from __future__ import annotations

import base64
import os
import stat
import time
from pathlib import Path

import pytest

import casebridge.web.settings as settings_module
from casebridge.web.keys import (
    MasterKeyError,
    ensure_data_dir,
    load_audit_key,
    load_master_key,
    load_secret_key,
)
from casebridge.web.middleware import LAST_SEEN_KEY
from casebridge.web.settings import database_from_url


def test_the_master_key_comes_from_the_environment_when_set(tmp_path):
    key = bytes(range(32))
    value = base64.b64encode(key).decode()
    assert load_master_key(value, tmp_path, allow_generate=False) == key
    assert not (tmp_path / "master.key").exists()


def test_production_refuses_to_start_without_a_master_key(tmp_path):
    with pytest.raises(MasterKeyError, match="refuses to start"):
        load_master_key(None, tmp_path, allow_generate=False)


def test_a_malformed_master_key_is_refused_in_plain_words(tmp_path):
    with pytest.raises(MasterKeyError, match="not valid base64"):
        load_master_key("not base64!", tmp_path, allow_generate=True)
    with pytest.raises(MasterKeyError, match="32 bytes, not 16"):
        load_master_key(base64.b64encode(b"x" * 16).decode(), tmp_path, allow_generate=True)


def test_debug_and_demo_make_a_private_key_file_once_and_reuse_it(tmp_path):
    first = load_master_key(None, tmp_path, allow_generate=True)
    path = tmp_path / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 32
    assert load_master_key(None, tmp_path, allow_generate=True) == first


def test_the_data_folder_is_private_and_ignores_itself_in_git(tmp_path):
    folder = ensure_data_dir(tmp_path / "var")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"


def test_the_demo_generates_its_secret_key_into_the_data_folder_never_a_constant(tmp_path):
    first = load_secret_key(None, tmp_path / "a", allow_generate=True)
    other = load_secret_key(None, tmp_path / "b", allow_generate=True)
    assert len(first) >= 50 and first != other  # random per installation
    assert stat.S_IMODE((tmp_path / "a" / "secret.key").stat().st_mode) == 0o600
    assert load_secret_key(None, tmp_path / "a", allow_generate=True) == first  # kept
    with pytest.raises(MasterKeyError, match="CASEBRIDGE_SECRET_KEY is not set"):
        load_secret_key(None, tmp_path / "c", allow_generate=False)
    assert "insecure" not in Path(settings_module.__file__).read_text()


def test_a_demo_server_signs_with_the_generated_key_of_its_data_folder(tmp_path):
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.SECRET_KEY)"
    env = {
        **os.environ,
        "CASEBRIDGE_DEMO": "1",
        "CASEBRIDGE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "casebridge.web.settings",
    }
    env.pop("CASEBRIDGE_SECRET_KEY", None)
    keys = [
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert keys[0] == keys[1] == (tmp_path / "secret.key").read_text().strip()
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700


def test_an_existing_data_folder_and_database_are_forced_private(tmp_path):
    folder = tmp_path / "var"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    for name in ("casebridge.sqlite3", "casebridge.sqlite3-wal", "master.key"):
        (folder / name).write_text("x")
        os.chmod(folder / name, 0o644)  # made under umask 022, or copied
    ensure_data_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("casebridge.sqlite3", "casebridge.sqlite3-wal", "master.key"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


def test_a_sqlite_database_opened_later_is_made_private(tmp_path):
    """What cases.apps connects to connection_created, on a database file made
    by another process under umask 022."""
    import sqlite3

    from django.db.utils import ConnectionHandler

    from casebridge.web.cases.apps import private_sqlite_files

    path = tmp_path / "late.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    os.chmod(path, 0o644)
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}
    )
    private_sqlite_files(None, connection=handler["default"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_audit_key_is_required_in_production_and_generated_for_a_demo(tmp_path):
    with pytest.raises(MasterKeyError, match="CASEBRIDGE_AUDIT_KEY is not set"):
        load_audit_key(None, tmp_path, allow_generate=False)
    key = load_audit_key(None, tmp_path, allow_generate=True)
    assert len(key) == 32 and stat.S_IMODE((tmp_path / "audit.key").stat().st_mode) == 0o600


def test_database_urls_for_postgres_and_sqlite_are_understood():
    pg = database_from_url("postgres://cb:p%40ss@db.internal:5433/casebridge")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "cb",
        "p@ss",
        "db.internal",
        "5433",
        "casebridge",
    )
    lite = database_from_url("sqlite:////srv/casebridge/db.sqlite3")
    assert lite["NAME"] == "/srv/casebridge/db.sqlite3"


def test_an_unknown_database_url_scheme_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="not supported"):
        database_from_url("mysql://x@y/z")


@pytest.mark.django_db
def test_the_health_url_answers_ok_with_security_headers(client):
    response = client.get("/healthz", secure=True)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in response["Strict-Transport-Security"]


@pytest.mark.django_db
def test_the_health_url_is_reachable_over_plain_http_for_load_balancers(client):
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_other_urls_redirect_to_https_in_production(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")


@pytest.mark.django_db
def test_the_login_page_logs_in_with_an_email(client):
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert 'name="login"' in response.content.decode()
    assert 'type="email"' in response.content.decode()


def _idle(client, seconds: float) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = time.time() - seconds
    session.save()


@pytest.mark.django_db
def test_a_staff_session_ends_after_fifteen_idle_minutes(client, people, settings):
    assert settings.STAFF_IDLE_TIMEOUT_SECONDS == 15 * 60
    client.force_login(people.coordinator)
    client.get("/healthz", secure=True)
    assert LAST_SEEN_KEY in client.session
    _idle(client, 14 * 60)
    client.get("/healthz", secure=True)
    assert client.session.get("_auth_user_id") == str(people.coordinator.pk)
    _idle(client, 16 * 60)
    client.get("/healthz", secure=True)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_patient_session_ends_after_an_hour_idle_not_fourteen_days(client, people, settings):
    assert settings.IDLE_TIMEOUT_SECONDS == 60 * 60
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_MAX_SECONDS == 12 * 3600
    client.force_login(people.owner)
    client.get("/healthz", secure=True)
    _idle(client, 50 * 60)
    client.get("/healthz", secure=True)
    assert client.session.get("_auth_user_id") == str(people.owner.pk)
    _idle(client, 61 * 60)
    client.get("/healthz", secure=True)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_every_session_ends_twelve_hours_after_sign_in_however_busy(client, people):
    from casebridge.web.middleware import SIGNED_IN_KEY

    for person in (people.owner, people.coordinator):
        client.force_login(person)
        client.get("/healthz", secure=True)
        session = client.session
        session[SIGNED_IN_KEY] = time.time() - 12 * 3600 - 5
        session[LAST_SEEN_KEY] = time.time()  # busy a second ago
        session.save()
        client.get("/healthz", secure=True)
        assert "_auth_user_id" not in client.session, person


def test_cookies_are_secure_and_csrf_protected(settings):
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"


@pytest.mark.django_db
def test_the_database_is_the_one_casebridge_db_selects():
    import os

    from django.db import connection

    wanted = {"sqlite": "sqlite", "postgres": "postgresql"}[
        os.environ.get("CASEBRIDGE_DB", "sqlite")
    ]
    if not os.environ.get("DATABASE_URL"):
        assert connection.vendor == wanted


@pytest.mark.django_db
def test_a_staff_page_view_does_not_write_the_session_every_time(client, people):
    from django.contrib.sessions.models import Session

    client.force_login(people.coordinator)
    client.get("/healthz", secure=True)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).session_data
    client.get("/healthz", secure=True)  # seconds later: the last-seen time stands
    assert Session.objects.get(session_key=key).session_data == first
    _idle(client, 60)  # a minute later it moves on
    client.get("/healthz", secure=True)
    assert time.time() - client.session[LAST_SEEN_KEY] < 5


def test_the_production_settings_pass_djangos_deployment_checks_with_no_issue(tmp_path):
    """`manage.py check --deploy` with the production settings (no DEBUG, no demo;
    the keys and host from the environment, as an installation sets them)."""
    import subprocess
    import sys

    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBRIDGE_")}
    env.update(
        CASEBRIDGE_DATA_DIR=str(tmp_path),
        CASEBRIDGE_SECRET_KEY=base64.urlsafe_b64encode(os.urandom(48)).decode(),
        CASEBRIDGE_MASTER_KEY=key(),
        CASEBRIDGE_AUDIT_KEY=key(),
        CASEBRIDGE_ALLOWED_HOSTS="casebridge.example.org",
        DJANGO_SETTINGS_MODULE="casebridge.web.settings",
    )
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(repo / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=repo,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout, done.stdout
