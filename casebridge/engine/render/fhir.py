"""A Case as an International Patient Summary (IPS) document Bundle, FHIR R4 (R4B models).

Layout: Composition first (LOINC 60591-5), then a Patient that carries only the
case pseudonym, then one resource per distinct fact value, then one
DocumentReference per source document. Oncology facts follow mCODE: a primary
cancer Condition, TNM stage group and T/N/M category Observations (clinical or
pathological codes by the c/p prefix), tumour marker Observations, Procedures
and MedicationStatements.

Provenance: every resource built from facts carries, per fact, the extension
SOURCE_EXTENSION (sub-extensions `document` -> Reference to the DocumentReference
of the source file, `page`, `snippet`, `fact`, `foundBy`), and a human-readable
`note` naming the file, page and verbatim snippet. Values are never guessed:
a fact kind without a checked code gets a text-only CodeableConcept
(codes live in knowledge/fhir_codes.yaml, each with its source), and a fact without a
date gets no date: where IPS requires one (Observation and MedicationStatement
effective[x], Procedure performed[x]) the element carries the data-absent-reason
extension `unknown` instead.

Status: a treatment or medication fact's `status` attribute (planned / current /
completed; `historical` means completed; see treatment_status) gives
MedicationStatement intended / active / completed / unknown and Procedure
in-progress / completed / unknown; a planned procedure is a ServiceRequest
(status active, intent plan) in the IPS plan-of-care section, never a Procedure.

Every resource is validated with its fhir.resources model, and the whole
Bundle once more, so what this returns is a JSON-ready dict that round-trips.
"""

from __future__ import annotations

import datetime as _dt
import html
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.servicerequest import ServiceRequest

from casebridge import __version__
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
    "completed": "completed",
    "unknown": "unknown",
}
PROCEDURE_STATUS = {"current": "in-progress", "completed": "completed", "unknown": "unknown"}
_MM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm)\s*$", re.IGNORECASE)
_ECOG = re.compile(r"(?:ECOG|WHO|PS)\D{0,12}([0-4])\b|^\s*([0-4])\s*$", re.IGNORECASE)


def treatment_status(fact: Fact) -> str:
    """'planned', 'current', 'completed' or 'unknown' for a treatment or medication fact:
    its `status` attribute as the extractors set it; a historical mention (attribute
    `historical: yes` or context `historical`) is completed; anything else is unknown."""
    status = fact.attributes.get("status", "").strip().lower()
    if status in ("planned", "current", "completed"):
        return status
    if fact.attributes.get("historical", "").strip().lower() == "yes":
        return "completed"
    if fact.context == "historical":
        return "completed"
    return "unknown"


def to_ips_bundle(case: Case, *, timestamp: str | None = None) -> dict[str, Any]:
    """The case as a FHIR R4 IPS document Bundle (a JSON-ready dict).

    `timestamp` (ISO 8601 with time zone) defaults to the case's creation time,
    so the same case always gives the same bundle."""
    return _Builder(case, timestamp).build()


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


class _Builder:
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
            key = (kind, _prefix_class(fact), fact.value.strip().lower(), status)
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

    # -- resources ---------------------------------------------------------
    def patient(self) -> None:
        pseudonym = self.case.case_id or "unnamed case"
        self.add(
            {
                "resourceType": "Patient",
                # The pseudonym only: names, NHS and hospital numbers, addresses
                # and dates of birth never leave the UK side.
                "name": [{"use": "anonymous", "text": pseudonym}],
                "_birthDate": {
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                            "valueCode": "masked",
                        }
                    ]
                },
            },
            "patient",
            profiles=["patient"],
        )

    def author(self) -> str:
        entry = self.add(
            {
                "resourceType": "Device",
                "deviceName": [{"name": "casebridge engine", "type": "user-friendly-name"}],
                "version": [{"value": self.case.engine_version or __version__}],
            },
            "device",
        )
        return entry.full_url

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

    def cancer_code(self, histology: list[Fact], site: list[Fact]) -> dict[str, str] | None:
        """The SNOMED CT disorder of the primary cancer from the knowledge data: the
        histology at its site, else the site's malignant neoplasm, else none."""
        names = {f.value.strip().lower() for f in histology}
        sites = [f.value.strip().lower() for f in site]
        for entry in self.codes["cancer_conditions"]:
            if entry["histology"].lower() in names and entry.get("site", "") in ("", *sites):
                return {"system": SNOMED, "code": entry["code"], "display": entry["display"]}
        for name in sites:
            known = self.codes["cancer_by_site"].get(name)
            if known:
                return {"system": SNOMED, **known}
        return None

    def cancer_condition(self) -> list[_Entry]:
        histology = self.facts("histology")
        diagnosis = self.facts("diagnosis")
        cancer_type = self.facts("cancer_type")
        site = self.facts("primary_site")
        laterality = self.facts("laterality")
        used = histology + diagnosis + cancer_type + site + laterality
        if not (histology or diagnosis or cancer_type or site):
            return []
        # A TCGA study code (cancer_type) is the evaluation's label, never a name shown.
        named = (histology or diagnosis)[:1]
        code: dict[str, Any] = {
            "text": self.scrub(named[0].display) if named else "Cancer (type not stated)"
        }
        codings = [
            _coding(f)
            for f in diagnosis + histology
            if f.code is not None and not _is_icdo(f.code.system)
        ]
        known = self.cancer_code(histology, site)
        if known and all(c["code"] != known["code"] for c in codings):
            codings.append(known)
        if codings:
            code["coding"] = codings[:1]
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            **self.statuses(used, "active", "condition"),
            "category": _problem_list(),
            "code": code,
            "subject": {"reference": self.patient_url},
        }
        morph = [f for f in histology if f.code is not None and _is_icdo(f.code.system)]
        body: dict[str, Any] | None = None
        if site:
            written = site[0].attributes.get("as_written", "").strip() or site[0].display
            body = {"text": self.scrub(written)}
            structure = self.codes["body_sites"].get(site[0].value.strip().lower())
            if structure:
                body["coding"] = [{"system": SNOMED, **structure}]
            elif site[0].code is not None:
                body["coding"] = [_coding(site[0])]
        if laterality:
            lat = self.codes["laterality"].get(laterality[0].value.lower())
            concept: dict[str, Any] = {"text": laterality[0].display}
            if lat:
                concept["coding"] = [dict(lat)]
            body = body or {"text": "primary site not stated"}
            body["extension"] = [
                {"url": self.codes["laterality_extension"], "valueCodeableConcept": concept}
            ]
        if body:
            resource["bodySite"] = [body]
        self.sourced(resource, used)
        if morph:
            resource["extension"].append(
                {
                    "url": self.codes["histology_extension"],
                    "valueCodeableConcept": {"coding": [_coding(morph[0])]},
                }
            )
        summary = code["text"] + (f", {body['text']}" if body else "")
        if laterality:
            summary += f" ({laterality[0].display})"
        claims = ["condition", "primary_cancer"]
        entry = self.add(resource, "condition|primary-cancer", summary, claims)
        self.cancer_url = entry.full_url
        return [entry]

    def metastases(self) -> list[_Entry]:
        """One mCODE SecondaryCancerCondition per metastatic site a clinical record asserts:
        the metastatic disorder with the site's ICD-10-CM code, the site in bodySite (its
        level, "T9", kept in the text), related to the primary cancer."""
        out = []
        for group in self.groups("metastatic_site"):
            first = group[0]
            site = self.codes["metastatic_sites"].get(first.value.strip().lower(), {})
            codings = [dict(self.codes["metastatic_disorder"])]
            if site.get("icd10cm"):
                icd = {"code": site["icd10cm"], "display": site["icd10cm_display"]}
                codings.append({"system": self.codes["icd10cm"], **icd})
            shown = next((f.display for f in group if f.attributes.get("level")), first.display)
            body: dict[str, Any] = {"text": self.scrub(shown)}
            if site.get("code"):
                body["coding"] = [
                    {"system": SNOMED, "code": site["code"], "display": site["display"]}
                ]
            resource: dict[str, Any] = {
                "resourceType": "Condition",
                **self.statuses(group, "active", "condition"),
                "category": _problem_list(),
                "code": {"coding": codings, "text": f"Metastasis: {self.scrub(shown)}"},
                "bodySite": [body],
                "subject": {"reference": self.patient_url},
            }
            self.sourced(resource, group)
            if self.cancer_url:
                related = {"reference": self.cancer_url}
                link = {"url": self.codes["condition_related_extension"], "valueReference": related}
                resource["extension"].append(link)
            claims = ["condition", "secondary_cancer"]
            key = f"condition|metastasis|{first.value.strip().lower()}"
            out.append(self.add(resource, key, f"Metastasis: {shown}", claims))
        return out

    def comorbidities(self) -> list[_Entry]:
        out = []
        for group in self.groups("comorbidity"):
            first = group[0]
            code = _concept(self.scrub(first.display), first)
            known = self.codes["comorbidities"].get(first.value.strip().lower())
            if known and "coding" not in code:
                code["coding"] = [{"system": SNOMED, **known}]
            resource = {
                "resourceType": "Condition",
                **self.statuses(group, "active", "condition"),
                "category": _problem_list(),
                "code": code,
                "subject": {"reference": self.patient_url},
            }
            out.append(
                self.add(
                    self.sourced(resource, group),
                    f"condition|{first.id}",
                    first.display,
                    ["condition"],
                )
            )
        return out

    def allergies(self) -> list[_Entry]:
        out = []
        for group in self.groups("allergy"):
            first = group[0]
            resource: dict[str, Any] = {
                "resourceType": "AllergyIntolerance",
                **self.statuses(group, "active", "allergy"),
                "code": _concept(self.scrub(first.display), first),
                "patient": {"reference": self.patient_url},
            }
            reaction = first.attributes.get("reaction", "").strip()
            if reaction:
                resource["reaction"] = [{"manifestation": [{"text": self.scrub(reaction)}]}]
            out.append(
                self.add(
                    self.sourced(resource, group), f"allergy|{first.id}", first.display, ["allergy"]
                )
            )
        nka = self.facts("no_known_allergies")
        if nka:
            said = " ".join(
                f.value + " " + (f.source.snippet if f.source else "") for f in nka
            ).lower()
            drug = "drug" in said or "nkda" in said
            coding = dict(self.codes["no_known_allergy"]["drug" if drug else "any"])
            resource = {
                "resourceType": "AllergyIntolerance",
                **self.statuses(nka, "active", "allergy"),
                "code": {"coding": [coding], "text": coding["display"]},
                "patient": {"reference": self.patient_url},
            }
            out.append(
                self.add(
                    self.sourced(resource, nka),
                    "allergy|none-known",
                    coding["display"],
                    ["allergy"],
                )
            )
        return out

    def absent(self) -> dict[str, Any]:
        """The data-absent-reason extension for a required date the record does not give."""
        return {"extension": [{"url": self.codes["data_absent_reason"], "valueCode": "unknown"}]}

    def medications(self) -> list[_Entry]:
        out = []
        for group in self.groups(*MEDICATION_KINDS, across_kinds=True):
            first = group[0]
            status = treatment_status(first)
            code = _concept(self.scrub(first.display), first)
            atc = self.codes["atc"].get(first.value.strip().lower())
            if atc and "coding" not in code:
                code["coding"] = [{"system": ATC, **atc}]
            resource: dict[str, Any] = {
                "resourceType": "MedicationStatement",
                "status": MEDICATION_STATUS[status],
                "medicationCodeableConcept": code,
                "subject": {"reference": self.patient_url},
            }
            if any(f.kind != "medication" for f in group):
                resource["category"] = {"text": "Cancer-related medication"}
                if self.cancer_url:
                    resource["reasonReference"] = [{"reference": self.cancer_url}]
            period = _group_period(group)
            if period:
                resource["effectivePeriod"] = period
            else:
                resource["_effectiveDateTime"] = self.absent()
            asserted = next((d for d in (_date(f, "status_date") for f in group) if d), None)
            if asserted:
                resource["dateAsserted"] = asserted
            dosage = _dosage(group)
            if dosage:
                resource["dosage"] = [{"text": self.scrub(dosage)}]
            out.append(
                self.add(
                    self.sourced(resource, group),
                    f"medication|{first.id}",
                    first.display,
                    ["medication"],
                )
            )
        return out

    def procedures(self) -> tuple[list[_Entry], list[_Entry]]:
        """(Procedures, ServiceRequests): a planned procedure is a request, not an event."""
        done: list[_Entry] = []
        planned: list[_Entry] = []
        for group in self.groups(*PROCEDURE_KINDS):
            first = group[0]
            status = treatment_status(first)
            code = _concept(self.scrub(first.display), first)
            known = self.codes["procedures"].get(first.value.strip().lower())
            if known and "coding" not in code:
                code["coding"] = [{"system": SNOMED, **known}]
            period = _group_period(group)
            if status == "planned":
                request: dict[str, Any] = {
                    "resourceType": "ServiceRequest",
                    "status": "active",
                    "intent": "plan",
                    "category": [{"text": first.kind.replace("_", " ")}],
                    "code": code,
                    "subject": {"reference": self.patient_url},
                }
                if period and "end" in period:
                    request["occurrencePeriod"] = period
                elif period:
                    request["occurrenceDateTime"] = period["start"]
                if self.cancer_url:
                    request["reasonReference"] = [{"reference": self.cancer_url}]
                summary = f"{first.display} (planned)"
                planned.append(self.add(self.sourced(request, group), f"plan|{first.id}", summary))
                continue
            resource: dict[str, Any] = {
                "resourceType": "Procedure",
                "status": PROCEDURE_STATUS[status],
                "category": {"text": first.kind.replace("_", " ")},
                "code": code,
                "subject": {"reference": self.patient_url},
            }
            if period and "end" in period:
                resource["performedPeriod"] = period
            elif period:
                resource["performedDateTime"] = period["start"]
            else:
                resource["_performedDateTime"] = self.absent()
            if self.cancer_url:
                resource["reasonReference"] = [{"reference": self.cancer_url}]
            done.append(
                self.add(
                    self.sourced(resource, group),
                    f"procedure|{first.id}",
                    first.display,
                    ["procedure"],
                )
            )
        return done, planned

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

    def staging(self) -> list[_Entry]:
        out: list[_Entry] = []
        editions = self.facts("tnm_edition")
        by_class: dict[str, list[list[Fact]]] = {}
        for group in self.groups(*TNM_KINDS):
            by_class.setdefault(_prefix_class(group[0]), []).append(group)
        for pclass, groups in by_class.items():
            members: list[str] = []
            stage_groups: list[list[Fact]] = []
            for group in groups:
                first = group[0]
                if first.kind == "stage_group":
                    stage_groups.append(group)
                    continue
                entry = self._tnm(group, pclass, editions)
                members.append(entry.full_url)
                out.append(entry)
            for group in stage_groups:
                entry = self._tnm(group, pclass, editions, members)
                out.append(entry)
        return out

    def _tnm(
        self, group: list[Fact], pclass: str, editions: list[Fact], members: list[str] | None = None
    ) -> _Entry:
        first = group[0]
        spec = self.codes["tnm"].get(pclass, {}).get(first.kind)
        snomed = self.codes["tnm_snomed"][pclass or "unprefixed"][first.kind]
        label = {
            "stage_group": "Stage group",
            "t_category": "T category",
            "n_category": "N category",
        }.get(first.kind, "M category")
        # mCODE prefers the SNOMED CT staging type; LOINC stays as a second coding.
        codings = [{"system": SNOMED, **snomed}]
        if spec:
            codings.append({"system": LOINC, **spec})
            code: dict[str, Any] = {"coding": codings, "text": spec["display"]}
        else:
            code = {"coding": codings, "text": f"TNM {label} (clinical or pathological not stated)"}
        shown = _tnm_display(first)
        resource = self._observation(
            group, code, self.codes["tnm_category"][pclass or "unprefixed"]
        )
        value: dict[str, Any] = {"text": shown}
        ajcc = _ajcc_code(first, pclass)
        value_codings = []
        snomed_values = {k.lower(): v for k, v in self.codes["tnm_value_snomed"].items()}
        known = snomed_values.get((ajcc or shown).lower())
        if known and (ajcc or pclass):
            value_codings.append({"system": SNOMED, **known})
        if ajcc:
            value_codings.append({"system": self.codes["tnm_value_system"], "code": ajcc})
        if value_codings:
            value["coding"] = value_codings
        resource["valueCodeableConcept"] = value
        resource["method"] = self.staging_method(editions)
        if members:
            resource["hasMember"] = [{"reference": url} for url in members]
        # A stage group is an mCODE TNM stage group only with the cancer it stages (focus
        # 1..1) and only for a cancer TNM stages (not a lymphoma's Ann Arbor stage).
        claims: list[str] = []
        if self.tnm_applies() and (first.kind != "stage_group" or self.cancer_url):
            claims = [f"tnm.{first.kind}"]
        return self.add(resource, f"tnm|{first.id}", f"{label}: {shown}", claims)

    def staging_method(self, editions: list[Fact]) -> dict[str, Any]:
        """The staging system as mCODE codes it: AJCC by edition where the record says
        AJCC, UICC for "TNM"/"UICC", the words as written the text; none stated: absent."""
        if not editions:
            return self.absent()
        fact = editions[0]
        said = " ".join([fact.value, fact.display, fact.source.snippet if fact.source else ""])
        methods = self.codes["staging_method"]
        edition = fact.value.strip().lower()
        if "ajcc" in said.lower() and edition in methods["ajcc"]:
            coding = dict(methods["ajcc"][edition])
        else:
            coding = dict(methods["uicc"])
        return {"coding": [coding], "text": self.scrub(fact.display)}

    def tnm_applies(self) -> bool:
        """False for a haematolymphoid cancer (ICD-O-3 morphology in the knowledge range),
        which TNM does not stage."""
        span = self.codes["tnm_not_for_morphology"]
        for fact in self.facts("histology"):
            if fact.code is not None and _is_icdo(fact.code.system):
                digits = re.match(r"\d{4}", fact.code.code)
                if digits and span["from"] <= int(digits.group()) <= span["to"]:
                    return False
        return True

    def lab_code(self, fact: Fact) -> dict[str, Any]:
        """The LOINC code of a lab value when its analyte is known and its unit fits the
        code's property; otherwise the analyte's name as text."""
        analyte = fact.attributes.get("analyte", "").strip()
        unit = fact.attributes.get("unit", "").strip().lower()
        known = self.codes["labs"].get(analyte.lower())
        if known and (unit in known["units"] or (not unit and known.get("unitless"))):
            coding = {"system": LOINC, "code": known["code"], "display": known["display"]}
            return {"coding": [coding], "text": analyte}
        return {"text": analyte or self.codes["observations"]["lab"]["text"]}

    def results(self) -> list[_Entry]:
        out = self.staging()
        specs: dict[str, dict[str, Any]] = self.codes["observations"]
        values: dict[str, dict[str, str]] = self.codes["result_values"]
        for group in self.groups(*MARKER_KINDS, *OTHER_RESULT_KINDS):
            first = group[0]
            spec = specs[first.kind]
            if first.kind == "performance_status" and _ECOG.search(
                first.value + " " + first.display
            ):
                code = {
                    "coding": [{"system": LOINC, **self.codes["ecog"]}],
                    "text": self.codes["ecog"]["display"],
                }
            elif first.kind == "lab":
                code = self.lab_code(first)
            elif "code" in spec:
                code = {
                    "coding": [{"system": LOINC, "code": spec["code"], "display": spec["display"]}],
                    "text": spec["display"],
                }
            else:
                code = {"text": spec["text"]}
            resource = self._observation(group, code, spec.get("category"))
            display = self.scrub(first.display)
            size = _MM.match(first.value) if first.kind == "tumour_size" else None
            ecog = _ECOG.search(first.value) if first.kind == "performance_status" else None
            number = first.attributes.get("value", "") if first.kind == "lab" else ""
            if size:
                unit = size.group(2).lower()
                resource["valueQuantity"] = {
                    "value": float(size.group(1)),
                    "unit": unit,
                    "system": UCUM,
                    "code": unit,
                }
            elif ecog and code.get("coding"):
                resource["valueInteger"] = int(ecog.group(1) or ecog.group(2))
            elif _NUMBER.match(number):
                written = first.attributes.get("unit", "").strip()
                quantity: dict[str, Any] = {"value": float(number)}
                if written:
                    quantity["unit"] = written
                    ucum = self.codes["ucum"].get(written.lower())
                    if ucum:
                        quantity |= {"system": UCUM, "code": ucum}
                resource["valueQuantity"] = quantity
            else:
                concept: dict[str, Any] = {"text": display}
                coded = values.get(first.value.strip().lower())
                if coded and first.kind in MARKER_KINDS:
                    concept["coding"] = [dict(coded)]
                resource["valueCodeableConcept"] = concept
            label = spec.get("display") or spec.get("text")
            if first.kind == "lab":
                label = code["text"]
            claims = ["lab"] if spec.get("category") == "laboratory" else []
            if spec.get("tumour_marker"):
                claims.append("tumour_marker")
            if "valueInteger" in resource and code.get("coding") == [
                {"system": LOINC, **self.codes["ecog"]}
            ]:
                claims.append("ecog")
            out.append(self.add(resource, f"result|{first.id}", f"{label}: {display}", claims))
        return out

    # -- assembly ----------------------------------------------------------
    def build(self) -> dict[str, Any]:
        self.patient()
        device_url = self.author()
        problems = self.cancer_condition() + self.metastases() + self.comorbidities()
        allergies = self.allergies()
        medications = self.medications()
        results = self.results()
        procedures, planned = self.procedures()
        sections = [
            _Section("problems", problems),
            _Section("allergies", allergies),
            _Section("medications", medications),
            _Section("results", results),
            _Section("procedures", procedures),
            _Section("plan_of_care", planned),
        ]
        composition = {
            "resourceType": "Composition",
            "status": "preliminary",  # machine-read; a person reviews before it is final
            "type": {"coding": [dict(self.codes["document"]["type"])], "text": "Patient summary"},
            "subject": {"reference": self.patient_url},
            "date": self.when,
            "author": [{"reference": device_url}],
            "title": f"International Patient Summary — case {self.case.case_id or 'unnamed'}",
            "confidentiality": "R",
            "section": [self._section(s) for s in sections if s.entries or s.key in _REQUIRED],
        }
        first = self.add(composition, "composition", profiles=["composition"])
        self.entries.remove(first)
        bundle = {
            "resourceType": "Bundle",
            "id": str(uuid.uuid5(self.namespace, "bundle")),
            "meta": {"profile": [self.profile("bundle")]},
            "identifier": {"system": "urn:ietf:rfc:3986", "value": self._url("bundle-identifier")},
            "type": "document",
            "timestamp": self.when,
            "entry": [
                {"fullUrl": e.full_url, "resource": e.resource} for e in [first, *self.entries]
            ],
        }
        model = Bundle.model_validate(bundle)
        result: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
        return result

    def _section(self, section: _Section) -> dict[str, Any]:
        spec = self.codes["sections"][section.key]
        out: dict[str, Any] = {
            "title": spec["title"],
            "code": {
                "coding": [{"system": LOINC, "code": spec["code"], "display": spec["display"]}]
            },
        }
        if section.entries:
            items = "".join(
                f"<li>{html.escape(e.summary or 'entry')}</li>" for e in section.entries
            )
            out["text"] = {
                "status": "generated",
                "div": f'<div xmlns="{XHTML}"><ul>{items}</ul></div>',
            }
            out["entry"] = [{"reference": e.full_url} for e in section.entries]
        else:
            reason = "unavailable"
            empty = self.codes["empty_reason"]
            out["text"] = {
                "status": "generated",
                "div": f'<div xmlns="{XHTML}"><p>Not stated in the records provided.</p></div>',
            }
            out["emptyReason"] = {
                "coding": [{"system": empty["system"], "code": reason, "display": empty[reason]}]
            }
        return out


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
    return when.isoformat()


def _redactions(case: Case) -> list[tuple[re.Pattern[str], str]]:
    seen: dict[str, str] = {}
    for ident in case.identifiers:
        value = ident.value.strip()
        if len(value) >= 3 and value.lower() not in seen:
            seen[value.lower()] = ident.kind.replace("_", " ")
    # Longest first, so "Jane Smith" is removed before "Smith".
    ordered = sorted(seen.items(), key=lambda kv: len(kv[0]), reverse=True)
    return [(re.compile(re.escape(v), re.IGNORECASE), label) for v, label in ordered]
