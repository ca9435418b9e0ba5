"""The compiled TNM knowledge: every regular expression and table the TNM readers use, built
once from knowledge/tnm.yaml and knowledge/ajcc_t_rules.yaml at first use.

Separate because every other module of the package reads it and none of them owns it; the
pattern-building helpers (`_alts`, `_lc`, `_lower`) live here with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.kb import fact_kinds, load


def _alts(terms: list[str], *, escape: bool = True) -> str:
    items = sorted(terms, key=len, reverse=True)
    if escape:
        items = [re.escape(t).replace(r"\ ", r"\s+") for t in items]
    return "|".join(items)


_UPPER_OUTSIDE_ESCAPE = re.compile(r"(?<!\\)[A-Z]")


def _lc(regex: str) -> re.Pattern[str]:
    """A case-insensitive pattern for lower-cased text (see `_lower`). Scanning lower-cased
    text without re.IGNORECASE is several times faster; a pattern that names capitals
    itself keeps the flag."""
    if _UPPER_OUTSIDE_ESCAPE.search(regex.replace("(?<![A-Za-z])", "")):
        return re.compile(regex, re.IGNORECASE)
    return re.compile(regex.replace("(?<![A-Za-z])", "(?<![a-z])"))


@lru_cache(maxsize=8)
def _lower(text: str) -> str:
    """The text lower-cased with every character kept at its offset."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


@dataclass(frozen=True)
class _KB:
    t_token: re.Pattern[str]
    n_after: re.Pattern[str]
    m_after: re.Pattern[str]
    n_token: re.Pattern[str]
    m_token: re.Pattern[str]
    staging_context: re.Pattern[str]
    not_staging_after: re.Pattern[str]
    context_window: int
    stage: re.Pattern[str]
    stage_not_cancer: re.Pattern[str]
    stage_prefix: tuple[tuple[str, re.Pattern[str]], ...]
    stage_time: re.Pattern[str]  # groups: skip (not_recurrence), rec, init
    edition: re.Pattern[str]
    ordinals: dict[str, str]
    years: dict[str, str]
    values: dict[str, frozenset[str]]
    organ_regex: re.Pattern[str]
    organ_terms: dict[str, list[tuple[str, float]]]
    organ_names: tuple[str, ...]
    organ_min: float
    organ_margin: float
    rules: dict[str, dict[str, Any]]
    rule_patterns: dict[str, re.Pattern[str]]
    size_label: re.Pattern[str]
    size_invasive_label: re.Pattern[str]
    size_window: int
    narrative_size: re.Pattern[str]
    invasive_size: tuple[re.Pattern[str], ...]
    size_not_after: re.Pattern[str]
    narrative_not: re.Pattern[str]
    narrative_multi: re.Pattern[str]
    number_group: re.Pattern[str]
    neg_before: re.Pattern[str]
    neg_after: re.Pattern[str]
    neg_window: int
    pos_after: re.Pattern[str]
    unknown_after: re.Pattern[str]
    pos_before: re.Pattern[str]
    verb: re.Pattern[str]
    node_ratio: re.Pattern[str]
    node_of: re.Pattern[str]
    node_word: re.Pattern[str]
    node_window: int
    node_fields: tuple[re.Pattern[str], re.Pattern[str]]  # involved, examined (lower case)
    node_field_gap: int
    node_ratio_not_after: re.Pattern[str]
    n_station_after: re.Pattern[str]
    number_words: dict[str, int]
    n_rules: dict[str, list[list[Any]]]
    undated_edition: str | None


# A size in lower-cased text: "2.1 cm", "2.1 x 1.5 x 1.0 cm", "9.0 by 8.5 by 4.0 cm".
_NUM_LC = (
    r"(?<![\d.])(?P<nums>\d{1,3}(?:[.,]\d{1,2})?(?:\s*(?:[x×]|by)\s*\d{1,3}(?:[.,]\d{1,2})?){0,2})"
    r"\.?\s{0,2}(?P<unit>cm|mm)\b"
)


# Between categories: separators, a node count "(0/12)", or the residual-tumour class
# written inside the string ("pT3aR1NOMX": AJCC 8th ch. 1, R0-R2 and RX).
_SEP = (
    r"(?:[\s,;/:.\-]{0,4}(?:\(\d{1,3}\s*/\s*\d{1,3}\)[\s,;/.]{0,3})?"
    r"(?:R[012Xx][\s,;/]{0,2}(?=(?:p|c|yp)?N\s?[0-3XxOo]))?)"
)


@lru_cache(maxsize=1)
def _kb() -> _KB:
    tnm = load("tnm")
    rules = load("ajcc_t_rules")
    pre = _alts(list(tnm["prefixes"]))
    # "pTic": OCR i for 1, only before a substage letter (so "pTis" stays in situ).
    t_value = r"(?P<tv>is|IS|[0-4]|[Xx]|[lIO]|i(?=[a-c](?![a-z])))"
    # "pTlbl": OCR l for the substage digit too, only when a category or nothing follows.
    t_sub = (
        r"(?P<tsub>mi|[a-d](?:[12](?!\d)|[lI](?=[NnM\s,;.)]|$))?"
        r"|[A-D](?![A-Za-z])|[A-D](?=N\s?[0-3XxOo]))?"
    )
    t_sfx = r"(?P<tsfx>\s?\((?:m|\d{1,2}|multifocal|sn)\)|m(?![A-Za-z0-9]))?"
    # Upper-case "PT4" (all-capitals reports) only directly before the category digit.
    # After the category: nothing alphanumeric but a joined N or M ("pT2N0", "T2NOMX",
    # "T2pN0") or a grade ("pT3bG3"), so "TISSUE" is not Tis.
    t_token = re.compile(
        rf"(?<![A-Za-z0-9])(?P<tpre>{pre}|P(?=T[0-4X]))?T\s?{t_value}{t_sub}{t_sfx}"
        r"(?:(?=pN)|(?![a-z0-9]))(?![A-FH-LO-QS-Z])(?!G(?![1-4]))"
        r"(?!R(?![012Xx](?:p|c|yp)?N\s?[0-3XxOo]))"
    )
    n_core = (
        r"(?P<npre>yp|p|c)?N\s?(?P<nv>[0-3]|[Xx]|[Oo])"
        r"(?P<nsub>[a-c](?![a-z])|[A-C](?![A-Za-z]))?"
        r"(?P<nsfx>\s?\((?:i\+|i-|mi|sn|mol\+|mol-)\)|mi)?"
    )
    m_core = r"(?P<mpre>p|c)?M\s?(?P<mv>[01]|[Xx]|[Oo])(?P<msub>[a-d](?![a-z]))?"
    n_after = re.compile(
        _SEP
        + n_core.replace("(?P<nv>", r"(?P<nv>[Il](?=(?:p|c)?M\s?[01XxOo](?![A-Za-z0-9]))|")
        + r"(?![a-z0-9])(?![A-LN-Z])"
    )
    m_after = re.compile(_SEP + m_core + r"(?![A-Za-z0-9])")
    n_token = re.compile(r"(?<![A-Za-z0-9])" + n_core + r"(?![A-Za-z0-9])")
    # "M 1 X": a digit and an X side by side is OCR noise, not a category.
    m_token = re.compile(r"(?<![A-Za-z0-9])" + m_core + r"(?![A-Za-z0-9])(?!\s?[Xx](?![A-Za-z]))")

    staging_context = re.compile(
        r"(?<![a-z])(?:" + _alts(list(tnm["staging_context"])) + r")", re.IGNORECASE
    )
    not_staging_after = re.compile("(?:" + "|".join(tnm["not_staging_after"]) + ")", re.IGNORECASE)
    stage_words = _alts(list(tnm["stage_words"]))
    stage = _lc(  # run on lower-cased text; the value is read from the original
        rf"(?<![a-z])(?:{stage_words.lower()})\s*[:.\-]?\s*(?:is\s+)?"
        r"(?P<sg>iv|i{1,3}|0)\s?(?P<ss>[abc][1-3]?)?(?![a-z0-9])"
    )
    stage_prefix = tuple(
        (p, re.compile(r"(?:" + _alts(list(words)) + r")\s*$", re.IGNORECASE))
        for p, words in tnm["stage_prefix_words"].items()
    )
    stage_not_cancer = re.compile(
        r"\b(?:" + _alts(list(tnm["stage_not_cancer"])) + r")", re.IGNORECASE
    )
    timing = tnm["stage_recurrence"]
    stage_time = re.compile(
        r"(?<![A-Za-z])(?:(?P<skip>" + _alts(list(timing["not_recurrence"])) + r")"
        r"|(?P<rec>" + _alts(list(timing["recurrence"])) + r")"
        r"|(?P<init>" + _alts(list(timing["initial"])) + r"))(?![A-Za-z])",
        re.IGNORECASE,
    )
    ord_words = _alts(list(tnm["editions"]["ordinals"]))
    edition = _lc(  # run on lower-cased text; the system word is looked up behind it
        rf"(?<![a-z0-9])(?P<ord>{ord_words.lower()})(?:st|nd|rd|th)?\s*(?:ed\.|edition|ed\b)"
        r"|ajcc\s*\(?(?P<year>(?:19|20)\d\d)(?!\d)"
    )
    kinds = fact_kinds()
    values = {k: frozenset(kinds[k].get("values", [])) for k in ("t_category", "n_category")}
    values["m_category"] = frozenset(kinds["m_category"].get("values", []))

    organ_terms: dict[str, list[tuple[str, float]]] = {}
    for name, spec in rules["organs"].items():
        for term, weight in spec["terms"].items():
            if float(weight) > 0:
                key = " ".join(str(term).lower().split())
                organ_terms.setdefault(key, []).append((name, float(weight)))
    organ_regex = _lc(r"\b(?:" + _alts(list(organ_terms)) + r")")
    rule_patterns: dict[str, re.Pattern[str]] = {}

    def pat(regex: str) -> re.Pattern[str]:
        if regex not in rule_patterns:
            rule_patterns[regex] = _lc(r"(?<![A-Za-z])(?:" + regex + r")")
        return rule_patterns[regex]

    extent_label = str(rules.get("extent_label", ""))
    rule_specs: dict[str, dict[str, Any]] = {}
    for name, spec in rules["rules"].items():
        spec = dict(spec)
        if extent_label and spec.get("levels"):
            spec["levels"] = [
                dict(lv, phrase=f"{lv['phrase']}|{extent_label}(?:{lv['extent']})")
                if lv.get("extent")
                else lv
                for lv in spec["levels"]
            ]
        rule_specs[name] = spec
    for spec in rule_specs.values():
        for key in (
            "block",
            "block_8th",
            "size_block",
            "requires",
            "confined_phrases",
            "confined_absent",
            "labels",
        ):
            for regex in spec.get(key, []):
                pat(regex)
        for key in ("at_least", "levels", "present"):
            for item in spec.get(key, []):
                pat(item["phrase"])
        for key in ("lbd_labels", "thickness_labels", "doi_labels"):
            for regex in spec.get(key, []):
                pat(regex)
        for fact in spec.get("facts", {}).values():
            for regex in fact.values():
                pat(regex)
        confined = spec.get("confined")
        if confined:
            for regex in confined["absent"] + confined["or_phrases"]:
                pat(regex)

    labels = list(rules["size_labels"])
    size_label = _lc(r"(?<![A-Za-z])(?:" + "|".join(labels) + r")")
    size_invasive_label = re.compile(r"invasive", re.IGNORECASE)
    number_group = re.compile(
        r"(?<![\d.])(?P<nums>\d{1,3}(?:[.,]\d{1,2})?(?:\s*[xX×]\s*\d{1,3}(?:[.,]\d{1,2})?){0,2})"
        r"\.?\s{0,2}(?P<unit>cm|mm)\b",
        re.IGNORECASE,
    )
    neg_before = re.compile(
        r"(?<![A-Za-z])(?:" + _alts(list(rules["negation_before"])) + r")(?![A-Za-z])",
        re.IGNORECASE,
    )

    def answer_after(words: str) -> re.Pattern[str]:
        """The answer right after a finding: "LVI (focal): not identified", "is present"."""
        return re.compile(
            r"\s*(?:\([^)]{0,20}\))?\s*[:\-.,]*\s*(?:(?:is|are|was|were)\s+)?(?:"
            + _alts(list(rules[words]))
            + r")(?![A-Za-z])",
            re.IGNORECASE,
        )

    neg_after = answer_after("negation_after")
    pos_after = answer_after("positive_after")
    unknown_after = answer_after("unknown_after")
    pos_before = re.compile(
        r"(?<![A-Za-z])(?:" + "|".join(rules["positive_before"]) + r")\W{0,3}$", re.IGNORECASE
    )
    words = {str(k).lower(): int(v) for k, v in tnm["number_words"].items()}
    num = r"(?:\d{1,3}|" + _alts(list(words)) + r")"
    node_ratio = re.compile(r"(?<![\d/.])(?P<pos>\d{1,2})\s*/\s*(?P<tot>\d{1,3})(?![\d/])")
    node_of = _lc(  # run on lower-cased text
        rf"(?<![a-z\d])(?P<pos>{num.lower()})\s+(?:\(\d+\)\s+)?(?:of|out\s+of)\s+"
        rf"(?P<tot>{num.lower()})\s+(?:\(\d+\)\s+)?(?:[a-z]+\s+){{0,3}}?(?:lymph\s+)?nodes?\b"
    )
    node_word = re.compile(r"\b(?:lymph\s+nodes?|nodes?|LNs?)\b", re.IGNORECASE)
    answer = rf"\s*(?:\([^)]{{0,20}}\))?\s*[:=\-]?\s*(?P<n>\d{{1,3}}|o(?![a-z])|{_alts(list(words)).lower()})(?![\d/]|[.,]\d)"
    node_fields = tuple(
        _lc(r"(?<![a-z])(?:" + "|".join(tnm["node_fields"][part]) + r")" + answer)
        for part in ("involved", "examined")
    )
    return _KB(
        t_token=t_token,
        n_after=n_after,
        m_after=m_after,
        n_token=n_token,
        m_token=m_token,
        staging_context=staging_context,
        not_staging_after=not_staging_after,
        context_window=int(tnm["context_window"]),
        stage=stage,
        stage_not_cancer=stage_not_cancer,
        stage_prefix=stage_prefix,
        stage_time=stage_time,
        edition=edition,
        ordinals={str(k).lower(): str(v) for k, v in tnm["editions"]["ordinals"].items()},
        years={str(k): str(v) for k, v in tnm["editions"]["years"].items()},
        values=values,
        organ_regex=organ_regex,
        organ_terms=organ_terms,
        organ_names=tuple(rules["organs"]),
        organ_min=float(rules["organ_detection"]["min_score"]),
        organ_margin=float(rules["organ_detection"]["margin"]),
        rules=rule_specs,
        rule_patterns=rule_patterns,
        size_label=size_label,
        size_invasive_label=size_invasive_label,
        size_window=int(rules["size_window"]),
        narrative_size=_lc("(?:" + rules["narrative_size"] + r")\s*" + _NUM_LC),
        invasive_size=tuple(
            _lc("(?:" + r.replace("{num}", _NUM_LC) + ")") for r in rules["invasive_size"]
        ),
        size_not_after=_lc(rules["size_not_after"]),
        narrative_multi=_lc(rules["narrative_multi"]),
        narrative_not=re.compile(r"\b(?:" + rules["narrative_not"] + ")", re.IGNORECASE),
        number_group=number_group,
        neg_before=neg_before,
        neg_after=neg_after,
        neg_window=int(rules["negation_window"]),
        pos_after=pos_after,
        unknown_after=unknown_after,
        pos_before=pos_before,
        # Verb forms only: "Parametrial involvement:" is a checklist field, not a finding.
        verb=re.compile(
            r"\b(?:(?:invad|involv|infiltrat|penetrat)(?:es|ed|ing)|extend(?:s|ed|ing))\b",
            re.IGNORECASE,
        ),
        node_ratio=node_ratio,
        node_of=node_of,
        node_word=node_word,
        node_window=int(tnm["node_window"]),
        node_fields=(node_fields[0], node_fields[1]),
        node_field_gap=int(tnm["node_field_gap"]),
        node_ratio_not_after=_lc(r"(?:" + "|".join(tnm["node_ratio_not_after"]) + r")$"),
        n_station_after=_lc(str(tnm["n_station_after"])),
        number_words=words,
        n_rules={k: list(v) for k, v in rules["n_rules"].items()},
        undated_edition=rules.get("undated_edition"),
    )
