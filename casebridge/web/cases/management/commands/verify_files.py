"""manage.py verify_files [--remove-orphans] [--grace-minutes N]

Checks that the database and the encrypted files agree: every document row's
file is there and opens with its case's data key (AES-GCM: altered, truncated
or swapped files fail), and every file under DATA_DIR/files belongs to a row.

A file no row names is what an upload leaves when its process is killed
between writing the file (which comes first, so that a committed row always
has its file) and committing the row, and a `.tmp` file one killed while
writing. --remove-orphans deletes those older than the grace (default 60
minutes, so that an upload still in progress is never touched). Run it after
a restore, and daily (cron) to sweep what interrupted uploads left.

Exit codes: 0 all agree (after any removal); 1 a problem remains (named).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.web.cases import storage
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.errors import StorageError
from casebridge.web.cases.models import Case, Document

EXIT_PROBLEM = 1


def stored_files() -> list[Path]:
    root = storage.files_dir()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def unreadable_documents() -> tuple[int, list[str]]:
    """(documents checked, what is wrong with each that does not open)."""
    problems: list[str] = []
    checked = 0
    for case_pk in Case.objects.order_by("pk").values_list("pk", flat=True):
        case = case_for_system(case_pk)
        for document in Document.objects.filter(case_id=case_pk).order_by("pk"):
            checked += 1
            try:
                storage.read_document(case, document)  # the system's read: no audit row
            except StorageError as error:
                problems.append(f"document {document.pk} of case {case.pseudonym}: {error}")
    return checked, problems


def orphans() -> list[Path]:
    """Files under DATA_DIR/files that no document row names."""
    named = {
        (Path(settings.DATA_DIR) / p).resolve()
        for p in Document.objects.exclude(blob_path="").values_list("blob_path", flat=True)
    }
    return [p for p in stored_files() if p.resolve() not in named]


class Command(BaseCommand):
    help = (
        "Check that every document's encrypted file is there and opens, and that every "
        "stored file belongs to a document; --remove-orphans deletes what interrupted "
        "uploads left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--remove-orphans",
            action="store_true",
            help="delete files no document names (interrupted uploads) older than the grace",
        )
        parser.add_argument(
            "--grace-minutes",
            type=float,
            default=60.0,
            help="leave files younger than this: an upload may still be committing (default 60)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problems = unreadable_documents()
        found = orphans()
        cutoff = time.time() - options["grace_minutes"] * 60
        removed = 0
        if options["remove_orphans"]:
            for path in found:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed += 1
            found = orphans()
        root = storage.files_dir()
        problems += [f"{p.relative_to(root)}: no document names this file" for p in found]
        self.stdout.write(
            f"{checked} document(s) checked, {len(stored_files())} file(s) stored, "
            f"{removed} orphan file(s) removed"
        )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(
                f"{len(problems)} problem(s) between the database and the files",
                returncode=EXIT_PROBLEM,
            )
        self.stdout.write("files and database agree: every document's file opens")
