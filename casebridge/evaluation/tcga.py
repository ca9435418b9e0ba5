"""Reading the TCGA evaluation files (tcga/ under the eval data folder), shared by the
pathology and TNM evaluations: CSV rows, the patient barcode that joins the files, and a
report wrapped as the one-page plain Document the extractors read."""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

from casebridge.engine.case import Document, Page
from casebridge.engine.errors import InputError

BARCODE_CHARS = 12  # project, site and participant: the patient part of a sample or file barcode


def read_rows(path: Path) -> list[dict[str, str]]:
    """Every row of a CSV file with a header; reports can be longer than csv's default limit."""
    if not path.exists():
        raise InputError(f"evaluation file {path} is missing")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def barcode(identifier: str) -> str:
    """The patient barcode that joins reports, labels and gold files."""
    return identifier[:BARCODE_CHARS]


def report_document(name: str, text: str) -> Document:
    """A report's text as a one-page plain pathology Document."""
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
    return Document(
        id=digest[:16],
        file_name=name,
        sha256=digest,
        size=len(text),
        media_type="text/plain",
        pages=[Page(number=1, text=text, method="plain")],
        doc_type="pathology",
    )
