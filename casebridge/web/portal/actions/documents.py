"""The patient's records: uploads (checked, within quota, only with consent to
processing), a document said to have the wrong type, and what was read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from casebridge.engine.case import DOC_TYPES
from casebridge.engine.ingest.sniff import sniff
from casebridge.web.accounts.models import User
from casebridge.web.cases import audit
from casebridge.web.cases.access import require
from casebridge.web.cases.actions import (
    do_upload_document,
)
from casebridge.web.cases.audit import RequestMeta
from casebridge.web.cases.errors import ActionError, NotAllowed
from casebridge.web.cases.lib import open_type_flags
from casebridge.web.cases.models import (
    Case,
    Consent,
    Document,
)
from casebridge.web.cases.quota import check_upload_quota
from casebridge.web.portal.actions.fields import clean_field

# -- documents --------------------------------------------------------------------


@dataclass
class UploadResult:
    file_name: str
    document: Document | None = None
    error: str = ""
    duplicate: bool = False


def has_processing_consent(case: Case) -> bool:
    return case.consents.filter(
        kind=Consent.Kind.PROCESSING_ART9, withdrawn_at__isnull=True
    ).exists()


def check_upload(name: str, size: int, data: bytes) -> None:
    """Refuse, with a plain reason, a file too big or of a type casebridge cannot read."""
    if size <= 0:
        raise ActionError(f"'{name}' is empty: there is nothing to read.")
    if size > settings.MAX_UPLOAD_BYTES:
        raise ActionError(
            f"'{name}' is {size / 1e6:.0f} MB; the limit is "
            f"{settings.MAX_UPLOAD_BYTES / 1e6:.0f} MB. Split it, or send it to your coordinator."
        )
    kind = sniff(data)
    if kind.handler == "unsupported":
        raise ActionError(f"'{name}' was not added. {kind.reason}.")


def do_upload_documents(
    case: Case,
    *,
    acting_user: User,
    files: Iterable[tuple[str, int, Any]],
    meta: RequestMeta | None = None,
) -> list[UploadResult]:
    """Upload several files: each (name, size, a callable returning its bytes or
    the bytes). Each file succeeds or fails on its own, with a plain reason;
    a duplicate (same content already in the case, e.g. a double submit) is
    reported, not stored twice. Needs the patient's consent to processing."""
    require(acting_user, case, "upload")
    if not has_processing_consent(case):
        raise NotAllowed(
            "Before records can be added, the patient needs to give consent to the use of "
            "their health information (on the Consent page)."
        )
    from casebridge.web.cases.errors import DuplicateDocument

    results: list[UploadResult] = []
    for name, size, reader in files:
        try:
            if size > settings.MAX_UPLOAD_BYTES or size <= 0:
                check_upload(name, size, b"")
            check_upload_quota(acting_user, name, size)  # before the file is read
            data = reader() if callable(reader) else reader
            check_upload(name, len(data), data)
            document = do_upload_document(
                case, acting_user=acting_user, file_name=name, data=data, meta=meta
            )
            results.append(UploadResult(document.file_name, document=document))
        except DuplicateDocument as error:
            results.append(UploadResult(name, error=str(error), duplicate=True))
        except ActionError as error:
            results.append(UploadResult(name, error=str(error)))
    return results


def do_flag_document_type(
    case: Case,
    *,
    acting_user: User,
    document: Document,
    note: str = "",
    suggested_type: str = "",
    meta: RequestMeta | None = None,
) -> None:
    """The patient (or family) says a document was read as the wrong type, and
    what it is if they know (`suggested_type`, one of the engine's types; ""
    for "I don't know"). A coordinator corrects the type; the flag is an audit
    row they can list, the suggestion in it."""
    require(acting_user, case, "upload")
    if document.case_id != case.pk:
        raise NotAllowed("This document is not in this case.")
    if suggested_type and suggested_type not in DOC_TYPES:
        raise ActionError("Choose a kind of document from the list.")
    note = clean_field(note, "the note", limit=500)
    after: dict[str, Any] = {"note": note}
    if suggested_type:
        after["suggested_type"] = suggested_type
    with transaction.atomic():
        audit.record(
            acting_user,
            case,
            "document.type_flagged",
            obj=document,
            before={"doc_type": document.effective_doc_type},
            after=after,
            meta=meta,
        )


def flagged_document_ids(case: Case) -> set[str]:
    """Documents someone flagged as the wrong type since their type last changed."""
    return {str(pk) for pk in open_type_flags(case)}


def do_record_read(
    case: Case,
    *,
    acting_user: User,
    action: str,
    obj: Any = None,
    after: dict[str, Any] | None = None,
    meta: RequestMeta | None = None,
) -> None:
    """An audit row for a read beyond the gate's case.read: a download, a
    document's text. The case must come from the gate."""
    require(acting_user, case, "view")
    audit.record(acting_user, case, action, obj=obj, after=after, meta=meta)
