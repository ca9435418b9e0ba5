"""Tumour facts: cancer type from site + histology, and the pathology details."""

from __future__ import annotations

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import tumour
from casebridge.engine.extract.tumour.cancer_type import ICDO3


def _doc(text: str) -> Document:
    return Document(
        id="d1", file_name="path.txt", sha256="x", size=len(text), pages=[Page(1, text, "plain")]
    )


def _facts(text: str) -> list[Fact]:
    return tumour.extract(_doc(text))


def _value(text: str, kind: str) -> str | None:
    return next((f.value for f in _facts(text) if f.kind == kind), None)


def test_it_reads_lung_adenocarcinoma_as_luad() -> None:
    text = "FINAL DIAGNOSIS: Lung, right upper lobe, lobectomy: Invasive adenocarcinoma, acinar predominant."
    assert _value(text, "cancer_type") == "LUAD"


def test_it_reads_lung_squamous_cell_carcinoma_as_lusc() -> None:
    text = "DIAGNOSIS: Left lower lobe of lung, lobectomy: squamous cell carcinoma, keratinizing."
    assert _value(text, "cancer_type") == "LUSC"


def test_it_tells_kidney_subtypes_apart() -> None:
    base = "DIAGNOSIS: Left kidney, radical nephrectomy: "
    assert _value(base + "renal cell carcinoma, clear cell type.", "cancer_type") == "KIRC"
    assert _value(base + "papillary renal cell carcinoma, type 2.", "cancer_type") == "KIRP"
    assert _value(base + "chromophobe renal cell carcinoma.", "cancer_type") == "KICH"


def test_it_tells_colon_from_rectum() -> None:
    colon = "DIAGNOSIS: Sigmoid colon, sigmoidectomy: adenocarcinoma, moderately differentiated."
    rectum = (
        "DIAGNOSIS: Rectum, low anterior resection: adenocarcinoma invading the mesorectal fat."
    )
    assert _value(colon, "cancer_type") == "COAD"
    assert _value(rectum, "cancer_type") == "READ"


def test_it_tells_glioblastoma_from_lower_grade_glioma() -> None:
    gbm = "DIAGNOSIS: Brain, right temporal lobe, resection: Glioblastoma (WHO grade IV)."
    lgg = "DIAGNOSIS: Brain, left frontal lobe: Oligodendroglioma, WHO grade II, 1p/19q codeleted."
    assert _value(gbm, "cancer_type") == "GBM"
    assert _value(lgg, "cancer_type") == "LGG"


def test_it_tells_endometrioid_from_carcinosarcoma_of_the_uterus() -> None:
    ucec = "DIAGNOSIS: Uterus, total hysterectomy: endometrioid adenocarcinoma, FIGO grade 1."
    ucs = "DIAGNOSIS: Uterus, hysterectomy: malignant mixed mullerian tumor (carcinosarcoma)."
    assert _value(ucec, "cancer_type") == "UCEC"
    assert _value(ucs, "cancer_type") == "UCS"


def test_it_reads_through_textract_letter_errors() -> None:
    text = "FINAL DIAGNOSIS. Liver, right lobe, resection: Hepatocetlular carcinoma, moderately differentiated."
    assert _value(text, "cancer_type") == "LIHC"


def test_it_counts_a_negated_carcinoma_less_than_the_tumour() -> None:
    text = (
        "DIAGNOSIS: A. Prostate, biopsy: negative for carcinoma. "
        "B. Urinary bladder, cystectomy: invasive high grade urothelial carcinoma."
    )
    assert _value(text, "cancer_type") == "BLCA"


def test_it_names_no_cancer_type_without_a_histology() -> None:
    assert _value("SPECIMEN: Lung, left upper lobe, lobectomy.", "cancer_type") is None


def test_cancer_type_carries_its_evidence_and_source() -> None:
    text = "DIAGNOSIS: Right breast, mastectomy: invasive ductal carcinoma, Nottingham grade 2."
    fact = next(f for f in _facts(text) if f.kind == "cancer_type")
    assert fact.value == "BRCA"
    assert "breast" in fact.attributes["evidence"]
    assert fact.source is not None and "ductal" in fact.source.snippet.lower()


def test_histology_carries_an_icdo3_code() -> None:
    text = "DIAGNOSIS: Thyroid, left lobe: papillary thyroid carcinoma, follicular variant."
    hist = next(f for f in _facts(text) if f.kind == "histology")
    assert hist.code is not None and hist.code.code == "8260/3"
    assert hist.code.system == ICDO3


def test_it_reads_grades_in_the_system_written() -> None:
    assert _value("Gleason score 3 + 4 = 7, prostate adenocarcinoma", "grade") == "Gleason 3+4=7"
    assert _value("Fuhrman nuclear grade: 3", "grade") == "Fuhrman grade 3"
    assert _value("Nottingham grade 2 (of 3)", "grade") == "grade 2"


def _grade(text: str) -> Fact | None:
    return next((f for f in _facts(text) if f.kind == "grade"), None)


def test_it_reads_grade_in_the_wordings_of_letters_and_reports() -> None:
    cases = {
        "Left breast invasive ductal carcinoma (NST), grade 3, 24 mm on ultrasound.": "grade 3",
        "Invasive carcinoma of no special type, Grade 2.": "grade 2",
        "Invasive ductal carcinoma, grade II.": "grade 2",
        "Histologic grade: 1": "grade 1",
        "Adenocarcinoma (G3, pT3 pN0).": "grade 3",
        "High grade serous carcinoma of the ovary.": "high grade",
        "Moderately differentiated adenocarcinoma.": "moderately differentiated",
        "Poorly-differentiated squamous cell carcinoma.": "poorly differentiated",
    }
    for text, value in cases.items():
        fact = _grade(text)
        assert fact is not None and fact.value == value, text


def test_a_nottingham_grade_keeps_its_components_and_compares_with_a_plain_grade() -> None:
    fact = _grade("Nottingham grade 2 (3+2+2)")
    assert fact is not None
    assert (fact.value, fact.display) == ("grade 2", "Nottingham grade 2 (3+2+2)")
    assert fact.attributes["components"] == "3+2+2"
    described = _grade("Grade 2 (tubule formation 3, nuclear pleomorphism 2, mitoses 2).")
    assert described is not None and described.attributes["components"] == "3+2+2"
    scored = _grade("Nottingham score 3+3+2 = 8")
    assert scored is not None and scored.value == "grade 3"


def test_it_does_not_take_in_situ_or_toxicity_grades_for_the_tumour_grade() -> None:
    assert _grade("A small focus of intermediate-grade DCIS is present.") is None
    assert _grade("She had grade 3 diarrhoea on capecitabine.") is None
    assert _grade("High-grade dysplasia in the background mucosa.") is None
    assert _grade("Block G2 submitted for review.") is None


def test_grades_of_two_documents_can_be_compared() -> None:
    pathology = _grade("Invasive carcinoma NST, Nottingham grade 2 (3+2+2).")
    letter = _grade("Diagnosis: left breast invasive ductal carcinoma, grade 3.")
    assert pathology is not None and letter is not None
    assert {pathology.value, letter.value} == {"grade 2", "grade 3"}


def test_a_metastatic_site_is_not_the_primary_site() -> None:
    text = (
        "Diagnosis: Adenocarcinoma of the right upper lobe, stage IVA. "
        "Progressive disease with new liver metastases and a bone metastasis."
    )
    facts = _facts(text)
    assert _value(text, "cancer_type") == "LUAD"
    assert [f.value for f in facts if f.kind == "primary_site"] == ["lung"]


def test_a_biopsy_of_a_metastasis_does_not_name_that_organ_as_the_primary() -> None:
    text = (
        "DIAGNOSIS: Liver, segment 6, core biopsy: metastatic adenocarcinoma, "
        "consistent with a lung primary (TTF-1 positive)."
    )
    facts = _facts(text)
    assert _value(text, "cancer_type") == "LUAD"
    assert [f.value for f in facts if f.kind == "primary_site"] == ["lung"]
    assert _value(
        "Scan: lung tumour bigger, metastatic to liver. Adenocarcinoma.", "primary_site"
    ) == ("lung")


def test_a_relatives_cancer_does_not_type_the_patients() -> None:
    text = "Family history: mother had breast cancer at 68. Lung adenocarcinoma, right upper lobe."
    assert _value(text, "cancer_type") == "LUAD"
    assert _value("Mother: breast cancer, diagnosed aged 68.", "cancer_type") is None


def test_rectosigmoid_is_coded_with_the_rectum_by_icdo3_topography() -> None:
    text = (
        "Diagnosis: Resected colon (rectosigmoid) with a moderately differentiated adenocarcinoma."
    )
    assert _value(text, "cancer_type") == "READ"


def test_a_junctional_adenocarcinoma_is_coded_with_the_stomach_by_icdo3_topography() -> None:
    text = "DIAGNOSIS: Gastroesophageal junction, resection: adenocarcinoma, poorly differentiated."
    assert _value(text, "cancer_type") == "STAD"
    oesophagus = (
        "DIAGNOSIS: Distal oesophagus, oesophagectomy: adenocarcinoma arising in Barrett's."
    )
    assert _value(oesophagus, "cancer_type") == "ESCA"


def test_a_histology_attached_to_its_site_decides_between_organs() -> None:
    text = (
        "DIAGNOSIS: Radical trachelectomy with bilateral adnexae: invasive adenocarcinoma of "
        "uterine cervix. The right ovary shows a cystadenofibroma. Adnexa unremarkable."
    )
    assert _value(text, "cancer_type") == "CESC"


def test_an_untyped_non_small_cell_carcinoma_follows_its_differentiation_stains() -> None:
    base = "DIAGNOSIS: Left lung, lobectomy: non-small cell carcinoma, poorly differentiated"
    assert _value(base + ", with squamous features.", "cancer_type") == "LUSC"
    assert _value(base + ". TTF-1 positive, napsin A positive.", "cancer_type") == "LUAD"
    assert _value(base + ".", "cancer_type") is None  # the report does not settle it


def test_a_histology_alone_that_fits_many_organs_names_no_cancer_type() -> None:
    assert _value("Told it is adenocarcinoma.", "cancer_type") is None


def test_a_short_site_word_counts_in_any_case() -> None:
    assert _value("CT found a mass in the right lung. Biopsy: adenocarcinoma.", "cancer_type") == (
        "LUAD"
    )


def test_it_reads_size_margins_nodes_and_lvi() -> None:
    text = (
        "Tumor size: Greatest dimension: 2.4 cm. Margins: uninvolved by carcinoma. "
        "Metastatic carcinoma in two of fourteen lymph nodes (2/14). "
        "Lymphovascular invasion: not identified."
    )
    facts = {f.kind: f for f in _facts(text)}
    assert facts["tumour_size"].value == "2.4 cm"
    assert facts["margins"].value == "clear"
    assert facts["lymph_nodes"].value == "2/14"
    assert facts["lvi"].value == "absent"
    assert facts["lvi"].context == "asserted"


def test_it_reads_laterality_and_the_diagnosis_line() -> None:
    text = "DIAGNOSIS:\nLeft breast, lumpectomy: invasive lobular carcinoma, 1.8 cm.\n"
    facts = {f.kind: f for f in _facts(text)}
    assert facts["laterality"].value == "left"
    assert "invasive lobular carcinoma" in facts["diagnosis"].value


def test_an_empty_or_garbled_document_gives_no_facts_and_no_error() -> None:
    assert _facts("") == []
    assert _value("III 1111111 IIIIII lll ||| ~~~", "cancer_type") is None


def test_a_negated_grade_is_not_read_as_the_tumours_grade() -> None:
    text = (
        "Microscopy: sheets of large atypical lymphoid cells with frequent mitoses. "
        "No low-grade component is seen.\nImmunohistochemistry: CD20 positive."
    )
    assert _grade(text) is None
    assert _grade("Low-grade component not identified.") is None
    assert _grade("Mother had grade 3 breast cancer.") is None


def test_a_grade_after_a_negated_one_is_still_read() -> None:
    fact = _grade("No high-grade features are seen; low grade serous carcinoma.")
    assert fact is not None and (fact.value, fact.context) == ("low grade", "asserted")
    fact = _grade("Invasive ductal carcinoma, grade 3, HER2 is negative.")
    assert fact is not None and fact.value == "grade 3"


def test_the_diagnosis_statement_runs_across_the_line_breaks_of_a_letter() -> None:
    text = (
        "Dear Dr Smith,\n"
        "Diagnosis: Right breast invasive lobular carcinoma, grade 2, 31 mm on MRI, with a\n"
        "biopsy-proven right axillary nodal metastasis. ER positive (Allred 7).\n"
        "Clinical stage: cT2 N1\n"
    )
    diagnosis = next(f for f in _facts(text) if f.kind == "diagnosis")
    assert diagnosis.value == (
        "Right breast invasive lobular carcinoma, grade 2, 31 mm on MRI, with a "
        "biopsy-proven right axillary nodal metastasis"
    )
    assert diagnosis.source is not None
    assert text[diagnosis.source.start : diagnosis.source.end].endswith("metastasis")


def test_the_diagnosis_statement_ends_at_its_sentence_not_at_the_line() -> None:
    letter = (
        "Diagnosis: Squamous cell carcinoma of the left lower lobe, stage IIIA, diagnosed March\n"
        "2025; treated with chemoradiotherapy.\nMolecular: PD-L1 TPS 60%.\n"
    )
    assert _value(letter, "diagnosis") == (
        "Squamous cell carcinoma of the left lower lobe, stage IIIA, diagnosed March 2025; "
        "treated with chemoradiotherapy"
    )
    report = (
        "Diagnosis\nA: Level 4 lymph node: metastatic carcinoma, favour adenocarcinoma, "
        "consistent\nwith a colorectal primary. B: Level 7: no evidence of malignancy.\n"
    )
    assert _value(report, "diagnosis") == (
        "A: Level 4 lymph node: metastatic carcinoma, favour adenocarcinoma, consistent with "
        "a colorectal primary"
    )
    headed = "Diagnosis: Recurrent serous carcinoma of the ovary\nSummary\nCycle 2 given."
    assert _value(headed, "diagnosis") == "Recurrent serous carcinoma of the ovary"


def test_a_diagnosis_with_no_end_in_reach_is_not_cut_mid_phrase() -> None:
    text = "Diagnosis: invasive ductal carcinoma " + "and further words " * 40
    assert _value(text, "diagnosis") is None


def test_the_primary_site_names_its_subsite_with_its_icdo3_code() -> None:
    text = "DIAGNOSIS: Adenocarcinoma of the sigmoid colon, moderately differentiated, pT3 N1b."
    (site,) = [f for f in _facts(text) if f.kind == "primary_site"]
    assert (site.value, site.display) == ("colon", "sigmoid colon")
    assert site.code is not None and site.code.code == "C18.7"


def test_the_side_of_a_lung_nodule_is_not_given_to_a_sigmoid_colon_primary() -> None:
    text = (
        "DIAGNOSIS: Adenocarcinoma of the sigmoid colon, pT3 N1b.\n"
        "Staging CT: incidental 4 mm nodule in the right lower lobe, likely benign."
    )
    assert _value(text, "laterality") is None


def test_the_side_is_read_from_the_primarys_own_sentence() -> None:
    text = (
        "Imaging: right breast normal.\n"
        "DIAGNOSIS: Left breast, core biopsy: invasive ductal carcinoma, grade 2."
    )
    assert _value(text, "laterality") == "left"


def test_a_landmark_is_not_the_primarys_subsite() -> None:
    text = "DIAGNOSIS: Left breast, 6 cm from the nipple: invasive ductal carcinoma."
    sites = [f for f in _facts(text) if f.kind == "primary_site"]
    assert [f.display for f in sites] == ["breast"]


def test_the_cancer_type_is_shown_by_its_name_never_its_study_code() -> None:
    text = "FINAL DIAGNOSIS: Lung, right upper lobe, lobectomy: Invasive adenocarcinoma."
    (fact,) = [f for f in _facts(text) if f.kind == "cancer_type"]
    assert fact.value == "LUAD"  # the evaluation's label
    assert "LUAD" not in fact.display and "TCGA" not in fact.display


def test_a_right_sided_breast_cancer_is_on_the_right() -> None:
    text = "DIAGNOSIS: Right-sided breast cancer: invasive ductal carcinoma, grade 2."
    assert _value(text, "laterality") == "right"


def test_a_date_after_a_lymph_node_procedure_is_not_a_node_count() -> None:
    text = "Wide local excision and left axillary sentinel lymph node biopsy 04/2022: negative."
    assert _value(text, "lymph_nodes") is None
    assert _value("Sentinel lymph nodes (1/3) involved.", "lymph_nodes") == "1/3"


def test_the_subsite_in_the_primarys_own_words_wins_over_a_past_polypectomy_site() -> None:
    text = (
        "Diagnosis: Adenocarcinoma of the ascending colon, pT3 pN1b M0 (Stage IIIB), EMVI "
        "positive,\npMMR, RAS wild-type, BRAF V600E not detected. Laparoscopic right "
        "hemicolectomy 06/10/2026.\nPerformance status: WHO 0.\n\n"
        "Past history:\n- Sigmoid colon polypectomy 2019 (tubulovillous adenoma, low-grade "
        "dysplasia)\n- Hypertension\n"
    )
    sites = [f for f in _facts(text) if f.kind == "primary_site"]
    assert sites and {f.display for f in sites} == {"ascending colon"}
