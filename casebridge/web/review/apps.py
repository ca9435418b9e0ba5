from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "casebridge.web.review"
    label = "review"
    verbose_name = "Reviewer workspace"
