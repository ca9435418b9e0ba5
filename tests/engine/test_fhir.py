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
from casebridge.engine.render.fhir import SOURCE_EXTENSION, to_ips_bundle
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
    assert patient["name"] == [{"use": "anonymous", "text": "CB-TEST0001"}]
    assert "identifier" not in patient and "address" not in patient
    text = json.dumps(bundle)
    assert "Testperson" not in text
    assert "943 476 5919" not in text


def test_pathological_tnm_uses_the_pathological_loinc_codes_and_keeps_the_prefix():
    bundle = to_ips_bundle(_breast_case())
    obs = {
        o["code"]["coding"][0]["code"]: o
        for o in _resources(bundle, "Observation")
        if o["code"].get("coding")
    }
    assert obs["21899-0"]["valueCodeableConcept"]["text"] == "pT2"
    assert obs["21900-6"]["valueCodeableConcept"]["text"] == "pN1a"
    assert "21905-5" not in obs  # not the clinical code
    assert obs["16112-5"]["valueCodeableConcept"]["coding"][0]["code"] == "10828004"


def test_a_tnm_category_without_a_prefix_gets_no_guessed_code():
    case = _breast_case()
    doc = case.documents[0]
    case.facts = [_fact(doc, "t_category", "T2", "pT2")]
    bundle = to_ips_bundle(case)
    (obs,) = _resources(bundle, "Observation")
    assert "coding" not in obs["code"]
    assert "not stated" in obs["code"]["text"]


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
