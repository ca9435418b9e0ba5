"""TNM extraction: explicit categories in their written and OCR-damaged forms,
false positives that must not be read, inference from the description, and the
choice of the definitive value. Texts are written here, in the style of reports."""

from __future__ import annotations

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import tnm
from casebridge.engine.extract.tnm.nodes import node_counts


def doc_of(text: str) -> Document:
    return Document(
        id="d" * 16,
        file_name="report.txt",
        sha256="0" * 64,
        size=len(text),
        pages=[Page(number=1, text=text, method="plain")],
    )


def values(text: str, kind: str) -> list[str]:
    return [f.value for f in tnm.extract(doc_of(text)) if f.kind == kind]


def best(text: str, kind: str) -> Fact | None:
    return tnm.definitive(tnm.extract(doc_of(text)), kind)


def test_it_reads_a_compact_pT2N0M0() -> None:
    facts = tnm.extract(doc_of("Pathologic stage: pT2N0M0."))
    got = {f.kind: (f.value, f.attributes["prefix"], f.attributes["method"]) for f in facts}
    assert got["t_category"] == ("T2", "p", "explicit")
    assert got["n_category"][0] == "N0"
    assert got["m_category"][0] == "M0"


def test_it_reads_spaced_and_comma_separated_forms() -> None:
    assert values("Stage: pT2 N1a MX", "n_category") == ["N1a"]
    assert values("Stage: pT2 N1a MX", "m_category") == ["MX"]
    assert values("adenocarcinoma (G2, pT2, pN0).", "n_category") == ["N0"]
    assert values("The stage is T3 N0 (0/12).", "t_category") == ["T3"]


def test_it_reads_cap_synoptic_headings() -> None:
    text = (
        "Primary Tumor (pT): pT1c: Tumor > 10 mm but <= 20 mm. "
        "Regional Lymph Nodes (pN): pN1a. Distant Metastasis (pM): pM1b."
    )
    assert values(text, "t_category") == ["T1c"]
    assert values(text, "n_category") == ["N1a"]
    assert values(text, "m_category") == ["M1b"]


def test_it_reads_pT2_with_ocr_zero_as_N0() -> None:
    assert values("TNM: pT2NOMX", "n_category") == ["N0"]
    assert values("TNM: T1bNOMO", "t_category") == ["T1b"]
    assert values("TNM: T1bNOMO", "m_category") == ["M0"]
    assert values("The stage is T4 NO MX (due to invasion)", "n_category") == ["N0"]
    assert values("pT3 Nx Mx", "n_category") == ["NX"]


def test_it_reads_ocr_letter_l_as_one_and_spaced_categories() -> None:
    assert values("AJCC pTla", "t_category") == ["T1a"]
    assert values("Final: pT 2", "t_category") == ["T2"]


def test_it_reads_prefixes_suffixes_and_in_situ() -> None:
    facts = tnm.extract(doc_of("After therapy ypT0 ypN0. Other: pTis. Multiple: pT2(m), pT4a(2)."))
    t = [(f.value, f.attributes["prefix"]) for f in facts if f.kind == "t_category"]
    assert t == [("T0", "yp"), ("Tis", "p"), ("T2", "p"), ("T4a", "p")]


def test_it_reads_n_suffixes_and_clinical_m() -> None:
    assert values("pN0(i+)", "n_category") == ["N0(i+)"]
    assert values("pN1mi", "n_category") == ["N1mi"]
    facts = tnm.extract(doc_of("Staging: cM0"))
    assert [(f.value, f.attributes["prefix"]) for f in facts] == [("M0", "c")]


def test_it_does_not_read_mri_vertebrae_gas_or_block_labels() -> None:
    text = (
        "MRI: T2-weighted and T1 weighted images. Fracture of the T12 vertebra. "
        "N2 gas was used. Blocks T1-3 submitted. CLEAN MARGINS. MOTHER. NO TUMOUR SEEN."
    )
    assert tnm.extract(doc_of(text)) == []


def test_it_does_not_read_no_followed_by_a_word_as_N0() -> None:
    assert values("Stage: pT2. No lymph nodes were identified.", "n_category") == []


def test_it_ignores_an_unticked_checklist_of_options() -> None:
    text = (
        "Primary Tumor (pT): pT1: Tumor limited to one subsite. pT2: Tumor invades more "
        "than one subsite. x pT3: Tumor measures more than 4 cm. pT4a: Tumor invades "
        "cartilage."
    )
    assert values(text, "t_category") == ["T3"]


def test_it_reads_stage_group_and_edition() -> None:
    text = "Pathologic stage: IIB (AJCC 7th edition). TNM: pT3/NO/MX."
    facts = tnm.extract(doc_of(text))
    stage = [f for f in facts if f.kind == "stage_group"]
    assert [(f.value, f.attributes["prefix"]) for f in stage] == [("IIB", "p")]
    assert [f.value for f in facts if f.kind == "tnm_edition"] == ["AJCC 7th"]
    assert values("Pathologic staging (AJCC 2010): pT3a", "tnm_edition") == ["AJCC 7th"]
    assert values("Tanner stage II", "stage_group") == []


def test_every_fact_carries_its_source() -> None:
    text = "Diagnosis: invasive carcinoma. AJCC: pT2 pN1 pMX."
    for fact in tnm.extract(doc_of(text)):
        assert fact.source is not None
        assert text[fact.source.start : fact.source.end] in fact.source.snippet
    t = next(f for f in tnm.extract(doc_of(text)) if f.kind == "t_category")
    assert text[t.source.start : t.source.end] == "pT2"


def test_the_definitive_t_is_the_highest_resection_pT() -> None:
    text = "Biopsy (clinical): cT1. Specimen A: pT1b. Specimen B: pT2a. Specimen C: pTX."
    fact = best(text, "t_category")
    assert fact is not None and fact.value == "T2a"
    assert len(values(text, "t_category")) == 4  # every written value is still a fact


def test_a_revised_stage_supersedes_the_first() -> None:
    text = "Stage: pT3 N1 MX. Addendum: the stage is revised to reflect the correct stage: pT2N1Mx."
    fact = best(text, "t_category")
    assert fact is not None and fact.value == "T2"


def test_it_infers_breast_t_from_invasive_size() -> None:
    text = (
        "Left breast, lumpectomy: invasive ductal carcinoma. Breast mastectomy not done. "
        "Size of invasive carcinoma: 1.5 cm. Margins clear."
    )
    fact = best(text, "t_category")
    assert fact is not None
    assert (fact.value, fact.attributes["method"]) == ("T1c", "inferred")
    assert fact.found_by == "ajcc.breast.size"


def test_it_does_not_infer_breast_t_when_the_skin_is_ulcerated() -> None:
    text = "Right breast, mastectomy: invasive ductal carcinoma. Tumor size: 3 cm. Skin ulceration present."
    assert values(text, "t_category") == []


def test_it_reads_lung_t_by_the_edition_the_report_or_its_date_gives() -> None:
    text = "Right upper lobectomy. Lung adenocarcinoma. Tumor size: 6.0 cm. Visceral pleural invasion: not identified."
    assert values(text + " Staging per AJCC 8th edition.", "t_category") == ["T3"]
    assert values(text + " Staging per AJCC 7th edition.", "t_category") == ["T2b"]
    dated = doc_of(text)
    dated.document_date = "2021-03-04"
    assert [f.value for f in tnm.extract(dated) if f.kind == "t_category"] == ["T3"]
    old = doc_of(text)
    old.document_date = "2012-05-01"
    assert [f.value for f in tnm.extract(old) if f.kind == "t_category"] == ["T2b"]


def test_an_undated_report_without_edition_gets_no_t_where_the_editions_disagree() -> None:
    text = "Right upper lobectomy. Lung adenocarcinoma. Tumor size: 6.0 cm. Visceral pleural invasion: not identified."
    assert values(text, "t_category") == []  # 8th T3, 7th T2b: abstain, never assume the 7th
    agree = "Right upper lobectomy. Lung adenocarcinoma. Tumor size: 3.5 cm. Lobectomy."
    fact = best(agree, "t_category")  # 8th T2a, 7th T2a
    assert fact is not None and fact.value == "T2a"
    assert fact.attributes["edition"] == "AJCC 8th"
    assert fact.attributes["edition_basis"] == "7th and 8th agree"
    thyroid = (
        "Total thyroidectomy: papillary thyroid carcinoma. Size = 1.3 cm. "
        "Extrathyroidal extension: Present, extending into fibroadipose tissue."
    )
    assert values(thyroid, "t_category") == []  # 7th T3, 8th unsettled


def test_it_reads_form_fields_and_joined_forms_as_stated_categories() -> None:
    text = "Type of Procurement: surgery Grade: 2. T Stage: 3 N Stage: 2a M Stage: 0 Treatment"
    facts = tnm.extract(doc_of(text))
    assert {(f.kind, f.value) for f in facts} == {
        ("t_category", "T3"),
        ("n_category", "N2a"),
        ("m_category", "M0"),
    }
    assert values("TNM: T2pNO(i-)MX.", "n_category") == ["N0"]
    assert values("This tumor is a T2NIMX G2.", "n_category") == ["N1"]
    assert values("Carcinoma in situ. pT3bG3 NO. Site", "t_category") == ["T3b"]


def test_it_reads_the_invasive_breast_size_written_in_prose() -> None:
    lead = "Right breast, mastectomy: invasive ductal carcinoma, grade 3. "
    cases = {
        "Invasive tumor is located in the upper outer quadrant and measures 2.1 cm in greatest dimension.": "T2",
        "Greatest dimension of invasive carcinoma 18 mm. Margins negative.": "T1c",
        "Infiltrating duct carcinoma, poor nuclear grade, 4.0 CM. - Margins free.": "T2",
    }
    for sentence, want in cases.items():
        fact = best(lead + sentence, "t_category")
        assert fact is not None and fact.value == want, sentence
    distance = lead + "Invasive carcinoma is 6 mm from the superficial margin."
    assert values(distance, "t_category") == []
    dcis = lead + "Invasive and in situ carcinoma measures 3.0 cm in greatest dimension."
    assert values(dcis, "t_category") == []


def test_it_reads_a_checklist_extent_field_for_stomach_and_bladder() -> None:
    stomach = "STOMACH TISSUE CHECKLIST. Specimen type: Gastrectomy. Extent of invasion: Muscularis propria. Lymph nodes: 0/5."
    assert values(stomach, "t_category") == ["T2"]
    bladder = "BLADDER TISSUE CHECKLIST. Specimen type: Cystectomy. Tumor extent: Perivesical tissue (microscopic)."
    assert values(bladder, "t_category") == ["T3"]


def test_it_infers_uveal_melanoma_t_from_basal_diameter_and_thickness() -> None:
    text = (
        "Left eye, enucleation: choroidal melanoma of mixed cell type. Optic nerve free. "
        "Ciliary body uninvolved. Tumour size. LBD 16.8mm, Height 9mm."
    )
    fact = best(text, "t_category")
    assert fact is not None and (fact.value, fact.found_by) == ("T3", "ajcc.uvea.size")
    spread = text + " Extrascleral extension is present."
    assert values(spread, "t_category") == []


def test_it_infers_adrenal_cortical_carcinoma_t_by_size_and_invasion() -> None:
    text = "Right adrenalectomy: adrenocortical carcinoma. Tumor size: 9.3 x 8.7 x 5.5 cm. Weiss score 5."
    assert values(text, "t_category") == ["T2"]
    fat = text + " The tumour invades into the periadrenal fat."
    assert values(fat, "t_category") == ["T3"]
    vein = text + " Tumour invades the renal vein."
    assert values(vein, "t_category") == []


def test_it_infers_cervix_t_from_parametrium_and_vagina() -> None:
    confined = (
        "Radical hysterectomy: invasive squamous cell carcinoma of the cervix. "
        "No vaginal extension is identified. No parametrial involvement is identified."
    )
    assert values(confined, "t_category") == ["T1"]
    parametrium = (
        "Radical hysterectomy: squamous cell carcinoma of the cervix, invading into the left "
        "parametrium. Cervix."
    )
    assert values(parametrium, "t_category") == ["T2"]
    unknown = "Cervix, biopsy: invasive squamous cell carcinoma of the cervix."
    assert values(unknown, "t_category") == []


def test_it_infers_endometrial_t_from_myometrial_invasion() -> None:
    text = (
        "Total hysterectomy: endometrial adenocarcinoma, endometrioid type, invading the outer "
        "half of the myometrium. Cervical stromal invasion: not identified. Uterine serosa: "
        "uninvolved."
    )
    assert values(text, "t_category") == ["T1b"]
    unsure = (
        "Total hysterectomy: endometrial adenocarcinoma, invading the outer half of the myometrium."
    )
    assert values(unsure, "t_category") == []  # cervical stroma not stated: may be T2


def test_oral_cavity_t_needs_depth_of_invasion_unless_the_editions_agree() -> None:
    text = "Partial glossectomy. Oral tongue squamous cell carcinoma. Tumor size: 3.0 cm."
    assert values(text, "t_category") == []  # 7th T2; 8th T2 or T3 by depth
    assert values(text + " Depth of invasion: 6 mm.", "t_category") == ["T2"]
    assert values(text + " Depth of invasion: 12 mm.", "t_category") == []  # 8th T3, 7th T2
    big = "Partial glossectomy. Oral tongue squamous cell carcinoma. Tumor size: 4.5 cm."
    assert values(big, "t_category") == ["T3"]


def test_pancreas_and_sarcoma_follow_the_edition_where_they_differ() -> None:
    pancreas = "Whipple: pancreatic ductal adenocarcinoma. Tumor size: 5.0 cm. Pancreatectomy."
    assert values(pancreas, "t_category") == []
    assert values(pancreas + " AJCC 8th edition.", "t_category") == ["T3"]
    small = "Whipple: pancreatic adenocarcinoma, limited to the pancreas. Tumor size: 1.5 cm. Pancreatectomy."
    assert values(small, "t_category") == ["T1"]
    sarcoma = "Thigh, resection: myxofibrosarcoma. Tumor size: 8.0 cm. Extremity."
    assert values(sarcoma, "t_category") == ["T2"]
    assert values(sarcoma.replace("8.0", "12.0"), "t_category") == []  # 8th T3, 7th T2


def test_it_infers_colon_t_from_depth_of_invasion() -> None:
    text = (
        "Sigmoid colon, sigmoid colectomy: adenocarcinoma. The tumor invades through the "
        "muscularis propria into pericolonic adipose tissue. The serosa is not involved."
    )
    fact = best(text, "t_category")
    assert fact is not None and (fact.value, fact.found_by) == ("T3", "ajcc.colorectum.depth")


def test_it_infers_bladder_t2_only_on_a_cystectomy() -> None:
    text = "Radical cystectomy. Urinary bladder: urothelial carcinoma invading into the muscularis propria."
    assert values(text, "t_category") == ["T2"]
    turbt = "Urinary bladder, TURBT: urothelial carcinoma invading into the muscularis propria. Bladder."
    assert values(turbt, "t_category") == []


def test_it_infers_n0_from_uninvolved_lymph_nodes() -> None:
    text = (
        "Sigmoid colectomy. Colon adenocarcinoma, pT3. Lymph nodes: negative for carcinoma (0/14)."
    )
    fact = best(text, "n_category")
    assert fact is not None
    assert (fact.value, fact.attributes["method"], fact.found_by) == (
        "N0",
        "inferred",
        "ajcc.nodes.none_involved",
    )


def test_it_infers_colon_n2_from_five_involved_nodes() -> None:
    text = "Right hemicolectomy. Colon adenocarcinoma, pT3. Metastatic carcinoma in 5 of 16 lymph nodes."
    assert values(text, "n_category") == ["N2"]


def test_an_explicit_category_is_never_overridden_by_inference() -> None:
    text = "Left breast mastectomy. Invasive ductal carcinoma. Tumor size: 1.5 cm. Stage: pT2 pN0."
    assert values(text, "t_category") == ["T2"]


def test_empty_and_garbled_documents_give_no_facts() -> None:
    assert tnm.extract(doc_of("")) == []
    assert tnm.extract(doc_of("\x00\x01 ###### T T N M pT pN :: 12/34")) == []
    assert tnm.extract(Document(id="e" * 16, file_name="x", sha256="", size=0)) == []


def test_it_reads_upper_case_PT_and_ocr_i_for_one() -> None:
    assert values("THE PATHOLOGIC STAGE IS. PT4,. LYMPH NODES: 1", "t_category") == ["T4"]
    assert values("T STAGE, PATHOLOGIC: pTic. N STAGE, PATHOLOGIC: pNO.", "t_category") == ["T1c"]
    assert values("Pathologic stage: Tia NX", "t_category") == ["T1a"]
    assert values("Other: pTis (DCIS).", "t_category") == ["Tis"]


def test_it_does_not_read_tissue_as_tis() -> None:
    assert values("CERVIX TISSUE CHECKLIST. Specimen type: hysterectomy.", "t_category") == []


def test_it_reads_no_before_an_m_category_as_N0() -> None:
    assert values("AJCC stage (6th) Tlb NO Mx.", "n_category") == ["N0"]


def test_it_reads_a_cap_heading_whose_t_was_lost_and_a_defined_bare_t() -> None:
    assert values("Primary tumor (pT): p2a. Regional lymph nodes (pN): pNX.", "t_category") == [
        "T2a"
    ]
    assert values("Extension: T3, Tumor extends beyond the pancreas.", "t_category") == ["T3"]


def test_a_category_set_aside_in_the_text_loses_to_the_one_assigned() -> None:
    text = (
        "Extension into bladder neck, which is formally pT4 according to the 2002 scheme, "
        "but is more appropriately designated pT3."
    )
    fact = best(text, "t_category")
    assert fact is not None and fact.value == "T3"


def test_an_unticked_option_after_a_ticked_answer_is_not_a_finding() -> None:
    text = "Distant Metastasis (pM). x Not applicable. pM1: Distant metastasis. Specify site."
    assert values(text, "m_category") == []
    options = (
        "pN0 : No regional lymph node metastasis. pN1 : Metastasis in a single node. "
        "x. pN2b: Metastasis in multiple ipsilateral lymph nodes. pN3 : Metastasis in a node."
    )
    assert values(options, "n_category") == ["N2b"]


def test_two_listed_options_with_none_ticked_answer_nothing() -> None:
    text = (
        "Distant Metastasis (pM) | pMX: Cannot be assessed | pM 1: Distant metastasis | "
        "*Specify site(s), if known: _"
    )
    assert values(text, "m_category") == []


def test_of_two_listed_options_the_ticked_one_is_the_answer() -> None:
    text = (
        "Distant Metastasis (pM) | X   pMX:    Cannot be assessed___ pM1:    Distant "
        "metastasis | *Specify site(s), if known: ____"
    )
    assert values(text, "m_category") == ["MX"]


def test_a_category_with_its_definition_alone_is_still_read() -> None:
    text = "Distant metastasis (pM): pM1: Distant metastasis, liver (biopsy proven)."
    assert values(text, "m_category") == ["M1"]


def test_thyroid_extension_gives_t3_under_the_7th_edition_only() -> None:
    text = (
        "Total thyroidectomy: papillary thyroid carcinoma. Size = 1.3 cm. "
        "Extrathyroidal extension: Present, extending into fibroadipose tissue."
    )
    assert values(text + " AJCC 7th edition.", "t_category") == ["T3"]
    assert values(text + " AJCC 8th edition.", "t_category") == []
    confined = "Thyroidectomy: papillary thyroid carcinoma (3.5 cm), confined to the thyroid."
    assert values(confined, "t_category") == ["T2"]


def test_it_infers_liver_t_from_number_and_vascular_invasion() -> None:
    solitary = (
        "Liver, segmentectomy: hepatocellular carcinoma. Tumor number: one. "
        "Tumor size: 4.4 x 3.4 x 3.0 cm. Satellite nodule: no. Portal vein invasion: no. "
        "Microvessel invasion: no."
    )
    fact = best(solitary, "t_category")
    assert fact is not None and (fact.value, fact.found_by) == ("T1", "ajcc.liver.solitary")
    multiple = (
        "Liver, lobectomy: hepatocellular carcinoma. Tumor number: two. "
        "Tumor size: 3.4 x 2.9 cm, 6.1 x 0.6 cm. Hepatectomy."
    )
    assert values(multiple, "t_category") == ["T3"]
    unknown = "Liver, lobectomy: hepatocellular carcinoma. Tumor number: one. Hepatectomy."
    assert values(unknown, "t_category") == []


def test_it_infers_testis_pT2_from_angioinvasion_only() -> None:
    text = "Radical orchiectomy; nonseminoma; tumor confined to testis; angio-invasion present."
    assert values(text, "t_category") == ["T2"]
    unsure = "Radical orchiectomy; seminoma; tumor confined to testis."
    assert values(unsure, "t_category") == []


def test_a_field_answered_not_specified_neither_blocks_nor_asserts() -> None:
    text = (
        "SKIN TISSUE CHECKLIST. Excision: malignant melanoma. Satellite nodules: Not specified. "
        "Breslow's depth 5 mm."
    )
    assert values(text, "t_category") == ["T4"]


def _prefixes(text: str) -> dict[str, tuple[str, str]]:
    return {
        f.kind: (f.value, f.attributes["prefix"])
        for f in tnm.extract(doc_of(text))
        if f.kind in ("t_category", "n_category", "m_category")
    }


def test_a_prefix_written_once_applies_to_the_whole_tnm_group() -> None:
    got = _prefixes("Adenocarcinoma, stage IVA (cT2a N2 M1b, TNM 8th edition).")
    assert got == {
        "t_category": ("T2a", "c"),
        "n_category": ("N2", "c"),
        "m_category": ("M1b", "c"),
    }
    assert _prefixes("Stage: pT2 N1a")["n_category"] == ("N1a", "p")
    assert _prefixes("After therapy: ypT1 N0.")["n_category"] == ("N0", "yp")
    n = next(f for f in tnm.extract(doc_of("cT3 N1 M0")) if f.kind == "n_category")
    assert (n.display, n.attributes["prefix_from"]) == ("cN1", "group")


def test_a_pathological_prefix_does_not_make_a_pm0() -> None:
    # AJCC 8th: pM0 is not a valid category; M stays as written after a pT group.
    assert _prefixes("pT3 N0 M0")["m_category"] == ("M0", "")
    assert _prefixes("pT3 N0 cM0")["m_category"] == ("M0", "c")


def test_a_stage_stated_at_relapse_takes_the_r_prefix() -> None:
    text = (
        "Diagnosis: Relapsed diffuse large B-cell lymphoma. First diagnosed\n"
        "March 2023, Ann Arbor stage IIIB. Late relapse May 2025, stage IIA.\n"
        "Clinical details: recurrent disease, stage IIB at recurrence."
    )
    stages = [
        (f.value, f.attributes["prefix"])
        for f in tnm.extract(doc_of(text))
        if f.kind == "stage_group"
    ]
    assert stages == [("IIIB", ""), ("IIA", "r"), ("IIB", "r")]


def test_a_stage_near_a_diagnosis_cue_or_a_recurrence_score_stays_as_written() -> None:
    for text in (
        "Follicular lymphoma stage IIIA at diagnosis, relapsed in 2025.",
        "Stage II breast cancer; Oncotype recurrence score 12.",
        "Stage IIB disease with a low risk of recurrence.",
    ):
        stage = next(f for f in tnm.extract(doc_of(text)) if f.kind == "stage_group")
        assert stage.attributes["prefix"] == "", text


# --- Reading findings the way a pathologist means them (issue 9, part 7) ---


def test_a_checklist_field_named_involvement_is_not_a_finding() -> None:
    # "Parametrial involvement:" with its answer lost is a field, not parametrial invasion
    # (AJCC 8th ch. 52: T2b needs parametrial invasion stated).
    text = (
        "Radical hysterectomy: invasive squamous cell carcinoma of the cervix. "
        "Uterine serosal involvement: Parametrial involvement: SURGICAL PATHOLOGY REPORT"
    )
    assert values(text, "t_category") == []


def test_a_negative_answer_of_one_field_does_not_negate_the_next_field() -> None:
    # "Focality: Not specified" answers Focality; the extension is present: pT3a (ch. 58).
    text = (
        "Radical prostatectomy. Prostatic adenocarcinoma, Gleason score 3 + 4 = 7. "
        "Focality: Not specified Laterality: Bilateral Extraprostatic extension: Present "
        "Seminal vesicle invasion: Absent"
    )
    fact = best(text, "t_category")
    assert fact is not None and fact.value == "T3a"


def test_a_negated_verb_negates_every_structure_listed_after_it() -> None:
    # Lung, AJCC 8th ch. 36: 2.5 cm -> T1c (7th T1b); "not involve ... or the chest wall"
    # negates the chest wall too, so it does not block the size rule.
    text = (
        "Right upper lobectomy. Lung adenocarcinoma. Tumor size: 2.5 cm. The tumor does not "
        "involve the bronchus, the parietal pleura or the chest wall."
    )
    fact = best(text, "t_category")
    assert fact is not None and fact.value == "T1c"
    but = text.replace("or the chest wall.", "but invades the chest wall.")
    assert values(but, "t_category") == []


def test_a_kidney_report_stating_both_confined_and_extension_gets_no_t() -> None:
    text = (
        "Radical nephrectomy: renal cell carcinoma, 6 cm, confined to the kidney. "
        "The tumor invades the perinephric fat."
    )
    assert values(text, "t_category") == []


def test_a_kidney_tumour_invading_the_adrenal_of_its_side_is_not_inferred() -> None:
    # Contiguous ipsilateral adrenal invasion: 7th/8th T4, 6th T3a: not settled.
    text = (
        "Left radical nephrectomy: renal cell carcinoma. Tumor measures 14 cm. Tumor invades "
        "perinephric adipose tissue and directly invades left adrenal gland."
    )
    assert values(text, "t_category") == []


def test_a_finding_that_only_appears_so_is_not_a_finding() -> None:
    text = (
        "Radical hysterectomy: invasive squamous cell carcinoma of the cervix. "
        "The lesion appears to extend into the parametrium. Vaginal cuff: negative."
    )
    assert "T2" not in values(text, "t_category")


def test_in_situ_carcinoma_in_the_vagina_does_not_make_a_cervical_t2() -> None:
    # AJCC 8th ch. 1: T is by the invasive tumour.
    text = (
        "Radical hysterectomy: invasive squamous cell carcinoma of the cervix. Vaginal "
        "extension: In situ squamous cell carcinoma involving the vaginal mucosa."
    )
    assert values(text, "t_category") == []


def test_a_cervical_tumour_invading_the_bladder_wall_is_not_inferred_from_its_extent() -> None:
    # Bladder or rectal invasion is T4 (ch. 52), whatever the checklist's size line says.
    text = (
        "Hysterectomy. Cervix tissue checklist. Bladder wall and rectal wall are infiltrated "
        "by tumor. Tumor extent: Lesion greater than 4.0 cm"
    )
    assert values(text, "t_category") == []


def test_a_numbered_field_answer_belongs_to_its_own_field() -> None:
    # "6. Capsular formation is absent 7. Portal vein invasion: yes": the vein is invaded.
    text = (
        "Hepatectomy. Hepatocellular carcinoma. Tumor number: one Tumor size: 3.0 x 2.8 cm "
        "6. Capsular formation is absent 7. Microvessel invasion: yes"
    )
    fact = best(text, "t_category")  # solitary > 2 cm with vascular invasion: T2 (ch. 22)
    assert fact is not None and fact.value == "T2"


def test_it_reads_ocr_l_for_the_substage_digit() -> None:
    assert values("AJCC staging: - pTlblNOMx.", "t_category") == ["T1b"]
    assert values("AJCC staging: - pTlblNOMx.", "n_category") == ["N0"]


def test_it_reads_the_residual_tumour_class_written_inside_the_tnm_string() -> None:
    text = "A3CC/UICC stage :pT3aR1NOMX. Dr. has reviewed"
    assert values(text, "t_category") == ["T3a"]
    assert values(text, "n_category") == ["N0"]
    assert values(text, "m_category") == ["MX"]


def test_mesothelioma_t_is_not_inferred_from_one_structure() -> None:
    # AJCC 8th ch. 70: T2 needs every ipsilateral pleural surface involved, not only the lung.
    text = "Extrapleural pneumonectomy: malignant mesothelioma, epithelioid, infiltrating lung parenchyma."
    assert values(text, "t_category") == []


def test_an_undated_stomach_serosa_report_gets_no_t_because_the_6th_edition_says_t3() -> None:
    text = "Total gastrectomy. Stomach tissue checklist. Extent of invasion: Serosa"
    assert values(text, "t_category") == []  # 6th T3, 7th/8th T4a
    dated = doc_of(text)
    dated.document_date = "2012-05-01"
    assert [f.value for f in tnm.extract(dated) if f.kind == "t_category"] == ["T4a"]
    older = doc_of(text)
    older.document_date = "2005-05-01"
    assert [f.value for f in tnm.extract(older) if f.kind == "t_category"] == ["T3"]
    deep = "Total gastrectomy. Stomach tissue checklist. Extent of invasion: Muscularis propria"
    assert values(deep, "t_category") == ["T2"]  # 6th T2a, 7th/8th T2


def test_oral_cavity_bone_awaiting_decalcification_gets_no_t() -> None:
    text = (
        "Composite resection, floor of mouth: squamous cell carcinoma, 3.0 cm in greatest "
        "dimension. Depth of invasion 4 mm. The bone was sent for decalcification."
    )
    assert values(text, "t_category") == []


def test_oral_cavity_carcinoma_invading_the_mandible_is_t4a() -> None:
    text = (
        "Right tongue and mandible, resection: squamous carcinoma invading mandible bone. "
        "Tumor size: 3.0 cm."
    )
    fact = best(text, "t_category")
    assert fact is not None and fact.value == "T4a"


def test_the_evaluation_tunes_on_even_rows_and_holds_out_odd_rows() -> None:
    from casebridge.evaluation import HELDOUT, TUNE, half

    assert [half(i) for i in range(4)] == [TUNE, HELDOUT, TUNE, HELDOUT]


def test_a_pathological_t1_in_a_prostatectomy_report_is_a_misread_not_a_stated_t() -> None:
    # AJCC 8th ch. 58: there is no pathological T1 for the prostate; OCR gives "I" for
    # other digits, so "pTIa" with fat infiltration described is not taken as stated.
    text = (
        "Radical prostatectomy: acinar adenocarcinoma of the prostate, Gleason 3+4=7. "
        "Tumor infiltration of periprostatic fatty tissue at the left base. "
        "Seminal vesicles free of tumor. Tumor classification: pTIa, pN0 (0/6)."
    )
    assert values(text, "t_category") == ["T3a"]
    found = best(text, "t_category")
    assert found is not None and found.attributes["method"] == "inferred"
    clinical = "Prostate needle biopsies: adenocarcinoma, Gleason 3+3=6. Clinical stage cT1c."
    assert values(clinical, "t_category") == ["T1c"]


def test_a_bladder_t1_with_a_substage_is_not_a_stated_category() -> None:
    # AJCC 8th ch. 62: bladder T1 (lamina propria invasion) has no subcategories.
    text = (
        "Radical cystectomy: invasive urothelial carcinoma of the urinary bladder, high grade. "
        "Pathologic TNM staging: pTla N0 MX."
    )
    assert values(text, "t_category") == []
    assert values("Urinary bladder, TURBT: urothelial carcinoma. Stage pT1 NX.", "t_category") == [
        "T1"
    ]


def test_a_field_named_for_some_categories_does_not_state_them() -> None:
    text = (
        "Tumor size: 1.8 cm. Tumor Thickness (pT1 and pT2 tumors): 0.9 mm. "
        "Primary Tumor (pT): pT1: Tumor 2 cm or less in greatest dimension."
    )
    assert values(text, "t_category") == ["T1"]


def test_options_listed_with_ocr_semicolons_or_a_damaged_no_answer_nothing() -> None:
    text = (
        "Pathologic Staging (pTNM)\nPrimary Tumor (pT)\npTX: Cannot be assessed\n"
        "pTO: Nv evidence of primary tumor\npT1; Solitary tumor without vascular invasion\n"
        "pT2: Solitary tumor with vascular invasion or multiple tumors none more than 5 cm\n"
    )
    assert values(text, "t_category") == []


def test_options_whose_definitions_name_their_site_first_are_a_list_not_a_finding() -> None:
    text = (
        "These findings correspond to AJCC pathologic stage I (pT1 N0). "
        "Primary Tumor (pT): ___ pT2: Tumor more than 2 cm but not more than 4 cm___ "
        "pT3: Tumor more than 4 cm in greatest dimension___ "
        "pT4: Lip: Tumor invades through cortical bone or floor of mouth___ "
        "pT4a: Oral cavity: Tumor invades adjacent structures___"
    )
    found = best(text, "t_category")
    assert found is not None and found.value == "T1"
    assert values(text, "t_category") == ["T1"]


def test_a_spaced_t_is_reads_as_in_situ_only_when_it_stands_alone() -> None:
    assert values("Stage: pT is, pN0.", "t_category") == ["Tis"]
    assert values("G rT is'ATC I,I7L11 CA III:PATO", "t_category") == []


def test_a_single_liver_mass_with_a_second_mass_in_another_specimen_is_not_solitary() -> None:
    # AJCC 8th ch. 22: T1 needs a solitary tumour; a second lesion leaves the number open.
    text = (
        "Left partial hepatectomy and segmentectomy: hepatocellular carcinoma.\n"
        "[A single mass in the hepatectomy specimen] Size: 6.5 x 5.0 x 4.0 cm\n"
        "Resection margin: not involved\n"
        "[A small mass in the segmentectomy specimen] Size: 3.0 x 2.5 x 2.2 cm\n"
        "Portal vein invasion: No. Vascular invasion: No."
    )
    assert values(text, "t_category") == []


def test_a_cap_forms_two_node_count_fields_give_the_count() -> None:
    # CAP protocols: "Number of Lymph Nodes Examined" and "... Involved", in either order.
    colon = (
        "Right hemicolectomy. Colon adenocarcinoma, pT3. Lymph Nodes: "
        "Number of lymph nodes examined: 14. Number of lymph nodes involved: 2."
    )
    fact = best(colon, "n_category")
    assert fact is not None
    assert (fact.value, fact.attributes["method"]) == ("N1", "inferred")
    older = (
        "Colon adenocarcinoma. Lymph nodes: Number with metastasis: O. Total number examined: 9."
    )
    assert values(older, "n_category") == ["N0"]


def test_node_count_fields_left_blank_give_no_count() -> None:
    blank = "Colon adenocarcinoma. Regional Lymph Nodes (pN). Specify: Number examined: Number involved:"
    assert node_counts(blank) == []
    assert values(blank, "n_category") == []


def test_liver_segments_and_score_ranges_near_a_node_are_not_node_counts() -> None:
    # Couinaud segments are numbered; a fibrosis stage is a score out of 6 (Ishak).
    assert node_counts("Cystic duct LN (B1). Part C: liver segment 7/8 mass") == []
    assert node_counts("Liver: mild fibrosis (1-2/6 Ishak). Lymph node: reactive") == []
    assert node_counts("Lymph nodes: metastatic carcinoma (2/6).") == [(2, 6, 35, 38)]


def test_n1_lymph_nodes_name_a_class_of_stations_not_the_n_category() -> None:
    # AJCC 8th ch. 36 (lung): N1 nodes are hilar and intrapulmonary, N2 nodes mediastinal.
    text = (
        "Lung, lobectomy: adenocarcinoma. Pathologic stage T2 N0 MX. "
        "Lymph nodes: sixteen N1 lymph nodes with no evidence of malignancy."
    )
    assert values(text, "n_category") == ["N0"]
    assert values("Staging: the N2 nodes were sampled, all benign.", "n_category") == []
    assert values("Staging: pN2 (4 of 9 nodes).", "n_category") == ["N2"]


def test_a_bare_category_after_a_padded_form_column_keeps_its_staging_heading() -> None:
    # OCR of a form's columns pads a line with spaces: the heading is one space away on the page.
    padded = "Lymph Node Stage (AJCC 7th Edition):" + " " * 90 + "\n   N2b (Metastasis in seven)"
    assert values(padded, "n_category") == ["N2b"]
    far = "Lymph Node Stage (AJCC 7th Edition): " + "text of other words " * 5 + "N2b"
    assert values(far, "n_category") == []


def test_a_category_restated_under_the_current_classification_supersedes_the_first() -> None:
    text = (
        "Lung, lobectomy: adenocarcinoma, several nodules in the same lobe. pT4, pN0, pMx. "
        "Note: according to the current TNM classification it would be pT3."
    )
    fact = best(text, "t_category")
    assert fact is not None and fact.value == "T3"
    hedged = "Lung: adenocarcinoma. pT3, pN0. A larger tumour would be pT4."
    fact = best(hedged, "t_category")
    assert fact is not None and fact.value == "T3"


def test_a_verb_of_spread_before_the_phrase_asserts_kidney_capsule_extension() -> None:
    # AJCC 8th ch. 60: extension into perirenal fat, within Gerota's fascia, is T3a.
    text = (
        "Kidney, right; nephrectomy: renal cell carcinoma, clear cell type. Tumor size: "
        "4.5 cm. The tumor extends through the renal capsule but is confined "
        "within Gerota's fascia. No invasion of the renal vein is identified."
    )
    assert values(text, "t_category") == ["T3a"]
    negated = text.replace(
        "The tumor extends", "The tumor is limited to the kidney. It does not extend"
    ).replace(" but is confined within Gerota's fascia", "")
    assert values(negated, "t_category") == ["T1b"]
