from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "casebridge.web.console"
    label = "console"
    verbose_name = "Coordinator console"
