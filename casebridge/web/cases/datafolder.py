"""The default store of the encrypted uploads: Django's FileSystemStorage rooted
in the data folder (settings.DATA_DIR), so that names stay what Document.blob_path
has always held ("files/<pseudonym>/<id>.bin") and an existing installation
keeps its files where they are.

What it changes from FileSystemStorage, and why:
- each file is written to a temporary name, flushed to disk and renamed into
  place, so a process killed mid-write never leaves a truncated file under a
  document's name (FileSystemStorage writes in place);
- files are created 0600 and folders 0700 from the start, not chmod-ed
  afterwards, so there is no moment when another local user could open one;
- the root follows settings.DATA_DIR when it changes (tests, `casebridge serve`
  with a folder of its own) instead of being fixed when the backend is built;
- a name that exists is overwritten: a document has one file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

FILE_MODE = 0o600
FOLDER_MODE = 0o700
TEMP_SUFFIX = ".tmp"  # verify_files and backup skip these: an upload being written


@deconstructible(path="casebridge.web.cases.datafolder.DataFolderStorage")
class DataFolderStorage(FileSystemStorage):
    def __init__(self, location: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", FILE_MODE)
        kwargs.setdefault("directory_permissions_mode", FOLDER_MODE)
        kwargs.setdefault("allow_overwrite", True)
        super().__init__(location=location, **kwargs)
        self._root = location

    @property
    def base_location(self) -> str:
        return str(self._root if self._root is not None else settings.DATA_DIR)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def _make_folders(self, folder: Path) -> None:
        """Create the missing folders between the root and `folder`, each 0700
        whatever the umask."""
        root = Path(self.location)
        missing = []
        while folder != root and not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            try:
                path.mkdir(mode=FOLDER_MODE)
            except FileExistsError:  # another process made it meanwhile
                continue
            os.chmod(path, FOLDER_MODE)

    def _save(self, name: str, content: Any) -> str:
        final = Path(self.path(name))
        self._make_folders(final.parent)
        temp = final.with_name(f".{final.stem}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        # The rename is durable only once the folder's entry is on disk too.
        folder_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
        return final.relative_to(self.location).as_posix()
