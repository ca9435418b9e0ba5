"""Anticancer drugs whose Simplified Chinese name was confirmed from a public source
(see the URL comment on each entry in terminology_zh.yaml) translate, by generic and brand name,
and show in the Chinese summary; a drug with no confirmed name stays English, marked [EN]."""

import re
from pathlib import Path

import pytest

from casebridge.engine import kb
from casebridge.engine.case import Case
from casebridge.engine.render.html import render_html
from casebridge.engine.terminology import table, translate
from tests.engine.factories import document, fact

CONFIRMED = {
    "mirvetuximab soravtansine": "索米妥昔单抗",
    "Elahere": "索米妥昔单抗",
    "teclistamab": "特立妥单抗",
    "Tecvayli": "特立妥单抗",
    "elranatamab": "埃纳妥单抗",
    "Elrexfio": "埃纳妥单抗",
    "mosunetuzumab": "莫妥珠单抗",
    "Lunsumio": "莫妥珠单抗",
    "enfortumab vedotin": "维恩妥尤单抗",
    "Padcev": "维恩妥尤单抗",
    "lurbinectedin": "芦比替定",
    "Zepzelca": "芦比替定",
    "relugolix": "瑞卢戈利",
    "Orgovyx": "瑞卢戈利",
}


@pytest.mark.parametrize("english, chinese", sorted(CONFIRMED.items()))
def test_confirmed_drug_name_translates(english, chinese):
    spans = translate(english, "drug")
    assert not any(s.untranslated for s in spans)
    assert "".join(s.text for s in spans) == chinese


# -- drugs named in Chinese in the summary (issue 9, part 5) ----------------------------

ADDED = {"amivantamab": "埃万妥单抗", "elacestrant": "艾拉司群", "talquetamab": "塔奎妥单抗"}
# sources that are a page, not a reference work: each entry citing one names its address
NEEDS_ADDRESS = ("NMPA", "LABEL", "LIT")
TABLE = Path(kb.__file__).parent / "knowledge" / "terminology_zh.yaml"


def medication_case(*rows: tuple[str, str, str]) -> Case:
    """A clinic letter listing each (drug, dose, frequency) as a current medication."""
    text = "Current medications:\n" + "\n".join(f"{d} {dose} {freq}" for d, dose, freq in rows)
    letter = document("c" * 16, "clinic_letter", text, "2026-03-02", name="letter.pdf")
    facts = [
        fact(letter, "medication", d, f"{d} {dose} {freq}", dose=dose, frequency=freq)
        for d, dose, freq in rows
    ]
    return Case(case_id="CB-TESTDRUG", documents=[letter], facts=facts)


def medication_row(case: Case) -> str:
    """The Chinese summary's medication rows (status section), as HTML."""
    html = render_html(case, "zh")
    return html[html.index('class="s-status"') : html.index('class="sources"')]


@pytest.mark.parametrize("english, chinese", sorted(ADDED.items()))
def test_a_newly_named_drug_translates_by_generic_and_brand_name(english, chinese):
    term = table().lookup(english, ("drug",))
    assert term is not None and term.zh == chinese
    for brand in term.synonyms:
        assert table().lookup(brand, ("drug",)) is term


def test_newly_named_drugs_show_in_chinese_in_the_medication_row_with_dose_and_frequency():
    case = medication_case(
        ("elacestrant", "345 mg", "once daily"),
        ("amivantamab", "1050 mg", "every 3 weeks"),
        ("talquetamab", "0.4 mg/kg", "weekly"),
    )
    text = re.sub(r"<[^>]+>", "", medication_row(case))
    assert "艾拉司群 345 mg 每日一次" in text
    assert "埃万妥单抗 1050 mg 每3周一次" in text
    assert "塔奎妥单抗 0.4 mg/kg 每周一次" in text
    for english in ADDED:
        assert english not in text.lower()


def test_a_drug_still_without_a_chinese_name_stays_english_marked_with_its_dose_in_chinese():
    case = medication_case(("capivasertib", "400 mg", "twice daily"))
    html = medication_row(case)
    assert table().lookup("capivasertib", ("drug",)) is None
    assert re.search(r'class="untranslated"[^>]*>capivasertib<sup class="en-mark">\[EN\]', html)
    assert "400 mg 每日两次" in re.sub(r"<[^>]+>", "", html)


def test_every_drug_chinese_name_in_the_table_has_a_source():
    sources = table().sources
    for term in table().in_category("drug"):
        assert term.source in sources, term.en
    lines = [ln for ln in TABLE.read_text(encoding="utf-8").splitlines() if "src: " in ln]
    for line in lines:
        src = re.search(r"src: (\w+)\}", line)
        if src and src.group(1) in NEEDS_ADDRESS:
            assert re.search(r"\}\s+# https?://\S+", line), line


def test_every_anticancer_drug_of_the_knowledge_base_is_named_in_chinese_or_listed_as_english():
    """The drugs still shown in English are known: a new drug in drugs.yaml without a
    Chinese name fails here until its name is confirmed (or it is added to this list)."""
    still_english = {
        "capivasertib", "tivozanib", "idelalisib", "gemtuzumab ozogamicin", "dostarlimab",
        "relatlimab", "epcoritamab", "tebentafusp", "tisagenlecleucel",
        "lisocabtagene maraleucel", "brexucabtagene autoleucel", "idecabtagene vicleucel",
        "obecabtagene autoleucel",
    }  # fmt: skip
    missing = {
        d["name"]
        for d in kb.load("drugs")["drugs"]
        if table().lookup(d["name"], ("drug", "procedure")) is None
    }
    assert missing == still_english


# -- supportive medicines of haematology and uro-oncology letters (issue 9, item 5) ------

SUPPORTIVE = {
    "posaconazole": "泊沙康唑",
    "voriconazole": "伏立康唑",
    "itraconazole": "伊曲康唑",
    "valaciclovir": "伐昔洛韦",
    "levofloxacin": "左氧氟沙星",
    "febuxostat": "非布司他",
    "rasburicase": "拉布立海",
    "Fasturtec": "拉布立海",
    "tamsulosin": "坦索罗辛",
    "finasteride": "非那雄胺",
    "esomeprazole": "埃索美拉唑",
    "pantoprazole": "泮托拉唑",
}


@pytest.mark.parametrize("english, chinese", sorted(SUPPORTIVE.items()))
def test_a_supportive_medicine_of_a_haematology_or_urology_letter_has_its_chinese_name(
    english, chinese
):
    spans = translate(english, "drug")
    assert "".join(s.text for s in spans) == chinese and not spans[0].untranslated


def test_when_required_reads_the_same_chinese_on_every_medicine_line():
    case = medication_case(
        ("loperamide", "2 mg", "when needed"),
        ("paracetamol", "1 g", "up to four times a day when required"),
        ("ondansetron", "8 mg", "as required"),
    )
    text = re.sub(r"<[^>]+>", "", medication_row(case))
    assert "洛哌丁胺 2 mg 必要时" in text
    assert "对乙酰氨基酚 1 g 每日最多四次，必要时" in text
    assert "昂丹司琼 8 mg 必要时" in text
    assert "按需" not in text and "必要时使用" not in text
    en = re.sub(r"<[^>]+>", "", render_html(case, "en"))
    assert "up to four times a day when required" in en


def test_once_daily_at_night_is_one_chinese_frequency_not_two():
    case = medication_case(("tamsulosin", "400 micrograms", "once daily at night"))
    text = re.sub(r"<[^>]+>", "", medication_row(case))
    assert "坦索罗辛 400 微克 每晚一次" in text
    assert "每日一次每晚一次" not in text and "[EN]" not in text
