"""The patient's records as the portal lists them: each document's state and
progress in plain words, the overview's latest few, a page of a document's text and
the records the team asked for."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.case import Document as EngineDocument
from casebridge.engine.terminology import match_template
from casebridge.engine.terminology import table as terminology_table
from casebridge.web.cases.lib import doc_type_label
from casebridge.web.cases.models import (
    Case,
    Document,
    RecordRequest,
)
from casebridge.web.cases.withdrawal import is_held_reason
from casebridge.web.portal.lib.wording import ATTENTION_STATES, PENDING_STATES, STATE_TEXT

LATEST_DOCUMENTS = 5  # the overview lists the latest few records


@dataclass(frozen=True)
class DocumentState:
    state: str


def document_states(case: Case) -> list[DocumentState]:
    """Each record's state (one query, no rows built): for the case's progress."""
    return [DocumentState(s) for s in case.documents.order_by().values_list("state", flat=True)]


def latest_documents(case: Case, limit: int = LATEST_DOCUMENTS) -> list[DocumentRow]:
    """The records added last, newest first (one query)."""
    docs = case.documents.order_by("-created_at", "-pk")[:limit]
    lang = page_lang()
    return [document_row(doc, lang) for doc in docs]


# -- what we have asked the patient for -----------------------------------------------------


@dataclass(frozen=True)
class AskedRecord:
    """An open request for a record, as the patient's to-do list shows it."""

    title: str
    detail: str
    asked_at: dt.datetime


def open_record_requests(case: Case) -> list[AskedRecord]:
    """The records a coordinator asked for and has not closed (received or no
    longer needed), oldest first: one query, whatever their number. Read per
    page, never from a fragment cached per engine reading (it would go stale)."""
    # Through the case's related manager, so that every row has its case (and
    # so its key) without a query per row; instances, not values_list(): title
    # and detail are sealed and open only through the model.
    rows = (
        case.record_requests.filter(state=RecordRequest.State.OPEN)
        .select_related(None)
        .only("case_id", "title", "detail", "created_at")
        .order_by("created_at", "pk")
    )
    return [AskedRecord(row.title, row.detail, row.created_at) for row in rows]


@dataclass
class DocumentRow:
    document: Document
    state_text: Any
    pending: bool
    doc_type: str  # the type in the page's language ("Pathology report"), "" before it is read
    flagged: bool
    engine_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(
        default_factory=list
    )  # why it needs a person, in the page's language
    progress: str = ""  # a plain note while it waits or is read

    @property
    def attention(self) -> bool:
        return self.document.state in ATTENTION_STATES


def page_lang() -> str:
    from casebridge.web.portal.content import current_lang

    return current_lang()


def reason_text(reason: str, lang: str) -> str:
    """Why a document needs a person, as the engine wrote it, or in Chinese the
    curated wording of the same sentence (knowledge/terminology_zh.yaml
    attention, as the summary shows it); unchanged when the table has none."""
    if lang != "zh":
        return reason
    for term in terminology_table().in_category("attention"):
        values = match_template(term.en, reason)
        if values is not None:
            return term.zh.format(**values) if values else term.zh
    return reason


def progress_note(doc: Document) -> str:
    """What can be said of a record not yet read: waiting, or being read since
    when (and whether this is another try). Nothing is known of its pages until
    it has been read; the list says once, above, that a long scan takes minutes."""
    if doc.state == Document.State.QUEUED:
        return gettext("It will be read soon. You do not need to do anything.")
    if doc.state == Document.State.HELD:
        return gettext(
            "Consent to processing was withdrawn, so this file is kept safely (encrypted) "
            "but not read. It will be read if consent is given again."
        )
    if doc.state != Document.State.PROCESSING:
        return ""
    if doc.attempts > 1:
        return gettext(
            "Reading it again after a problem (try %(n)s of %(most)s). "
            "You do not need to do anything."
        ) % {"n": doc.attempts, "most": settings.DOCUMENT_MAX_ATTEMPTS}
    if doc.started_at is None:
        return ""
    started = formats.time_format(timezone.localtime(doc.started_at))
    return gettext("Started at %(time)s.") % {"time": started}


def document_row(doc: Document, lang: str, flagged: bool = False) -> DocumentRow:
    reasons = [
        reason_text(str(r), lang)
        for r in (doc.reasons or [])
        # the hold's own reason is said, translated, by progress_note
        if not (doc.state == Document.State.HELD and is_held_reason(r))
    ]
    if doc.state in ATTENTION_STATES and not reasons:
        reasons = [gettext("It could not be read.")]
    return DocumentRow(
        document=doc,
        state_text=STATE_TEXT.get(doc.state, doc.state),
        pending=doc.state in PENDING_STATES,
        doc_type=doc_type_label(doc.effective_doc_type or "", lang),
        flagged=flagged,
        engine_ids=list(doc.engine_doc_ids or ([doc.engine_doc_id] if doc.engine_doc_id else [])),
        reasons=reasons,
        progress=progress_note(doc),
    )


def document_rows(case: Case, flagged: set[str]) -> list[DocumentRow]:
    lang = page_lang()
    return [document_row(doc, lang, str(doc.pk) in flagged) for doc in case.documents.all()]


@dataclass(frozen=True)
class ListStatus:
    """The records at a glance, for the list's live region: read out when it changes."""

    text: str
    polling: bool  # some record is waiting or being read
    key: str  # names what the list shows: the same key, the same list


def list_status(rows: list[DocumentRow], flagged: set[str]) -> ListStatus:
    total = len(rows)
    pending = sum(1 for r in rows if r.pending)
    attention = sum(1 for r in rows if r.attention)
    done = sum(1 for r in rows if r.document.state == Document.State.PROCESSED)
    parts: list[str] = []
    if total:
        parts.append(
            ngettext(
                "%(done)s of %(total)s record read.", "%(done)s of %(total)s records read.", total
            )
            % {"done": done, "total": total}
        )
    if pending:
        parts.append(
            ngettext("%(n)s is waiting or being read.", "%(n)s are waiting or being read.", pending)
            % {"n": pending}
        )
    if attention:
        parts.append(
            ngettext(
                "%(n)s needs a person to look at it.",
                "%(n)s need a person to look at them.",
                attention,
            )
            % {"n": attention}
        )
    seen = repr(
        (
            [(r.document.pk, r.document.state, r.document.attempts) for r in rows],
            sorted(flagged),
            page_lang(),
        )
    )
    key = hashlib.sha256(seen.encode()).hexdigest()[:16]
    sentences = "".join(parts) if page_lang() == "zh" else " ".join(parts)  # no space after 。
    return ListStatus(text=sentences, polling=bool(pending), key=key)


def platform_document(case: Case, engine_doc_id: str) -> Document | None:
    """The uploaded file an engine document (or an archive member) came from."""
    for doc in case.documents.all():
        if engine_doc_id == doc.engine_doc_id or engine_doc_id in (doc.engine_doc_ids or []):
            return doc
    return None


@dataclass
class PageView:
    document: EngineDocument
    page_number: int
    page_count: int
    before: str
    marked: str
    after: str


def page_view(
    engine: EngineCase, engine_doc_id: str, page: int, start: int = 0, end: int = 0
) -> PageView | None:
    """One page of a document's text, with characters start..end to highlight."""
    doc = engine.document(engine_doc_id)
    if doc is None or not doc.pages:
        return None
    page = min(max(page, 1), len(doc.pages))
    text = doc.pages[page - 1].text
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end < start:
        start, end = end, start
    return PageView(doc, page, len(doc.pages), text[:start], text[start:end], text[end:])


def engine_documents_of(case: Case, document: Document, engine: EngineCase) -> list[EngineDocument]:
    ids = document.engine_doc_ids or ([document.engine_doc_id] if document.engine_doc_id else [])
    return [d for d in (engine.document(i) for i in ids) if d is not None]
