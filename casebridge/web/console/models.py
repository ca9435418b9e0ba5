"""The console's one stored noun: a request for records a coordinator sent the
patient. The patient sees it as a to-do item (and as a message on the case)
until a coordinator closes it: received, or no longer needed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casebridge.web.cases.models import Case


class RecordRequestQuerySet(models.QuerySet["RecordRequest"]):
    """open_ones() and closed_ones() split the rows this queryset fetched (one
    query, however many times they are asked): for templates, which list the
    open requests first."""

    def open_ones(self) -> list[RecordRequest]:
        return [item for item in self if item.is_open]

    def closed_ones(self) -> list[RecordRequest]:
        return [item for item in self if not item.is_open]


# Made at module level (not in the class statement) so that django-stubs can
# type the generated manager and its queryset methods.
_RecordRequestBaseManager = models.Manager.from_queryset(RecordRequestQuerySet)


class RecordRequestManager(_RecordRequestBaseManager["RecordRequest"]):
    """Every listing shows who asked and who closed: both people come in the
    same query (case.record_requests uses this manager too), never one query
    per row."""

    def get_queryset(self) -> models.QuerySet[RecordRequest]:
        return super().get_queryset().select_related("requested_by", "closed_by")


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
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    close_note = models.TextField(
        blank=True, help_text="Staff only: why it was closed (never shown to the patient)."
    )

    objects = RecordRequestManager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN
