"""How an audit action is described to a person, where the patient's portal and
the coordinator's console say it the same way. Each app adds its own wording on
top (portal/lib/activity.py speaks to the patient, "your case"; console/history.py
to the staff) and names an action here only by these words; apps never import one
another, so what both say lives here.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# an action's words where the patient's and the staff's wording are the same
SHARED_AUDIT_TEXT: dict[str, Any] = {
    "case.status_changed": _("changed the status"),
    "case.assigned": _("assigned a coordinator"),
    "case.exported": _("downloaded a copy of everything"),
    "document.uploaded": _("added a document"),
    "document.read": _("opened a document"),
    "document.type_flagged": _("said a document has the wrong type"),
    "document.type_overridden": _("changed a document's type"),
    "document.processed": _("finished reading a document"),
    "document.failed": _("could not read a document"),
    "fact.corrected": _("corrected a fact"),
    "fact.restored": _("restored what the record says of a fact"),
    "fact.wrong_mark_undone": _("restored a fact that had been marked as wrong"),
    "consent.given": _("gave consent"),
    "consent.withdrawn": _("withdrew consent"),
    "member.invitation_resent": _("sent a new invitation link"),
    "member.revoked": _("removed someone's access"),
    "message.sent": _("sent a message"),
    "records.request_closed": _("closed a request for a record"),
    "question.added": _("added a question"),
    "question.edited": _("changed a question"),
    "question.removed": _("removed a question"),
    "opinion.discipline_saved": _("wrote part of the review"),
    "opinion.discipline_submitted": _("submitted their part of the review"),
    "opinion.signed": _("signed the team's opinion"),
}
