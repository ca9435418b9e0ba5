"""DICOM: the study's details only (never the pixels), as metadata and one short page.

A DICOM file that wraps a PDF report (Encapsulated PDF, DICOM PS3.3 A.45) also
gives that report's pages after the summary page.
"""

from __future__ import annotations

import io
import re

import pydicom
from pydicom.errors import BytesLengthException, InvalidDicomError

from casebridge.engine.case import Document, Page
from casebridge.engine.kb import load

DAMAGED = "This medical imaging (DICOM) file is damaged or empty and cannot be read"

_FIELDS: tuple[tuple[str, str], ...] = (
    ("modality", "Modality"),
    ("study_date", "StudyDate"),
    ("body_part", "BodyPartExamined"),
    ("study_description", "StudyDescription"),
    ("series_description", "SeriesDescription"),
)


def read_dicom(doc: Document, data: bytes) -> bytes | None:
    """Fill doc from a DICOM file. Returns an encapsulated PDF's bytes, if it holds one."""
    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    # BytesLengthException: a value whose length does not fit its VR (not a ValueError)
    except (
        InvalidDicomError,
        BytesLengthException,
        OSError,
        ValueError,
        EOFError,
        KeyError,
        TypeError,
    ):
        doc.needs_attention(DAMAGED)
        return None
    if len(ds) == 0:
        doc.needs_attention(DAMAGED)
        return None
    for key, keyword in _FIELDS:
        value = _value(ds, keyword)
        if value:
            doc.metadata[key] = _iso_date(value) if key == "study_date" else value
    if doc.metadata.get("study_date"):
        doc.document_date = doc.metadata["study_date"]
    doc.pages = [Page(1, summary(doc.metadata), "dicom")]
    mime = _value(ds, "MIMETypeOfEncapsulatedDocument")
    if mime == "application/pdf" and "EncapsulatedDocument" in ds:
        return bytes(ds.EncapsulatedDocument)
    return None


def _value(ds: pydicom.Dataset, keyword: str) -> str:
    try:
        value = ds.get(keyword)
    except Exception:  # noqa: BLE001 - a malformed element is just absent
        return ""
    if value is None:
        return ""
    return " ".join(str(value).split()).strip()


def _iso_date(value: str) -> str:
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value)
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else value


def summary(metadata: dict[str, str]) -> str:
    """A short human-readable account of the study."""
    modality = metadata.get("modality", "")
    names: dict[str, str] = load("dicom_modalities")["modalities"]
    what = names.get(modality.upper(), modality) if modality else "medical image"
    lines = [f"Medical imaging file (DICOM): {what}" + (f" ({modality})" if modality else "")]
    labels = (
        ("study_date", "Study date"),
        ("body_part", "Body part"),
        ("study_description", "Study description"),
        ("series_description", "Series description"),
    )
    for key, label in labels:
        if metadata.get(key):
            lines.append(f"{label}: {metadata[key]}")
    lines.append("The images themselves are not read; a radiologist's report is needed.")
    return "\n".join(lines)
