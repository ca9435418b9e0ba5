"""The CAP protocol elements read page by page: tumour size, margins (or the R class), the
lymph-node count and lymphovascular invasion, together with the grade (grade.py) and the
diagnosis line (diagnosis.py).

Separate from the cancer-type vote: each element is a field or phrase read on its own.
"""

from __future__ import annotations

import re

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.extract.tumour.diagnosis import _diagnosis_fact
from casebridge.engine.extract.tumour.grade import _grade_fact

# Element names and value sets follow the CAP cancer protocols (Tumor Size, Histologic Grade,
# Margins, Regional Lymph Nodes, Lymphovascular Invasion) and the grading systems they cite:
# Nottingham (Elston-Ellis), WHO CNS, Gleason/ISUP grade group, Fuhrman/WHO-ISUP, FIGO.

_SIZE = re.compile(
    r"\b(?:tumou?r\s+size|size\s+of\s+tumou?r|greatest\s+(?:tumou?r\s+)?dimension|"
    r"maximum\s+(?:tumou?r\s+)?dimension|largest\s+dimension|tumou?r\s+measures?|"
    r"measuring|measures)\b[^0-9\n]{0,40}?"
    r"(\d{1,3}(?:[.,]\d{1,2})?(?:\s*[x\u00d7]\s*\d{1,3}(?:[.,]\d{1,2})?){0,2})\s*(cm|mm)\b",
    re.IGNORECASE,
)


_SIZE_AFTER = re.compile(
    r"\b(\d{1,3}(?:[.,]\d{1,2})?)\s*(cm|mm)\s+in\s+(?:greatest\s+|maximum\s+)?"
    r"(?:size|dimension|diameter)\b",
    re.IGNORECASE,
)


_MARGINS = re.compile(
    r"\b(?:(?:surgical|resection)\s+)?margins?(?:\s+of\s+resection)?\s*(?:are|is|:|-|,)?\s*"
    r"(?:(?P<neg>negative|free|clear|uninvolved|not\s+involved|uninvolved\s+by|"
    r"free\s+of\s+(?:tumou?r|carcinoma))|(?P<pos>positive|involved|involved\s+by))\b",
    re.IGNORECASE,
)


_MARGINS_AFTER = re.compile(
    r"\b(?:all\s+)?(?:surgical\s+|resection\s+)?margins?\s+(?:are\s+|is\s+)?"
    r"(?:(?P<neg>negative\s+for|free\s+of|uninvolved\s+by|clear\s+of)|"
    r"(?P<pos>positive\s+for|involved\s+by))",
    re.IGNORECASE,
)


_R_CLASS = re.compile(r"\bR([012])\b")


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}


_NUM = r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r"|no|none)"


_NODES_OF = re.compile(
    r"\b"
    + _NUM
    + r"\s+(?:\(\d+\)\s+)?(?:of|out\s+of)\s+"
    + _NUM
    + r"\s+(?:\(\d+\)\s+)?(?:\w+\s+){0,3}?lymph\s*nodes?",
    re.IGNORECASE,
)


# (a fraction, never a date: "lymph node biopsy 04/2022" is no 4 of 202)
_NODES_FRACTION = re.compile(
    r"\blymph\s*nodes?[^\n/]{0,60}?\(?(?<![\d/.])(\d{1,2})\s*/\s*(\d{1,3})(?![\d/])\)?|"
    r"\((\d{1,2})\s*/\s*(\d{1,3})\)\s*(?:lymph\s*nodes?|nodes?)",
    re.IGNORECASE,
)


_NODES_FIELDS = re.compile(
    r"\b(?:number\s+of\s+)?(?:regional\s+)?lymph\s+nodes\s+examined\s*[:=]?\s*(\d{1,3})"
    r"[^\n]{0,80}?\b(?:number\s+of\s+)?(?:lymph\s+nodes\s+)?(?:involved|positive)"
    r"(?:\s+lymph\s+nodes)?\s*[:=]?\s*(\d{1,3})",
    re.IGNORECASE,
)


_LVI = re.compile(
    r"\b(?:lympho[\s\-]?vascular|angio[\s\-]?lymphatic|lymphatic[\s/]*(?:and\s+)?vascular|"
    r"vascular[\s/]*lymphatic|lymph[\s\-]?vascular|small\s+vessel|lymphatic|vascular|"
    r"venous/lymphatic)(?:\s*\([^)]{0,40}\))?\s*(?:space\s+)?(?:invasion|infiltration|"
    r"involvement)\s*(?:\([^)]{0,20}\))?\s*(?:is|was)?\s*[:\-]?\s*"
    r"(?P<value>present|identified|seen|absent|not\s+identified|not\s+seen|not\s+present|"
    r"negative|positive|none|indeterminate|suspicious|cannot\s+be\s+(?:assessed|determined)|"
    r"not\s+detected|detected)",
    re.IGNORECASE,
)


_LVI_BEFORE = re.compile(
    r"\b(?P<neg>no|without|negative\s+for)\s+(?:evidence\s+of\s+)?(?:definite\s+)?"
    r"(?:lympho[\s\-]?vascular|angiolymphatic|lymphatic\s+or\s+vascular|vascular\s+or\s+"
    r"lymphatic)(?:\s+(?:or|and|/)\s+perineural)?\s+(?:space\s+)?invasion|"
    r"\b(?:lympho[\s\-]?vascular|angiolymphatic)\s+(?:space\s+)?invasion\s+is\s+(?P<pos>present|"
    r"identified|seen)",
    re.IGNORECASE,
)


def _count(word: str) -> int:
    word = word.lower()
    if word.isdigit():
        return int(word)
    if word in ("no", "none"):
        return 0
    return _NUMBER_WORDS.get(word, -1)


def _detail_facts(doc: Document) -> list[Fact]:
    facts: list[Fact] = []
    for page in pages(doc):
        text = page.text
        low = text.lower()
        grade = _grade_fact(doc, page, text, low)
        if grade:
            facts.append(grade)
        size = (
            (_SIZE.search(text) or _SIZE_AFTER.search(text))
            if ("cm" in low or "mm" in low)
            else None
        )
        if size:
            dims = re.sub(r"\s+", " ", size.group(1).replace(",", "."))
            value = f"{dims} {size.group(2).lower()}"
            facts.append(
                make_fact(
                    doc,
                    page,
                    size.span(1),
                    "tumour_size",
                    value,
                    found_by="tumour.size",
                    context="asserted",
                )
            )
        margin = (_MARGINS_AFTER.search(text) or _MARGINS.search(text)) if "margin" in low else None
        if margin:
            value = "involved" if margin.group("pos") else "clear"
            facts.append(
                make_fact(
                    doc,
                    page,
                    margin,
                    "margins",
                    value,
                    found_by="tumour.margins",
                    context="asserted",
                    display=f"margins {value}",
                )
            )
        else:
            r = _R_CLASS.search(text)
            if r:
                value = "clear" if r.group(1) == "0" else "involved"
                facts.append(
                    make_fact(
                        doc,
                        page,
                        r,
                        "margins",
                        value,
                        found_by="tumour.margins.r_class",
                        context="asserted",
                        display=f"R{r.group(1)} (margins {value})",
                    )
                )
        nodes = _node_fact(doc, page) if "node" in low else None
        if nodes:
            facts.append(nodes)
        cue = "invasion" in low or "infiltration" in low or "involvement" in low
        lvi = _LVI.search(text) if cue else None
        if lvi:
            raw = lvi.group("value").lower()
            value = (
                "present"
                if raw in ("present", "identified", "seen", "positive", "detected")
                else "indeterminate"
                if raw.startswith(("indeterminate", "suspicious", "cannot"))
                else "absent"
            )
            facts.append(
                make_fact(
                    doc,
                    page,
                    lvi,
                    "lvi",
                    value,
                    found_by="tumour.lvi.field",
                    context="asserted",
                    display=f"lymphovascular invasion {value}",
                )
            )
        else:
            lvi2 = _LVI_BEFORE.search(text) if cue else None
            if lvi2:
                value = "absent" if lvi2.group("neg") else "present"
                facts.append(
                    make_fact(
                        doc,
                        page,
                        lvi2,
                        "lvi",
                        value,
                        found_by="tumour.lvi.phrase",
                        context="asserted",
                        display=f"lymphovascular invasion {value}",
                    )
                )
        diag = _diagnosis_fact(doc, page)
        if diag:
            facts.append(diag)
    return facts


def _node_fact(doc: Document, page: Page) -> Fact | None:
    text = page.text
    m = _NODES_FIELDS.search(text)
    if m:
        examined, involved = int(m.group(1)), int(m.group(2))
        span: tuple[int, int] = m.span()
    else:
        m = _NODES_OF.search(text)
        if m:
            involved, examined = _count(m.group(1)), _count(m.group(2))
            span = m.span()
        else:
            m = _NODES_FRACTION.search(text)
            if not m:
                return None
            a = m.group(1) or m.group(3)
            b = m.group(2) or m.group(4)
            involved, examined = int(a), int(b)
            span = m.span()
    if involved < 0 or examined <= 0 or involved > examined:
        return None
    return make_fact(
        doc,
        page,
        span,
        "lymph_nodes",
        f"{involved}/{examined}",
        found_by="tumour.lymph_nodes",
        context="asserted",
        display=f"{involved} of {examined} lymph nodes involved",
        attributes={"involved": str(involved), "examined": str(examined)},
    )
