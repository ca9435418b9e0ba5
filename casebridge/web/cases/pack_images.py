"""A pack version's images (issue 11, part 5b): each DICOM study the patient
uploaded (a file, or a ZIP of a disc's folder) goes to Orthanc, is anonymised
with the case pseudonym, and only the de-identified copy stays there; its
series are listed on the pack (PackSeries) for the reviewers' viewer. The
engine's DICOM metadata already puts the studies on the timeline; here the
modality, description and date come from the copy itself.

Called by the pack build (packs.build_pack) outside its database
transaction: Orthanc is another server. A failure fails the build, with the
reason, like any other part of the pack."""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.web.cases import orthanc, storage
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import Case, Document

DICOM = "application/dicom"
# Modalities whose pixels usually carry text (names, dates) that tag-level
# anonymisation cannot remove: ultrasound, secondary capture, other, documents.
BURNED_IN_MODALITIES = frozenset({"US", "SC", "OT", "DOC", "XC", "ES"})


@dataclass(frozen=True)
class Series:
    study: str
    series: str
    modality: str
    description: str
    study_date: str
    instances: list[str]
    burned_in: bool


def dicom_documents(case: Case) -> list[Document]:
    """The uploads that hold DICOM (by what the engine read in them)."""
    engine = engine_case(case)
    dicom_ids = {d.id for d in engine.documents if d.media_type == DICOM and not d.duplicate_of}
    return [
        d
        for d in case.documents.all()
        if d.blob_path and dicom_ids & set(d.engine_doc_ids or [d.engine_doc_id])
    ]


def _iso(value: str) -> str:
    value = (value or "").strip()
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) == 8 and value.isdigit() else ""


def deidentified_series(case: Case) -> list[Series]:
    """Store, anonymise and list every DICOM study of the case. `case` is the
    gate's or the system's (storage reads need it)."""
    documents = dicom_documents(case)
    if not documents:
        return []
    server = orthanc.server()
    found: list[Series] = []
    seen: set[str] = set()
    for document in documents:
        originals = server.upload(storage.read_document(case, document))
        for original in originals:
            copy = server.anonymise(original, case.pseudonym)
            server.delete_study(original)  # only the de-identified copy stays
            for series in server.series_of(copy):
                if series["ID"] in seen:
                    continue
                seen.add(series["ID"])
                tags = series.get("MainDicomTags") or {}
                first = server.first_tags(series)
                modality = str(tags.get("Modality") or first.get("Modality") or "")
                burned = (
                    str(first.get("BurnedInAnnotation") or "").upper() == "YES"
                    or modality in BURNED_IN_MODALITIES
                )
                found.append(
                    Series(
                        study=copy,
                        series=series["ID"],
                        modality=modality,
                        description=str(tags.get("SeriesDescription") or ""),
                        study_date=_iso(str(first.get("StudyDate") or "")),
                        instances=list(series.get("Instances") or []),
                        burned_in=burned,
                    )
                )
    return found
