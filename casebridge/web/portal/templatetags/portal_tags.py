"""Template helpers for the patient's pages.

Reads only, no state changes: the facts table grouped by value (portal/facts.py),
the patient-facing progress of a case (what happens next), the request letter
as simple HTML or plain text, and ISO timestamps formatted for people (the
`when` filter of cases/templatetags/dates.py, registered here too).

Load with {% load portal_tags %}.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casebridge.engine.terminology import Span
from casebridge.web.cases import workflow
from casebridge.web.cases.models import Case, Consent, Document, Enquiry
from casebridge.web.cases.templatetags.dates import when
from casebridge.web.cases.wording import patient_gaps as _patient_gaps
from casebridge.web.cases.wording import spans_html as _spans_html
from casebridge.web.portal import content
from casebridge.web.portal.facts import FactGroup, group_fact_rows
from casebridge.web.portal.forms import PROGRAMME_LABELS
from casebridge.web.portal.lib.facts import Disagreement, FactLine
from casebridge.web.portal.lib.timeline import TimelineDay, date_words
from casebridge.web.portal.lib.timeline import patient_timeline as _patient_timeline
from casebridge.web.portal.lib.wording import patient_name, status_text

register = template.Library()

ENQUIRY_SESSION_KEY = "portal_enquiry_id"  # views_enquiry.ENQUIRY_KEY
PENDING = {Document.State.QUEUED, Document.State.PROCESSING}
PROBLEMS = {Document.State.NEEDS_ATTENTION, Document.State.FAILED}
EARLY = {workflow.ENQUIRY, workflow.TRIAGE, workflow.COLLECTING_RECORDS}


# -- facts: one row per value (grouped in portal/facts.py) ---------------------------------


@register.filter
def group_facts(rows: Iterable[Any]) -> list[FactGroup]:
    return group_fact_rows(rows or [])


def spans_html(spans: Iterable[Span], lang: str | None = None) -> SafeString:
    """Words in the page's language (cases.wording.spans_html)."""
    return _spans_html(spans, lang or content.current_lang())


@register.filter
def spans(value: Iterable[Span] | None) -> SafeString:
    return spans_html(value or [])


@register.filter
def own_facts(lines: Iterable[FactLine]) -> list[FactLine]:
    """The patient's own facts (never a relative's)."""
    return [line for line in lines or [] if not getattr(line, "family", False)]


@register.filter
def family_facts(lines: Iterable[FactLine]) -> list[FactLine]:
    """Facts about the patient's relatives (context "family", family history)."""
    return [line for line in lines or [] if getattr(line, "family", False)]


@register.filter
def any_possible(lines: Iterable[FactLine]) -> bool:
    return any(getattr(line, "context", "") == "possible" for line in lines or [])


@register.filter
def disagreements(lines: Iterable[FactLine]) -> list[Disagreement]:
    """The conflicts of the rows listed, each once, in the rows' order."""
    found: list[Disagreement] = []
    for line in lines or []:
        disagreement = getattr(line, "disagreement", None)
        if disagreement is not None and all(d is not disagreement for d in found):
            found.append(disagreement)
    return found


# -- consent: which wording, in plain words (never the version id) ----------------------


def wording_of(kind: str, version: str, lang: str | None = None) -> str:
    """ "the current wording (of 23 November 2026)", "the wording of 23 November 2026" or "an
    earlier wording": a consent's text version as the patient reads it."""
    lang = lang or content.current_lang()
    dated = content.consent_dated(kind, version)
    day = date_words(dated, "day", lang, full=True) if dated else ""
    if version == content.consent_text(kind, lang).version:
        if day:
            return _("the current wording, of %(date)s") % {"date": day}
        return _("the current wording")
    if day:
        return _("the wording of %(date)s") % {"date": day}
    return _("an earlier wording")


@register.filter
def consent_wording(text: Any) -> str:
    """The wording shown (a content.ConsentText): "the current wording, of 23 November 2026"."""
    return wording_of(text.kind, text.version)


@register.filter
def consent_given_wording(consent: Consent) -> str:
    """What a given consent agreed to: "the current wording, of 23 November 2026, in English"."""
    what = wording_of(consent.kind, consent.text_version)
    if consent.language == "zh":
        return _("%(wording)s, in Chinese") % {"wording": what}
    if consent.language == "en":
        return _("%(wording)s, in English") % {"wording": what}
    return what


@dataclass(frozen=True)
class GapText:
    title: SafeString
    severity: str
    why: SafeString
    holder: SafeString


@register.filter
def patient_gaps(engine: Any) -> list[GapText]:
    """The engine's missing records in the page's language (lib.patient_gaps)."""
    lang = content.current_lang()
    return [
        GapText(
            spans_html(gap.title, lang),
            gap.severity,
            spans_html(gap.why, lang),
            spans_html(gap.holder, lang),
        )
        for gap in _patient_gaps(engine, lang)
    ]


@register.filter
def patient_timeline(engine: Any) -> list[TimelineDay]:
    """The engine's timeline grouped by date, in the page's language (lib.patient_timeline)."""
    return _patient_timeline(engine, content.current_lang())


# -- where the case stands, and the next step --------------------------------------------


@dataclass(frozen=True)
class Progress:
    text: str  # a sentence or two for the case's pages
    short: str  # a few words for the list of cases
    action_url: str = ""
    action_label: str = ""


def progress_for(
    case: Case,
    *,
    consent_given: bool,
    states: Sequence[str],
    is_owner: bool,
    may_upload: bool,
    essential_gaps: int = 0,
    owner_name: str = "",
) -> Progress:
    """What is happening with the case, in the patient's words, and what comes
    next: give consent, add records, records being read, a coordinator reviews.
    Past the early statuses (a coordinator has moved the case on), the status says it.

    `owner_name`: the patient's first name, for someone who is not the patient
    (a relative): the records are then "Alice's records", not "your records"."""
    if owner_name and not is_owner:
        relative = _relative_progress(
            case, consent_given, states, may_upload, owner_name, essential_gaps
        )
        if relative is not None:
            return relative
    status = case.status
    if status not in EARLY:
        text = str(status_text(case, "" if is_owner else owner_name))
        return Progress(text, text)
    pk = case.pseudonym
    if not consent_given:
        if is_owner:
            return Progress(
                _(
                    "Your case is open. Next step: give your consent, so that we may read "
                    "your records."
                ),
                _("Next: give your consent"),
                reverse("portal:consent", args=[pk]),
                _("Give consent"),
            )
        text = _("The patient needs to give consent before records can be added.")
        return Progress(text, _("Waiting for the patient's consent"))
    total = len(states)
    if total == 0:
        text = _("Next step: add your records: letters, reports, or photos of them.")
        if may_upload:
            return Progress(
                text,
                _("Next: add your records"),
                reverse("portal:documents", args=[pk]),
                _("Add records"),
            )
        return Progress(text, _("Next: add your records"))
    counts = Counter(states)
    pending = sum(counts[s] for s in PENDING)
    problems = sum(counts[s] for s in PROBLEMS)
    if pending:
        done = total - pending
        text = _(
            "We are reading your records: %(done)d of %(total)d read so far. "
            "This usually takes a few minutes; the Records page updates by itself."
        ) % {"done": done, "total": total}
        short = _("Reading your records (%(done)d of %(total)d)") % {"done": done, "total": total}
        return Progress(text, short)
    if problems:
        text = ngettext(
            "Your records have been read, but %(n)d could not be read fully: see Records. "
            "A coordinator will review your case next.",
            "Your records have been read, but %(n)d could not be read fully: see Records. "
            "A coordinator will review your case next.",
            problems,
        ) % {"n": problems}
        short = _("Some records need attention")
    else:
        text = ngettext(
            "Your record has been read. A coordinator will review your case next; "
            "you can add more records at any time.",
            "All %(n)d of your records have been read. A coordinator will review your "
            "case next; you can add more records at any time.",
            total,
        ) % {"n": total}
        short = _("Records read: a coordinator will review your case next")
    return _with_gaps(Progress(text, short), essential_gaps)


def _with_gaps(progress: Progress, essential_gaps: int) -> Progress:
    if not essential_gaps:
        return progress
    text = (
        progress.text
        + " "
        + _("Some important records are missing: see “Records that are missing”.")
    )
    return Progress(text, progress.short)


def _relative_progress(
    case: Case,
    consent_given: bool,
    states: Sequence[str],
    may_upload: bool,
    name: str,
    essential_gaps: int,
) -> Progress | None:
    """progress_for's early steps as a relative (or anyone not the patient) reads
    them, naming the patient; None where the patient's wording already fits."""
    if case.status not in EARLY or not consent_given:
        return None
    pk, total = case.pseudonym, len(states)
    if total == 0:
        text = _("Next step: add %(name)s's records: letters, reports, or photos of them.") % {
            "name": name
        }
        if may_upload:
            return Progress(
                text,
                _("Next: add records"),
                reverse("portal:documents", args=[pk]),
                _("Add records"),
            )
        return Progress(text, _("Next: add records"))
    counts = Counter(states)
    pending = sum(counts[s] for s in PENDING)
    problems = sum(counts[s] for s in PROBLEMS)
    if pending:
        done = total - pending
        values = {"name": name, "done": done, "total": total}
        text = (
            _(
                "We are reading %(name)s's records: %(done)d of %(total)d read so far. "
                "This usually takes a few minutes; the Records page updates by itself."
            )
            % values
        )
        short = _("Reading %(name)s's records (%(done)d of %(total)d)") % values
        return Progress(text, short)
    if problems:
        text = ngettext(
            "%(name)s's records have been read, but %(n)d could not be read fully: see "
            "Records. A coordinator will review the case next.",
            "%(name)s's records have been read, but %(n)d could not be read fully: see "
            "Records. A coordinator will review the case next.",
            problems,
        ) % {"name": name, "n": problems}
        return _with_gaps(Progress(text, _("Some records need attention")), essential_gaps)
    text = ngettext(
        "%(name)s's record has been read. A coordinator will review the case next; "
        "more records can be added at any time.",
        "All %(n)d of %(name)s's records have been read. A coordinator will review the "
        "case next; more records can be added at any time.",
        total,
    ) % {"name": name, "n": total}
    short = _("Records read: a coordinator will review the case next")
    return _with_gaps(Progress(text, short), essential_gaps)


def _states_of(case: Case, documents: Any) -> list[str]:
    if documents is not None:
        return [str(getattr(row, "document", row).state) for row in documents]
    return list(case.documents.values_list("state", flat=True))


def _has_consent(case: Case) -> bool:
    return case.consents.filter(
        kind=Consent.Kind.PROCESSING_ART9, withdrawn_at__isnull=True
    ).exists()


@register.simple_tag(takes_context=True)
def case_progress(context: template.Context) -> Progress | None:
    """{% case_progress as progress %} on a case page: uses the page's documents,
    consent and engine when it has them (no extra query), else asks once."""
    case = context.get("case")
    if not isinstance(case, Case):
        return None
    consent = context.get("consent_given")
    if consent is None:
        processing = context.get("processing")
        consent = bool(processing) if processing is not None else _has_consent(case)
    engine = context.get("engine")
    essential = 0
    if engine is not None:
        essential = sum(1 for gap in getattr(engine, "gaps", []) if gap.severity == "essential")
    is_owner = context.get("is_owner")
    if is_owner is None:  # a fragment (the polled list of records) without the page's context
        user = getattr(context.get("request"), "user", None)
        is_owner = user is not None and case.owner_id == user.pk
    return progress_for(
        case,
        consent_given=bool(consent),
        states=_states_of(case, context.get("documents")),
        is_owner=bool(is_owner),
        may_upload=bool(context.get("may_upload")),
        essential_gaps=essential,
        owner_name="" if is_owner else patient_name(case),
    )


@dataclass(frozen=True)
class CaseLine:
    case: Case
    programme: Any
    progress: Progress
    patient: str = ""  # the patient's first name on a case one follows, else ""


@register.simple_tag(takes_context=True)
def cases_progress(context: template.Context, cases: Iterable[Any]) -> list[CaseLine]:
    """The list of my cases with programme, status and next step: two queries
    for the whole list (consents, document states), never one per case."""
    items = [item[0] if isinstance(item, (tuple, list)) else item for item in cases or []]
    if not items:
        return []
    user = context.get("user")
    ids = [c.pk for c in items]
    consented = set(
        Consent.objects.filter(
            case_id__in=ids, kind=Consent.Kind.PROCESSING_ART9, withdrawn_at__isnull=True
        ).values_list("case_id", flat=True)
    )
    states: dict[int, list[str]] = {}
    for case_id, state in Document.objects.filter(case_id__in=ids).values_list("case_id", "state"):
        states.setdefault(case_id, []).append(state)
    lines = []
    for case in items:
        is_owner = user is not None and case.owner_id == user.pk
        lines.append(
            CaseLine(
                case=case,
                programme=PROGRAMME_LABELS.get(case.programme, case.get_programme_display()),
                progress=progress_for(
                    case,
                    consent_given=case.pk in consented,
                    states=states.get(case.pk, []),
                    is_owner=is_owner,
                    may_upload=False,  # the list links to the case, not to actions
                    owner_name="" if is_owner else patient_name(case),
                ),
                patient="" if is_owner else patient_name(case),
            )
        )
    return lines


# -- the enquiry of this browser session (sign-up) ------------------------------------


def _session_enquiry(context: template.Context) -> Enquiry | None:
    request = context.get("request")
    session = getattr(request, "session", None)
    if session is None:
        return None
    pk = session.get(ENQUIRY_SESSION_KEY)
    if not pk:
        return None
    enquiry = (
        Enquiry.objects.filter(pk=pk, user__isnull=True, case__isnull=True)
        .exclude(red_flag_state=Enquiry.RedFlag.FLAGGED)
        .first()
    )
    # the address is sealed: whether there is one is known once it is opened
    return enquiry if enquiry is not None and enquiry.email else None


@register.simple_tag(takes_context=True)
def enquiry_email(context: template.Context) -> str:
    """The e-mail address of the enquiry this browser just sent (not yet tied to
    an account), to prefill the sign-up form; '' when there is none."""
    enquiry = _session_enquiry(context)
    return enquiry.email if enquiry is not None else ""


@register.simple_tag(takes_context=True)
def unlinked_enquiry_email(context: template.Context) -> str:
    """For a signed-in person: the address of this browser's enquiry when it is
    not theirs (so it was not linked to the account), else ''."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return ""
    enquiry = _session_enquiry(context)
    if enquiry is None or enquiry.email.lower() == (user.email or "").lower():
        return ""
    return enquiry.email


# -- the request letter ------------------------------------------------------------------

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_BULLET = re.compile(r"^\s*[-*]\s+")


def _inline(line: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", str(escape(line)))


def letter_html_text(text: str) -> SafeString:
    """The letter's simple Markdown as HTML: escaped first, then paragraphs
    (blank lines), line breaks, bullet lists and **bold**. Nothing else."""
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(_BULLET.match(line) for line in lines):
            items = "".join(f"<li>{_inline(_BULLET.sub('', line))}</li>" for line in lines)
            parts.append(f"<ul>{items}</ul>")
        elif len(lines) == 1 and _HEADING.match(lines[0]):
            parts.append(f"<p><strong>{_inline(_HEADING.sub('', lines[0]))}</strong></p>")
        else:
            parts.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return mark_safe("\n".join(parts))  # noqa: S308  # nosec B308 B703 - escaped above


def letter_plain_text(text: str) -> str:
    """The letter as plain text to paste or print: no ** or # marks."""
    lines = [_HEADING.sub("", _BOLD.sub(r"\1", line)) for line in (text or "").split("\n")]
    return "\n".join(lines)


@register.filter
def letter_html(text: str) -> SafeString:
    return letter_html_text(text)


@register.filter
def letter_plain(text: str) -> str:
    return letter_plain_text(text)


# -- dates -----------------------------------------------------------------------------

# The console's pages use it too: it lives in cases (`{% load dates %}`), and
# portal pages keep it under this library as well.
register.filter("when", when)
