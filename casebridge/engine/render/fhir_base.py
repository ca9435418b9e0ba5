"""The shared parts of the FHIR renderer (render/fhir.py): codes and constants, the
entries and sections of the bundle, the builder core every resource uses (provenance,
sources, statuses, observations) and the small value helpers."""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.servicerequest import ServiceRequest

from casebridge.engine.case import BIOMARKER_KINDS, NOT_STATED, Case, Fact
from casebridge.engine.kb import load

SOURCE_EXTENSION = "https://casebridge.org/fhir/StructureDefinition/fact-source"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LOINC = "http://loinc.org"
XHTML = "http://www.w3.org/1999/xhtml"

_MODELS: dict[str, Any] = {
    "AllergyIntolerance": AllergyIntolerance,
    "Composition": Composition,
    "Condition": Condition,
    "Device": Device,
    "DocumentReference": DocumentReference,
    "MedicationStatement": MedicationStatement,
    "Observation": Observation,
    "Patient": Patient,
    "Procedure": Procedure,
    "ServiceRequest": ServiceRequest,
}

TNM_KINDS = ("stage_group", "t_category", "n_category", "m_category")
MARKER_KINDS = BIOMARKER_KINDS
OTHER_RESULT_KINDS = (
    "grade",
    "tumour_size",
    "lymph_nodes",
    "margins",
    "lvi",
    "lab",
    "performance_status",
    "response",
)
PROCEDURE_KINDS = ("surgery", "radiotherapy", "cellular_therapy", "transplant")
MEDICATION_KINDS = (
    "regimen",
    "drug",
    "targeted_therapy",
    "immunotherapy",
    "hormone_therapy",
    "medication",
)
CANCER_KINDS = ("histology", "diagnosis", "cancer_type", "primary_site", "laterality")

# Treatments and procedures are often told in the past tense ("previously had
# R-CHOP"): a historical mention is still a fact of the patient's history.
_HISTORY_OK = set(PROCEDURE_KINDS) | set(MEDICATION_KINDS)
_FHIR_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"

# treatment_status() -> the status code of each resource type (FHIR R4 value sets
# medication-statement-status and event-status).
MEDICATION_STATUS = {
    "planned": "intended",
    "current": "active",
    "stopped": "stopped",
    "completed": "completed",
    "unknown": "unknown",
}
PROCEDURE_STATUS = {
    "current": "in-progress",
    "stopped": "stopped",
    "completed": "completed",
    "unknown": "unknown",
}
_MM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm)\s*$", re.IGNORECASE)
_ECOG = re.compile(r"(?:ECOG|WHO|PS)\D{0,12}([0-4])\b|^\s*([0-4])\s*$", re.IGNORECASE)


# -- internals -----------------------------------------------------------------


def _problem_list() -> list[dict[str, Any]]:
    """The Condition category of a problem-list entry (a new list for each resource)."""
    coding = {
        "system": CONDITION_CATEGORY,
        "code": "problem-list-item",
        "display": "Problem List Item",
    }
    return [{"coding": [coding]}]


@dataclass
class _Entry:
    full_url: str
    resource: dict[str, Any]
    summary: str = ""


@dataclass
class _Section:
    key: str
    entries: list[_Entry] = field(default_factory=list)


def treatment_status(fact: Fact) -> str:
    """'planned', 'current', 'stopped', 'completed' or 'unknown' for a treatment or medication fact:
    its `status` attribute as the extractors set it; a historical mention (attribute
    `historical: yes` or context `historical`) is completed; anything else is unknown."""
    status = fact.attributes.get("status", "").strip().lower()
    if status in ("planned", "current", "stopped", "completed"):
        return status
    if fact.attributes.get("historical", "").strip().lower() == "yes":
        return "completed"
    if fact.context == "historical":
        return "completed"
    return "unknown"


class _Core:
    def __init__(self, case: Case, timestamp: str | None) -> None:
        self.case = case
        self.codes: dict[str, Any] = load("fhir_codes")
        self.when = _instant(timestamp or case.created)
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"casebridge:{case.case_id or 'case'}")
        self.entries: list[_Entry] = []
        self.doc_refs: dict[str, str] = {}  # document id -> fullUrl
        self.patient_url = self._url("patient")
        self.cancer_url: str | None = None
        self._redactions = _redactions(case)

    # -- helpers -----------------------------------------------------------
    def _url(self, key: str) -> str:
        return f"urn:uuid:{uuid.uuid5(self.namespace, key)}"

    def scrub(self, text: str) -> str:
        """Remove direct identifiers the engine found, in case a snippet or a
        file name carries one (the bundle leaves the UK)."""
        for pattern, label in self._redactions:
            text = pattern.sub(f"[{label}]", text)
        return text

    def add(
        self, resource: dict[str, Any], key: str, summary: str = "", profiles: Iterable[str] = ()
    ) -> _Entry:
        """Validates and appends a resource; `profiles` are keys of fhir_codes.yaml
        `profiles` ("condition", "tnm.t_category"), claimed in meta.profile."""
        url = self._url(key)
        resource = {**resource, "id": url.removeprefix("urn:uuid:")}
        claimed = [self.profile(name) for name in profiles]
        if claimed:
            resource["meta"] = {"profile": claimed}

        model = _MODELS[resource["resourceType"]]
        model.model_validate(resource)  # fail here, naming the resource, not in the Bundle
        entry = _Entry(url, resource, summary)
        self.entries.append(entry)
        return entry

    def profile(self, name: str) -> str:
        """The canonical URL of a profile named in fhir_codes.yaml ("tnm.t_category")."""
        node: Any = self.codes["profiles"]
        for part in name.split("."):
            node = node[part]
        return str(node)

    def facts(self, *kinds: str) -> list[Fact]:
        out = []
        for fact in self.case.facts:
            if fact.kind not in kinds or fact.value == NOT_STATED:
                continue
            ok = fact.context == "asserted" or (
                fact.context == "historical" and fact.kind in _HISTORY_OK
            )
            # "No known drug allergies" reads as negated to a NegEx-style rule.
            if fact.kind == "no_known_allergies":
                ok = fact.context in ("asserted", "negated", "historical")
            if ok:
                out.append(fact)
        return out

    def groups(self, *kinds: str, across_kinds: bool = False) -> list[list[Fact]]:
        """Facts of the kinds, one group per distinct (kind, prefix, value),
        in the order first seen: the same value read in three documents is one
        resource with three sources; different values are separate resources.

        No duplicates: a TNM value written without its c/p prefix joins the one
        prefixed group of the same kind and value (the imaging report's "T2" is the
        letter's "cT2"); with `across_kinds` the kind is left out of the key (osimertinib
        read as a targeted therapy and in a medication list is one medication), and
        treatments are grouped by their status too (planned and given stay apart)."""
        grouped: dict[tuple[str, str, str, str], list[Fact]] = {}
        for fact in self.facts(*kinds):
            kind = "" if across_kinds else fact.kind
            status = treatment_status(fact) if fact.kind in _HISTORY_OK else ""
            # a drug of a regimen is of that course (bortezomib in VTD and in DVd: two)
            course = fact.attributes.get("regimen", "")
            key = (kind, _prefix_class(fact), fact.value.strip().lower() + "|" + course, status)
            grouped.setdefault(key, []).append(fact)
        for key in [k for k in grouped if k[0] in TNM_KINDS and not k[1]]:
            prefixed = [k for k in grouped if k[0] == key[0] and k[2] == key[2] and k[1]]
            if len(prefixed) == 1:
                grouped[prefixed[0]] += grouped.pop(key)
        # A mention without a status joins the one course of the same treatment whose
        # status is stated (R-CHOP named in a scan report is the completed R-CHOP);
        # with two stated statuses (planned and given) it cannot say which, so stays.
        for key in [k for k in grouped if k[3] == "unknown"]:
            stated = [k for k in grouped if k[:3] == key[:3] and k[3] not in ("", "unknown")]
            if len(stated) == 1:
                grouped[stated[0]] += grouped.pop(key)
        return list(grouped.values())

    def doc_ref(self, document_id: str) -> str:
        if document_id in self.doc_refs:
            return self.doc_refs[document_id]
        doc = self.case.document(document_id)
        url = self._url(f"document|{document_id}")
        self.doc_refs[document_id] = url
        name = self.scrub(doc.file_name) if doc else "document not in case"
        resource: dict[str, Any] = {
            "resourceType": "DocumentReference",
            "status": "current",
            "subject": {"reference": self.patient_url},
            "description": name,
            "content": [
                {
                    "attachment": {
                        "contentType": doc.media_type if doc else "application/octet-stream",
                        "title": name,
                    }
                }
            ],
        }
        if doc is not None:
            resource["type"] = {"text": doc.doc_type.replace("_", " ")}
            resource["identifier"] = [
                {"system": "urn:ietf:rfc:3986", "value": f"urn:sha256:{doc.sha256}"}
            ]
            if doc.document_date and _FHIR_DATE.match(doc.document_date):
                resource["context"] = {"period": {"start": doc.document_date}}
        self.add(resource, f"document|{document_id}")
        return url

    def provenance(
        self, facts: Iterable[Fact]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(extensions, notes) telling where each fact was read."""
        extensions: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        for fact in facts:
            parts: list[dict[str, Any]] = [{"url": "fact", "valueString": fact.id}]
            if fact.found_by:
                parts.append({"url": "foundBy", "valueString": fact.found_by})
            if fact.source is not None:
                src = fact.source
                snippet = self.scrub(src.snippet)
                parts += [
                    {
                        "url": "document",
                        "valueReference": {"reference": self.doc_ref(src.document_id)},
                    },
                    {"url": "page", "valuePositiveInt": max(1, src.page)},
                ]
                if snippet:
                    parts.append({"url": "snippet", "valueString": snippet})
                text = f"Source: {self.scrub(src.file_name)} p.{src.page}"
                text += f': "{snippet}"' if snippet else ""
            else:
                text = "Source: entered by a person; no document states it."
            if fact.corrected_by is not None:
                corr = fact.corrected_by
                was = f" (was {fact.original_value!r})" if fact.original_value is not None else ""
                text += f" Corrected by {corr.by} on {corr.at}{was}: {corr.reason}"
            extensions.append({"url": SOURCE_EXTENSION, "extension": parts})
            notes.append({"text": text})
        return extensions, notes

    def conflict_notes(self, facts: Iterable[Fact]) -> list[dict[str, Any]]:
        ids = {f.id for f in facts}
        return [
            {"text": f"{c.note} Values: {', '.join(c.values)}."}
            for c in self.case.conflicts
            if ids & set(c.fact_ids)
        ]

    def sourced(self, resource: dict[str, Any], facts: list[Fact]) -> dict[str, Any]:
        extensions, notes = self.provenance(facts)
        resource["extension"] = extensions
        resource["note"] = notes + self.conflict_notes(facts)
        return resource

    def statuses(self, facts: list[Fact], clinical: str, kind: str) -> dict[str, Any]:
        """clinicalStatus and verificationStatus of a Condition (kind 'condition') or an
        AllergyIntolerance ('allergy'): what a clinical record states is confirmed; what
        only the patient's own writing states is unconfirmed."""
        own = bool(facts) and all(f.attributes.get("reported_by") == "patient" for f in facts)
        verification = "unconfirmed" if own else "confirmed"
        return {
            "clinicalStatus": {
                "coding": [{"system": self.codes[f"{kind}_clinical"], "code": clinical}]
            },
            "verificationStatus": {
                "coding": [{"system": self.codes[f"{kind}_verification"], "code": verification}]
            },
        }

    def absent(self) -> dict[str, Any]:
        """The data-absent-reason extension for a required date the record does not give."""
        return {"extension": [{"url": self.codes["data_absent_reason"], "valueCode": "unknown"}]}

    def _observation(
        self, facts: list[Fact], code: dict[str, Any], category: str | None
    ) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": code,
            "subject": {"reference": self.patient_url},
        }
        if category:
            resource["category"] = [
                {"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}
            ]
        if self.cancer_url:
            resource["focus"] = [{"reference": self.cancer_url}]
        when = next((d for d in (_date(f, "date") for f in facts) if d), None)
        if when:
            resource["effectiveDateTime"] = when
        else:
            resource["_effectiveDateTime"] = self.absent()
        if category == "laboratory":
            # IPS results require a performer; the bundle carries no organisations (the
            # lab is in the source document's letterhead), so it is stated absent.
            resource["performer"] = [self.absent()]
        return self.sourced(resource, facts)


_REQUIRED = ("problems", "allergies", "medications")


def _prefix_class(fact: Fact) -> str:
    """'pathological' for p/yp/rp prefixes, 'clinical' for c (and yc), '' if not stated."""
    if fact.kind not in TNM_KINDS:
        return ""
    prefix = fact.attributes.get("prefix", "").strip().lower().rstrip("tnm")
    if not prefix:
        return ""
    if prefix.endswith("p"):
        return "pathological"
    if prefix.endswith("c"):
        return "clinical"
    return ""


def _tnm_display(fact: Fact) -> str:
    prefix = fact.attributes.get("prefix", "").strip().rstrip("TNMtnm")
    value = fact.value.strip()
    if fact.kind != "stage_group" and prefix and not value.lower().startswith(prefix.lower()):
        return f"{prefix}{value}"
    if fact.kind == "stage_group" and not value.lower().startswith("stage"):
        return f"Stage {value}"
    return value


def _coding(fact: Fact) -> dict[str, str]:
    assert fact.code is not None
    return {"system": fact.code.system, "code": fact.code.code, "display": fact.code.display}


def _concept(text: str, fact: Fact) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text}
    if fact.code is not None:
        concept["coding"] = [_coding(fact)]
    return concept


def _date(fact: Fact, *names: str) -> str | None:
    for name in names:
        value = fact.attributes.get(name, "").strip()
        if value and _FHIR_DATE.match(value):
            return value
    return None


def _is_icdo(system: str) -> bool:
    """ICD-O-3 by name or by its OID (2.16.840.1.113883.6.43.1, histology.yaml): a
    morphology or topography code, never the Condition's own code."""
    return "icd-o" in system.lower() or system.startswith("urn:oid:2.16.840.1.113883.6.43")


def _ajcc_code(fact: Fact, pclass: str) -> str | None:
    """'cT2', 'pN1a': the AJCC code of a T, N or M category with a stated c or p prefix."""
    if fact.kind == "stage_group" or pclass not in ("clinical", "pathological"):
        return None
    prefix = fact.attributes.get("prefix", "").strip().lower().rstrip("tnm")
    if prefix not in ("c", "p"):
        return None
    value = fact.value.strip()
    if not re.fullmatch(r"[TNM](?:[0-4X]|is|a|mi)[a-d]?\d?(?:\(\w+\))?", value, re.IGNORECASE):
        return None
    return prefix + value[0].upper() + value[1:]


def _group_period(facts: list[Fact]) -> dict[str, str] | None:
    """The fullest stated period among the facts of one resource (start and end over
    a start alone), the first of equals."""
    periods = [p for p in (_period(f) for f in facts) if p]
    return max(periods, key=len) if periods else None


def _dosage(facts: list[Fact]) -> str:
    """Dose, route and schedule as written, from the first fact that states any (the one
    the resource is named by, so text and dosage never come from two documents)."""
    keys = ("dose", "route", "frequency", "schedule")
    for fact in facts:
        parts = [fact.attributes.get(k, "").strip() for k in keys]
        text = " ".join(p for p in parts if p)
        if text:
            return text
    return ""


def _period(fact: Fact) -> dict[str, str] | None:
    start = _date(fact, "start", "start_date", "date")
    end = _date(fact, "end", "end_date")
    period: dict[str, str] = {}
    if start:
        period["start"] = start
    if end:
        period["end"] = end
    return period or None


def _instant(value: str) -> str:
    """An ISO instant with a time zone (FHIR requires one); now (UTC) if unusable."""
    try:
        when = _dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        when = None
    if when is None:
        when = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    # UTC as "Z", the form fhir.resources writes it in
    return when.isoformat().replace("+00:00", "Z")


def _redactions(case: Case) -> list[tuple[re.Pattern[str], str]]:
    seen: dict[str, str] = {}
    for ident in case.identifiers:
        value = ident.value.strip()
        if len(value) >= 3 and value.lower() not in seen:
            seen[value.lower()] = ident.kind.replace("_", " ")
    # Longest first, so "Jane Smith" is removed before "Smith".
    ordered = sorted(seen.items(), key=lambda kv: len(kv[0]), reverse=True)
    return [(re.compile(re.escape(v), re.IGNORECASE), label) for v, label in ordered]
