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
(codes live in knowledge/fhir_codes.yaml), and a fact without a date gets no date.

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
_MM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm)\s*$", re.IGNORECASE)
_ECOG = re.compile(r"(?:ECOG|WHO|PS)\D{0,12}([0-4])\b|^\s*([0-4])\s*$", re.IGNORECASE)


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

    def add(self, resource: dict[str, Any], key: str, summary: str = "") -> _Entry:
        url = self._url(key)
        resource = {**resource, "id": url.removeprefix("urn:uuid:")}
        model = _MODELS[resource["resourceType"]]
        model.model_validate(resource)  # fail here, naming the resource, not in the Bundle
        entry = _Entry(url, resource, summary)
        self.entries.append(entry)
        return entry

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

    def groups(self, *kinds: str) -> list[list[Fact]]:
        """Facts of the kinds, one group per distinct (kind, prefix, value),
        in the order first seen: the same value read in three documents is one
        resource with three sources; different values are separate resources."""
        grouped: dict[tuple[str, str, str], list[Fact]] = {}
        for fact in self.facts(*kinds):
            key = (fact.kind, _prefix_class(fact), fact.value.strip().lower())
            grouped.setdefault(key, []).append(fact)
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

    def cancer_condition(self) -> list[_Entry]:
        histology = self.facts("histology")
        diagnosis = self.facts("diagnosis")
        cancer_type = self.facts("cancer_type")
        site = self.facts("primary_site")
        laterality = self.facts("laterality")
        used = histology + diagnosis + cancer_type + site + laterality
        if not (histology or diagnosis or cancer_type or site):
            return []
        named = (histology or diagnosis or cancer_type)[:1]
        code: dict[str, Any] = {
            "text": self.scrub(named[0].display) if named else "Cancer (type not stated)"
        }
        codings = [
            _coding(f)
            for f in diagnosis + histology
            if f.code is not None and "icd-o" not in f.code.system.lower()
        ]
        if codings:
            code["coding"] = codings[:1]
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "category": _problem_list(),
            "code": code,
            "subject": {"reference": self.patient_url},
        }
        morph = [f for f in histology if f.code is not None and "icd-o" in f.code.system.lower()]
        body: dict[str, Any] | None = None
        if site:
            body = {"text": self.scrub(site[0].display)}
            if site[0].code is not None:
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
        if cancer_type:
            resource["note"].append(
                {"text": f"Cancer type (TCGA study code): {cancer_type[0].value}"}
            )
        summary = code["text"] + (f", {body['text']}" if body else "")
        if laterality:
            summary += f" ({laterality[0].display})"
        entry = self.add(resource, "condition|primary-cancer", summary)
        self.cancer_url = entry.full_url
        return [entry]

    def comorbidities(self) -> list[_Entry]:
        out = []
        for group in self.groups("comorbidity"):
            first = group[0]
            resource = {
                "resourceType": "Condition",
                "category": _problem_list(),
                "code": _concept(self.scrub(first.display), first),
                "subject": {"reference": self.patient_url},
            }
            out.append(
                self.add(self.sourced(resource, group), f"condition|{first.id}", first.display)
            )
        return out

    def allergies(self) -> list[_Entry]:
        out = []
        for group in self.groups("allergy"):
            first = group[0]
            resource = {
                "resourceType": "AllergyIntolerance",
                "code": _concept(self.scrub(first.display), first),
                "patient": {"reference": self.patient_url},
            }
            out.append(
                self.add(self.sourced(resource, group), f"allergy|{first.id}", first.display)
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
                "code": {"coding": [coding], "text": coding["display"]},
                "patient": {"reference": self.patient_url},
            }
            out.append(
                self.add(self.sourced(resource, nka), "allergy|none-known", coding["display"])
            )
        return out

    def medications(self) -> list[_Entry]:
        out = []
        for group in self.groups(*MEDICATION_KINDS):
            first = group[0]
            if first.kind == "medication":
                status = "completed" if first.context == "historical" else "active"
            else:
                status = "completed" if all(f.context == "historical" for f in group) else "unknown"
            resource: dict[str, Any] = {
                "resourceType": "MedicationStatement",
                "status": status,
                "medicationCodeableConcept": _concept(self.scrub(first.display), first),
                "subject": {"reference": self.patient_url},
            }
            if first.kind != "medication":
                resource["category"] = {"text": "Cancer-related medication"}
                if self.cancer_url:
                    resource["reasonReference"] = [{"reference": self.cancer_url}]
            period = _period(first)
            if period:
                resource["effectivePeriod"] = period
            dose = first.attributes.get("dose")
            if dose:
                resource["dosage"] = [{"text": dose}]
            out.append(
                self.add(self.sourced(resource, group), f"medication|{first.id}", first.display)
            )
        return out

    def procedures(self) -> list[_Entry]:
        out = []
        for group in self.groups(*PROCEDURE_KINDS):
            first = group[0]
            resource: dict[str, Any] = {
                "resourceType": "Procedure",
                "status": "completed"
                if all(f.context == "historical" for f in group)
                else "unknown",
                "category": {"text": first.kind.replace("_", " ")},
                "code": _concept(self.scrub(first.display), first),
                "subject": {"reference": self.patient_url},
            }
            period = _period(first)
            if period and "end" in period:
                resource["performedPeriod"] = period
            elif period:
                resource["performedDateTime"] = period["start"]
            if self.cancer_url:
                resource["reasonReference"] = [{"reference": self.cancer_url}]
            out.append(
                self.add(self.sourced(resource, group), f"procedure|{first.id}", first.display)
            )
        return out

    def _observation(
        self, facts: list[Fact], code: dict[str, Any], category: str | None
    ) -> dict[str, Any]:
        first = facts[0]
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
        when = _date(first, "date")
        if when:
            resource["effectiveDateTime"] = when
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
        label = {
            "stage_group": "Stage group",
            "t_category": "T category",
            "n_category": "N category",
        }.get(first.kind, "M category")
        if spec:
            code: dict[str, Any] = {"coding": [{"system": LOINC, **spec}], "text": spec["display"]}
        else:
            code = {"text": f"TNM {label} (clinical or pathological not stated)"}
        shown = _tnm_display(first)
        resource = self._observation(group, code, None)
        resource["valueCodeableConcept"] = {"text": shown}
        if editions:
            resource["method"] = {"text": editions[0].display}
        if members:
            resource["hasMember"] = [{"reference": url} for url in members]
        return self.add(resource, f"tnm|{first.id}", f"{label}: {shown}")

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
            if size:
                unit = size.group(2).lower()
                resource["valueQuantity"] = {
                    "value": float(size.group(1)),
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                }
            elif ecog and code.get("coding"):
                resource["valueInteger"] = int(ecog.group(1) or ecog.group(2))
            else:
                concept: dict[str, Any] = {"text": display}
                coded = values.get(first.value.strip().lower())
                if coded and first.kind in MARKER_KINDS:
                    concept["coding"] = [dict(coded)]
                resource["valueCodeableConcept"] = concept
            label = spec.get("display") or spec.get("text")
            out.append(self.add(resource, f"result|{first.id}", f"{label}: {display}"))
        return out

    # -- assembly ----------------------------------------------------------
    def build(self) -> dict[str, Any]:
        self.patient()
        device_url = self.author()
        sections = [
            _Section("problems", self.cancer_condition() + self.comorbidities()),
            _Section("allergies", self.allergies()),
            _Section("medications", self.medications()),
            _Section("results", self.results()),
            _Section("procedures", self.procedures()),
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
        first = self.add(composition, "composition")
        self.entries.remove(first)
        bundle = {
            "resourceType": "Bundle",
            "id": str(uuid.uuid5(self.namespace, "bundle")),
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
