"""The keyed digest an enquiry is recognised by when it is sent twice
(Enquiry.answers_hash): HMAC-SHA256 of the e-mail and the person's own words,
spaces and case folded, under a key derived (HKDF) from the master key.

An unkeyed hash of guessable words would let anyone who reads the database
confirm that a named person wrote them (hash "ann@example.org" with
"breast cancer"); with a key that is never in the database, they cannot.

Derived from the master key, not stored anywhere: whoever has the master key
opens the words themselves anyway, so the digest gives nobody more. During a
master-key rotation the digests under every accepted master key are compared
(current first), so a duplicate sent while the servers change keys still
merges; rows written under a dropped key are older than any duplicate window.

Free of models so that migrations can use it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casebridge.web.cases import datakeys

# The enquiry's fields the digest covers, in this order.
FIELDS = ("email", "programme", "diagnosis", "current_treatment", "goals", "question")
_INFO = b"casebridge enquiry answers digest"


def _key(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master)


def _message(fields: Mapping[str, Any]) -> bytes:
    words = [" ".join(str(fields.get(name, "") or "").split()).casefold() for name in FIELDS]
    return "\x1f".join(words).encode()


def answers_digest(fields: Mapping[str, Any], master: bytes | None = None) -> str:
    """The digest stored on a new enquiry (under the current master key)."""
    key = _key(master if master is not None else datakeys.master_key())
    return hmac.new(key, _message(fields), hashlib.sha256).hexdigest()


def answers_digests(fields: Mapping[str, Any]) -> list[str]:
    """The digests an earlier copy of the same enquiry may carry: under the
    current master key first, then under each other accepted one."""
    return [answers_digest(fields, master) for master in datakeys.accepted_master_keys()]


def unkeyed_digest(fields: Mapping[str, Any]) -> str:
    """What answers_hash held before it was keyed (migration 0025 going back)."""
    return hashlib.sha256(_message(fields)).hexdigest()
