from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "casebridge.web.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.mfa.signals import authentication_failed, authenticator_added

        from casebridge.web.accounts.signals import on_authenticator_added, on_mfa_failed

        authentication_failed.connect(on_mfa_failed, dispatch_uid="casebridge.accounts.mfa_failed")
        authenticator_added.connect(
            on_authenticator_added, dispatch_uid="casebridge.accounts.authenticator_added"
        )
