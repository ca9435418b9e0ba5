"""manage.py verify_audit [--head FILE] [--export-head FILE]

Walks the audit log's HMAC chain and names the first row altered, inserted or
missing. Prints the chain head (seq and HMAC of the newest row): keep it
outside the database (--export-head writes it as JSON) and compare later with
--head, which also notices the newest rows deleted.

Exit codes: 0 the chain holds; 1 it does not (the row is named); 2 the head
file cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.web.cases import audit
from casebridge.web.cases.auditchain import Head

EXIT_BROKEN = 1
EXIT_BAD_HEAD = 2


class Command(BaseCommand):
    help = (
        "Verify the audit log's HMAC chain: name the first altered, inserted or missing row "
        "and print the chain head to keep elsewhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--head",
            type=Path,
            metavar="FILE",
            help="a head exported earlier (JSON): the log must still hold that row unchanged",
        )
        parser.add_argument(
            "--export-head",
            type=Path,
            metavar="FILE",
            help="write the verified chain head to FILE (JSON), to keep outside the database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kept = _read_head(options["head"]) if options["head"] else None
        found = audit.verify(kept)
        result = found.result
        if not found.ok:
            assert found.problem is not None
            self.stderr.write(f"audit chain BROKEN: {found.problem.message}")
            if result.head is not None:
                self.stderr.write(
                    f"rows seq 1–{result.head.seq} verified before it ({result.rows} rows)"
                )
            raise CommandError("the audit log was tampered with", returncode=EXIT_BROKEN)
        head = result.head
        if head is None:
            self.stdout.write("audit chain: empty (no rows)")
        else:
            self.stdout.write(f"audit chain: {result.rows} rows verified, seq 1–{head.seq}")
            self.stdout.write(f"head: seq {head.seq} hmac {head.hmac} at {head.at}")
        if kept is not None:
            self.stdout.write(f"the kept head (seq {kept.seq}) is still in the log, unchanged")
        if options["export_head"]:
            if head is None:
                raise CommandError("no head to export: the log is empty", returncode=EXIT_BROKEN)
            path: Path = options["export_head"]
            path.write_text(json.dumps(head.to_json(), indent=2) + "\n")
            self.stdout.write(f"head written to {path}")


def _read_head(path: Path) -> Head:
    try:
        return Head.from_json(json.loads(path.read_text()))
    except (OSError, ValueError) as error:
        raise CommandError(
            f"cannot read the head {path}: {error}", returncode=EXIT_BAD_HEAD
        ) from None
