"""Biomarker results from pathology and molecular reports.

ER / PR (positive, negative, low positive, with percent, Allred and H-score), HER2 by IHC
(score 0 / 1+ / 2+ / 3+) and by ISH (amplified, not amplified, equivocal, pending; ratio and
copy number), Ki-67, EGFR / ALK / ROS1 / KRAS / BRAF (variant or "not detected"), PD-L1
(TPS / CPS), MSI / MMR (MSI-H, MSS, dMMR with the lost proteins, pMMR), BRCA1/2 and a few
others. Names and result wording live in knowledge/biomarkers.yaml; cut-offs follow the ASCO/CAP
guidelines cited there.

A negative result is a result: "EGFR mutation not detected" is an asserted fact whose value is
"not detected", never a negated fact. The context is still read from the sentence so that
"history of ER-positive cancer" stays historical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract.context import context_of, sentence_bounds
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.extract.terms import compile_terms, key, normalise
from casebridge.engine.kb import load

_WINDOW = 110  # characters after a marker name searched for its result
_CONNECTOR = re.compile(r"^[\s,/&]*(?:and|or)?[\s,/&]*(?:receptors?\s*)?[\s,/&]*$", re.I)


def _alt(terms: list[str]) -> str:
    parts = sorted(
        {re.escape(t).replace("\\ ", " ").replace(" ", r"[\s\-]*") for t in terms},
        key=lambda part: (-len(part), part),  # longest first; ties alphabetical, never by hash
    )
    return "|".join(parts)


def _words(terms: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w+\-])(?:" + _alt(terms) + r")(?![\w])", re.IGNORECASE)


@dataclass(frozen=True)
class Lexicon:
    markers: re.Pattern[str]
    marker_of: dict[str, str]
    values: dict[str, re.Pattern[str]]
    value_any: re.Pattern[str]
    ish: re.Pattern[str]
    ihc: re.Pattern[str]
    variants: dict[str, re.Pattern[str]]
    absent: re.Pattern[str]
    present: re.Pattern[str]
    not_assessed: re.Pattern[str]
    hypothetical: re.Pattern[str]
    drug_after: re.Pattern[str]
    drug_before: re.Pattern[str]
    fusion_genes: frozenset[str]
    methods: tuple[tuple[str, re.Pattern[str]], ...]
    result_nouns: tuple[tuple[str, re.Pattern[str]], ...]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data: dict[str, Any] = load("biomarkers")
    marker_of: dict[str, str] = {}
    aliases_all: list[str] = []
    for kind, aliases in data["markers"].items():
        for alias in aliases:
            aliases_all.append(str(alias))
            marker_of.setdefault(_norm_alias(str(alias)), kind)
    values = {name: _words([str(t) for t in terms]) for name, terms in data["values"].items()}
    order = ["low_positive", "not_amplified", "amplified", "pending", "equivocal"]
    order += ["negative", "positive"]
    value_any = re.compile(
        "|".join(f"(?P<{name}>{values[name].pattern})" for name in order), re.IGNORECASE
    )
    variants = {
        kind: re.compile(r"(?<![\w])(?:" + _alt([str(t) for t in terms]) + r")(?![\w])", re.I)
        for kind, terms in data["variants"].items()
    }
    return Lexicon(
        markers=compile_terms(aliases_all),
        marker_of=marker_of,
        values=values,
        value_any=value_any,
        ish=_words([str(t) for t in data["ish_words"]]),
        ihc=_words([str(t) for t in data["ihc_words"]]),
        variants=variants,
        absent=values["mutation_absent"],
        present=values["mutation_present"],
        not_assessed=re.compile(
            r"[\s:,;()\-]*(?:(?:was|is|were|are|has\s+been|have\s+been|status|result|"
            r"testing|test|analysis|IHC|FISH)\s+){0,3}(?:" + _alt(data["not_assessed"]) + r")\b",
            re.IGNORECASE,
        ),
        hypothetical=re.compile(
            r"(?<![\w\-])(?:" + _alt(data["hypothetical_before"]) + r")(?![\w])", re.IGNORECASE
        ),
        drug_after=re.compile(
            r"[\s\-]*(?:" + _alt(data["drug_target_after"]) + r")\b", re.IGNORECASE
        ),
        drug_before=re.compile(r"(?:" + _alt(data["drug_target_before"]) + r")\s*$", re.I),
        fusion_genes=frozenset(str(g) for g in data.get("fusion_genes", [])),
        methods=tuple(
            (str(name), _words([str(t) for t in terms]))
            for name, terms in (data.get("test_methods") or {}).items()
        ),
        result_nouns=tuple(
            (str(noun), _words([str(t) for t in terms]))
            for noun, terms in (data.get("result_nouns") or {}).items()
        ),
    )


def _norm_alias(text: str) -> str:
    return key(text).replace(" ", "")


# -- shared readers --------------------------------------------------------------------------

_PERCENT = re.compile(
    r"(?P<cmp><|>|≥|≤|less\s+than|greater\s+than|over|under|approximately|about|~)?\s*"
    r"(?P<a>\d{1,3}(?:\.\d+)?)\s*(?:(?:-|to|–)\s*(?P<b>\d{1,3}(?:\.\d+)?)\s*)?%",
    re.IGNORECASE,
)
_ALLRED = re.compile(
    r"allred\s*(?:score)?\s*(?:of|is|:|=)?\s*(\d)(?:\s*/\s*8)?|(?<![\d/])([0-8])\s*/\s*8\b", re.I
)
_HSCORE = re.compile(r"h[\s\-]?score\s*(?:of|is|:|=)?\s*(\d{1,3})", re.IGNORECASE)
_INTENSITY = re.compile(r"\b(weak|moderate|strong|intermediate)(?:ly)?\b", re.IGNORECASE)
_SIGN = re.compile(r"^\s*:?\s*(?:\(\s*)?(\+|-ve|\+ve|-)(?:\s*\))?(?=[\s,;./)]|$)")
_WORD_AFTER_DASH = re.compile(
    r"\s*-\s*(?:positive|negative|pos\b|neg\b|low|weak|strong|moderate|equivocal)", re.I
)
_HORMONE_SCORE = re.compile(r"[\s:\-]*\(?\s*([1-3])\s*\+(?![\d+])")
# "weakly positive" for HER2 describes weak membrane staining: 1+ or 2+ (ASCO/CAP 2018 defines
# 2+ as weak to moderate complete staining), never 3+ (strong): read as equivocal.
_WEAKLY = re.compile(r"\bweak(?:ly)?[\s.,\-]{1,3}$", re.IGNORECASE)
_FOR_BEFORE = re.compile(
    r"(positive|negative)\s+(?:staining\s+)?for\s+(?:the\s+)?(?:both\s+)?$", re.IGNORECASE
)
_NO_BEFORE = re.compile(r"\bno\s+(?:distinct\s+|definite\s+)?(?:staining\s+for\s+)?$", re.I)
_HER2_SCORE = re.compile(
    r"(?<![\d.])([0-3])\s*\+(?!\d)|\bscore\s*(?:of|is|:|=)?\s*([0-3])\b(?!\s*[/.]\d)|"
    r"\b(zero)\b|\b([0-3])\s*\(\s*(?:negative|equivocal|positive)\s*\)",
    re.IGNORECASE,
)
_RATIO = re.compile(
    r"ratio[^0-9\n]{0,40}?(\d{1,2}(?:\.\d{1,2})?)(?!\s*%)|"
    r"(\d{1,2}\.\d{1,2})\s*(?:ratio|\(ratio\))",
    re.IGNORECASE,
)
_COPIES = re.compile(
    r"(?:average|mean)?\s*(?:her2\s+)?(?:gene\s+)?copy\s+number[^0-9\n]{0,30}?(\d{1,2}(?:\.\d{1,2})?)|"
    r"(\d{1,2}(?:\.\d{1,2})?)\s*(?:her2\s+)?(?:signals|copies)\s*(?:per|/)\s*(?:cell|nucleus)",
    re.IGNORECASE,
)
_AWAIT_ISH = re.compile(
    r"\b(?:awaiting|pending|await)\s+(?:her-?2\s+)?(?:FISH|ISH|SISH|in\s+situ)|"
    r"\b(?:FISH|ISH|SISH)\b[^.\n]{0,40}?\b(?:to\s+follow|pending|awaited|will\s+be\s+"
    r"(?:performed|reported|issued|sent)|will\s+follow|requested|in\s+progress)",
)
_MSI = re.compile(
    r"\b(?P<high>MSI[\s\-]?H(?:igh)?|microsatellite\s+instability[\s\-]*(?:\(MSI\)\s*)?[\s\-]*"
    r"high|high[\s\-]+(?:level\s+)?microsatellite\s+instability|MSI[\s\-]+high)\b|"
    r"\b(?P<low>MSI[\s\-]?L(?:ow)?|microsatellite\s+instability[\s\-]*low|low[\s\-]+(?:level\s+)?"
    r"microsatellite\s+instability)\b|"
    r"\b(?P<stable>MSS|microsatellite[\s\-]+stable|microsatellite\s+stability|"
    r"no\s+microsatellite\s+instability|microsatellite\s+instability\s*(?:\(MSI\))?\s*"
    r"(?:was\s+|is\s+)?(?:not\s+detected|negative|absent))\b",
    re.IGNORECASE,
)
_MMR_SUMMARY = re.compile(
    r"\b(?P<d>dMMR|mismatch\s+repair[\s\-]+deficien\w*|deficient\s+mismatch\s+repair|"
    r"MMR[\s\-]+deficien\w*)\b|"
    r"\b(?P<p>pMMR|mismatch\s+repair[\s\-]+proficien\w*|proficient\s+mismatch\s+repair|"
    r"MMR[\s\-]+proficien\w*|(?:retained|intact)\s+(?:nuclear\s+)?(?:expression|staining)\s+"
    r"(?:of|for)\s+(?:all\s+(?:four\s+)?)?(?:mismatch\s+repair|MMR|MLH1))",
    re.IGNORECASE,
)
_MMR_PROTEIN = re.compile(r"\b(MLH1|MSH2|MSH6|PMS2)\b")
_LOST = re.compile(r"\b(loss|lost|absent|negative|deficient|not\s+expressed|no\s+staining)\b", re.I)
_KEPT = re.compile(r"\b(intact|retained|present|positive|preserved|expressed|normal)\b", re.I)
_LOSS_OF = re.compile(
    r"\b(?:loss|absence|lack)\s+of\s+(?:nuclear\s+)?(?:expression|staining)?\s*(?:of|for|in)?\s*"
    r"((?:(?:MLH1|MSH2|MSH6|PMS2)(?:\s*(?:,|and|/|&)\s*)?)+)",
    re.IGNORECASE,
)
_TPS = re.compile(
    r"(?:TPS|tumou?r\s+proportion\s+score)(?:\s*\(TPS\))?\s*(?:of|is|:|=)?\s*(?P<cmp>[<>≥≤]|less\s+than)?\s*"
    r"(?P<v>\d{1,3})\s*%?",
    re.IGNORECASE,
)
_CPS = re.compile(
    r"(?:CPS|combined\s+positive\s+score)\s*(?:of|is|:|=)?\s*(?P<cmp>[<>≥≤]|less\s+than)?\s*"
    r"(?P<v>\d{1,3})",
    re.IGNORECASE,
)
_GENERIC_VARIANT = re.compile(
    r"\b(?:p\.)?[ACDEFGHIKLMNPQRSTVWY]\d{1,4}(?:[ACDEFGHIKLMNPQRSTVWY*]|fs|del)\b"
)
_VUS = re.compile(
    r"\b(?:variant|variants)\s+of\s+(?:uncertain|unknown)\s+significance|\bVUS\b", re.I
)
_METHYL = re.compile(
    r"\b(unmethylated|methylated|not\s+methylated|co-?deleted|codeletion|"
    r"co-?deletion|intact|no\s+co-?deletion|not\s+co-?deleted)\b",
    re.I,
)


@dataclass
class _Mention:
    kind: str
    name: str
    start: int
    end: int
    chain_start: int = -1  # where the chain of names this one belongs to starts


def _mentions(lex: Lexicon, text: str) -> list[_Mention]:
    found: list[_Mention] = []
    for m in lex.markers.finditer(normalise(text)):
        written = text[m.start() : m.end()]
        kind = lex.marker_of.get(_norm_alias(written))
        if kind is None:
            continue
        if (
            len(written) <= 4
            and not _short_form(written)
            and not (kind in _RECEPTORS and _compact_receptor(text, m.start(), m.end()))
        ):
            continue  # "ER", "PR", "ALK": only as written in capitals (Ki67, PgR as usual)
        if m.start() > 0 and text[m.start() - 1] == "-" and len(written) <= 3:
            continue  # part of a longer code such as a specimen label "01A-PR"
        found.append(_Mention(kind, written, m.start(), m.end()))
    return found


_RECEPTORS = frozenset({"er_status", "pr_status", "her2"})
_RECEPTOR_NAME = r"(?:er|pr|pgr|her[\s\-]?2)"
# A lower-case receptor name counts in the compact forms of notes and letters: with its sign
# ("er+", "pr-ve", "her2-"), joined to another receptor ("er/pr+", "er/pr positive"), or
# followed by its result word ("her2 negative"), but not by a reference range ("Her2
# Negative <10.7 Positive >=11.5" is the assay's key, not a result).
_COMPACT_AFTER = re.compile(
    r"\s?(?:\+ve|-ve|\+|-(?![A-Za-z0-9]))|\s?/\s?" + _RECEPTOR_NAME + r"(?![A-Za-z])"
    r"|[\s\-]?(?:positive|negative|pos|neg)\b(?!\s*[<>=≤≥\d])",  # not a reference range
    re.IGNORECASE,
)
_COMPACT_BEFORE = re.compile(
    r"(?<![A-Za-z])" + _RECEPTOR_NAME + r"\s?(?:\+|-)?\s?/\s?$", re.IGNORECASE
)


def _compact_receptor(text: str, start: int, end: int) -> bool:
    if _COMPACT_AFTER.match(text, end):
        return True
    return _COMPACT_BEFORE.search(text, max(0, start - 12), start) is not None


def markers_named(text: str) -> set[str]:
    """The biomarker kinds whose names appear in `text` ("her2" for either HER2 kind),
    whether or not a result follows."""
    return {m.kind for m in _mentions(lexicon(), text)}


def _short_form(written: str) -> bool:
    letters = [c for c in written if c.isalpha()]
    if not letters:
        return False
    upper = sum(c.isupper() for c in letters)
    need = len(letters) if len(letters) <= 2 else len(letters) - 1
    return upper >= need and written[0].isupper() or written in ("neu", "p16", "p53")


def _context(text: str, start: int, end: int) -> str:
    ctx = context_of(text, start, end)
    return "asserted" if ctx == "negated" else ctx


def _hypothetical(lex: Lexicon, text: str, start: int, end: int) -> bool:
    """A conditional, a plan or a question before the marker in its sentence ("If HER2
    amplified:", "whether the cancer is HER2 positive", "sent for ... MET amplification")."""
    lo, _hi = sentence_bounds(text, start, end)
    lo = max(lo, start - 100)
    return lex.hypothetical.search(text, lo, start) is not None


def _not_a_test(lex: Lexicon, text: str, m: _Mention) -> bool:
    """The marker named as a drug target ("EGFR tyrosine kinase inhibitor", "anti-HER2")."""
    if lex.drug_after.match(text, m.end, m.end + 40):
        return True
    return lex.drug_before.search(text, max(0, m.start - 8), m.start) is not None


def _windows(text: str, ms: list[_Mention]) -> list[tuple[_Mention, int, int]]:
    """Each mention with the stretch of text holding its result. A chain of names joined by
    'and', '/' or ',' ("ER and PR positive") shares the result after its last name."""
    out: list[tuple[_Mention, int, int]] = []
    n = len(ms)
    i = 0
    while i < n:
        j = i
        while (
            j + 1 < n
            and ms[j + 1].start - ms[j].end <= 12
            and _CONNECTOR.match(text[ms[j].end : ms[j + 1].start])
        ):
            j += 1
        lo = ms[j].end
        if text[lo : lo + 1] == "-" and text[lo + 1 : lo + 2].isalpha():
            lo += 1  # "ER-negative", "HER2-positive", "KRAS-wildtype": the result is the word
        hi = min(len(text), lo + _WINDOW)
        if j + 1 < n:
            hi = min(hi, ms[j + 1].start)
        for k in range(i, j + 1):
            ms[k].chain_start = ms[i].start
            out.append((ms[k], lo, hi))
        i = j + 1
    return out


# -- ER / PR ---------------------------------------------------------------------------------


def _hormone(doc: Document, page: Page, m: _Mention, lo: int, hi: int) -> Fact | None:
    lex = lexicon()
    text = page.text
    window = text[lo:hi]
    attrs: dict[str, str] = {}
    value: str | None = None
    span_end = lo
    chain = m.chain_start if m.chain_start >= 0 else m.start
    before = _FOR_BEFORE.search(text[max(0, chain - 30) : chain])
    if before:  # "positive for ER and PR"
        value = before.group(1).lower()
    elif _NO_BEFORE.search(text[max(0, chain - 20) : chain]):  # "no estrogen receptors found"
        value = "negative"
    sign = _SIGN.match(window)
    if sign and sign.group(1) == "-" and _WORD_AFTER_DASH.match(window):
        sign = None  # "ESTROGEN RECEPTOR - POSITIVE": a dash before the word, not a minus
    if value is None and sign:
        value = "negative" if sign.group(1) in ("-", "-ve") else "positive"
        span_end = lo + sign.end()
    score = _HORMONE_SCORE.match(window)
    if value is None and score:
        # An intensity score written alone ("estrogen receptor 2+"): staining is present.
        value = "positive"
        attrs["intensity_score"] = score.group(1) + "+"
        span_end = lo + score.end()
    word = lex.value_any.search(window)
    if value is None and word:
        name = word.lastgroup or ""
        if name in ("low_positive", "negative", "positive", "equivocal"):
            value = name.replace("_", " ")
            span_end = lo + word.end()
    pct = _PERCENT.search(window)
    if pct and (word is None or pct.start() < word.start() + 60):
        attrs["percent"] = pct.group(0).strip()
        span_end = max(span_end, lo + pct.end())
        low = float(pct.group("a"))
        high = float(pct.group("b")) if pct.group("b") else low
        cmp = (pct.group("cmp") or "").lower()
        if value is None:
            # ASCO/CAP 2020: >=1% of tumour nuclei staining is positive.
            if cmp in ("<", "less than", "under") and low <= 1 or high < 1:
                value = "negative"
            else:
                value = "positive"
            attrs["rule"] = "ASCO/CAP 2020 1% cut-off"
        if value == "positive" and high <= 10 and cmp not in (">", "greater than", "over", "≥"):
            value = "low positive"  # ASCO/CAP 2020: 1-10% is reported as low positive
    allred = _ALLRED.search(window)
    if allred:
        attrs["allred"] = allred.group(1) or allred.group(2)
        span_end = max(span_end, lo + allred.end())
        if value is None:
            value = "positive" if int(attrs["allred"]) >= 3 else "negative"
            attrs["rule"] = "Allred score >2 positive"
    hscore = _HSCORE.search(window)
    if hscore:
        attrs["h_score"] = hscore.group(1)
        span_end = max(span_end, lo + hscore.end())
    intensity = _INTENSITY.search(window)
    if intensity and value is not None:
        attrs["intensity"] = intensity.group(1).lower()
    if value is None:
        return None
    label = "ER" if m.kind == "er_status" else "PR"
    return make_fact(
        doc,
        page,
        (m.start, max(span_end, m.end)),
        m.kind,
        value,
        found_by=f"biomarkers.{m.kind}",
        context=_context(text, m.start, m.end),
        display=f"{label} {value}" + (f" ({attrs['percent']})" if "percent" in attrs else ""),
        attributes=attrs,
    )


# -- HER2 ------------------------------------------------------------------------------------

_HER2_DISPLAY = {"0": "negative", "1+": "negative", "2+": "equivocal", "3+": "positive"}


def _her2(doc: Document, page: Page, m: _Mention, lo: int, hi: int) -> list[Fact]:
    lex = lexicon()
    text = page.text
    window = text[lo:hi]
    around = text[max(0, m.start - 40) : hi]
    facts: list[Fact] = []
    context = _context(text, m.start, m.end)
    score = _HER2_SCORE.search(window)
    word = lex.value_any.search(window)
    is_ish = bool(lex.ish.search(around)) and not (score and score.start() < 40)
    if is_ish:
        value: str | None = None
        if word and word.lastgroup in ("not_amplified", "amplified", "equivocal", "pending"):
            value = (word.lastgroup or "").replace("_", " ")
        elif word and word.lastgroup == "negative":
            value = "not amplified"
        elif word and word.lastgroup == "positive":
            value = "amplified"
        attrs: dict[str, str] = {}
        tail = text[lo : min(len(text), lo + 300)]
        ratio = _RATIO.search(tail)
        if ratio:
            attrs["ratio"] = ratio.group(1) or ratio.group(2)
        copies = _COPIES.search(tail)
        if copies:
            attrs["copy_number"] = copies.group(1) or copies.group(2)
        if value is None and "ratio" in attrs:
            r = float(attrs["ratio"])
            c = float(attrs.get("copy_number", "0") or 0)
            if r >= 2.0 and (c >= 4.0 or "copy_number" not in attrs):
                value = "amplified"
            elif r < 2.0 and (c < 4.0 or "copy_number" not in attrs):
                value = "not amplified"
            if value:
                attrs["rule"] = "ASCO/CAP 2018 ratio 2.0 / copy number 4.0"
        if value is None:
            return []
        end = lo + (word.end() if word else 0)
        facts.append(
            make_fact(
                doc,
                page,
                (m.start, max(end, m.end)),
                "her2_ish",
                value,
                found_by="biomarkers.her2_ish",
                context=context,
                display=f"HER2 ISH {value}",
                attributes=attrs,
            )
        )
        return facts
    if score:
        raw = score.group(1) or score.group(2) or score.group(4)
        value = "0" if score.group(3) or raw == "0" else f"{raw}+"
        facts.append(
            make_fact(
                doc,
                page,
                (m.start, lo + score.end()),
                "her2_ihc",
                value,
                found_by="biomarkers.her2_ihc.score",
                context=context,
                display=f"HER2 IHC {value} ({_HER2_DISPLAY[value]})",
                attributes={"method": "IHC"},
            )
        )
        return facts
    if word and word.lastgroup in ("negative", "positive", "equivocal"):
        value = word.lastgroup or ""
        if value == "positive" and (
            word.group(0).lower().startswith("weak") or _WEAKLY.search(window[: word.start()])
        ):
            value = "equivocal"
        method = "IHC" if lex.ihc.search(around) else "not stated"
        facts.append(
            make_fact(
                doc,
                page,
                (m.start, lo + word.end()),
                "her2_ihc",
                value,
                found_by="biomarkers.her2_ihc.word",
                context=context,
                display=f"HER2 {value}" + (" (IHC)" if method == "IHC" else ""),
                attributes={"method": method},
            )
        )
    elif word and word.lastgroup == "pending":
        facts.append(
            make_fact(
                doc,
                page,
                (m.start, lo + word.end()),
                "her2_ish",
                "pending",
                found_by="biomarkers.her2_ish.pending",
                context=context,
                display="HER2 ISH pending",
            )
        )
    elif _SIGN.match(window):
        sign = _SIGN.match(window)
        assert sign is not None
        value = "negative" if sign.group(1) in ("-", "-ve") else "positive"
        facts.append(
            make_fact(
                doc,
                page,
                (m.start, lo + sign.end()),
                "her2_ihc",
                value,
                found_by="biomarkers.her2_ihc.sign",
                context=context,
                display=f"HER2 {value}",
                attributes={"method": "not stated"},
            )
        )
    else:
        before = _FOR_BEFORE.search(text[max(0, m.start - 30) : m.start])
        if before:
            value = before.group(1).lower()
            if value == "positive" and _WEAKLY.search(
                text, max(0, m.start - 45), m.start - len(before.group(0))
            ):
                value = "equivocal"
            facts.append(
                make_fact(
                    doc,
                    page,
                    (m.start - len(before.group(0)), m.end),
                    "her2_ihc",
                    value,
                    found_by="biomarkers.her2_ihc.for",
                    context=context,
                    display=f"HER2 {value}",
                    attributes={"method": "not stated"},
                )
            )
    return facts


# -- Ki-67, mutations, PD-L1, BRCA, others -----------------------------------------------------


def _ki67(doc: Document, page: Page, m: _Mention, lo: int, hi: int) -> Fact | None:
    pct = _PERCENT.search(page.text, lo, min(hi, lo + 70))
    if not pct:
        return None
    value = re.sub(r"\s+", "", pct.group("a") + ("-" + pct.group("b") if pct.group("b") else ""))
    cmp = pct.group("cmp") or ""
    value = (cmp.strip() + value + "%") if cmp.strip() in ("<", ">", "≥", "≤") else value + "%"
    return make_fact(
        doc,
        page,
        (m.start, pct.end()),
        "ki67",
        value,
        found_by="biomarkers.ki67",
        context=_context(page.text, m.start, m.end),
        display=f"Ki-67 {value}",
    )


_GENE_LABEL = {"egfr": "EGFR", "alk": "ALK", "ros1": "ROS1", "kras": "KRAS", "braf": "BRAF"}


_SENTENCE_END = re.compile(r"[.;](?:\s|$)")
# "No EGFR T790M ...", "negative for KRAS mutation", "without ALK rearrangement".
_NO_GENE_BEFORE = re.compile(
    r"\b(?:no|without|negative\s+for|absence\s+of)\s+(?:(?:evidence|sign)\s+of\s+)?"
    r"(?:an?\s+|any\s+)?$",
    re.IGNORECASE,
)
# The exons a negative result covered: "no mutation detected in exons 18-21".
_SCOPE = re.compile(
    r"\b(?:in|across|of)\s+(exons?\s+\d{1,2}(?:\s*(?:-|\u2013|to|,|and|/)\s*\d{1,2})*)",
    re.IGNORECASE,
)
# "No pathogenic BRCA1 or BRCA2 variant detected": a "no" before the genes it covers.
_NO_BEFORE_GENES = re.compile(
    r"\b(?:no|without|negative\s+for|absence\s+of)\s+(?:(?:evidence\s+of|an?|any|"
    r"pathogenic|likely\s+pathogenic|germline|somatic|clinically\s+significant|deleterious|"
    r"actionable|or|and)\s+)*(?:[A-Za-z][A-Za-z0-9]{1,6}\s*(?:,|or|and|/)\s*)*$",
    re.IGNORECASE,
)
# "No exon 14 skipping variant detected": a "no" heading the result clause.
_NO_RESULT_AFTER = re.compile(
    r"[\s:,\-]*(?:no|without)\b[^.;\n]{0,60}?\b(?:detected|identified|found|seen|present)\b",
    re.IGNORECASE,
)


def _mutation(doc: Document, page: Page, m: _Mention, lo: int, hi: int) -> Fact | None:
    lex = lexicon()
    text = page.text
    stop = _SENTENCE_END.search(text, lo, hi)
    if stop:  # a gene's result is in its own sentence
        hi = stop.start()
    window = text[lo:hi]
    label = _GENE_LABEL[m.kind]
    found: list[tuple[int, int, str, str]] = []  # (start, end, value, variant)
    # A variant written into the marker name itself: "BRAF V600E", "EML4-ALK".
    variant_pattern = lex.variants.get(m.kind)
    inner = variant_pattern.search(m.name) if variant_pattern else None
    chain = m.chain_start if m.chain_start >= 0 else m.start
    said_no = bool(_NO_GENE_BEFORE.search(text, max(0, chain - 30), chain))
    # "BRAF: no V600 mutation detected": a "no" heading the result clause after the gene
    said_no = said_no or bool(_NO_RESULT_AFTER.match(window))
    if variant_pattern:
        v = variant_pattern.search(window)
        if v:
            found.append((v.start(), v.end(), "detected", " ".join(v.group(0).split())))
    gv = _GENERIC_VARIANT.search(window)
    if gv:
        found.append((gv.start(), gv.end(), "detected", gv.group(0)))
    a = lex.absent.search(window)
    if a:
        found.append((a.start(), a.end(), "not detected", ""))
    amp = lex.values["not_amplified"].search(window) or lex.values["amplified"].search(window)
    if amp and m.kind == "egfr":
        is_not = bool(lex.values["not_amplified"].match(amp.group(0)))
        found.append((amp.start(), amp.end(), "not amplified" if is_not else "amplified", ""))
    p = lex.present.search(window)
    if p:
        found.append((p.start(), p.end(), "detected", ""))
    before = _FOR_BEFORE.search(text[max(0, m.start - 30) : m.start])
    if not found and before:
        value = "not detected" if before.group(1).lower() == "negative" else "detected"
        found.append((0, 0, value, ""))
    if not found and inner:
        found.append((0, 0, "detected", inner.group(0)))
    if not found:
        return None
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    start, end, value, variant = found[0]
    if value == "detected" and not variant:
        # a variant named later in the same window still describes this result
        for _s, e, v2, var2 in found[1:]:
            if var2 and v2 == "detected":
                variant, end = var2, max(end, e)
                break
    if value == "detected" and not variant and inner:
        variant = inner.group(0)
    if value == "detected" and variant:
        # "EGFR T790M not detected": the result after the variant is about the variant.
        later = [f for f in found[1:] if f[0] >= end and f[2] == "not detected" and f[0] - end < 40]
        if said_no or later:
            value = "not detected"
            end = max(end, later[0][1]) if later else end
        if said_no and p is not None and lo + p.end() > lo + end:
            end = p.end()
    elif value == "detected" and said_no:
        value = "not detected"
    if value == "not detected" and not variant and inner:
        # "BRAF V600E: not detected": only V600E was excluded, not every BRAF mutation
        variant = inner.group(0)
    attrs = {"variant": variant} if variant else {}
    method = _method(lex, text, m, lo, hi)
    if method:
        attrs["method"] = method
    noun = _result_noun(lex, window)
    if m.kind in lex.fusion_genes:
        value, display = _fusion_result(label, value, variant, method, noun, window)
    else:
        if variant and value == "detected":
            value = variant
        elif variant and value == "not detected":
            value = f"{variant} not detected"
        display = f"{label} {value}" if value != "detected" else f"{label} mutation detected"
        if value == "not detected":
            # as written: "no pathogenic variant detected" is not "no mutation"
            what = noun or "mutation"
            display = (
                f"{label} wild-type" if what == "wild-type" else f"{label} {what} not detected"
            )
    scope = _SCOPE.search(window) if "not detected" in value else None
    if scope:  # "no mutation detected in exons 18-21": only those exons were tested
        attrs["tested"] = " ".join(scope.group(1).split())
        display = f"{display} ({attrs['tested']})"
    if noun and value in ("not detected", "negative"):
        attrs["result_as_written"] = noun
    return make_fact(
        doc,
        page,
        (m.start, max(m.end, lo + end)),
        m.kind,
        value,
        found_by=f"biomarkers.{m.kind}",
        context=_context(text, m.start, m.end),
        display=display,
        attributes=attrs,
    )


_CLAUSE_START = re.compile(r"[,;:(.\n][^,;:(.\n]*$")


def _method(lex: Lexicon, text: str, m: _Mention, lo: int, hi: int) -> str:
    """The test method named with a result: in the result's own stretch ("ALK (D5F3 IHC):
    negative", "negative by FISH"), else earlier in the same clause ("IHC for ALK: ...")."""
    for name, pattern in lex.methods:
        if pattern.search(text, lo, hi):
            return name
    chain = m.chain_start if m.chain_start >= 0 else m.start
    head = text[max(0, chain - 60) : chain]
    cut = _CLAUSE_START.search(head)
    head = head[cut.start() + 1 :] if cut else head
    for name, pattern in lex.methods:
        if pattern.search(head):
            return name
    return ""


def _result_noun(lex: Lexicon, window: str) -> str:
    """The tested event a negative result names ("pathogenic variant", "rearrangement")."""
    best: tuple[int, str] | None = None
    for noun, pattern in lex.result_nouns:
        hit = pattern.search(window)
        if hit and (best is None or hit.start() < best[0]):
            best = (hit.start(), noun)
    return best[1] if best else ""


_PLAIN_NEGATIVE = re.compile(r"\b(?:negative|neg)\b", re.IGNORECASE)
_PLAIN_POSITIVE = re.compile(r"\b(?:positive|pos)\b", re.IGNORECASE)


def _fusion_result(
    label: str, value: str, variant: str, method: str, noun: str, window: str
) -> tuple[str, str]:
    """The value and wording of an ALK or ROS1 result (knowledge/biomarkers.yaml
    fusion_genes): by IHC a protein result, negative or positive; by FISH or NGS whether
    a rearrangement (fusion) was detected; never a "mutation"."""
    event = noun if noun in ("rearrangement", "fusion") else ""
    event = event or ("fusion" if method == "NGS" else "rearrangement")
    if method == "IHC" or (
        not method
        and not noun
        and not variant
        and (_PLAIN_NEGATIVE.search(window) or _PLAIN_POSITIVE.search(window))
    ):
        # "ALK negative (IHC)", or "ALK negative" with no method: the protein result as written
        result = {"not detected": "negative", "detected": "positive"}.get(value, value)
        suffix = f" ({method})" if method else ""
        return result, f"{label} {result}{suffix}"
    suffix = f" ({method})" if method else ""
    if value == "detected":
        if variant:
            named = variant if event[:6] in variant.lower() else f"{variant} {event}"
            return variant, f"{named} detected{suffix}"
        return "detected", f"{label} {event} detected{suffix}"
    if value == "not detected":
        return "not detected", f"{label} {event} not detected{suffix}"
    return value, f"{label} {value}{suffix}"


def _pdl1(doc: Document, page: Page, m: _Mention, lo: int, hi: int) -> Fact | None:
    lex = lexicon()
    text = page.text
    window = text[lo : min(len(text), lo + 150)]
    attrs: dict[str, str] = {}
    tps = _TPS.search(window)
    cps = _CPS.search(window)
    parts: list[str] = []
    end = 0
    if tps:
        cmp = (tps.group("cmp") or "").replace("less than", "<")
        attrs["tps"] = f"{cmp}{tps.group('v')}%"
        parts.append(f"TPS {attrs['tps']}")
        end = max(end, tps.end())
    if cps:
        cmp = (cps.group("cmp") or "").replace("less than", "<")
        attrs["cps"] = f"{cmp}{cps.group('v')}"
        parts.append(f"CPS {attrs['cps']}")
        end = max(end, cps.end())
    if not parts:
        pct = _PERCENT.search(text, lo, hi)
        if pct:
            attrs["percent"] = pct.group(0).strip()
            parts.append(attrs["percent"])
            end = pct.end() - lo
    word = lex.value_any.search(text, lo, hi)
    if word and word.lastgroup in ("negative", "positive", "pending"):
        attrs["result"] = word.lastgroup or ""
        end = max(end, word.end() - lo)
    if not parts and "result" not in attrs:
        return None
    value = ", ".join(parts) if parts else attrs["result"]
    return make_fact(
        doc,
        page,
        (m.start, max(m.end, lo + end)),
        "pdl1",
        value,
        found_by="biomarkers.pdl1",
        context=_context(text, m.start, m.end),
        display=f"PD-L1 {value}",
        attributes=attrs,
    )


def _brca(doc: Document, page: Page, m: _Mention, lo: int, hi: int) -> Fact | None:
    lex = lexicon()
    text = page.text
    window = text[lo:hi]
    gene = m.name.upper().replace(" ", "")
    vus = _VUS.search(window)
    a = lex.absent.search(window)
    p = lex.present.search(window)
    options = [
        (x.start(), v, x.end())
        for x, v in (
            (vus, "variant of uncertain significance"),
            (a, "not detected"),
            (p, "pathogenic variant detected"),
        )
        if x is not None
    ]
    before = _FOR_BEFORE.search(text[max(0, m.start - 30) : m.start])
    if not options and before:
        options.append(
            (
                0,
                "not detected"
                if before.group(1).lower() == "negative"
                else "pathogenic variant detected",
                0,
            )
        )
    if not options:
        return None
    _, value, end = min(options)
    clause = _CLAUSE_START.search(text, max(0, m.start - 60), m.start)
    said_no = _NO_BEFORE_GENES.search(
        text, clause.start() if clause else max(0, m.start - 60), m.start
    )
    if value == "pathogenic variant detected" and (said_no or _NO_RESULT_AFTER.match(window)):
        value = "not detected"  # "no pathogenic BRCA1 or BRCA2 variant detected"
    display = f"{gene} {value}"
    said = text[clause.start() if clause else max(0, m.start - 60) : hi].lower()
    if value == "not detected" and "pathogenic" in said:
        display = f"{gene} pathogenic variant not detected"  # what was looked for, as written
    return make_fact(
        doc,
        page,
        (m.start, max(m.end, lo + end)),
        "brca",
        value,
        found_by="biomarkers.brca",
        context=_context(text, m.start, m.end),
        display=display,
        attributes={"gene": gene},
    )


# What a negative result says was tested, after the gene: "no MET exon 14 skipping
# detected" tested exon 14 skipping, not every MET alteration (a MET amplification is another
# test). Kept as written so that a negative result is no wider than the test.
_TESTED = re.compile(
    r"[\s:,\-]*(?:no\s+|without\s+)?((?:exon\s*\d{1,2}\s*)?(?:[\w\-]+\s+){0,3}?"
    r"(?:skipping(?:\s+(?:variant|mutation|alteration)s?)?|amplification|fusions?|"
    r"rearrangements?|mutations?|deletions?|insertions?|overexpression|translocations?|"
    r"exon\s*\d{1,2}\s+\w+))(?=\s+(?:was\s+|were\s+|is\s+)?(?:not\s+)?"
    r"(?:detected|identified|found|seen|present)|[\s.,;]|$)",
    re.IGNORECASE,
)


def _tested(text: str, start: int) -> str:
    """The alteration a negative result names right after the gene, or ''."""
    m = _TESTED.match(text, start, min(len(text), start + 60))
    return " ".join(m.group(1).split()) if m else ""


def _other(doc: Document, page: Page, m: _Mention, lo: int, hi: int) -> Fact | None:
    lex = lexicon()
    text = page.text
    window = text[lo : min(hi, lo + 60)]
    name = m.name
    no = _NO_RESULT_AFTER.match(window)
    if no or _NO_GENE_BEFORE.search(text, max(0, m.start - 30), m.start):
        end, value = (no.end() if no else 0), "not detected"
        tested = _tested(text, m.end)
        if tested:
            value = f"{tested} not detected"
    else:
        options: list[tuple[int, int, str]] = []
        me = _METHYL.search(window)
        if me:
            options.append((me.start(), me.end(), " ".join(me.group(1).lower().split())))
        gv = _GENERIC_VARIANT.search(window)
        if gv:
            options.append((gv.start(), gv.end(), gv.group(0)))
        word = lex.value_any.search(window)
        if word and word.lastgroup in ("negative", "positive", "amplified", "not_amplified"):
            options.append((word.start(), word.end(), (word.lastgroup or "").replace("_", " ")))
        sign = _SIGN.match(window)
        if sign:
            negative = sign.group(1) in ("-", "-ve")
            options.append((0, sign.end(), "negative" if negative else "positive"))
        if not options:
            return None
        start, end, value = min(options)
        value = _with_event(text, m.end, lo + start, value)
    attrs = {"marker": name}
    display = f"{name} {value}"
    method = _method(lex, text, m, lo, hi) or _label_method(lex, text, m.start)
    if method and value.endswith("detected"):  # "TP53 mutation not detected (NGS)"
        attrs["method"] = method
        display = f"{display} ({method})"
    return make_fact(
        doc,
        page,
        (m.start, max(m.end, lo + end)),
        "other_biomarker",
        value,
        found_by="biomarkers.other",
        context=_context(text, m.start, m.end),
        display=display,
        attributes=attrs,
    )


def _label_method(lex: Lexicon, text: str, start: int) -> str:
    """A method that labels the line: "FISH: TP53 deletion (del(17p)) not detected"."""
    line = text[text.rfind("\n", 0, start) + 1 : start]
    if ":" not in line:
        return ""
    label = line.split(":", 1)[0]
    return next((name for name, pattern in lex.methods if pattern.search(label)), "")


@lru_cache(maxsize=1)
def _events() -> re.Pattern[str]:
    words = sorted((str(w) for w in load("biomarkers")["other_events"]), key=len, reverse=True)
    return re.compile(rf"(?i)\b(?P<event>{'|'.join(map(re.escape, words))})\b")


def _with_event(text: str, after: int, result: int, value: str) -> str:
    """A result that names its tested event keeps it: "TP53 mutation not detected" is
    "mutation not detected", not "negative" (a deletion by FISH is another test)."""
    if value not in ("negative", "positive") or result - after > 30:
        return value
    event = _events().search(text, after, result)
    if event is None:
        return value
    noun = event.group("event").lower().rstrip("s")
    return f"{noun} not detected" if value == "negative" else f"{noun} detected"


# -- MSI / MMR -------------------------------------------------------------------------------


_MMR_CUES = ("msi", "mss", "microsatellite", "mismatch", "mmr", "mlh1", "msh2", "msh6", "pms2")


def _msi_mmr(doc: Document, page: Page) -> list[Fact]:
    text = page.text
    low = text.lower()
    if not any(cue in low for cue in _MMR_CUES):
        return []
    facts: list[Fact] = []
    msi = _MSI.search(text)
    if msi:
        value = "MSI-H" if msi.group("high") else "MSI-L" if msi.group("low") else "MSS"
        facts.append(
            make_fact(
                doc,
                page,
                msi,
                "msi_mmr",
                value,
                found_by="biomarkers.msi",
                context=_context(text, msi.start(), msi.end()),
                attributes={"test": "MSI"},
            )
        )
    lost: list[str] = []
    kept: list[str] = []
    first: tuple[int, int] | None = None
    for lm in _LOSS_OF.finditer(text):
        for protein in _MMR_PROTEIN.findall(lm.group(1).upper()):
            if protein not in lost:
                lost.append(protein)
        first = first or lm.span()
    for pm in _MMR_PROTEIN.finditer(text):
        after = text[pm.end() : pm.end() + 40]
        after = after.split("\n")[0]
        lost_m, kept_m = _LOST.search(after), _KEPT.search(after)
        nxt = _MMR_PROTEIN.search(after)
        limit = nxt.start() if nxt else len(after)
        if lost_m and lost_m.start() < limit and (not kept_m or lost_m.start() < kept_m.start()):
            if pm.group(1) not in lost:
                lost.append(pm.group(1))
            first = first or (pm.start(), pm.end() + lost_m.end())
        elif kept_m and kept_m.start() < limit:
            kept.append(pm.group(1))
            first = first or (pm.start(), pm.end() + kept_m.end())
    summary = _MMR_SUMMARY.search(text)
    if lost:
        span = first or (0, 0)
        facts.append(
            make_fact(
                doc,
                page,
                span,
                "msi_mmr",
                "dMMR",
                found_by="biomarkers.mmr.proteins",
                context="asserted",
                display=f"dMMR (loss of {', '.join(lost)})",
                attributes={"test": "MMR IHC", "lost": ", ".join(lost)},
            )
        )
    elif summary:
        value = "dMMR" if summary.group("d") else "pMMR"
        facts.append(
            make_fact(
                doc,
                page,
                summary,
                "msi_mmr",
                value,
                found_by="biomarkers.mmr.summary",
                context=_context(text, summary.start(), summary.end()),
                attributes={"test": "MMR IHC"},
            )
        )
    elif len(set(kept)) >= 2 and first:
        facts.append(
            make_fact(
                doc,
                page,
                first,
                "msi_mmr",
                "pMMR",
                found_by="biomarkers.mmr.proteins",
                context="asserted",
                display="pMMR (MMR proteins retained)",
                attributes={"test": "MMR IHC", "retained": ", ".join(sorted(set(kept)))},
            )
        )
    return facts


# -- driver ----------------------------------------------------------------------------------


def _page_facts(doc: Document, page: Page) -> list[Fact]:
    lex = lexicon()
    text = page.text
    facts: list[Fact] = []
    ms = [m for m in _mentions(lex, text) if m.kind != "msi_mmr"]
    her2_seen = False
    for m, lo, hi in _windows(text, ms):
        if _not_a_test(lex, text, m):
            continue
        if lex.not_assessed.match(text, lo, hi):
            continue  # "ROS1: not assessed (insufficient tissue)": no result, a gap
        fact: Fact | None = None
        found: list[Fact] = []
        if m.kind in ("er_status", "pr_status"):
            fact = _hormone(doc, page, m, lo, hi)
        elif m.kind == "her2":
            her2_seen = True
            found = _her2(doc, page, m, lo, hi)
        elif m.kind == "ki67":
            fact = _ki67(doc, page, m, lo, hi)
        elif m.kind in _GENE_LABEL:
            fact = _mutation(doc, page, m, lo, hi)
        elif m.kind == "pdl1":
            fact = _pdl1(doc, page, m, lo, hi)
        elif m.kind == "brca":
            fact = _brca(doc, page, m, lo, hi)
        elif m.kind == "other_biomarker":
            fact = _other(doc, page, m, lo, hi)
        if fact is not None:
            found.append(fact)
        if found and _hypothetical(
            lex, text, m.chain_start if m.chain_start >= 0 else m.start, m.end
        ):
            for f in found:
                if f.context == "asserted":
                    f.context = "possible"
                    f.attributes["hypothetical"] = "conditional, planned or asked, not a result"
        facts.extend(found)
    if her2_seen and not any(f.kind == "her2_ish" and f.context == "asserted" for f in facts):
        wait = _AWAIT_ISH.search(text)
        if wait:
            facts.append(
                make_fact(
                    doc,
                    page,
                    wait,
                    "her2_ish",
                    "pending",
                    found_by="biomarkers.her2_ish.await",
                    context="asserted",
                    display="HER2 ISH pending",
                )
            )
    facts.extend(_msi_mmr(doc, page))
    if re.search(r"\btriple[\s\-]+negative\b", text, re.IGNORECASE):
        tn = re.search(r"\btriple[\s\-]+negative\b", text, re.IGNORECASE)
        assert tn is not None
        for kind, label in (("er_status", "ER"), ("pr_status", "PR"), ("her2_ihc", "HER2")):
            if not any(f.kind == kind for f in facts):
                facts.append(
                    make_fact(
                        doc,
                        page,
                        tn,
                        kind,
                        "negative",
                        found_by="biomarkers.triple_negative",
                        context=_context(text, tn.start(), tn.end()),
                        display=f"{label} negative (triple negative)",
                        attributes={"method": "not stated"} if kind == "her2_ihc" else {},
                    )
                )
    return facts


def extract(doc: Document) -> list[Fact]:
    """Biomarker facts of one document (see the module docstring)."""
    facts: list[Fact] = []
    for page in pages(doc):
        facts.extend(_page_facts(doc, page))
    return facts
