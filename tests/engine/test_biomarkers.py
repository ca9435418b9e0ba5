"""Biomarker facts: receptor status, HER2, mutations, PD-L1, MSI/MMR."""

from __future__ import annotations

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import biomarkers


def _facts(text: str) -> list[Fact]:
    doc = Document(
        id="d1", file_name="path.txt", sha256="x", size=len(text), pages=[Page(1, text, "plain")]
    )
    return biomarkers.extract(doc)


def _one(text: str, kind: str) -> Fact:
    return next(f for f in _facts(text) if f.kind == kind)


def test_it_reads_er_and_pr_with_percent_and_allred() -> None:
    text = "Estrogen receptor: POSITIVE (95%, Allred 8/8). Progesterone receptor: NEGATIVE (0%)."
    er, pr = _one(text, "er_status"), _one(text, "pr_status")
    assert (er.value, er.attributes["percent"], er.attributes["allred"]) == ("positive", "95%", "8")
    assert pr.value == "negative"
    assert pr.context == "asserted"


def test_it_reads_er_low_positive_by_the_asco_cap_cut_off() -> None:
    assert _one("ER: positive, 5% weak staining", "er_status").value == "low positive"


def test_it_shares_one_result_across_er_and_pr() -> None:
    facts = _facts("The tumour cells are positive for ER and PR and negative for HER2.")
    values = {f.kind: f.value for f in facts}
    assert values["er_status"] == "positive"
    assert values["pr_status"] == "positive"
    assert values["her2_ihc"] == "negative"


def test_it_reads_the_her2_ihc_score_with_its_meaning() -> None:
    fact = _one("HER2 (4B5) immunohistochemistry: score 2+, equivocal.", "her2_ihc")
    assert fact.value == "2+"
    assert fact.display == "HER2 IHC 2+ (equivocal)"


def test_it_reads_her2_ish_ratio_and_amplification() -> None:
    fact = _one("HER2 FISH: amplified, HER2/CEP17 ratio 2.8, average copy number 6.1", "her2_ish")
    assert fact.value == "amplified"
    assert fact.attributes["ratio"] == "2.8"


def test_it_reads_her2_ish_to_follow_as_pending() -> None:
    facts = _facts("HER2 IHC 2+ (equivocal). HER2 ISH to follow.")
    assert any(f.kind == "her2_ish" and f.value == "pending" for f in facts)


def test_a_negative_mutation_result_is_an_asserted_fact() -> None:
    fact = _one("EGFR mutation not detected.", "egfr")
    assert fact.value == "not detected"
    assert fact.context == "asserted"


def test_it_reads_mutation_variants() -> None:
    assert _one("EGFR: exon 19 deletion detected.", "egfr").value == "exon 19 deletion"
    assert _one("KRAS mutation analysis: G12C detected", "kras").value == "G12C"
    assert _one("BRAF V600E mutation identified", "braf").value == "V600E"


def test_it_reads_pdl1_tps_and_ki67() -> None:
    assert _one("PD-L1 (22C3): TPS 60%", "pdl1").value == "TPS 60%"
    assert _one("Ki-67 proliferation index: 25%", "ki67").value == "25%"


def test_it_reads_mismatch_repair_loss_and_msi() -> None:
    facts = _facts("MMR immunohistochemistry: loss of MLH1 and PMS2 expression. MSI-H by PCR.")
    mmr = next(f for f in facts if f.kind == "msi_mmr" and f.value == "dMMR")
    assert mmr.attributes["lost"] == "MLH1, PMS2"
    assert any(f.kind == "msi_mmr" and f.value == "MSI-H" for f in facts)


def test_a_marker_named_without_a_result_gives_no_fact() -> None:
    assert _facts("Clones used: ER (SP1), PR (1E2), HER2 (4B5).") == []


def _asserted(text: str, kind: str) -> list[str]:
    return [f.value for f in _facts(text) if f.kind == kind and f.context == "asserted"]


def test_a_conditional_plan_is_not_a_her2_result() -> None:
    plan = (
        "Plan\n• Await HER2 ISH result.\n"
        "• If HER2 amplified: refer for neoadjuvant chemotherapy with trastuzumab.\n"
        "• If HER2 not amplified (ER positive, HER2 negative): discuss surgery first.\n"
    )
    assert _asserted(plan, "her2_ish") == []
    assert _asserted(plan, "her2_ihc") == []
    assert _asserted(plan, "er_status") == []
    hypotheses = [f for f in _facts(plan) if f.kind == "her2_ish"]
    assert hypotheses and all(f.context == "possible" for f in hypotheses)


def test_would_if_and_whether_make_a_marker_hypothetical() -> None:
    assert _asserted("If ISH shows HER2 amplification we would add trastuzumab.", "her2_ish") == []
    assert _asserted("She would be eligible if HER2 is positive.", "her2_ihc") == []
    text = "A further test (ISH) will decide whether the cancer is HER2 positive."
    assert _asserted(text, "her2_ihc") == [] and _asserted(text, "her2_ish") == []


def test_a_her2_ish_still_awaited_is_pending_beside_a_plan() -> None:
    text = "HER2 2+ (equivocal) - ISH awaited.\nIf HER2 amplified: refer to oncology."
    assert _asserted(text, "her2_ish") == ["pending"]


def test_no_t790m_is_a_negative_result_for_that_variant() -> None:
    text = "EGFR: exon 19 deletion detected. No EGFR T790M or exon 20 insertion detected."
    assert _asserted(text, "egfr") == ["exon 19 deletion", "T790M not detected"]
    assert _asserted("EGFR T790M not detected.", "egfr") == ["T790M not detected"]
    assert _asserted("Negative for EGFR T790M.", "egfr") == ["T790M not detected"]


def test_a_marker_not_assessed_gives_no_result() -> None:
    for text in (
        "ROS1: Not assessed: insufficient tumour material for ROS1 IHC.",
        "ROS1 not assessed (insufficient tissue).",
        "ROS1 was never tested.",
        "ROS1: not tested.",
        "ALK FISH failed quality control.",
    ):
        assert [f for f in _facts(text) if f.kind in ("ros1", "alk")] == [], text


def test_a_marker_named_as_a_drug_target_or_a_request_is_not_a_result() -> None:
    text = "Eligible for first-line EGFR tyrosine kinase inhibitor therapy."
    assert [f for f in _facts(text) if f.kind == "egfr"] == []
    sent = "Plasma ctDNA sent today, including MET amplification and EGFR resistance mutations."
    assert [f for f in _facts(sent) if f.context == "asserted"] == []


def test_no_variant_detected_is_a_negative_result_for_other_markers() -> None:
    fact = _one("MET: No exon 14 skipping variant detected (DNA).", "other_biomarker")
    assert fact.value == "exon 14 skipping variant not detected"
    assert fact.context == "asserted"


def test_a_negative_result_names_only_what_was_tested() -> None:
    # "no MET exon 14 skipping" says nothing of MET amplification: never "MET not detected"
    fact = _one("No MET exon 14 skipping detected.", "other_biomarker")
    assert fact.display == "MET exon 14 skipping not detected"
    assert _one("No RET fusion detected.", "other_biomarker").display == "RET fusion not detected"
    amplification = _one("No MET amplification.", "other_biomarker")
    assert amplification.display == "MET amplification not detected"


def test_a_dash_before_a_result_word_is_not_a_minus_sign() -> None:
    text = "ESTROGEN RECEPTOR - POSITIVE, PROGESTERONE RECEPTOR - POSITIVE"
    assert _asserted(text, "er_status") == ["positive"]
    assert _asserted(text, "pr_status") == ["positive"]


def test_signs_after_each_marker_are_read_separately() -> None:
    text = "Triple assessment: ER+/PR+/HER2-."
    assert _asserted(text, "er_status") == ["positive"]
    assert _asserted(text, "pr_status") == ["positive"]
    assert _asserted(text, "her2_ihc") == ["negative"]
    assert _asserted("ER-negative, PR-negative breast cancer.", "er_status") == ["negative"]


def test_receptor_percent_and_allred_follow_asco_cap() -> None:
    assert _asserted("ER: 5% of tumour nuclei", "er_status") == ["low positive"]
    assert _asserted("ER: <1% of tumour nuclei", "er_status") == ["negative"]
    assert _asserted("PR: 40% moderate staining", "pr_status") == ["positive"]
    assert _asserted("Oestrogen receptor: Allred score 2/8", "er_status") == ["negative"]
    assert _asserted("Oestrogen receptor: Allred score 6/8", "er_status") == ["positive"]
    assert _asserted("estrogen receptor 2+, progesterone receptor 3+", "pr_status") == ["positive"]


def test_weakly_positive_her2_is_equivocal_not_positive() -> None:
    assert _asserted("HER2: weakly positive.", "her2_ihc") == ["equivocal"]
    assert _asserted("Tumour cells are weakly positive for HER2/neu.", "her2_ihc") == ["equivocal"]


def test_alk_negative_by_ihc_is_a_protein_result_not_a_mutation() -> None:
    for text in ("ALK negative (IHC).", "ALK (D5F3 IHC, Ventana): Negative."):
        fact = _one(text, "alk")
        assert (fact.value, fact.attributes["method"]) == ("negative", "IHC"), text
        assert "mutation" not in fact.display
    assert _one("ALK positive by immunohistochemistry.", "alk").value == "positive"
    assert _one("ALK negative.", "alk").value == "negative"


def test_alk_and_ros1_by_fish_or_ngs_are_rearrangement_results() -> None:
    fish = _one("ALK: no rearrangement detected by FISH.", "alk")
    assert (fish.value, fish.attributes["method"]) == ("not detected", "FISH")
    assert fish.display == "ALK rearrangement not detected (FISH)"
    ngs = _one("ROS1 fusion not detected (RNA fusion panel).", "ros1")
    assert (ngs.value, ngs.display) == ("not detected", "ROS1 fusion not detected (NGS)")
    found = _one("EML4-ALK fusion detected by NGS.", "alk")
    assert (found.value, found.display) == ("EML4-ALK", "EML4-ALK fusion detected (NGS)")
    assert "mutation" not in _one("ROS1 FISH negative.", "ros1").display


def test_a_negative_variant_result_keeps_its_wording() -> None:
    kras = _one("KRAS: No pathogenic variant detected.", "kras")
    assert (kras.value, kras.display) == ("not detected", "KRAS pathogenic variant not detected")
    braf = _one("BRAF: no variant detected.", "braf")
    assert (braf.value, braf.display) == ("not detected", "BRAF variant not detected")
    assert _one("EGFR mutation not detected.", "egfr").display == "EGFR mutation not detected"


def test_it_reads_compact_and_lower_case_receptor_forms() -> None:
    cases = {
        "Core biopsy: IDC, er/pr+, her2 negative.": ("positive", "positive", "negative"),
        "Known ER+/PR- HER2- breast cancer.": ("positive", "negative", "negative"),
        "ER/PR positive, HER2 3+.": ("positive", "positive", "3+"),
        "Triple negative breast cancer.": ("negative", "negative", "negative"),
        "er+ pr- her2-": ("positive", "negative", "negative"),
    }
    for text, expected in cases.items():
        got = {f.kind: f.value for f in _facts(text)}
        assert (got["er_status"], got["pr_status"], got["her2_ihc"]) == expected, text


def test_lower_case_er_pr_and_her_words_are_not_read_as_receptors() -> None:
    assert _facts("The er was busy and her 2 children came with her.") == []
    assert not any(f.kind == "her2_ihc" for f in _facts("Her2 Negative <10.7 Positive >=11.5"))


def test_no_before_the_genes_is_a_negative_result_for_each_never_a_pathogenic_variant() -> None:
    facts = [
        f for f in _facts("No pathogenic BRCA1 or BRCA2 variant detected.") if f.kind == "brca"
    ]
    assert [f.value for f in facts] == ["not detected", "not detected"]
    assert [f.display for f in facts] == [
        "BRCA1 pathogenic variant not detected",
        "BRCA2 pathogenic variant not detected",
    ]


def test_no_heading_the_result_after_a_variant_is_that_variant_not_detected() -> None:
    fact = _one("BRAF: no V600 mutation detected.", "braf")
    assert fact.value == "V600 not detected"
    assert _one("BRAF V600E detected.", "braf").value == "V600E"


def test_a_negative_result_keeps_the_exons_it_covered() -> None:
    fact = _one("EGFR: no mutation detected in exons 18-21.", "egfr")
    assert fact.value == "not detected"
    assert fact.display == "EGFR mutation not detected (exons 18-21)"


def test_a_negative_for_a_variant_named_with_the_gene_excludes_only_that_variant() -> None:
    for text in ("BRAF V600E: not detected.", "pMMR, RAS wild-type, BRAF V600E not detected."):
        fact = _one(text, "braf")
        assert fact.value == "V600E not detected", text
        assert fact.display == "BRAF V600E not detected", text
    assert _one("BRAF: not detected.", "braf").display == "BRAF mutation not detected"
