"""The IPS document Bundle: valid FHIR R4, Composition first, every fact sourced."""

from __future__ import annotations

import json
from functools import partial

from fhir.resources.R4B.bundle import Bundle

from casebridge.engine.case import (
    Case,
    Code,
    Conflict,
    Fact,
    Identifier,
)
from casebridge.engine.extract.spans import SNIPPET_PAD
from casebridge.engine.render.fhir import SOURCE_EXTENSION, to_ips_bundle, treatment_status
from tests.engine import factories

# sourced as the extractors source a fact: the name and NHS number share a line with the
# first facts, so those snippets carry what the bundle must not show
_fact = partial(factories.fact, pad=SNIPPET_PAD)
_doc = partial(
    factories.document,
    date="2026-09-01",
    method="text-layer",
    media_type="application/pdf",
)

WHEN = "2026-09-14T10:00:00+00:00"

PATHOLOGY = (
    "Patient: Jane Testperson  NHS No: 943 476 5919 "
    "Invasive ductal carcinoma (NST), grade 2, left breast. ER positive (Allred 8). "
    "HER2 IHC 2+ (equivocal). pT2 pN1a. Ki-67 25%."
)
LETTER = "Plan: docetaxel. No known drug allergies. Taking letrozole 2.5 mg once daily."


def _breast_case() -> Case:
    path = _doc("d1", "pathology", PATHOLOGY, name="Jane Testperson histology.pdf")
    letter = _doc("d2", "clinic_letter", LETTER, name="letter.pdf")
    case = Case(case_id="CB-TEST0001", created=WHEN, documents=[path, letter])
    case.facts = [
        _fact(path, "histology", "invasive ductal carcinoma", "Invasive ductal carcinoma (NST)"),
        _fact(path, "primary_site", "breast", "breast"),
        _fact(path, "laterality", "left", "left"),
        _fact(path, "grade", "2", "grade 2"),
        _fact(path, "er_status", "positive", "ER positive (Allred 8)"),
        _fact(path, "her2_ihc", "2+", "HER2 IHC 2+"),
        _fact(path, "t_category", "T2", "pT2", prefix="p"),
        _fact(path, "n_category", "N1a", "pN1a", prefix="p"),
        _fact(path, "ki67", "25%", "Ki-67 25%"),
        _fact(letter, "drug", "docetaxel", "docetaxel"),
        _fact(letter, "no_known_allergies", "NKDA", "No known drug allergies", context="negated"),
        _fact(letter, "medication", "letrozole 2.5 mg once daily", "letrozole 2.5 mg once daily"),
    ]
    case.facts[0].code = Code(
        "http://snomed.info/sct", "408643008", "Infiltrating duct carcinoma of breast"
    )
    case.identifiers = [
        Identifier("person_name", "Jane Testperson", case.facts[0].source),  # type: ignore[arg-type]
        Identifier("nhs_number", "943 476 5919", case.facts[0].source),  # type: ignore[arg-type]
    ]
    return case


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_url(bundle: dict) -> dict[str, dict]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def test_the_bundle_round_trips_through_fhir_resources_as_an_r4_document():
    bundle = to_ips_bundle(_breast_case())
    again = Bundle.model_validate(json.loads(json.dumps(bundle)))
    assert again.type == "document"
    assert again.model_dump(mode="json", exclude_none=True) == bundle


def test_the_composition_comes_first_with_the_three_required_ips_sections():
    bundle = to_ips_bundle(_breast_case())
    composition = bundle["entry"][0]["resource"]
    assert composition["resourceType"] == "Composition"
    assert composition["type"]["coding"][0]["code"] == "60591-5"
    codes = [s["code"]["coding"][0]["code"] for s in composition["section"]]
    assert {"11450-4", "48765-2", "10160-0"} <= set(codes)
    assert "30954-2" in codes  # results exist in this case


def test_every_reference_in_the_bundle_resolves_to_an_entry():
    bundle = to_ips_bundle(_breast_case())
    urls = set(_by_url(bundle))
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                refs.append(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle)
    assert refs and all(r.startswith("urn:uuid:") for r in refs)
    assert set(refs) <= urls
    assert all(u.startswith("urn:uuid:") for u in urls)


def test_the_patient_carries_the_pseudonym_and_no_name_or_number():
    bundle = to_ips_bundle(_breast_case())
    (patient,) = _resources(bundle, "Patient")
    masked = [{"url": DAR, "valueCode": "masked"}]
    assert patient["name"] == [{"use": "anonymous", "text": "CB-TEST0001", "extension": masked}]
    # the pseudonym is its only identifier; no sex or gender is read, so none is given
    assert [i["value"] for i in patient["identifier"]] == ["CB-TEST0001"]
    assert "gender" not in patient
    assert patient["_gender"] == {"extension": [{"url": DAR, "valueCode": "unsupported"}]}
    assert "address" not in patient and "birthDate" not in patient
    text = json.dumps(bundle)
    assert "Testperson" not in text
    assert "943 476 5919" not in text


def test_the_patient_claims_mcodes_cancer_patient_only_beside_mcode_resources():
    (patient,) = _resources(to_ips_bundle(_breast_case()), "Patient")
    assert patient["meta"]["profile"] == [
        "http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips",
        "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-patient",
    ]
    letter = _doc("d1", "clinic_letter", LETTER, name="letter.pdf")
    case = Case(case_id="CB-TEST0002", created=WHEN, documents=[letter])
    case.facts = [_fact(letter, "medication", "letrozole 2.5 mg once daily", "letrozole")]
    (patient,) = _resources(to_ips_bundle(case), "Patient")
    assert patient["meta"]["profile"] == [
        "http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips"
    ]


def test_pathological_tnm_uses_the_pathological_loinc_codes_and_keeps_the_prefix():
    bundle = to_ips_bundle(_breast_case())
    obs = {
        c["code"]: o for o in _resources(bundle, "Observation") for c in o["code"].get("coding", [])
    }
    assert obs["21899-0"]["valueCodeableConcept"]["text"] == "pT2"
    assert obs["21900-6"]["valueCodeableConcept"]["text"] == "pN1a"
    assert "21905-5" not in obs  # not the clinical code
    assert obs["16112-5"]["valueCodeableConcept"]["coding"][0]["code"] == "10828004"


def test_a_tnm_category_without_a_prefix_gets_only_the_generic_t_category_code():
    case = _breast_case()
    doc = case.documents[0]
    case.facts = [_fact(doc, "t_category", "T2", "pT2")]
    bundle = to_ips_bundle(case)
    (obs,) = _resources(bundle, "Observation")
    # SNOMED CT "T category" (mCODE's staging type for an unprefixed value), neither the
    # clinical nor the pathological code, and no AJCC value code without its prefix.
    assert obs["code"]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "78873005", "display": "T category"}
    ]
    assert "not stated" in obs["code"]["text"]
    assert "coding" not in obs["valueCodeableConcept"]


def test_every_resource_from_a_fact_carries_its_source_document_page_and_snippet():
    bundle = to_ips_bundle(_breast_case())
    by_url = _by_url(bundle)
    derived = [
        r
        for r in by_url.values()
        if r["resourceType"]
        in {"Condition", "Observation", "MedicationStatement", "AllergyIntolerance"}
    ]
    assert len(derived) >= 8
    for resource in derived:
        ext = [e for e in resource["extension"] if e["url"] == SOURCE_EXTENSION]
        assert ext, resource["resourceType"]
        parts = {p["url"]: p for p in ext[0]["extension"]}
        doc_ref = by_url[parts["document"]["valueReference"]["reference"]]
        assert doc_ref["resourceType"] == "DocumentReference"
        assert parts["page"]["valuePositiveInt"] == 1
        assert parts["snippet"]["valueString"]
        assert resource["note"][0]["text"].startswith("Source: ")


def test_no_known_drug_allergies_becomes_the_ips_no_known_drug_allergy_code():
    bundle = to_ips_bundle(_breast_case())
    (allergy,) = _resources(bundle, "AllergyIntolerance")
    assert allergy["code"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "409137002",
        "display": "No known drug allergy",
    }


def test_sections_without_facts_say_unavailable_rather_than_nothing_known():
    case = Case(case_id="CB-EMPTY", created=WHEN)
    bundle = to_ips_bundle(case)
    Bundle.model_validate(bundle)
    composition = bundle["entry"][0]["resource"]
    assert len(composition["section"]) == 3
    for section in composition["section"]:
        assert section["emptyReason"]["coding"][0]["code"] == "unavailable"
        assert "entry" not in section


def test_the_primary_cancer_condition_has_code_body_site_and_laterality():
    bundle = to_ips_bundle(_breast_case())
    (condition,) = _resources(bundle, "Condition")
    assert condition["code"]["coding"][0]["code"] == "408643008"
    site = condition["bodySite"][0]
    assert site["text"] == "breast"
    assert site["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "7771000"


def test_different_values_from_two_documents_stay_two_resources_with_the_conflict_noted():
    case = _breast_case()
    letter = case.documents[1]
    letter.pages[0].text += " Grade 3 tumour."
    grade3 = _fact(letter, "grade", "3", "Grade 3")
    case.facts.append(grade3)
    grade2 = next(f for f in case.facts if f.kind == "grade")
    case.conflicts = [
        Conflict("grade", ["2", "3"], [grade2.id, grade3.id], "Records disagree on Grade.")
    ]
    bundle = to_ips_bundle(case)
    grades = [
        o for o in _resources(bundle, "Observation") if o["code"]["text"] == "Histological grade"
    ]
    assert sorted(g["valueCodeableConcept"]["text"] for g in grades) == ["2", "3"]
    assert all(any("disagree" in n["text"] for n in g["note"]) for g in grades)


def test_the_same_case_always_gives_the_same_bundle():
    assert to_ips_bundle(_breast_case()) == to_ips_bundle(_breast_case())


def test_a_person_entered_fact_is_said_to_come_from_a_person():
    case = _breast_case()
    case.facts.append(
        Fact(kind="surgery", value="wide local excision", source=None, found_by="person:coord")
    )
    bundle = to_ips_bundle(case)
    (procedure,) = _resources(bundle, "Procedure")
    assert "entered by a person" in procedure["note"][0]["text"]
    codes = [s["code"]["coding"][0]["code"] for s in bundle["entry"][0]["resource"]["section"]]
    assert "47519-4" in codes


# -- status of treatments and medications --------------------------------------------------

_PLAN = "Letrozole to start after chemotherapy. Wide local excision planned. Amlodipine."


def _status_case(*facts_args: tuple[str, str, dict]) -> Case:
    doc = _doc("d1", "clinic_letter", _PLAN, name="letter.pdf")
    case = Case(case_id="CB-TEST0002", created=WHEN, documents=[doc])
    case.facts = [factories.fact(doc, kind, value, **attrs) for kind, value, attrs in facts_args]
    return case


def test_treatment_status_reads_the_status_attribute_and_history_means_completed():
    doc = _doc("d1", "clinic_letter", _PLAN)
    make = partial(factories.fact, doc, "drug", "letrozole")
    assert treatment_status(make(status="planned")) == "planned"
    assert treatment_status(make(status="current")) == "current"
    assert treatment_status(make(status="completed")) == "completed"
    assert treatment_status(make(historical="yes")) == "completed"
    assert treatment_status(make(context="historical")) == "completed"
    assert treatment_status(make()) == "unknown"
    assert treatment_status(make(status="stopped?")) == "unknown"


def test_medication_statement_status_is_intended_active_completed_or_unknown():
    case = _status_case(
        ("hormone_therapy", "letrozole", {"status": "planned"}),
        ("medication", "amlodipine", {"status": "current"}),
        ("drug", "docetaxel", {"historical": "yes"}),
        ("medication", "paracetamol", {}),
    )
    statements = _resources(to_ips_bundle(case), "MedicationStatement")
    by_name = {m["medicationCodeableConcept"]["text"]: m["status"] for m in statements}
    assert by_name == {
        "letrozole": "intended",
        "amlodipine": "active",
        "docetaxel": "completed",
        "paracetamol": "unknown",
    }


def test_a_planned_operation_is_a_service_request_in_the_plan_of_care_not_a_procedure():
    case = _status_case(
        ("surgery", "wide local excision", {"status": "planned", "date": "2026-10-02"}),
        ("radiotherapy", "radiotherapy", {"status": "planned"}),
    )
    bundle = to_ips_bundle(case)
    assert _resources(bundle, "Procedure") == []
    requests = _resources(bundle, "ServiceRequest")
    assert {(r["status"], r["intent"]) for r in requests} == {("active", "plan")}
    assert {r["code"]["text"] for r in requests} == {"wide local excision", "radiotherapy"}
    assert any(r.get("occurrenceDateTime") == "2026-10-02" for r in requests)
    section = {s["code"]["coding"][0]["code"]: s for s in bundle["entry"][0]["resource"]["section"]}
    assert len(section["18776-5"]["entry"]) == 2  # IPS plan of care
    assert "47519-4" not in section  # no history of procedures


def test_procedure_status_is_in_progress_for_current_and_completed_for_history():
    case = _status_case(
        ("radiotherapy", "radiotherapy", {"status": "current"}),
        ("surgery", "mastectomy", {"historical": "yes", "date": "2015"}),
        ("surgery", "axillary node clearance", {}),
    )
    procedures = _resources(to_ips_bundle(case), "Procedure")
    by_name = {p["code"]["text"]: p for p in procedures}
    assert by_name["radiotherapy"]["status"] == "in-progress"
    assert by_name["mastectomy"]["status"] == "completed"
    assert by_name["mastectomy"]["performedDateTime"] == "2015"
    assert by_name["axillary node clearance"]["status"] == "unknown"
    assert by_name["radiotherapy"]["code"]["coding"][0]["code"] == "108290001"


def test_planned_and_given_courses_of_one_drug_stay_two_statements():
    case = _status_case(
        ("drug", "docetaxel", {"historical": "yes"}),
        ("drug", "docetaxel", {"status": "planned"}),
    )
    statements = _resources(to_ips_bundle(case), "MedicationStatement")
    assert sorted(m["status"] for m in statements) == ["completed", "intended"]


# -- what IPS requires on every resource --------------------------------------------------

DAR = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def test_every_observation_and_medication_statement_has_a_date_or_says_it_is_unknown():
    bundle = to_ips_bundle(_breast_case())
    resources = _resources(bundle, "Observation") + _resources(bundle, "MedicationStatement")
    assert resources
    for resource in resources:
        dated = [k for k in resource if k.startswith("effective")]
        if not dated:
            absent = resource["_effectiveDateTime"]["extension"][0]
            assert absent == {"url": DAR, "valueCode": "unknown"}, resource["resourceType"]


def test_a_stated_date_becomes_the_effective_date_and_is_never_invented():
    case = _breast_case()
    doc = case.documents[0]
    case.facts.append(_fact(doc, "lab", "haemoglobin 128 g/L", "grade 2", date="2026-08-30"))
    bundle = to_ips_bundle(case)
    dated = [o for o in _resources(bundle, "Observation") if "effectiveDateTime" in o]
    assert [o["effectiveDateTime"] for o in dated] == ["2026-08-30"]


def test_conditions_and_allergies_carry_clinical_and_verification_status():
    case = _breast_case()
    letter = case.documents[1]
    case.facts.append(_fact(letter, "allergy", "penicillin", "letrozole", reaction="rash"))
    bundle = to_ips_bundle(case)
    for resource in _resources(bundle, "Condition") + _resources(bundle, "AllergyIntolerance"):
        assert resource["clinicalStatus"]["coding"][0]["code"] == "active"
        assert resource["verificationStatus"]["coding"][0]["code"] == "confirmed"
    (penicillin,) = [
        a for a in _resources(bundle, "AllergyIntolerance") if a["code"]["text"] == "penicillin"
    ]
    assert penicillin["reaction"][0]["manifestation"][0]["text"] == "rash"


def test_a_condition_only_the_patient_writes_of_is_unconfirmed():
    case = _breast_case()
    letter = case.documents[1]
    case.facts.append(_fact(letter, "comorbidity", "hypertension", "Plan", reported_by="patient"))
    bundle = to_ips_bundle(case)
    (condition,) = [
        c for c in _resources(bundle, "Condition") if c["code"]["text"] == "hypertension"
    ]
    assert condition["verificationStatus"]["coding"][0]["code"] == "unconfirmed"


# -- standard codes from the knowledge data ------------------------------------------------


def test_the_cancer_condition_is_coded_as_a_disorder_with_its_morphology_as_the_extension():
    case = _breast_case()
    case.facts[0].code = Code("urn:oid:2.16.840.1.113883.6.43.1", "8500/3", "ductal")
    bundle = to_ips_bundle(case)
    (condition,) = _resources(bundle, "Condition")
    assert condition["code"]["coding"] == [
        {
            "system": "http://snomed.info/sct",
            "code": "408643008",
            "display": "Infiltrating duct carcinoma of breast",
        }
    ]
    morphology = [e for e in condition["extension"] if "histology" in e["url"]]
    assert morphology[0]["valueCodeableConcept"]["coding"][0]["code"] == "8500/3"
    assert condition["bodySite"][0]["coding"][0]["code"] == "76752008"


def test_a_histology_without_a_checked_disorder_code_falls_back_to_the_site_or_to_text():
    case = _breast_case()
    case.facts[0] = _fact(case.documents[0], "histology", "metaplastic carcinoma", "ductal")
    (condition,) = _resources(to_ips_bundle(case), "Condition")
    assert condition["code"]["coding"][0]["code"] == "254837009"  # malignant neoplasm of breast
    case.facts = [f for f in case.facts if f.kind != "primary_site"]
    (condition,) = _resources(to_ips_bundle(case), "Condition")
    assert "coding" not in condition["code"]
    assert condition["code"]["text"] == "metaplastic carcinoma"


def test_medicines_carry_their_atc_code_and_the_schedule_as_written():
    case = _breast_case()
    statements = _resources(to_ips_bundle(case), "MedicationStatement")
    docetaxel = next(m for m in statements if m["medicationCodeableConcept"]["text"] == "docetaxel")
    assert docetaxel["medicationCodeableConcept"]["coding"][0] == {
        "system": "http://www.whocc.no/atc",
        "code": "L01CD02",
        "display": "docetaxel",
    }
    doc = case.documents[1]
    case.facts.append(
        _fact(
            doc,
            "medication",
            "dexamethasone",
            "Plan",
            dose="8 mg",
            route="orally",
            frequency="on days 2-4",
        )
    )
    statements = _resources(to_ips_bundle(case), "MedicationStatement")
    dex = next(m for m in statements if m["medicationCodeableConcept"]["text"] == "dexamethasone")
    assert dex["dosage"] == [{"text": "8 mg orally on days 2-4"}]


def test_a_lab_value_is_a_loinc_coded_quantity_only_when_its_unit_fits_the_code():
    case = _breast_case()
    doc = case.documents[0]
    case.facts = [
        _fact(doc, "lab", "haemoglobin 128 g/L", "grade 2", analyte="haemoglobin"),
        _fact(doc, "lab", "creatinine 1.1 mg/dL", "Ki-67", analyte="creatinine"),
    ]
    case.facts[0].attributes |= {"value": "128", "unit": "g/L"}
    case.facts[1].attributes |= {"value": "1.1", "unit": "mg/dL"}
    observations = _resources(to_ips_bundle(case), "Observation")
    hb = next(o for o in observations if o["code"]["text"] == "haemoglobin")
    assert hb["code"]["coding"][0]["code"] == "718-7"
    assert hb["valueQuantity"] == {
        "value": 128.0,
        "unit": "g/L",
        "system": "http://unitsofmeasure.org",
        "code": "g/L",
    }
    creatinine = next(o for o in observations if o["code"]["text"] == "creatinine")
    assert "coding" not in creatinine["code"]  # 14682-9 is moles per volume, not mg/dL
    assert creatinine["valueQuantity"]["value"] == 1.1


def test_tnm_categories_with_a_stated_prefix_carry_the_ajcc_code():
    bundle = to_ips_bundle(_breast_case())
    obs = {
        c["code"]: o for o in _resources(bundle, "Observation") for c in o["code"].get("coding", [])
    }
    assert obs["21899-0"]["valueCodeableConcept"]["coding"] == [
        {"system": "http://cancerstaging.org", "code": "pT2"}
    ]
    assert obs["21900-6"]["valueCodeableConcept"]["coding"][0]["code"] == "pN1a"


# -- no duplicates -------------------------------------------------------------------------


def test_a_tnm_value_written_without_its_prefix_joins_the_prefixed_one():
    case = _breast_case()
    letter = case.documents[1]
    case.facts.append(_fact(letter, "t_category", "T2", "Plan"))  # the same T2, no prefix
    observations = _resources(to_ips_bundle(case), "Observation")
    t_values = [
        o
        for o in observations
        if "T category" in o["code"]["text"] or o["code"]["text"].startswith("Primary tumor")
    ]
    assert len(t_values) == 1
    assert len([e for e in t_values[0]["extension"] if e["url"] == SOURCE_EXTENSION]) == 2


def test_a_drug_read_as_a_treatment_and_in_a_medication_list_is_one_statement():
    case = _breast_case()
    letter = case.documents[1]
    case.facts.append(_fact(letter, "medication", "docetaxel", "docetaxel"))
    statements = _resources(to_ips_bundle(case), "MedicationStatement")
    names = [m["medicationCodeableConcept"]["text"] for m in statements]
    assert names.count("docetaxel") == 1


def test_a_mention_without_status_joins_the_one_course_whose_status_is_stated():
    case = _status_case(
        (
            "regimen",
            "R-CHOP",
            {"historical": "yes", "start_date": "2024-03-04", "end_date": "2024-06-17"},
        ),
        ("regimen", "R-CHOP", {"date": "2024-02"}),
        ("drug", "gemcitabine", {"status": "planned"}),
        ("drug", "gemcitabine", {"status": "current"}),
        ("drug", "gemcitabine", {}),
    )
    statements = _resources(to_ips_bundle(case), "MedicationStatement")
    (rchop,) = [m for m in statements if m["medicationCodeableConcept"]["text"] == "R-CHOP"]
    assert rchop["status"] == "completed"
    assert rchop["effectivePeriod"] == {"start": "2024-03-04", "end": "2024-06-17"}
    gemcitabine = [m for m in statements if m["medicationCodeableConcept"]["text"] == "gemcitabine"]
    assert sorted(m["status"] for m in gemcitabine) == ["active", "intended", "unknown"]


def test_the_schedule_stays_in_the_dosage_and_the_status_date_is_when_it_was_asserted():
    case = _status_case(
        (
            "medication",
            "gliclazide",
            {
                "dose": "40 mg",
                "frequency": "each morning",
                "schedule": "on dexamethasone days only",
                "status": "current",
                "status_date": "2026-08-18",
            },
        ),
    )
    (statement,) = _resources(to_ips_bundle(case), "MedicationStatement")
    assert statement["dosage"] == [{"text": "40 mg each morning on dexamethasone days only"}]
    assert statement["dateAsserted"] == "2026-08-18"
    assert statement["status"] == "active"


def test_a_course_stopped_before_its_end_is_a_stopped_medication_statement():
    case = _status_case(
        ("regimen", "ipilimumab-nivolumab", {"status": "stopped", "end_date": "2026-10-08"}),
        ("drug", "capecitabine", {"status": "completed"}),
    )
    statements = _resources(to_ips_bundle(case), "MedicationStatement")
    by_name = {m["medicationCodeableConcept"]["text"]: m["status"] for m in statements}
    assert by_name == {"ipilimumab-nivolumab": "stopped", "capecitabine": "completed"}


def test_a_treatment_referred_to_discuss_is_a_service_request_proposal_not_a_plan():
    case = _status_case(
        (
            "cellular_therapy",
            "ciltacabtagene autoleucel",
            {"status": "planned", "intent": "proposal"},
        ),
        ("surgery", "wide local excision", {"status": "planned"}),
    )
    requests = _resources(to_ips_bundle(case), "ServiceRequest")
    by_name = {r["code"]["text"]: (r["status"], r["intent"]) for r in requests}
    assert by_name == {
        "ciltacabtagene autoleucel": ("active", "proposal"),
        "wide local excision": ("active", "plan"),
    }
