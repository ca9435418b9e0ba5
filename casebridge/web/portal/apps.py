from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "casebridge.web.portal"
    label = "portal"
    verbose_name = "Patient portal"

    def ready(self) -> None:
        from casebridge.web.portal import signals

        signals.connect()
