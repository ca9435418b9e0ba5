"""The case's history as a coordinator reads it: each audit action in plain
words (never "case.status_changed"), in the page's language. An action not
listed reads as a change of its kind ("a change to the pack"), still no code."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from casebridge.web.cases.audit_text import SHARED_AUDIT_TEXT

# each audit action in the staff's words: the shared wording (cases/audit_text.py),
# then what a coordinator reads differently
AUDIT_TEXT: dict[str, Any] = {
    **SHARED_AUDIT_TEXT,
    "case.created": _("created the case"),
    "case.paused_for_safety": _("paused the case for safety"),
    "case.safety_flag": _("raised a safety flag"),
    "case.safety_reviewed": _("reviewed the amber safety flags"),
    "case.direction_chosen": _("chose a department to review the case"),
    "case.downloaded": _("downloaded the case"),
    "case.processing_stopped": _("stopped all work on the case: consent to processing withdrawn"),
    "case.processing_resumed": _("resumed work on the case: consent to processing given again"),
    "document.held": _("kept a document unread until consent is given again"),
    "note.added": _("added an internal note"),
    "document.retry": _("tried reading a document again"),
    "document.requeued": _("queued a document to be read again"),
    "member.invited": _("invited a family member or caregiver"),
    "member.invitation_accepted": _("accepted an invitation to the case"),
    "member.invitation_opened": _("opened the invitation's link"),
    "member.invitation_link_refused": _("opened an invitation's link that could no longer be used"),
    "member.invite_mail_limited": _("was not e-mailed the invitation again (too many e-mails)"),
    "member.invite_refused": _("could not invite someone to the case"),
    "question.moved": _("reordered the questions"),
    "records.requested": _("asked the patient for a record"),
    "pack.requested": _("asked for a new version of the pack"),
    "pack.built": _("prepared a version of the pack"),
    "pack.failed": _("could not prepare the pack"),
    "pack.approved": _("approved a version of the pack"),
    "pack.sent": _("sent the pack to the department"),
    "pack.superseded": _("replaced a version of the pack"),
    "pack.file_read": _("opened a file of the pack"),
    "review.assigned": _("opened the case to reviewers"),
    "review.revoked": _("ended the reviewers' access"),
    "images.opened": _("looked at the scans"),
    "opinion.draft_saved": _("saved a draft of the team's opinion"),
    "opinion.draft_discarded": _("discarded a draft of the team's opinion"),
    "opinion.released": _("released the team's opinion to the patient"),
}

# the first part of an action, for one not listed above
AREA_TEXT: dict[str, Any] = {
    "case": _("a change to the case"),
    "document": _("a change to a document"),
    "fact": _("a change to a fact"),
    "consent": _("a change to a consent"),
    "member": _("a change to who may see the case"),
    "records": _("a change to a record request"),
    "pack": _("a change to the pack"),
    "review": _("a change to the review"),
    "opinion": _("a change to the opinion"),
    "question": _("a change to the questions"),
}


def audit_text(action: str) -> Any:
    """`action` (an audit row's) in plain words."""
    return AUDIT_TEXT.get(action) or AREA_TEXT.get(action.split(".")[0], _("another change"))


# what a download was, by the file its audit row names (portal/case_pages.py, audited_attachment)
DOWNLOAD_TEXT: dict[str, Any] = {
    "summary-en.pdf": _("downloaded the summary (English, PDF)"),
    "summary-zh.pdf": _("downloaded the summary (Chinese, PDF)"),
    "fhir.json": _("downloaded the health record file (FHIR)"),
}


def event_text(event: Any) -> Any:
    """An audit row's action in plain words; a download says what was downloaded
    (its row's details: opened with the case's key, the case already at hand)."""
    if event.action == "case.downloaded":
        try:
            after = event.after or {}
        except Exception:  # noqa: BLE001  # sealed for good (the case erased): the action alone
            after = {}
        name = str(after.get("file", "")) if isinstance(after, dict) else ""
        if name in DOWNLOAD_TEXT:
            return DOWNLOAD_TEXT[name]
        if name.endswith((".txt", ".pdf", ".md")):
            return _("downloaded a letter asking for records")
    return audit_text(event.action)
