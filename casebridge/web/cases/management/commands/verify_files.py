"""manage.py verify_files [--remove-orphans] [--grace-minutes N]

Checks that the database and the encrypted files agree: every document row's
file is there and opens with its case's data key (AES-GCM: altered, truncated
or swapped files fail), and every file under files/ (the data folder, or the object store) belongs to a row.

A file no row names is what an upload leaves when its process is killed
between writing the file (which comes first, so that a committed row always
has its file) and committing the row, and a `.tmp` file one killed while
writing. --remove-orphans deletes those older than the grace (default 60
minutes, so that an upload still in progress is never touched). Run it after
a restore, and daily (cron) to sweep what interrupted uploads left.

Exit codes: 0 all agree (after any removal); 1 a problem remains (named).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from casebridge.web.cases import storage
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.errors import StorageError
from casebridge.web.cases.models import Case, Document, PackFile

EXIT_PROBLEM = 1


def stored_files() -> list[str]:
    """Every entry under files/, whichever the storage backend (storage.list_blobs)."""
    return storage.list_blobs()


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


def orphans() -> list[str]:
    """Entries under files/ that no document row names."""
    named = set(Document.objects.exclude(blob_path="").values_list("blob_path", flat=True))
    named |= set(PackFile.objects.exclude(blob_path="").values_list("blob_path", flat=True))
    return [name for name in stored_files() if name not in named]


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
        cutoff = timezone.now() - dt.timedelta(minutes=options["grace_minutes"])
        removed = 0
        if options["remove_orphans"]:
            for name in found:
                if storage.blob_modified_at(name) < cutoff:
                    storage.delete_blob_named(name)
                    removed += 1
            found = orphans()
        problems += [f"{name}: no document names this file" for name in found]
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
