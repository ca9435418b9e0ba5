"""Reads for the documents section of the console's case page (no state
changes): a page of a case's documents, those that need a person first.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator

from casebridge.web.cases.lib import TypeFlag, open_type_flags
from casebridge.web.cases.models import Case, Document

# Documents that need a person.
ATTENTION_STATES = (Document.State.NEEDS_ATTENTION, Document.State.FAILED)

# -- the documents of a case page ------------------------------------------------------


@dataclass
class DocumentRow:
    document: Document
    engine_docs: list[Any]
    flag: TypeFlag | None = None

    @property
    def needs_person(self) -> bool:
        return self.flag is not None or self.document.state in ATTENTION_STATES


class DocumentPage:
    """A page of a case's documents: which ones and in what order, known from
    ids and states alone; the rows themselves are loaded only when asked for
    (a page rendered earlier, under the same key, is not rendered again)."""

    def __init__(
        self,
        case: Case,
        engine_docs: dict[str, Any],
        page: Page[int],
        states: dict[int, str],
        flags: dict[int, TypeFlag],
        attention: int,
    ) -> None:
        self.page = page  # the page of document ids (numbers, links)
        self.attention = attention  # documents that need a person, on every page
        self._case = case
        self._engine_docs = engine_docs
        self._flags = flags
        shown = list(page.object_list)
        # Names what the page shows: its documents and their states (a state
        # changes with what the worker read: type, reasons, engine ids) and
        # the patient's flags. The type overrides and the engine's reading of
        # each document move the case's version and engine token, also keys.
        self.key = hashlib.sha256(
            repr(
                (
                    page.number,
                    page.paginator.count,
                    attention,
                    [(pk, states.get(pk)) for pk in shown],
                    sorted((pk, repr(flags[pk])) for pk in shown if pk in flags),
                )
            ).encode()
        ).hexdigest()[:24]

    @functools.cached_property
    def rows(self) -> list[DocumentRow]:
        shown = list(self.page.object_list)
        loaded = self._case.documents.in_bulk(shown)
        return [
            DocumentRow(
                document=doc,
                engine_docs=[
                    self._engine_docs[i] for i in doc.engine_doc_ids if i in self._engine_docs
                ],
                flag=self._flags.get(doc.pk),
            )
            for doc in (loaded.get(pk) for pk in shown)
            if doc is not None
        ]


def document_page(
    case: Case, engine_docs: dict[str, Any], number: Any, per_page: int
) -> DocumentPage:
    """A page of the case's documents for the console: those that need a person
    first (unreadable, failed, or flagged by the patient as the wrong type),
    then the newest first. Two queries, whatever the number of documents (a
    third when the rows are rendered): the order is worked out on ids and
    states, only the page's rows are loaded."""
    flags = open_type_flags(case)
    light = list(case.documents.order_by("-created_at", "-pk").values_list("pk", "state"))
    needs = {pk for pk, state in light if pk in flags or state in ATTENTION_STATES}
    # sorted() keeps the newest-first order within each group.
    ordered = sorted((pk for pk, _ in light), key=lambda pk: pk not in needs)
    page = Paginator(ordered, per_page).get_page(number)
    return DocumentPage(case, engine_docs, page, dict(light), flags, len(needs))
