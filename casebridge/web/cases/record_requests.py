"""A request for records a coordinator sent the patient. The patient sees it as
a to-do item (and as a message on the case) until a coordinator closes it:
received, or no longer needed.

It lives in `cases` because several apps read it (the console asks and closes,
the portal lists what is asked, review will read it) and apps never import one
another. The table keeps the name it had when the console owned it
(console_recordrequest): the move changed Django's state only, never the data
(cases migration 0010).

Its free text is health data ("Histology report of the liver biopsy, Royal
Marsden, March"): title, detail and the staff's close note are sealed with the
case's key (cases/sealed.py; migration 0011 sealed the rows written before)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from casebridge.web.cases.sealed import SealedTextField

if TYPE_CHECKING:
    from casebridge.web.cases.models import Case, Message


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

    # Named by string, so that models.py can import this module before Case exists.
    case: models.ForeignKey[Case, Case] = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="record_requests"
    )
    # What is asked for, in plain words (at most 200 characters: do_request_records).
    title = SealedTextField(holder="case", help_text="What is asked for, in plain words.")
    detail = SealedTextField(
        holder="case", blank=True, help_text="Why it is needed, who usually holds it."
    )
    gap_id = models.CharField(max_length=120, blank=True, help_text="The engine gap it answers.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    message: models.ForeignKey[Message | None, Message | None] = models.ForeignKey(
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
    close_note = SealedTextField(
        holder="case",
        blank=True,
        help_text="Staff only: why it was closed (never shown to the patient).",
    )

    objects = RecordRequestManager()

    class Meta:
        db_table = "console_recordrequest"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"record request {self.pk}"  # not the title: it is sealed health data

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN
