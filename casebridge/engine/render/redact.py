"""Pseudonymisation of text shown in a summary: every direct identifier the case holds
(case.identifiers: names, NHS and hospital numbers, dates of birth, addresses, postcodes,
phone numbers, e-mail addresses) is replaced by a marker such as "[name]" / "[姓名]".

Matching is case-insensitive and tolerant of the way the same identifier is written
elsewhere: numbers with or without spaces, hyphens or dots ("999 047 1320", "9990471320"),
phone numbers with +44 instead of the leading 0, dates of birth in any usual UK or ISO
form (14/03/1971, 14.3.71, 14 March 1971, 1971-03-14), names with any spacing and each
surname or first name on its own (a letter's "Dear Mrs Whitcombe"), addresses split over
lines. Over-matching (a surname that is also a word) is accepted: a leaked identifier is
worse than a hidden word.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

from casebridge.engine.case import Identifier
from casebridge.engine.terminology import label, normalise, table

KINDS: tuple[str, ...] = (
    "person_name",
    "nhs_number",
    "hospital_number",
    "date_of_birth",
    "address",
    "postcode",
    "phone",
    "email",
    "national_id",
)
TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "rev", "master"}
)
# words that may be read as part of a name but are never one on their own
NOT_NAMES = frozenset(
    {"the", "and", "dear", "patient", "appointments", "appointment", "department", "hospital",
     "clinic", "team", "unit", "ward", "surgery", "centre", "center", "practice", "medical",
     "health", "service", "services", "office", "secretary", "consultant", "nurse", "doctor",
     "reception", "trust", "nhs", "foundation", "royal", "general", "infirmary", "university",
     "radiology", "pathology", "oncology", "haematology", "cancer", "breast", "lung", "care"}
)  # fmt: skip
# address words that say what kind of place it is, not which one
STREET_WORDS = frozenset(
    {"road", "street", "lane", "close", "avenue", "drive", "way", "hill", "flat", "house",
     "court", "place", "crescent", "gardens", "garden", "terrace", "park", "green", "square",
     "west", "east", "north", "south", "upper", "lower", "new", "old", "great", "little",
     "walk", "row", "mews", "grove", "view", "rise", "building", "floor", "level", "block",
     "wing", "suite", "address", "county", "city", "town", "village", "estate", "industrial"}
)  # fmt: skip
MONTHS = (
    "jan(?:uary)?", "feb(?:ruary)?", "mar(?:ch)?", "apr(?:il)?", "may", "june?", "july?",
    "aug(?:ust)?", "sep(?:t(?:ember)?)?", "oct(?:ober)?", "nov(?:ember)?", "dec(?:ember)?",
)  # fmt: skip
MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_SEP = r"[\s.\-/]*"
_NUMERIC_KINDS = ("nhs_number", "hospital_number", "phone", "national_id")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# how a Chinese letter addresses or names a person by the surname alone: 王女士, 李先生
HONORIFICS = ("女士", "先生", "小姐", "太太", "夫人", "阿姨", "同志")
# Chinese address parts end with the unit they name; province, city and district
# say where, not who, so only the parts below them (street, number, flat) are
# hidden on their own
_ZH_ADDRESS_PART = re.compile(
    r".+?(?:省|自治区|市|区|县|镇|乡|街道|路|大道|街|巷|弄|胡同|村|号|栋|幢|楼|单元|室)"
)
_ZH_PLACE_ONLY = ("省", "自治区", "市", "区", "县", "镇", "乡")


def marker(kind: str, lang: str) -> str:
    """[name], [NHS number] ... in English; [姓名], [NHS号码] ... in Chinese."""
    key = f"identifier.{kind}"
    text = label(key, lang)
    return text if text != key else ("[标识信息]" if lang == "zh" else "[identifier]")


class Redactor:
    """Replaces the case's identifiers in any text by markers in one language."""

    def __init__(self, identifiers: Iterable[Identifier], lang: str) -> None:
        self.lang = lang
        found: dict[str, str] = {}  # regex -> kind; longest first at build time
        self.birth_dates: set[str] = set()
        # (kind, value) of each identifier, for checks that match loosely (pack/legible.py)
        self.values: list[tuple[str, str]] = []
        for ident in identifiers:
            value = " ".join(str(ident.value).split())
            if not value:
                continue
            kind = ident.kind if ident.kind in KINDS else "person_name"
            if (kind, value) not in self.values:
                self.values.append((kind, value))
            for pattern in _patterns(kind, value):
                found.setdefault(pattern, kind)
            if kind == "date_of_birth":
                day = parse_date(value)
                if day is not None:
                    self.birth_dates.add(day.isoformat())
        ordered = sorted(found, key=len, reverse=True)
        self._kinds = [found[p] for p in ordered]
        self._regex = (
            re.compile("|".join(f"({p})" for p in ordered), re.IGNORECASE) if ordered else None
        )

    def __bool__(self) -> bool:
        return self._regex is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where identifiers are in `text`, so that a quotation is never cut through one."""
        if self._regex is None:
            return []
        return [m.span() for m in self._regex.finditer(text)]

    def __call__(self, text: str) -> str:
        if self._regex is None or not text:
            return text

        def sub(m: re.Match[str]) -> str:
            assert m.lastindex is not None
            return marker(self._kinds[m.lastindex - 1], self.lang)

        out = self._regex.sub(sub, text)
        # "[name] [name]", "[address], [address]": one marker
        return re.sub(r"(\[[^\[\]]{1,20}\])(?:[\s,]*\1)+", r"\1", out)


def _patterns(kind: str, value: str) -> list[str]:
    if kind == "email":
        return [rf"(?<![\w.+-]){re.escape(value)}(?![\w-])"]
    if kind == "date_of_birth":
        day = parse_date(value)
        return _date_patterns(day) if day else [_loose(value)]
    if kind in _NUMERIC_KINDS:
        return _number_patterns(kind, value)
    if kind == "postcode":
        return _postcode_patterns(value)
    if kind == "address":
        # a postcode inside the address is a postcode too (with its misreadings)
        codes = [p for m in UK_POSTCODE.finditer(value) for p in _postcode_patterns(m.group(0))]
        parts = [p for p in re.split(r"[\s,|]+", value) if p]
        if parts and parts[0].lower() == "address":
            parts = parts[1:]  # "Address | 27 ..." read with its label
        if not parts:
            return []
        # the right edge only where the address ends in a Latin letter or a digit: in
        # Chinese the next character is not a word break ("...88号" then "5室")
        whole = (
            r"(?<![A-Za-z0-9])"
            + r"[\s,，|]+".join(re.escape(p) for p in parts)
            + (r"(?![A-Za-z0-9])" if parts[-1][-1].isascii() else "")
        )
        # each distinctive word too, for a quotation that starts or ends inside the address
        words = [
            rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])"
            for p in (q.strip(".'’") for q in parts)
            if len(p) >= 4 and p.isalpha() and p[0].isupper()
            and p.lower() not in STREET_WORDS and p.lower() not in NOT_NAMES and not _is_term(p)
        ]  # fmt: skip
        zh_parts = [_chars(part, r"\s*") for part in zh_address_parts(value)]
        return [whole, *words, *codes, *zh_parts]
    return _name_patterns(value)


def zh_address_parts(value: str) -> list[str]:
    """The street, number and flat of a Chinese address, each on its own (a letter
    may quote "漕溪北路88号" without the city before it)."""
    if not _CJK.search(value):
        return []
    out = []
    for part in _ZH_ADDRESS_PART.findall(re.sub(r"[\s,，]+", "", value)):
        if part.endswith(_ZH_PLACE_ONLY) or len(part) < 3:
            continue
        out.append(part)
    return out


UK_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})(?![A-Za-z0-9])"
)


def _postcode_patterns(value: str) -> list[str]:
    """The postcode as written with any spacing, and its outward code followed by
    any three characters: an OCR reading of "8QJ" as "8Q)" still hides it."""
    body = _chars(re.sub(r"\s+", "", value), r"\s*")
    out = [rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"]
    found = UK_POSTCODE.fullmatch(value.strip().upper())
    if found:
        outward = re.escape(found.group(1))
        out.append(rf"(?<![A-Za-z0-9]){outward}\s*[0-9OoIlSsBZ][^\s,;]{{2}}(?![A-Za-z0-9])")
    return out


def _chars(text: str, gap: str) -> str:
    return gap.join(re.escape(c) for c in text)


def _number_patterns(kind: str, value: str) -> list[str]:
    compact = re.sub(r"[^A-Za-z0-9]", "", value)
    if len(compact) < 5:
        return [rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])"]
    body = _chars(compact, r"[\s.\-/]?\s*")
    out = [rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"]
    if kind == "phone" and compact.startswith("0") and compact.isdigit():
        rest = _chars(compact[1:], r"[\s.\-]?\s*")
        out.append(rf"\+\s*44\s*(?:\(\s*0\s*\)\s*)?{rest}(?!\d)")
    if kind == "phone" and compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]  # a mainland mobile written with its country code
        out.append(rf"(?<![A-Za-z0-9]){_chars(compact, _NUMBER_GAP)}(?![A-Za-z0-9])")
    if kind == "phone" and re.fullmatch(r"1[3-9]\d{9}", compact):
        out.append(rf"\+?\s*86[\s\-]*{_chars(compact, _NUMBER_GAP)}(?!\d)")
    return out


_NUMBER_GAP = r"[\s.\-]?\s*"


def _name_patterns(value: str) -> list[str]:
    if _CJK.search(value):
        return _zh_name_patterns(value)
    words = [w for w in re.split(r"[\s,]+", value) if w]
    words = [w for w in words if w.lower().strip(".") not in TITLES] or words
    if not words:
        return []
    escaped = [re.escape(w).replace(r"\.", r"\.?") for w in words]
    out = [r"(?<![A-Za-z])" + r"[\s.,]*".join(escaped) + r"(?![A-Za-z])"]
    for word in words:
        core = word.strip(".'’")
        if len(core) < 3 or not core.isalpha() or not core[0].isupper():
            continue
        if core.lower() in NOT_NAMES or _is_term(core):
            continue
        out.append(rf"(?<![A-Za-z]){re.escape(core)}(?![A-Za-z])")
    return out


def _zh_name_patterns(value: str) -> list[str]:
    """A Chinese name as written with any spacing, and its surname with an
    honorific (王秀英: also 王女士, 王先生); a name given as surname and honorific
    ("王女士") is hidden as it is. The surname alone is not: 王, 张, 李 are also
    everyday words."""
    compact = re.sub(r"[\s·•]+", "", value)
    out = [_chars(compact, r"[\s·•]*")]
    honorific = next((h for h in HONORIFICS if compact.endswith(h)), "")
    if not honorific and 2 <= len(compact) <= 4 and all(_CJK.match(c) for c in compact):
        surname = compact[:2] if len(compact) == 4 else compact[0]
        out.append(rf"{re.escape(surname)}\s*(?:{'|'.join(HONORIFICS)})")
    return out


def _is_term(word: str) -> bool:
    """A word the terminology table knows (a clinical or document word, not a name)."""
    return table().knows(word) or normalise(word) in _DOCUMENT_WORDS


_DOCUMENT_WORDS = frozenset({"report", "letter", "summary", "scan", "result", "results"})


def _loose(value: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s.\-/]+", value) if p]
    return r"(?<![A-Za-z0-9])" + _SEP.join(parts) + r"(?![A-Za-z0-9])"


def parse_date(value: str) -> _dt.date | None:
    text = value.strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(r"(\d{1,2})[\s./-]+(\d{1,2}|[A-Za-z]{3,9})[\s./-]+(\d{2}|\d{4})", text)
        if not m:
            return None
        d, y = int(m[1]), int(m[3])
        if m[2].isdigit():
            mo = int(m[2])
        else:
            mo = next(
                (i + 1 for i, p in enumerate(MONTHS) if re.fullmatch(p, m[2], re.IGNORECASE)), 0
            )
        if y < 100:
            y += 1900 if y > _dt.date.today().year % 100 else 2000
    try:
        return _dt.date(y, mo, d)
    except ValueError:
        return None


def _date_patterns(day: _dt.date) -> list[str]:
    d = rf"0?{day.day}"
    m_num = rf"0?{day.month}"
    m_name = MONTHS[day.month - 1]
    y4 = str(day.year)
    y2 = y4[2:]
    sep = r"\s*[./\-]\s*"
    edge_l, edge_r = r"(?<![0-9])", r"(?![0-9])"
    return [
        rf"{edge_l}{d}{sep}{m_num}{sep}(?:{y4}|{y2}){edge_r}",
        rf"{edge_l}{d}(?:st|nd|rd|th)?[\s\-]+{m_name}\.?,?[\s\-]+{y4}{edge_r}",
        rf"(?<![A-Za-z]){m_name}\.?\s+{d}(?:st|nd|rd|th)?,?\s+{y4}{edge_r}",
        rf"{edge_l}{y4}{sep}{m_num}{sep}{d}{edge_r}",
        rf"{edge_l}{y4}\s*年\s*{m_num}\s*月\s*{d}\s*日?",
    ]


__all__ = ["KINDS", "Redactor", "marker", "parse_date", "zh_address_parts"]
