from __future__ import annotations

from typing import Any

from casebridge.engine.case import Fact
from casebridge.engine.extract import mdt_results
from casebridge.engine.render.summary import Summary, build_summary
from tests.engine.factories import document


def _facts(text: str) -> list[Fact]:
    return mdt_results.extract(document("d1", "clinic_letter", text))


def _shown(text: str) -> list[str]:
    return [f.display for f in _facts(text)]


def test_each_fish_abnormality_keeps_its_own_result_as_tested() -> None:
    text = (
        "1. IgG kappa multiple myeloma (R-ISS II at diagnosis)\n"
        "   Cytogenetics (FISH, 03/2020): gain of 1q21 detected; t(4;14) not detected; t(14;16) not\n"
        "   detected; del(17p) not detected.\n"
    )
    shown = _shown(text)
    assert "FISH gain 1q21 detected" in shown
    assert "FISH t(4;14) not detected" in shown
    assert "FISH t(14;16) not detected" in shown  # the result wrapped onto the next line
    assert "FISH del(17p) not detected" in shown
    fish = [f for f in _facts(text) if f.attributes.get("method") == "FISH"]
    assert {f.attributes.get("date") for f in fish} == {"2020-03"}
    assert all(f.context == "asserted" for f in fish)  # a negative result is a result


def test_an_abnormality_with_no_result_written_is_not_a_result() -> None:
    assert _shown("FISH for t(4;14) and del(17p) has been requested.") == []


def test_myeloma_paraprotein_type_and_r_iss_stage_are_read() -> None:
    facts = _facts(
        "Diagnosis: IgG kappa multiple myeloma, diagnosed 03/2020 (R-ISS II at diagnosis)"
    )
    stage = [f for f in facts if f.kind == "stage_group"]
    assert [f.value for f in stage] == ["R-ISS II"]
    assert stage[0].attributes["time_point"] == "diagnosis"
    assert stage[0].attributes["date"] == "2020-03"
    assert "paraprotein type IgG kappa" in [f.display for f in facts]


def test_bcma_expression_is_a_result_but_a_bcma_directed_therapy_is_not() -> None:
    assert _shown("flow cytometry: BCMA expressed on plasma cells; CD19 negative") == [
        "BCMA expressed"
    ]
    assert _shown("referred to discuss a BCMA-directed CAR-T (ciltacabtagene autoleucel)") == []


def test_hrd_status_and_genomic_instability_score_are_both_kept() -> None:
    shown = _shown(
        "Somatic tumour HRD test (Myriad myChoice): HRD positive, genomic instability score 63."
    )
    assert shown == ["HRD positive", "genomic instability score 63"]


def test_dpyd_negative_names_the_variants_tested_and_its_date() -> None:
    facts = _facts(
        "DPYD genotyping (12/11/2026): no DPYD variant detected (c.1905+1G>A, c.1679T>G, "
        "c.2846A>T, c.1236G>A tested)."
    )
    assert [f.value for f in facts] == ["no variant detected"]
    assert facts[0].attributes["tested"] == "c.1905+1G>A, c.1679T>G, c.2846A>T, c.1236G>A"
    assert facts[0].attributes["date"] == "2026-11-12"


def test_a_planned_dpyd_test_is_not_a_result() -> None:
    assert _shown("2. DPYD genotyping before fluoropyrimidine.") == []


def test_negative_pleural_cytology_is_kept_as_written_with_its_date() -> None:
    facts = _facts(
        "small right pleural effusion (pleural fluid cytology 03/08/2026: no malignant cells\nseen)"
    )
    assert [f.display for f in facts] == ["pleural fluid cytology: no malignant cells seen"]
    assert facts[0].kind == "distant_staging"
    assert facts[0].attributes["date"] == "2026-08-03"
    assert facts[0].attributes["test"] == "pleural fluid cytology"


def test_an_intolerance_is_an_allergy_record_of_type_intolerance() -> None:
    facts = _facts("Allergies: No known drug allergies. Intolerance: codeine (vomiting).")
    assert [(f.kind, f.value, f.attributes) for f in facts] == [
        ("allergy", "codeine", {"type": "intolerance", "reaction": "vomiting"})
    ]


def test_a_condition_named_intolerance_is_not_a_list_of_intolerances() -> None:
    assert _facts("Past history: lactose intolerance: mild, diet controlled.") == []


def test_each_later_value_of_a_tumour_marker_series_has_its_own_date() -> None:
    facts = _facts(
        "Tumour markers: CA-125 1,842 kU/L (27/07/2026), 388 kU/L (30/09/2026), 61 kU/L (18/11/2026)."
    )
    assert [(f.value, f.attributes["date"]) for f in facts] == [
        ("CA-125 388 kU/L", "2026-09-30"),
        ("CA-125 61 kU/L", "2026-11-18"),
    ]


# -- the summary rows (EN and ZH) and the FHIR resources ----------------------------------

MYELOMA = (
    "Diagnosis:\n1. IgG kappa multiple myeloma, diagnosed 03/2020 (R-ISS II at diagnosis)\n"
    "   Cytogenetics (FISH, 03/2020): gain of 1q21 detected; t(4;14) not detected.\n"
    "Bone marrow aspirate 20/11/2026: flow cytometry: BCMA expressed on plasma cells.\n"
)
OVARIAN = (
    "High-grade serous carcinoma, FIGO stage IIIC. CT CAP 28/07/2026: small right pleural\n"
    "effusion (pleural fluid cytology 03/08/2026: no malignant cells seen).\n"
    "Somatic tumour HRD test (Myriad myChoice): HRD positive, genomic instability score 63.\n"
)
COLON = (
    "Allergies: No known drug allergies. Intolerance: codeine (vomiting).\n"
    "DPYD genotyping (12/11/2026): no DPYD variant detected (c.1905+1G>A, c.1679T>G tested).\n"
)


def _summary(text: str, lang: str) -> Summary:
    from tests.engine.test_render_summary import extracted_case

    return build_summary(extracted_case(document("m1", "clinic_letter", text, "2026-11-24")), lang)


def test_fish_results_show_in_the_biomarker_rows_with_the_test_date_in_both_languages() -> None:
    from tests.engine.test_render_summary import row

    en, zh = _summary(MYELOMA, "en"), _summary(MYELOMA, "zh")
    assert row(en, "FISH t(4;14)") == "FISH t(4;14) not detected (2020-03)"
    assert row(zh, "FISH t(4;14)") == "未检出（2020-03）"
    assert row(en, "paraprotein type") == "paraprotein type IgG kappa (2026-11-24)"
    assert "[EN]" not in row(zh, "M蛋白类型")
    assert row(en, "Stage group") == "R-ISS II (2020-03)"


def test_negative_pleural_cytology_shows_in_staging_dated_by_its_test_not_by_the_ct() -> None:
    from tests.engine.test_render_summary import row

    en, zh = _summary(OVARIAN, "en"), _summary(OVARIAN, "zh")
    assert row(en, "Distant staging") == (
        "pleural fluid cytology: no malignant cells seen (2026-08-03)"
    )
    assert row(zh, "远处转移评估") == "胸水细胞学检查：未见恶性细胞（2026-08-03）"
    assert row(zh, "基因组不稳定性评分") == "基因组不稳定性评分（GIS） 63（2026-11-24）"


def test_an_intolerance_beside_no_known_drug_allergies_is_not_a_conflict() -> None:
    from tests.engine.test_render_summary import row

    en, zh = _summary(COLON, "en"), _summary(COLON, "zh")
    assert row(en, "Allergies") == "codeine (intolerance) (2026-11-24); No known drug allergies"
    assert "[EN]" not in row(zh, "过敏史")
    assert "[EN]" not in row(zh, "DPYD")


def test_an_allergy_beside_no_known_drug_allergies_is_still_a_conflict() -> None:
    summary = _summary("No known drug allergies.\nAllergies: Penicillin (rash).", "en")
    statuses = [
        line.status
        for section in summary.sections
        for line in section.lines
        if "".join(s.text for s in line.label).startswith("Allergies")
    ]
    assert statuses == ["conflict"]


def _bundle(text: str) -> dict[str, Any]:
    from casebridge.engine.render.fhir import to_ips_bundle
    from tests.engine.test_render_summary import extracted_case

    return to_ips_bundle(extracted_case(document("m1", "clinic_letter", text, "2026-11-24")))


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_fhir_intolerance_is_an_allergy_intolerance_of_type_intolerance() -> None:
    found = [r for r in _of(_bundle(COLON), "AllergyIntolerance") if r.get("type")]
    assert [(r["type"], r["code"]["text"]) for r in found] == [("intolerance", "codeine")]
    assert found[0]["reaction"][0]["manifestation"][0]["text"] == "vomiting"


def test_fhir_names_each_fish_abnormality_and_does_not_code_r_iss_as_tnm() -> None:
    observations = _of(_bundle(MYELOMA), "Observation")
    texts = {o["code"]["text"] for o in observations}
    assert {"FISH gain 1q21", "FISH t(4;14)", "BCMA", "R-ISS stage"} <= texts
    stage = next(o for o in observations if o["code"]["text"] == "R-ISS stage")
    assert "coding" not in stage["code"]  # not the SNOMED "TNM stage grouping"
    assert stage["valueCodeableConcept"]["text"] == "R-ISS II"
