"""Django settings: everything from environment variables, with working SQLite
defaults for a developer. docs/web.md lists every variable.

Production (CASEBRIDGE_DEBUG off and CASEBRIDGE_DEMO off) refuses to start
without CASEBRIDGE_SECRET_KEY, CASEBRIDGE_MASTER_KEY and CASEBRIDGE_AUDIT_KEY;
in DEBUG/demo each is generated once into the data folder (0600).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from casebridge.web.keys import (
    MasterKeyError,
    ensure_data_dir,
    load_accepted_master_keys,
    load_audit_key,
    load_master_key,
    load_secret_key,
)

WEB_DIR = Path(__file__).resolve().parent  # templates, static files and translations


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str = "0") -> bool:
    return env(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    # Several web processes and the worker share the file: with a write-ahead
    # log, readers never wait for the writer (nor the writer for readers).
    # synchronous stays FULL: an audit row once committed survives a power cut.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
}


def database_from_url(url: str) -> dict[str, object]:
    """postgres://user:password@host:port/name or sqlite:///path/to/file.sqlite3."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        # sqlite:///relative/file or sqlite:////absolute/file (four slashes)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": unquote(parts.path[1:]),
            "OPTIONS": SQLITE_OPTIONS,
            # Each web process keeps its connection rather than opening one
            # (and running its PRAGMAs) per request: bench_web, 1.06x the
            # requests/s (side db-connection-per-request).
            "CONN_MAX_AGE": 600,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported: use postgres:// or sqlite://"
    )


DEBUG = envbool("CASEBRIDGE_DEBUG")
DEMO = envbool("CASEBRIDGE_DEMO")
PRODUCTION = not (DEBUG or DEMO)

DATA_DIR = Path(env("CASEBRIDGE_DATA_DIR") or Path.cwd() / "var").resolve()
ensure_data_dir(DATA_DIR)
FILES_DIR = DATA_DIR / "files"  # encrypted uploads; never served

try:
    # Never a public constant: a demo reachable by others must not accept
    # forged e-mail confirmation or enquiry-resume links.
    SECRET_KEY = load_secret_key(
        env("CASEBRIDGE_SECRET_KEY") or None, DATA_DIR, allow_generate=not PRODUCTION
    )
    CASEBRIDGE_MASTER_KEY = load_master_key(
        env("CASEBRIDGE_MASTER_KEY") or None, DATA_DIR, allow_generate=not PRODUCTION
    )
    # During a master-key rotation only: other keys that still open data keys
    # (cases/datakeys.py; `manage.py rotate_master_key`).
    CASEBRIDGE_MASTER_KEYS_ACCEPTED = load_accepted_master_keys(
        env("CASEBRIDGE_MASTER_KEYS_ACCEPTED")
    )
    # The key of the audit chain's HMACs (cases/audit.py), outside the database.
    CASEBRIDGE_AUDIT_KEY = load_audit_key(
        env("CASEBRIDGE_AUDIT_KEY") or None, DATA_DIR, allow_generate=not PRODUCTION
    )
except MasterKeyError as error:
    raise ImproperlyConfigured(str(error)) from None

ALLOWED_HOSTS = envlist(
    "CASEBRIDGE_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]"
)
CSRF_TRUSTED_ORIGINS = envlist("CASEBRIDGE_CSRF_TRUSTED_ORIGINS")

# -- database -----------------------------------------------------------------
if env("DATABASE_URL"):
    DATABASES = {"default": database_from_url(env("DATABASE_URL"))}
elif env("CASEBRIDGE_DB", "sqlite") == "postgres":
    # A local PostgreSQL (the developers' and CI's): trust auth, user postgres.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env("CASEBRIDGE_DB_NAME", "test"),
            "USER": env("CASEBRIDGE_DB_USER", "postgres"),
            "PASSWORD": env("CASEBRIDGE_DB_PASSWORD"),
            "HOST": env("CASEBRIDGE_DB_HOST", "127.0.0.1"),
            "PORT": env("CASEBRIDGE_DB_PORT", "5432"),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # Two test runs at once on one server (two checkouts, a session
            # and its CI) each name their own test database.
            "TEST": {"NAME": env("CASEBRIDGE_DB_TEST_NAME") or None},
        }
    }
elif env("CASEBRIDGE_DB", "sqlite") == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "casebridge.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # Each web process keeps its connection rather than opening one
            # (and running its PRAGMAs) per request: bench_web, 1.06x the
            # requests/s (side db-connection-per-request).
            "CONN_MAX_AGE": 600,
        }
    }
else:
    raise ImproperlyConfigured("CASEBRIDGE_DB must be 'sqlite' or 'postgres'")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- the shared cache -------------------------------------------------------------
# Login throttling, allauth's rate limits, used TOTP codes and the enquiry and
# invitation limits live here, so they hold across every web process and
# machine and survive a restart. Default: Django's database cache (the table is
# created by `migrate`, cases/apps.py); CASEBRIDGE_CACHE_BACKEND names another
# (e.g. django.core.cache.backends.redis.RedisCache with
# CASEBRIDGE_CACHE_LOCATION=redis://host:6379). Never per-process memory.
CACHES = {
    "default": {
        "BACKEND": env("CASEBRIDGE_CACHE_BACKEND", "django.core.cache.backends.db.DatabaseCache"),
        "LOCATION": env("CASEBRIDGE_CACHE_LOCATION", "casebridge_cache"),
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": int(env("CASEBRIDGE_CACHE_MAX_ENTRIES", "100000"))},
    }
}

# -- the client's address -----------------------------------------------------------
# Behind N reverse proxies that append to X-Forwarded-For, the client is the
# N-th address from the right; or a proxy sets one header with the client's
# address (e.g. X-Real-IP). Unset, REMOTE_ADDR is the client and forwarded
# headers are ignored (anyone can send them). Used by throttling and the audit.
TRUSTED_PROXY_COUNT = int(env("CASEBRIDGE_TRUSTED_PROXIES", "0"))
CLIENT_IP_HEADER = env("CASEBRIDGE_CLIENT_IP_HEADER")

# -- applications ---------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "casebridge.web.accounts",
    "casebridge.web.cases",
    "casebridge.web.portal",
    "casebridge.web.console",
    "casebridge.web.review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The CSS and scripts, straight from the package (no web server or
    # collectstatic needed); compressed and cached copies once collected.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "casebridge.web.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "casebridge.web.middleware.SessionLimitsMiddleware",
    # signed in, the pages follow the account's language, not the browser's
    "casebridge.web.middleware.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "casebridge.web.middleware.StaffMFAMiddleware",
]

ROOT_URLCONF = "casebridge.web.urls"
WSGI_APPLICATION = "casebridge.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# -- accounts (django-allauth: e-mail is the login, verified before use) ----------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True  # the verified link signs the patient in
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "casebridge.web.accounts.adapter.AccountAdapter"
# allauth's own limits, in the shared cache. Failed logins are limited per
# client address only: the per-address part is casebridge's progressive delay
# (accounts/throttle.py), which a stranger cannot turn into a lock-out.
ACCOUNT_RATE_LIMITS = {
    "login": env("CASEBRIDGE_RATE_LOGIN", "30/m/ip"),
    # wrong passwords, per client address (accounts/adapter.py)
    "login_failed_ip": env("CASEBRIDGE_RATE_LOGIN_FAILED", "10/m/ip,60/h/ip"),
    # allauth's own use of it: wrong TOTP codes, per account (only someone who
    # has the password gets that far)
    "login_failed": "10/m/ip,5/5m/key",
    "signup": env("CASEBRIDGE_RATE_SIGNUP", "10/m/ip,50/h/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
}
# Failed logins an address gets before each try waits; the wait doubles with
# every further failure, up to the ceiling; a browser that signed in to the
# account before (a signed device cookie) is not slowed by strangers' failures.
LOGIN_FREE_ATTEMPTS = int(env("CASEBRIDGE_LOGIN_FREE_ATTEMPTS", "5"))
LOGIN_MAX_DELAY_SECONDS = int(env("CASEBRIDGE_LOGIN_MAX_DELAY_SECONDS", "120"))
LOGIN_FAILURE_WINDOW_SECONDS = int(env("CASEBRIDGE_LOGIN_FAILURE_WINDOW_SECONDS", "3600"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = CLIENT_IP_HEADER or None
# Before a sensitive action (sending a case abroad) the person proves who they
# are again unless they did within this many seconds (cases/reauth.py).
ACCOUNT_REAUTHENTICATION_TIMEOUT = int(env("CASEBRIDGE_REAUTH_SECONDS", "300"))

# -- multi-factor authentication (allauth.mfa: TOTP with recovery codes, passkeys) ---
# TOTP is required for coordinators, reviewers and admins
# (middleware.StaffMFAMiddleware), offered to patients and families (Account >
# Two-step sign-in). Passkeys (WebAuthn: the phone's or computer's screen lock,
# or a security key) are offered to everyone besides: as the second step, or to
# sign in without a password ("Sign in with a passkey"), which is itself two
# factors (the device and its PIN or fingerprint) and cannot be phished. Staff
# keep their TOTP as well, for a device they do not have with them.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
# A passkey counts only with the device's own check of its owner (PIN, fingerprint,
# face): a key that anyone holding it can press is not enough for health records.
MFA_WEBAUTHN_USER_VERIFICATION = "required"
# WebAuthn needs https (a browser allows http only on localhost); allauth checks
# the origin too, so plain-http development and tests on localhost say so.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or envbool("CASEBRIDGE_WEBAUTHN_INSECURE_ORIGIN")
MFA_TOTP_ISSUER = env("CASEBRIDGE_MFA_ISSUER", "casebridge")
MFA_ADAPTER = "casebridge.web.accounts.adapter.MFAAdapter"
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

EMAIL_BACKEND = env("CASEBRIDGE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("CASEBRIDGE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("CASEBRIDGE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("CASEBRIDGE_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("CASEBRIDGE_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("CASEBRIDGE_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("CASEBRIDGE_FROM_EMAIL", "casebridge <noreply@localhost>")

# -- sessions, cookies, security headers --------------------------------------
# Everyone's session ends SESSION_MAX_SECONDS after sign-in whatever they do
# (the absolute limit), and after IDLE_TIMEOUT_SECONDS without a request
# (STAFF_IDLE_TIMEOUT_SECONDS for coordinators, reviewers and admins):
# middleware.SessionLimitsMiddleware. The cookie lives no longer than that.
SESSION_MAX_SECONDS = int(env("CASEBRIDGE_SESSION_HOURS", "12")) * 3600
IDLE_TIMEOUT_SECONDS = int(env("CASEBRIDGE_IDLE_MINUTES", "60")) * 60
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Staff (coordinator, reviewer, admin) sessions end after this many idle minutes.
STAFF_IDLE_TIMEOUT_SECONDS = int(env("CASEBRIDGE_STAFF_IDLE_MINUTES", "15")) * 60

SECURE_SSL_REDIRECT = envbool("CASEBRIDGE_SSL_REDIRECT", "0" if DEBUG else "1")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(env("CASEBRIDGE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# A service holding health records is https-only for good, subdomains included:
# the header allows the host to be submitted to the browsers' preload list (an
# installation that cannot promise that for its domain sets it to 0).
SECURE_HSTS_PRELOAD = envbool("CASEBRIDGE_HSTS_PRELOAD", "1")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("CASEBRIDGE_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = env(
    "CASEBRIDGE_CSP",
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'",
)

# -- enquiries and invitations (counted in the shared cache) -----------------------
# New enquiries one client address may send ("N/h", "N/d" or "N/seconds").
ENQUIRY_RATE = env("CASEBRIDGE_ENQUIRY_RATE", "10/h")
# Red-flagged enquiries from one client, with no account and no coordinator's
# clearance yet, open at once: more are refused (the person is still told to call
# 999 / NHS 111), so a flood cannot bury genuine urgent enquiries.
ENQUIRY_RED_FLAG_CAP = int(env("CASEBRIDGE_ENQUIRY_RED_FLAG_CAP", "3"))
# The same enquiry (same e-mail, same words) within this many minutes is merged.
ENQUIRY_DUPLICATE_MINUTES = int(env("CASEBRIDGE_ENQUIRY_DUPLICATE_MINUTES", "60"))
# Invitations one person may send, and invitation e-mails one address receives.
INVITE_RATE = env("CASEBRIDGE_INVITE_RATE", "10/h")
INVITE_EMAIL_RATE = env("CASEBRIDGE_INVITE_EMAIL_RATE", "3/d")
# Days the link in a family invitation works (it works once: portal/invitations.py).
INVITE_LINK_DAYS = int(env("CASEBRIDGE_INVITE_LINK_DAYS", "7"))

# -- messages ----------------------------------------------------------------------
# What the patient's messages page promises: a coordinator's reply usually
# within this many working days.
CASEBRIDGE_REPLY_DAYS = int(env("CASEBRIDGE_REPLY_DAYS", "2"))

# -- what a first-time user is told (portal: home, enquiry, privacy notice) --------
# A coordinator first contacts a new enquirer within this many working days of
# the e-mail address being confirmed (the sent page and the home page say so).
CASEBRIDGE_FIRST_CONTACT_DAYS = int(env("CASEBRIDGE_FIRST_CONTACT_DAYS", "2"))
# A red-flagged enquiry: a coordinator contacts the person within this many
# hours; 0 (the default) says "within 1 working day".
CASEBRIDGE_RED_FLAG_CALLBACK_HOURS = int(env("CASEBRIDGE_RED_FLAG_CALLBACK_HOURS", "0"))
# Who runs this installation: the data controller named in the privacy notice
# and the terms of use, and how to reach them. Empty: "the organisation running
# this casebridge installation" (in the page's language) and DEFAULT_FROM_EMAIL.
CASEBRIDGE_OPERATOR_NAME = env("CASEBRIDGE_OPERATOR_NAME")
CASEBRIDGE_OPERATOR_CONTACT = env("CASEBRIDGE_OPERATOR_CONTACT")

# -- uploads -------------------------------------------------------------------
MAX_UPLOAD_BYTES = int(env("CASEBRIDGE_MAX_UPLOAD_MB", "100")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# What one person may add in any 24 hours, in all their cases (cases/quota.py):
# the document workers are shared by every patient.
UPLOAD_FILES_PER_DAY = int(env("CASEBRIDGE_UPLOAD_FILES_PER_DAY", "300"))
UPLOAD_MB_PER_DAY = int(env("CASEBRIDGE_UPLOAD_MB_PER_DAY", "1000"))

# -- where the encrypted uploads are kept (cases/storage.py) ----------------------
# Each upload is encrypted with its case's key before it reaches the store, so
# the store only ever holds ciphertext. Default ("local"): the data folder,
# DATA_DIR/files (cases/datafolder.py). "s3": an S3-compatible object store
# (AWS S3, MinIO, Ceph...) through django-storages, so that several machines
# share the files. Without the key variables boto3 finds its own credentials
# (an instance role, AWS_* variables, ~/.aws).
BLOB_STORAGE = env("CASEBRIDGE_STORAGE", "local")
if BLOB_STORAGE == "local":
    _blobs: dict[str, object] = {"BACKEND": "casebridge.web.cases.datafolder.DataFolderStorage"}
elif BLOB_STORAGE == "s3":
    if not env("CASEBRIDGE_S3_BUCKET"):
        raise ImproperlyConfigured("CASEBRIDGE_STORAGE=s3 needs CASEBRIDGE_S3_BUCKET")
    _s3_options = {
        "bucket_name": env("CASEBRIDGE_S3_BUCKET"),
        "endpoint_url": env("CASEBRIDGE_S3_ENDPOINT_URL"),
        "region_name": env("CASEBRIDGE_S3_REGION"),
        "access_key": env("CASEBRIDGE_S3_ACCESS_KEY_ID"),
        "secret_key": env("CASEBRIDGE_S3_SECRET_ACCESS_KEY"),
        "location": env("CASEBRIDGE_S3_PREFIX"),  # a key prefix inside a shared bucket
        "addressing_style": env("CASEBRIDGE_S3_ADDRESSING_STYLE"),  # "path" for some MinIO
    }
    _blobs = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **{name: value for name, value in _s3_options.items() if value},
            "default_acl": None,  # the bucket's own policy: private
            "file_overwrite": True,  # a document has one blob, stored under its own name
        },
    }
else:
    raise ImproperlyConfigured("CASEBRIDGE_STORAGE must be 'local' or 's3'")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "casebridge-blobs": _blobs,
}

# -- retention (cases/retention.py: `manage.py apply_retention`, daily) ------------
# A case closed or withdrawn this many days ago is erased (its key, rows and
# files). 8 years: the NHS Records Management Code of Practice keeps most adult
# health records 8 years after the end of care.
RETENTION_DAYS = int(env("CASEBRIDGE_RETENTION_DAYS", "2922"))
# An enquiry that never became a case, untouched this many days, is erased:
# a stranger's contact details and health words are kept only while they may
# still come back to it.
ENQUIRY_RETENTION_DAYS = int(env("CASEBRIDGE_ENQUIRY_RETENTION_DAYS", "180"))
if RETENTION_DAYS < 1 or ENQUIRY_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        "CASEBRIDGE_RETENTION_DAYS and CASEBRIDGE_ENQUIRY_RETENTION_DAYS must be at least 1 day"
    )

# -- background tasks (django-tasks, stored in the database) ---------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A document whose worker has not finished within the lease is re-queued.
DOCUMENT_LEASE_SECONDS = int(env("CASEBRIDGE_DOCUMENT_LEASE_SECONDS", "900"))
DOCUMENT_MAX_ATTEMPTS = int(env("CASEBRIDGE_DOCUMENT_MAX_ATTEMPTS", "3"))
# Each document is read in a child process under these limits (cases/reader.py);
# a document over one needs a person's attention, with the limit named, and is
# not retried. The caps on pages and characters apply to each document read
# (each member of an archive) before its costly stages.
DOCUMENT_READ_CPU_SECONDS = int(env("CASEBRIDGE_READ_CPU_SECONDS", "120"))
DOCUMENT_READ_MEMORY_MB = int(env("CASEBRIDGE_READ_MEMORY_MB", "1024"))
DOCUMENT_READ_WALL_SECONDS = float(env("CASEBRIDGE_READ_WALL_SECONDS", "300"))
DOCUMENT_MAX_PAGES = int(env("CASEBRIDGE_DOCUMENT_MAX_PAGES", "500"))
DOCUMENT_MAX_CHARACTERS = int(env("CASEBRIDGE_DOCUMENT_MAX_CHARACTERS", "2000000"))

# -- the rest --------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [WEB_DIR / "locale"]
FORMAT_MODULE_PATH = ["casebridge.web.formats"]
STATIC_URL = "static/"
STATICFILES_DIRS = [WEB_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
# Without `collectstatic`, WhiteNoise finds the files where Django's finders do.
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("CASEBRIDGE_LOG_LEVEL", "INFO")},
}

# Parsed engine JSON kept per process for read-only pages, keyed on the case's
# version (casebridge.web.cases.lib.read_engine); 0 turns the cache off.
ENGINE_CACHE_SIZE = int(env("CASEBRIDGE_ENGINE_CACHE_SIZE", "8"))

# A reviewing team keeps access to a case this many days after its due date
# (an opinion may run late); after that the gate answers 404 like any other case.
REVIEW_ACCESS_GRACE_DAYS = int(env("CASEBRIDGE_REVIEW_ACCESS_GRACE_DAYS", "14"))

# Orthanc, the DICOM server of the reviewers' image viewer: empty URL = the
# embedded one casebridge starts on loopback (its data in DATA_DIR/orthanc).
ORTHANC_URL = env("CASEBRIDGE_ORTHANC_URL", "")
ORTHANC_USER = env("CASEBRIDGE_ORTHANC_USER", "casebridge")
ORTHANC_PASSWORD = env("CASEBRIDGE_ORTHANC_PASSWORD", "")
ORTHANC_PORT = int(env("CASEBRIDGE_ORTHANC_PORT", "0"))  # 0: a free port, chosen once

# A pack version still being prepared this long after it was asked for is shown
# as stalled (its worker died); preparing a new one replaces it.
PACK_BUILD_STALL_MINUTES = int(env("CASEBRIDGE_PACK_BUILD_STALL_MINUTES", "15"))
