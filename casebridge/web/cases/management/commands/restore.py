"""manage.py restore SRC [--force]

Puts a `manage.py backup` folder back into this installation (the database
the settings name, and DATA_DIR/files), then verifies it: the audit chain
walks and still holds the head the backup recorded (`verify_audit --head`),
and every document's file is there and opens with its case's key
(`verify_files`). Stop the web processes and workers first.

The database must be empty (a new SQLite data folder; a new PostgreSQL
database, `createdb`), and the data folder's files too, unless --force: then
what is there is replaced. The master and audit keys are the installation's
(CASEBRIDGE_MASTER_KEY, CASEBRIDGE_AUDIT_KEY, or the key files of a data
folder); a backup made with --include-keys brings its key files, which are put
in the data folder only where none is there (restart to use them).

Exit codes: 0 restored and verified; 1 restored but the verification failed
(named: most often the wrong master or audit key); 2 nothing was restored.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from casebridge.web.cases import storage
from casebridge.web.cases.management.commands.backup import (
    HEAD,
    KEY_FILES,
    MANIFEST,
    POSTGRES_NAME,
    SQLITE_NAME,
    copy_tree,
    postgres_arguments,
    sha256_of,
    tool,
)

EXIT_UNVERIFIED = 1
EXIT_NOT_RESTORED = 2


def _refuse(why: str) -> CommandError:
    return CommandError(f"nothing restored: {why}", returncode=EXIT_NOT_RESTORED)


def _database_in_use() -> bool:
    return "cases_case" in connection.introspection.table_names()


def _check_backup(src: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise _refuse(f"{src} is not a backup ({MANIFEST}: {error})") from None
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise _refuse(f"the backup is of a {vendor} database; this one is {connection.vendor}")
    for relative, digest in manifest["files"].items():
        path = src / "files" / relative
        if not path.is_file() or sha256_of(path) != digest:
            raise _refuse(f"the backup's file {relative} is missing or changed")
    return manifest


def restore_database(src: Path) -> None:
    connections.close_all()
    if connection.vendor == "sqlite":
        # Through the backup API again: the target's own connection writes
        # every page (its -wal included), whatever the file held before.
        target = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=30)
        try:
            with sqlite3.connect(f"file:{src / SQLITE_NAME}?mode=ro", uri=True) as source:
                source.backup(target)
        finally:
            target.close()
        return
    args, env = postgres_arguments()
    command = [tool("pg_restore"), *args, "--no-owner", "--clean", "--if-exists"]
    command += ["--exit-on-error", "--dbname", str(settings.DATABASES["default"]["NAME"])]
    command.append(str(src / POSTGRES_NAME))
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise CommandError(f"pg_restore failed: {done.stderr.strip()}", returncode=EXIT_UNVERIFIED)


class Command(BaseCommand):
    help = "Restore a backup folder into this (empty) installation, then verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="a folder `manage.py backup` wrote")
        parser.add_argument(
            "--force", action="store_true", help="replace a database and files already there"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        src: Path = options["src"]
        if not storage.is_local():
            raise _refuse(
                "the encrypted files are in an object store (CASEBRIDGE_STORAGE=s3): restore "
                "them with the store's own versioning; this command restores a data folder"
            )
        manifest = _check_backup(src)
        files = storage.files_dir()
        if not options["force"]:
            if _database_in_use():
                raise _refuse("the database is not empty (a new one, or --force)")
            if files.is_dir() and any(files.iterdir()):
                raise _refuse(f"{files} is not empty (a new data folder, or --force)")
        restore_database(src)
        if files.is_dir():
            shutil.rmtree(files)
        files.mkdir(mode=0o700)
        copied = copy_tree(src / "files", files)
        for name in manifest.get("keys") or []:
            if name in KEY_FILES and not (Path(settings.DATA_DIR) / name).exists():
                shutil.copyfile(src / name, Path(settings.DATA_DIR) / name)
                (Path(settings.DATA_DIR) / name).chmod(0o600)
        self.stdout.write(
            f"restored the {connection.vendor} database and {len(copied)} encrypted file(s) "
            f"from {src} (made {manifest['made_at']})"
        )
        try:
            head = ["--head", str(src / HEAD)] if (src / HEAD).is_file() else []
            call_command("verify_audit", *head, stdout=self.stdout, stderr=self.stderr)
            call_command("verify_files", stdout=self.stdout, stderr=self.stderr)
        except CommandError as error:
            raise CommandError(
                f"restored, but it does not verify: {error} (the right CASEBRIDGE_MASTER_KEY "
                "and CASEBRIDGE_AUDIT_KEY?)",
                returncode=EXIT_UNVERIFIED,
            ) from None
        self.stdout.write("restored and verified")
