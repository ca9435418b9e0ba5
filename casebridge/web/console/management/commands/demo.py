from typing import Any

from django.core.management.base import BaseCommand

from casebridge.web.console.demo import describe, seed_demo


class Command(BaseCommand):
    help = (
        "Create (or refresh) a demo patient with the bundled example records and a demo "
        "coordinator; prints their logins. For demo servers only."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="Shown in the output.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(describe(seed_demo(), options["url"]))
