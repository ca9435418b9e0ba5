"""The keys kept outside the database: the master key that wraps every case's
data key, the key of the audit chain's HMACs, and Django's SECRET_KEY.

Each comes from the environment; in DEBUG or demo mode only, a missing one is
generated once into the data folder (0600) and reused. Kept free of Django
settings so that settings.py can call it at start-up and tests can call it
directly.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable
from pathlib import Path

KEY_BYTES = 32
KEY_FILE_NAME = "master.key"
AUDIT_KEY_FILE_NAME = "audit.key"
SECRET_KEY_FILE_NAME = "secret.key"


class MasterKeyError(Exception):
    """The master key is missing or malformed; the message says what to do."""


def decode_key(value: str) -> bytes:
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(
            "CASEBRIDGE_MASTER_KEY is not valid base64. Generate one with: "
            'python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'
        ) from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(
            f"CASEBRIDGE_MASTER_KEY must decode to {KEY_BYTES} bytes, not {len(key)}."
        )
    return key


def new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _generated(path: Path, make: Callable[[], str]) -> str:
    """The text of the key file at `path`, created (0600, exclusively, so two
    processes starting at once agree) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(make() + "\n")
    os.chmod(path, 0o600)
    return path.read_text().strip()


def load_master_key(value: str | None, data_dir: Path, *, allow_generate: bool) -> bytes:
    """The key from the environment value; else, in DEBUG or demo mode only, the
    key file in the data folder (created with 0600 permissions on first use).
    In production without a value this refuses, so the server does not start."""
    if value:
        return decode_key(value)
    if not allow_generate:
        raise MasterKeyError(
            "CASEBRIDGE_MASTER_KEY is not set. In production the server refuses to start "
            "without it: set it to 32 random bytes in base64 (keep a copy in your secrets "
            "store; files cannot be read without it)."
        )
    return decode_key(_generated(data_dir / KEY_FILE_NAME, new_key_text))


def load_accepted_master_keys(value: str | None) -> list[bytes]:
    """CASEBRIDGE_MASTER_KEYS_ACCEPTED: master keys accepted for opening data
    keys besides CASEBRIDGE_MASTER_KEY, during a rotation (`manage.py
    rotate_master_key`): the key about to become current while the servers
    are restarted, then the one it replaced until every key is re-wrapped.
    Base64 keys separated by commas or spaces; empty or unset: none."""
    keys: list[bytes] = []
    for part in (value or "").replace(",", " ").split():
        try:
            keys.append(decode_key(part))
        except MasterKeyError as error:
            raise MasterKeyError(
                str(error).replace("CASEBRIDGE_MASTER_KEY", "CASEBRIDGE_MASTER_KEYS_ACCEPTED")
            ) from None
    return keys


def load_audit_key(value: str | None, data_dir: Path, *, allow_generate: bool) -> bytes:
    """The key of the audit chain (HMAC-SHA256), like the master key: from
    CASEBRIDGE_AUDIT_KEY, else in DEBUG/demo the file audit.key in the data
    folder. Never stored in the database the chain protects."""
    if value:
        try:
            return decode_key(value)
        except MasterKeyError as error:
            raise MasterKeyError(str(error).replace("MASTER", "AUDIT")) from None
    if not allow_generate:
        raise MasterKeyError(
            "CASEBRIDGE_AUDIT_KEY is not set. In production the server refuses to start "
            "without it: set it to 32 random bytes in base64, kept apart from the database "
            "(the audit log's tamper evidence rests on it)."
        )
    return decode_key(_generated(data_dir / AUDIT_KEY_FILE_NAME, new_key_text))


def load_secret_key(value: str | None, data_dir: Path, *, allow_generate: bool) -> str:
    """Django's SECRET_KEY (it signs e-mail confirmation and enquiry-resume
    links): from CASEBRIDGE_SECRET_KEY, else in DEBUG/demo a random one
    generated into the data folder (secret.key, 0600), never a constant."""
    if value:
        return value
    if not allow_generate:
        raise MasterKeyError(
            "CASEBRIDGE_SECRET_KEY is not set. In production the server refuses to start "
            "without it (set CASEBRIDGE_DEBUG=1 for a development server)."
        )
    return _generated(data_dir / SECRET_KEY_FILE_NAME, lambda: secrets.token_urlsafe(50))


def ensure_data_dir(data_dir: Path) -> Path:
    """Create the data folder (0700) with a .gitignore so its contents are never
    committed, wherever it is, and its static/ folder (STATIC_ROOT: empty until
    `collectstatic`, but WhiteNoise expects it to exist)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (data_dir / "static").mkdir(exist_ok=True)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# casebridge data: encrypted files and keys; never commit\n*\n")
    secure_data_dir(data_dir)
    return data_dir


def secure_data_dir(data_dir: Path) -> None:
    """Force the data folder to 0700 and every file directly in it (keys, the
    SQLite database and its -wal/-shm files) to 0600, also when they already
    existed with wider modes (a folder made under umask 022, a copied backup)."""
    os.chmod(data_dir, 0o700)
    for entry in data_dir.iterdir():
        if entry.is_file() and not entry.is_symlink():
            os.chmod(entry, 0o600)
