"""The console's one stored noun: a request for records a coordinator sent the
patient. The patient sees it as a to-do item (and as a message on the case)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casebridge.web.cases.models import Case


class RecordRequest(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Waiting for the patient"
        DONE = "done", "Received"
        CANCELLED = "cancelled", "No longer needed"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="record_requests")
    title = models.CharField(max_length=200, help_text="What is asked for, in plain words.")
    detail = models.TextField(blank=True, help_text="Why it is needed, who usually holds it.")
    gap_id = models.CharField(max_length=120, blank=True, help_text="The engine gap it answers.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    message = models.ForeignKey(
        "cases.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title
