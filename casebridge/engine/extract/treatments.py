"""Treatments on a page (surgery, regimens, drugs, radiotherapy, transplant) with their
components, doses, cycles, sides and dates, and responses to them."""

from __future__ import annotations

import re
from functools import lru_cache

from casebridge.engine.case import Fact
from casebridge.engine.extract import schedule as _schedule
from casebridge.engine.extract.context import sentence_bounds
from casebridge.engine.extract.course_page import (
    _END_CUE,
    _N,
    _ROW_LEAD,
    _START_CUE,
    _UNIT,
    _clause_end,
    _fact,
    _num,
    _Page,
    _put_date,
)
from casebridge.engine.extract.dates import DateMatch, is_after
from casebridge.engine.extract.lexicon import Mention, Term
from casebridge.engine.kb import load

_CYCLES_BEFORE = re.compile(
    rf"(?i)\b{_N}\s*(?:x\s*)?(?:cycles?|courses?|doses?|infusions?)\s+(?:of\s+)?(?:\w+\s+)?$"
)


_CYCLES_AFTER = re.compile(
    rf"(?i)[\s,(]*(?:(?:x|×)\s?{_N}(?!\d)(?:\s*(?:cycles?|courses?))?"
    rf"|(?:for|over)?\s*{_N.replace('?P<n>', '?P<n2>')}\s*(?:cycles?|courses?))"
)


_CURRENT_CYCLE = re.compile(r"(?i)\b(?:C|cycle\s*)(?P<n>\d{1,2})\s*(?:D|day\s*)\d{1,2}\b")


_DOSE_AFTER = re.compile(
    rf"(?i)[ \t]*(?:\(|,)?[ \t]*(?:at[ \t]+|dose[ \t]+(?:of[ \t]+)?)?(?P<dose>\d+(?:\.\d+)?[ \t]?"
    rf"{_UNIT}(?![\w/])|AUC[ \t]?\d+(?:\.\d+)?)"
)


_GY = re.compile(
    r"(?i)(?<![\w.])(?P<gy>\d+(?:\.\d+)?)\s?Gy\b(?:\s*(?:in|/|over|x|×)\s*(?P<fx>\d{1,2})"
    r"\s*(?:fractions?|#|fx\b|fr\b|daily fractions)?)?"
)


_FRACTIONS = re.compile(r"(?i)\b(?P<fx>\d{1,2})\s*(?:fractions|#)")


_CYCLE_LEAD = re.compile(
    r"(?i)\b(?:cycle|C)\s*(?P<n>\d{1,2})(?:\s*(?:day|D)\s*\d{1,2})?\b[^.;\d]{0,20}$"
)


_TREATMENT_WORDS = re.compile(
    r"(?i)\b(?:chemo\w*|cycles?|courses?|regimen|started|commenced|received|receiving|completed"
    r"|given|treated|treatment|therapy|adjuvant|neo-?adjuvant|palliative|first[- ]line"
    r"|second[- ]line|third[- ]line|line|dose|doses|infusion|C\d+D\d+|x\s?\d)\b|(?:x|×)\s?\d"
)


_RESPONSE_WORDS = re.compile(
    r"(?i)\b(?:achiev\w*|attain\w*|confirm\w*|response|RECIST|Deauville|restaging|re-staging"
    r"|end[- ]of[- ]treatment|EOT|interim|best|remains\s+in|in\s+(?:CR|PR|CMR|VGPR)"
    r"|on\s+(?:CT|PET|MRI|PET-CT|imaging))\b"
)


_DEAUVILLE = re.compile(r"(?i)\bDeauville\s*(?:score\s*)?(?:of\s*)?(?P<d>[1-5])(?:\s*[xX])?")


# ------------------------------------------------------------------ treatments
def _treatments(p: _Page) -> None:
    text = p.text
    tx = [m for m in p.mentions if m.first("treatment")]
    kept: list[tuple[Mention, Term]] = []
    for m in tx:
        term = m.first("treatment")
        assert term is not None
        if term.ambiguous:
            window = text[max(0, m.start - 50) : m.end + 50]
            if not _TREATMENT_WORDS.search(window):
                continue
        if _is_heading_line(text, m):
            continue  # a section heading ("CAR-T therapy") names a topic, not a treatment
        kept.append((m, term))
    by_sentence: dict[tuple[int, int], list[tuple[Mention, Term]]] = {}
    for m, term in kept:
        by_sentence.setdefault(sentence_bounds(text, m.start, m.end), []).append((m, term))
    for (lo, hi), group in by_sentence.items():
        before = len(p.facts)
        owned = _assign_dates(p, lo, hi, [m for m, _ in group])
        gy = list(_GY.finditer(text, lo, hi)) if "gy" in p.low else []
        for i, (m, term) in enumerate(group):
            nxt = group[i + 1][0].start if i + 1 < len(group) else hi
            attrs: dict[str, str] = {"class": term.cls}
            if term.components:
                attrs["components"] = ", ".join(term.components)
            if term.kind == "surgery" or term.kind == "transplant":
                for _key, d in owned.get(m.start, []):
                    _put_date(attrs, "date", d)
            else:
                _put_dates(p, attrs, owned.get(m.start, []))
            dose = _DOSE_AFTER.match(text, m.end, min(len(text), m.end + 40))
            if dose and term.kind != "radiotherapy":
                attrs["dose"] = " ".join(dose.group("dose").split())
            cyc = _CYCLES_BEFORE.search(text, max(lo, m.start - 40), m.start)
            cyc = cyc or _CYCLES_AFTER.match(text, m.end, min(nxt, m.end + 40))
            if cyc and term.kind not in ("surgery", "transplant", "radiotherapy"):
                n = cyc.groupdict().get("n") or cyc.groupdict().get("n2") or ""
                attrs["cycles"] = str(_num(n))
            cur = _CURRENT_CYCLE.search(text, m.end, min(nxt, m.end + 40))
            if cur and "cycles" not in attrs:
                attrs["current_cycle"] = cur.group("n")
            if term.kind == "radiotherapy":
                _radiotherapy_dose(text, m, gy, nxt, lo, attrs)
            elif term.kind not in ("surgery", "transplant"):
                stop = _clause_end(text, m.end, min(nxt, hi))
                attrs["schedule"] = _schedule.schedule_after(text, m.end, stop)
            side = _side(text, m, lo, hi)
            if side and term.kind in ("surgery", "radiotherapy"):
                attrs["side"] = side
            value = term.value
            _fact(p, (m.start, m.end), term.kind, value, f"treatment.{term.kind}", attributes=attrs)
        _share_regimen_status(p.facts[before:])
        if gy and not any(t.kind == "radiotherapy" for _, t in group):
            _bare_radiotherapy(p, gy)
    if not kept and "gy" in p.low:
        for lo_hi in {sentence_bounds(text, g.start(), g.end()) for g in _GY.finditer(text)}:
            _bare_radiotherapy(p, list(_GY.finditer(text, *lo_hi)))


def _put_dates(p: _Page, attrs: dict[str, str], owned: list[tuple[str, DateMatch]]) -> None:
    """A course's dates. Cycle dates ("cycle 2 started 07/09/2026") are kept as
    attributes["cycle_dates"]; only cycle 1 starts the course, and a cycle after the record's
    date is the next one due (attributes["next_cycle_date"]), never the course's date."""
    cycles: list[str] = []
    given: DateMatch | None = None
    for key, d in owned:
        if not key.startswith("cycle:"):
            _put_date(attrs, key, d)
            continue
        n = key.split(":", 1)[1]
        if p.doc_date and is_after(d.iso, p.doc_date):
            _put_date(attrs, "next_cycle_date", d)
            continue
        cycles.append(f"C{n} {d.iso}")
        if n == "1":
            _put_date(attrs, "start_date", d)
        elif not given:
            given = d
    if cycles:
        attrs["cycle_dates"] = "; ".join(cycles)
    if given is not None and "start_date" not in attrs:
        _put_date(attrs, "date", given)  # dated by its first given cycle


_SIDE_BEFORE = re.compile(r"(?i)\b(?P<side>left|right|bilateral)\b[\w ]{0,25}$")


_SIDE_AFTER = re.compile(
    r"(?i)[ \t]*(?:of|to|on)[ \t]+(?:the[ \t]+)?(?P<side>left|right|bilateral)\b"
)


def _side(text: str, m: Mention, lo: int, hi: int) -> str:
    """The side a procedure or radiotherapy was on, from its own words ("right breast wide
    local excision", "mastectomy of the left breast")."""
    before = _SIDE_BEFORE.search(text, max(lo, m.start - 30), m.start)
    if before and not re.search(r"[,;]", before.group()):
        return before.group("side").lower()
    after = _SIDE_AFTER.match(text, m.end, min(hi, m.end + 30))
    return after.group("side").lower() if after else ""


def _share_regimen_status(facts: list[Fact]) -> None:
    """The drugs of a regimen named in its sentence ("R-CHOP ... (rituximab 375 mg/m2,
    cyclophosphamide ...)") belong to that course: attributes["regimen"] names it, so two
    courses holding one drug (bortezomib in VTD 2020 and in DVd 2026) stay two; and they share
    the regimen's status when their own words say none."""
    regimens = [f for f in facts if f.kind == "regimen"]
    for fact in facts:
        if fact.kind == "regimen":
            continue
        for reg in regimens:
            parts = {c.strip().lower() for c in reg.attributes.get("components", "").split(",")}
            if fact.value.lower() not in parts:
                continue
            fact.attributes["regimen"] = reg.value
            if not fact.attributes.get("status") and reg.attributes.get("status"):
                fact.attributes["status"] = reg.attributes["status"]
                if reg.attributes.get("status_date"):
                    fact.attributes["status_date"] = reg.attributes["status_date"]
            break


_HEADING_WORDS = re.compile(r"(?i)(?:therapy|treatment|and|cell|plan|discussion|options?)?")


def _is_heading_line(text: str, m: Mention) -> bool:
    """The mention is the whole of its line, apart from a word such as "therapy"."""
    lo = text.rfind("\n", 0, m.start) + 1
    hi = text.find("\n", m.end)
    hi = len(text) if hi == -1 else hi
    before, after = text[lo : m.start].strip(), text[m.end : hi].strip().rstrip(":")
    if before or not text[lo:hi].strip():
        return False
    words = after.split()
    return (
        len(words) <= 3
        and all(_HEADING_WORDS.fullmatch(w) for w in words)
        and (not after.endswith("."))
    )


def _radiotherapy_dose(
    text: str, m: Mention, gy: list[re.Match[str]], nxt: int, lo: int, attrs: dict[str, str]
) -> None:
    near = [g for g in gy if m.start - 60 <= g.start() < nxt]
    if not near:
        return
    g = min(near, key=lambda g: abs(g.start() - m.end))
    attrs["dose_gy"] = g.group("gy")
    fx = g.group("fx")
    if not fx:
        f = _FRACTIONS.search(text, g.end(), min(len(text), g.end() + 30))
        fx = f.group("fx") if f else None
    if fx:
        attrs["fractions"] = fx
    attrs["dose"] = f"{g.group('gy')} Gy" + (f" in {fx} fractions" if fx else "")


def _bare_radiotherapy(p: _Page, gy: list[re.Match[str]]) -> None:
    """A dose in Gy with its fractions is radiotherapy even when the word is missing."""
    for g in gy:
        if not g.group("fx"):
            continue
        attrs = {
            "class": "radiotherapy",
            "dose_gy": g.group("gy"),
            "fractions": g.group("fx"),
            "dose": f"{g.group('gy')} Gy in {g.group('fx')} fractions",
        }
        _fact(
            p,
            g.span(),
            "radiotherapy",
            "radiotherapy",
            "treatment.radiotherapy_dose",
            attributes=attrs,
        )


def _claimed(between: list[Mention]) -> bool:
    """Whether a mention between a treatment and a date makes the date its own
    (a response, a scan, a diagnosis...): start/end words do not."""
    for m in between:
        for t in m.terms:
            if t.cat in ("response", "imaging", "lab"):
                return True
            if t.cat == "cue" and t.kind not in ("treatment_start", "treatment_end"):
                return True
    return False


def _assign_dates(
    p: _Page, lo: int, hi: int, owners: list[Mention]
) -> dict[int, list[tuple[str, DateMatch]]]:
    """Each date of the sentence goes to the treatment written just before it
    ("FEC-T from 01/04/2023"), or to the first one shortly after it ("On 12/03/2023
    she had a mastectomy"); the words before the date say start, end or date."""
    text = p.text
    out: dict[int, list[tuple[str, DateMatch]]] = {}
    dates = p.dates_in(lo, hi)
    for i, d in enumerate(dates):
        row = text.rfind("\n", 0, d.start) + 1
        if _ROW_LEAD.match(text, row, d.start):
            # a date opening its row ("5 Dec 2025 | radiotherapy") dates that row only
            before = [m for m in owners if row <= m.start and m.end <= d.start]
        else:
            before = [m for m in owners if m.end <= d.start]
        if before:
            owner = before[-1]
            if _claimed(p.mentions_in(owner.end, d.start)):
                continue  # "R-CHOP ..., complete response on PET-CT 15/07/2022"
        else:
            after = [m for m in owners if m.start >= d.end and m.start - d.end <= 60]
            if not after:
                continue
            owner = after[0]
        lead = text[max(lo, owner.end if owner.end <= d.start else lo, d.start - 30) : d.start]
        prev_range = i > 0 and re.fullmatch(
            r"\s*(?:-|–|to|until|till)\s*", text[dates[i - 1].end : d.start]
        )
        next_range = i + 1 < len(dates) and re.fullmatch(
            r"\s*(?:-|–|to|until|till)\s*", text[d.end : dates[i + 1].start]
        )
        cycle = _CYCLE_LEAD.search(lead)
        if cycle and not next_range and not prev_range:
            key = f"cycle:{cycle.group('n')}"
        elif next_range:
            key = "start_date"
        elif prev_range or _END_CUE.search(lead):
            key = "end_date"
        elif _START_CUE.search(lead):
            key = "start_date"
        else:
            key = "date"
        out.setdefault(owner.start, []).append((key, d))
    return out


# ------------------------------------------------------------------ responses
@lru_cache(maxsize=1)
def _toxicity_words() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The words that make a response word a toxicity's (knowledge/treatments.yaml)."""
    words = load("treatments")["response_of_toxicity"]

    def alt(key: str) -> str:
        found = sorted((str(w) for w in words[key]), key=len, reverse=True)
        return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in found)

    return (
        re.compile(rf"(?i)\b(?:{alt('before')})[-\s]+$"),
        re.compile(rf"(?i)[-\s]+(?:\w+[-\s]+)?(?:{alt('after')})\b"),
    )


def _responses(p: _Page) -> None:
    text = p.text
    toxicity_before, toxicity_after = _toxicity_words()
    for m in p.mentions:
        term = m.first("response")
        if term is None:
            continue
        if toxicity_before.search(text, max(0, m.start - 30), m.start) or toxicity_after.match(
            text, m.end
        ):
            continue  # "steroid-refractory colitis": the toxicity's, not the cancer's
        if term.ambiguous:
            window = text[max(0, m.start - 40) : m.end + 40]
            if not _RESPONSE_WORDS.search(window.replace(m.text, " ")):
                continue
        lo, hi = sentence_bounds(text, m.start, m.end)
        attrs: dict[str, str] = {}
        imaging = [
            x for x in p.mentions_in(lo, hi) if x.first("imaging") and not x.first("response")
        ]
        if imaging:
            near = min(imaging, key=lambda x: abs(x.start - m.start))
            attrs["imaging"] = near.text
        dates = p.dates_in(lo, hi)
        if dates:
            later = [x for x in dates if x.start >= m.end]
            d = later[0] if later else dates[-1]
            attrs["date"] = d.iso
            attrs["date_precision"] = d.precision
        dv = _DEAUVILLE.search(text, lo, hi)
        if dv:
            attrs["deauville"] = dv.group("d")
        _fact(p, (m.start, m.end), "response", term.value, "response", attributes=attrs)
