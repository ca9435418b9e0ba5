"""The master key that wraps every case's data key.

Kept free of Django settings so that settings.py can call it at start-up and
tests can call it directly.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

KEY_BYTES = 32
KEY_FILE_NAME = "master.key"


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
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(new_key_text() + "\n")
    return decode_key(path.read_text())


def ensure_data_dir(data_dir: Path) -> Path:
    """Create the data folder (0700) with a .gitignore so its contents are never
    committed, wherever it is, and its static/ folder (STATIC_ROOT: empty until
    `collectstatic`, but WhiteNoise expects it to exist)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (data_dir / "static").mkdir(exist_ok=True)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# casebridge data: encrypted files and keys; never commit\n*\n")
    return data_dir
