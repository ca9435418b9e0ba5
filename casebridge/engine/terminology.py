"""English -> Simplified Chinese lookup through the curated table knowledge/terminology_zh.yaml.

Nothing here translates freely: a value is either found in the table (whole, or as a run of
table terms and language-neutral codes such as "pT2", "HER2", "3+", "105 g/L"), or it is
returned unchanged and marked untranslated so the renderer can show it as English.

    >>> translate("ER positive", "result")          # doctest: +SKIP
    [Span(text='ER 阳性', untranslated=False)]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from casebridge.engine import kb

# Categories consulted for each fact kind, in order; "general" ones are consulted last for
# every kind (words that mean the same whatever the field).
GENERAL: tuple[str, ...] = (
    "result",
    "dosing",
    "procedure",
    "diagnosis",
    "response",
    "eponym",
)

_BIOMARKER = ("biomarker", "result")
KIND_CATEGORIES: dict[str, tuple[str, ...]] = {
    "cancer_type": ("cancer_type", "histology", "diagnosis"),
    "primary_site": ("site", "laterality"),
    "histology": ("histology", "diagnosis", "grade"),
    "laterality": ("laterality",),
    "grade": ("grade",),
    "tumour_size": (),
    "stage_group": ("stage",),
    "tnm_edition": ("stage",),
    "lymph_nodes": ("result", "site"),
    "margins": ("result",),
    "lvi": ("result",),
    "er_status": _BIOMARKER,
    "pr_status": _BIOMARKER,
    "her2_ihc": _BIOMARKER,
    "her2_ish": _BIOMARKER,
    "ki67": _BIOMARKER,
    "egfr": _BIOMARKER,
    "alk": _BIOMARKER,
    "ros1": _BIOMARKER,
    "kras": _BIOMARKER,
    "braf": _BIOMARKER,
    "pdl1": _BIOMARKER,
    "msi_mmr": _BIOMARKER,
    "brca": _BIOMARKER,
    "other_biomarker": _BIOMARKER + ("lab",),
    "surgery": ("procedure", "site", "laterality"),
    "regimen": ("drug", "procedure"),
    "drug": ("drug", "procedure"),
    "radiotherapy": ("procedure", "site"),
    "immunotherapy": ("drug", "procedure"),
    "targeted_therapy": ("drug", "procedure"),
    "hormone_therapy": ("drug", "procedure"),
    "cellular_therapy": ("procedure", "drug"),
    "transplant": ("procedure",),
    "response": ("response", "site"),
    "medication": ("drug", "dosing"),
    "allergy": ("drug", "allergen"),
    "no_known_allergies": ("fact_kind",),
    "lab": ("lab",),
    "performance_status": (),
    "diagnosis": ("diagnosis", "histology", "site", "laterality"),
    "comorbidity": ("diagnosis",),
    "event_date": ("event", "procedure", "diagnosis"),
    "metastatic_site": ("site", "laterality"),
    "distant_staging": ("diagnosis", "result"),
    "serology": ("diagnosis", "result"),
    "menopausal_status": ("diagnosis",),
    "smoking_status": ("diagnosis",),
    "family_history": ("diagnosis", "histology", "site"),
    "germline_assessment": ("diagnosis",),
    "patient_statement": (),
}

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_TOKEN = re.compile(r"[A-Za-z0-9µμ][A-Za-z0-9µμ'’^./+\-×%]*|\s+|[^\sA-Za-z0-9]")
_UNIT = re.compile(
    r"^(?:x|×)?(?:10\^?\d+/)?(?:[µμu]?(?:mol|g|l|iu|u)|m(?:mol|g|l|m|mhg)?|kg|mcg|ng|pg|dl|cm|"
    r"mm|m2|gy|cgy|kpa|fl|min|h|hr|hrs|hours|wk|wks|y|yr|yrs)(?:/[a-z0-9µμ.]+)*$",
    re.IGNORECASE,
)
_TNM = re.compile(r"^(?:[cpyra]{1,3})?[TNMG](?:[0-4X]|is)?[a-d]?\d?(?:\(.*\))?$")
_ROMAN = re.compile(r"^(?:I{1,3}|IV|V)[A-D]?\d?$")


@dataclass(frozen=True)
class Span:
    """A piece of rendered text; `untranslated` marks English left as it was."""

    text: str
    untranslated: bool = False


@dataclass(frozen=True)
class Term:
    en: str
    zh: str
    category: str
    source: str
    key: str = ""
    synonyms: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()


@dataclass
class Terminology:
    version: str
    sources: dict[str, str]
    terms: list[Term]
    _by_cat: dict[str, dict[str, Term]] = field(default_factory=dict, repr=False)
    _by_key: dict[str, Term] = field(default_factory=dict, repr=False)
    _max_words: int = 1

    def __post_init__(self) -> None:
        for term in self.terms:
            bucket = self._by_cat.setdefault(term.category, {})
            for form in (term.en, *term.synonyms):
                norm = normalise(form)
                bucket.setdefault(norm, term)
                self._max_words = max(self._max_words, len(norm.split()))
            if term.key:
                self._by_key[f"{term.category}.{term.key}"] = term

    def by_key(self, key: str) -> Term | None:
        """by_key("heading.diagnosis"), by_key("cancer_type.BRCA")."""
        return self._by_key.get(key)

    def knows(self, text: str) -> bool:
        """True when `text` is an English term (or synonym) of any category."""
        norm = normalise(text)
        return bool(norm) and any(norm in bucket for bucket in self._by_cat.values())

    def in_category(self, category: str) -> list[Term]:
        return [t for t in self.terms if t.category == category]

    def lookup(self, text: str, categories: Iterable[str] = ()) -> Term | None:
        """The table's term for `text` in the first of `categories` that has it, then in the
        general categories. None when the table does not cover it."""
        norm = normalise(text)
        if not norm:
            return None
        for cat in _ordered(categories):
            term = self._by_cat.get(cat, {}).get(norm)
            if term is not None:
                return term
        return None

    def translate(self, text: str, categories: Iterable[str] = ()) -> list[Span]:
        """Chinese for `text` through the table, as spans. A value the table covers whole,
        or as a run of table terms and language-neutral tokens, is translated; otherwise
        the English is returned as one span marked untranslated."""
        text = " ".join(text.split())
        if not text:
            return []
        if _CJK.search(text) and not re.search(r"[A-Za-z]{2,}", _CJK.sub("", text)):
            return [Span(text)]  # already Chinese (or Chinese with codes)
        cats = _ordered(categories)
        whole = self.lookup(text, cats)
        if whole is not None:
            return [Span(whole.zh)]
        if is_neutral(text):
            return [Span(text)]
        pieces = self._segment(text, cats)
        if pieces is not None:
            return [Span(_join(pieces))]
        parts = [p for p in re.split(r"(\s*[();]\s*)", text) if p]
        if len(parts) > 1:  # "positive (Allred 8/8)": translate around brackets and semicolons
            spans: list[Span] = []
            for part in parts:
                if re.fullmatch(r"\s*[();]\s*", part):
                    spans.append(Span(part))
                else:
                    spans.extend(self.translate(part, cats))
            return _merge(spans)
        return [Span(text, untranslated=True)]

    def _segment(self, text: str, cats: tuple[str, ...]) -> list[str] | None:
        """Greedy longest-match over words: each run is a table term or a neutral token.
        None as soon as one word is neither."""
        tokens = [t for t in _TOKEN.findall(text) if not t.isspace()]
        out: list[str] = []
        i = 0
        found_term = False
        while i < len(tokens):
            for n in range(min(self._max_words + 2, len(tokens) - i), 0, -1):
                chunk = " ".join(tokens[i : i + n])
                term = self.lookup(chunk, cats)
                if term is not None:
                    out.append(term.zh)
                    found_term = True
                    i += n
                    break
            else:
                tok = tokens[i]
                if not is_neutral(tok):
                    return None
                out.append(tok)
                i += 1
        return out if found_term else None


def _merge(spans: list[Span]) -> list[Span]:
    """Adjacent spans of the same kind joined; punctuation between two untranslated spans
    joins them ("blurred; please upload" stays one marked span)."""
    spans = list(spans)
    for i in range(1, len(spans) - 1):
        if (
            not spans[i].untranslated
            and not re.search(r"\w", spans[i].text)
            and spans[i - 1].untranslated
            and spans[i + 1].untranslated
        ):
            spans[i] = Span(spans[i].text, untranslated=True)
    out: list[Span] = []
    for span in spans:
        if out and out[-1].untranslated == span.untranslated:
            out[-1] = Span(out[-1].text + span.text, span.untranslated)
        else:
            out.append(span)
    return out


def _ordered(categories: Iterable[str]) -> tuple[str, ...]:
    cats = list(dict.fromkeys(categories))
    for general in GENERAL:
        if general not in cats:
            cats.append(general)
    return tuple(cats)


def _join(pieces: list[str]) -> str:
    text = ""
    for piece in pieces:
        if not text:
            text = piece
        elif (
            piece in ",;:)]%" or text[-1] in "([/" or _CJK.match(piece[0]) and _CJK.match(text[-1])
        ):
            text += piece
        else:
            text += " " + piece
    return text


_SPELLING = ((r"ae", "e"), (r"oe", "e"), (r"our\b", "or"), (r"isation", "ization"))


def normalise(text: str) -> str:
    """Matching key: case, accents, hyphens, quotes and British/American spelling ignored."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[‐‑‒–—\-_]", " ", text)
    text = re.sub(r"[\"“”'’`]", "", text)
    for pattern, repl in _SPELLING:
        text = re.sub(pattern, repl, text)
    text = re.sub(r"\s*([/(),;:])\s*", r" \1 ", text)
    return " ".join(text.split()).strip(" .")


@lru_cache(maxsize=1)
def _traditional() -> dict[int, str]:
    pairs = (kb.load("traditional_zh") or {}).get("pairs") or {}
    return {ord(tok[0]): tok[1] for group in pairs.values() for tok in str(group).split()}


def traditional_map() -> dict[int, str]:
    """Traditional character -> simplified, for str.translate (a copy: callers may add)."""
    return dict(_traditional())


def simplified(text: str) -> str:
    """`text` with its Traditional characters written simplified (knowledge/
    traditional_zh.yaml), one character for one: 發燒 -> 发烧. Its length and every
    character's place stay the same, so a match in the result is a match in `text`."""
    return text.translate(_traditional())


def is_neutral(text: str) -> bool:
    """True for text that reads the same in Chinese: numbers, codes and symbols (pT2 N0,
    HER2 3+, 105 g/L, ECOG 1, KRAS G12C, 2024-03-01, FOLFOX)."""
    tokens = [t for t in _TOKEN.findall(text) if not t.isspace()]
    if not tokens:
        return True
    return all(_neutral_token(t) for t in tokens)


def _neutral_token(tok: str) -> bool:
    if not re.search(r"[A-Za-z]", tok) or tok in ("x", "X", "vs"):
        return True  # numbers, punctuation, symbols, "6 x 3-weekly"
    if re.search(r"\d", tok):
        return True  # HER2, Ki-67, G12C, pT2, 10^9/L, c.2573T>G
    core = tok.strip(".")
    if len(core) >= 2 and core.upper() == core:
        return True  # abbreviations and gene symbols: ECOG, KRAS, FOLFOX, TPS
    return bool(_UNIT.match(core) or _TNM.match(core) or _ROMAN.match(core))


# -- the table ------------------------------------------------------------------


@lru_cache(maxsize=1)
def table() -> Terminology:
    data: dict[str, Any] = kb.load("terminology_zh")
    terms: list[Term] = []
    for category, entries in data["categories"].items():
        for entry in entries:
            terms.append(
                Term(
                    en=str(entry["en"]),
                    zh=str(entry["zh"]),
                    category=category,
                    source=str(entry["src"]),
                    key=str(entry.get("key", "")),
                    synonyms=tuple(str(s) for s in entry.get("syn", ())),
                    alternatives=tuple(str(s) for s in entry.get("alt", ())),
                )
            )
    return Terminology(version=str(data["version"]), sources=dict(data["sources"]), terms=terms)


def match_template(template: str, text: str) -> dict[str, str] | None:
    """The values of `template`'s {placeholders} when `text` reads as the template (case and
    spacing ignored), else None: match_template("{label} result", "ROS1 result") ->
    {"label": "ROS1"}."""
    pieces = re.split(r"\{(\w+)\}", " ".join(template.split()))
    pattern = ""
    named: set[str] = set()
    for i, piece in enumerate(pieces):
        if i % 2:  # a placeholder said twice ("no {label} result") holds the same value
            pattern += f"(?P={piece})" if piece in named else f"(?P<{piece}>.+?)"
            named.add(piece)
        else:
            pattern += r"\s+".join(re.escape(w) for w in piece.split(" ")) if piece else ""
    m = re.fullmatch(pattern, " ".join(text.split()), re.IGNORECASE)
    return {k: v.strip() for k, v in m.groupdict().items()} if m else None


def categories_for_kind(kind: str) -> tuple[str, ...]:
    return KIND_CATEGORIES.get(kind, ())


def translate(text: str, *categories: str) -> list[Span]:
    return table().translate(text, categories)


_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def latin_script(text: str) -> bool:
    """Whether the text is written in Latin script (letters, and no Chinese characters):
    only such text can be English left untranslated ([EN]); a patient's own Chinese words
    are not, whatever codes they name ("我的HER2结果是什么意思？")."""
    return bool(_LATIN.search(text)) and not _CJK.search(text)


def label(key: str, lang: str, **fmt: object) -> str:
    """Fixed wording by key ("heading.diagnosis", "fact_kind.histology") in "en" or "zh";
    `fmt` fills {placeholders}. An unknown key returns the key itself, never raises."""
    term = table().by_key(key)
    if term is None:
        return key
    text = term.zh if lang == "zh" else term.en
    return text.format(**fmt) if fmt else text


# -- coverage against a bilingual reference ----------------------------------------

# interface wording and curated sentences, not clinical terms: left out of coverage
_UI_CATEGORIES = (
    "heading",
    "fact_kind",
    "gap_id",
    "gap_term",
    "gap_why",
    "gap_note",
    "gap_holder",
    "safety_advice",
    "attention",
    "identifier",
)


@dataclass
class Coverage:
    pairs: int = 0
    pairs_with_terms: int = 0
    term_hits: int = 0
    agreeing: int = 0
    distinct_terms: int = 0
    misses: dict[str, int] = field(default_factory=dict)

    @property
    def agreement(self) -> float:
        return self.agreeing / self.term_hits if self.term_hits else 0.0

    @property
    def sentence_coverage(self) -> float:
        return self.pairs_with_terms / self.pairs if self.pairs else 0.0


def coverage(pairs: Iterable[tuple[str, str]], min_len: int = 4) -> Coverage:
    """How the table fares on parallel sentences: for each table term (English form of at
    least `min_len` letters, whole words) found in an English sentence, is its Chinese (or an
    accepted alternative) in the reference translation? Codes and UI wording are skipped."""
    terms = [t for t in table().terms if t.category not in _UI_CATEGORIES]
    forms: list[tuple[re.Pattern[str], Term]] = []
    for term in terms:
        for form in (term.en, *term.synonyms):
            if len(form) < min_len or form.upper() == form:
                continue
            escaped = re.escape(normalise(form)).replace(r"\ ", r"\s+")
            forms.append((re.compile(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])"), term))
    forms.sort(key=lambda f: -len(f[0].pattern))
    result = Coverage()
    seen: set[str] = set()
    for en, zh in pairs:
        result.pairs += 1
        text = normalise(en)
        found: list[Term] = []
        for regex, term in forms:
            if regex.search(text):
                text = regex.sub(" ", text)  # longest first: "lung cancer" before "cancer"
                found.append(term)
        if found:
            result.pairs_with_terms += 1
        zh_plain = zh.replace(" ", "")
        for term in found:
            result.term_hits += 1
            seen.add(term.en)
            options = {_bare(term.zh), *(_bare(a) for a in term.alternatives)}
            if any(o and o in zh_plain for o in options):
                result.agreeing += 1
            else:
                result.misses[term.en] = result.misses.get(term.en, 0) + 1
    result.distinct_terms = len(seen)
    return result


def _bare(zh: str) -> str:
    """The Chinese term without a parenthesised gloss: 癌胚抗原（CEA） -> 癌胚抗原."""
    return re.sub(r"[（(].*?[）)]", "", zh).replace(" ", "")
