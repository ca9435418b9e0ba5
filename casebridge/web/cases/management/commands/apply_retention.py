from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casebridge.web.cases.retention import do_apply_retention


class Command(BaseCommand):
    help = (
        "Erase the cases closed or withdrawn more than CASEBRIDGE_RETENTION_DAYS ago and the "
        "enquiries that never became a case, untouched for CASEBRIDGE_ENQUIRY_RETENTION_DAYS "
        "(cases/retention.py). --dry-run lists them and erases nothing. Run it daily "
        "(`casebridge serve` does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be erased; erase nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = do_apply_retention(dry_run=options["dry_run"])
        for line in run.lines():
            self.stdout.write(line)
