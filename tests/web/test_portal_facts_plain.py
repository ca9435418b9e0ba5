"""The patient's workspace in plain words and in the page's language: fact values,
the timeline and the missing records through the engine's terminology (as the
summary), "possible" explained, the records' disagreements shown with their
sources, a relative's conditions listed apart, one row per date without the
dates of letters, and consent wordings named by date, never by version id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.cache import cache

from casebridge.web.cases.actions import do_give_consent, do_upload_document
from casebridge.web.cases.tasks import process_document
from casebridge.web.portal.lib.wording import patient_name
from tests.web.conftest import switch_language

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "breast-her2"
# grade 3 in the clinic letter, grade 2 in pathology; the mother's breast cancer in the
# letter and the GP summary, the father's heart disease in the GP summary; the SDEC
# admission and the biopsy on one day
RECORDS = (
    "Breast clinic letter 11 Sept 2026.pdf",
    "Histopathology H26-31874.pdf",
    "GP summary - Meadowbank Surgery.docx",
    "SDEC discharge summary.pdf",
)


@pytest.fixture
def read(case, people):
    cache.clear()
    do_give_consent(
        case, acting_user=people.owner, kind="processing_art9", text_version="processing-2026.1"
    )
    for name in RECORDS:
        doc = do_upload_document(
            case, acting_user=people.owner, file_name=name, data=(EXAMPLE / name).read_bytes()
        )
        assert process_document.call(doc.pk) == "processed"
    case.refresh_from_db()
    return case


def _page(client, people, case, lang: str = "en", query: str = "") -> str:
    client.force_login(people.owner, backend="django.contrib.auth.backends.ModelBackend")
    switch_language(client, "zh-hans" if lang == "zh" else "en-gb")
    if query in ("", "?facts=all"):
        # the facts, the timeline and the missing records, each on its page of its own
        pages = ("facts/",) if query else ("facts/", "timeline/", "missing/")
        return "".join(
            client.get(f"/cases/{case.pseudonym}/{page}").content.decode() for page in pages
        )
    return client.get(f"/cases/{case.pseudonym}/{query}").content.decode()


def _section(page: str, heading_id: str) -> str:
    """From the heading to the next section of another heading (or the page's end)."""
    start = page.index(f'id="{heading_id}"')
    for found in re.finditer(r'<section aria-labelledby="(h-[a-z]+)"', page[start:]):
        if found.group(1) != heading_id:
            return page[start : start + found.start()]
    return page[start:]


def _family_part(page: str) -> tuple[str, str]:
    """The facts before the family's heading, and after it."""
    facts = _section(page, "h-facts")
    own, _sep, family = facts.partition('class="family-facts"')
    return own, family


# -- 1. Chinese goes past the labels -------------------------------------------------------


def test_in_chinese_fact_values_the_timeline_and_the_missing_records_read_in_chinese(
    client, people, read
):
    page = _page(client, people, read, "zh")
    facts = _section(page, "h-facts")
    assert "浸润性导管癌" in facts and "青霉素" in facts and "雌激素受体阳性" in facts
    assert "penicillin" not in facts and "ER positive" not in facts
    # the diagnosis as written has no Chinese: whole, in English, marked
    assert re.search(r'lang="en"[^>]*>Left breast invasive ductal carcinoma[^<]*<sup', facts)
    timeline = _section(page, "h-timeline")
    assert "入院" in timeline and "活检" in timeline and "出院" in timeline
    assert "Admission" not in timeline
    gaps = _section(page, "h-gaps")
    assert "HER2 原位杂交（ISH）检测结果" in gaps and "（必需）" in gaps and "通常保管方：" in gaps
    assert "(essential)" not in gaps
    # the reason and who holds the record in their curated Chinese (terminology_zh.yaml)
    assert "HER2 免疫组化为 2+（不确定）" in gaps and "医院病理科" in gaps
    assert "HER2 IHC is 2+" not in gaps and '<sup class="en-mark">[EN]</sup>' not in gaps


def test_in_english_the_values_and_missing_records_are_unmarked(client, people, read):
    page = _page(client, people, read)
    assert "invasive ductal carcinoma" in _section(page, "h-facts")
    gaps = _section(page, "h-gaps")
    assert "HER2 ISH (in situ hybridisation) result" in gaps and "(essential)" in gaps
    assert "untranslated" not in page and "[EN]" not in page


def test_the_request_letters_are_named_in_chinese_on_the_chinese_page(client, people, read):
    gaps = _section(_page(client, people, read, "zh"), "h-gaps")
    letters = gaps[gaps.index("<h2>") :]  # the letters, under their own heading
    assert "HER2 原位杂交（ISH）检测结果</a>" in letters
    assert "HER2 ISH (in situ hybridisation) result</a>" not in letters


def test_a_relative_reads_the_family_and_the_disagreement_in_the_patients_name(
    client, people, read
):
    client.force_login(people.family, backend="django.contrib.auth.backends.ModelBackend")
    facts = _section(client.get(f"/cases/{read.pseudonym}/facts/").content.decode(), "h-facts")
    name = patient_name(read)
    assert f"In {name}&#x27;s family" in facts or f"In {name}'s family" in facts
    assert (
        f"{name}&#x27;s records disagree: Grade" in facts
        or f"{name}'s records disagree: Grade" in facts
    )
    assert "Your records disagree" not in facts
    assert "The specialists will check which is right." in facts


# -- 2. "possible" is explained --------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "explained", "title"),
    [
        (
            "en",
            "“Possible” next to an item means: the record says this may be so; it is not confirmed.",
            '<abbr title="the record says this may be so; it is not confirmed">possible</abbr>',
        ),
        (
            "zh",
            "某项旁边的“可能”表示：记录中说可能如此，但尚未确认。",
            '<abbr title="记录中说可能如此，但尚未确认">可能</abbr>',
        ),
    ],
)
def test_possible_is_said_in_plain_words_above_the_table_and_on_each_row(
    client, people, read, lang, explained, title
):
    # a finding the record hedges (the letter's "if …" options are options, not findings)
    doc = do_upload_document(
        read,
        acting_user=people.owner,
        file_name="clinic note.txt",
        data=b"Breast clinic note 12/09/2026.\nPast history: possible diabetes mellitus.\n",
    )
    assert process_document.call(doc.pk) == "processed"
    cache.clear()
    for query in ("", "?facts=all"):
        facts = _section(_page(client, people, read, lang, query), "h-facts")
        assert explained in facts
        assert title in facts


# -- 3. the records' disagreement --------------------------------------------------------------


def test_a_conflict_is_shown_with_both_values_and_their_sources_in_plain_words(
    client, people, read
):
    for query in ("", "?facts=all"):
        facts = _section(_page(client, people, read, "en", query), "h-facts")
        box = facts[facts.index('class="card disagree"') :]
        box = box[: box.index("</div>")]
        assert "Your records disagree: Grade" in box
        assert "grade 3" in box and "Breast clinic letter 11 Sept 2026.pdf, page 1" in box
        assert "grade 2" in box and "Histopathology H26-31874.pdf, page 1" in box
        assert "Your specialists will check which is right." in box
        # and where the grade is listed
        assert facts.count("The records disagree on this: see above.") == 2


def test_the_conflict_reads_in_chinese(client, people, read):
    facts = _section(_page(client, people, read, "zh"), "h-facts")
    assert "您的各份记录不一致：组织学分级" in facts
    assert "3级" in facts and "Breast clinic letter 11 Sept 2026.pdf，第 1 页" in facts
    assert "Histopathology H26-31874.pdf，第 1 页" in facts
    assert "您的专家会核实哪一个是正确的。" in facts
    assert facts.count("各份记录在这一点上不一致：见上文。") == 2


# -- 4. a relative's conditions are listed apart -----------------------------------------------


@pytest.mark.parametrize(
    ("lang", "heading", "mother", "father"),
    [
        ("en", "In your family", "mother: breast cancer", "ischaemic heart disease"),
        ("zh", "您的家人", "母亲：乳腺癌", "缺血性心脏病"),
    ],
)
def test_a_family_members_condition_is_listed_apart_never_among_the_patients_own(
    client, people, read, lang, heading, mother, father
):
    for query in ("", "?facts=all"):
        own, family = _family_part(_page(client, people, read, lang, query))
        assert heading in family and mother in family and father in family
        assert mother not in own and father not in own


# -- 5. the timeline: no document dates, one format, one row per date ---------------------------


def test_the_timeline_leaves_out_document_dates_and_groups_one_format_by_date(client, people, read):
    timeline = _section(_page(client, people, read), "h-timeline")
    assert "Letter" not in timeline and "Report" not in timeline and "/2026" not in timeline
    # the admission and the biopsy of 1 Sep 2026 under one date
    assert timeline.count("1 Sep 2026</time>") == 1
    day = timeline[timeline.index("1 Sep 2026</time>") : timeline.index("2 Sep 2026</time>")]
    assert "Admission" in day and "Biopsy" in day
    assert '<time datetime="2026-09-10">10 Sep 2026</time>' in timeline
    dates = re.findall(r"<time datetime=\"([\d-]+)\">", timeline)
    assert dates == sorted(set(dates))  # never repeated, in order


def test_the_chinese_timeline_dates_read_the_chinese_way(client, people, read):
    timeline = _section(_page(client, people, read, "zh"), "h-timeline")
    assert "2026年9月1日</time>" in timeline and timeline.count("2026年9月1日") == 1
    assert "2026-09-01</" not in timeline and "信函" not in timeline


def test_a_document_being_dated_is_not_a_fact_and_dated_events_read_as_the_timeline(
    client, people, read
):
    facts = _section(_page(client, people, read, "en", "?facts=all"), "h-facts")
    assert "letter: 11/09/2026" not in facts and "report: 08/09/2026" not in facts
    assert "MDT meeting: 10 Sep 2026" in facts and "mdt: 10/09/2026" not in facts
    chinese = _section(_page(client, people, read, "zh", "?facts=all"), "h-facts")
    assert "MDT 讨论：2026年9月10日" in chinese


# -- 6. consent wording by date, not by version id ----------------------------------------------


@pytest.mark.parametrize(
    ("lang", "shown", "given"),
    [
        (
            "en",
            "This is the current wording, of 7 December 2026.",
            "(you agreed to the current wording, of 7 December 2026, in English)",
        ),
        ("zh", "这是2026年12月7日的现行文本。", "（您同意的是2026年12月7日的现行文本（英文））"),
    ],
)
def test_consent_names_its_wording_in_plain_words_never_the_version_id(
    client, people, case, lang, shown, given
):
    do_give_consent(
        case, acting_user=people.owner, kind="processing_art9", text_version="processing-2026.1"
    )
    page = _page(client, people, case, lang, "consent/")
    assert shown in page
    assert "processing-2026.1" not in page and "transfer-2026.2" not in page
    assert given.replace("（您同意", "(您同意").replace("））", "）)") in page


def test_an_older_wording_is_named_as_earlier(client, people, case):
    do_give_consent(case, acting_user=people.owner, kind="processing_art9", text_version="t0")
    page = _page(client, people, case, "en", "consent/")
    assert "(you agreed to an earlier wording, in English)" in page and "t0" not in page


# -- 7. a letter's "if …" options are options, not findings ----------------------------------


def _value_cells(facts: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", "", cell)
        for cell in re.findall(r'<td class="value">(.*?)</td>', facts, re.S)
    ]


def test_a_conditional_options_results_and_treatments_are_not_findings_but_options(
    client, people, read
):
    # "If HER2 amplified: … trastuzumab and pertuzumab" / "If HER2 not amplified (ER
    # positive, HER2 negative): … wide local excision or mastectomy"
    zh = _section(_page(client, people, read, "zh"), "h-facts")
    cells = _value_cells(zh)
    assert "HER2原位杂交待出结果" in cells
    findings = [c for c in cells if not c.startswith("若")]
    assert not any("扩增(" in c or c.startswith("HER2原位杂交扩增") for c in findings), cells
    assert not any(c.startswith(("曲妥珠单抗", "帕妥珠单抗", "乳房切除术")) for c in cells), cells
    assert not any(c.startswith("雌激素受体阳性") and "可能" in c for c in cells)
    assert "讨论中的方案（有条件，尚未计划）" in zh
    assert any(c.startswith("若HER2") and "曲妥珠单抗" in c for c in cells), cells
    en = _section(_page(client, people, read), "h-facts")
    cells = _value_cells(en)
    assert not any(c.startswith(("trastuzumab", "mastectomy", "HER2ISHamplified")) for c in cells)
    assert any(
        c.startswith("ifHER2amplified:") or c.startswith("IfHER2amplified:") for c in cells
    ), cells


# -- 8. the patient's own note: quoted after "the patient writes:", no fragments -------------


@pytest.fixture
def with_note(read, people):
    name = "my questions for the doctors.txt"
    doc = do_upload_document(
        read, acting_user=people.owner, file_name=name, data=(EXAMPLE / name).read_bytes()
    )
    assert process_document.call(doc.pk) == "processed"
    cache.clear()
    return read


def test_the_patients_note_is_quoted_after_the_patient_writes_and_its_fragments_are_dropped(
    client, people, with_note
):
    zh = _section(_page(client, people, with_note, "zh"), "h-facts")
    cells = _value_cells(zh)
    writes = [c for c in cells if c.startswith("患者写道：")]
    assert writes and "the patient writes" not in zh
    # the quote is English, so marked; the Chinese prefix is not
    assert any("“MyHER2cameback2+" in c and c.endswith("[EN]") for c in writes), writes
    # no bare value, date or "possible" from the note
    for fragment in ("2+", "扩增（可能）", "阴性（可能）", "2026-09-13"):
        assert fragment not in cells, cells
    assert not any(c.startswith("患者写道：") and "可能" in c for c in cells)
    en = _value_cells(_section(_page(client, people, with_note), "h-facts"))
    quoted = [c for c in en if c.startswith("thepatientwrites:")]
    assert len(quoted) == len(set(quoted)) and "Questionsforthesecondopinion" not in "".join(en)


# -- 9. a booked event reads as booked, as on the timeline ----------------------------------


def test_a_booked_event_on_the_facts_page_is_marked_booked_as_the_timeline_marks_it(
    client, people, read
):
    zh = _value_cells(_section(_page(client, people, read, "zh"), "h-facts"))
    assert "影像检查（已预约）：2026年9月22日" in zh, zh
    assert "MDT讨论：2026年9月10日" in zh  # happened: no mark
    en = _value_cells(_section(_page(client, people, read), "h-facts"))
    assert any(c.startswith("Imaging(booked):") for c in en), en
    timeline = _section(_page(client, people, read, "zh"), "h-timeline")
    assert "已预约：影像检查" in timeline and "已预约: " not in timeline


def test_a_booked_scan_is_not_asked_for_as_a_missing_report_of_a_past_date(client, people, read):
    # the letter: "the MDT [10/09/2026] recommended … a CT scan … and an isotope bone
    # scan; these are booked for 22/09/2026 and 23/09/2026"
    for lang in ("zh", "en"):
        gaps = _section(_page(client, people, read, lang), "h-gaps")
        assert "CT报告" not in gaps and "骨扫描报告" not in gaps
        assert "CT report" not in gaps and "bone scan report" not in gaps
        assert "2026-09-10" not in gaps and "2026年9月10日" not in gaps
    # said as booked, with its report to add once it is done
    zh = _section(_page(client, people, read, "zh"), "h-gaps")
    assert "影像检查已预约于2026年9月22日：做完后，请索取报告并在这里添加。" in zh
    en = _section(_page(client, people, read), "h-gaps")
    assert "Imaging booked for 22 Sep 2026: once it is done, ask for its report" in en


def test_the_chinese_facts_page_puts_its_notes_in_full_width_brackets(client, people, read):
    zh = _value_cells(_section(_page(client, people, read, "zh"), "h-facts"))
    assert "缺血性心脏病（家族史）" in zh, zh
    assert not any("(家族史)" in c for c in zh)
    en = _value_cells(_section(_page(client, people, read), "h-facts"))
    assert any(c.endswith("(familyhistory)") for c in en), en
