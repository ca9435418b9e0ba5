"""TNM staging: T, N and M categories, stage group and TNM edition.

Two ways a category is found:

* explicit: the report writes it ("pT2N0M0", "pT2 N1a MX", "Primary Tumor (pT): pT1c",
  OCR-damaged "pT2NOMX", "pTla"). A bare category without a prefix ("T2") is read only
  when it is joined to another category ("T2 N0") or near a staging word, so that
  "T2-weighted", "T12 vertebra" and "N2 gas" are never read.
* inferred: no category is written, the organ is clear, and the report's description
  settles the AJCC category (tumour size for breast, lung, kidney, thyroid; depth of
  invasion for colon, stomach, oesophagus, bladder; extension for prostate; Breslow
  thickness for melanoma; lymph-node counts for N). The rules live in
  knowledge/ajcc_t_rules.yaml; the words and OCR variants in knowledge/tnm.yaml.

Every category found becomes a Fact with attributes {"prefix", "method"}; `definitive()`
picks the one a clinician would report when several are written.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.kb import fact_kinds, load

# ---------------------------------------------------------------------------
# Compiled knowledge (built once, at first use)


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
# After a bare "NO"/"No" (OCR for N0): anything but a following English word.
_O_GUARD = (
    r"(?:(?=[\s,;/.]{0,3}(?:p|c)?M\s?[01XxOo](?![A-Za-z0-9]))"  # "NO Mx": an M category follows
    r"|(?![A-LN-Za-z0-9])(?!\s+[a-z])(?!\s+[A-Z]{3,})(?!\s+[A-Z][a-z]))"
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


# ---------------------------------------------------------------------------
# Explicit categories


@dataclass(frozen=True)
class Hit:
    """One category written in the text: kind, normalised value, span, prefix."""

    kind: str
    value: str
    start: int
    end: int
    prefix: str
    written: str
    rule: str
    inherited: bool = False  # the prefix was written once before the group, not on this one


_OCR_DIGIT = {"O": "0", "o": "0", "l": "1", "I": "1", "i": "1"}


def _digit(v: str) -> str:
    return _OCR_DIGIT.get(v, v)


def _normal(kb: _KB, kind: str, letter: str, main: str, sub: str, extra: str = "") -> str:
    """The closed-set value (fact_kinds.yaml): the most specific form that exists."""
    main = _digit(main)
    if main in ("X", "x"):
        return letter + "X"
    if main.lower() == "is":
        return "Tis"
    sub = sub.lower()
    sub = sub[:1] + sub[1:].replace("l", "1").replace("i", "1")  # "pTlbl": T1b1
    for candidate in (letter + main + sub + extra, letter + main + sub, letter + main + sub[:1]):
        if candidate in kb.values[kind]:
            return candidate
    return letter + main


def _prefix(raw: str | None) -> str:
    return (raw or "").lower()


_T_CORE = re.compile(r"T\s?[0-4XxlIOi]")
_N_CORE = re.compile(r"N\s?[0-3XxOo]")
_M_CORE = re.compile(r"M\s?[01XxOo]")


def _scan(full: re.Pattern[str], core: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """full.finditer(text), faster: `full` is tried only where its category letter (found by
    the literal-led `core`) stands, with up to two prefix characters before it."""
    out: list[re.Match[str]] = []
    last = 0
    for c in core.finditer(text):
        at = c.start()
        for pos in (at - 2, at - 1, at):
            if pos < last:
                continue
            m = full.match(text, pos)
            if m:
                out.append(m)
                last = m.end()
                break
    return out


_PADDING = re.compile(r"\s{2,}")


def _has_context(kb: _KB, text: str, start: int) -> bool:
    """A staging word within the context window before `start`. OCR of a form's columns
    pads lines with runs of spaces; a run counts as one space, as on the page."""
    window = kb.context_window
    if kb.staging_context.search(text, max(0, start - window), start):
        return True
    before = text[max(0, start - 8 * window) : start]
    if not _PADDING.search(before):
        return False
    return kb.staging_context.search(_PADDING.sub(" ", before)[-window:]) is not None


def explicit_hits(text: str) -> list[Hit]:
    """Every T, N and M category the text writes, in order. This is the finder that
    decides whether a report 'states' a category."""
    kb = _kb()
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for m in _scan(kb.t_token, _T_CORE, text):
        pre = _prefix(m.group("tpre"))
        tv = m.group("tv")
        if kb.not_staging_after.match(text, m.end()):
            continue
        run: list[Hit] = []
        pos = m.end()
        n = kb.n_after.match(text, pos)
        if n and n.group("nv") in "Oo" and not re.match(_O_GUARD, text[n.end() :]):
            n = None
        if n:
            run.append(_n_hit(kb, n, "tnm.explicit.run"))
            pos = n.end()
        mm = kb.m_after.match(text, pos) if n else None
        if mm:
            run.append(_m_hit(kb, mm, "tnm.explicit.run"))
        run = [_group_prefix(h, pre) for h in run]
        strong = pre in ("p", "yp", "yc", "c", "r") or bool(run) or bool(m.group("tsfx"))
        if not strong and _DEFINED_BARE.match(text, m.end()):
            strong = True  # "Extension: T3, Tumor extends beyond the pancreas"
        if not strong and _NOS.match(text, m.end()):
            strong = True  # "T2, NOS": a staging form's category, substage not specified
        if tv in "lIOi" and not strong:
            continue  # "TO THE", "TI": OCR letters only next to a prefix or in a TNM string
        if (
            tv.lower() == "is"
            and not run
            and _SPACED_IS.match(m.group(0))
            and not _IS_END.match(text, m.end())
        ):
            continue  # "rT is'ATC": OCR debris; the spaced "T is" is read only as a unit
        if pre == "a" and not run:
            continue
        if not strong and not _has_context(kb, text, m.start()):
            continue
        value = _normal(kb, "t_category", "T", tv, m.group("tsub") or "")
        rule = "tnm.explicit.t"
        if _HEDGE.search(text, max(0, m.start() - 30), m.start()):
            rule = "tnm.explicit.hedged"
            if _CURRENT.search(text, max(0, m.start() - 80), m.start()):
                rule = "tnm.explicit.current"  # "according to the current TNM ... would be pT3"
        hits.append(Hit("t_category", value, m.start(), m.end(), pre, m.group(0), rule))
        hits.extend(run)
        taken.append((m.start(), run[-1].end if run else m.end()))

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    low = _lower(text)
    for m in _PT_HEADING.finditer(low) if "(pt)" in low else ():
        if free(m.start("tpre"), m.end()):
            value = _normal(kb, "t_category", "T", m.group("tv"), m.group("tsub") or "")
            hits.append(
                Hit(
                    "t_category",
                    value,
                    m.start("tpre"),
                    m.end(),
                    m.group("tpre").lower(),
                    text[m.start("tpre") : m.end()],
                    "tnm.explicit.heading",
                )
            )

    for m in _FIELD.finditer(text) if "tage" in text or "TAGE" in text else ():
        letter = m.group("k").upper()
        value_raw = m.group("v")
        if (letter == "N" and value_raw in "4is") or (letter == "M" and value_raw not in "01Xx"):
            continue
        if m.group("k2") and m.group("k2").upper() != letter:
            continue
        if not free(m.start("v"), m.end()):
            continue
        kind = {"T": "t_category", "N": "n_category", "M": "m_category"}[letter]
        value = _normal(kb, kind, letter, value_raw, m.group("sub") or "")
        pre = _prefix(m.group("pre"))
        hits.append(Hit(kind, value, m.start(), m.end(), pre, m.group(0), "tnm.explicit.field"))
        taken.append((m.start(), m.end()))

    for m in _scan(kb.n_token, _N_CORE, text):
        if not free(m.start(), m.end()):
            continue
        pre = _prefix(m.group("npre"))
        nv = m.group("nv")
        if nv in "Oo" and not pre:
            continue
        if not pre and not _has_context(kb, text, m.start()):
            continue
        if not pre and kb.n_station_after.match(low, m.end()):
            continue  # "sixteen N1 lymph nodes": a class of nodal stations, not the category
        if nv in "Oo" and not re.match(_O_GUARD, text[m.end() :]):
            continue
        hit = _n_hit(kb, m, "tnm.explicit.n")
        hits.append(hit)
        taken.append((m.start(), m.end()))
        mm = kb.m_after.match(text, m.end())
        if mm:
            hits.append(_group_prefix(_m_hit(kb, mm, "tnm.explicit.run"), hit.prefix))
            taken.append((mm.start(), mm.end()))
    for m in _scan(kb.m_token, _M_CORE, text):
        if not free(m.start(), m.end()):
            continue
        pre = _prefix(m.group("mpre"))
        mv = m.group("mv")
        if not pre and (mv in "Oo" or not _has_context(kb, text, m.start())):
            continue
        hits.append(_m_hit(kb, m, "tnm.explicit.m"))
    hits.sort(key=lambda h: h.start)
    return _drop_option_lists(text, hits)


# "pT1: Tumor limited to ... pT2: Tumor invades ... x pT3: ..." is a checklist's list of
# options with the ticks lost; only a ticked option (x, [x], (x)) is a finding.
# The colon after the option is often OCR'd as a semicolon ("pTl; Solitary tumor"); a
# definition can name its site first ("pT4a: Oral cavity: Tumor invades", AJCC lists
# lip and oral cavity under one T), and T0's "No evidence of primary tumor" keeps its
# wording when OCR damages the "No" ("Nv evidence").
_DEFINITION = re.compile(
    r"\s*[:.;]\s*(?:tumou?r|carcinoma|no\b|invasion|limited|cannot|regional|distant|metastas"
    r"|(?:moderately|very)\s+advanced|[A-Za-z]+\s+(?:tumou?r|invades)"
    r"|[A-Za-z]{1,3}\s+evidence\s+of|(?:[A-Za-z]+\s){0,2}[A-Za-z]+\s*:\s*tumou?r)",
    re.IGNORECASE,
)
# "Tumor Thickness (pT1 and pT2 tumors):" names the categories a field applies to, not
# the tumour's category: categories used as the name of a class of tumours.
_T_SCOPE = re.compile(
    r"(?<![A-Za-z0-9])(?:yp|p)?T\s?[0-4lI][a-d]?"
    r"(?:\s*(?:,|/|and/or|and|or)\s*(?:yp|p)?T\s?[0-4lI][a-d]?)*\s+tumou?rs\b",
    re.IGNORECASE,
)
# A bare category followed by its AJCC definition is the checklist's chosen answer.
_DEFINED_BARE = re.compile(
    r"\s*[,:]\s*tumou?r\s+(?:extends|invades|limited|confined|more|larger|greater|measures"
    r"|involves|directly|\d)",
    re.IGNORECASE,
)
_NOS = re.compile(r"\s?,\s?NOS\b")
# "pT is" (in situ, written with a space) stands alone: a separator or the end follows.
_SPACED_IS = re.compile(r".*T\s(?:is|IS)", re.DOTALL)
_IS_END = re.compile(r"\s*(?:[,;.)/]|$)")
# "formally pT4 according to the 2002 scheme, but ... designated pT3": a category
# mentioned only to be set aside.
_HEDGE = re.compile(
    r"\b(?:formally|technically|would\s+be|would\s+qualify\s+as|could\s+be)\W{0,3}$",
    re.IGNORECASE,
)
# "According to the actual TNM classification it would be pT3": the category restated under
# the current edition of the classification (German "aktuell": current) supersedes the one
# first written (AJCC 8th ch. 1: a case is staged by the edition in use).
_CURRENT = re.compile(
    r"according\s+to\s+the\s+(?:actual|current|new|newest|latest|present)\s+"
    r"(?:tnm|ajcc|uicc)",
    re.IGNORECASE,
)
# CAP heading with the letter T lost: "Primary tumor (pT): p2a".
_PT_HEADING = re.compile(  # run on lower-cased text
    r"(?:primary\s+tumou?r|extent\s+of\s+invasion)\s*\(pt\)\s*[:\-]?\s*"
    r"(?P<tpre>yp|p)t?\s?(?P<tv>[0-4])(?P<tsub>[a-d])?(?![a-z0-9])"
)
# A form's field: "T Stage: 2 N Stage: 0 M Stage: 0", "T stage: pT3", "N category = 1".
_FIELD = re.compile(
    r"(?<![A-Za-z0-9])(?P<k>[TNM])\.?\s*(?:stage|STAGE|Stage|category|CATEGORY)\s*[:=]\s*"
    r"(?P<pre>yp|p|c)?(?P<k2>[TNMtnm])?\s?(?P<v>[0-4]|[Xx]|is)(?P<sub>[a-d])?(?![A-Za-z0-9])"
)
_TICK = re.compile(r"(?:\[\s*[xX]\s*\]|\(\s*[xX]\s*\)|(?<![A-Za-z])[xX])\.?\s*$")
# "Distant Metastasis (pM). x Not applicable. pM1: Distant metastasis.": another answer of
# the same field is ticked just before an unticked, defined option.
_OTHER_TICKED = re.compile(r"(?<![A-Za-z])[xX]\.?\s+[A-Z][a-z]")
# The longest definition between two listed options ("pMX: Cannot be assessed___ pM1:").
_OPTION_GAP = 80
_REVISED = re.compile(r"\b(?:revis|amend|correct|addend)\w*", re.IGNORECASE)


def _drop_option_lists(text: str, hits: list[Hit]) -> list[Hit]:
    scopes = (
        [(m.start(), m.end()) for m in _T_SCOPE.finditer(text)] if "umo" in _lower(text) else []
    )
    if scopes:
        hits = [
            h
            for h in hits
            if h.kind != "t_category" or not any(a <= h.start < b for a, b in scopes)
        ]
    defined = {
        kind: [h for h in hits if h.kind == kind and _DEFINITION.match(text, h.end)]
        for kind in ("t_category", "n_category", "m_category")
    }
    drop: set[Hit] = set()
    for group in defined.values():
        for h in group:
            lo = max(0, h.start - 40)
            if not _TICK.search(text, max(0, h.start - 6), h.start) and _OTHER_TICKED.search(
                text, lo, h.start
            ):
                drop.add(h)
        ticked = [h for h in group if _TICK.search(text, max(0, h.start - 6), h.start)]
        if len({h.value for h in group}) >= 3:
            drop.update(h for h in group if h not in ticked)
        # Two options of one field listed one after the other, each with its definition
        # ("pMX: Cannot be assessed | pM1: Distant metastasis"): a checklist's choices.
        # Only a ticked one is an answer; with none ticked the field is not answered.
        listed = sorted(group, key=lambda h: h.start)
        for first, second in itertools.pairwise(listed):
            if first.value != second.value and second.start - first.end <= _OPTION_GAP:
                drop.update(h for h in (first, second) if h not in ticked)
    return [h for h in hits if h not in drop]


def _n_hit(kb: _KB, m: re.Match[str], rule: str) -> Hit:
    sfx = (m.group("nsfx") or "").replace(" ", "")
    extra = sfx if sfx in ("(i+)", "mi") else ""
    value = _normal(kb, "n_category", "N", m.group("nv"), m.group("nsub") or "", extra)
    start = m.start("npre") if m.group("npre") else m.start("nv") - 1
    while not m.group("npre") and start > m.start() and m.string[start] != "N":
        start -= 1  # back over a space between the letter and the digit ("N 1")
    written = m.string[start : m.end()].strip()
    return Hit("n_category", value, start, m.end(), _prefix(m.group("npre")), written, rule)


# AJCC 8th (ch. 1): a prefix written once before a TNM group ("cT2a N2 M1b", "pT2 N1a")
# classifies the whole group. The M category takes it only when clinical or recurrent: "pM0"
# is not a valid category and a pathological M needs a microscopically proven metastasis,
# which a pT written before the group does not show.
_M_TAKES = frozenset({"c", "yc", "r"})


def _group_prefix(hit: Hit, prefix: str) -> Hit:
    """The hit with the prefix of its group when it has none of its own."""
    if not prefix or hit.prefix:
        return hit
    if hit.kind == "m_category" and prefix not in _M_TAKES:
        return hit
    return replace(hit, prefix=prefix, inherited=True)


def _m_hit(kb: _KB, m: re.Match[str], rule: str) -> Hit:
    value = _normal(kb, "m_category", "M", m.group("mv"), m.group("msub") or "")
    start = m.start("mpre") if m.group("mpre") else m.string.rfind("M", m.start(), m.start("mv"))
    written = m.string[start : m.end()].strip()
    return Hit("m_category", value, start, m.end(), _prefix(m.group("mpre")), written, rule)


# ---------------------------------------------------------------------------
# Stage group and edition


def _stage_hits(text: str) -> list[Hit]:
    kb = _kb()
    out: list[Hit] = []
    for m in kb.stage.finditer(_lower(text)):
        if _FIELD_LETTER.search(text, max(0, m.start() - 4), m.start()):
            continue  # "T Stage: 3 N Stage: 0": a category field, not a stage group
        around = text[max(0, m.start() - 30) : m.end() + 30]
        if kb.stage_not_cancer.search(around):
            continue
        value = (m.group("sg") + (m.group("ss") or "")).upper()
        before = text[max(0, m.start() - 25) : m.start()]
        prefix = next((p for p, rx in kb.stage_prefix if rx.search(before)), "")
        word = m.group(0).lower()
        if not prefix:
            if word.startswith("patholog"):
                prefix = "p"
            elif word.startswith("clinical"):
                prefix = "c"
        if not prefix and _at_recurrence(kb, text, m.start(), m.end()):
            prefix = "r"
        written = text[m.start() : m.end()]
        out.append(Hit("stage_group", value, m.start(), m.end(), prefix, written, "tnm.stage"))
    return out


def _at_recurrence(kb: _KB, text: str, start: int, end: int) -> bool:
    """Whether the stage at text[start:end] is stated for a relapse or recurrence: the
    time cue nearest to it in its sentence is a recurrence one (knowledge/tnm.yaml
    stage_recurrence). A "neoadjuvant" anywhere in the sentence rules it out."""
    from casebridge.engine.extract.context import sentence_bounds

    lo, hi = sentence_bounds(text, start, end)
    best: tuple[int, bool] | None = None
    for m in kb.stage_time.finditer(text, lo, hi):
        if m.group("skip"):
            if "neoadjuvant" in m.group(0).lower():
                return False
            continue
        if m.start() < end and start < m.end():
            continue
        gap = start - m.end() if m.end() <= start else m.start() - end
        if best is None or gap < best[0]:
            best = (gap, bool(m.group("rec")))
    return best is not None and best[1]


_FIELD_LETTER = re.compile(r"(?<![A-Za-z])[TNM]\.?\s*$")
_EDITION_SYSTEM = re.compile(r"(?P<sys>ajcc|uicc|tnm)[\s,(:\-]{0,4}$")


def _edition_hits(text: str) -> list[Hit]:
    kb = _kb()
    out: list[Hit] = []
    low = _lower(text)
    if "ed" not in low and "ajcc" not in low:
        return out
    for m in kb.edition.finditer(low):
        start = m.start()
        if m.group("ord"):
            ed = kb.ordinals.get(m.group("ord"))
            sys_m = _EDITION_SYSTEM.search(low, max(0, start - 9), start)
            system = sys_m.group("sys").upper() if sys_m else ""
            if sys_m:
                start = sys_m.start()
        else:
            ed = kb.years.get(m.group("year") or "")
            system = "AJCC"
        if not ed:
            continue
        if not system:
            near = low[max(0, m.start() - 40) : m.start()]
            system = "AJCC" if "ajcc" in near else "UICC" if "uicc" in near else ""
            if not system and "tnm" not in near and "stag" not in near:
                # "7th edition" alone, with no staging word near, is some other book.
                after = low[m.end() : m.end() + 30]
                if "tnm" not in after and "ajcc" not in after and "stag" not in after:
                    continue
        if system == "TNM":
            system = ""
        value = f"{system} {ed}".strip()
        written = text[start : m.end()]
        out.append(Hit("tnm_edition", value, start, m.end(), "", written, "tnm.edition"))
    return out


# ---------------------------------------------------------------------------
# Inference helpers


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


def _edition_of(text: str) -> str | None:
    eds = {h.value.split()[-1] for h in _edition_hits(text)}
    return eds.pop() if len(eds) == 1 else None


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


# The year from which each AJCC edition applies (cases diagnosed from 1 January).
_EDITION_FROM = ((2018, "8th"), (2010, "7th"), (2003, "6th"), (1998, "5th"))


def resolve_edition(text: str, document_date: str | None = None) -> tuple[str | None, str]:
    """(edition, basis) used where the editions disagree: the edition the report writes;
    else the one in force on the document's date (AJCC 8th for cases from 1 January 2018,
    7th from 2010, 6th from 2003, 5th from 1998); else `undated_edition` of
    ajcc_t_rules.yaml, which is null: (None, "not stated"), and a T is then inferred only
    where the editions agree (see infer_t)."""
    written = _edition_of(text)
    if written:
        return written, "written"
    year = (document_date or "")[:4]
    if year.isdigit():
        for since, edition in _EDITION_FROM:
            if int(year) >= since:
                return edition, "dated"
        return None, "not stated"
    if _kb().undated_edition:
        return _kb().undated_edition, "assumed"
    return None, "not stated"


def infer_t(text: str, organ: str | None, edition: str | None = None) -> Inferred | None:
    """The AJCC T category the description settles, or None. `edition` ("7th", "8th", ...)
    decides where the editions disagree; None: the edition the text writes, and where it
    writes none, the 8th edition's category only when the 7th gives the same main category
    (T1..T4); where they differ, or one edition settles it and the other does not, None."""
    if edition is None:
        edition = _edition_of(text)
    if edition is not None:
        return _infer_t(text, organ, edition)
    eighth = _infer_t(text, organ, "8th")
    if eighth is None:
        return None
    for older in ("7th", "6th"):
        # The 6th edition (2002-2009) differs in main category only where ajcc_t_rules.yaml
        # gives a level its `6th` value (stomach depth); elsewhere it reads as the 7th.
        other = _infer_t(text, organ, older)
        if other is None or _main(other.value) != _main(eighth.value):
            return None
    return eighth


def _infer_t(text: str, organ: str | None, edition: str) -> Inferred | None:
    kb = _kb()
    if organ is None or organ not in kb.rules:
        return None
    spec = kb.rules[organ]
    blocks = list(spec.get("block", []))
    if edition not in ("5th", "6th", "7th"):
        blocks += spec.get("block_8th", [])
    for regex in blocks:
        if _present(kb, regex, text):
            return None
    low = _lower(text)
    if spec.get("requires") and not any(kb.rule_patterns[r].search(low) for r in spec["requires"]):
        return None
    kind = spec["kind"]
    if kind == "size":
        return _infer_size(kb, text, organ, spec, edition)
    if kind == "conditions":
        return _infer_conditions(kb, text, organ, spec)
    if kind == "depth":
        return _infer_depth(kb, text, organ, spec, edition)
    if kind == "features":
        return _infer_features(kb, text, organ, spec)
    if kind == "thickness":
        return _infer_thickness(kb, text, organ, spec)
    if kind == "uvea":
        return _infer_uvea(kb, text, organ, spec)
    if kind == "oral":
        return _infer_oral(kb, text, organ, spec, edition)
    return None


def _labelled_mm(kb: _KB, text: str, labels: list[str]) -> list[tuple[float, int, int]]:
    """(value in mm, start, end) for each number with a unit directly after a label."""
    out: list[tuple[float, int, int]] = []
    low = _lower(text)
    for regex in labels:
        for lab in kb.rule_patterns[regex].finditer(low):
            g = kb.number_group.match(text, lab.end())
            if not g or re.search(r"[xX×]", g.group("nums")):
                continue
            value = _num(g.group("nums")) * (10.0 if g.group("unit").lower() == "cm" else 1.0)
            if value > 0:
                out.append((value, lab.start(), g.end()))
    return out


def _infer_uvea(kb: _KB, text: str, organ: str, spec: dict[str, Any]) -> Inferred | None:
    """Choroidal / ciliary body melanoma: the size category from every largest basal
    diameter and thickness the report gives; inferred only when all pairs agree."""
    lbds = _labelled_mm(kb, text, spec["lbd_labels"])
    thicks = _labelled_mm(kb, text, spec["thickness_labels"])
    if not lbds or not thicks:
        return None
    cats = set()
    for lbd, _, _ in lbds:
        for thick, _, _ in thicks:
            row = next((r for r in spec["grid"] if thick <= float(r[0])), None)
            cat = _table(row[1], lbd) if row else None
            cats.add(cat)
    if len(cats) != 1 or None in cats:
        return None
    value = str(cats.pop())
    lbd, start, end = lbds[0]
    why = f"largest basal diameter {lbd:g} mm, thickness {thicks[0][0]:g} mm"
    return Inferred("t_category", value, start, end, f"ajcc.{organ}.size", why)


def _infer_oral(
    kb: _KB, text: str, organ: str, spec: dict[str, Any], edition: str
) -> Inferred | None:
    """Oral cavity: size alone (7th); size with depth of invasion (8th)."""
    for item in spec.get("at_least", []):
        hit = _find(kb, item, text)
        if hit:
            why = text[hit.start() : hit.end()]
            return Inferred.t_at(str(item["category"]), hit, f"ajcc.{organ}.extension", why)
    sizes = _sizes_cm(kb, text)
    if not sizes:
        return None
    size, start, end = max(sizes)
    why = f"tumour size {size:g} cm"
    if edition in ("5th", "6th", "7th"):
        value = _table(spec["size_7th"], size)
        return (
            Inferred("t_category", value, start, end, f"ajcc.{organ}.size", why) if value else None
        )
    dois = {round(v, 1) for v, _, _ in _labelled_mm(kb, text, spec["doi_labels"])}
    doi = max(dois) if len(dois) == 1 else None
    if size > 4.0 or (doi is not None and doi > 10.0):
        value = "T3"
    elif doi is None:
        return None  # 8th: T1/T2 need the depth of invasion
    elif size <= 2.0:
        value = "T1" if doi <= 5.0 else "T2"
    else:
        value = "T2"
    if doi is not None:
        why += f", depth of invasion {doi:g} mm"
    return Inferred("t_category", value, start, end, f"ajcc.{organ}.size_doi", why)


def _infer_size(
    kb: _KB, text: str, organ: str, spec: dict[str, Any], edition: str | None
) -> Inferred | None:
    floor: tuple[str, re.Match[str]] | None = None
    for item in spec.get("at_least", []):
        if "editions" in item and edition not in item["editions"]:
            continue  # a rule of one edition only (thyroid minimal extension: 5th-7th)
        hit = _find(kb, item, text)
        if hit and (floor is None or item["category"] > floor[0]):
            floor = (str(item["category"]), hit)
    if floor and floor[0].startswith("T3") and organ == "kidney":
        if any(_present(kb, r, text) for r in spec.get("confined_phrases", [])):
            return None  # "confined to the kidney" and an extension: the report disagrees
        m = floor[1]
        return Inferred.t_at(
            floor[0],
            m,
            f"ajcc.{organ}.extension",
            "extension beyond the kidney capsule/sinus or into the renal vein",
        )
    confined_editions = spec.get("confined_editions")
    if (
        spec.get("confined_phrases")
        and (confined_editions is None or edition in confined_editions)
        and not (
            any(_present(kb, r, text) for r in spec["confined_phrases"])
            or _all_absent(kb, spec.get("confined_absent", []), text)
        )
    ):
        return None
    sizes = _sizes_cm(kb, text)
    if any(_present(kb, r, text) for r in spec.get("size_block", [])):
        sizes = []  # several foci: the size read may not be the largest one
    if not sizes:
        if floor and spec.get("floor_alone"):
            m = floor[1]
            why = f"{text[m.start() : m.end()]} (AJCC {edition})"
            return Inferred.t_at(floor[0], m, f"ajcc.{organ}.extension", why)
        return None
    size, start, end = max(sizes)
    cat8 = _table(spec["size_8th"], size)
    cat7 = _table(spec.get("size_7th", spec["size_8th"]), size)
    if cat8 is None or cat7 is None:
        return None
    if edition in ("5th", "6th", "7th"):
        value = cat7
    elif edition == "8th" or _main(cat8) == _main(cat7):
        value = cat8
    else:
        return None  # the editions disagree and the report does not say which it uses
    why = f"tumour size {size:g} cm"
    if floor and _main(floor[0]) > _main(value):
        value = floor[0]
        m = floor[1]
        start, end = m.start(), m.end()
        why = f"{text[start:end]} (AJCC {edition})"
    return Inferred("t_category", value, start, end, f"ajcc.{organ}.size", why)


def _infer_conditions(kb: _KB, text: str, organ: str, spec: dict[str, Any]) -> Inferred | None:
    """The first outcome whose named findings all hold (and none of its `none` do), with
    an optional tumour-size bound. A finding is `present` (mentioned, not negated),
    `asserted` (present with a positive answer or verb), `absent` (mentioned, and every
    mention negated), or `mentioned` (written at all)."""
    held: dict[str, re.Match[str] | None] = {}

    def holds(name: str) -> re.Match[str] | None:
        if name not in held:
            fact = spec["facts"][name]
            hit: re.Match[str] | None = None
            if "present" in fact:
                hit = _present(kb, fact["present"], text)
            elif "asserted" in fact:
                hit = _asserted(kb, fact["asserted"], text)
            elif "absent" in fact and _all_absent(kb, [fact["absent"]], text):
                hit = kb.rule_patterns[fact["absent"]].search(_lower(text))
            elif "mentioned" in fact:  # written at all, whatever its answer: a doubt
                hit = kb.rule_patterns[fact["mentioned"]].search(_lower(text))
            held[name] = hit
        return held[name]

    sizes: list[tuple[float, int, int]] | None = None
    for out in spec["outcomes"]:
        hits = [holds(n) for n in out.get("all", [])]
        if not all(hits) or any(holds(n) for n in out.get("none", [])):
            continue
        names = out.get("all", [])
        why = "; ".join(
            ("no " if "absent" in spec["facts"][n] else "") + text[h.start() : h.end()]
            for n, h in zip(names, hits, strict=True)
            if h
        )
        if "size_gt" in out or "size_le" in out:
            if sizes is None:
                sizes = _sizes_cm(kb, text)
            if not sizes:
                continue
            size = max(sizes)[0]
            if size <= float(out.get("size_gt", -1)) or size > float(out.get("size_le", 1e9)):
                continue
            why += f"; tumour size {size:g} cm"
        first = min((h for h in hits if h), key=lambda h: h.start())
        return Inferred.t_at(
            str(out["category"]), first, f"ajcc.{organ}.{out.get('rule', 'features')}", why
        )
    return None


def _infer_depth(
    kb: _KB, text: str, organ: str, spec: dict[str, Any], edition: str
) -> Inferred | None:
    """The deepest level the report describes; a level's `6th` value under the 5th/6th."""
    present: list[tuple[str, re.Match[str]]] = []
    for level in spec["levels"]:
        hit = _present(kb, level["phrase"], text)
        if hit:
            category = level["category"]
            if edition in ("5th", "6th") and "6th" in level:
                category = level["6th"]
            present.append((str(category), hit))
    if not present:
        return None
    if len({_main(c) for c, _ in present}) >= 3:
        return None  # a list of options (unticked checklist), not a finding
    value, m = present[0]
    return Inferred.t_at(
        value, m, f"ajcc.{organ}.depth", f"depth of invasion: {text[m.start() : m.end()]}"
    )


def _infer_features(kb: _KB, text: str, organ: str, spec: dict[str, Any]) -> Inferred | None:
    for item in spec["present"]:
        hit = _find(kb, item, text)
        if hit:
            return Inferred.t_at(
                str(item["category"]), hit, f"ajcc.{organ}.extension", text[hit.start() : hit.end()]
            )
    confined = spec.get("confined")
    if not confined:
        return None
    for regex in confined["or_phrases"]:
        hit = _present(kb, regex, text)
        if hit:
            return Inferred.t_at(
                str(confined["category"]),
                hit,
                f"ajcc.{organ}.confined",
                text[hit.start() : hit.end()],
            )
    spans: list[re.Match[str]] = []
    for regex in confined["absent"]:
        ms = list(kb.rule_patterns[regex].finditer(_lower(text)))
        if not ms or not all(_absent(kb, text, m.start(), m.end()) for m in ms):
            return None
        spans.append(ms[0])
    first = spans[0]
    return Inferred.t_at(
        str(confined["category"]),
        first,
        f"ajcc.{organ}.confined",
        "no extraprostatic extension or seminal vesicle invasion",
    )


def _infer_thickness(kb: _KB, text: str, organ: str, spec: dict[str, Any]) -> Inferred | None:
    values: list[tuple[float, int, int]] = []
    for regex in spec["labels"]:
        for lab in kb.rule_patterns[regex].finditer(_lower(text)):
            g = kb.number_group.search(text, lab.end(), lab.end() + 40)
            if not g or "x" in g.group("nums").lower():
                continue
            mm = _num(g.group("nums")) * (10.0 if g.group("unit").lower() == "cm" else 1.0)
            values.append((mm, lab.start(), g.end()))
    if not values or len({v for v, _, _ in values}) > 1:
        return None
    mm, start, end = values[0]
    value = _table(spec["thickness"], mm)
    if value is None:
        return None
    return Inferred(
        "t_category", value, start, end, f"ajcc.{organ}.thickness", f"Breslow thickness {mm:g} mm"
    )


def _word_num(kb: _KB, raw: str) -> int | None:
    raw = raw.lower()
    if raw.isdigit():
        return int(raw)
    return kb.number_words.get(raw)


def node_counts(text: str) -> list[tuple[int, int, int, int]]:
    """(involved, examined, start, end) for each lymph-node count the text gives."""
    kb = _kb()
    out: list[tuple[int, int, int, int]] = []
    for m in kb.node_of.finditer(_lower(text)):
        pos, tot = _word_num(kb, m.group("pos")), _word_num(kb, m.group("tot"))
        if pos is not None and tot and pos <= tot <= 150:
            out.append((pos, tot, m.start(), m.end()))
    low = _lower(text)
    for m in kb.node_ratio.finditer(text):
        if any(a <= m.start() < b for _, _, a, b in out):
            continue
        if kb.node_ratio_not_after.search(low[max(0, m.start() - 12) : m.start()]):
            continue  # "segment 7/8", "(1-2/6 Ishak)": not a count of nodes
        pos, tot = int(m.group("pos")), int(m.group("tot"))
        if not (pos <= tot <= 150 and tot > 0):
            continue
        lo = max(0, m.start() - kb.node_window)
        if not kb.node_word.search(text, lo, min(len(text), m.end() + 30)):
            continue
        out.append((pos, tot, m.start(), m.end()))
    out.extend(_node_fields(kb, text, out))
    return out


def _node_fields(
    kb: _KB, text: str, found: list[tuple[int, int, int, int]]
) -> list[tuple[int, int, int, int]]:
    """The count a CAP form gives in two fields ("Number of nodes involved: 1 ... Number of
    nodes examined: 17", knowledge/tnm.yaml node_fields): one involved and one examined
    field near each other, in a lymph-node section."""
    low = _lower(text)
    if "number" not in low:
        return []
    involved, examined = (list(p.finditer(low)) for p in kb.node_fields)
    out: list[tuple[int, int, int, int]] = []
    for inv in involved:
        near = [
            ex
            for ex in examined
            if ex.start() != inv.start()
            and min(abs(ex.start() - inv.end()), abs(inv.start() - ex.end())) <= kb.node_field_gap
        ]
        if not near:
            continue
        ex = min(near, key=lambda e: abs(e.start() - inv.start()))
        start, end = min(inv.start(), ex.start()), max(inv.end(), ex.end())
        if any(a < end and start < b for _, _, a, b in found + out):
            continue
        if not kb.node_word.search(text, max(0, start - kb.node_window), end):
            continue
        pos, tot = _field_num(kb, inv.group("n")), _field_num(kb, ex.group("n"))
        if pos is not None and tot and pos <= tot <= 150:
            out.append((pos, tot, start, end))
    return out


def _field_num(kb: _KB, raw: str) -> int | None:
    return 0 if raw == "o" else _word_num(kb, raw)


def infer_n(text: str, organ: str | None) -> Inferred | None:
    """N from lymph-node counts: N0 when none is involved; otherwise the organ's table."""
    kb = _kb()
    counts = node_counts(text)
    if not counts:
        return None
    pairs = sorted({(p, t) for p, t, _, _ in counts}, key=lambda pt: -pt[1])
    first = min(counts, key=lambda c: c[2])
    if all(p == 0 for p, _ in pairs):
        return Inferred(
            "n_category",
            "N0",
            first[2],
            first[3],
            "ajcc.nodes.none_involved",
            f"0 of {pairs[0][1]} lymph nodes involved",
        )
    if organ is None or organ not in kb.n_rules:
        return None
    # A count that covers all the others (a summary line) is the total; else the parts add up.
    big, rest = pairs[0], pairs[1:]
    involved = big[0] if big[1] >= sum(t for _, t in rest) else sum(p for p, _ in pairs)
    value = _table(kb.n_rules[organ], involved)
    if value is None:
        return None
    where = next(c for c in counts if c[0] > 0)
    return Inferred(
        "n_category",
        value,
        where[2],
        where[3],
        f"ajcc.{organ}.nodes",
        f"{involved} lymph node(s) involved",
    )


# ---------------------------------------------------------------------------
# The extractor


def extract(doc: Document) -> list[Fact]:
    """TNM facts for one document: every explicit category, and inferred T/N where
    none is written and the description settles it."""
    facts: list[Fact] = []
    explicit_kinds: set[str] = set()
    organ: str | None = None
    organ_known = False
    for page in pages(doc):
        text = page.text
        hits = explicit_hits(text)
        if any(_invalid_somewhere(h) for h in hits):
            if not organ_known:
                organ, organ_known = detect_organ(doc.text), True
            hits = [h for h in hits if not _invalid_for(h, organ)]
        for hit in hits + _stage_hits(text) + _edition_hits(text):
            facts.append(_fact(doc, page, hit))
            explicit_kinds.add(hit.kind)
    if {"t_category", "n_category"} <= explicit_kinds:
        return facts
    if not organ_known:
        organ = detect_organ(doc.text)
    edition, basis = resolve_edition(doc.text, doc.document_date)
    for page in pages(doc):
        text = page.text
        todo = []
        if "t_category" not in explicit_kinds:
            todo.append(infer_t(text, organ, edition))
        if "n_category" not in explicit_kinds:
            todo.append(infer_n(text, organ))
        for inf in todo:
            if inf is None:
                continue
            facts.append(
                make_fact(
                    doc,
                    page,
                    (inf.start, inf.end),
                    inf.kind,
                    inf.value,
                    found_by=inf.rule,
                    context="asserted",
                    display=f"{inf.value} (inferred: {inf.why})",
                    attributes={
                        "prefix": "p",
                        "method": "inferred",
                        "organ": organ or "",
                        # Not stated: the 8th edition's value, which the 7th agrees with.
                        "edition": f"AJCC {edition or '8th'}",
                        "edition_basis": basis if edition else "7th and 8th agree",
                    },
                )
            )
            explicit_kinds.add(inf.kind)  # one inference per kind per document
    return facts


@lru_cache(maxsize=1)
def _invalid_t() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """organ -> (T values invalid with a pathological prefix, T values invalid with any)."""
    table = load("tnm").get("invalid_t", {})
    return {
        organ: (frozenset(spec.get("p", [])), frozenset(spec.get("any", [])))
        for organ, spec in table.items()
    }


_PATHOLOGICAL = frozenset({"p", "yp"})


def _invalid_somewhere(hit: Hit) -> bool:
    return hit.kind == "t_category" and any(
        hit.value in anyp or (hit.value in path and hit.prefix in _PATHOLOGICAL)
        for path, anyp in _invalid_t().values()
    )


def _invalid_for(hit: Hit, organ: str | None) -> bool:
    """A T category that does not exist for the organ's cancer (knowledge/tnm.yaml
    invalid_t): a misread, not a category stated."""
    if hit.kind != "t_category" or organ not in _invalid_t():
        return False
    path, anyp = _invalid_t()[organ]
    return hit.value in anyp or (hit.value in path and hit.prefix in _PATHOLOGICAL)


def _fact(doc: Document, page: Page, hit: Hit) -> Fact:
    from casebridge.engine.extract.context import context_of

    ctx = context_of(page.text, hit.start, hit.end)
    if ctx == "negated":
        # "pT2 NO MX": the OCR'd N0 reads as "no"; a written category is never negated.
        ctx = "asserted"
    attributes = {"prefix": hit.prefix, "method": "explicit"}
    if hit.inherited:
        attributes["prefix_from"] = "group"  # written once before the TNM group
    if hit.prefix == "r" and hit.kind == "stage_group":
        attributes["recurrence"] = "yes"
    if hit.rule == "tnm.explicit.hedged":
        attributes["hedged"] = "yes"
    if _REVISED.search(page.text, max(0, hit.start - 60), hit.start):
        attributes["revised"] = "yes"
    if hit.rule == "tnm.explicit.current":
        attributes["revised"] = "yes"  # restated under the classification in use
    display = hit.written
    if hit.inherited:
        display = hit.prefix + hit.written
    if hit.kind == "stage_group":
        display = f"Stage {hit.value}"
        if hit.prefix == "r":
            display += " (at relapse or recurrence)"
    return make_fact(
        doc,
        page,
        (hit.start, hit.end),
        hit.kind,
        hit.value,
        found_by=hit.rule,
        context=ctx,
        display=display,
        attributes=attributes,
    )


# ---------------------------------------------------------------------------
# Choosing the definitive value

_PREFIX_RANK = {"p": 0, "": 0, "yp": 2, "r": 3, "a": 4, "c": 5, "yc": 6}


def _order(value: str) -> tuple[int, str]:
    """Category order for 'highest': X lowest, then 0, is, 1..4 with substages."""
    if value.endswith("X"):
        return (-1, value)
    body = value[1:]
    if body.startswith("is"):
        return (0, value)
    if body[:1] == "0":
        return (0, value)
    return (int(body[:1]) + 1 if body[:1].isdigit() else 0, value)


def definitive(facts: list[Fact], kind: str) -> Fact | None:
    """The category a clinician would report when several are written.

    Clinical convention (AJCC 8th, ch. 1): the pathological category (pT) from the
    definitive resection outranks a clinical (cT) one and a prior biopsy's; where
    several resection specimens or tumours are staged, the highest T is assigned
    (multiple primaries: highest T with the (m) suffix), and likewise the highest N
    and M. A written category outranks an inferred one; X (cannot be assessed) is
    used only when nothing else is given.
    """
    cands = [f for f in facts if f.kind == kind and f.context not in ("negated", "family")]
    if not cands:
        return None
    explicit = [f for f in cands if f.attributes.get("method") != "inferred"]
    pool = explicit or cands
    firm = [f for f in pool if f.attributes.get("hedged") != "yes"]
    pool = firm or pool  # "formally pT4 ..., but designated pT3": the one set aside loses
    known = [f for f in pool if not f.value.endswith("X")]
    pool = known or pool
    revised = [f for f in pool if f.attributes.get("revised") == "yes"]
    pool = revised or pool  # a revised or amended stage supersedes the first one
    best_prefix = min(_PREFIX_RANK.get(f.attributes.get("prefix", ""), 9) for f in pool)
    pool = [f for f in pool if _PREFIX_RANK.get(f.attributes.get("prefix", ""), 9) == best_prefix]
    return max(pool, key=lambda f: _order(f.value))
