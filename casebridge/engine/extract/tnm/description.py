"""What the report's description says, for inferring a category nobody wrote: the organ it
is about, whether a finding is stated, negated or hedged, and the tumour's size; and
`Inferred`, the result of an inference.

Separate from the site rules (infer_t) and node counts (nodes), which both read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from casebridge.engine.extract.tnm.knowledge import _KB, _kb, _lower


def detect_organ(text: str) -> str | None:
    """The organ the report is about, when the lexicon makes it clear; else None."""
    kb = _kb()
    counts: dict[str, int] = {}
    for m in kb.organ_regex.finditer(_lower(text)):
        key = " ".join(m.group(0).lower().split())
        counts[key] = counts.get(key, 0) + 1
    scores = dict.fromkeys(kb.organ_names, 0.0)
    for key, count in counts.items():
        for organ, weight in kb.organ_terms.get(key, []):
            scores[organ] += weight * min(count, 5)  # a term repeated often counts 5 times
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= kb.organ_min and top >= kb.organ_margin * second:
        return best
    return None


# A clause ends at ". " before a capital (OCR line breaks also became ". "), a semicolon,
# ", but", or a checklist field's label ("Focality: Not specified
# Laterality: Bilateral Extraprostatic extension: Present": the "not" answers Focality).
_CLAUSE_END = re.compile(r"[.;]\s+(?=[A-Z])|;|,\s*but\b|[A-Za-z)]\s?:\s")


# A negated verb whose objects run on as a list: "Tumor does not invade into the
# perinephric adipose tissue, renal sinus or the renal vein" negates all three.
_NEG_VERB = re.compile(
    r"(?<![A-Za-z])(?:does|do|did|is|are|was|were)?\s*(?:not|no longer)\s+(?:\w+\s+){0,2}?"
    r"(?:invad|involv|extend|infiltrat|penetrat)\w*|(?<![A-Za-z])without\s+(?:\w+\s+){0,2}?"
    r"(?:invasion|involvement|extension)\s+(?:of|into)",
    re.IGNORECASE,
)


_LIST_BREAK = re.compile(
    r"\b(?:but|however|although|though|except|yet|while|whereas)\b"
    r"|\b(?:invad|involv|infiltrat|penetrat)(?:es|ed|ing)\b|\bextend(?:s|ed|ing)\b",
    re.IGNORECASE,
)


_LIST_WINDOW = 120


def _clause_before(text: str, start: int, width: int) -> str:
    """Up to `width` characters before `start`, from the last clause end on. The phrase's
    first character is in view, so that "absent. 7. Portal vein invasion" ends a clause."""
    lo = max(0, start - width)
    cuts = [m.end() for m in _CLAUSE_END.finditer(text, lo, start + 1) if m.end() <= start]
    return text[cuts[-1] if cuts else lo : start]


def _absent(kb: _KB, text: str, start: int, end: int) -> bool:
    """True when the phrase at [start, end) is stated absent (negated): a negation cue
    shortly before it in its clause, a negated verb it is listed after, or a negative
    answer right after it."""
    if kb.neg_before.search(_clause_before(text, start, kb.neg_window)):
        return True
    clause = _clause_before(text, start, _LIST_WINDOW)
    last = None
    for found in _NEG_VERB.finditer(clause):
        last = found
    if last is not None and not _LIST_BREAK.search(clause, last.end()):
        return True
    return kb.neg_after.match(text, end) is not None


# A finding stated with doubt is not a finding: "The lesion appears to extend into the
# parametrium" (a gross impression the microscopy may not confirm).
_HEDGED_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:appears?|appearing|seems?|suspicious|suspected|possibl[ey]|probabl[ey]"
    r"|questionabl[ey]|equivocal|cannot be (?:ruled out|excluded)|may|might|likely)"
    r"(?![A-Za-z])(?:\W+\w+){0,4}?\W*$",
    re.IGNORECASE,
)


def _unknown(kb: _KB, text: str, end: int) -> bool:
    """True when the phrase ending at `end` is a field answered "not specified" or the like."""
    return kb.unknown_after.match(text, end) is not None


def _present(kb: _KB, regex: str, text: str) -> re.Match[str] | None:
    for m in kb.rule_patterns[regex].finditer(_lower(text)):
        if not _absent(kb, text, m.start(), m.end()) and not _unknown(kb, text, m.end()):
            return m
    return None


def _asserted(kb: _KB, regex: str, text: str) -> re.Match[str] | None:
    """Like _present, but an empty checklist field ("Seminal vesicle invasion:") does not
    count: the finding needs a verb, a positive answer after it, or a positive word before."""
    for m in kb.rule_patterns[regex].finditer(_lower(text)):
        if _absent(kb, text, m.start(), m.end()) or _unknown(kb, text, m.end()):
            continue
        if _HEDGED_BEFORE.search(_clause_before(text, m.start(), 40)):
            continue
        if _IN_SITU.search(_lower(_clause_before(text, m.start(), 80))):
            continue  # "in situ carcinoma involving the vagina": T is by the invasive tumour
        if (
            kb.verb.search(m.group(0))
            or kb.pos_after.match(text, m.end())
            or kb.pos_before.search(text, max(0, m.start() - 30), m.start())
        ):
            return m
    return None


def _find(kb: _KB, item: dict[str, Any], text: str) -> re.Match[str] | None:
    if item.get("assert"):
        return _asserted(kb, item["phrase"], text)
    return _present(kb, item["phrase"], text)


def _all_absent(kb: _KB, regexes: list[str], text: str) -> bool:
    """Each phrase is mentioned, and every mention is stated absent."""
    if not regexes:
        return False
    for regex in regexes:
        ms = list(kb.rule_patterns[regex].finditer(_lower(text)))
        if not ms or not all(_absent(kb, text, m.start(), m.end()) for m in ms):
            return False
    return True


def _main(value: str) -> str:
    return value[:2] if value[:2] in ("T1", "T2", "T3", "T4", "N0", "N1", "N2", "N3") else value


def _table(rows: list[list[Any]], x: float) -> str | None:
    for limit, cat in rows:
        if x <= float(limit):
            return str(cat)
    return None


def _num(raw: str) -> float:
    return float(raw.replace(",", "."))


def _largest_cm(g: re.Match[str]) -> float | None:
    """The largest dimension in cm; None for an OCR-damaged group (a zero dimension)."""
    dims = [_num(d) for d in re.split(r"\s*(?:[xX×]|by|BY)\s*", g.group("nums"))]
    if not dims or min(dims) <= 0:
        return None
    size = max(dims) / (10.0 if g.group("unit").lower() == "mm" else 1.0)
    return size if size <= 40 else None


_SIZE_LIST = re.compile(r"\s*(?:,|;|and)\s*")


def _sizes_cm(kb: _KB, text: str) -> list[tuple[float, int, int]]:
    """Tumour sizes (cm) after a size label, with their span; invasive-size labels win."""
    found: list[tuple[float, int, int, bool]] = []
    for lab in kb.size_label.finditer(_lower(text)):
        window = text[lab.end() : lab.end() + kb.size_window]
        digit = re.search(r"\d", window)
        # The first number after the label is the size; a later one is something else.
        g = kb.number_group.match(window, digit.start()) if digit else None
        if not g:
            continue
        size = _largest_cm(g)
        if size is None:
            continue
        end = g.end()
        while True:  # "Tumor size: 3.4 x 2.9 x 1.9 cm, 0.9 x 0.6 x 0.6 cm": the largest counts
            more = _SIZE_LIST.match(window, end)
            nxt = kb.number_group.match(window, more.end()) if more else None
            if not nxt:
                break
            other = _largest_cm(nxt)
            if other is None:
                break
            size, end = max(size, other), nxt.end()
        invasive = bool(kb.size_invasive_label.search(lab.group(0)))
        found.append((size, lab.start(), lab.end() + end, invasive))
    if any(f[3] for f in found):
        found = [f for f in found if f[3]]
    if not found:
        found = _invasive_sizes(kb, text)
    if not found and not kb.narrative_multi.search(_lower(text)):
        low = _lower(text)
        for lab in kb.narrative_size.finditer(low):
            if kb.narrative_not.search(low, lab.start(), lab.start("nums")):
                continue
            if _IN_SITU.search(low, max(0, lab.start() - 25), lab.start("nums")):
                continue  # "invasive and in situ carcinoma measures ...": not the invasive size
            if kb.size_not_after.match(low, lab.end()):
                continue  # "carcinoma is 6 mm from the margin": a distance
            size = _largest_cm(lab)
            if size is not None:
                found.append((size, lab.start(), lab.end(), False))
        if len({f[0] for f in found}) > 1:
            return []  # several tumours described in prose: which is the index one is unclear
    return [(s, a, b) for s, a, b, _ in found]


_IN_SITU = re.compile(r"in situ|dcis|intraductal")


def _invasive_sizes(kb: _KB, text: str) -> list[tuple[float, int, int, bool]]:
    """Sizes of the invasive carcinoma written in prose (ajcc_t_rules.yaml `invasive_size`);
    the largest counts, so only it is returned."""
    low = _lower(text)
    found: list[tuple[float, int, int, bool]] = []
    for rx in kb.invasive_size:
        for m in rx.finditer(low):
            if "in situ" in m.group(0) or "dcis" in m.group(0):
                continue
            if kb.size_not_after.match(low, m.end()):
                continue
            dims = [_num(d) for d in re.split(r"\s*(?:[x×]|by)\s*", m.group("nums"))]
            if not dims or min(dims) <= 0:
                continue
            size = max(dims) / (10.0 if m.group("unit") == "mm" else 1.0)
            if size <= 40:
                found.append((size, m.start(), m.end(), True))
    return [max(found)] if found else []


@dataclass(frozen=True)
class Inferred:
    kind: str
    value: str
    start: int
    end: int
    rule: str
    why: str

    @classmethod
    def t_at(cls, value: str, m: re.Match[str], rule: str, why: str) -> Inferred:
        """A T category inferred from the words at one match."""
        return cls("t_category", value, m.start(), m.end(), rule, why)
