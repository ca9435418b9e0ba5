"""Reads for the portal's pages: what a case's engine JSON and rows say, shaped
for templates, one module per concern. No state changes, no audit rows (the gate
and actions write them)."""

# The portal's view modules read these as lib.NAME (the views were split at the
# same time as lib): named here until those modules import the parts directly.
from casebridge.web.portal.lib.activity import activity as activity
from casebridge.web.portal.lib.documents import (
    document_row,
    document_rows,
    document_states,
    engine_documents_of,
    list_status,
    open_record_requests,
    page_view,
    platform_document,
)
from casebridge.web.portal.lib.facts import cached_fact_rows, fact_lines, find_fact
from casebridge.web.portal.lib.family import family_members
from casebridge.web.portal.lib.outputs import (
    Letter,
    cached_request_letters,
    fhir_json,
    summary_html,
    summary_pdf,
)
from casebridge.web.portal.lib.wording import CONSENT_KIND_TEXT, patient_name, status_text

__all__ = [
    "CONSENT_KIND_TEXT",
    "Letter",
    "activity",
    "cached_fact_rows",
    "cached_request_letters",
    "document_row",
    "document_rows",
    "document_states",
    "engine_documents_of",
    "fact_lines",
    "family_members",
    "fhir_json",
    "find_fact",
    "list_status",
    "open_record_requests",
    "page_view",
    "patient_name",
    "platform_document",
    "status_text",
    "summary_html",
    "summary_pdf",
]
