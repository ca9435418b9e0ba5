"""SNOMED CT codes for the haematolymphoid cancer Conditions and the metastatic sites, from
the knowledge data (haematolymphoid.yaml, fhir_codes.yaml), each code with its display and
the public source that pairs them."""

from __future__ import annotations

from typing import Any

from casebridge.engine.case import Case
from casebridge.engine.extract import haem
from casebridge.engine.kb import load
from casebridge.engine.render.fhir import to_ips_bundle
from tests.engine import factories
from tests.engine.test_fhir_validator import errors, medplum_issues

SNOMED = "http://snomed.info/sct"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
WHEN = "2026-09-14T10:00:00+00:00"


def _case(text: str, *extra: tuple[str, str, str]) -> Case:
    """A haematology letter read by haem.py, with further facts (kind, value, phrase)."""
    doc = factories.document("d1", "clinic_letter", text, date="2026-09-01")
    case = Case(case_id="CB-HAEM", created=WHEN, documents=[doc])
    case.facts = haem.extract(doc)
    case.facts += [factories.fact(doc, kind, value, phrase) for kind, value, phrase in extra]
    return case


def _claiming(bundle: dict[str, Any], profile: str) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in bundle["entry"]
        if MCODE + profile in e["resource"].get("meta", {}).get("profile", [])
    ]


def test_follicular_lymphomas_condition_carries_its_snomed_disorder_and_its_morphology():
    bundle = to_ips_bundle(_case("Diagnosis: follicular lymphoma, grade 1-2, stage IIIA."))
    (condition,) = _claiming(bundle, "mcode-primary-cancer-condition")
    assert condition["code"]["coding"] == [
        {"system": SNOMED, "code": "308121000", "display": "Follicular non-Hodgkin's lymphoma"}
    ]
    assert condition["code"]["text"] == "follicular lymphoma, grade 1-2"
    (morphology,) = [e for e in condition["extension"] if "histology" in e["url"]]
    assert morphology["valueCodeableConcept"]["coding"][0]["code"] == "9690/3"


def test_a_liver_metastasis_has_its_secondary_neoplasm_code_and_the_liver_as_body_site():
    case = _case(
        "Mantle cell lymphoma with liver metastases.",
        ("metastatic_site", "liver", "liver metastases"),
    )
    bundle = to_ips_bundle(case)
    (liver,) = _claiming(bundle, "mcode-secondary-cancer-condition")
    assert liver["code"]["coding"][0] == {
        "system": SNOMED,
        "code": "94381002",
        "display": "Secondary malignant neoplasm of liver",
    }
    assert liver["code"]["coding"][1]["code"] == "C78.7"
    assert liver["code"]["text"] == "Metastasis: liver"
    assert liver["bodySite"][0]["coding"] == [
        {"system": SNOMED, "code": "10200004", "display": "Liver structure"}
    ]
    assert errors(medplum_issues(bundle)) == []


def test_a_site_without_a_checked_disorder_keeps_the_metastatic_root_and_its_icd10cm_code():
    case = _case(
        "Multiple myeloma. CT: pleural deposits.",
        ("metastatic_site", "pleura", "pleural deposits"),
    )
    (pleura,) = _claiming(to_ips_bundle(case), "mcode-secondary-cancer-condition")
    assert [c["code"] for c in pleura["code"]["coding"]] == ["128462008", "C78.2"]
    assert "coding" not in pleura["bodySite"][0]  # no checked body structure: text only
    assert pleura["bodySite"][0]["text"] == "pleura"


def test_an_entity_without_a_confirmed_code_stays_text_only():
    bundle = to_ips_bundle(_case("Biopsy: high-grade B-cell lymphoma with MYC rearrangement."))
    (condition,) = _claiming(bundle, "mcode-primary-cancer-condition")
    assert "coding" not in condition["code"]
    assert condition["code"]["text"] == "high-grade B-cell lymphoma"
    assert errors(medplum_issues(bundle)) == []


def test_a_transformed_lymphoma_is_not_coded_as_the_one_it_came_from():
    bundle = to_ips_bundle(
        _case("High-grade B-cell lymphoma transformed from follicular lymphoma (2019).")
    )
    (condition,) = _claiming(bundle, "mcode-primary-cancer-condition")
    assert condition["code"]["text"] == "high-grade B-cell lymphoma"
    assert "coding" not in condition["code"]


def test_a_haematolymphoid_bundle_with_coded_conditions_passes_medplums_validator():
    case = _case(
        "Classical Hodgkin lymphoma, nodular sclerosis subtype. Bone metastases on PET.",
        ("metastatic_site", "bone", "Bone metastases"),
    )
    bundle = to_ips_bundle(case)
    (primary,) = _claiming(bundle, "mcode-primary-cancer-condition")
    assert primary["code"]["coding"][0]["code"] == "118608000"
    assert errors(medplum_issues(bundle)) == []


# -- the knowledge data ---------------------------------------------------------------------


def _every_condition_and_body_site_code() -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(where, entry, the sources map its `source` names) for every code of a Condition or
    a body site in the knowledge data."""
    codes = load("fhir_codes")
    sources: dict[str, str] = codes["sources"]
    found = [
        (f"cancer_conditions[{i}]", e, sources) for i, e in enumerate(codes["cancer_conditions"])
    ]
    found += [(f"cancer_by_site.{k}", e, sources) for k, e in codes["cancer_by_site"].items()]
    found += [(f"body_sites.{k}", e, sources) for k, e in codes["body_sites"].items()]
    found += [("metastatic_disorder", codes["metastatic_disorder"], sources)]
    for site, entry in codes["metastatic_sites"].items():
        found += [(f"metastatic_sites.{site}.{k}", e, sources) for k, e in entry.items()]
    haem_data = load("haematolymphoid")
    found += [
        (f"haematolymphoid {e['name']}", e["snomed"], haem_data["snomed_sources"])
        for e in haem_data["entities"]
        if "snomed" in e
    ]
    return found


def test_every_condition_and_body_site_code_has_its_display_and_a_named_source():
    found = _every_condition_and_body_site_code()
    assert len(found) > 60
    for where, entry, sources in found:
        assert str(entry.get("code", "")).strip(), where
        assert str(entry.get("display", "")).strip(), f"{where}: a code without its display"
        assert entry.get("source") in sources, f"{where}: no source, or one not in the map"
        assert str(sources[entry["source"]]).strip(), where


def test_every_site_metastases_yaml_names_has_its_codes_entry():
    sites = {s["name"] for s in load("metastases")["sites"]}
    assert sites == set(load("fhir_codes")["metastatic_sites"])


def test_each_haematolymphoid_code_is_one_entitys_and_only_the_unconfirmed_one_is_uncoded():
    entities = load("haematolymphoid")["entities"]
    codes = [e["snomed"]["code"] for e in entities if "snomed" in e]
    assert len(codes) == len(set(codes))  # no code stands for two entities
    assert [e["name"] for e in entities if "snomed" not in e] == ["high-grade B-cell lymphoma"]
