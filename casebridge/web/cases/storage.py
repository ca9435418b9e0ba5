"""Encrypted storage of uploaded files.

Each case has its own data key (32 random bytes), stored only wrapped: AES-GCM
under the master key (settings.CASEBRIDGE_MASTER_KEY), with the case pseudonym
as associated data (cases/datakeys.py, shared with the sealed database fields).
Each file is AES-GCM encrypted under its case's data key with a random 96-bit
nonce and associated data "<pseudonym>/<document id>", so a blob moved to
another case or document fails its integrity check.

The encrypted blobs go through Django's storage API, the storage named
BLOBS in settings.STORAGES, under the names "files/<pseudonym>/<id>.bin"
(Document.blob_path). By default that is the data folder
(cases/datafolder.py: DATA_DIR/files/<pseudonym>/, 0700 folders, 0600 files,
never under a path the web server serves); with CASEBRIDGE_STORAGE=s3 an
S3-compatible object store (django-storages). Either way only ciphertext is
handed to the store: encryption and decryption happen here, in the process.

Formats:
    wrapped key  b"\\x01" + nonce(12) + AES-GCM(data key) (32 + 16 tag bytes)
    file         b"CBF1" + nonce(12) + AES-GCM(content)
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

from casebridge.web.cases import audit, datakeys
from casebridge.web.cases.access import grant_of
from casebridge.web.cases.errors import StorageError
from casebridge.web.cases.models import Case, Document, PackFile
from casebridge.web.cases.withdrawal import refuse_withheld

FILE_MAGIC = b"CBF1"
NONCE_BYTES = 12
BLOBS = "casebridge-blobs"  # the alias in settings.STORAGES
FILES_PREFIX = "files"


def blob_store() -> Storage:
    return storages[BLOBS]


def is_local() -> bool:
    """Whether the blobs are files of this machine (the default data folder),
    for the tools that copy or walk folders (backup, restore)."""
    return isinstance(blob_store(), FileSystemStorage)


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
    """The folder of the blobs on the filesystem backend (DATA_DIR/files).
    Filesystem only: with an object store nothing is there; use list_blobs."""
    return Path(settings.DATA_DIR) / FILES_PREFIX


def blob_path(document: Document) -> Path:
    """The file of a document's blob. Filesystem backend only (tests and
    folder tools); an object store has no path (NotImplementedError)."""
    return Path(blob_store().path(document.blob_path))


def blob_name(case: Case, document: Document) -> str:
    return f"{FILES_PREFIX}/{case.pseudonym}/{document.pk}.bin"


def store_document(case: Case, document: Document, data: bytes) -> str:
    """Encrypt and store a document's content; returns its name in the store
    (for Document.blob_path: on the filesystem backend, its path relative to
    DATA_DIR). The document must already have its id."""
    if document.pk is None or document.case_id != case.pk:
        raise ValueError("store_document needs a saved document of this case")
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(unwrap_key(case)).encrypt(nonce, data, _file_aad(case, document))
    name = blob_name(case, document)
    stored = blob_store().save(name, ContentFile(FILE_MAGIC + nonce + sealed))
    if stored != name:  # both backends overwrite; a renamed blob would be lost
        blob_store().delete(stored)
        raise StorageError(f"The store kept the file of '{document.file_name}' as {stored}.")
    return stored


def _read_blob(document: Document) -> bytes:
    try:
        with blob_store().open(document.blob_path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise StorageError(f"The stored file of '{document.file_name}' is missing.") from None
    return bytes(raw)


def read_document(
    case: Case,
    document: Document,
    *,
    after: dict[str, Any] | None = None,
    meta: audit.RequestMeta | None = None,
    audited: bool = True,
) -> bytes:
    """The decrypted content of a document. `case` must be the one the access
    gate (or access.case_for_system) returned; the document must belong to it.
    A person's read writes a document.read audit row (with `after` and where
    the request came from, `meta`, when given). audited=False only for a
    caller that has already committed a row naming this read (the export of a
    case: its case.exported row lists every file, written before any leaves)."""
    grant = grant_of(case)
    if grant is None:
        raise PermissionError("read_document needs a case returned by the access gate")
    refuse_withheld(case)  # staff, after the patient withdrew the consent to processing
    if "review" in grant.needs:
        # a reviewer abroad reads the pack's redacted copies, never the upload
        raise PermissionError("a reviewer reads the sent pack, not the uploaded files")
    if document.case_id != case.pk:
        raise StorageError("This document does not belong to this case.")
    if not document.blob_path:
        raise StorageError(f"The stored file of '{document.file_name}' is missing.")
    raw = _read_blob(document)
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
    if grant.user is not None and audited:
        audit.record(grant.user, case, "document.read", obj=document, after=after, meta=meta)
    return content


def _pack_aad(case: Case, file: PackFile) -> bytes:
    return f"{case.pseudonym}/pack/{file.pk}".encode()


def store_pack_file(case: Case, file: PackFile, data: bytes) -> str:
    """Encrypt and store one file of a pack (files/<pseudonym>/pack-<id>.bin),
    as store_document does a document; returns its name in the store."""
    if file.pk is None or file.case_id != case.pk:
        raise ValueError("store_pack_file needs a saved pack file of this case")
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(unwrap_key(case)).encrypt(nonce, data, _pack_aad(case, file))
    name = f"{FILES_PREFIX}/{case.pseudonym}/pack-{file.pk}.bin"
    stored = blob_store().save(name, ContentFile(FILE_MAGIC + nonce + sealed))
    if stored != name:
        blob_store().delete(stored)
        raise StorageError(f"The store kept a file of pack {file.pack_id} as {stored}.")
    return stored


def read_pack_file(case: Case, file: PackFile) -> bytes:
    """The decrypted content of a pack file, checked against its recorded hash.
    `case` must be the one the access gate (or case_for_system) returned."""
    if grant_of(case) is None:
        raise PermissionError("read_pack_file needs a case returned by the access gate")
    refuse_withheld(case)
    if file.case_id != case.pk or not file.blob_path:
        raise StorageError("This file is not part of this case's packs.")
    try:
        with blob_store().open(file.blob_path, "rb") as handle:
            raw = bytes(handle.read())
    except FileNotFoundError:
        raise StorageError("A stored file of the pack is missing.") from None
    start = len(FILE_MAGIC)
    if not raw.startswith(FILE_MAGIC) or len(raw) < start + NONCE_BYTES + 16:
        raise StorageError("A stored file of the pack is damaged.")
    try:
        content = AESGCM(unwrap_key(case)).decrypt(
            raw[start : start + NONCE_BYTES], raw[start + NONCE_BYTES :], _pack_aad(case, file)
        )
    except InvalidTag:
        raise StorageError("A stored file of the pack failed its integrity check.") from None
    if hashlib.sha256(content).hexdigest() != file.sha256:
        raise StorageError("A stored file of the pack is not the one that was approved.")
    return content


def delete_blob(document: Document) -> None:
    if document.blob_path:
        delete_blob_named(document.blob_path)


def delete_blob_named(name: str) -> None:
    """Remove a blob; nothing happens when it is not there."""
    blob_store().delete(name)


def delete_case_blobs(pseudonym: str) -> int:
    """Remove everything stored under a case's prefix (its blobs and what an
    interrupted upload left: temporary files on the filesystem), then its
    folder where there is one; returns how many entries went."""
    store = blob_store()
    prefix = f"{FILES_PREFIX}/{pseudonym}"
    try:
        _folders, names = store.listdir(prefix)
    except FileNotFoundError:  # the filesystem backend, nothing ever stored
        return 0
    for name in names:
        store.delete(f"{prefix}/{name}")
    if isinstance(store, FileSystemStorage):
        store.delete(prefix)  # the emptied folder (an object store has none)
    return len(names)


def list_blobs() -> list[str]:
    """The name of every entry stored under files/ (blobs and any temporary
    file of an upload being written), sorted: for verify_files and backup,
    whichever the backend."""
    store = blob_store()
    found: list[str] = []
    pending = [FILES_PREFIX]
    while pending:
        prefix = pending.pop()
        try:
            folders, names = store.listdir(prefix)
        except FileNotFoundError:
            continue
        found += [f"{prefix}/{name}" for name in names]
        pending += [f"{prefix}/{folder}" for folder in folders]
    return sorted(found)


def blob_modified_at(name: str) -> datetime:
    """When a stored entry was last written (the orphan sweep's grace)."""
    return blob_store().get_modified_time(name)
