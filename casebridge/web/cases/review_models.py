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


class Agreement(models.TextChoices):
    """Whether the reviewer agrees with the diagnosis as the records state it."""

    AGREE = "agree", "Agree with the diagnosis"
    PARTLY = "partly", "Agree in part"
    DISAGREE = "disagree", "Do not agree"
    CANNOT_SAY = "cannot_say", "Cannot say from these records"


# The structured parts of an opinion, in the order a reviewer writes them.
OPINION_FIELDS: tuple[str, ...] = (
    "diagnosis_note",  # why they agree or not
    "staging",
    "direction",  # the recommended direction of care
    "further_tests",
    "trials",  # relevance of trials or advanced therapies
    "questions_back",  # questions to the patient's own team, through the coordinator
)


class DisciplineOpinion(models.Model):
    """One reviewer's opinion in their discipline. A draft until submitted;
    once submitted it never changes (it stays on record beside the team's)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    # CASCADE inside one case: erasing the case takes every part of it
    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="discipline_opinions"
    )
    pack = models.ForeignKey("cases.CasePack", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discipline = models.CharField(max_length=60)
    agreement = models.CharField(max_length=20, choices=Agreement.choices, blank=True)
    diagnosis_note = SealedTextField(holder="case", blank=True)
    staging = SealedTextField(holder="case", blank=True)
    direction = SealedTextField(holder="case", blank=True)
    further_tests = SealedTextField(holder="case", blank=True)
    trials = SealedTextField(holder="case", blank=True)
    questions_back = SealedTextField(holder="case", blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["discipline", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "author"], name="cases_one_discipline_opinion_each"
            )
        ]


class SignedOpinionError(Exception):
    """A signed opinion was about to change: it never does (amend it instead)."""


class Opinion(models.Model):
    """The team's consolidated opinion, written and signed by the lead. Versions
    are numbered per case; an amendment is a new signed version naming the one
    it amends and why. Once signed a row never changes, save for its release
    to the patient (released_at/by), which save() alone lets through."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="opinions")
    # CASCADE inside one case: erasing the case takes every part of it
    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="opinions"
    )
    pack = models.ForeignKey("cases.CasePack", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(max_length=10, default="zh")
    summary = SealedTextField(holder="case", blank=True)
    agreement = models.CharField(max_length=20, choices=Agreement.choices, blank=True)
    diagnosis_note = SealedTextField(holder="case", blank=True)
    staging = SealedTextField(holder="case", blank=True)
    direction = SealedTextField(holder="case", blank=True)
    further_tests = SealedTextField(holder="case", blank=True)
    trials = SealedTextField(holder="case", blank=True)
    questions_back = SealedTextField(holder="case", blank=True)
    # where the team did not agree: it stays on record beside the opinion
    disagreements = SealedTextField(holder="case", blank=True)
    amends = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="amendments"
    )
    amend_reason = SealedTextField(holder="case", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sha256 = models.CharField(max_length=64, blank=True)  # of the signed content
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    RELEASE_FIELDS = frozenset({"released_at", "released_by"})

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="cases_one_opinion_number"),
            # one draft at a time: two leads' tabs cannot each start one
            models.UniqueConstraint(
                fields=["case"], condition=Q(signed_at=None), name="cases_one_opinion_draft"
            ),
        ]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            fields = kwargs.get("update_fields")
            signed = type(self).objects.filter(pk=self.pk, signed_at__isnull=False).exists()
            if signed and (fields is None or not set(fields) <= self.RELEASE_FIELDS):  # type: ignore[call-overload]
                raise SignedOpinionError("A signed opinion never changes: amend it instead.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class PackSeries(models.Model):
    """One de-identified image series of a pack version, held in Orthanc (the
    pseudonym as patient name and id). Reviewers open only these, through the
    gate's proxy; `instances` lists the Orthanc instance ids the proxy lets
    through for this series."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    pack = models.ForeignKey("cases.CasePack", on_delete=models.CASCADE, related_name="series")
    position = models.PositiveSmallIntegerField()
    orthanc_study = models.CharField(max_length=64)
    orthanc_series = models.CharField(max_length=64)
    modality = models.CharField(max_length=16, blank=True)
    # sealed: a series description says what was imaged ("CT chest, staging")
    description = SealedTextField(holder="case", blank=True)
    study_date = models.CharField(max_length=10, blank=True)  # ISO
    instances = models.JSONField(default=list)
    # text may be burned into the pixels (an ultrasound, a screen capture):
    # anonymisation cannot remove it, so the series is flagged for the reviewer
    # and the coordinator
    burned_in = models.BooleanField(default=False)
    # a whole-slide image (digital pathology, VL Whole Slide Microscopy): opened
    # in the WSI plugin's viewer, tile by tile, instead of the web viewer
    slide = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "orthanc_series"], name="cases_one_row_per_pack_series"
            )
        ]
