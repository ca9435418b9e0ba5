"""The one-page clinical summary: content, HTML and PDF, English and Chinese."""

from __future__ import annotations

import io
import re
from functools import partial

import pytest
from pypdf import PdfReader

from casebridge.engine.case import (
    Case,
    Conflict,
    Correction,
    Document,
    Fact,
    Gap,
    Identifier,
    SafetyFlag,
    Source,
    TimelineEvent,
)
from casebridge.engine.errors import InputError
from casebridge.engine.render.html import render_html
from casebridge.engine.render.pdf import render_pdf
from casebridge.engine.render.summary import SNIPPET_PAD, build_summary
from tests.engine import factories
from tests.engine.factories import document

# sourced as the extractors source a fact: the line around the phrase
fact = partial(factories.fact, pad=SNIPPET_PAD)

PATHOLOGY = (
    "HISTOPATHOLOGY REPORT\n"
    "Left breast core biopsy: invasive ductal carcinoma, grade 2.\n"
    "ER positive. HER2 IHC 2+ (equivocal).\n"
    "pT2 pN0 (AJCC 8th edition)\n"
)
LETTER = (
    "Dear Dr Patel,\n"
    "Stage IIA. She remains on letrozole 2.5 mg once daily. ECOG 1.\n"
    "Allergies: penicillin.\n"
    "Stage IIB on the MDT form.\n"
)


def breast_case() -> Case:
    path = document(
        "a" * 16, "pathology", PATHOLOGY, name="pathology_2024-03.pdf", method="text-layer"
    )
    letter = document(
        "b" * 16, "clinic_letter", LETTER, name="clinic_letter.pdf", method="text-layer"
    )
    facts = [
        fact(path, "cancer_type", "BRCA", "breast"),
        fact(path, "primary_site", "breast", "breast"),
        fact(path, "laterality", "left", "Left"),
        fact(path, "histology", "invasive ductal carcinoma", "invasive ductal carcinoma"),
        fact(path, "grade", "2", "grade 2"),
        fact(path, "er_status", "positive", "ER positive"),
        fact(path, "her2_ihc", "2+", "HER2 IHC 2+", display="2+ (equivocal)"),
        fact(path, "t_category", "T2", "pT2", prefix="p"),
        fact(path, "n_category", "N0", "pN0", prefix="p"),
        fact(path, "tnm_edition", "AJCC 8th", "AJCC 8th edition"),
        fact(letter, "stage_group", "IIA", "Stage IIA"),
        fact(letter, "stage_group", "IIB", "Stage IIB"),
        fact(letter, "hormone_therapy", "letrozole", "letrozole"),
        fact(
            letter,
            "medication",
            "letrozole",
            "letrozole 2.5 mg once daily",
            display="letrozole 2.5 mg once daily",
        ),  # fmt: skip
        fact(letter, "performance_status", "ECOG 1", "ECOG 1"),
        fact(letter, "allergy", "penicillin", "penicillin"),
    ]
    stages = [f for f in facts if f.kind == "stage_group"]
    return Case(
        case_id="CB-TEST0001",
        created="2024-07-20T10:00:00+00:00",
        documents=[path, letter],
        facts=facts,
        intake={"pseudonym": "Patient K-217", "name": "Jane Smith"},
        identifiers=[Identifier("person_name", "Dr Patel", facts[0].source)],  # type: ignore[arg-type]
        conflicts=[
            Conflict("stage_group", ["IIA", "IIB"], [f.id for f in stages], "Records disagree.")
        ],
        timeline=[
            TimelineEvent("2024-03-12", "day", "report", "Pathology report", [facts[3].source])
        ],  # type: ignore[list-item]
        gaps=[
            Gap(
                "staging-imaging",
                "Staging imaging reports (CT, MRI or PET-CT)",
                "why",
                "Radiology",
                "essential",
            )
        ],  # fmt: skip
    )


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# -- content ------------------------------------------------------------------------------


def test_every_fact_line_carries_a_numbered_source_with_its_verbatim_snippet():
    summary = build_summary(breast_case(), "en")
    numbers = {s.number for s in summary.sources}
    for section in summary.sections:
        if section.key in ("gaps", "attention"):
            continue  # absences and unreadable files: nothing to cite
        for line in section.lines:
            if line.status == "not_stated":
                continue
            for part in line.parts:
                assert part.refs, f"{section.key}: {line} has no source"
                assert set(part.refs) <= numbers
    assert any("invasive ductal carcinoma, grade 2" in s.snippet for s in summary.sources)
    assert any(s.where.startswith("pathology_2024-03.pdf p.1") for s in summary.sources)


def test_key_items_without_a_fact_read_not_stated_in_both_languages():
    case = breast_case()
    case.facts = [f for f in case.facts if f.kind not in ("histology", "allergy")]
    html_en = render_html(case, "en")
    html_zh = render_html(case, "zh")
    assert "not stated" in html_en and "未提及" in html_zh
    summary = build_summary(case, "en")
    diagnosis = next(s for s in summary.sections if s.key == "diagnosis")
    histology = next(ln for ln in diagnosis.lines if ln.label[0].text == "Histology")
    assert histology.status == "not_stated" and histology.parts[0].spans[0].text == "not stated"


def test_conflicting_values_are_both_shown_with_their_own_sources():
    html = render_html(breast_case(), "en")
    assert "Stage IIA" in html and "Stage IIB" in html and "≠" in html
    zh = render_html(breast_case(), "zh")
    assert "IIA期" in zh and "IIB期" in zh


def test_the_safety_notice_comes_first_and_says_the_case_is_paused():
    case = breast_case()
    case.safety_flags = [
        SafetyFlag("chest_pain", "Chest pain", "Call 999 now.", case.facts[0].source)
    ]
    case.paused = True
    html = render_html(case, "en")
    assert html.index('class="safety"') < html.index("<h1>")
    assert "999" in html and "NHS 111" in html and "paused" in html
    zh = render_html(case, "zh")
    assert zh.index('class="safety"') < zh.index("<h1>") and "胸痛" in zh and "已暂停" in zh


def test_no_safety_notice_when_there_are_no_flags():
    assert 'class="safety"' not in render_html(breast_case(), "en")


def test_the_patient_is_shown_by_pseudonym_and_never_by_name():
    html = render_html(breast_case(), "en")
    assert "Patient K-217" in html and "CB-TEST0001" in html
    assert "Jane Smith" not in html


def test_chinese_values_come_from_the_terminology_table():
    html = render_html(breast_case(), "zh")
    for zh in (
        "浸润性导管癌",
        "乳腺浸润性癌",
        "左侧",
        "阳性",
        "来曲唑",
        "青霉素",
        "诊断",
        "分期",
        "2级",
    ):
        assert zh in html, zh
    assert "pT2" in html and "ECOG 1" in html  # codes stay as written


def test_a_value_the_table_lacks_stays_english_and_is_marked():
    case = breast_case()
    src = case.facts[0].source
    case.facts.append(Fact("comorbidity", "Raynaud phenomenon", src))
    html = render_html(case, "zh")
    assert 'class="untranslated"' in html and "Raynaud phenomenon" in html
    assert "[EN]" in html and "未翻译：原文为英文" in html
    assert 'class="untranslated"' not in render_html(case, "en")


def test_verbatim_snippets_stay_as_in_the_source_in_chinese_output():
    html = render_html(breast_case(), "zh")
    assert "Left breast core biopsy: invasive ductal carcinoma, grade 2." in html


def test_text_from_the_records_is_escaped_in_html():
    case = breast_case()
    d = document(
        "c" * 16,
        "pathology",
        "<script>alert(1)</script> adenocarcinoma\n",
        name="<evil>.pdf",
        method="text-layer",
    )
    case.documents.append(d)
    case.facts.append(fact(d, "diagnosis", "<b>x</b>", "<script>alert(1)</script>"))
    html = render_html(case, "en")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;evil&gt;.pdf" in html


def test_the_disclaimer_is_on_every_output_in_both_languages():
    for lang in ("en", "zh"):
        html = render_html(breast_case(), lang)
        assert "not a substitute for the patient's own doctors" in html.replace("&#x27;", "'")
        assert "不能替代患者本人主治医生的意见" in html


def test_a_person_s_correction_is_shown_and_sourced_to_the_person():
    case = breast_case()
    corr = Correction("x", "Dr Reviewer", "2024-07-21T09:00:00", "MDT form says grade 3")
    case.facts.append(
        Fact("grade", "3", None, corrected_by=corr, original_value="2", context="asserted")
    )
    summary = build_summary(case, "en")
    assert any(
        "Dr Reviewer" in s.where and s.snippet == "MDT form says grade 3" for s in summary.sources
    )
    assert "corrected; was 2" in render_html(case, "en")


def test_an_empty_case_and_an_unknown_language_do_not_crash():
    html = render_html(Case(), "zh")
    assert "未提及" in html
    with pytest.raises(InputError, match="language"):
        render_html(Case(), "fr")


def test_documents_needing_attention_are_listed():
    case = breast_case()
    bad = Document(id="d" * 16, file_name="scan.jpg", sha256="0", size=1)
    bad.needs_attention("The photo is too blurred to read.")
    case.documents.append(bad)
    html = render_html(case, "en")
    assert "scan.jpg" in html and "too blurred" in html


# -- PDF ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_pdf_is_one_a4_page_in_both_languages_with_chinese_text_extractable():
    for lang in ("en", "zh"):
        reader = PdfReader(io.BytesIO(render_pdf(breast_case(), lang)))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)
        text = reader.pages[0].extract_text()
        assert "仅供参考" in text and "For information only" in text
    zh = text_of(render_pdf(breast_case(), "zh"))
    assert "浸润性导管癌" in zh and "pT2" in zh


@pytest.mark.slow
def test_a_long_case_continues_on_page_two_rather_than_dropping_facts():
    case = breast_case()
    src = case.facts[0].source
    for i in range(400):
        case.facts.append(Fact("lab", f"marker {i}", src, display=f"tumour marker {i} = {i} U/mL"))
    text = text_of(render_pdf(case, "en"))
    assert len(PdfReader(io.BytesIO(render_pdf(case, "en"))).pages) >= 2
    assert "tumour marker 399 = 399 U/mL" in text.replace("\n", " ")


# -- pseudonymisation -----------------------------------------------------------------------

LETTER_WITH_IDS = (
    "Name: Mrs Eleanor Jane WHITCOMBE  NHS No: 999 047 1320  Hospital No: NB4471203\n"
    "Date of birth: 14/03/1971  Address: 27 Lavender Close, Ashcombe, LS29 8QJ\n"
    "Tel 0113 496 0455, e-mail eleanor.w@example.org\n"
    "Dear Mrs Whitcombe, your biopsy showed invasive ductal carcinoma, grade 2.\n"
    "NHS number 9990471320; born 14 March 1971 (1971-03-14); phone +44 113 496 0455.\n"
)


def case_with_identifiers() -> Case:
    d = document(
        "e" * 16,
        "clinic_letter",
        LETTER_WITH_IDS,
        name="Eleanor Whitcombe letter.pdf",
        method="text-layer",
    )
    src = Source(d.id, d.file_name, 1, 0, 10, "x")
    ids = [
        Identifier("person_name", "Eleanor Jane WHITCOMBE", src),
        Identifier("nhs_number", "999 047 1320", src),
        Identifier("hospital_number", "NB4471203", src),
        Identifier("date_of_birth", "14/03/1971", src),
        Identifier("address", "27 Lavender Close, Ashcombe,", src),
        Identifier("postcode", "LS29 8QJ", src),
        Identifier("phone", "0113 496 0455", src),
        Identifier("email", "eleanor.w@example.org", src),
    ]
    facts = [
        fact(d, "histology", "invasive ductal carcinoma", "invasive ductal carcinoma"),
        fact(d, "diagnosis", "Dear Mrs Whitcombe", "Dear Mrs Whitcombe"),  # echoed text
        fact(d, "other_biomarker", "NHS 9990471320", "NHS number 9990471320"),
        fact(d, "comorbidity", "x", "born 14 March 1971"),
        fact(d, "allergy", "y", "phone +44 113 496 0455"),
        fact(d, "lab", "z", "LS29 8QJ"),
        fact(d, "performance_status", "w", "Hospital No: NB4471203"),
        fact(d, "medication", "v", "e-mail eleanor.w@example.org"),
    ]
    return Case(
        case_id="CB-PSEUDO01",
        documents=[d],
        facts=facts,
        identifiers=ids,
        timeline=[TimelineEvent("1971-03-14", "day", "letter", "Letter: 14/03/1971", [src])],
    )


FORBIDDEN = (
    "eleanor", "whitcombe", "999 047 1320", "9990471320", "nb4471203", "14/03/1971",
    "14 march 1971", "1971-03-14", "lavender", "ls29", "0113 496", "113 496 0455",
    "example.org",
)  # fmt: skip


def test_no_identifier_of_the_case_appears_anywhere_in_the_html_in_either_language():
    case = case_with_identifiers()
    for lang in ("en", "zh"):
        page = render_html(case, lang).lower()
        for value in FORBIDDEN:
            assert value not in page, (lang, value)
    en = render_html(case, "en")
    for marker in ("[name]", "[NHS number]", "[hospital number]", "[date of birth]", "[address]",
                   "[postcode]", "[phone]", "[e-mail]"):  # fmt: skip
        assert marker in en, marker
    zh = render_html(case, "zh")
    for marker in ("[姓名]", "[NHS号码]", "[医院编号]", "[出生日期]", "[地址]", "[邮编]", "[电话]"):
        assert marker in zh, marker
    assert "[name] letter.pdf" in en  # a file name that contains the name


@pytest.mark.slow
def test_no_identifier_of_the_case_appears_in_the_pdf_text():
    case = case_with_identifiers()
    for lang in ("en", "zh"):
        text = " ".join(text_of(render_pdf(case, lang)).lower().split())
        for value in FORBIDDEN:
            assert value not in text, (lang, value)


def test_an_event_dated_on_the_date_of_birth_is_not_on_the_timeline():
    summary = build_summary(case_with_identifiers(), "en")
    assert all(s.key != "timeline" for s in summary.sections)


def test_a_surname_that_is_a_clinical_word_is_only_hidden_inside_the_full_name():
    case = case_with_identifiers()
    src = case.identifiers[0].source
    case.identifiers.append(Identifier("person_name", "Radiology Appointments", src))
    html = render_html(case, "en")
    assert "invasive ductal carcinoma" in html


# -- Chinese for gaps, safety advice and attention reasons -----------------------------------


def test_gap_titles_are_curated_chinese_by_gap_id_including_filled_in_titles():
    case = breast_case()
    case.gaps = [
        Gap("her2-ish-missing", "HER2 ISH (in situ hybridisation) result", "", "", "essential"),
        Gap("lung-adenocarcinoma-markers:ros1", "ROS1 result", "", "", "essential"),
        Gap("scan-report-missing:pet-ct-2026-09-24", "PET-CT report of 2026-09-24", "", ""),
        Gap("scan-report-missing:bone-scan", "bone scan report", "", ""),
        Gap("new-rule", "Something nobody translated", "", ""),
        Gap("pathology-report", "A reworded pathology title", "", "", "essential"),
    ]
    html = render_html(case, "zh")
    for zh in ("HER2 原位杂交（ISH）检测结果", "ROS1 融合检测结果", "PET-CT报告（2026年9月24日）",
               "骨扫描报告"):  # fmt: skip
        assert zh in html, zh
    # no curated entry, or a title that no longer reads as the entry: English, marked
    assert "Something nobody translated<sup" in html
    assert "A reworded pathology title<sup" in html
    assert "诊断性病理" not in html


def test_safety_advice_is_curated_chinese_and_the_general_advice_is_not_repeated():
    from casebridge.engine import kb

    flags = kb.load("red_flags")
    general = " ".join(flags["advice"]["red"].split())
    amber_general = " ".join(flags["advice"]["amber"].split())
    chest = next(f for f in flags["flags"] if f["id"] == "chest_pain")
    rash = next(f for f in flags["flags"] if f["id"] == "rash_amber")
    case = breast_case()
    case.safety_flags = [
        SafetyFlag("chest_pain", chest["label"], f"{general} {chest['advice']}", None),
        SafetyFlag("novel", "Something new", "Do something now.", None),
        SafetyFlag(
            "rash",
            rash["label"],
            f"{amber_general} {rash['advice']}",
            None,
            level="amber",
            rule="rash_amber.skin",
        ),
    ]
    case.paused = True
    zh = render_html(case, "zh")
    assert "新发胸痛需要紧急评估" in zh and "胸痛" in zh
    assert "抗肿瘤治疗期间新出现皮疹或瘙痒" in zh  # an amber flag's label, by its flag id
    assert "Do something now.<sup" in zh  # not curated: English, marked
    en = render_html(case, "en")
    assert en.count("111.nhs.uk") == 0 and "New chest pain needs urgent assessment" in en
    assert "call straight away if it blisters" in en


def test_a_case_with_only_amber_flags_says_call_the_helpline_today_and_is_not_paused():
    case = breast_case()
    case.safety_flags = [
        SafetyFlag("rash", "New rash", "Call today.", None, level="amber", rule="rash_amber.skin")
    ]
    case.paused = False
    en = render_html(case, "en")
    assert "Call your acute oncology (chemotherapy) helpline today" in en
    assert "URGENT" not in en and "This case is paused" not in en
    assert "请于今天致电急症肿瘤（化疗）热线" in render_html(case, "zh")


def test_common_reasons_a_document_needs_attention_are_in_chinese():
    case = breast_case()
    for i, reason in enumerate(
        (
            "Photo too blurred or dark to read: please retake it (flat, in focus, in good light)",
            "Some pages could not be read (page 2, 5)",
            "Same content as letter.pdf: read once, not counted twice.",
            "A reason nobody curated",
        )
    ):
        bad = Document(id=f"{i}" * 16, file_name=f"f{i}.jpg", sha256=str(i), size=1)
        bad.needs_attention(reason)
        case.documents.append(bad)
    zh = render_html(case, "zh")
    assert "照片过于模糊或过暗" in zh and "部分页面无法读取（第 2, 5 页）" in zh
    assert "与 letter.pdf 内容相同" in zh
    assert "A reason nobody curated<sup" in zh


# -- planned, current, completed; a date on every fact -----------------------------------------

ONCOLOGY_LETTER = (
    "Plan\n"
    "• Continue osimertinib 80 mg once daily until chemotherapy starts.\n"
    "• Second-line chemotherapy: carboplatin AUC 5 and pemetrexed 500 mg/m2, provisionally "
    "from 21/09/2026.\n"
    "Performance status: ECOG 1\n"
)
DISCHARGE = (
    "Medications on discharge\n"
    "• Co-amoxiclav 625 mg orally three times a day for 2 more days\n"
    "• Gliclazide 40 mg orally each morning on dexamethasone days only\n"
    "• Co-trimoxazole 480 mg orally twice daily on Mondays, Wednesdays and Fridays\n"
    "ECOG 0\n"
)


def course_case() -> Case:
    letter = document("c" * 16, "clinic_letter", ONCOLOGY_LETTER, "2026-09-08", name="letter.pdf")
    old = document("d" * 16, "discharge_summary", DISCHARGE, "2026-08-20", name="discharge.pdf")
    return Case(
        case_id="CB-TEST0002",
        documents=[old, letter],
        facts=[
            fact(letter, "targeted_therapy", "osimertinib", status="current"),
            fact(letter, "drug", "carboplatin", status="planned", dose="AUC 5"),
            fact(letter, "drug", "pemetrexed", status="planned", start_date="2026-09-21"),
            fact(letter, "performance_status", "ECOG 1", "ECOG 1"),
            fact(old, "performance_status", "ECOG 0", "ECOG 0"),
            fact(
                old,
                "medication",
                "co-amoxiclav",
                "Co-amoxiclav 625 mg",
                display="co-amoxiclav 625 mg orally three times a day",
                status="completed",
                end_date="2026-08-22",
            ),
            fact(
                old,
                "medication",
                "gliclazide",
                "Gliclazide 40 mg",
                display="gliclazide 40 mg orally each morning on dexamethasone days only",
                dose="40 mg",
                route="orally",
                frequency="each morning",
                schedule="on dexamethasone days only",
                status="current",
                status_date="2026-08-20",
            ),
            fact(
                old,
                "medication",
                "co-trimoxazole",
                "Co-trimoxazole 480 mg",
                display="co-trimoxazole 480 mg orally twice daily Mon/Wed/Fri",
                dose="480 mg",
                route="orally",
                frequency="twice daily",
                schedule="Mon/Wed/Fri",
                status="current",
                status_date="2026-08-20",
            ),
        ],
    )


def line_text(summary, label_start: str) -> str:  # type: ignore[no-untyped-def]
    for section in summary.sections:
        for line in section.lines:
            label = "".join(s.text for s in line.label)
            if label.startswith(label_start):
                return "".join(s.text for p in line.parts for s in p.spans)
    raise AssertionError(f"no line {label_start!r}")


def test_planned_drugs_are_under_the_plan_marked_planned_and_never_in_treatment_history():
    summary = build_summary(course_case(), "en")
    plan = line_text(summary, "Plan (planned")
    assert "carboplatin" in plan and "pemetrexed (planned; from 2026-09-21" in plan
    history = [
        "".join(s.text for p in ln.parts for s in p.spans)
        for sec in summary.sections
        if sec.key == "treatment"
        for ln in sec.lines
        if ln.status != "note"
    ]
    assert not any("carboplatin" in text or "pemetrexed" in text for text in history)
    assert "osimertinib (current" in line_text(summary, "Targeted therapy")


def test_current_medications_hold_only_what_is_current_on_the_latest_record_s_date():
    summary = build_summary(course_case(), "en")
    current = line_text(summary, "Current medications (as of 2026-09-08)")
    assert "gliclazide" in current and "co-amoxiclav" not in current
    earlier = line_text(summary, "Earlier medications")
    assert "co-amoxiclav 625 mg orally three times a day (completed; until 2026-08-22)" in earlier


def test_schedules_stay_in_the_medicine_s_row_in_english_and_chinese():
    en = line_text(build_summary(course_case(), "en"), "Current medications")
    assert "on dexamethasone days only" in en and "Mon/Wed/Fri" in en
    zh = line_text(build_summary(course_case(), "zh"), "当前用药")
    assert "格列齐特 40 mg 口服 每日早晨，仅在地塞米松用药日" in zh
    assert "复方磺胺甲噁唑 480 mg 口服 每日两次，周一、周三、周五" in zh


def test_planned_items_are_marked_planned_in_chinese():
    zh = line_text(build_summary(course_case(), "zh"), "计划（尚未实施）")
    assert "培美曲塞（计划；2026-09-21起" in zh


def test_several_values_of_one_kind_are_dated_newest_first_with_the_current_one_stated():
    summary = build_summary(course_case(), "en")
    assert (
        line_text(summary, "Performance status")
        == "ECOG 1 (2026-09-08; current)ECOG 0 (2026-08-20)"
    )


def test_two_excisions_of_different_dates_and_sides_are_two_rows():
    doc = document(
        "e" * 16,
        "clinic_letter",
        "Right breast wide local excision 03/03/2026. Left breast wide local excision in 2015.",
        "2026-09-01",
    )
    case = Case(
        documents=[doc],
        facts=[
            fact(
                doc,
                "surgery",
                "wide local excision",
                "wide local excision",
                date="2026-03-03",
                side="right",
                status="completed",
            ),
            fact(
                doc,
                "surgery",
                "wide local excision",
                "wide local excision",
                nth=1,
                date="2015",
                side="left",
                status="completed",
            ),
        ],
    )
    line = line_text(build_summary(case, "en"), "Surgery")
    assert "wide local excision, right (completed; 2026-03-03)" in line
    assert "wide local excision, left (completed; 2015)" in line


# -- the opening block: what the MDT needs first --------------------------------------------

MDT_LETTER = (
    "Dear Dr Whitfield,\n"
    "Current status: Progressive disease on CT 03/09/2026.\n"
    "Treatment to date: Osimertinib 80 mg once daily from 17/11/2025.\n"
    "Plan\n"
    "• Second-line chemotherapy: carboplatin AUC 5 and pemetrexed 500 mg/m2, provisionally "
    "from 21/09/2026.\n"
    "• If MET amplified: consider savolitinib.\n"
    "Mr Pritchard would like a second opinion on his treatment plan and I have given him "
    "copies.\n"
)
FAMILY_NOTE = (
    "What we want to ask\n"
    "Should he carry on osimertinib together with the chemo?\n"
    "ROS1 was never tested - does that matter now?\n"
    "He walks the dog every day.\n"
)
EBUS = (
    "Molecular pathology (NGS DNA panel, 07/11/2025)\n"
    "EGFR: Exon 19 deletion detected: c.2235_2249del p.(Glu746_Ala750del). Variant allele "
    "frequency 18%. No EGFR T790M detected.\n"
    "Lymphovascular invasion is not identified in the cores.\n"
    "Stage IVA (cT2a N2 M1b, TNM 8th edition).\n"
)


def mdt_case() -> Case:
    letter = document("f" * 16, "clinic_letter", MDT_LETTER, "2026-09-08", name="letter.pdf")
    note = document("g" * 16, "other", FAMILY_NOTE, "2026-09-10", name="our questions.txt")
    note.metadata["author"] = "patient"
    ebus = document("h" * 16, "genetic_report", EBUS, "2025-11-07", name="ebus.pdf")
    ct = document("i" * 16, "radiology", "EGFR mutation detected.", "2026-09-03", name="ct.pdf")
    return Case(
        case_id="CB-TEST0003",
        documents=[ebus, ct, letter, note],
        facts=[
            fact(letter, "response", "progressive disease", "Progressive disease",
                 date="2026-09-03"),
            fact(letter, "targeted_therapy", "osimertinib", "Osimertinib",
                 start_date="2025-11-17", status="current"),
            fact(letter, "drug", "carboplatin", status="planned"),
            fact(letter, "drug", "pemetrexed", status="planned", start_date="2026-09-21"),
            fact(letter, "targeted_therapy", "savolitinib", context="possible"),
            fact(letter, "medication", "adcal-d3", "adcal-d3", frequency="one tablet twice a day",
                 status="current"),
            fact(letter, "medication", "entecavir", "entecavir", dose="0.5 mg",
                 frequency="once daily", status="current"),
            fact(letter, "medication", "salbutamol", "salbutamol", dose="100 micrograms",
                 frequency="up to four times a day when needed", status="current"),
            fact(ebus, "egfr", "Exon 19 deletion", "Exon 19 deletion",
                 display="EGFR Exon 19 deletion", variant="Exon 19 deletion"),
            fact(ebus, "egfr", "T790M not detected", "No EGFR T790M detected",
                 display="EGFR T790M not detected", variant="T790M"),
            fact(ct, "egfr", "detected", "EGFR mutation detected",
                 display="EGFR mutation detected"),
            fact(note, "egfr", "exon 19", "exon 19", display="EGFR exon 19",
                 reported_by="patient"),
            fact(ebus, "lvi", "absent", "Lymphovascular invasion is not identified in the cores",
                 display="lymphovascular invasion absent"),
            fact(ebus, "tnm_edition", "8th", "TNM 8th edition", display="TNM 8th edition"),
            fact(ebus, "diagnosis", "Adenocarcinoma of the right upper lobe, stage IVA",
                 "Stage IVA"),
        ],
    )  # fmt: skip


def opening(summary) -> list[str]:  # type: ignore[no-untyped-def]
    first = summary.sections[0]
    assert first.key == "essentials"
    return ["".join(s.text for s in line.label) for line in first.lines]


def test_the_summary_opens_with_the_clinical_question_status_treatment_and_plan():
    summary = build_summary(mdt_case(), "en")
    assert opening(summary) == [
        "What the UK letters ask",
        "The patient asks (the patient writes)",
        "Current disease status",
        "Current treatment and line",
        "Plan (planned, not given)",
        "Options under discussion (conditional, not planned)",
    ]
    assert line_text(summary, "What the UK letters ask").startswith(
        "a second opinion on his treatment plan"
    )
    asks = line_text(summary, "The patient asks")
    assert "“Should he carry on osimertinib together with the chemo?”" in asks
    assert "ROS1 was never tested - does that matter now?" in asks and "walks the dog" not in asks
    assert line_text(summary, "Current disease status") == "progressive disease (2026-09-03)"
    assert line_text(summary, "Options under discussion") == "if MET amplified: savolitinib"


def test_the_line_of_treatment_is_stated_or_follows_from_the_dated_history_never_guessed():
    summary = build_summary(mdt_case(), "en")
    current = line_text(summary, "Current treatment and line")
    assert current == (
        "osimertinib (current; from 2025-11-17) — first-line (from the dated treatment history)"
    )
    assert "carboplatin (planned; as of 2026-09-08) — second-line" in line_text(summary, "Plan")
    case = mdt_case()
    for f in case.facts:
        if f.value == "osimertinib":
            f.attributes.pop("start_date")  # undated: the history cannot number it
    assert line_text(build_summary(case, "en"), "Current treatment and line") == (
        "osimertinib (current; as of 2026-09-08)"
    )


def test_the_opening_block_is_in_chinese_with_the_patient_s_own_words_marked_english():
    summary = build_summary(mdt_case(), "zh")
    assert line_text(summary, "英国来信的诉求").startswith("就治疗方案寻求第二诊疗意见")
    assert line_text(summary, "当前治疗及线数").startswith("奥希替尼（当前；2025-11-17起） — 一线")
    asks = next(ln for ln in summary.sections[0].lines if ln.status == "note")
    assert all(s.untranslated for p in asks.parts for s in p.spans)
    assert "[EN]" in render_html(mdt_case(), "zh").split("患者提问")[1][:400]


def test_one_row_per_biomarker_holds_the_most_specific_result_with_hgvs_and_vaf():
    en = line_text(build_summary(mdt_case(), "en"), "EGFR")
    assert en == (
        "EGFR Exon 19 deletion c.2235_2249del p.(Glu746_Ala750del), VAF 18% (2025-11-07); "
        "EGFR T790M not detected (2025-11-07)"
    ).replace("; ", "")
    zh = line_text(build_summary(mdt_case(), "zh"), "EGFR")
    assert zh.startswith("EGFR 19号外显子缺失 c.2235_2249del p.(Glu746_Ala750del), VAF 18%")
    assert "突变 (" not in zh and "exon 19" not in zh


def test_chinese_medicine_rows_keep_the_inn_name_dose_and_frequency():
    zh = line_text(build_summary(mdt_case(), "zh"), "当前用药")
    assert "碳酸钙/维生素D3（商品名 Adcal-D3） 每次1片每日两次" in zh
    assert "恩替卡韦 0.5 mg 每日一次" in zh
    assert "沙丁胺醇 100 微克 每日最多四次，必要时" in zh


def test_chinese_never_says_absent_for_not_identified_in_the_cores():
    zh = line_text(build_summary(mdt_case(), "zh"), "脉管侵犯")
    assert zh.startswith("穿刺组织中未见") and "无" not in zh
    en = line_text(build_summary(mdt_case(), "en"), "Lymphovascular invasion")
    assert en.startswith("lymphovascular invasion not identified in the cores")


def test_tnm_8th_edition_is_uicc_tnm_in_chinese_and_ajcc_only_when_the_record_says_ajcc():
    assert line_text(build_summary(mdt_case(), "zh"), "TNM / AJCC").startswith("UICC TNM 第8版")
    assert line_text(build_summary(breast_case(), "zh"), "TNM / AJCC").startswith("AJCC 第8版")


def test_a_value_the_table_covers_only_in_part_stays_whole_english_marked():
    summary = build_summary(mdt_case(), "zh")
    line = next(
        ln for s in summary.sections for ln in s.lines if "".join(x.text for x in ln.label)
        .startswith("诊断（原文记载）")
    )  # fmt: skip
    spans = line.parts[0].spans
    assert spans[0].untranslated and spans[0].text.startswith("Adenocarcinoma of the right")
    assert not any("期" in s.text for s in spans[:1])


def test_every_drug_of_the_knowledge_base_it_can_name_has_a_chinese_inn_name():
    from casebridge.engine import kb
    from casebridge.engine.terminology import table

    terms = table()
    names = [d["name"] for d in kb.load("drugs")["drugs"]]
    for name in ("entecavir", "salbutamol", "Adcal-D3", "osimertinib", "glofitamab"):
        assert terms.lookup(name, ("drug",)) is not None, name
    covered = [n for n in names if terms.lookup(n, ("drug",)) is not None]
    assert len(covered) / len(names) > 0.85
    for procedure, zh in (
        ("lymphadenectomy", "淋巴结清扫术"),
        ("sigmoid (high anterior) resection", "乙状结肠切除术（高位前切除术）"),
        ("high anterior resection", "高位前切除术"),
    ):
        term = terms.lookup(procedure, ("procedure",))
        assert term is not None and term.zh == zh and "直肠前切除术" not in term.zh


# -- metastatic sites, negative staging, serology, background, what the patient writes ------
def extracted_case(*docs: Document, programme: str = "oncology") -> Case:
    """A case whose facts are what the extractors read from `docs` (a note whose metadata
    author is "patient" gives the patient's statements, as after classification)."""
    from casebridge.engine.extract import extract_document

    return Case(
        case_id="CB-TEST0009",
        programme=programme,
        documents=list(docs),
        facts=[f for d in docs for f in extract_document(d)],
    )


def row(summary, label_start: str) -> str:  # type: ignore[no-untyped-def]
    """A line's text with its untranslated spans marked [EN]."""
    for section in summary.sections:
        for line in section.lines:
            if "".join(s.text for s in line.label).startswith(label_start):
                return "".join(
                    (p.sep if i else "")
                    + "".join(("[EN]" if s.untranslated else "") + s.text for s in p.spans)
                    for i, p in enumerate(line.parts)
                )
    raise AssertionError(f"no line {label_start!r}")


def section_of(summary, key: str):  # type: ignore[no-untyped-def]
    return next((s for s in summary.sections if s.key == key), None)


def refs_of(summary, label_start: str) -> list[int]:  # type: ignore[no-untyped-def]
    for section in summary.sections:
        for line in section.lines:
            if "".join(s.text for s in line.label).startswith(label_start):
                return [n for p in line.parts for n in p.refs]
    raise AssertionError(f"no line {label_start!r}")


LUNG_CT = (
    "CT THORAX, ABDOMEN AND PELVIS\n"
    "Clinical details: EGFR-mutant adenocarcinoma of the right upper lobe on osimertinib.\n"
    "Findings: enlarging right upper lobe primary. New liver metastases. Stable treated T9 bone"
    " metastasis. A 9 mm left adrenal nodule suspicious for metastasis.\n"
)
COLON_LETTER = (
    "COLORECTAL CLINIC LETTER\n"
    "Diagnosis: Adenocarcinoma of the sigmoid colon, moderately differentiated, pT3 N1b.\n"
    "Staging CT chest, abdomen and pelvis on 05/08/2026: no evidence of metastatic disease.\n"
    "Social history: ex-smoker (15 pack-years, stopped 2012).\n"
    "Family history: Father: bowel cancer, diagnosed aged 59.\n"
    "Hepatitis B serology: hepatitis B core antibody positive, surface antigen negative.\n"
    "Plan\n"
    "- If MSI-high: discuss pembrolizumab at the MDT.\n"
)
BREAST_LETTER = (
    "BREAST CLINIC LETTER\n"
    "Diagnosis: Left breast invasive ductal carcinoma (NST), grade 2.\n"
    "Menopausal status: Postmenopausal (last menstrual period 2021)\n"
    "Plan\n"
    "• If HER2 amplified: refer for neoadjuvant chemotherapy with\n"
    "trastuzumab and pertuzumab before surgery.\n"
    "• Genetic testing: she does not currently meet the national testing criteria (mother"
    " diagnosed with breast cancer at 68).\n"
)
FL_LETTER = (
    "HAEMATOLOGY CLINIC LETTER\n"
    "Diagnosis: Follicular lymphoma, grade 1-2, stage IVA, CD19 positive.\n"
    "Plan: If progression after rituximab, consider CAR-T cell therapy.\n"
)
FAMILY_TIMELINE = (
    "Dad's own timeline\n"
    "He stopped smoking in 2010 (smoked about 20 a day for 20 years).\n"
    "Should he carry on osimertinib with the chemo?\n"
)


def test_metastatic_sites_are_their_own_row_under_the_diagnosis_in_english_and_chinese():
    ct = document("m" * 16, "radiology", LUNG_CT, "2026-09-03", name="ct.pdf")
    case = extracted_case(ct)
    en, zh = build_summary(case, "en"), build_summary(case, "zh")
    assert row(en, "Metastatic sites") == (
        "liver (first recorded 2026-09-03); bone (T9) (first recorded 2026-09-03);"
        " adrenal gland (possible) (first recorded 2026-09-03)"
    )
    assert refs_of(en, "Metastatic sites") and all(refs_of(en, "Metastatic sites"))
    assert [s.key for s in en.sections].index("diagnosis") < [s.key for s in en.sections].index(
        "staging"
    )
    assert "Metastatic sites" in [
        "".join(x.text for x in ln.label) for ln in section_of(en, "diagnosis").lines
    ]
    zh_sites = row(zh, "转移部位")
    assert "肝（首次记录于2026-09-03）" in zh_sites and "骨（T9）" in zh_sites
    assert "肾上腺（可能）" in zh_sites and "[EN]" not in zh_sites


def test_the_current_status_says_metastatic_with_the_asserted_sites_never_the_suspected_ones():
    ct = document("m" * 16, "radiology", LUNG_CT, "2026-09-03", name="ct.pdf")
    case = extracted_case(ct)
    status = row(build_summary(case, "en"), "Current disease status")
    assert status == "metastatic: liver, bone (T9) (2026-09-03)"
    zh = row(build_summary(case, "zh"), "当前病情")
    assert "转移部位：" in zh and "肝" in zh and "肾上腺" not in zh


def test_a_negative_staging_ct_reads_as_the_investigation_and_its_words_dated_by_the_scan():
    letter = document("c" * 16, "clinic_letter", COLON_LETTER, "2026-08-14", name="letter.pdf")
    case = extracted_case(letter)
    en = row(build_summary(case, "en"), "Distant staging")
    assert en == "staging CT: no evidence of metastatic disease (2026-08-05)"
    zh = row(build_summary(case, "zh"), "远处转移评估")
    assert zh == "分期CT：无远处转移（2026-08-05）"


def test_serology_is_shown_as_the_panel_reads_past_or_occult_exposure_never_hepatitis_b():
    letter = document("c" * 16, "clinic_letter", COLON_LETTER, "2026-08-14", name="letter.pdf")
    case = extracted_case(letter)
    en_summary, zh_summary = build_summary(case, "en"), build_summary(case, "zh")
    en = row(en_summary, "Viral serology")
    assert en.startswith("past (resolved) or occult hepatitis B exposure, not current infection")
    assert en.endswith("(2026-08-14)") and refs_of(en_summary, "Viral serology")
    zh = row(zh_summary, "病毒血清学")
    assert zh.startswith("既往（已恢复）或隐匿性乙型肝炎病毒暴露，非现症感染") and "[EN]" not in zh
    with pytest.raises(AssertionError):
        row(en_summary, "Other conditions")  # no "hepatitis B" among the conditions


def test_a_serology_panel_no_reading_fits_is_its_markers_with_their_results_in_chinese():
    lab = document("l" * 16, "laboratory", "HBV: anti-HBs positive.", "2026-05-01", name="lab.pdf")
    panel = fact(lab, "serology", "hepatitis B serology: anti-HBs positive", "anti-HBs positive",
                 virus="HBV", results="anti-HBs positive")  # fmt: skip
    case = Case(case_id="CB-TEST0010", documents=[lab], facts=[panel])
    assert row(build_summary(case, "en"), "Viral serology") == (
        "hepatitis B serology: anti-HBs positive (2026-05-01)"
    )
    assert (
        row(build_summary(case, "zh"), "病毒血清学") == "乙型肝炎血清学：抗-HBs 阳性（2026-05-01）"
    )


def test_smoking_and_family_history_are_background_rows_with_pack_years_stopped_relative_and_age():
    letter = document("c" * 16, "clinic_letter", COLON_LETTER, "2026-08-14", name="letter.pdf")
    case = extracted_case(letter)
    en, zh = build_summary(case, "en"), build_summary(case, "zh")
    assert section_of(en, "background") is not None
    assert row(en, "Smoking status") == "ex-smoker (15 pack-years, stopped 2012) (2026-08-14)"
    assert row(zh, "吸烟状况") == "既往吸烟（15 包年，2012年戒烟）（2026-08-14）"
    assert row(en, "Family history") == "father: bowel cancer (aged 59) (2026-08-14)"
    assert row(zh, "家族史") == "父亲：结直肠癌（59岁）（2026-08-14）"
    assert refs_of(en, "Smoking status") and refs_of(en, "Family history")


def test_menopausal_status_and_the_germline_assessment_are_background_rows_in_both_languages():
    letter = document("b" * 16, "clinic_letter", BREAST_LETTER, "2026-09-11", name="letter.pdf")
    case = extracted_case(letter)
    en, zh = build_summary(case, "en"), build_summary(case, "zh")
    assert row(en, "Menopausal status") == "postmenopausal (2026-09-11)"
    assert row(zh, "绝经状态") == "绝经后（2026-09-11）"
    assert (
        row(en, "Germline testing assessment") == "does not meet the testing criteria (2026-09-11)"
    )
    assert row(zh, "胚系基因检测评估") == "不符合检测标准（2026-09-11）"
    assert row(en, "Family history").startswith("mother: breast cancer (aged 68)")
    assert row(zh, "家族史").startswith("母亲：乳腺癌（68岁）")


def test_what_the_patient_writes_is_its_own_part_quoted_never_a_clinical_row():
    letter = document("f" * 16, "clinic_letter", MDT_LETTER, "2026-09-08", name="letter.pdf")
    note = document("g" * 16, "other", FAMILY_TIMELINE, "2026-09-10", name="dad.txt")
    note.metadata["author"] = "patient"
    case = extracted_case(letter, note)
    en, zh = build_summary(case, "en"), build_summary(case, "zh")
    background = section_of(en, "background")
    assert background is None or all(
        "".join(s.text for s in ln.label) != "Smoking status" for ln in background.lines
    )
    part = section_of(en, "patient_writes_section")
    assert part is not None and part.heading.startswith("The patient writes")
    assert row(en, "Smoking status") == (
        "“He stopped smoking in 2010 (smoked about 20 a day for 20 years).” (written 2026-09-10)"
    )
    assert refs_of(en, "Smoking status")
    # the question is quoted once, by the opening block
    assert "carry on osimertinib" not in "".join(
        s.text for ln in part.lines for p in ln.parts for s in p.spans
    )
    zh_part = section_of(zh, "patient_writes_section")
    assert zh_part is not None and zh_part.heading.startswith("患者自述")
    assert row(zh, "吸烟状况") == (
        "[EN]“He stopped smoking in 2010 (smoked about 20 a day for 20 years).”（2026-09-10书写）"
    )


def test_the_chinese_primary_site_row_shows_the_subsite_the_english_row_shows():
    ct = document("m" * 16, "radiology", LUNG_CT, "2026-09-03", name="ct.pdf")
    letter = document("c" * 16, "clinic_letter", COLON_LETTER, "2026-08-14", name="letter.pdf")
    for doc, en_site, zh_site in ((ct, "upper lobe of lung", "肺上叶"),
                                  (letter, "sigmoid colon", "乙状结肠")):  # fmt: skip
        case = extracted_case(doc)
        assert row(build_summary(case, "en"), "Primary site").startswith(en_site)
        assert row(build_summary(case, "zh"), "原发部位").startswith(zh_site)


def test_a_cancer_without_a_tcga_study_shows_its_histology_as_the_cancer_type():
    letter = document("h" * 16, "clinic_letter", FL_LETTER, "2026-07-02", name="letter.pdf")
    case = extracted_case(letter)
    assert not [f for f in case.facts if f.kind == "cancer_type"]
    assert row(build_summary(case, "en"), "Cancer type") == "Follicular lymphoma (2026-07-02)"
    assert row(build_summary(case, "zh"), "癌症类型") == "滤泡性淋巴瘤（2026-07-02）"
    myeloma = document("y" * 16, "clinic_letter", "Diagnosis: IgG kappa multiple myeloma.",
                       "2026-03-01", name="myeloma.pdf")  # fmt: skip
    summary = build_summary(extracted_case(myeloma), "zh")
    assert row(summary, "癌症类型").startswith("多发性骨髓瘤")


def test_cd19_stated_for_a_car_t_question_is_its_own_biomarker_row_in_both_languages():
    letter = document("h" * 16, "clinic_letter", FL_LETTER, "2026-07-02", name="letter.pdf")
    case = extracted_case(letter)
    assert row(build_summary(case, "en"), "CD19") == "CD19 positive (2026-07-02)"
    assert row(build_summary(case, "zh"), "CD19") == "CD19 阳性（2026-07-02）"


def test_a_result_a_rebiopsy_reports_again_is_dated_by_both_reports():
    first = document("p" * 16, "pathology", "Immunohistochemistry: CD20 positive.",
                     "2024-02-19", name="biopsy 2024.pdf")  # fmt: skip
    again = document("q" * 16, "pathology", "Relapse: CD20 positive.", "2026-08-10",
                     name="biopsy 2026.pdf")  # fmt: skip
    letter = document("r" * 16, "clinic_letter", "Known CD20 positive.", "2026-09-09",
                      name="letter.pdf")  # fmt: skip
    case = extracted_case(first, again, letter)
    assert row(build_summary(case, "en"), "CD20") == "CD20 positive (2024-02-19, 2026-08-10)"


def test_an_option_is_shown_after_the_condition_its_letter_states():
    letter = document("b" * 16, "clinic_letter", BREAST_LETTER, "2026-09-11", name="letter.pdf")
    case = extracted_case(letter)
    assert row(build_summary(case, "en"), "Options under discussion") == (
        "if HER2 amplified: trastuzumab, pertuzumab"
    )
    assert row(build_summary(case, "zh"), "讨论中的方案") == "若HER2 扩增：曲妥珠单抗、帕妥珠单抗"


def test_what_a_condition_names_is_neither_an_option_nor_a_finding():
    letter = document("h" * 16, "clinic_letter", FL_LETTER, "2026-07-02", name="letter.pdf")
    case = extracted_case(letter)
    en = build_summary(case, "en")
    assert row(en, "Options under discussion") == (
        "if progression after rituximab: CAR-T cell therapy"
    )
    assert row(en, "Response") == "not stated"
    zh = row(build_summary(case, "zh"), "讨论中的方案")
    assert zh == "若利妥昔单抗治疗后进展：CAR-T 细胞治疗"


def test_on_a_phone_the_sources_are_a_list_one_after_another_not_two_columns():
    html = render_html(breast_case(), "en")
    narrow = html.split("@media screen and (max-width: 40em)", 1)[1].split("</style>", 1)[0]
    assert ".sources .cols { column-count: 1;" in narrow
    assert "table.lines th, table.lines td { display: block;" in narrow
    assert "@media print" in html and "<script" not in html  # the PDF keeps its two columns


def test_a_patients_chinese_question_is_not_marked_en_and_the_intake_keys_read_in_chinese():
    case = breast_case()
    case.intake = {
        **case.intake,
        "questions": ["我的HER2结果是什么意思？", "Can I keep my breast?"],
        "goals": "尽快开始治疗",
    }
    html = render_html(case, "zh")
    assert '“我的HER2结果是什么意思？”<sup class="ref">' in html
    assert '我的HER2结果是什么意思？”<sup class="en-mark">' not in html
    assert 'Can I keep my breast?”<sup class="en-mark">[EN]</sup>' in html
    text = re.sub(r"<[^>]+>", "", html)
    assert "患者问卷：问题" in text and "患者问卷：目标" in text
    assert "患者问卷: questions" not in text and "患者问卷: goals" not in text
    assert "intake answers: questions" in re.sub(r"<[^>]+>", "", render_html(case, "en"))


def test_a_chinese_lines_values_are_parted_by_a_full_width_semicolon():
    case = breast_case()
    case.intake = {**case.intake, "questions": ["第一个问题？", "第二个问题？"]}
    zh = build_summary(case, "zh")
    seps = {p.sep for s in zh.sections for ln in s.lines for p in ln.parts[1:]}
    seps |= {p.sep for ln in zh.meta for p in ln.parts[1:]}
    assert "; " not in seps and "；" in seps
    en = build_summary(case, "en")
    assert "; " in {p.sep for s in en.sections for ln in s.lines for p in ln.parts[1:]} | {
        p.sep for ln in en.meta for p in ln.parts[1:]
    }


def test_a_chinese_timeline_lists_one_days_events_with_the_chinese_enumeration_comma():
    case = breast_case()
    source = case.facts[0].source
    case.timeline = [
        TimelineEvent("2026-09-01", "day", "admission", "Admitted", [source]),
        TimelineEvent("2026-09-01", "day", "biopsy", "Core biopsy", [source]),
    ]  # type: ignore[list-item]
    text = re.sub(r"<[^>]+>", "", render_html(case, "zh"))
    assert "入院、活检" in text and "入院, 活检" not in text
    assert "admission, biopsy" in re.sub(r"<[^>]+>", "", render_html(case, "en"))


# -- the Chinese rows as a reviewer in China reads them (issue 9, item 5) -----------------

DLBCL_LETTER = (
    "HAEMATOLOGY CLINIC LETTER\n"
    "Diagnosis: Relapsed diffuse large B-cell lymphoma (GCB subtype), CD19 positive.\n"
    "Plan after two cycles of salvage and a PET-CT:\n"
    "If at least a partial metabolic response: stem cell harvest, then BEAM autologous stem"
    " cell transplant.\n"
    "If the lymphoma does not respond to salvage, or relapses after transplant, I would"
    " refer him to a CAR-T centre to be considered for CAR-T as third-line therapy.\n"
)


def test_a_condition_of_several_clauses_reads_in_chinese_clause_by_clause():
    letter = document("d" * 16, "clinic_letter", DLBCL_LETTER, "2026-09-09", name="letter.pdf")
    case = extracted_case(letter)
    en = row(build_summary(case, "en"), "Options under discussion")
    assert "if the lymphoma does not respond to salvage, or relapses after transplant" in en
    assert "if at least a partial metabolic response" in en
    zh = row(build_summary(case, "zh"), "讨论中的方案")
    assert "若挽救治疗无效，或移植后复发：CAR-T 细胞治疗" in zh
    assert "若至少达到部分代谢缓解：" in zh
    assert "[EN]" not in zh and not re.search(r"[a-z]{3,}", zh)  # codes (BEAM, CAR-T) as written


def test_a_condition_with_a_clause_the_table_lacks_stays_english_whole_never_half():
    letter = document("e" * 16, "clinic_letter", DLBCL_LETTER.replace(
        "or relapses after transplant", "or he declines transplant"), "2026-09-09",
        name="letter.pdf")  # fmt: skip
    zh = row(build_summary(extracted_case(letter), "zh"), "讨论中的方案")
    assert "若[EN]the lymphoma does not respond to salvage, or he declines transplant" in zh
    assert "挽救治疗无效" not in zh


def test_a_chinese_line_s_status_and_dates_sit_in_full_width_brackets_and_codes_keep_theirs():
    zh = build_summary(mdt_case(), "zh")
    line = line_text(zh, "当前治疗及线数")
    assert line.startswith("奥希替尼（当前；2025-11-17起） — 一线（")
    assert " (" not in line and "; " not in line
    egfr = line_text(zh, "EGFR")
    assert "p.(Glu746_Ala750del)" in egfr and "（2025-11-07）" in egfr
    en = build_summary(mdt_case(), "en")
    assert line_text(en, "Current treatment and line").startswith(
        "osimertinib (current; from 2025-11-17) — first-line ("
    )


def test_english_kept_as_written_keeps_its_own_brackets_in_the_chinese_summary():
    letter = document("d" * 16, "clinic_letter", DLBCL_LETTER, "2026-09-09", name="letter.pdf")
    zh = build_summary(extracted_case(letter), "zh")
    kept = [s.text for s in zh.sections for ln in s.lines for p in ln.parts for s in p.spans
            if s.untranslated and "(" in s.text]  # fmt: skip
    assert kept and all("（" not in t for t in kept)


def test_a_stage_groups_prefix_keeps_its_letter_and_says_its_meaning_in_chinese():
    case = breast_case()
    for f in case.facts:
        if f.kind == "stage_group":
            f.attributes["prefix"] = "r"
    assert "Stage IIA (r)" in row(build_summary(case, "en"), "Stage group")
    zh = row(build_summary(case, "zh"), "总分期")
    assert "IIA期（r，复发后分期）" in zh and "(r)" not in zh


def test_named_family_history_negatives_are_shown_beside_the_relatives_in_both_languages():
    text = (
        "Family history: mother breast cancer diagnosed at 46;\n"
        "no known family history of pancreatic or prostate cancer.\n"
    )
    letter = document("h" * 16, "clinic_letter", text, "2026-12-01", name="letter.txt")
    case = extracted_case(letter)
    en, zh = build_summary(case, "en"), build_summary(case, "zh")
    assert row(en, "Family history") == (
        "no family history of pancreatic or prostate cancer (2026-12-01); "
        "mother: breast cancer (aged 46) (2026-12-01)"
    )
    assert row(zh, "家族史").startswith("无胰腺癌或前列腺癌家族史（2026-12-01）")


def test_the_day_of_a_weekly_medicine_is_kept_in_english_and_chinese():
    text = "Current medication:\n- Alendronic acid 70 mg once weekly on Sundays\n"
    letter = document("w" * 16, "clinic_letter", text, "2026-11-18", name="letter.txt")
    case = extracted_case(letter)
    en = line_text(build_summary(case, "en"), "Current medications")
    zh = line_text(build_summary(case, "zh"), "当前用药")
    assert "70 mg once weekly Sun" in en
    assert "每周一次，周日" in zh


def test_a_treatment_referred_to_discuss_reads_as_an_option_under_discussion_in_both_languages():
    text = (
        "Plan\n"
        "1. Referred to the CAR-T service to discuss ciltacabtagene autoleucel; not yet seen.\n"
        "2. Pemetrexed to start.\n"
    )
    letter = document("c" * 16, "clinic_letter", text, "2026-11-24", name="letter.pdf")
    case = Case(
        case_id="CB-TEST0009",
        documents=[letter],
        facts=[
            factories.fact(
                letter,
                "cellular_therapy",
                "ciltacabtagene autoleucel",
                status="planned",
                intent="proposal",
            ),
            factories.fact(letter, "drug", "pemetrexed", "Pemetrexed", status="planned"),
        ],
    )
    en = line_text(build_summary(case, "en"), "Plan (planned")
    assert "ciltacabtagene autoleucel (option under discussion, not decided" in en
    assert "pemetrexed (planned" in en
    zh = line_text(build_summary(case, "zh"), "计划（尚未实施）")
    assert "讨论中的方案，尚未决定" in zh
    assert "（计划" in zh


def test_one_drug_in_two_regimens_is_two_courses_each_with_its_regimen_in_both_languages():
    text = (
        "- VTD (bortezomib, thalidomide, dexamethasone) x 4 cycles, 04/2020 - 08/2020\n"
        "DVd - daratumumab, bortezomib 1.3 mg/m2 on days 1, 4, 8 and 11.\n"
        "Aciclovir while on bortezomib.\n"
    )
    letter = document("c" * 16, "clinic_letter", text, "2026-11-24", name="letter.pdf")
    fact = factories.fact
    case = Case(
        case_id="CB-TEST0010",
        documents=[letter],
        facts=[
            fact(letter, "targeted_therapy", "bortezomib", status="completed", regimen="VTD"),
            fact(letter, "targeted_therapy", "bortezomib", nth=1, status="current", regimen="DVd"),
            fact(letter, "targeted_therapy", "bortezomib", nth=2, status="current"),
        ],
    )
    en = line_text(build_summary(case, "en"), "Targeted therapy")
    assert "bortezomib (in VTD; completed" in en and "bortezomib (in DVd; current" in en
    assert en.count("bortezomib") == 2  # the mention alone joins the current course
    zh = line_text(build_summary(case, "zh"), "靶向治疗")
    assert "VTD方案中；已完成" in zh and "DVd方案中；当前" in zh
