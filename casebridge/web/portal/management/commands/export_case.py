"""manage.py export_case CB-XXXXXXXX --out FILE [--by EMAIL]

A case's archive of everything (cases/exports.py), for a coordinator or the
data protection officer answering a subject access request: the same archive
the patient downloads from their case's "Summary and downloads" page, worded
the same way (which is why the command lives with the portal).

The export is audited like the patient's own (case.exported): by the
coordinator or administrator --by names, else by the system. The file is
created new (0600: it is the whole record) and never overwrites one; if the
archive cannot be finished, the part written is removed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.web.accounts.models import Role, User
from casebridge.web.cases.access import case_for_system
from casebridge.web.cases.exports import do_export_case
from casebridge.web.cases.models import Case
from casebridge.web.portal.archive_words import ArchiveWords

EXPORTERS = frozenset({Role.COORDINATOR, Role.ADMIN})


class Command(BaseCommand):
    help = "Write everything a patient has on one case (originals, data, consents, log) as a ZIP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="the case's reference, e.g. CB-1A2B3C4D")
        parser.add_argument("--out", type=Path, required=True, help="a ZIP file to create")
        parser.add_argument(
            "--by",
            default="",
            help="the e-mail of the coordinator or administrator doing it (else: the system)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reference = str(options["reference"]).strip().upper()
        out: Path = options["out"]
        found = Case.objects.filter(pseudonym=reference).values_list("pk", flat=True).first()
        if found is None:
            raise CommandError(f"there is no case {reference}: give its reference, CB-…")
        by = self._exporter(str(options["by"]).strip())
        if out.exists():
            raise CommandError(f"{out} exists already: name a new file")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent} is not a folder")
        try:
            # created here, exclusively: a file made meanwhile is not overwritten either
            handle = os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        except FileExistsError:
            raise CommandError(f"{out} exists already: name a new file") from None
        try:
            with handle:
                archive = do_export_case(
                    case_for_system(found), acting_user=by, words=ArchiveWords()
                )
                archive.write_to(handle)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        missing = len(archive.not_included)
        self.stdout.write(
            f"wrote {out}: case {reference}, {len(archive.originals)} original file(s), "
            f"{', '.join(archive.plan.parts)}"
            + (f"; {missing} file(s) could not be included (see manifest.json)" if missing else "")
        )

    def _exporter(self, email: str) -> User | None:
        if not email:
            return None
        user = User.objects.filter(email__iexact=email).first()
        if user is None or not user.is_active or user.role not in EXPORTERS:
            raise CommandError(f"{email} is not an active coordinator or administrator")
        return user
