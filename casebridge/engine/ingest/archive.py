"""ZIP archives, opened in memory within limits. Nothing is ever written to disk.

Every member becomes a Document named "archive.zip/member/path"; a member that is
refused (unsafe path, link, too large, suspicious compression, password) still
appears, with the reason, so nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import zipfile
import zlib
from collections.abc import Callable

from casebridge.engine.case import Document
from casebridge.engine.ingest import limits

ReadMember = Callable[[bytes, str, int], list[Document]]

_SYSTEM_FILES = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")


def read_zip(archive: Document, data: bytes, depth: int, read_member: ReadMember) -> list[Document]:
    """Documents of the members. `archive` is returned too when the archive itself has a
    problem (damaged, empty, past a limit), so that the problem is seen."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        archive.needs_attention("This ZIP archive is damaged and cannot be opened")
        return [archive]
    docs: list[Document] = []
    # endswith, not ZipInfo.is_dir(): that indexes the name and raises on an empty one
    members = [
        i for i in infos if not i.filename.endswith("/") and not _SYSTEM_FILES.search(i.filename)
    ]
    if not members:
        archive.needs_attention("This ZIP archive has no files in it")
        return [archive]
    if len(members) > limits.MAX_ARCHIVE_MEMBERS:
        archive.needs_attention(
            f"This ZIP archive holds {len(members)} files; only the first "
            f"{limits.MAX_ARCHIVE_MEMBERS} were read"
        )
        members = members[: limits.MAX_ARCHIVE_MEMBERS]
    budget = limits.MAX_ARCHIVE_TOTAL_BYTES
    with zf:
        for info in members:
            member_name = info.filename.replace("\\", "/")
            shown = f"{archive.file_name}/{member_name.lstrip('/')}"
            reason = refuse_reason(info)
            if reason is None and info.file_size > budget:
                reason = (
                    "Not read: the files in this archive add up to more than "
                    f"{limits.MAX_ARCHIVE_TOTAL_BYTES // limits.MB} MB"
                )
            if reason is not None:
                docs.append(_refused(archive, info, shown, reason))
                continue
            try:
                content = _read_member(zf, info, min(budget, limits.MAX_FILE_BYTES))
            except _TooBig:
                docs.append(
                    _refused(
                        archive,
                        info,
                        shown,
                        "Not read: this file expands to more than its archive says "
                        "(a possible 'zip bomb')",
                    )
                )
                continue
            except (
                zipfile.BadZipFile,
                OSError,
                ValueError,
                EOFError,
                NotImplementedError,
                zlib.error,
            ):
                docs.append(_refused(archive, info, shown, "This file in the archive is damaged"))
                continue
            budget -= len(content)
            docs.extend(read_member(content, shown, depth + 1))
    if archive.problems:
        docs.insert(0, archive)
    return docs


def refuse_reason(info: zipfile.ZipInfo) -> str | None:
    """Why a member must not be read, in plain language; None if it may be."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "Not read: this file in the archive has an absolute path (unsafe)"
    if ".." in name.split("/"):
        return "Not read: this file's path in the archive points outside it ('../', unsafe)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "Not read: this is a link to another file, not a file (unsafe)"
    if info.flag_bits & 0x1:
        return "Not read: this file in the archive is protected by a password"
    if info.file_size > limits.MAX_FILE_BYTES:
        return f"Not read: larger than {limits.MAX_FILE_BYTES // limits.MB} MB"
    if (
        info.file_size > limits.COMPRESSION_RATIO_MIN_BYTES
        and info.file_size > limits.MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
    ):
        return (
            "Not read: this file is compressed far more than any document would be "
            "(a possible 'zip bomb')"
        )
    return None


class _TooBig(Exception):
    pass


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The member's bytes, stopping as soon as it grows past what it declared or the limit."""
    ceiling = min(limit, info.file_size)
    chunks: list[bytes] = []
    size = 0
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1024 * 1024)
            if not chunk:
                break
            size += len(chunk)
            if size > ceiling:
                raise _TooBig(info.filename)
            chunks.append(chunk)
    return b"".join(chunks)


def _refused(archive: Document, info: zipfile.ZipInfo, name: str, reason: str) -> Document:
    # The content was not read, so the hash is of where it sits (unique, stable), not of it.
    digest = hashlib.sha256(f"{archive.sha256}/{info.filename}".encode()).hexdigest()
    doc = Document(id=digest[:16], file_name=name, sha256=digest, size=info.file_size)
    doc.needs_attention(reason)
    return doc
