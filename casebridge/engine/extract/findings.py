"""Findings of the course on a page: comorbidities, lab values with their units and
reference ranges, performance status and allergies."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from casebridge.engine.extract.course_page import _fact, _Page, _sections
from casebridge.engine.extract.dates import DateMatch
from casebridge.engine.extract.lexicon import Mention
from casebridge.engine.kb import load

_PS = re.compile(
    r"(?<![\w])(?:(?P<scale>ECOG|WHO|Zubrod)\s*(?:performance\s+status|PS|P\.S\.)?"
    r"|(?i:performance\s+status)|PS)"
    r"\s*(?i:score|grade)?\s*(?:(?i:of|is|was|now)\s*)?[:=]?\s*(?P<ps>[0-4])"
    r"(?:\s*(?:-|–|/|to)\s*(?P<ps2>[0-4]))?(?![\d%]|\.\d|\s*(?:mm|cm|%)|-\s*[A-Za-z])"
)


_KPS = re.compile(
    r"(?i)\b(?:Karnofsky(?:\s+performance)?(?:\s+(?:status|score|index))?|KPS)\s*(?:score\s*)?"
    r"(?:of|is|was)?\s*[:=]?\s*(?P<k>100|[1-9]0)\s*%?(?!\d)"
)


_NKDA = re.compile(
    r"(?i)\b(?:NKDA|NKA|NKDAs|no\s+known\s+(?:drug\s+)?allerg(?:y|ies)|nil\s+known\s+(?:drug\s+)?"
    r"allerg(?:y|ies)|no\s+(?:drug\s+)?allergies(?:\s+known)?"
    r"|allerg(?:y|ies)\s*(?:status)?\s*[:\-]\s*(?:none|nil|no\s+known)(?:\s+known)?)\b"
)


_ALLERGY = re.compile(
    r"(?im)\b(?:(?:drug\s+)?allerg(?:y|ies)(?:\s+(?:and|/)\s+(?:intolerances|sensitivities))?"
    r"|adverse\s+(?:drug\s+)?reactions?|(?-i:ADRs?))[ \t]*(?:status)?[ \t]*:[ \t]*(?P<list>[^\n]{2,200})"
    r"|\ballergic\s+to\s+(?P<one>[^\n.;]{2,120})"
)


_ALLERGY_ITEM = re.compile(
    r"^\s*(?P<name>[A-Za-z][A-Za-z0-9\-' ]{1,40}?)\s*(?:\((?P<r1>[^)]{1,60})\)|[-–:]\s*(?P<r2>[^,;]{1,60}))?\s*$"
)


_NONE_WORDS = frozenset({"none", "nil", "none known", "nil known", "no", "nkda", "unknown", "n/a"})


_PMH_HEAD = re.compile(
    r"(?im)^[ \t]*(?:PMH(?:x)?|past\s+medical\s+history|past\s+history|medical\s+history"
    r"|co-?morbidit(?:y|ies)|background(?:\s+history)?|other\s+medical\s+problems"
    r"|relevant\s+history)\b"
)


_RANGE_AFTER = re.compile(
    r"[ \t]*(?:\(|\[)\s*(?:(?:ref(?:erence)?(?:\s+range)?|normal(?:\s+range)?|NR|RR)\s*[:=]?\s*)?"
    r"(?:(?P<lo>\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(?P<hi>\d+(?:\.\d+)?)|(?P<lt>[<>≤≥])\s*(?P<lim>\d+(?:\.\d+)?))"
    r"[^)\]\n]{0,20}(?:\)|\])",
    re.IGNORECASE,
)


_FLAG_AFTER = re.compile(
    r"[ \t]*(?:\(\s*(?P<f1>[HL])\s*\)|(?P<f2>\b[HL]\b)(?![\w/])|(?P<f3>[↑↓])|\*)"
)


def _unit_regex(units: Iterable[str]) -> str:
    alts = sorted({u for u in units}, key=len, reverse=True)
    return "|".join(re.escape(u).replace(r"\ ", r"\s?") for u in alts)


@lru_cache(maxsize=1)
def _lab_value() -> re.Pattern[str]:
    units: set[str] = set()
    for e in load("labs")["labs"]:
        units.update(str(u) for u in e.get("units", []))
    return re.compile(
        r"[ \t]*(?:level|levels|count|concentration)?[ \t]*(?:(?i:was|is|of|at|now|today)[ \t]+)?"
        r"(?:[:=][ \t]*)?(?P<cmp>[<>≤≥])?[ \t]*(?P<val>\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?)"
        r"(?![\d]|[./:]\d|,\d|\s*(?:-|–)\s*\d)"
        rf"(?:[ \t]?(?P<unit>{_unit_regex(units)})(?![\w/]))?"
    )


@lru_cache(maxsize=1)
def _prevented() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The words that make a condition what a medicine prevents (knowledge/treatments.yaml)."""
    words = load("treatments")["comorbidity_prevented"]

    def alt(key: str) -> str:
        found = sorted((str(w) for w in words[key]), key=len, reverse=True)
        return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in found)

    return (
        re.compile(rf"(?i)[ \t]+(?:{alt('after')})\b"),
        re.compile(rf"(?i)\b(?:{alt('before')})[ \t]+$"),
    )


def _comorbidities(p: _Page) -> None:
    pmh: list[tuple[int, int]] | None = None
    after, before = _prevented()
    for m in p.mentions:
        term = m.first("comorbidity")
        if term is None:
            continue
        if after.match(p.text, m.end) or before.search(p.text, max(0, m.start - 40), m.start):
            continue  # what a prophylaxis prevents, not a condition the patient has
        if term.ambiguous:
            if pmh is None:
                pmh = _sections(p.text, _PMH_HEAD)
            if not any(s <= m.start < e for s, e in pmh):
                continue
        _fact(p, (m.start, m.end), "comorbidity", term.value, "comorbidity")


# ------------------------------------------------------------------ labs
def _labs(p: _Page) -> None:
    text = p.text
    value_re = _lab_value()
    for m in p.mentions:
        term = m.first("lab")
        if term is None:
            continue
        v = value_re.match(text, m.end, min(len(text), m.end + 40))
        if not v:
            continue
        unit = v.group("unit") or ""
        if unit and term.units and not any(u.lower() == unit.lower() for u in term.units):
            continue  # a unit of another analyte ("ALT 5 g/L" is not an ALT)
        if not unit and not term.short_ok:
            continue
        if not unit and term.units and m.text.isalpha() and len(m.text) <= 2 and not term.short_ok:
            continue
        # "1,842 kU/L": the thousands separator of UK reports is no decimal point
        number = v.group("val").replace(",", "")
        attrs: dict[str, str] = {"analyte": term.value, "value": number, "unit": unit}
        if v.group("cmp"):
            attrs["comparator"] = v.group("cmp")
        tail = v.end()
        flag = _FLAG_AFTER.match(text, tail, min(len(text), tail + 6))
        rng = _RANGE_AFTER.match(text, tail, min(len(text), tail + 60))
        if flag is None and rng is not None:
            flag = _FLAG_AFTER.match(text, rng.end(), min(len(text), rng.end() + 6))
        if rng:
            if rng.group("lo"):
                attrs["reference_range"] = f"{rng.group('lo')}-{rng.group('hi')}"
                x = float(number)
                attrs["flag"] = (
                    "low"
                    if x < float(rng.group("lo"))
                    else "high"
                    if x > float(rng.group("hi"))
                    else "normal"
                )
            else:
                attrs["reference_range"] = f"{rng.group('lt')}{rng.group('lim')}"
                x, lim = float(number), float(rng.group("lim"))
                if rng.group("lt") in "<≤":
                    attrs["flag"] = "high" if x > lim else "normal"
                else:
                    attrs["flag"] = "low" if x < lim else "normal"
        if flag is not None:
            mark = flag.group("f1") or flag.group("f2") or flag.group("f3") or ""
            if mark in ("H", "↑"):
                attrs["flag"] = "high"
            elif mark in ("L", "↓"):
                attrs["flag"] = "low"
        end = rng.end() if rng else (flag.end() if flag else v.end())
        line_lo = text.rfind("\n", 0, m.start) + 1
        line_hi = text.find("\n", m.end)
        line_hi = len(text) if line_hi == -1 else line_hi
        d = _lab_date(p, m, line_lo, line_hi)
        if d is not None:
            attrs["date"] = d.iso
            attrs["date_precision"] = d.precision
        shown = f"{v.group('cmp') or ''}{number}" + (f" {unit}" if unit else "")
        value = f"{term.value} {shown}"
        display = value + (
            f" ({attrs['flag']})" if attrs.get("flag") and attrs["flag"] != "normal" else ""
        )
        _fact(
            p,
            (m.start, end),
            "lab",
            value,
            "lab",
            attributes=attrs,
            display=display,
            context="asserted",
        )


_COMPARISON = re.compile(
    r"(?i)\b(?:comparison|compared\s+(?:with|to)|previous(?:ly)?|prior|baseline|was|from)\b"
)


def _lab_date(p: _Page, m: Mention, line_lo: int, line_hi: int) -> DateMatch | None:
    """A lab value's own date on its line: the nearest before it, else the first after it,
    never a date that belongs to a scan or comparison named between them ("Blood glucose
    5.6 mmol/L. Comparison: CT 28/05/2026"); without one the report's date stands."""
    dates = p.dates_in(line_lo, line_hi)
    before = [d for d in dates if d.end <= m.start]
    after = [d for d in dates if d.start >= m.end]
    for d in [*reversed(before), *after]:
        lo, hi = (d.end, m.start) if d.end <= m.start else (m.end, d.start)
        between = p.mentions_in(lo, hi)
        if any(x.first("imaging") for x in between) or _COMPARISON.search(p.text, lo, hi):
            continue
        return d
    return None


# ------------------------------------------------------------------ performance status
def _performance(p: _Page) -> None:
    text = p.text
    if "PS" in text or "ECOG" in text or "WHO" in text or "erformance" in p.low:
        for m in _PS.finditer(text):
            scale = m.group("scale") or ("ECOG" if "PS" in m.group() else "ECOG/WHO")
            if m.group("scale") is None and "performance" in m.group().lower():
                scale = "ECOG/WHO"
            score = m.group("ps") + (f"-{m.group('ps2')}" if m.group("ps2") else "")
            value = f"{scale} {score}"
            attrs = {"scale": scale, "score": score}
            _fact(p, m.span(), "performance_status", value, "performance_status", attributes=attrs)
    if "karnofsky" not in p.low and "KPS" not in text:
        return
    for m in _KPS.finditer(text):
        attrs = {"scale": "Karnofsky", "score": m.group("k")}
        _fact(
            p,
            m.span(),
            "performance_status",
            f"Karnofsky {m.group('k')}%",
            "karnofsky",
            attributes=attrs,
        )


# ------------------------------------------------------------------ allergies
def _allergies(p: _Page) -> None:
    text = p.text
    nkda_spans = []
    low = p.low
    if "allerg" not in low and "nkda" not in low and "nka" not in low and "ADR" not in text:
        return
    for m in _NKDA.finditer(text):
        nkda_spans.append(m.span())
        _fact(
            p, m.span(), "no_known_allergies", "no known drug allergies", "nkda", context="asserted"
        )
    for m in _ALLERGY.finditer(text):
        group = "list" if m.group("list") is not None else "one"
        s, e = m.span(group)
        if any(a <= s < b or s <= a < e for a, b in nkda_spans):
            continue
        raw = text[s:e]
        pos = s
        for piece in re.split(r"[,;]|\band\b", raw):
            item_start = pos + (len(piece) - len(piece.lstrip()))
            pos += len(piece) + 1
            if raw[pos - s - 1 : pos - s + 2] == "and":
                pos += 2
            stripped = piece.strip().rstrip(".")
            if not stripped or stripped.lower() in _NONE_WORDS:
                continue
            item = _ALLERGY_ITEM.match(stripped)
            if not item:
                continue
            name = item.group("name").strip()
            if len(name) < 3 or name.lower() in _NONE_WORDS:
                continue
            reaction = (item.group("r1") or item.group("r2") or "").strip()
            attrs = {"reaction": reaction} if reaction else {}
            span = (item_start, item_start + len(stripped))
            _fact(p, span, "allergy", name.lower(), "allergy", attributes=attrs, context="asserted")
