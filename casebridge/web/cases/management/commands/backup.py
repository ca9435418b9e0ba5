"""manage.py backup DEST [--include-keys]

One consistent copy of an installation, safe to take while it runs:

1. the database: SQLite through its online backup API (a snapshot of one
   moment, whatever the web processes and workers write meanwhile; a plain
   file copy of a database in WAL mode can miss the log's pages), PostgreSQL
   through `pg_dump --format=custom` (one transaction's snapshot);
2. then the encrypted files (DATA_DIR/files). In this order every document
   the snapshot holds has its file already (an upload writes its file before
   it commits); a file uploaded after the snapshot is an orphan after a
   restore, which `verify_files --remove-orphans` sweeps;
3. manifest.json (what, when, the counts, each file's SHA-256) and
   audit-head.json, the audit chain's head at the snapshot, so that after a
   restore `verify_audit --head` proves the log came back whole.

The keys are not copied unless --include-keys: a backup that holds the
master key opens every record, so keep the keys (CASEBRIDGE_MASTER_KEY,
CASEBRIDGE_AUDIT_KEY, CASEBRIDGE_SECRET_KEY, or the key files of a demo's data
folder) in another place than the backups. `manage.py restore DEST` puts it
back and verifies it.

Why a command rather than the two tools by hand: the order (database first),
the consistent SQLite copy and the head to verify against are easy to get
wrong at 3 a.m.; the command gets them right and says what it wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from casebridge.web.cases import audit, storage
from casebridge.web.cases.models import AuditEvent, Case, Document
from casebridge.web.keys import AUDIT_KEY_FILE_NAME, KEY_FILE_NAME, SECRET_KEY_FILE_NAME

SQLITE_NAME = "casebridge.sqlite3"
POSTGRES_NAME = "database.dump"
MANIFEST = "manifest.json"
HEAD = "audit-head.json"
KEY_FILES = [KEY_FILE_NAME, AUDIT_KEY_FILE_NAME, SECRET_KEY_FILE_NAME]


def postgres_arguments() -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump / pg_restore, and their environment."""
    db = settings.DATABASES["default"]
    args: list[str] = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [option, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CommandError(
            f"{name} is not installed: it comes with the PostgreSQL client "
            "(Debian: apt-get install postgresql-client; apt-packages.txt lists it)"
        )
    return found


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_tree(source: Path, target: Path) -> dict[str, str]:
    """Copy the files under `source` (0700 folders, 0600 files); returns each
    copied file's path relative to `target` with its SHA-256."""
    copied: dict[str, str] = {}
    if not source.is_dir():
        return copied
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.endswith(".tmp"):  # an upload being written
            continue
        relative = path.relative_to(source)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(path, destination)
        destination.chmod(0o600)
        copied[relative.as_posix()] = sha256_of(destination)
    return copied


def backup_database(dest: Path) -> str:
    if connection.vendor == "sqlite":
        target = dest / SQLITE_NAME
        connection.ensure_connection()
        # The online backup API, through a connection of its own to the file.
        with sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=30) as source:
            copy = sqlite3.connect(str(target))
            try:
                source.backup(copy)
            finally:
                copy.close()
        target.chmod(0o600)
        return SQLITE_NAME
    if connection.vendor == "postgresql":
        args, env = postgres_arguments()
        target = dest / POSTGRES_NAME
        command = [tool("pg_dump"), *args, "--format=custom", "--no-owner", "--file", str(target)]
        command.append(str(settings.DATABASES["default"]["NAME"]))
        done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise CommandError(f"pg_dump failed: {done.stderr.strip()}")
        target.chmod(0o600)
        return POSTGRES_NAME
    raise CommandError(f"backing up a {connection.vendor} database is not supported")


class Command(BaseCommand):
    help = "Back up the database and the encrypted files to a new folder (safe while running)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, help="a folder that does not exist yet")
        parser.add_argument(
            "--include-keys",
            action="store_true",
            help="also copy the key files of the data folder (keep such a backup very safe)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dest: Path = options["dest"]
        if not storage.is_local():
            raise CommandError(
                "the encrypted files are in an object store (CASEBRIDGE_STORAGE=s3): back them "
                "up with the store's own versioning or replication; this command copies a "
                "data folder"
            )
        if dest.exists():
            raise CommandError(f"{dest} exists already: name a new folder")
        dest.mkdir(parents=True, mode=0o700)
        # The head first, then the snapshot: the snapshot holds the head row.
        found = audit.verify()
        if not found.ok:
            assert found.problem is not None
            raise CommandError(f"the audit chain does not verify: {found.problem.message}")
        database = backup_database(dest)
        files = copy_tree(storage.files_dir(), dest / "files")
        keys = []
        if options["include_keys"]:
            for name in KEY_FILES:
                if (Path(settings.DATA_DIR) / name).is_file():
                    shutil.copyfile(Path(settings.DATA_DIR) / name, dest / name)
                    (dest / name).chmod(0o600)
                    keys.append(name)
        head = found.result.head
        if head is not None:
            (dest / HEAD).write_text(json.dumps(head.to_json(), indent=2) + "\n")
        manifest = {
            "made_at": timezone.now().isoformat(),
            "database": {"vendor": connection.vendor, "file": database},
            "counts": {
                "cases": Case.objects.count(),
                "documents": Document.objects.count(),
                "audit_rows": AuditEvent.objects.count(),
            },
            "audit_head": head.to_json() if head is not None else None,
            "files": files,
            "keys": keys,
        }
        (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        (dest / MANIFEST).chmod(0o600)
        self.stdout.write(
            f"backed up to {dest}: {connection.vendor} database ({database}), "
            f"{len(files)} encrypted file(s), audit head seq {head.seq if head else 0}"
        )
        if not keys:
            self.stdout.write(
                "the keys are not in this backup: a restore needs this installation's "
                "CASEBRIDGE_MASTER_KEY and CASEBRIDGE_AUDIT_KEY (keep them elsewhere)"
            )
