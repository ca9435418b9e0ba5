"""The stored nouns of the platform. State changes go through actions.py (which
writes the audit row in the same transaction); reads of a case go through the
gate in access.py."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from casebridge.engine.case import PROGRAMMES, Correction
from casebridge.web.cases import datakeys, sealed, workflow

# Defined in its own module; imported here so that Django registers it with the
# other models of `cases` (and `from casebridge.web.cases.models import
# RecordRequest` works like for every other model).
from casebridge.web.cases.record_requests import RecordRequest as RecordRequest
from casebridge.web.cases.sealed import (
    KeyHolder,
    SealedEnvelopeField,
    SealedJSONField,
    SealedTextField,
)


def new_pseudonym() -> str:
    """CB- and eight upper-case hex digits, like the engine's case ids."""
    return "CB-" + secrets.token_hex(4).upper()


def new_key_ref() -> str:
    """An enquiry's random name in its key's associated data (its id does not
    exist yet when its first fields are sealed)."""
    return secrets.token_hex(16)


# Labels marked for translation (gettext_noop: plain text here, so choices and
# migrations stay as they are); pages translate them as they show them.
PROGRAMME_LABELS = {
    "oncology": gettext_noop("Oncology"),
    "rare-disease": gettext_noop("Rare disease"),
    "fertility": gettext_noop("Fertility"),
    "eye": gettext_noop("Eye"),
    "rehabilitation": gettext_noop("Rehabilitation"),
}
PROGRAMME_CHOICES = [
    (p, PROGRAMME_LABELS.get(p, p.replace("-", " ").capitalize())) for p in PROGRAMMES
]


class Urgency(models.TextChoices):
    ROUTINE = "routine", gettext_noop("Routine")
    SOON = "soon", gettext_noop("Soon (weeks)")
    URGENT = "urgent", gettext_noop("Urgent (days)")


class Case(KeyHolder, models.Model):
    """A patient's case. Its health data (the engine JSON: every page's text,
    every fact with its snippet, the identifiers; and what hangs off it:
    messages, notes, corrections, audit details) is sealed with the case's own
    data key (cases/sealed.py); `wrapped_key` is that key wrapped by the master
    key. Deleting the row destroys the key, so nothing sealed under it opens again."""

    KEY_FIELDS = ("pseudonym", "wrapped_key")
    KIND = "case"

    pseudonym = models.CharField(max_length=11, unique=True, default=new_pseudonym, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cases"
    )
    programme = models.CharField(max_length=20, choices=PROGRAMME_CHOICES, default="oncology")
    status = models.CharField(max_length=30, choices=workflow.CHOICES, default=workflow.ENQUIRY)
    paused_from = models.CharField(
        max_length=30, blank=True, help_text="The status a safety pause interrupted."
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coordinated_cases",
    )
    # The engine's Case.to_dict(), sealed: read and assign it as the dict.
    engine = SealedJSONField(default=dict)
    paused = models.BooleanField(default=False)
    paused_reason = SealedTextField(blank=True)  # the red flags' labels: health data
    # an amber safety flag (call the helpline today) that no coordinator has looked at yet:
    # the case carries on, and the console lists it
    safety_review = models.BooleanField(default=False)
    # Optimistic concurrency: every change bumps it; a change made against an
    # older version is refused (actions.ConcurrencyError).
    version = models.PositiveIntegerField(default=1)
    # the patient's choice to have their name sent abroad with the pack (off:
    # pseudonymised, the default); packs.do_set_share_name
    share_name = models.BooleanField(default=False)
    # This case's data key, AES-GCM wrapped by the master key (datakeys.py).
    wrapped_key = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["coordinator"])]

    def __str__(self) -> str:
        return self.pseudonym

    def key_aad(self) -> bytes:
        return datakeys.case_key_aad(self.pseudonym)

    def sealing_identity(self) -> str:
        return self.pseudonym

    def save(self, *args: Any, **kwargs: Any) -> None:
        # every case has its key from its first save, whoever creates it
        if self._state.adding and not self.wrapped_key:
            self.wrapped_key = datakeys.new_wrapped_key(self.key_aad())
        super().save(*args, **kwargs)


class CaseMember(models.Model):
    """A family member or caregiver the patient invited, with what they may do."""

    class Relationship(models.TextChoices):
        FAMILY = "family", "Family member"
        CAREGIVER = "caregiver", "Caregiver"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    relationship = models.CharField(
        max_length=20, choices=Relationship.choices, default=Relationship.FAMILY
    )
    can_view = models.BooleanField(default=True)
    can_upload = models.BooleanField(default=False)
    can_message = models.BooleanField(default=False)
    # may approve, for the patient, the version of the pack sent abroad
    can_approve = models.BooleanField(default=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="one_membership_per_case")
        ]

    def grants(self, need: str) -> bool:
        if self.revoked_at is not None or not self.can_view:
            return False
        return {
            "view": True,
            "upload": self.can_upload,
            "message": self.can_message,
            "approve": self.can_approve,
        }.get(need, False)


class Enquiry(KeyHolder, models.Model):
    """The confidential first contact, before there is an account or a case.

    Its own words (name, phone, diagnosis, treatment, goals, question, red-flag
    ticks and what the screen found) are sealed with the enquiry's own data key
    (there is no case yet); the e-mail stays clear, as duplicates and accounts
    are matched on it. Erasing the case it became deletes this row and its key."""

    KEY_FIELDS = ("key_ref", "wrapped_key")
    KIND = "enquiry"

    class Status(models.TextChoices):
        NEW = "new", gettext_noop("New (e-mail not yet verified)")
        VERIFIED = "verified", gettext_noop("E-mail verified")
        ACCEPTED = "accepted", gettext_noop("Accepted: a case was opened")
        DECLINED = "declined", gettext_noop("Declined")
        SPAM = "spam", gettext_noop("Spam")

    class RedFlag(models.TextChoices):
        NOT_SCREENED = "not_screened", "Not screened"
        NONE = "none", "No red flag"
        FLAGGED = "flagged", "Red flag: told to seek local care now"
        CLEARED = "cleared", "Red flag cleared by a clinician"

    class Relationship(models.TextChoices):
        SELF = "self", "I am the patient"
        FAMILY = "family", "A family member"
        CAREGIVER = "caregiver", "A caregiver"
        CLINICIAN = "clinician", "The patient's clinician"

    full_name = SealedTextField()
    # sealed too: nothing looks an enquiry up by its address (a duplicate is
    # found by answers_hash, an account by the session that sent it)
    email = SealedTextField(blank=True)
    phone = SealedTextField(blank=True)
    country = models.CharField(max_length=2, default="GB", help_text="ISO 3166-1 alpha-2")
    preferred_language = models.CharField(max_length=10, default="en")
    relationship = models.CharField(
        max_length=20, choices=Relationship.choices, default=Relationship.SELF
    )
    programme = models.CharField(max_length=20, choices=PROGRAMME_CHOICES, default="oncology")
    diagnosis = SealedTextField(blank=True)  # in the enquirer's own words
    current_treatment = SealedTextField(blank=True)
    goals = SealedTextField(blank=True)  # what they hope a second opinion helps with
    question = SealedTextField(blank=True)  # their questions for the specialists
    nhs_care_ongoing = models.BooleanField(null=True)
    red_flag_answers = SealedJSONField(default=list, blank=True)  # red-flag ids ticked
    # what the emergency screen found in the free-text answers: [{flag, level, field, ...}]
    safety_flags = SealedJSONField(default=list, blank=True)
    red_flag_state = models.CharField(
        max_length=20, choices=RedFlag.choices, default=RedFlag.NOT_SCREENED
    )
    contact_consent = models.BooleanField(default=False)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    verification_token_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    case = models.OneToOneField(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="enquiry"
    )
    # the client address it came from (cases.clientip), for the per-client limits
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # HMAC-SHA256 (a key derived from the master key: enquiry_digest.py) of the
    # e-mail and the person's own words: the same enquiry sent twice within
    # ENQUIRY_DUPLICATE_MINUTES is merged into the first. Keyed, so a database
    # reader cannot confirm a guessed address and words against it.
    answers_hash = models.CharField(max_length=64, blank=True)
    # this enquiry's data key, wrapped by the master key with key_ref as associated data
    key_ref = models.CharField(max_length=32, unique=True, default=new_key_ref, editable=False)
    wrapped_key = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "enquiries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client_ip", "red_flag_state"], name="enquiry_client"),
            models.Index(fields=["answers_hash"], name="enquiry_answers"),
        ]

    def key_aad(self) -> bytes:
        return datakeys.enquiry_key_aad(self.key_ref)

    def sealing_identity(self) -> str:
        return self.key_ref

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and not self.wrapped_key:
            self.wrapped_key = datakeys.new_wrapped_key(self.key_aad())
        super().save(*args, **kwargs)


class Document(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        NEEDS_ATTENTION = "needs_attention", "Needs a person's attention"
        FAILED = "failed", "Failed"
        # kept encrypted, not read: the patient withdrew the consent to
        # processing (cases/withdrawal.py); queued again if they give it again
        HELD = "held", "Kept, not read (consent withdrawn)"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    # sealed: an upload's name is often the patient's ("J Smith NHS 943 476 5919.pdf")
    file_name = SealedTextField(holder="case")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=100, default="application/octet-stream")
    blob_path = models.CharField(max_length=255, blank=True, help_text="Relative to DATA_DIR.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # the plain-language problems, sealed: they often quote the record ("the page
    # naming Hester Smith's biopsy could not be read"); nothing queries them, the
    # queues count documents by `state` alone
    reasons = SealedJSONField(holder="case", default=list, blank=True)
    engine_doc_id = models.CharField(max_length=64, blank=True)
    engine_doc_ids = models.JSONField(default=list, blank=True)  # an archive gives several
    doc_type = models.CharField(max_length=40, blank=True)
    doc_type_override = models.CharField(max_length=40, blank=True)
    doc_type_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sha256"], name="one_upload_per_content")
        ]
        indexes = [models.Index(fields=["state", "lease_expires_at"])]

    @property
    def effective_doc_type(self) -> str:
        return self.doc_type_override or self.doc_type


class FactCorrection(models.Model):
    """A person's correction of a fact; mirrors casebridge.engine.case.Correction
    and is handed to the engine on every refresh, so it survives re-processing."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    fact_id = models.CharField(max_length=64)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = SealedTextField(holder="case")
    value = SealedTextField(holder="case", null=True, blank=True)
    rejected = models.BooleanField(default=False)
    kind = models.CharField(max_length=60, null=True, blank=True)
    context = models.CharField(max_length=20, null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def to_engine(self) -> Correction:
        return Correction(
            fact_id=self.fact_id,
            by=self.by.display_name,
            at=self.at.isoformat(timespec="seconds"),
            reason=self.reason,
            value=self.value,
            rejected=self.rejected,
            kind=self.kind,
            context=self.context,
        )


class Consent(models.Model):
    class Kind(models.TextChoices):
        PROCESSING_ART9 = "processing_art9", "Processing of health data (UK GDPR art. 9)"
        TRANSFER_ABROAD = "transfer_abroad", "Transfer to a reviewing team abroad"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    text_version = models.CharField(max_length=40, help_text="Version of the wording shown.")
    language = models.CharField(max_length=10, default="en")
    country = models.CharField(max_length=2, blank=True, help_text="Destination, ISO alpha-2.")
    # who may receive the case (department ids of the directory): sealed, a
    # department names what the patient has
    recipients = SealedJSONField(holder="case", default=list, blank=True)
    given_at = models.DateTimeField(auto_now_add=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["given_at", "pk"]
        indexes = [
            models.Index(
                fields=["case", "kind"], condition=Q(withdrawn_at=None), name="active_consent"
            )
        ]

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class Message(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = SealedTextField(holder="case")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class DirectionChoice(models.Model):
    """The coordinator's choice of a China department and MDT disciplines for a
    case (issue 11, part 2), with the explanation the ranking gave at that
    moment (facts matched, what the patient asked for, what is still missing),
    so that the patient sees the choice and why, as it was made, in English and
    Chinese. A later choice replaces it (`active`); none is ever edited."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="direction_choices")
    # Sealed like the explanation: which department (an oncology one, a
    # fertility one) and which disciplines say what the patient has.
    direction_id = SealedTextField(holder="case")
    directory_version = models.CharField(max_length=40, blank=True)
    # the directory's names and city, in both languages: {"hospital": {"en", "zh"}, ...}
    names = SealedJSONField(holder="case", default=dict)
    # discipline keys (knowledge/mdt_disciplines)
    disciplines = SealedJSONField(holder="case", default=list)
    # the ranking's explanation of this direction: sealed, it quotes the case's facts
    explanation = SealedJSONField(holder="case", default=dict)
    note = SealedTextField(holder="case", blank=True)  # the coordinator's words to the patient
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-chosen_at", "-pk"]
        constraints = [
            # two coordinators choosing at once cannot leave two active choices
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(active=True),
                name="cases_one_active_direction_choice",
            )
        ]


class CasePack(models.Model):
    """One version of what is sent to the chosen department abroad (issue 11,
    part 3): built from the case as it was (engine/pack), approved by the
    patient exactly as built (the hash they saw), then sent. A built pack never
    changes; new records make a new version, and an unsent older one is
    superseded."""

    class State(models.TextChoices):
        BUILDING = "building", "Being prepared"
        READY = "ready", "Ready for the patient's approval"
        APPROVED = "approved", "Approved by the patient"
        SENT = "sent", "Sent"
        SUPERSEDED = "superseded", "Replaced by a newer version"
        FAILED = "failed", "Could not be prepared"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="packs")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.BUILDING)
    # the department it is for (a directory id): sealed, it says what the patient has
    recipient = SealedTextField(holder="case")
    case_version = models.PositiveIntegerField()  # the case's version it was built from
    sha256 = models.CharField(max_length=64, blank=True)  # of the manifest (engine/pack)
    manifest = SealedJSONField(holder="case", default=dict)
    error = models.TextField(blank=True)  # why it could not be prepared, in plain words
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="cases_one_pack_number")
        ]


class PackFile(models.Model):
    """One file of a pack, stored encrypted like a document (storage.py)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    pack = models.ForeignKey(CasePack, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField()
    name = SealedTextField(holder="case")  # originals/01-pathology-2026-09-08.pdf
    media_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    blob_path = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["position"]


class InternalNote(models.Model):
    """Staff only: never shown to the patient or family."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = SealedTextField(holder="case")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class AuditEvent(models.Model):
    """Who did or read what, when, with the data before and after. Rows are only
    ever added; they outlive the case they describe (case_pseudonym stays).

    Tamper-evident: `seq` numbers the rows 1, 2, 3 … and `hmac` chains each row
    to the one before with the audit key, kept outside the database
    (cases/auditchain.py; written by cases/audit.record, checked by
    `manage.py verify_audit`). On PostgreSQL a trigger refuses UPDATE and
    DELETE of rows, except the foreign keys set NULL when a case or user goes
    (migration 0006)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)  # kept if the user goes
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    case_pseudonym = models.CharField(max_length=11, blank=True)
    action = models.CharField(max_length=60)  # e.g. case.read, document.uploaded
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Sealed with the key of the case (or, before there is one, the enquiry)
    # the row is about, inside a JSON envelope the HMAC covers (audit.record);
    # clear JSON when there is no such holder. Read as the value written.
    before = SealedEnvelopeField(null=True, blank=True)
    after = SealedEnvelopeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    # Set by audit.record before the HMAC is computed over it (not auto_now_add,
    # which would overwrite it at save).
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    seq = models.BigIntegerField(unique=True, editable=False)
    hmac = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["action"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.case_pseudonym}"

    def envelope_holder(self, kind: str) -> KeyHolder | None:
        """Whose key opens this row's before/after: its case, or the enquiry it
        is about. None once that is gone (erased): the details stay sealed."""
        if kind == Case.KIND:
            if self.case_id is None:
                return None
            if AuditEvent.case.is_cached(self):
                return self.case
            model: type[models.Model] = Case
            pk: Any = self.case_id
        elif kind == Enquiry.KIND and self.object_type == "enquiry" and self.object_id.isdigit():
            model, pk = Enquiry, int(self.object_id)
        else:
            return None
        cached = self.__dict__.get("_casebridge_envelope_holder")
        if cached is None or cached.pk != pk:
            cached = model._base_manager.only(*model.KEY_FIELDS).filter(pk=pk).first()  # type: ignore[attr-defined]
            self.__dict__["_casebridge_envelope_holder"] = cached
        return cached if isinstance(cached, KeyHolder) else None

    def seal_details(self, holder: KeyHolder | None) -> None:
        """Put before/after in their envelopes, sealed with `holder`'s key
        (audit.record calls it before computing the row's HMAC)."""
        if holder is None:
            return
        table = self._meta.db_table
        for name in ("before", "after"):
            value = sealed.stored_value(self, name)
            if value is not None and not sealed.is_envelope(value):
                self.__dict__[name] = sealed.seal_json(holder, table, name, value)


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """A JSON-safe dict of some fields of a row, for AuditEvent.before/after."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[name] = value
    return out


# The patient's own questions, and the reviewers and their assignments, in
# their own modules (see their docstrings).
from casebridge.web.cases.question_models import PatientQuestion as PatientQuestion  # noqa: E402
from casebridge.web.cases.review_models import (  # noqa: E402
    DisciplineOpinion as DisciplineOpinion,
)
from casebridge.web.cases.review_models import Opinion as Opinion  # noqa: E402
from casebridge.web.cases.review_models import PackSeries as PackSeries  # noqa: E402
from casebridge.web.cases.review_models import (  # noqa: E402
    ReviewAssignment as ReviewAssignment,
)
from casebridge.web.cases.review_models import (  # noqa: E402
    ReviewerProfile as ReviewerProfile,
)
from casebridge.web.cases.review_models import ReviewSeat as ReviewSeat  # noqa: E402
