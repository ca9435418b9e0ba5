from typing import Any

from django.core.management.base import BaseCommand

from casebridge.web.cases.tasks import requeue_stale_documents


class Command(BaseCommand):
    help = "Queue again every document whose worker died (lease ran out). Run every few minutes."

    def handle(self, *args: Any, **options: Any) -> None:
        ids = requeue_stale_documents()
        self.stdout.write(f"{len(ids)} document(s) queued again")
