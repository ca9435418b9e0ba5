"""The emergency screen's rules: knowledge/red_flags.yaml compiled once.

A phrase list becomes one regular expression. Phrases are case-insensitive except
acronyms written without a lower-case letter ("PE", "MSCC", "C3D8"), which keep their
case so that "pe" in a word or "T" of a TNM stage do not fire. A phrase that starts with
a Latin letter or digit starts at a word; a Chinese phrase may start anywhere.

Contexts (`sact`, `checkpoint`, `cellular`, ...) also take their drugs from the knowledge
base itself: every drug of drugs.yaml in `drug_classes`, every regimen when `regimens`
is true, and their Chinese names from terminology_zh.yaml, so a new drug needs no second
list here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from casebridge.engine.extract.context import term_key
from casebridge.engine.kb import load

_ESCAPES = re.compile(r"\\[a-zA-Z]")
_LATIN_START = re.compile(r"[A-Za-z0-9]")


def _is_acronym(phrase: str) -> bool:
    letters = [c for c in _ESCAPES.sub("", phrase) if c.isascii() and c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def _wrap(phrase: str) -> str:
    body = f"(?-i:{phrase})(?![a-z])" if _is_acronym(phrase) else f"(?:{phrase})"
    plain = phrase.lstrip("(?:")
    if plain and _LATIN_START.match(plain):
        return r"(?<![A-Za-z0-9])" + body
    return body


def compile_phrases(phrases: Iterable[str] | None) -> re.Pattern[str] | None:
    """One pattern for a list of phrases (regular expressions); None for no phrase."""
    parts = [_wrap(str(p)) for p in phrases or [] if str(p).strip()]
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)


@lru_cache(maxsize=1)
def _symptoms() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """(English forms, Chinese forms) of the terminology table's symptoms."""
    out = []
    for term in load("terminology_zh")["categories"].get("symptom") or []:
        english = tuple(str(e) for e in [term["en"], *(term.get("syn") or [])])
        chinese = tuple(str(c) for c in [term["zh"], *(term.get("alt") or [])])
        out.append((english, chinese))
    return tuple(out)


def compile_group(phrases: Iterable[str] | None) -> re.Pattern[str] | None:
    """A phrase group with the Chinese forms of every terminology symptom whose English
    form the group's phrases match as a whole ("fever\\w*" matches "fever": 发热, 发烧)."""
    listed = [str(p) for p in phrases or []]
    english = compile_phrases(listed)
    if english is None:
        return None
    extra = [
        re.escape(zh)
        for forms, chinese in _symptoms()
        if any(english.fullmatch(f) for f in forms)
        for zh in chinese
    ]
    return compile_phrases([*listed, *sorted(set(extra), key=lambda x: (-len(x), x))])


@dataclass
class Numeric:
    labels: re.Pattern[str]
    unit: str = ""
    above: float | None = None
    below: float | None = None
    low: float = float("-inf")  # a value outside [low, high] is not this measurement
    high: float = float("inf")


@dataclass
class Count:
    labels: re.Pattern[str]
    low: float
    high: float


@dataclass
class Score:
    """An early-warning score over several observations (NEWS2): each part's reading
    scores the points of its band; the rule holds at `min_total` or more from at least
    `min_parts` observations."""

    parts: list[tuple[Numeric, list[tuple[float, int]]]]
    min_total: int
    min_parts: int


@dataclass
class Rule:
    id: str
    requires: str = ""
    any: re.Pattern[str] | None = None
    all_of: list[re.Pattern[str]] = field(default_factory=list)
    numeric: list[Numeric] = field(default_factory=list)
    counts: list[Count] = field(default_factory=list)
    doc_types: tuple[str, ...] = ()
    score: Score | None = None


@dataclass
class Flag:
    id: str
    category: str
    level: str
    label: str
    source: str
    advice: str
    doc_types: tuple[str, ...]
    rules: list[Rule]
    # cues this flag reads through: suicidal thoughts said conditionally still count
    through: frozenset[str] = frozenset()
    # a red rule only partly met (one sign stated, the other denied): "amber", or "none"
    # where the first sign says nothing alone (a line site is no symptom)
    partly: str = "amber"


@dataclass
class Context:
    id: str
    terms: re.Pattern[str] | None
    drugs: frozenset[str]  # term_key of drug / regimen names (English, any case)
    case_kinds: tuple[str, ...]
    intake: str
    programmes: tuple[str, ...]


@dataclass
class Rules:
    version: int
    recent_days: int
    window: int
    advice: dict[str, str]
    letter_types: tuple[str, ...]
    cues: dict[str, re.Pattern[str] | None]
    contexts: dict[str, Context]
    flags: list[Flag]

    def flag(self, flag_id: str) -> Flag | None:
        return next((f for f in self.flags if f.id == flag_id), None)


# A measurement whose value falls outside these is not that measurement ("T2" is no
# temperature, "sats 9" a typo); Fahrenheit and mg/dL are converted before the test.
_UNIT_RANGE = {
    "temperature": (34.0, 43.0),
    "percent": (50.0, 100.0),
    "rate": (5.0, 250.0),
    "pressure": (40.0, 260.0),
    "count": (0.0, 2000.0),
    "mmol": (0.5, 12.0),
    "mmol_na": (90.0, 190.0),
    "glucose": (0.5, 100.0),
    "enzyme": (1.0, 50000.0),
    "umol": (1.0, 2000.0),
    "urate": (30.0, 3000.0),  # umol/L, from mmol/L or mg/dL
}


def _lab_names(analyte: str) -> list[str]:
    """The English aliases of a labs.yaml analyte and its Chinese names."""
    names: list[str] = []
    for lab in load("labs").get("labs") or []:
        if lab.get("name") == analyte:
            names += [str(a) for a in [lab["name"], *(lab.get("aliases") or [])]]
    for term in load("terminology_zh")["categories"].get("lab") or []:
        english = [term.get("en", ""), *(term.get("syn") or [])]
        if any(term_key(str(e)) == term_key(analyte) for e in english):
            names += [term["zh"], *(term.get("alt") or [])]
    return [re.escape(n) for n in names if n]


def _numeric(spec: dict[str, Any]) -> Numeric:
    labels = [str(x) for x in spec.get("labels") or []]
    if spec.get("analyte"):
        labels += _lab_names(str(spec["analyte"]))
    unit = str(spec.get("unit", ""))
    low, high = _UNIT_RANGE.get(unit, (float("-inf"), float("inf")))
    # longest first, and a label never ends inside a word ("Ca" is not the start of
    # "Calcium"): the regex then tries the other labels at the same place
    ordered = compile_phrases(sorted(set(labels), key=lambda x: (-len(x), x)))
    assert ordered is not None, f"a numeric rule needs labels: {spec}"
    pattern = re.compile(f"(?:{ordered.pattern})(?![A-Za-z])", re.IGNORECASE)
    return Numeric(
        labels=pattern,
        unit=unit,
        above=float(spec["above"]) if "above" in spec else None,
        below=float(spec["below"]) if "below" in spec else None,
        low=max(low, float(spec.get("min", low))),
        high=min(high, float(spec.get("max", high))),
    )


def _rule(spec: dict[str, Any]) -> Rule:
    return Rule(
        id=str(spec["id"]),
        requires=str(spec.get("requires", "")),
        any=compile_group(spec.get("any")),
        all_of=[p for p in (compile_group(g) for g in spec.get("all_of") or []) if p],
        numeric=[_numeric(n) for n in spec.get("numeric") or []],
        counts=[
            Count(
                labels=compile_group(c["labels"]) or re.compile("(?!)"),
                low=float(c.get("min", 1)),
                high=float(c.get("max", 1e9)),
            )
            for c in spec.get("counts") or []
        ],
        doc_types=tuple(spec.get("doc_types") or ()),
        score=_score(spec["score"]) if spec.get("score") else None,
    )


def _score(spec: dict[str, Any]) -> Score:
    parts = [
        (_numeric(part), [(float(bound), int(points)) for bound, points in part["bands"]])
        for part in spec["parts"]
    ]
    return Score(parts, int(spec["min_total"]), int(spec.get("min_parts", 1)))


def _drug_names(spec: dict[str, Any]) -> tuple[frozenset[str], list[str]]:
    """(keys of the English drug and regimen names, Chinese names) of a context."""
    drugs = load("drugs")
    classes = set(spec.get("drug_classes") or [])
    english: set[str] = {str(d) for d in spec.get("drugs") or []}
    for d in drugs.get("drugs") or []:
        if d.get("class") in classes:
            english |= {str(a) for a in [d["name"], *(d.get("aliases") or [])]}
    in_classes = {str(d["name"]) for d in drugs.get("drugs") or [] if d.get("class") in classes}
    for r in drugs.get("regimens") or []:
        # every regimen for `regimens: true`; otherwise those with a drug of the classes
        # ("ipilimumab and nivolumab" is a checkpoint-inhibitor regimen)
        if spec.get("regimens") or in_classes & set(r.get("components") or []):
            english |= {str(a) for a in [r["name"], *(r.get("aliases") or [])]}
    keys = frozenset(term_key(e) for e in english)
    chinese: list[str] = []
    for term in load("terminology_zh")["categories"].get("drug") or []:
        forms = [term.get("en", ""), *(term.get("syn") or [])]
        if any(term_key(str(f)) in keys for f in forms):
            chinese += [str(term["zh"]), *(str(a) for a in term.get("alt") or [])]
    return keys, [re.escape(c) for c in chinese if c]


def _context(cid: str, spec: dict[str, Any]) -> Context:
    keys, chinese = _drug_names(spec)
    return Context(
        id=cid,
        terms=compile_phrases([*(spec.get("terms") or []), *chinese]),
        drugs=keys,
        case_kinds=tuple(spec.get("case_kinds") or ()),
        intake=str(spec.get("intake", "")),
        programmes=tuple(spec.get("programmes") or ()),
    )


@lru_cache(maxsize=1)
def rules() -> Rules:
    data: dict[str, Any] = load("red_flags")
    if int(data.get("version", 1)) < 2:
        raise ValueError("knowledge/red_flags.yaml must be version 2 (levels, rules, contexts)")
    letter_types = tuple(data.get("letter_types") or ())
    flags = []
    for spec in data.get("flags") or []:
        flags.append(
            Flag(
                id=str(spec["id"]),
                category=str(spec.get("category") or spec["id"]),
                level=str(spec.get("level", "red")),
                label=str(spec.get("label", spec["id"])),
                source=" ".join(str(spec.get("source", "")).split()),
                advice=" ".join(str(spec.get("advice", "")).split()),
                doc_types=tuple(spec.get("doc_types") or letter_types),
                rules=[_rule(r) for r in spec.get("rules") or []],
                through=frozenset(spec.get("reads_through") or ()),
                partly=str(spec.get("when_partly_met") or "amber"),
            )
        )
    advice = {k: " ".join(str(v).split()) for k, v in (data.get("advice") or {}).items()}
    return Rules(
        version=int(data["version"]),
        recent_days=int(data.get("recent_days", 14)),
        window=int(data.get("window", 160)),
        advice=advice,
        letter_types=letter_types,
        cues={k: compile_phrases(v) for k, v in (data.get("cues") or {}).items()},
        contexts={k: _context(k, v) for k, v in (data.get("contexts") or {}).items()},
        flags=flags,
    )
