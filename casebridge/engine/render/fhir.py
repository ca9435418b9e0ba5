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

import html
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from casebridge import __version__
from casebridge.engine.case import Case, Fact
from casebridge.engine.render.fhir_base import (
    _ECOG,
    _MM,
    _NUMBER,
    _REQUIRED,
    ATC,
    LOINC,
    MARKER_KINDS,
    MEDICATION_KINDS,
    MEDICATION_STATUS,
    OTHER_RESULT_KINDS,
    PROCEDURE_KINDS,
    PROCEDURE_STATUS,
    SNOMED,
    SOURCE_EXTENSION,
    UCUM,
    XHTML,
    _concept,
    _date,
    _dosage,
    _Entry,
    _group_period,
    _problem_list,
    _Section,
    treatment_status,
)
from casebridge.engine.render.fhir_cancer import _CancerResources

# what callers import from here: the bundle, and the status and provenance it uses
__all__ = ["SOURCE_EXTENSION", "to_ips_bundle", "treatment_status"]


def to_ips_bundle(case: Case, *, timestamp: str | None = None) -> dict[str, Any]:
    """The case as a FHIR R4 IPS document Bundle (a JSON-ready dict).

    `timestamp` (ISO 8601 with time zone) defaults to the case's creation time,
    so the same case always gives the same bundle."""
    return _Builder(case, timestamp).build()


class _Builder(_CancerResources):
    # -- resources ---------------------------------------------------------
    def patient(self) -> None:
        pseudonym = self.case.case_id or "unnamed case"
        dar = self.codes["data_absent_reason"]
        masked = {"extension": [{"url": dar, "valueCode": "masked"}]}
        patient: dict[str, Any] = {
            "resourceType": "Patient",
            # The pseudonym only: names, NHS and hospital numbers, addresses and
            # dates of birth never leave the UK side. The name is marked masked
            # (US Core's us-core-6, which mCODE's CancerPatient inherits).
            "name": [{"use": "anonymous", "text": pseudonym, **masked}],
            "_birthDate": masked,
            # The engine does not read the patient's sex or gender from the
            # record: not carried, rather than guessed (US Core needs the element).
            "_gender": {"extension": [{"url": dar, "valueCode": "unsupported"}]},
        }
        if self.case.case_id:
            # The case's pseudonym, already the name's text, as its identifier.
            patient["identifier"] = [
                {"system": self.codes["case_pseudonym_system"], "value": self.case.case_id}
            ]
        self.add(patient, "patient", profiles=["patient"])

    def claim_cancer_patient(self) -> None:
        """mCODE's Observation profiles (TNM, tumour markers, ECOG) take a CancerPatient
        as their subject: the Patient claims it when an mCODE resource is in the
        bundle and the case has its pseudonym (US Core needs an identifier)."""
        mcode = self.profile("primary_cancer").rsplit("/", 1)[0] + "/"
        claims = [p for e in self.entries for p in e.resource.get("meta", {}).get("profile", [])]
        if not self.case.case_id or not any(p.startswith(mcode) for p in claims):
            return
        patient = next(e.resource for e in self.entries if e.full_url == self.patient_url)
        patient["meta"]["profile"].append(self.profile("cancer_patient"))

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
                **(
                    {"type": "intolerance"} if first.attributes.get("type") == "intolerance" else {}
                ),
                "code": _concept(self.scrub(first.value), first),
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
                # referred to discuss, an option: a suggestion, not a plan (request-intent)
                proposal = any(f.attributes.get("intent") == "proposal" for f in group) and not any(
                    f.attributes.get("status") == "planned"
                    and f.attributes.get("intent") != "proposal"
                    for f in group
                )
                request: dict[str, Any] = {
                    "resourceType": "ServiceRequest",
                    "status": "active",
                    "intent": "proposal" if proposal else "plan",
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
                summary = (
                    f"{first.display} ({'option under discussion' if proposal else 'planned'})"
                )
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
            elif first.kind == "other_biomarker" and first.attributes.get("marker"):
                code = {"text": self.scrub(first.attributes["marker"])}  # "FISH t(4;14)"
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
        self.claim_cancer_patient()
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
        entries = [{"fullUrl": e.full_url, "resource": e.resource} for e in [first, *self.entries]]
        bundle = {
            "resourceType": "Bundle",
            "id": str(uuid.uuid5(self.namespace, "bundle")),
            "meta": {"profile": [self.profile("bundle")]},
            "identifier": {"system": "urn:ietf:rfc:3986", "value": self._url("bundle-identifier")},
            "type": "document",
            "timestamp": self.when,
            "entry": entries,
        }
        # Each resource was validated as it was added (fhir_base.add); the
        # envelope alone is validated here, with its entries' resources left
        # out. Validating the whole Bundle again and serialising it through its
        # models took 80% of the bundle's time for a case of 300 documents
        # (8.7 s), and gave the same JSON.
        Bundle.model_validate({**bundle, "entry": [{"fullUrl": e["fullUrl"]} for e in entries]})
        result: dict[str, Any] = _without_none(bundle)
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


def _without_none(value: Any) -> Any:
    """The JSON without its None values (what model_dump(exclude_none=True) left out)."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v is not None]
    return value
