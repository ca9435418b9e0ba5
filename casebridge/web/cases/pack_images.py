"""A pack version's images (issue 11, part 5b): each DICOM study the patient
uploaded (a file, or a ZIP of a disc's folder) goes to Orthanc, is anonymised
with the case pseudonym, and only the de-identified copy stays there; its
series are listed on the pack (PackSeries) for the reviewers' viewer. The
engine's DICOM metadata already puts the studies on the timeline; here the
modality, description and date come from the copy itself.

Digital pathology slides a laboratory sends (DICOM whole-slide images, modality
SM) go the same way and are marked as slides, for the WSI viewer. A slide's
label image often carries the patient's name in its pixels: label instances
are deleted from the copy and recorded as withheld; a series with an overview
image (the whole glass slide, label included) is flagged like burned-in text.

Called by the pack build (packs.build_pack) outside its database
transaction: Orthanc is another server. A failure fails the build, with the
reason, like any other part of the pack."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from casebridge.engine.pack.identity import KnownIdentity
from casebridge.web.cases import orthanc, storage
from casebridge.web.cases.lib import engine_case
from casebridge.web.cases.models import Case, Document

DICOM = "application/dicom"
# Modalities whose pixels usually carry text (names, dates) that tag-level
# anonymisation cannot remove: ultrasound, secondary capture, other, documents.
BURNED_IN_MODALITIES = frozenset({"US", "SC", "OT", "DOC", "XC", "ES"})
SECONDARY_CAPTURE_SOP = "1.2.840.10008.5.1.4.1.1.7"  # and its multi-frame kinds
WHOLE_SLIDE_SOP = "1.2.840.10008.5.1.4.1.1.77.1.6"  # VL Whole Slide Microscopy Image
# ImageType value 3 of a whole-slide instance: VOLUME (a pyramid level),
# THUMBNAIL, LABEL (the slide's label, often the patient's name) or OVERVIEW
SLIDE_LABEL = "LABEL"
SLIDE_OVERVIEW = "OVERVIEW"
LABEL_WITHHELD = "a slide label, which often carries the patient's name"
# instances whose tags are read again after anonymisation, per series: every
# one of a small series, a sample of a long CT (they share their tags)
MAX_SCANNED = 50

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    study: str
    series: str
    modality: str
    description: str
    study_date: str
    instances: list[str]
    burned_in: bool
    slide: bool = False


@dataclass
class DeIdentified:
    series: list[Series]
    studies: list[str]  # every de-identified study made (to remove with the version)
    withheld: list[dict[str, str]] = field(default_factory=list)


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


def _flagged(first: dict[str, Any], modality: str) -> bool:
    """Whether a series' pixels may carry text anonymisation cannot reach."""
    image_type = str(first.get("ImageType") or "").upper()
    sop = str(first.get("SOPClassUID") or "")
    return (
        str(first.get("BurnedInAnnotation") or "").upper() == "YES"
        or modality in BURNED_IN_MODALITIES
        or "SECONDARY" in image_type  # e.g. a scanner's patient-protocol page
        or "SCREEN SAVE" in image_type
        # its multi-frame kinds are .7.1 to .7.4; .77 (visible light, slides) is not one
        or sop == SECONDARY_CAPTURE_SOP
        or sop.startswith(SECONDARY_CAPTURE_SOP + ".")
    )


def _values(tags: Any) -> list[str]:
    """Every text or number in tags, inside sequences too (a slide's specimen
    and container descriptions are sequences)."""
    if isinstance(tags, dict):
        return [v for value in tags.values() for v in _values(value)]
    if isinstance(tags, list):
        return [v for value in tags for v in _values(value)]
    return [str(tags)] if isinstance(tags, (str, int)) else []


def _still_named(tags: dict[str, Any], identity: list[str]) -> bool:
    """Whether any known identifier is still in the copy's tags (a name in a
    description, a number in a comment the profile does not know)."""
    text = re.sub(r"[\s^]+", " ", " ".join(_values(tags)).casefold())
    return any(value and value in text for value in identity)


def _is_slide(first: dict[str, Any], modality: str) -> bool:
    return modality == "SM" or str(first.get("SOPClassUID") or "") == WHOLE_SLIDE_SOP


def _image_type(tags: dict[str, Any]) -> list[str]:
    return [v.strip().upper() for v in str(tags.get("ImageType") or "").split("\\")]


def _identity_strings(known: KnownIdentity) -> list[str]:
    out = []
    for identifier in known.identifiers():
        value = re.sub(r"[\s^]+", " ", str(identifier.value)).strip().casefold()
        if len(value) >= 4:  # short values (initials) would match anywhere
            out.append(value)
    return out


def deidentified_series(case: Case, known: KnownIdentity | None = None) -> DeIdentified:
    """Store, anonymise and list every DICOM study of the case. `case` is the
    gate's or the system's (storage reads need it). A series whose copy still
    holds a known identifier in its tags is withheld (not listed, its copy
    deleted); the identified original never stays in Orthanc."""
    documents = dicom_documents(case)
    result = DeIdentified([], [], [])
    if not documents:
        return result
    server = orthanc.server()
    identity = _identity_strings(known) if known else []
    seen: set[str] = set()
    try:
        for document in documents:
            for original in server.upload(storage.read_document(case, document)):
                try:
                    copy = server.anonymise(original, case.pseudonym)
                    result.studies.append(copy)
                finally:  # the identified study never stays, whatever happened
                    server.delete_study(original)
                for series in server.series_of(copy):
                    if series["ID"] in seen:
                        continue
                    seen.add(series["ID"])
                    _add(server, series, copy, identity, result)
    except Exception:
        delete_studies(result.studies, case.pseudonym)  # no orphan copies
        raise
    return result


def _add(
    server: orthanc.Server,
    series: dict[str, Any],
    copy: str,
    identity: list[str],
    result: DeIdentified,
) -> None:
    tags = series.get("MainDicomTags") or {}
    instances = list(series.get("Instances") or [])
    first = server.first_tags(series)
    modality = str(tags.get("Modality") or first.get("Modality") or "")
    slide = _is_slide(first, modality)
    # a slide has few instances, and its label may be any of them: all are read
    scanned = {
        i: server.instance_tags(i) for i in (instances if slide else instances[:MAX_SCANNED])
    }
    if any(_still_named(t, identity) for t in scanned.values()):
        result.withheld.append({"modality": modality, "why": "a known identifier is in its tags"})
        return
    overview = False
    if slide:
        labels = [i for i, t in scanned.items() if SLIDE_LABEL in _image_type(t)]
        for instance in labels:  # out of the copy: the WSI viewer reads the whole series
            server.delete_instance(instance)
            instances.remove(instance)
            del scanned[instance]
        if labels:
            result.withheld.append({"modality": modality, "why": LABEL_WITHHELD})
        if not instances:
            return
        overview = any(
            SLIDE_OVERVIEW in _image_type(t)
            or str(t.get("SpecimenLabelInImage") or "").upper() == "YES"
            for t in scanned.values()
        )
    burned = overview or any(_flagged(t, modality) for t in scanned.values())
    result.series.append(
        Series(
            study=copy,
            series=series["ID"],
            modality=modality,
            description=str(tags.get("SeriesDescription") or ""),
            study_date=_iso(str(first.get("StudyDate") or "")),
            instances=instances,
            burned_in=burned,
            slide=slide,
        )
    )


def delete_studies(studies: list[str], pseudonym: str) -> None:
    """Remove de-identified copies from Orthanc (a version replaced or failed, a
    case erased). Best effort when Orthanc is down: logged, and the next sweep
    (or erasure) tries again."""
    if not studies:
        return
    try:
        server = orthanc.server()
        for study in studies:
            server.delete_study(study)
    except orthanc.OrthancError:
        log.warning("the images of %s could not be removed from Orthanc now", pseudonym)
