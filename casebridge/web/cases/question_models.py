"""The patient's own questions for the specialists (issue 12): the reason a
case exists. Collected from the enquiry, typed in the workspace, or taken from
a note the patient uploaded; edited and put in order by the patient (or a
relative who may add records); carried into the summary and the pack, so the
reviewing team reads them in that order.

Kept apart from models.py; imported there so that Django registers it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casebridge.web.cases.sealed import SealedTextField


class PatientQuestion(models.Model):
    class Origin(models.TextChoices):
        ENQUIRY = "enquiry", "the enquiry"
        TYPED = "typed", "typed in the workspace"
        DOCUMENT = "document", "a note the patient uploaded"

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="questions")
    text = SealedTextField(holder="case")  # health data: sealed with the case's key
    position = models.PositiveIntegerField()
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.TYPED)
    # where a question taken from a note was written (the note stays the source)
    document = models.ForeignKey(
        "cases.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    page = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
