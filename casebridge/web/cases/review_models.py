"""Reviewers and their assignments (issue 11, part 4).

A reviewer is a clinician of one department of the directory (ReviewerProfile),
invited by a coordinator. A case is opened to them one assignment at a time
(ReviewAssignment): the department, the disciplines, who sits in which
discipline and who leads (ReviewSeat), a due date and the day access ends. The
access gate (access.py) reads these rows on every request; none is ever
deleted: a revoked assignment stays on record with who revoked it and why.

Kept apart from models.py, which holds the patient's side; imported there so
that Django registers them with the other models of `cases`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casebridge.web.cases.sealed import SealedJSONField, SealedTextField


class ReviewerProfile(models.Model):
    """The department a reviewer account belongs to. Staff data, not the
    patient's: the department id is kept in clear (it says nothing about a case)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    direction_id = models.CharField(max_length=80)  # a department of the directory
    disciplines = models.JSONField(default=list, blank=True)  # keys of mdt_disciplines
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    # a coordinator turns a reviewer off (left the department): every
    # assignment stops opening at once, the account itself stays for the record
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["direction_id", "user__email"]


class ReviewAssignment(models.Model):
    """One case opened to one department's team until `access_until`."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="assignments")
    # Sealed: which department (an oncology one, a fertility one) and which
    # disciplines say what the patient has.
    direction_id = SealedTextField(holder="case")
    disciplines = SealedJSONField(holder="case", default=list)
    due_date = models.DateField()
    access_until = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # two coordinators assigning at once cannot open a case to two teams
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(revoked_at=None),
                name="cases_one_open_review_assignment",
            )
        ]

    @property
    def open(self) -> bool:
        """Not revoked and not past its end (the consent is checked by the gate)."""
        return self.revoked_at is None and self.access_until > timezone.now()


class ReviewSeat(models.Model):
    """One reviewer of an assignment: their discipline, and whether they lead."""

    assignment = models.ForeignKey(ReviewAssignment, on_delete=models.CASCADE, related_name="seats")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_seats"
    )
    discipline = models.CharField(max_length=60)
    lead = models.BooleanField(default=False)

    class Meta:
        ordering = ["-lead", "discipline", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "reviewer"], name="cases_one_seat_per_reviewer"
            ),
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(lead=True), name="cases_one_lead_per_review"
            ),
        ]
