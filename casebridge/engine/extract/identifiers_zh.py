"""Direct identifiers written in Chinese (records from a Chinese hospital, or a
patient's own notes): labelled values (姓名：, 住址：, 电话：, 身份证号：...),
mainland mobile numbers, 18-digit resident identity numbers and a surname with
an honorific (王女士, 李先生).

The labels and the shape each value must have are data (_LABELS, _VALUES), as in
identifiers.py; find() adds to the same list with the same overlap rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from casebridge.engine.case import Page

# label -> kind of the value after it. Longer labels first where one holds another
# ("身份证号码" before "身份证"), so the value starts after the whole label.
_LABELS: dict[str, str] = {
    "患者姓名": "person_name",
    "病人姓名": "person_name",
    "姓名": "person_name",
    "家庭住址": "address",
    "现住址": "address",
    "联系地址": "address",
    "住址": "address",
    "地址": "address",
    "联系电话": "phone",
    "手机号码": "phone",
    "手机号": "phone",
    "手机": "phone",
    "电话": "phone",
    "身份证号码": "national_id",
    "身份证号": "national_id",
    "身份证": "national_id",
    "病案号": "hospital_number",
    "住院号": "hospital_number",
    "门诊号": "hospital_number",
    "病历号": "hospital_number",
    "出生日期": "date_of_birth",
}
_CJK_CHARS = r"\u3400-\u9fff\uf900-\ufaff"
# the shape of each kind's value, read right after "<label>：" (half- or full-width colon)
_VALUES: dict[str, str] = {
    "person_name": rf"[{_CJK_CHARS}][{_CJK_CHARS}·•]{{1,5}}|[A-Z][A-Za-z'’\-]+(?:[ \t][A-Z][A-Za-z'’\-]+){{0,3}}",
    # up to the line's end, a sentence or clause mark, a wide gap or the next label
    "address": rf"[^\n；;。:：]{{4,80}}?(?=[\n；;。，,]|[ \t]{{2}}|[ \t]*[{_CJK_CHARS}]{{2,5}}[:：]|$)",
    "phone": r"(?:\+?86[ \t\-]?)?\(?\d[\d \t\-()]{5,16}\d",
    "national_id": r"\d{17}[\dXx]|\d{15}",
    "hospital_number": r"[A-Za-z]{0,4}[\-]?\d[A-Za-z0-9\-]{2,19}",
    "date_of_birth": r"\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?|[\-/.]\d{1,2}[\-/.]\d{1,2})",
}
_LABELLED = re.compile(
    "(?P<label>" + "|".join(re.escape(k) for k in _LABELS) + r")[ \t]*[:：][ \t]*"
)
_VALUE_RES = {kind: re.compile(shape) for kind, shape in _VALUES.items()}
# mainland mobile: 1, then 3-9, then nine digits (often written 3-4-4)
_MOBILE = re.compile(r"(?<![\d\w])(?:\+?86[ \t\-]?)?1[3-9]\d[ \t\-]?\d{4}[ \t\-]?\d{4}(?!\d)")
# resident identity number (GB 11643-1999): 17 digits and a check character
_RESIDENT_ID = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_HONORIFIC = re.compile(r"女士|先生|小姐|太太|夫人")
# Who "先生"/"女士" follows: the surname (and perhaps the given name) just before it.
# Chinese is written without spaces, so the name is found back from the honorific:
# the longest run of up to three characters that starts with a common surname
# (the hundred commonest, and the compound ones), else the one character before.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "申屠", "澹台",
)  # fmt: skip
# a character before the honorific that is a pronoun, a plural or a generic address
# ("她先生": her husband; "各位女士"), never a surname
_NOT_SURNAME = frozenset("各位诸们该此这那您本她他我你其的")

Add = Callable[[str, int, int, bool], None]  # kind, start, end, valid


def resident_id_ok(number: str) -> bool:
    """The check character of an 18-character resident identity number."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def find(page: Page, add: Add) -> None:
    """Every Chinese identifier on the page, each passed to add(kind, start, end, valid)."""
    text = page.text
    for lab in _LABELLED.finditer(text):
        kind = _LABELS[lab.group("label")]
        value = _VALUE_RES[kind].match(text, lab.end())
        if value is None:
            continue
        start, end = value.span()
        while end > start and text[end - 1] in " \t-,，":
            end -= 1
        valid = resident_id_ok(text[start:end]) if kind == "national_id" else True
        add(kind, start, end, valid)
    for m in _MOBILE.finditer(text):
        add("phone", *m.span(), True)
    for m in _RESIDENT_ID.finditer(text):
        if resident_id_ok(m.group()):
            add("national_id", *m.span(), True)
    for m in _HONORIFIC.finditer(text) if _HONORIFIC.search(text) else ():
        begin = _surname_before(text, m.start())
        if begin is not None:
            add("person_name", begin, m.end(), True)


def _surname_before(text: str, at: int) -> int | None:
    """Where the name that ends at `at` (before an honorific) starts; None when
    the character before is no name."""
    for length in (3, 2):
        start = at - length
        if start < 0 or not all(_is_cjk(c) for c in text[start:at]):
            continue
        if text[start:at][:2] in COMPOUND_SURNAMES or text[start] in SURNAMES:
            return start
    if at >= 1 and _is_cjk(text[at - 1]) and text[at - 1] not in _NOT_SURNAME:
        if at >= 3 and text[at - 3 : at - 1] in COMPOUND_SURNAMES:
            return at - 3
        return at - 1
    return None


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"
