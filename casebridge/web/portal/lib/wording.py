"""How the portal names a case's status, a document's state, a fact's context,
someone's role and a consent, in the patient's words; and how the patient is named."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from casebridge.engine.kb import fact_kinds
from casebridge.web.accounts.models import User
from casebridge.web.cases import workflow
from casebridge.web.cases.models import (
    Case,
    CaseMember,
    Document,
)

STATUS_TEXT: dict[str, Any] = {
    workflow.ENQUIRY: _("We have your enquiry and will look at it soon."),
    "triage": _("A coordinator is checking whether we can help."),
    "collecting_records": _("We are collecting your records. Add any you have."),
    "ready_for_review": _("Your records are ready; we are finding the right team."),
    "matched": _(
        "Your coordinator has chosen a department in China to ask for a review of your case."
    ),
    "under_review": _("The reviewing team is looking at your case."),
    "opinion_ready": _("The opinion is ready. Your coordinator will go through it with you."),
    "post_review": _("Follow-up after the opinion."),
    "closed": _("This case is closed."),
    workflow.PAUSED_SAFETY: _(
        "Paused for your safety: a coordinator will contact you. "
        "In an emergency call 999 or NHS 111."
    ),
    workflow.WITHDRAWN: _("You withdrew this case."),
}

# The statuses whose wording speaks to the patient, as someone else (a relative)
# reads them: "%(name)s" is the patient's first name.
RELATIVE_STATUS_TEXT: dict[str, Any] = {
    "collecting_records": _("We are collecting %(name)s's records."),
    "ready_for_review": _("%(name)s's records are ready; we are finding the right team."),
    "matched": _(
        "The coordinator has chosen a department in China to ask for a review of %(name)s's case."
    ),
    "under_review": _("The reviewing team is looking at %(name)s's case."),
    "opinion_ready": _("The opinion is ready. The coordinator will go through it with %(name)s."),
    workflow.PAUSED_SAFETY: _(
        "Paused for %(name)s's safety: a coordinator will contact them. "
        "In an emergency call 999 or NHS 111."
    ),
    workflow.WITHDRAWN: _("%(name)s withdrew this case."),
}

STATE_TEXT: dict[str, Any] = {
    Document.State.QUEUED: _("Waiting to be read"),
    Document.State.PROCESSING: _("Being read"),
    Document.State.PROCESSED: _("Read"),
    Document.State.NEEDS_ATTENTION: _("Needs a person to look at it"),
    Document.State.FAILED: _("Needs a person to look at it"),
    Document.State.HELD: _("Kept safely, not read"),
}
PENDING_STATES = {Document.State.QUEUED, Document.State.PROCESSING}
ATTENTION_STATES = {Document.State.NEEDS_ATTENTION, Document.State.FAILED}

CONTEXT_TEXT: dict[str, Any] = {
    "negated": _("not present"),
    "possible": _("possible"),
    "historical": _("in the past"),
    "family": _("family history"),
}

# what "(possible)" beside a fact means, in plain words
POSSIBLE_MEANS = _("the record says this may be so; it is not confirmed")


# who someone is, on the patient's record of who opened their case
ROLE_TEXT: dict[str, Any] = {
    "patient": _("Patient"),
    "family": _("Family member or caregiver"),
    "coordinator": _("Coordinator"),
    "reviewer": _("Clinical reviewer"),
    "admin": _("Administrator"),
}


# who did something without an account of their own to name
LABEL_TEXT: dict[str, Any] = {"anonymous": _("Someone not signed in")}

# how the patient knows the people they invited
RELATIONSHIP_TEXT: dict[str, Any] = {
    CaseMember.Relationship.FAMILY: _("Family member"),
    CaseMember.Relationship.CAREGIVER: _("Caregiver"),
}

# what a consent is for, in the patient's language
CONSENT_KIND_TEXT: dict[str, Any] = {
    "processing_art9": _("Processing of your health data"),
    "transfer_abroad": _("Sending your case to a reviewing team abroad"),
}


def first_name(user: User) -> str:
    """How a patient is named to others (an invitation, a relative's pages): the
    first word of the account's name (an enquiry's name is the account's: cases
    migration 0026 and do_link_enquiry); their e-mail address when there is no
    name at all."""
    first = (user.full_name or "").split()
    return first[0] if first else user.display_name


def patient_name(case: Case) -> str:
    """The patient's first name, as their relatives' pages name them ("Alice's
    records"): a name only, never anything about the case (first_name)."""
    return first_name(case.owner)


def status_text(case: Case, patient: str = "") -> Any:
    """Where the case stands, in the patient's words, or naming the patient
    (`patient`, their first name) for someone else who reads it."""
    if patient and case.status in RELATIVE_STATUS_TEXT:
        return str(RELATIVE_STATUS_TEXT[case.status]) % {"name": patient}
    return STATUS_TEXT.get(case.status, case.get_status_display())


def kind_label(kind: str) -> str:
    return str(fact_kinds().get(kind, {}).get("label", kind.replace("_", " ")))
