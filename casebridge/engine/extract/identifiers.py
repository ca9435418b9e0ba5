"""Direct identifiers in a document, found so they can be pseudonymised before a
case leaves the UK: person names, NHS numbers, hospital numbers, dates of birth,
addresses and postcodes, phone numbers, e-mail addresses.

Recall comes first (a missed name leaks; an extra one only over-redacts), but
clinical numbers are not flagged: an unlabelled 10-digit number counts as an NHS
number only when its modulus-11 check digit is right (NHS Data Dictionary, "NHS
number"), a hospital number needs a label or a letters-then-6+-digits shape, a
phone number needs a UK dialling shape.

Values are verbatim (what to replace); the Source gives page and span. Chinese
labels, mainland mobile and resident identity numbers and honorific names are
found by identifiers_zh.py.
"""

from __future__ import annotations

import functools
import re

from casebridge.engine.case import Document, Identifier, Page
from casebridge.engine.extract import identifiers_zh
from casebridge.engine.extract.dates import date_at, find_dates
from casebridge.engine.extract.spans import pages, source_for

# ------------------------------------------------------------------ names
_TOKEN = r"(?:[A-Z](?:[a-z]*[A-Z]?[a-z'’]+|[A-Z'’]+)?(?:-[A-Z][A-Za-z'’]+)?(?![\w-])\.?)"
_NAME = rf"{_TOKEN}(?:[ \t]{{1,2}}{_TOKEN}){{0,3}}"
_TITLES = re.compile(
    r"(?<![\w.])(?:Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir|Dame|Rev|MR|MRS|MISS|DR\.|PROF)\.?"
    rf"[ \t]+(?P<name>{_NAME})"
)
# A label before a name, searched in the lower-cased text (same offsets); the name itself
# is then read from the original text with _LABELLED_NAME.
_NAME_LABEL = re.compile(
    r"(?m)(?:^|(?<=[\s,;|]))(?<!test )(?<!file )(?<!specimen )(?<!drug )(?<!product )(?<!test\n)"
    r"(?:patient(?:'s)?\s+name|full\s+name|name\s+of\s+patient|surname"
    r"|family\s+name|forenames?|first\s+names?|given\s+names?|name|patient|next\s+of\s+kin|nok"
    r"|consultant|gp|general\s+practitioner|referr(?:ing|ed\s+by)(?:\s+(?:doctor|clinician"
    r"|consultant|physician))?|requesting\s+(?:doctor|clinician|consultant)|reported\s+by"
    r"|pathologist|radiologist|surgeon|oncologist|attending|signed(?:\s+by)?"
    r"|electronically\s+signed\s+by|verified\s+by|authori[sz]ed\s+by|dictated\s+by|typed\s+by"
    r"|cc|copy\s+to|author|clinician)[ \t]*[:\-][ \t]*"
)
_LABELLED_NAME = re.compile(
    rf"(?P<name>(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?[ \t]+)?{_TOKEN}(?:,?[ \t]{{1,2}}{_TOKEN}){{0,3}})"
)
_DEAR = re.compile(rf"\bDear[ \t]+(?P<name>{_NAME})")
_SIGN_OFF = re.compile(
    r"(?i)\byours\s+(?:sincerely|faithfully|truly)|\bkind\s+regards|\bbest\s+wishes"
    r"|\bwith\s+best\s+regards"
)
_SIGNATURE_LINE = re.compile(rf"[ \t]*(?P<name>{_TOKEN}(?:[ \t]{{1,2}}{_TOKEN}){{1,3}})[ \t]*$")

# Words that end a name: roles, qualifications, places, clinical words, months.
_NOT_NAME = frozenset(
    """
    consultant oncologist surgeon registrar physician radiologist pathologist haematologist
    clinical medical nurse specialist practitioner professor doctor lecturer fellow director
    clinic hospital department dept nhs trust foundation unit ward centre center university
    street road avenue lane house surgery practice health service services team mdt re date
    dob number ref our your tel phone fax email mobile copy cc mbbs mb bs bch chb md phd bsc
    msc ma frcs frcp frcr frcpath frcog mrcp mrcs mrcgp dm frcse frcpc facs bm bchir mbchb
    dphil january february march april may june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday sir madam colleague
    colleagues all the and of for with to in on at by a an left right bilateral breast lung
    liver scan imaging pelvis brain spine chest abdomen ct mri mr pet angiography angiogram
    cholangiography venography guided gp patient his her their diagnosis diagnoses collected
    received verified final report reported specimen specimens called histologic histological
    grade addendum comment comments frozen section sections gross microscopic description
    history time part see pathology surgical dictated signed electronically transcribed case
    note notes result results findings impression procedure operation dr tumor tumour margin
    margins lymph node nodes stage carcinoma biopsy resection excision summary consult
    consultation requested request path lab not none n/a unknown given answered provided
    available no mrn acct name dx phys address doctors copy-to revision amended addended sex
    gender age admission admitted signature page office med rec accession location source hpv
    ish bed room account visit
    """.split()  # noqa: SIM905
)
_SALUTATION_GENERIC = frozenset(
    {"sir", "madam", "colleague", "colleagues", "doctor", "all", "team"}
)


_NAME_TOKEN = re.compile(r"[^ \t,]+")
_TITLE_WORDS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame"}
)


def _name_span(raw: str) -> tuple[int, int] | None:
    """[start, end) within `raw` of the name it holds: leading titles dropped, cut
    at the first word that is not part of a name (role, qualification, place...)."""
    toks = [(m.start(), m.end(), m.group().strip(".").lower()) for m in _NAME_TOKEN.finditer(raw)]
    while toks and toks[0][2] in _TITLE_WORDS:
        toks.pop(0)
    kept = []
    for tok in toks:
        if not tok[2] or tok[2] in _NOT_NAME:
            break
        kept.append(tok)
    if not kept:
        return None
    end = kept[-1][1]
    return kept[0][0], end - 1 if raw[end - 1] == "." and len(kept[-1][2]) > 1 else end


# ------------------------------------------------------------------ numbers
_NHS_LABEL = re.compile(r"(?i)\bNHS\s*(?:No\.?|Number|Num|#)?\s*[:.#]?\s*$")
_TEN_DIGITS = re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d\w])(?![ -]\d)")
_NHS_LABELLED = re.compile(
    r"(?i)\bNHS\s*(?:No\.?|Number|Num|#)?\s*[:.#]?\s*(?P<num>\d[\d \-]{7,14}\d)(?!\d)"
)
# Hospital numbers: "<label> No/Number/ID: <value>" or MRN/CRN/URN/RTH alone, searched in the
# lower-cased text; the value is read back from the original text.
_HOSPITAL_LABEL = re.compile(
    r"\b(?:(?:hospital|hosp|unit|case|patient|pas|local|medical\s+record|record|clinic|trust|lab"
    r"|laboratory|specimen|accession|episode|surgical\s+pathology|path|pathology|rth|k|x-?ray"
    r"|radiology|chart)\.?\s*(?:no\.?|number|num|#|id|ref\.?|identifier)|mrn|crn|urn|ur\s+no"
    r"|rth\s*no)\s*[:#.]?\s*(?=[a-z]{0,4}[-/ ]?\d)"
)
_HOSPITAL_VALUE = re.compile(r"(?P<num>[A-Z]{0,4}[-/ ]?\d[A-Z0-9\-/]{2,15})(?![\w])")
_HOSPITAL_SHAPE = re.compile(r"(?<![\w\-/])(?-i:[A-Z]{1,4})\d{6,9}[A-Z]?(?![\w\-/])")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+44[ \t]?(?:\(0\)[ \t]?)?|0)\d{1,4}[ \t\-]?\d{3,4}[ \t\-]?\d{3,4}"
    r"|\(0\d{2,4}\)[ \t]?\d{3,4}[ \t\-]?\d{3,4})(?![\d\w])"
)
_PHONE_LABEL = re.compile(
    r"(?i)\b(?:tel|telephone|phone|mobile|mob|fax|contact|ext)\b\.?\s*[:.]?\s*$"
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)

# ------------------------------------------------------------------ dates of birth
_DOB = re.compile(
    r"(?i)\b(?:D\.?\s?O\.?\s?B\b\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)\s*[:\-=]?\s*"
)
_YEAR_AT = re.compile(r"[\s:=\-]*((?:19|20)\d\d)(?!\d)")

# ------------------------------------------------------------------ addresses
# UK postcode (Royal Mail / ONS format): outward code, space, inward code.
_POSTCODE = re.compile(
    r"(?<![\w])(?:GIR 0AA|(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])[ \t][0-9]"
    r"[ABD-HJLNP-UW-Z]{2})(?![\w])"
)
_ADDRESS_LABEL = re.compile(r"(?im)\b(?:home[ \t]+)?address[ \t]*[:\-][ \t]*(?P<addr>[^\n]{4,120})")
_ADDR_STOP = re.compile(
    r"(?i)\b(?:dear|re|dob|d\.o\.b|nhs|hospital\s+no|mrn|tel|phone|date|clinic|diagnosis"
    r"|consultant|ref)\b|[:;]|\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\b\.?\s"
)


def nhs_check_digit_ok(number: str) -> bool:
    """Modulus 11 (NHS Data Dictionary): weights 10..2 on the first nine digits.
    A run of one digit ("1111111111", a barcode read by OCR) is never an NHS number."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


def _address_before(text: str, pc_start: int) -> int:
    """Start of the address that ends with the postcode at pc_start: the text
    before it on its line, then up to four short lines above."""
    line_start = text.rfind("\n", 0, pc_start) + 1
    same = text[line_start:pc_start]
    start = pc_start
    if same.strip(" ,\t"):
        # the part after a label or a sentence end, at most three comma-separated pieces
        cut = max(same.rfind(": "), same.rfind(". "), same.rfind(";"))
        seg_start = line_start + (cut + 2 if cut >= 0 else 0)
        pieces = text[seg_start:pc_start].split(",")
        if len(pieces) > 3:
            seg_start = pc_start - len(",".join(pieces[-3:]))
        start = seg_start + (len(text[seg_start:pc_start]) - len(text[seg_start:pc_start].lstrip()))
        if cut >= 0 or len(pieces) > 1:
            return start
    pos = line_start
    for _ in range(4):
        if pos == 0:
            break
        prev_start = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev_start : pos - 1]
        stripped = line.strip()
        if (
            not stripped
            or len(stripped) > 50
            or len(stripped.split()) > 7
            or _ADDR_STOP.search(stripped)
            or find_dates(stripped)
            or stripped.endswith(".")
        ):
            break
        start = prev_start + (len(line) - len(line.lstrip()))
        pos = prev_start
    return start


def _add(
    found: list[Identifier],
    taken: list[tuple[int, int]],
    doc: Document,
    page: Page,
    kind: str,
    start: int,
    end: int,
    *,
    valid: bool = True,
    overlap_ok: bool = False,
) -> None:
    value = page.text[start:end].strip()
    if not value:
        return
    if not overlap_ok and any(start < e and s < end for s, e in taken):
        return
    taken.append((start, end))
    found.append(Identifier(kind, value, source_for(doc, page, start, end), valid))


def _names(
    found: list[Identifier], taken: list[tuple[int, int]], doc: Document, page: Page
) -> None:
    text = page.text
    spans: list[tuple[int, int]] = []

    def keep(start: int, raw: str) -> None:
        span = _name_span(raw)
        if span is None:
            return
        name = raw[span[0] : span[1]]
        toks = name.split()
        if all(len(t.strip(".,")) <= 1 for t in toks):
            return  # bare initials
        if len(toks) == 1 and toks[0].isupper() and len(toks[0].strip(".,")) <= 3:
            return  # "Dr. FSA": an abbreviation where a redacted name was
        after = text[start + span[1] : start + span[1] + 1]
        if after == ":" or (after == "(" and name.isupper()):
            return  # "Sex:", "REVISION:", "EGFR(": the next label, a heading or a stain
        spans.append((start + span[0], start + span[1]))

    for m in _TITLES.finditer(text):
        keep(m.start("name"), m.group("name"))
    low = text.lower() if len(text.lower()) == len(text) else text
    for lab in _NAME_LABEL.finditer(low):
        got = _LABELLED_NAME.match(text, lab.end())
        if got:
            keep(got.start("name"), got.group("name"))
    for m in _DEAR.finditer(text) if "Dear" in text else ():
        first = m.group("name").split()[0].strip(",.").lower()
        if first not in _SALUTATION_GENERIC and first not in {
            "mr",
            "mrs",
            "ms",
            "miss",
            "dr",
            "prof",
        }:
            keep(m.start("name"), m.group("name"))
    signs = any(w in low for w in ("yours", "regards", "wishes"))
    for m in _SIGN_OFF.finditer(text) if signs else ():
        pos = m.end()
        for _ in range(5):
            nl = text.find("\n", pos)
            if nl == -1:
                break
            line_end = text.find("\n", nl + 1)
            line_end = len(text) if line_end == -1 else line_end
            line = text[nl + 1 : line_end]
            pos = nl + 1
            if not line.strip():
                continue
            sig = _SIGNATURE_LINE.match(line)
            if sig:
                keep(nl + 1 + sig.start("name"), sig.group("name"))
            break
    for s, e in sorted(set(spans)):
        _add(found, taken, doc, page, "person_name", s, e)


def _numbers(
    found: list[Identifier], taken: list[tuple[int, int]], doc: Document, page: Page
) -> None:
    text = page.text
    for m in _NHS_LABELLED.finditer(text) if "nhs" in text.lower() else ():
        num = m.group("num")
        digits = re.sub(r"\D", "", num)
        if len(digits) == 10:
            _add(
                found,
                taken,
                doc,
                page,
                "nhs_number",
                *m.span("num"),
                valid=nhs_check_digit_ok(digits),
            )
    for m in _TEN_DIGITS.finditer(text):
        s = m.start()
        if s and (
            text[s - 1].isalnum() or (s > 1 and text[s - 1] in " -" and text[s - 2].isdigit())
        ):
            continue
        if nhs_check_digit_ok(m.group()):
            _add(found, taken, doc, page, "nhs_number", *m.span())
    for m in _EMAIL.finditer(text) if "@" in text else ():
        _add(found, taken, doc, page, "email", *m.span())
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if digits.startswith("44"):
            digits = "0" + digits[2:].lstrip("0")
        if (
            len(digits) in (10, 11)
            and digits[1] != "0"
            or _PHONE_LABEL.search(text, max(0, m.start() - 20), m.start())
            and len(digits) >= 6
        ):
            _add(found, taken, doc, page, "phone", *m.span())
    low = text.lower() if len(text.lower()) == len(text) else text
    for lab in _HOSPITAL_LABEL.finditer(low):
        value = _HOSPITAL_VALUE.match(text, lab.end())
        if not value:
            continue
        num = value.group("num").rstrip("-/ ")
        if sum(c.isdigit() for c in num) < 4:
            continue
        if find_dates(num):
            continue  # "Date: 12/03/2024" after a label such as "Lab No:" on the same line
        s = value.start("num")
        _add(found, taken, doc, page, "hospital_number", s, s + len(num))
    for m in _HOSPITAL_SHAPE.finditer(text):
        if len({c for c in m.group() if c.isdigit()}) == 1:
            continue  # "I111111111I": a barcode read by OCR
        _add(found, taken, doc, page, "hospital_number", *m.span())


def _births(
    found: list[Identifier], taken: list[tuple[int, int]], doc: Document, page: Page
) -> None:
    text = page.text
    low = text.lower()
    if not any(w in low for w in ("dob", "d.o.b", "d o b", "birth", "born")):
        return
    for m in _DOB.finditer(text):
        d = date_at(text, m.end())
        if d is not None:
            _add(found, taken, doc, page, "date_of_birth", d.start, d.end)
            continue
        y = _YEAR_AT.match(text, m.end())
        if y:
            _add(found, taken, doc, page, "date_of_birth", *y.span(1))


def _addresses(
    found: list[Identifier], taken: list[tuple[int, int]], doc: Document, page: Page
) -> None:
    text = page.text
    for m in _POSTCODE.finditer(text):
        start = _address_before(text, m.start())
        if start < m.start():
            _add(found, taken, doc, page, "address", start, m.end(), overlap_ok=True)
        _add(found, taken, doc, page, "postcode", *m.span(), overlap_ok=True)
    for m in _ADDRESS_LABEL.finditer(text) if "ddress" in text else ():
        s, e = m.span("addr")
        if ":" in m.group("addr") or not re.search(r"\d|[A-Z][a-z]", m.group("addr")):
            continue  # the next label ("Address: Ref. Source:"), not an address
        if not any(i.kind == "address" and i.source.start <= s < i.source.end for i in found):
            _add(found, taken, doc, page, "address", s, e, overlap_ok=True)


def _add_zh(
    found: list[Identifier],
    taken: list[tuple[int, int]],
    doc: Document,
    page: Page,
    kind: str,
    start: int,
    end: int,
    valid: bool,
) -> None:
    _add(found, taken, doc, page, kind, start, end, valid=valid)


def find_identifiers(doc: Document) -> list[Identifier]:
    """Every direct identifier on every page of the document, in page order."""
    found: list[Identifier] = []
    for page in pages(doc):
        taken: list[tuple[int, int]] = []
        page_found: list[Identifier] = []
        _numbers(page_found, taken, doc, page)
        _births(page_found, taken, doc, page)
        _names(page_found, taken, doc, page)
        _addresses(page_found, taken, doc, page)
        identifiers_zh.find(page, functools.partial(_add_zh, page_found, taken, doc, page))
        page_found.sort(key=lambda i: (i.source.start, i.source.end))
        found.extend(page_found)
    return found
