"""Encrypted storage of uploaded files.

Each case has its own data key (32 random bytes), stored only wrapped: AES-GCM
under the master key (settings.CASEBRIDGE_MASTER_KEY), with the case pseudonym
as associated data (cases/datakeys.py, shared with the sealed database fields).
Each file is AES-GCM encrypted under its case's data key with a random 96-bit nonce and associated data "<pseudonym>/<document id>", so
a blob moved to another case or document fails its integrity check. Files live
under DATA_DIR/files/<pseudonym>/ (0700 folders, 0600 files), never under a
path the web server serves.

Formats:
    wrapped key  b"\\x01" + nonce(12) + AES-GCM(data key) (32 + 16 tag bytes)
    file         b"CBF1" + nonce(12) + AES-GCM(content)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from casebridge.web.cases import audit, datakeys
from casebridge.web.cases.access import grant_of
from casebridge.web.cases.errors import StorageError
from casebridge.web.cases.models import Case, Document

FILE_MAGIC = b"CBF1"
NONCE_BYTES = 12


def _file_aad(case: Case, document: Document) -> bytes:
    return f"{case.pseudonym}/{document.pk}".encode()


def new_wrapped_key(pseudonym: str, master_key: bytes | None = None) -> bytes:
    """A fresh random data key for a case, wrapped by the master key."""
    return datakeys.new_wrapped_key(datakeys.case_key_aad(pseudonym), master_key)


def unwrap_key(case: Case, master_key: bytes | None = None) -> bytes:
    """The case's data key (cases/datakeys.py: the current master key or, during
    a rotation, a previous one opens it)."""
    masters = None if master_key is None else [master_key]
    try:
        return datakeys.unwrap(bytes(case.wrapped_key), case.key_aad(), masters)
    except datakeys.DataKeyError as error:
        if "damaged" in str(error):
            raise StorageError(
                f"The data key of case {case.pseudonym} is missing or damaged."
            ) from None
        raise StorageError(
            f"The data key of case {case.pseudonym} cannot be opened with this server's "
            "master key (wrong CASEBRIDGE_MASTER_KEY, or the key was altered)."
        ) from None


def files_dir() -> Path:
    return Path(settings.DATA_DIR) / "files"


def blob_path(document: Document) -> Path:
    return Path(settings.DATA_DIR) / document.blob_path


def store_document(case: Case, document: Document, data: bytes) -> str:
    """Encrypt and write a document's content; returns its path relative to
    DATA_DIR (for Document.blob_path). The document must already have its id."""
    if document.pk is None or document.case_id != case.pk:
        raise ValueError("store_document needs a saved document of this case")
    folder = files_dir() / case.pseudonym
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(unwrap_key(case)).encrypt(nonce, data, _file_aad(case, document))
    final = folder / f"{document.pk}.bin"
    temp = folder / f".{document.pk}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(FILE_MAGIC + nonce + sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return final.relative_to(Path(settings.DATA_DIR)).as_posix()


def read_document(case: Case, document: Document) -> bytes:
    """The decrypted content of a document. `case` must be the one the access
    gate (or access.case_for_system) returned; the document must belong to it.
    A person's read writes a document.read audit row."""
    grant = grant_of(case)
    if grant is None:
        raise PermissionError("read_document needs a case returned by the access gate")
    if document.case_id != case.pk:
        raise StorageError("This document does not belong to this case.")
    if not document.blob_path:
        raise StorageError(f"The stored file of '{document.file_name}' is missing.")
    try:
        raw = blob_path(document).read_bytes()
    except FileNotFoundError:
        raise StorageError(f"The stored file of '{document.file_name}' is missing.") from None
    if not raw.startswith(FILE_MAGIC) or len(raw) < len(FILE_MAGIC) + NONCE_BYTES + 16:
        raise StorageError(f"The stored file of '{document.file_name}' is damaged.")
    start = len(FILE_MAGIC)
    nonce, sealed = raw[start : start + NONCE_BYTES], raw[start + NONCE_BYTES :]
    try:
        content = AESGCM(unwrap_key(case)).decrypt(nonce, sealed, _file_aad(case, document))
    except InvalidTag:
        raise StorageError(
            f"The stored file of '{document.file_name}' failed its integrity check: "
            "it was altered or belongs to another document."
        ) from None
    if grant.user is not None:
        audit.record(grant.user, case, "document.read", obj=document)
    return content


def delete_blob(document: Document) -> None:
    if document.blob_path:
        blob_path(document).unlink(missing_ok=True)
