"""The ordered stages, and the public API: build_case(), add_document(), refresh().

Document stages run once per document as it arrives (classify, extract); case
stages run over the whole case afterwards and are cheap, so adding one document
re-runs them without re-reading any other document.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from casebridge import __version__
from casebridge.engine import classify as _classify  # noqa: F401  (registers components)
from casebridge.engine import extract as _extract  # noqa: F401
from casebridge.engine import gaps as _gaps  # noqa: F401
from casebridge.engine import questions as _questions  # noqa: F401
from casebridge.engine import reconcile as _reconcile  # noqa: F401
from casebridge.engine import safety as _safety  # noqa: F401
from casebridge.engine import timeline as _timeline  # noqa: F401
from casebridge.engine.case import PROGRAMMES, Case, Correction, Document
from casebridge.engine.errors import InputError
from casebridge.engine.ingest import read_bytes, read_path
from casebridge.engine.registry import REGISTRY

DOCUMENT_STAGES: tuple[str, ...] = ("classify", "extract")
CASE_STAGES: tuple[str, ...] = ("reconcile", "timeline", "gaps", "safety", "questions")

# progress(document_name, index, total) is called before each document is read.
Progress = Callable[[str, int, int], None]
# admit(documents) sees the documents of one file right after ingest, before they
# are classified and extracted: a caller's caps (the web platform's limits on
# characters and pages) mark one needs_attention and empty its pages, and the
# costly stages then skip it.
Admit = Callable[[list[Document]], None]


def new_case(programme: str = "oncology", intake: dict[str, Any] | None = None) -> Case:
    if programme not in PROGRAMMES:
        raise InputError(f"unknown programme {programme!r}; choose one of {', '.join(PROGRAMMES)}")
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    case = Case(
        programme=programme, created=now, engine_version=__version__, intake=dict(intake or {})
    )
    case.case_id = "CB-" + hashlib.sha256(now.encode() + os.urandom(8)).hexdigest()[:8].upper()
    return case


def list_records(records_dir: Path) -> list[tuple[str, Path]]:
    """Every file below the folder, as (name relative to the folder, path), in a
    stable order. Hidden files are listed too: nothing is silently dropped."""
    if not records_dir.is_dir():
        raise InputError(f"records folder {records_dir} does not exist or is not a folder")
    items = []
    for path in sorted(records_dir.rglob("*")):
        if path.is_file() or path.is_symlink():
            items.append((path.relative_to(records_dir).as_posix(), path))
    return items


def build_case(
    records: Path | Iterable[tuple[str, Path]],
    programme: str = "oncology",
    *,
    intake: dict[str, Any] | None = None,
    corrections: Iterable[Correction] = (),
    progress: Progress | None = None,
) -> Case:
    """Read every file of a records folder (or (name, path) pairs) into a new Case."""
    items = list_records(records) if isinstance(records, Path) else list(records)
    case = new_case(programme, intake)
    case.corrections.extend(corrections)
    for index, (name, path) in enumerate(items):
        if progress:
            progress(name, index, len(items))
        _add(case, read_path(path, name))
    refresh(case)
    return case


def add_document(
    case: Case, data: bytes | Path, name: str, *, admit: Admit | None = None
) -> list[Document]:
    """Add one uploaded file (an archive may yield several documents) to an
    existing case without re-reading the others; people's corrections are kept."""
    docs = read_path(data, name) if isinstance(data, Path) else read_bytes(data, name)
    if admit is not None:
        admit(docs)
    _add(case, docs)
    refresh(case)
    return docs


def refresh(case: Case) -> Case:
    """Re-run the case-level stages (conflicts, corrections, timeline, gaps,
    safety, questions) over what the documents already gave."""
    for name in CASE_STAGES:
        REGISTRY[name].func(case)
    return case


def _add(case: Case, docs: list[Document]) -> None:
    seen = {d.sha256: d for d in case.documents if d.duplicate_of is None}
    for doc in docs:
        original = seen.get(doc.sha256)
        if original is not None:
            doc.duplicate_of = original.id
            doc.id = f"{original.id}-{sum(1 for d in case.documents if d.duplicate_of == original.id) + 1}"
            doc.doc_type = original.doc_type
            doc.problems.append(
                f"Same content as {original.file_name}: read once, not counted twice."
            )
            case.documents.append(doc)
            continue
        seen[doc.sha256] = doc
        case.documents.append(doc)
        if doc.status == "needs_attention" and not doc.pages:
            continue  # nothing readable to classify or extract
        for stage in DOCUMENT_STAGES:
            REGISTRY[stage].func(case, doc)
