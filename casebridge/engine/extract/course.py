"""The clinical course: treatments, responses, medications, allergies, labs,
performance status, comorbidities and dated events, each a sourced Fact.

Vocabulary lives in knowledge/drugs.yaml, treatments.yaml and labs.yaml; all
terms are compiled once into two trie regexes (case-insensitive, and exact case
for short abbreviations such as EC, AC, ICE, PD), so a page is scanned for every
term in one pass. Attributes are read only where the text states them:

- treatment kinds (surgery, regimen, drug, radiotherapy, immunotherapy,
  targeted_therapy, hormone_therapy, cellular_therapy, transplant): "class",
  "components", "dose", "schedule", "cycles", "date" / "start_date" / "end_date"
  (+ "*_precision"), radiotherapy "dose_gy" / "fractions";
- response: "imaging", "date", "deauville";
- medication: "dose", "route", "frequency"; allergy: "reaction";
- lab: "analyte", "value", "unit", "comparator", "reference_range", "flag", "date";
- performance_status: "scale", "score"; event_date: "date", "precision", "event".

A past treatment ("previously treated with R-CHOP") is part of the course: for
the course kinds the "historical" context is kept as asserted with
attributes["historical"] = "yes"; negated, possible and family stay as found.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract import schedule as _schedule
from casebridge.engine.extract import status as _status
from casebridge.engine.extract.context import compile_terms, context_of, sentence_bounds, term_key
from casebridge.engine.extract.dates import DateMatch, date_at, find_dates, is_after
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.kb import load

CLASS_KIND = {
    "chemotherapy": "drug",
    "targeted": "targeted_therapy",
    "immunotherapy": "immunotherapy",
    "hormone": "hormone_therapy",
    "cellular": "cellular_therapy",
}
TREATMENT_KINDS = frozenset(
    [*CLASS_KIND.values(), "regimen", "surgery", "radiotherapy", "transplant"]
)
_KEEP_HISTORY = TREATMENT_KINDS | {"response", "comorbidity", "medication", "allergy"}


# ------------------------------------------------------------------ lexicon
@dataclass(frozen=True)
class Term:
    cat: str  # treatment, response, comorbidity, lab, imaging, cue
    kind: str  # fact kind (or event name for cues)
    value: str
    cls: str = ""
    components: tuple[str, ...] = ()
    ambiguous: bool = False
    units: tuple[str, ...] = ()
    short_ok: bool = False


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    terms: tuple[Term, ...]

    def first(self, cat: str) -> Term | None:
        return next((t for t in self.terms if t.cat == cat), None)


@dataclass
class _Lexicon:
    loose: re.Pattern[str]
    exact: re.Pattern[str]
    loose_terms: dict[str, tuple[Term, ...]]
    exact_terms: dict[str, tuple[Term, ...]]


def _is_exact(alias: str) -> bool:
    """Short abbreviations keep their case: "EC", "ICE", "PD", "Mg" (not "mg"), "Cr"."""
    size = sum(c.isalnum() for c in alias)
    return size <= 3 or (not any(c.islower() for c in alias) and size <= 5)


def _build(pairs: Iterable[tuple[str, Term, bool]]) -> _Lexicon:
    loose: dict[str, list[Term]] = {}
    exact: dict[str, list[Term]] = {}
    loose_aliases: list[str] = []
    exact_aliases: list[str] = []
    for alias, term, force_exact in pairs:
        alias = str(alias).strip()
        if not alias:
            continue
        if force_exact or _is_exact(alias):
            key = _exact_key(alias)
            exact_aliases.append(alias)
            bucket = exact.setdefault(key, [])
        else:
            key = term_key(alias)
            loose_aliases.append(alias)
            bucket = loose.setdefault(key, [])
        if term not in bucket and not any(
            t.cat == term.cat and t.kind == term.kind and t.cat in ("imaging", "cue")
            for t in bucket
        ):
            bucket.append(term)
    return _Lexicon(
        compile_terms(loose_aliases),
        compile_terms(exact_aliases, ignore_case=False),
        {k: tuple(v) for k, v in loose.items()},
        {k: tuple(v) for k, v in exact.items()},
    )


def _exact_key(text: str) -> str:
    return re.sub(r"[\s\-/‐–]+", "", text)


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    drugs = load("drugs")
    tx = load("treatments")
    labs = load("labs")
    pairs: list[tuple[str, Term, bool]] = []
    for d in drugs["drugs"]:
        term = Term(
            "treatment",
            CLASS_KIND[d["class"]],
            d["name"],
            cls=d["class"],
            ambiguous=bool(d.get("ambiguous")),
        )
        pairs += [(a, term, bool(d.get("exact"))) for a in [d["name"], *d.get("aliases", [])]]
    for r in drugs["regimens"]:
        term = Term(
            "treatment",
            "regimen",
            r["name"],
            cls="regimen",
            components=tuple(r.get("components", [])),
            ambiguous=bool(r.get("ambiguous")),
        )
        pairs += [(a, term, bool(r.get("exact"))) for a in [r["name"], *r.get("aliases", [])]]
    for kind in ("surgery", "radiotherapy", "transplant"):
        for e in tx[kind]:
            term = Term("treatment", kind, e["name"], cls=kind)
            pairs += [(a, term, False) for a in [e["name"], *e.get("aliases", [])]]
    ambiguous = {term_key(a) for a in tx.get("response_ambiguous", [])}
    for e in tx["response"]:
        for a in [e["name"], *e.get("aliases", [])]:
            term = Term("response", "response", e["name"], ambiguous=term_key(a) in ambiguous)
            pairs.append((a, term, False))
    ambiguous = {term_key(a) for a in tx.get("comorbidity_ambiguous", [])}
    for e in tx["comorbidity"]:
        for a in [e["name"], *e.get("aliases", [])]:
            term = Term("comorbidity", "comorbidity", e["name"], ambiguous=term_key(a) in ambiguous)
            pairs.append((a, term, False))
    for a in tx["imaging"]:
        pairs.append((a, Term("imaging", "imaging", str(a)), False))
    for event, cues in tx["event_cues"].items():
        for a in cues:
            pairs.append((a, Term("cue", event, str(a)), False))
    for e in labs["labs"]:
        short_ok = {term_key(a) for a in e.get("short_ok", [])}
        for a in [e["name"], *e.get("aliases", [])]:
            ok = len(term_key(a)) > 2 or term_key(a) in short_ok
            term = Term("lab", "lab", e["name"], units=tuple(e.get("units", [])), short_ok=ok)
            pairs.append((a, term, False))
    return _build(pairs)


def treatment_mentions(text: str) -> list[Mention]:
    """Every drug, regimen, treatment, lab and cue of the knowledge base named in the
    text (the engine's one lexicon; the emergency screen reads anticancer drugs with it)."""
    return _scan(text)


def _scan(text: str) -> list[Mention]:
    lex = _lexicon()
    found: list[Mention] = []
    for m in lex.loose.finditer(text):
        terms = lex.loose_terms.get(term_key(m.group()))
        if terms:
            found.append(Mention(m.start(), m.end(), m.group(), terms))
    for m in lex.exact.finditer(text):
        end = m.end()
        if end + 1 < len(text) and text[end] in "-/" and text[end + 1].isalnum():
            continue  # "PD-L1", "EC-1": a different word that starts the same
        terms = lex.exact_terms.get(_exact_key(m.group()))
        if terms:
            found.append(Mention(m.start(), end, m.group(), terms))
    found.sort(key=lambda x: (x.start, -(x.end - x.start)))
    kept: list[Mention] = []
    last_end = -1
    for mention in found:
        if mention.start >= last_end:
            kept.append(mention)
            last_end = mention.end
        elif kept and (mention.start, mention.end) == (kept[-1].start, kept[-1].end):
            # the same words in both lexicons ("PET" exact and loose): keep every reading
            prev = kept[-1]
            extra = tuple(t for t in mention.terms if t not in prev.terms)
            kept[-1] = Mention(prev.start, prev.end, prev.text, prev.terms + extra)
    return kept


# ------------------------------------------------------------------ patterns
_NUM_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "sixteen": 16, "eighteen": 18,
}  # fmt: skip
_N = r"(?P<n>\d{1,2}|" + "|".join(_NUM_WORDS) + r")"
_CYCLES_BEFORE = re.compile(
    rf"(?i)\b{_N}\s*(?:x\s*)?(?:cycles?|courses?|doses?|infusions?)\s+(?:of\s+)?(?:\w+\s+)?$"
)
_CYCLES_AFTER = re.compile(
    rf"(?i)[\s,(]*(?:(?:x|×)\s?{_N}(?!\d)(?:\s*(?:cycles?|courses?))?"
    rf"|(?:for|over)?\s*{_N.replace('?P<n>', '?P<n2>')}\s*(?:cycles?|courses?))"
)
_CYCLES_ANY = re.compile(rf"(?i)\b{_N}\s*(?:cycles?|courses?)\b")
_CURRENT_CYCLE = re.compile(r"(?i)\b(?:C|cycle\s*)(?P<n>\d{1,2})\s*(?:D|day\s*)\d{1,2}\b")
_UNIT = r"(?:mg/m2|mg/m²|mg/kg|mg|g/m2|g/m²|g|mcg|micrograms?|units|IU|ml|mL)"
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
_START_CUE = re.compile(
    r"(?i)\b(?:start(?:ed|ing)?|commenc\w*|began|begun|initiat\w*|from|since|C1D1|cycle\s*1)\b"
)
_END_CUE = re.compile(
    r"(?i)\b(?:complet\w*|finish\w*|until|till|ended|stopped|discontinued|last\s+(?:cycle|dose))\b"
    r"|\bto\s*$|[-–]\s*$"  # "to" only right before the date ("... to 17/06/2024")
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
_MED_HEAD = re.compile(r"(?i)\s*(?P<head>[A-Za-z][A-Za-z ()]{1,40}?)\s*(?::|$)\s*(?P<rest>.*)$")
_HEADING_LINE = re.compile(r"^\s*(?:[A-Z][A-Za-z /&()-]{2,50}:|[A-Z][A-Z /&()-]{3,50})\s*$")
_MED_HINT = re.compile(r"medication|drug|meds|\btto|\bdh\b")
_DOSE_HINT = re.compile(r"\d ?(?:mg|mcg|micrograms?|units|iu)\b")
_LABEL_LINE = re.compile(r"\s*[A-Z][A-Za-z /&()-]{1,40}:(?:\s|$)")
_BULLET = re.compile(r"^\s*(?:[-•*·]|\d{1,2}[.)])\s*")
_MED_WORD_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "is",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "total",
        "dose",
        "doses",
        "daily",
        "weekly",
        "reduced",
        "increased",
        "decreased",
        "dose-reduced",
        "started",
        "stopped",
        "takes",
        "taking",
        "take",
        "taken",
        "given",
        "receiving",
        "received",
        "continue",
        "continued",
        "commenced",
        "tumour",
        "tumor",
        "mass",
        "lesion",
        "nodule",
        "size",
        "measuring",
        "measures",
        "approximately",
        "about",
        "around",
        "every",
        "each",
        "per",
        "cycle",
        "cycles",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "hb",
        "wcc",
        "plt",
    ]
)
_PMH_HEAD = re.compile(
    r"(?im)^[ \t]*(?:PMH(?:x)?|past\s+medical\s+history|past\s+history|medical\s+history"
    r"|co-?morbidit(?:y|ies)|background(?:\s+history)?|other\s+medical\s+problems"
    r"|relevant\s+history)\b"
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_DOB_LABEL = re.compile(
    r"(?i)\b(?:D\.?\s?O\.?\s?B\b\.?|date\s+of\s+birth|birth\s*date|born)\s*[:\-=|]?\s*$"
)
_DOC_DATE_LABELS = re.compile(
    r"(?i)\b(?P<label>date[ \t]+(?:of[ \t]+)?(?:report|letter|dictation|issue|clinic|consultation)"
    r"|report(?:ed)?[ \t]+(?:date|on)|date[ \t]+(?:reported|issued|typed|dictated|authori[sz]ed|verified"
    r"|signed|printed|of[ \t]+typing)|dictated(?:[ \t]+on)?|typed(?:[ \t]+on)?|letter[ \t]+date|clinic[ \t]+date"
    r"|(?:electronically[ \t]+)?(?:authori[sz]ed|verified|signed)(?:[ \t]+electronically)?"
    r"(?:[ \t]+(?:on|date|out))?|sign[- ]out[ \t]+date"
    r"|printed(?:[ \t]+on)?|produced(?:[ \t]+on)?|written(?:[ \t]+on)?"
    r"|date[ \t]+of[ \t]+(?:exam|examination|scan|procedure|meeting)|(?:MDT|meeting)[ \t]+date"
    r"|updated(?:[ \t]+on)?(?:[ \t]+by[ \t]+[A-Z][a-z]+)?"
    r"|(?<![\w ])date)\b\s*[:\-]?\s*"
)
_SPECIFIC_DOC_LABEL = re.compile(
    r"(?i)report|letter|dictat|typed|issue|clinic|consult|authori|verif|sign|print|produc|writ"
    r"|exam|scan|procedure|meeting|mdt"
)
_DEAR = re.compile(r"(?m)^[ \t]*Dear\b")
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
        r"(?:[:=][ \t]*)?(?P<cmp>[<>≤≥])?[ \t]*(?P<val>\d+(?:\.\d+)?)(?![\d]|[./:]\d|\s*(?:-|–)\s*\d)"
        rf"(?:[ \t]?(?P<unit>{_unit_regex(units)})(?![\w/]))?"
    )


@lru_cache(maxsize=1)
def _med_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    tx = load("treatments")
    freq = compile_terms(tx["frequencies"]).pattern
    route = compile_terms(tx["routes"]).pattern
    heads = compile_terms(tx["medication_headings"]).pattern
    forms = compile_terms(tx.get("medication_forms") or ["tablets"]).pattern
    # "every 12 weeks", "up to four times a day", "one tablet every morning"
    freq_any = (
        rf"(?:up[ \t]+to[ \t]+)?(?:{freq}|every[ \t]+\d{{1,2}}[ \t]+(?:hours|days|weeks|months))"
    )
    sig = (
        r"(?:(?:one|two|three|four|half|1|2|3|4)[ \t]+"
        r"(?:tablets?|tabs?|capsules?|caps?|puffs?|drops?|sachets?|injections?|patch(?:es)?)"
        r"(?:[ \t]+(?:by[ \t]+mouth|orally))?[ \t]+)?"
    )
    item = re.compile(
        r"(?P<name>[A-Za-z][A-Za-z0-9\-]{2,}(?:[ \t]+(?:[A-Za-z][a-z\-]{2,}|[A-Z][A-Za-z0-9]{1,4}))?)"
        r"(?:[ \t]*\([A-Za-z][^()\n]{0,30}\))?"  # a brand or note: "Osimertinib (Tagrisso)"
        rf"(?:[ \t]+(?:{forms}))?[ \t]*"
        r"(?:(?P<dose>\d+(?:\.\d+)?[ \t]?(?:mg|mcg|micrograms?|g|ml|mL|units?|IU|%|puffs?|drops?"
        r"|tablets?|tabs?|capsules?)(?:/\d*(?:ml|mL|hour|hr|dose))?)(?![\w/]))?"
        rf"(?:[ \t]*(?:{forms}))?"
        rf"(?:[ \t]*(?P<route>{route}))?"
        rf"(?:[ \t]*[-–:]?[ \t]*(?P<freq>{sig}{freq_any}(?:[ \t]+(?:{freq}))?))?",
        re.IGNORECASE,
    )
    free = re.compile(
        r"(?<![\w-])(?P<name>[A-Za-z][a-z]{3,}(?:-[a-z]+)?)[ \t]+"
        r"(?P<dose>\d+(?:\.\d+)?[ \t]?(?:mg|mcg|micrograms?|units|IU)(?![\w/]))"
        rf"(?:[ \t]*(?P<route>{route}))?[ \t]*(?P<freq>{freq_any}(?:[ \t]+(?:{freq}))?)",
        re.IGNORECASE,
    )
    return re.compile(rf"^(?:{heads})$", re.IGNORECASE), item, free


@lru_cache(maxsize=1)
def _name_heads() -> frozenset[str]:
    """Second words of two-word drug names ("zoledronic acid", "sodium valproate" is
    the other way round): when running text gives only "acid 4 mg", the word before
    belongs to the name."""
    return frozenset(str(w).lower() for w in load("treatments").get("medication_name_tails") or [])


# ------------------------------------------------------------------ helpers
@dataclass
class _Page:
    doc: Document
    page: Page
    text: str
    mentions: list[Mention]
    starts: list[int]
    dates: list[DateMatch]
    low: str
    dob: set[int] = field(default_factory=set)  # start offsets of dates of birth
    facts: list[Fact] = field(default_factory=list)
    doc_date: str | None = None  # the record's date, against which a status is read
    sections: list[_status.Section] = field(default_factory=list)

    def dates_in(self, lo: int, hi: int) -> list[DateMatch]:
        return [d for d in self.dates if lo <= d.start and d.end <= hi and d.start not in self.dob]

    def mentions_in(self, lo: int, hi: int) -> list[Mention]:
        i = bisect_left(self.starts, lo)
        out = []
        while i < len(self.mentions) and self.mentions[i].start < hi:
            out.append(self.mentions[i])
            i += 1
        return out


def _context(text: str, start: int, end: int, kind: str) -> tuple[str, dict[str, str]]:
    ctx = context_of(text, start, end)
    if ctx == "historical" and kind in _KEEP_HISTORY:
        return "asserted", {"historical": "yes"}
    return ctx, {}


# A form field answered after the term: "CHEMORADIATION THERAPY: No", "Prior treatment: Not given".
_FORM_ANSWER = re.compile(
    r"[ \t]*(?:therapy|treatment|history)?[ \t]*[:\-][ \t]*(?P<a>no\b|none\b|nil\b|negative\b"
    r"|not\s+(?:given|answered|applicable|provided|known|stated|available)|n/a|unknown)",
    re.IGNORECASE,
)
_NOT_A_TERM_AFTER = re.compile(r"-(?:like|free|related|specific|score)\b|\s+score\b", re.IGNORECASE)


def _fact(
    p: _Page, span: tuple[int, int], kind: str, value: str, rule: str, **kw: Any
) -> Fact | None:
    context = kw.get("context")
    if context is None:
        tail = p.text[span[1] : span[1] + 40]
        if _NOT_A_TERM_AFTER.match(tail):
            return None  # "depression-like", "recurrence-free", "Recurrence Score"
        answer = _FORM_ANSWER.match(tail)
        if answer:
            a = answer.group("a").lower()
            if not a.startswith(("no", "nil", "negative")) or a.startswith("not"):
                return None  # the form does not say: not stated, no fact
            kw["context"] = "negated"
    attrs: dict[str, str] = {k: str(v) for k, v in (kw.pop("attributes", None) or {}).items() if v}
    context = kw.pop("context", None)
    if context is None:
        context, extra = _context(p.text, span[0], span[1], kind)
        attrs.update(extra)
    if kind in _STATUS_KINDS and context == "asserted":
        _put_status(p, span, kind, attrs)
    fact = make_fact(
        p.doc,
        p.page,
        span,
        kind,
        value,
        found_by=f"course.{rule}",
        context=context,
        display=kw.pop("display", ""),
        attributes=attrs,
    )
    p.facts.append(fact)
    return fact


_STATUS_KINDS = TREATMENT_KINDS | {"medication"}


def _put_status(p: _Page, span: tuple[int, int], kind: str, attrs: dict[str, str]) -> None:
    """attributes["status"] (planned / current / completed) and ["status_date"] (the record's
    date it holds on), when the record says; nothing when it does not."""
    section = _status.section_status(p.sections, span[0])
    if section is None and kind == "medication" and p.doc.doc_type == "medication_list":
        section = "current"  # a list of what the patient takes
    found = _status.read_status(
        p.text, span, kind=kind, attrs=attrs, doc_date=p.doc_date, section=section
    )
    if found:
        attrs["status"] = found
        if p.doc_date:
            attrs["status_date"] = p.doc_date


def _num(raw: str) -> int:
    return _NUM_WORDS.get(raw.lower()) or int(raw)


def _put_date(attrs: dict[str, str], key: str, d: DateMatch) -> None:
    if key not in attrs:
        attrs[key] = d.iso
        attrs[f"{key}_precision"] = d.precision


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


def _clause_end(text: str, start: int, stop: int) -> int:
    """Where a drug's own words end: at the next comma, semicolon or full stop."""
    m = re.compile(r"[,;]|\.(?=\s|$)").search(text, start, stop)
    return m.start() if m else stop


def _share_regimen_status(facts: list[Fact]) -> None:
    """The drugs of a regimen named in its sentence ("R-CHOP ... (rituximab 375 mg/m2,
    cyclophosphamide ...)") share the regimen's status when their own words say none."""
    regimens = [f for f in facts if f.kind == "regimen" and f.attributes.get("status")]
    for fact in facts:
        if fact.kind == "regimen" or fact.attributes.get("status"):
            continue
        for reg in regimens:
            parts = {c.strip().lower() for c in reg.attributes.get("components", "").split(",")}
            if fact.value.lower() in parts:
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
def _responses(p: _Page) -> None:
    text = p.text
    for m in p.mentions:
        term = m.first("response")
        if term is None:
            continue
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


# ------------------------------------------------------------------ comorbidities
def _sections(text: str, head: re.Pattern[str]) -> list[tuple[int, int]]:
    spans = []
    for m in head.finditer(text):
        b = _BLANK_LINE.search(text, m.end())
        spans.append((m.start(), b.start() if b else len(text)))
    return spans


def _comorbidities(p: _Page) -> None:
    pmh: list[tuple[int, int]] | None = None
    for m in p.mentions:
        term = m.first("comorbidity")
        if term is None:
            continue
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
        attrs: dict[str, str] = {"analyte": term.value, "value": v.group("val"), "unit": unit}
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
                x = float(v.group("val"))
                attrs["flag"] = (
                    "low"
                    if x < float(rng.group("lo"))
                    else "high"
                    if x > float(rng.group("hi"))
                    else "normal"
                )
            else:
                attrs["reference_range"] = f"{rng.group('lt')}{rng.group('lim')}"
                x, lim = float(v.group("val")), float(rng.group("lim"))
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
        shown = f"{v.group('cmp') or ''}{v.group('val')}" + (f" {unit}" if unit else "")
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


# ------------------------------------------------------------------ medications
_MED_LIST_TITLE = re.compile(r"(?im)^[ \t]*(?:my[ \t]+)?medications?[ \t]+list\b")
_PROSE_END = re.compile(r"[.!?][ \t]*$")


def _is_list_line(line: str) -> bool:
    """A line that can continue a medication list: a bullet, a table row, or a short
    line giving a dose. Running prose ("I saw Ms X with her sister ...") ends the list."""
    body = line.strip()
    if not body:
        return False
    if _BULLET.match(line) or "|" in body:
        return True
    return bool(_DOSE_HINT.search(body.lower())) and len(body.split()) <= 16


def _medications(p: _Page) -> None:
    text = p.text
    heading, item_re, free_re = _med_patterns()
    taken: list[tuple[int, int]] = []
    if not _MED_HINT.search(p.low):
        lines: list[str] = []
    else:
        lines = text.split("\n")
    # a whole document that is a medication list: every line giving a dose is an item
    whole_list = p.doc.doc_type == "medication_list" and bool(_MED_LIST_TITLE.search(text))
    offset = 0
    in_list = False
    starts = []
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    for idx, line in enumerate(lines):
        base = starts[idx]
        head = _MED_HEAD.match(line)
        if head and heading.match(head.group("head").strip()):
            rest = head.group("rest")
            if rest.strip():
                # "Medication: amlodipine 5 mg od; atorvastatin 20 mg" - the list is this line
                _med_items(p, item_re, base + head.start("rest"), rest, taken)
                in_list = rest.rstrip().endswith((",", ";"))
            else:
                in_list = True
            continue
        if in_list or (whole_list and line.strip()):
            if (
                not line.strip()
                or (
                    (_HEADING_LINE.match(line) or _LABEL_LINE.match(line))
                    and not _BULLET.match(line)
                )
                or not (_is_list_line(line) or whole_list)
            ):
                in_list = False
                continue
            bullet = _BULLET.match(line)
            b = bullet.end() if bullet else 0
            _med_items(p, item_re, base + b, line[b:], taken)
    if not _DOSE_HINT.search(p.low):
        return
    for m in free_re.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        if m.group("name").lower() in _MED_WORD_STOP:
            continue
        _med_fact(p, m, m.start(), "medication.text")


def _med_items(
    p: _Page, item_re: re.Pattern[str], base: int, chunk: str, taken: list[tuple[int, int]]
) -> None:
    # a table row "Amlodipine 5 mg tablets | One daily | 28/08/2026" reads as one item
    # (bars become spaces, so offsets are kept)
    chunk = chunk.replace("|", " ")
    pos = 0
    for piece in re.split(r"[,;]", chunk):
        lead = len(piece) - len(piece.lstrip())
        m = item_re.match(piece.strip())
        start = base + pos + lead
        pos += len(piece) + 1
        if not m or m.group("name").lower() in _MED_WORD_STOP:
            continue
        first = m.group("name").split()[0].lower()
        if first in _MED_WORD_STOP:
            continue
        if not (m.group("dose") or m.group("freq")) and (
            len(piece.split()) > 4 or _PROSE_END.search(piece)
        ):
            continue  # a sentence, not a list item
        if not (m.group("dose") or m.group("freq")) and not _known_drug(m.group("name")):
            continue  # "Plan", "Yours sincerely", "Sister Amy": a name without a dose
        _med_fact(p, m, start, "medication.list")
        taken.append((start, start + m.end()))


def _known_drug(name: str) -> bool:
    lex = _lexicon()
    terms = lex.loose_terms.get(term_key(name)) or lex.exact_terms.get(_exact_key(name)) or ()
    return any(t.cat == "treatment" for t in terms)


_WORD_BEFORE = re.compile(r"([A-Za-z][a-z]{2,})[ \t]+$")


def _med_fact(p: _Page, m: re.Match[str], start: int, rule: str) -> None:
    name = " ".join(m.group("name").split())
    end = start + (m.end() - m.start()) if rule != "medication.text" else m.end()
    if name.lower() in _name_heads():
        prev = _WORD_BEFORE.search(p.text, max(0, start - 30), start)
        if prev:  # "zoledronic acid 4 mg": the name is both words
            name = f"{prev.group(1)} {name}"
            start = prev.start(1)
    lex = _lexicon()
    terms = lex.loose_terms.get(term_key(name)) or lex.exact_terms.get(_exact_key(name)) or ()
    known = next((t for t in terms if t.cat == "treatment"), None)
    value = known.value if known else name.lower()
    attrs = {
        "dose": " ".join((m.group("dose") or "").split()),
        "route": m.group("route") or "",
        "frequency": " ".join((m.group("freq") or "").split()),
    }
    if known:
        attrs["class"] = known.cls
    line_end = p.text.find("\n", end)
    line_end = len(p.text) if line_end == -1 else line_end
    if rule == "medication.text":
        line_end = min(line_end, _sentence_end(p.text, end))
    attrs["schedule"] = _schedule.schedule_after(
        p.text, end, line_end, frequency=attrs["frequency"]
    )
    _med_dates(p, end, line_end, attrs)
    shown = (value, attrs["dose"], attrs["route"], attrs["frequency"], attrs["schedule"])
    display = " ".join(x for x in shown if x)
    _fact(p, (start, end), "medication", value, rule, attributes=attrs, display=display)


_MED_DATE_LEAD = re.compile(
    r"(?i)\b(?P<start>since|started|starting|from|commenced|began)"
    r"|\b(?P<end>until|till|stopped|ended|to|completed)"
    r"|\b(?P<next>next(?:\s+due)?|due|repeat)"
    r"|\b(?P<on>given|on|dated?)\b[^\w]*$"
)


def _med_dates(p: _Page, lo: int, hi: int, attrs: dict[str, str]) -> None:
    """Dates written in a medicine's own item: "(since 17/11/2025)" starts it, "(next
    13/10/2026)" is its next dose, "given 08/09/2026" dates it."""
    for d in p.dates_in(lo, hi):
        lead = _MED_DATE_LEAD.search(p.text, max(lo, d.start - 14), d.start)
        if lead is None:
            continue
        if lead.group("start"):
            _put_date(attrs, "start_date", d)
        elif lead.group("end"):
            _put_date(attrs, "end_date", d)
        elif lead.group("next"):
            _put_date(attrs, "next_date", d)
        else:
            _put_date(attrs, "date", d)


def _sentence_end(text: str, pos: int) -> int:
    m = re.compile(r"[.;](?=\s|$)").search(text, pos)
    return m.start() if m else len(text)


# ------------------------------------------------------------------ dated events
def _events(p: _Page, doc_date: tuple[int, str] | None, doc_event: str) -> None:
    text = p.text
    for d in p.dates:
        if d.start in p.dob:
            continue
        cue: tuple[int, int] | None = None
        if doc_date is not None and d.start == doc_date[0]:
            event, label = doc_event, "document date"
        else:
            found = _event_for(p, d)
            if found is None:
                continue
            event, mention = found
            label, cue = mention.text, (mention.start, mention.end)
        attrs = {"date": d.iso, "precision": d.precision, "event": event, "label": label}
        if p.doc_date and is_after(d.iso, p.doc_date):
            attrs["status"] = "planned"  # booked or expected: it has not happened yet
        display = f"{event.replace('_', ' ')}: {' '.join(d.text.split())}"
        # the date of a scan happened even when the scan showed "no progression"; only a
        # progression or relapse that is itself negated ("no relapse since 2019") is not an event
        context = "asserted"
        if event in ("progression", "relapse", "response", "diagnosis") and cue is not None:
            context = context_of(text, cue[0], cue[1])
            context = "asserted" if context == "historical" else context
        _fact(
            p,
            (d.start, d.end),
            "event_date",
            d.iso,
            "event_date",
            attributes=attrs,
            display=display,
            context=context,
        )


_ROW_LEAD = re.compile(r"[ \t]*(?:[-•*·|][ \t]*)?$")


def _event_for(p: _Page, d: DateMatch) -> tuple[str, Mention] | None:
    text = p.text
    lo, hi = sentence_bounds(text, d.start, d.end)
    line_lo = text.rfind("\n", 0, d.start) + 1
    line_hi = text.find("\n", d.end)
    line_hi = len(text) if line_hi == -1 else line_hi
    if _ROW_LEAD.match(text, line_lo, d.start) or "|" in text[line_lo:line_hi]:
        # a dated row ("12 Oct 2025 | Admitted ...", "03/07/2026 | HbA1c"): the event is
        # what its own row says, never the row above
        lo, hi = line_lo, line_hi
        before = [m for m in p.mentions_in(lo, d.start) if m.end <= d.start]
        after = p.mentions_in(d.end, hi)
    else:
        # a label right before the date ("Date of surgery:") sits in the previous "sentence"
        lo = min(lo, max(0, d.start - 40))
        before = [m for m in p.mentions_in(max(lo, d.start - 80), d.start) if m.end <= d.start]
        after = [m for m in p.mentions_in(d.end, min(hi, d.end + 40))]
    for m in [*reversed(before), *after]:
        ev = _mention_event(text, m, lo, d)
        if ev in ("treatment_start", "treatment_end") and m.first("cue") is not None:
            # "started", "stopped" date a treatment only when one is named nearby
            # ("He stopped smoking in 2010" is no treatment end)
            s_lo, s_hi = sentence_bounds(text, m.start, m.end)
            if not any(x.first("treatment") for x in p.mentions_in(max(lo, s_lo), s_hi)):
                continue
        if ev:
            return ev, m
    return None


def _mention_event(text: str, m: Mention, lo: int, d: DateMatch) -> str | None:
    for t in m.terms:
        if t.cat == "cue":
            return t.kind
        if t.cat == "imaging":
            return "imaging"
        if t.cat == "treatment":
            if t.kind == "surgery":
                return "surgery"
            if t.kind == "transplant":
                return "transplant"
            lead = text[max(lo, d.start - 40) : d.start]
            if _END_CUE.search(lead):
                return "treatment_end"
            if _START_CUE.search(lead):
                return "treatment_start"
            return "radiotherapy" if t.kind == "radiotherapy" else "treatment"
        if t.cat == "response":
            if t.value == "progressive disease":
                return "progression"
            if t.value == "relapse":
                return "relapse"
            return "response"
    return None


# ------------------------------------------------------------------ document date
def _document_date(doc: Document) -> tuple[Page, DateMatch] | None:
    best: tuple[int, Page, DateMatch] | None = None
    for page in pages(doc):
        text = page.text
        pos = 0
        while (m := _DOC_DATE_LABELS.search(text, pos)) is not None:
            pos = m.start() + 1
            d = date_at(text, m.end())
            if d is None or d.precision != "day":
                continue
            rank = 0 if _SPECIFIC_DOC_LABEL.search(m.group("label")) else 1
            if best is None or rank < best[0]:
                best = (rank, page, d)
            if rank == 0:
                return page, d
        if best is None:
            # a letter's date stands alone on a line above "Dear ..."
            dear = _DEAR.search(text)
            head = text[: dear.start()] if dear else text[:600]
            for d in find_dates(head):
                line_lo = head.rfind("\n", 0, d.start) + 1
                line_hi = head.find("\n", d.end)
                line = head[line_lo : line_hi if line_hi != -1 else len(head)]
                if (
                    d.precision == "day"
                    and len(line.strip()) <= len(d.text) + 12
                    and not _DOB_LABEL.search(head[line_lo : d.start])
                ):
                    best = (2, page, d)
                    break
        if best is not None:
            return best[1], best[2]
    return None


def document_date(doc: Document) -> str | None:
    """The ISO date the document was written ("Date reported", "Date of report",
    "Dictated", a letter's date above "Dear ..."), or None when it does not say."""
    try:
        found = _document_date(doc)
    except Exception:  # noqa: BLE001 - a strange page must never stop extraction
        return None
    return found[1].iso if found else None


# ------------------------------------------------------------------ entry point
def _prepare(doc: Document, page: Page, doc_date: str | None = None) -> _Page:
    text = page.text
    mentions = _scan(text)
    dates = find_dates(text)
    p = _Page(doc, page, text, mentions, [m.start for m in mentions], dates, text.lower())
    p.doc_date = doc_date
    p.sections = _status.sections(text)
    for d in dates:
        if _DOB_LABEL.search(text, max(0, d.start - 20), d.start):
            p.dob.add(d.start)
    return p


_LETTERS = frozenset({"clinic_letter", "referral_letter", "discharge_summary", "mdt_outcome"})


def extract(doc: Document) -> list[Fact]:
    """Every course fact on every page of the document."""
    found = _document_date(doc)
    doc_date = doc.document_date or (found[1].iso if found else None)
    facts: list[Fact] = []
    for page in pages(doc):
        p = _prepare(doc, page, doc_date)
        _treatments(p)
        _responses(p)
        _comorbidities(p)
        _labs(p)
        _performance(p)
        _allergies(p)
        _medications(p)
        written = (found[1].start, found[1].iso) if found and found[0] is page else None
        _events(p, written, "letter" if doc.doc_type in _LETTERS else "report")
        facts.extend(p.facts)
    return facts
