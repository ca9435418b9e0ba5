"""Chinese identifiers: found in a record (extract/identifiers_zh.py) and hidden
by the Redactor (render/redact.py), and their misread forms found on a picture
(pack/legible.py)."""

from __future__ import annotations

from casebridge.engine.case import Document, Identifier, Page, Source
from casebridge.engine.extract.identifiers import find_identifiers
from casebridge.engine.extract.identifiers_zh import resident_id_ok
from casebridge.engine.pack import legible
from casebridge.engine.pack.words import Word
from casebridge.engine.render.redact import Redactor

RECORD = (
    "姓名：王秀英  性别：女  出生日期：1971年3月14日\n"
    "住址：上海市徐汇区漕溪北路88号5室\n"
    "电话：021-64041990 手机：138 1234 5678\n"
    "身份证号：11010519491231002X  住院号：ZY2026001234\n"
    "李先生陪同就诊。各位女士请排队。联系 13912345678。"
)


def _found(text: str) -> dict[str, list[str]]:
    doc = Document(id="d", file_name="f.txt", sha256="d", size=1, pages=[Page(1, text, "plain")])
    out: dict[str, list[str]] = {}
    for ident in find_identifiers(doc):
        out.setdefault(ident.kind, []).append(ident.value)
    return out


def test_labelled_chinese_identifiers_are_found_with_their_whole_values() -> None:
    found = _found(RECORD)
    assert found["person_name"] == ["王秀英", "李先生"]  # "各位女士": no one's name
    assert found["address"] == ["上海市徐汇区漕溪北路88号5室"]
    assert found["date_of_birth"] == ["1971年3月14日"]
    assert found["phone"] == ["021-64041990", "138 1234 5678", "13912345678"]
    assert found["national_id"] == ["11010519491231002X"]
    assert found["hospital_number"] == ["ZY2026001234"]


def test_an_unlabelled_resident_id_counts_only_with_its_check_character_right() -> None:
    assert resident_id_ok("11010519491231002X")
    assert not resident_id_ok("110105194912310021")
    assert "national_id" not in _found("标本编号 110105194912310021")
    assert _found("编号 11010519491231002X")["national_id"] == ["11010519491231002X"]


def _ident(kind: str, value: str) -> Identifier:
    return Identifier(kind, value, Source("x", "f", 1, 0, len(value), value))


def test_the_redactor_hides_chinese_identifiers_however_they_are_written() -> None:
    redactor = Redactor(
        [
            _ident("person_name", "王秀英"),
            _ident("address", "上海市徐汇区漕溪北路88号"),
            _ident("phone", "13812345678"),
            _ident("date_of_birth", "1971-03-14"),
            _ident("national_id", "11010519491231002X"),
        ],
        "zh",
    )
    # the address ends before "5室": a Chinese character after it is no word break
    assert redactor("住址：上海市徐汇区漕溪北路88号5室") == "住址：[地址]5室"
    assert redactor("漕溪北路88号门诊") == "[地址]门诊"
    assert redactor("王女士您好，王 秀英") == "[姓名]您好，[姓名]"
    assert redactor("电话 +86 138-1234-5678") == "电话 [电话]"
    assert redactor("出生于1971年03月14日") == "出生于[出生日期]"
    assert redactor("身份证 11010519491231002X") == "身份证 [身份证号]"
    assert redactor("一张CT，王教授") == "一张CT，王教授"  # a surname alone is an everyday word


def _line(*texts: str) -> list[Word]:
    return [Word(t, (i * 50.0, 0.0, i * 50.0 + 40, 20.0)) for i, t in enumerate(texts)]


def test_misread_identifiers_are_still_found_and_other_words_are_not() -> None:
    needles = legible.needles(
        [("person_name", "Eleanor Jane WHITCOMBE"), ("nhs_number", "999 047 1320"),
         ("date_of_birth", "14/03/1971"), ("person_name", "王秀英")]
    )  # fmt: skip
    assert legible.hits(_line("Mrs", "E.", "Whitc0mbe"), needles) == [[2]]
    assert legible.hits(_line("Whitcornbe"), needles)  # rn read for m
    assert legible.hits(_line("NHS", "999", "O47", "l320"), needles)
    assert legible.hits(_line("DOB", "14.03.197l"), needles)
    assert legible.hits(_line("患者", "王", "秀", "英"), needles)
    for other in (["Mill", "Lane"], ["Janet", "Smith"], ["999", "047", "6611"], ["14/09/2026"]):
        assert legible.hits(_line(*other), needles) == [], other
