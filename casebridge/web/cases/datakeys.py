"""Data keys: each case (and each enquiry, before it has a case) has its own
random 32-byte key, stored only wrapped by the master key (AES-GCM, with
associated data naming its owner, so a wrapped key copied onto another case
does not open). Uploaded files (storage.py) and every sealed health-data field
(sealed.py) are encrypted under it; deleting the wrapped key makes all of it
unreadable.

Free of models so that models.py, storage.py and migrations can use it.

Wrapped key format: b"\\x01" + nonce(12) + AES-GCM(data key) (32 + 16 tag bytes).

Master-key rotation: settings.CASEBRIDGE_MASTER_KEY wraps every new key;
settings.CASEBRIDGE_MASTER_KEYS_ACCEPTED (a list, usually empty) holds other
master keys accepted for opening during a rotation, until `manage.py
rotate_master_key` has re-wrapped every key with the current one.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

KEY_VERSION = b"\x01"
NONCE_BYTES = 12
DATA_KEY_BYTES = 32
WRAPPED_BYTES = 1 + NONCE_BYTES + DATA_KEY_BYTES + 16


class DataKeyError(Exception):
    """A wrapped key is missing, damaged or opens with no accepted master key."""


def case_key_aad(pseudonym: str) -> bytes:
    return b"casebridge/case-key/" + pseudonym.encode()


def enquiry_key_aad(key_ref: str) -> bytes:
    return b"casebridge/enquiry-key/" + key_ref.encode()


def master_key() -> bytes:
    """The key every new data key is wrapped with."""
    return bytes(settings.CASEBRIDGE_MASTER_KEY)


def other_master_keys() -> list[bytes]:
    """Keys accepted for opening only, during a rotation."""
    return [bytes(k) for k in getattr(settings, "CASEBRIDGE_MASTER_KEYS_ACCEPTED", ()) or ()]


def accepted_master_keys() -> list[bytes]:
    """The current key first (what most keys are wrapped with), then the others."""
    current = master_key()
    return [current, *(k for k in other_master_keys() if k != current)]


def wrap(data_key: bytes, aad: bytes, master: bytes | None = None) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(master or master_key()).encrypt(nonce, data_key, aad)
    return KEY_VERSION + nonce + sealed


def new_wrapped_key(aad: bytes, master: bytes | None = None) -> bytes:
    """A fresh random data key, wrapped."""
    return wrap(secrets.token_bytes(DATA_KEY_BYTES), aad, master)


def unwrap_with(wrapped: bytes, aad: bytes, masters: Iterable[bytes]) -> tuple[bytes, int]:
    """The data key and the index (in `masters`) of the master key that opened it."""
    wrapped = bytes(wrapped)
    if not wrapped.startswith(KEY_VERSION) or len(wrapped) != WRAPPED_BYTES:
        raise DataKeyError("missing or damaged")
    nonce, sealed = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
    for index, master in enumerate(masters):
        try:
            return AESGCM(master).decrypt(nonce, sealed, aad), index
        except InvalidTag:
            continue
    raise DataKeyError("no accepted master key opens it")


def unwrap(wrapped: bytes, aad: bytes, masters: Sequence[bytes] | None = None) -> bytes:
    """The data key, opened with the current master key or, during a rotation,
    a previous one."""
    return unwrap_with(wrapped, aad, accepted_master_keys() if masters is None else masters)[0]


def rewrap(wrapped: bytes, aad: bytes) -> bytes | None:
    """The same data key wrapped by the current master key, or None when it
    already is (so a rotation that stopped half-way can simply run again)."""
    masters = accepted_master_keys()
    data_key, index = unwrap_with(wrapped, aad, masters)
    if index == 0:
        return None
    return wrap(data_key, aad, masters[0])
