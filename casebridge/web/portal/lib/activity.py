"""Who opened my case: the audit rows about a case, each action in the
patient's words, grouped for the activity page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casebridge.web.accounts.models import User
from casebridge.web.cases import matching, reviews
from casebridge.web.cases.audit_text import SHARED_AUDIT_TEXT
from casebridge.web.cases.models import (
    AuditEvent,
    Case,
)
from casebridge.web.portal.lib.wording import LABEL_TEXT, RELATIONSHIP_TEXT, ROLE_TEXT

# each audit action in the patient's words: the shared wording (cases/audit_text.py),
# then what the patient reads differently ("your case")
AUDIT_TEXT: dict[str, Any] = {
    **SHARED_AUDIT_TEXT,
    "case.read": _("opened the case"),
    "case.created": _("opened this case"),
    "case.downloaded": _("downloaded"),
    "case.processing_stopped": _("stopped reading the records (consent withdrawn)"),
    "case.processing_resumed": _("went on reading the records (consent given again)"),
    "document.held": _("kept a document unread (consent withdrawn)"),
    "member.invited": _("invited someone"),
    "records.requested": _("asked for a record"),
    "pack.requested": _("asked for a version of what is sent to be prepared"),
    "pack.approved": _("approved what is sent"),
    "pack.sent": _("sent your case to the department"),
    "pack.file_read": _("opened a file of what is sent"),
    "review.assigned": _("opened your case to the department's reviewers"),
    "review.revoked": _("ended the reviewers' access to your case"),
    "case.direction_chosen": _("chose a department to review your case"),
    "opinion.draft_saved": _("wrote a draft of the team's opinion"),
    "opinion.released": _("shared the team's opinion with you"),
    "images.opened": _("looked at your scans"),
    "pack.superseded": _("replaced a version of what is sent"),
    "pack.failed": _("could not prepare what is sent"),
    "pack.built": _("prepared a version of what is sent"),
    "pack.name_choice": _("chose whether your name goes with what is sent"),
    "case.paused_for_safety": _("paused the case to check on your safety"),
    "case.safety_flag": _("noted a possible urgent symptom"),
    "case.safety_reviewed": _("checked a possible urgent symptom"),
    "document.requeued": _("put a document back in line to be read"),
    "document.retry": _("tried again to read a document"),
    "enquiry.read": _("opened your enquiry"),
    "enquiry.red_flag_cleared": _("checked the urgent symptoms in your enquiry"),
    "member.invitation_opened": _("opened an invitation"),
    "member.invitation_link_refused": _("opened an invitation link that no longer works"),
    "member.invitation_accepted": _("accepted an invitation"),
    "member.invite_refused": _("could not invite someone"),
    "member.invite_mail_limited": _("held back an invitation e-mail (too many in a short time)"),
    "member.permissions_changed": _("changed what someone may do"),
    "note.added": _("added a note for the team"),
    "opinion.draft_discarded": _("set aside a draft of the team's opinion"),
    "question.moved": _("moved a question"),
}


def audit_log(case: Case, limit: int = 500) -> list[AuditEvent]:
    """Every row about the case, newest first: who opened, downloaded or changed it."""
    return list(
        AuditEvent.objects.filter(Q(case=case) | Q(case_pseudonym=case.pseudonym))
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )


def audit_text(event: AuditEvent) -> Any:
    return action_text(event.action)


def action_text(action: str) -> Any:
    """What an audit action means, for the patient ("opened the case")."""
    return AUDIT_TEXT.get(action, action.replace(".", " ").replace("_", " "))


# -- who opened my case ---------------------------------------------------------------
YOU, PERSON, SYSTEM, LABEL, INVITEE = "you", "person", "system", "label", "invitee"
# the patient's own side: their openings are grouped with their family's
OWN_SIDE_ROLES = frozenset({"patient", "family"})

# an invitation's link is opened before anyone signs in: the row names the
# membership, so the line names the person invited, not "someone not signed in"
INVITEE_TEXT: dict[str, Any] = {
    "member.invitation_opened": _("opened the invitation link"),
    "member.invitation_link_refused": _("opened an invitation link that no longer works"),
}

# things done to one thing each time: "added 2 documents", not "added a document 2 times"
# (counted by the distinct things; the same document twice is still "2 times")
COUNTED_TEXT: dict[str, tuple[str, str]] = {
    "document.uploaded": ("added %(n)s document", "added %(n)s documents"),
    "document.processed": ("finished reading %(n)s document", "finished reading %(n)s documents"),
    "document.held": ("kept %(n)s document unread", "kept %(n)s documents unread"),
    "question.added": ("added %(n)s question", "added %(n)s questions"),
}


@dataclass
class ActivityGroup:
    """The rows of one person (or casebridge) doing one thing on one day:
    "You — opened the case 12 times on 7 Dec 2026, last at 14:02"."""

    kind: str  # YOU, PERSON (name, role, department), SYSTEM or LABEL (a gone user)
    name: str
    role: Any
    department: str
    what: Any
    day: dt.date
    times: list[dt.datetime] = field(default_factory=list)  # newest first
    action: str = ""
    objects: set[str] = field(default_factory=set)  # what each row was done to

    @property
    def count(self) -> int:
        return len(self.times)

    @property
    def counted(self) -> str:
        """ "added 2 documents" when each time was done to a different thing of a
        kind COUNTED_TEXT counts; "" otherwise (the line says "N times")."""
        words = COUNTED_TEXT.get(self.action)
        n = len(self.objects)
        if words is None or self.count < 2 or n != self.count:
            return ""
        return ngettext(words[0], words[1], n) % {"n": n}

    @property
    def last(self) -> dt.datetime:
        return self.times[0]


@dataclass
class Activity:
    """The log of who opened the case, for the patient: other people (staff and
    reviewers abroad) first, then the patient and their family, then what
    casebridge did by itself; each as groups, the most recent first."""

    others: list[ActivityGroup]
    own_side: list[ActivityGroup]
    automatic: list[ActivityGroup]

    @property
    def rows(self) -> int:
        return sum(g.count for g in (*self.others, *self.own_side, *self.automatic))


def activity(case: Case, viewer: Any, lang: str) -> Activity:
    """The audit log of `case` grouped for display, per person, per day and per
    thing done; every row of the case counted, none hidden (unlike audit_log,
    no limit: only four small columns a row are read, never the sealed
    details). Three queries whatever the rows: the rows, the people in them
    and the departments of the reviewers among them, and the case's memberships:
    a relative is labelled by their membership ("Family member"), whatever their
    account's role, and an invitation link opened before signing in is put down
    to the person it invited."""
    rows = list(
        AuditEvent.objects.filter(Q(case=case) | Q(case_pseudonym=case.pseudonym))
        .order_by("-at", "-pk")
        .values_list("actor_id", "actor_label", "action", "at", "object_type", "object_id")
    )
    members = {str(m.pk): m for m in case.members.select_related("user")}
    relationships = {m.user_id: m.relationship for m in members.values()}
    actor_ids = {actor_id for actor_id, *_ in rows if actor_id}
    actors = User.objects.in_bulk(actor_ids) if actor_ids else {}
    departments = reviews.departments_of(actor_ids)
    names = matching.recipient_names(lang) if departments else {}
    sections: dict[str, dict[tuple[Any, ...], ActivityGroup]] = {
        "others": {},
        "own_side": {},
        "automatic": {},
    }
    for actor_id, label, action, moment, object_type, object_id in rows:  # newest first
        actor = actors.get(actor_id) if actor_id else None
        invitee = (
            members.get(object_id)
            if actor is None and action in INVITEE_TEXT and object_type == "casemember"
            else None
        )
        who: tuple[Any, ...]
        name, role, what = "", "", action_text(action)
        if actor is not None:
            name = actor.display_name
            relationship = relationships.get(actor.pk) if actor.pk != case.owner_id else None
            role = RELATIONSHIP_TEXT.get(relationship, "") if relationship else ""
            role = role or ROLE_TEXT.get(actor.role, actor.role)
        if actor is not None and actor.pk == viewer.pk:
            kind, section, who = YOU, "own_side", ("user", actor.pk)
        elif actor is not None:
            kind, who = PERSON, ("user", actor.pk)
            own = actor.role in OWN_SIDE_ROLES or actor.pk in relationships
            section = "own_side" if own else "others"
        elif invitee is not None:  # the person invited, before they signed in
            kind, section, who = INVITEE, "own_side", ("invitee", invitee.pk)
            name, what = invitee.user.display_name, INVITEE_TEXT[action]
        elif label == "system":
            kind, section, who = SYSTEM, "automatic", ("system",)
        else:  # a user since removed (their label kept) or someone not signed in
            kind, section, who = LABEL, "others", ("label", label)
        at = timezone.localtime(moment)
        key = (*who, at.date(), action)
        group = sections[section].get(key)
        if group is None:
            group = sections[section][key] = ActivityGroup(
                kind=kind,
                name=name or LABEL_TEXT.get(label, label),
                role=role,
                department=names.get(departments.get(actor_id or 0, ""), ""),
                what=what,
                day=at.date(),
                action=action,
            )
        group.times.append(at)
        group.objects.add(f"{object_type}:{object_id}")
    return Activity(
        others=list(sections["others"].values()),
        own_side=list(sections["own_side"].values()),
        automatic=list(sections["automatic"].values()),
    )
