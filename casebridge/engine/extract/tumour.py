"""Tumour facts from pathology text: cancer type (TCGA study), primary site, histology,
laterality, grade, size, margins, lymph nodes, lymphovascular invasion and the diagnosis line.

Cancer type follows the clinical convention that a study is fixed by primary site and
histological type together (ICD-O-3 topography + morphology): every site, histology and clue
term found votes for the studies listed against it in knowledge/cancer_types.yaml and
knowledge/histology.yaml, each mention weighted by the report section it sits in (diagnosis >
history > gross description), whether it fills a synoptic field ("Tumor site:"), and whether it
is negated ("negative for carcinoma"). A study's score is (site support + a) x (histology
support + a): both sides must agree, so "lung" + "adenocarcinoma" gives LUAD while "kidney" +
"papillary" gives KIRP. Nothing is guessed when no histology supports any study.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Code, Document, Fact, Page
from casebridge.engine.extract import primary_detail
from casebridge.engine.extract.context import context_of
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.extract.terms import Corrector, compile_terms, key, normalise
from casebridge.engine.kb import load

ICDO3 = "urn:oid:2.16.840.1.113883.6.43.1"
_SMOOTH = 0.5  # the `a` of (site + a) x (histology + a)
_SITE_VOTE = 0.5  # a site's vote for the study needed to name it the primary site
_MIN_HISTOLOGY = 0.5  # weighted histology support needed before a study is named


@dataclass(frozen=True)
class Entry:
    kind: str  # site, histology, clue
    name: str
    icdo3: str
    votes: tuple[tuple[str, float], ...]


@dataclass
class Mention:
    entry: Entry
    page: Page
    start: int
    end: int
    weight: float
    role: str = ""  # sites: "primary" (stated as the primary), "metastatic" (a metastasis)


@dataclass(frozen=True)
class Lexicon:
    pattern: re.Pattern[str]
    entries: dict[str, tuple[Entry, ...]]
    abbreviations: frozenset[str]  # keys listed only as capitalised short forms ("RUL", "IDC")
    sections: re.Pattern[str]
    section_weight: dict[str, float]
    fields: re.Pattern[str]
    field_weight: float
    studies: dict[str, str]
    corrector: Corrector


def _is_short_form(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    types: dict[str, Any] = load("cancer_types")
    hist: dict[str, Any] = load("histology")
    entries: dict[str, list[Entry]] = {}
    terms: list[str] = []
    short: set[str] = set()
    words: set[str] = set()

    def add(kind: str, item: dict[str, Any]) -> None:
        votes = tuple((str(c), float(w)) for c, w in (item.get("codes") or {}).items())
        entry = Entry(kind, str(item["name"]), str(item.get("icdo3", "")), votes)
        for term in item["terms"]:
            k = key(str(term))
            bucket = entries.setdefault(k, [])
            if not any(e.kind == kind and e.name == entry.name for e in bucket):
                bucket.append(entry)
            terms.append(str(term))
            (short if _is_short_form(str(term)) else words).add(k)

    for item in hist["types"]:
        add("histology", item)
    for item in types["sites"]:
        add("site", item)
    for item in types["clues"]:
        add("clue", item)
    # A histology term that names its organ ("breast carcinoma", "adenocarcinoma of the
    # lung") is also a mention of that site.
    for k, bucket in list(entries.items()):
        if not any(e.kind == "histology" for e in bucket) or any(e.kind == "site" for e in bucket):
            continue
        parts = k.split()
        for n in range(min(4, len(parts)), 0, -1):
            grams = (" ".join(parts[i : i + n]) for i in range(len(parts) - n + 1))
            site = next(
                (
                    e
                    for g in grams
                    for e in entries.get(g, ())
                    if e.kind == "site" and g not in short
                ),
                None,
            )
            if site is not None:
                bucket.append(site)
                break

    section_weight: dict[str, float] = {}
    for group in types["sections"]:
        for term in group["terms"]:
            section_weight.setdefault(key(str(term)), float(group["weight"]))
    heading = compile_terms(section_weight)
    # A heading starts a line or sentence and is followed by ':' or '.' or a line break
    # (a short parenthesis may come between: "DIAGNOSIS (based on gross examination):").
    sections = re.compile(
        r"(?:^|(?<=[\n.:;]))[ \t\-*#>\d)(.]*(" + heading.pattern + r")[ \t]*"
        r"(?:\([^()\n]{0,60}\)[ \t]*)?(?:[:.\n]|$)",
        re.MULTILINE,
    )
    field_terms = [str(t) for t in types["fields"]["terms"]]
    fields = re.compile(
        r"(?:" + compile_terms(field_terms).pattern + r")[^:\n]{0,25}:[ \t]*$", re.MULTILINE
    )
    return Lexicon(
        pattern=compile_terms(terms),
        entries={k: tuple(v) for k, v in entries.items()},
        abbreviations=frozenset(short - words),
        sections=sections,
        section_weight=section_weight,
        fields=fields,
        field_weight=float(types["fields"]["weight"]),
        studies={str(k): str(v) for k, v in types["studies"].items()},
        corrector=Corrector(
            terms + list(section_weight) + field_terms + [str(w) for w in hist["known_words"]]
        ),
    )


# -- mention weighting ---------------------------------------------------------------------
# These cues are read in the original text (case-insensitively), not in the OCR-folded one.

_NEG_BEFORE = re.compile(
    r"\b(?:no|not|negative for|free of|without|absence of|absent|rule out|r/o|"
    r"ruled out|history of|h/o|previous|prior)\b",
    re.IGNORECASE,
)
_NEG_AFTER = re.compile(
    r"[^.;\n]{0,60}?(?:negative for|no (?:evidence of )?(?:residual )?(?:tumou?r|carcinoma|"
    r"malignancy|neoplasm|metasta)|free of|uninvolved|unremarkable|benign|"
    r"without (?:tumou?r|carcinoma|malignancy)|not involved|no pathologic)",
    re.IGNORECASE,
)
# A relative's illness: "mother had breast cancer", "FH: sister, ovarian cancer".
_FAMILY = re.compile(
    r"\b(?:mother|father|sister|brother|aunt|uncle|grandmother|grandfather|grandparent|cousin|"
    r"niece|nephew|sibling|relative|family\s+history|fh|fhx|maternal|paternal)s?\b",
    re.IGNORECASE,
)
# A site named as where the cancer spread, not where it began (ICD-O-3 topography codes the
# primary site only): "liver metastases", "bone mets", "secondary deposits in the liver",
# "metastatic to liver", "metastatic adenocarcinoma in the liver", "spread to the bones".
_METASTATIC_AFTER = re.compile(
    r"[ \t]*(?:\([^()\n]{0,20}\)[ \t]*)?[\-,]?[ \t]*(?:(?:and|or|/)\s+\w+\s+)?"
    r"(?:metasta\w*|mets\b|secondar(?:y|ies)\b|deposits?\b|lesions?\s+(?:suspicious\s+for|"
    r"consistent\s+with|in\s+keeping\s+with|compatible\s+with)\s+metasta)",
    re.IGNORECASE,
)
_METASTATIC_BEFORE = re.compile(
    r"(?:metasta\w*|mets|spread|secondar(?:y|ies)|deposits?)\b[^.;:\n]{0,60}?\b"
    r"(?:to|in|into|involving|within|at|throughout)\s+(?:the\s+|both\s+)?"
    r"(?:(?:left|right|bilateral|multiple|several)\s+)?$",
    re.IGNORECASE,
)
_METASTATIC_WORD = re.compile(r"\bmetasta\w*\s+(?:\w+\s+){0,3}$", re.IGNORECASE)
# Stated as the primary: "consistent with a lung primary", "of pulmonary origin".
_PRIMARY_AFTER = re.compile(r"[ \t]*(?:primary|origin)\b", re.IGNORECASE)
# A histology attached to the site that follows it: "adenocarcinoma of the uterine cervix".
_OF_SITE = re.compile(
    r"[ \t]*(?:\([^()\n]{0,40}\)[ \t]*)?,?[ \t]*(?:of|in|arising\s+(?:in|from)|involving|from)"
    r"\s+(?:the\s+)?",
    re.IGNORECASE,
)
_NEGATIVE_STAIN = re.compile(
    r"[\s:(),\-]{0,4}(?:is\s+|was\s+|are\s+)?(?:negative|neg\b|not\s+expressed|-ve\b|-(?=[\s,;.)]))",
    re.IGNORECASE,
)
_WINDOW = 70
_PAIR_BEFORE = 120  # characters before a histology searched for its specimen site


def _section_weights(lex: Lexicon, norm: str) -> list[tuple[int, float]]:
    marks: list[tuple[int, float]] = [(0, 1.0)]
    for m in lex.sections.finditer(norm):
        weight = lex.section_weight.get(key(m.group(1)))
        if weight is not None:
            marks.append((m.start(1), weight))
    return marks


def _weight_at(marks: list[tuple[int, float]], pos: int) -> float:
    weight = marks[0][1]
    for start, w in marks:
        if start > pos:
            break
        weight = w
    return weight


def _clause_before(text: str, start: int, reach: int = 40) -> str:
    """The text of the same clause (no '.', ';' or line break) up to `reach` characters
    before `start`."""
    tail = text[max(0, start - reach) : start]
    cut = max(tail.rfind("."), tail.rfind(";"), tail.rfind("\n"))
    return tail[cut + 1 :] if cut != -1 else tail


def _negated_before(text: str, start: int) -> bool:
    """A negation cue in the same clause, within 40 characters before a mention."""
    tail = _clause_before(text, start)
    return bool(tail.strip()) and _NEG_BEFORE.search(tail) is not None


def _abbreviation(written: str) -> bool:
    return written.isalpha() and written.isupper() and "I" not in written[1:]


def _site_role(text: str, start: int, end: int) -> str:
    after = text[end : end + 60]
    if _PRIMARY_AFTER.match(after):
        return "primary"
    if _METASTATIC_AFTER.match(after):
        return "metastatic"
    if _METASTATIC_BEFORE.search(_clause_before(text, start, 80)):
        return "metastatic"
    return ""


def find_mentions(doc: Document) -> list[Mention]:
    lex = lexicon()
    mentions: list[Mention] = []
    for page in pages(doc):
        text = page.text
        norm = lex.corrector.correct(normalise(text))
        marks = _section_weights(lex, norm)
        found_here: list[Mention] = []
        for m in lex.pattern.finditer(norm):
            k = key(m.group(0))
            found = lex.entries.get(k)
            if not found:
                continue
            start, end = m.span()
            if k in lex.abbreviations and not _abbreviation(text[start:end]):
                continue  # short forms count only as written, in capitals
            weight = _weight_at(marks, start)
            if lex.fields.search(norm, max(0, start - 45), start):
                weight *= lex.field_weight
            if _FAMILY.search(_clause_before(text, start, 60)):
                weight = 0.0  # a relative's cancer says nothing about the patient's
            for entry in found:
                w = weight
                role = ""
                if entry.kind == "site":
                    role = _site_role(text, start, end)
                    if role == "metastatic":
                        w = 0.0
                    elif _NEG_AFTER.match(text, end, min(len(text), end + _WINDOW)):
                        w *= 0.3
                elif _negated_before(text, start):
                    w *= 0.1
                elif entry.kind == "clue" and _NEGATIVE_STAIN.match(text, end, end + 30):
                    w *= 0.1  # "TTF-1: negative", "p40 not expressed"
                found_here.append(Mention(entry, page, start, end, w, role))
        _pair(text, found_here)
        mentions.extend(found_here)
    return mentions


def _pair(text: str, mentions: list[Mention]) -> None:
    """Pathology reports name the specimen site and then its diagnosis ("Lung, right upper
    lobe, lobectomy: adenocarcinoma") or the diagnosis and then its site ("adenocarcinoma of
    the uterine cervix"). The site paired with a stated histology gains that histology's
    weight; when the histology is a metastasis, its specimen site is a metastatic site."""
    sites = [m for m in mentions if m.entry.kind == "site"]
    if not sites:
        return
    for hist in mentions:
        if hist.entry.kind != "histology" or hist.weight < 0.5:
            continue
        metastatic = bool(_METASTATIC_WORD.search(_clause_before(text, hist.start, 40)))
        after = _OF_SITE.match(text, hist.end, min(len(text), hist.end + 60))
        if after:
            nxt = next((s for s in sites if s.start >= after.end()), None)
            if nxt is not None and nxt.start - after.end() <= 25 and nxt.role != "metastatic":
                if metastatic and not _PRIMARY_AFTER.match(text, nxt.end):
                    nxt.role, nxt.weight = "metastatic", 0.0
                else:
                    nxt.weight += hist.weight
                continue
        before = [s for s in sites if hist.start - _PAIR_BEFORE <= s.end <= hist.start]
        if not before:
            continue
        between = [
            m
            for m in mentions
            if m.entry.kind == "histology" and before[-1].end <= m.start < hist.start
        ]
        if between:
            continue
        for site in before:
            if metastatic:
                if site.role != "primary":
                    site.role, site.weight = "metastatic", 0.0
            elif site.role != "metastatic" and site is before[-1]:
                site.weight += hist.weight


# -- cancer type ---------------------------------------------------------------------------


@dataclass
class Decision:
    code: str
    score: float
    site: Mention | None
    histology: Mention | None
    evidence: str


def _support(mentions: list[Mention], kinds: tuple[str, ...]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for mention in mentions:
        if mention.entry.kind in kinds:
            for code, vote in mention.entry.votes:
                totals[code] = totals.get(code, 0.0) + vote * mention.weight
    return totals


def _best(mentions: list[Mention], kinds: tuple[str, ...], code: str) -> Mention | None:
    """The mention that gave `code` most support, preferring the most specific entry."""
    by_entry: dict[Entry, float] = {}
    first: dict[Entry, Mention] = {}
    for mention in mentions:
        if mention.entry.kind not in kinds or mention.weight <= 0:
            continue
        vote = dict(mention.entry.votes).get(code, 0.0)
        if vote <= 0:
            continue
        by_entry[mention.entry] = by_entry.get(mention.entry, 0.0) + vote * mention.weight
        best = first.get(mention.entry)
        if best is None or mention.weight > best.weight:
            first[mention.entry] = mention
    if not by_entry:
        return None
    entry = max(by_entry, key=lambda e: (by_entry[e], dict(e.votes).get(code, 0.0), e.name))
    return first[entry]


def decide(mentions: list[Mention]) -> Decision | None:
    sites = _support(mentions, ("site",))
    histology = _support(mentions, ("histology", "clue"))
    # A study is named only when the report states a malignant histology at all.
    malignancy = sum(m.weight for m in mentions if m.entry.kind == "histology")
    if malignancy < _MIN_HISTOLOGY:
        return None
    scores = {
        code: (sites.get(code, 0.0) + _SMOOTH) * (histology.get(code, 0.0) + _SMOOTH)
        for code in set(sites) | set(histology)
    }
    if not scores:
        return None
    ranked = sorted(scores, key=lambda c: (scores[c], histology.get(c, 0.0), sites.get(c, 0.0), c))
    code = ranked[-1]
    if len(ranked) > 1 and abs(scores[ranked[-2]] - scores[code]) < 1e-9:
        top = (histology.get(code, 0.0), sites.get(code, 0.0))
        if top == (histology.get(ranked[-2], 0.0), sites.get(ranked[-2], 0.0)):
            return None  # a tie the report does not settle ("adenocarcinoma", no site): no guess
    site = _best(mentions, ("site",), code)
    hist = _best(mentions, ("histology",), code)
    parts = []
    if site is not None:
        parts.append(f"site: {site.entry.name} ({sites.get(code, 0.0):.1f})")
    if hist is not None:
        parts.append(f"histology: {hist.entry.name}")
    clue_names = sorted(
        {m.entry.name for m in mentions if m.entry.kind == "clue" and dict(m.entry.votes).get(code)}
    )
    if clue_names:
        parts.append("clues: " + "; ".join(clue_names))
    return Decision(code, scores[code], site, hist, " | ".join(parts))


def _words(mention: Mention) -> str:
    return " ".join(mention.page.text[mention.start : mention.end].split())


def _type_facts(doc: Document, mentions: list[Mention], decision: Decision | None) -> list[Fact]:
    if decision is None:
        return []
    lex = lexicon()
    facts: list[Fact] = []
    anchor = decision.histology or decision.site
    if anchor is None:
        return []
    evidence = decision.evidence
    said = [_words(m) for m in (decision.site, decision.histology) if m is not None]
    fact = make_fact(
        doc,
        anchor.page,
        (anchor.start, anchor.end),
        "cancer_type",
        decision.code,
        found_by="tumour.cancer_type.site_histology",
        context="asserted",
        # the study's name, never its code: the code is the evaluation's label
        display=lex.studies.get(decision.code, decision.code),
        attributes={"evidence": evidence, "words": " + ".join(said)},
    )
    facts.append(fact)
    site = decision.site
    # A site that only weakly suggests the study ("bone marrow" for a lymphoma) is not named
    # as the primary site.
    if site is not None and dict(site.entry.votes).get(decision.code, 0.0) >= _SITE_VOTE:
        site_fact = _term_fact(doc, site, "primary_site")
        primary_detail.refine_site(site_fact, site.entry.name, mentions)
        facts.append(site_fact)
    if decision.histology is not None:
        facts.append(_term_fact(doc, decision.histology, "histology"))
    return facts


def _term_fact(doc: Document, mention: Mention, kind: str) -> Fact:
    """The asserted fact a site or histology mention names, with its ICD-O-3 code if known."""
    fact = make_fact(
        doc,
        mention.page,
        (mention.start, mention.end),
        kind,
        mention.entry.name,
        found_by=f"tumour.{kind}.term",
        context="asserted",
        attributes={"as_written": _words(mention)},
    )
    if mention.entry.icdo3:
        fact.code = Code(ICDO3, mention.entry.icdo3, mention.entry.name)
    return fact


# -- grade, size, margins, nodes, LVI, diagnosis line (the side: primary_detail.py) -----
# Element names and value sets follow the CAP cancer protocols (Tumor Size, Histologic Grade,
# Margins, Regional Lymph Nodes, Lymphovascular Invasion) and the grading systems they cite:
# Nottingham (Elston-Ellis), WHO CNS, Gleason/ISUP grade group, Fuhrman/WHO-ISUP, FIGO.

_GRADE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "gleason",
        re.compile(
            r"\bgleason(?:'?s)?\s*(?:score|grade|sum|pattern)?\s*(?:is|of|[:=])?\s*"
            r"(\d)\s*\+\s*(\d)(?:\s*=\s*(\d{1,2}))?",
            re.IGNORECASE,
        ),
    ),
    (
        "grade group",
        re.compile(r"\b(?:isup\s+)?grade\s+group\s*[:=]?\s*([1-5])\b", re.IGNORECASE),
    ),
    (
        "nottingham",
        re.compile(
            r"\b(?:nottingham|elston(?:[- ]ellis)?|modified\s+bloom[- ]richardson|"
            r"(?:scarff[- ])?bloom[- ]richardson|sbr)"
            r"(?:\s+(?:combined|histologic|histological))?\s*(?:grade|score)?\s*[:=]?\s*"
            r"(?:grade\s*)?([1-3]|i{1,3})\b(?!\s*\+)(?:\s*\(?(?:of|/)\s*3\)?)?",
            re.IGNORECASE,
        ),
    ),
    (
        "fuhrman",
        re.compile(
            r"\bfuhrman(?:'?s)?\s*(?:nuclear\s*)?(?:grade)?\s*[:=]?\s*(?:grade\s*)?"
            r"([1-4]|iv|i{1,3})\b",
            re.IGNORECASE,
        ),
    ),
    (
        "who/isup",
        re.compile(
            r"\b(?:who/isup|isup)\s*(?:nucleolar\s*)?grade\s*[:=]?\s*([1-4]|iv|i{1,3})\b",
            re.IGNORECASE,
        ),
    ),
    (
        "who",
        re.compile(r"\bwho\s+grade\s*[:=]?\s*(iv|i{1,3}|[1-4])\b", re.IGNORECASE),
    ),
    (
        "figo",
        re.compile(r"\bfigo\s+(?:grade\s*)?([1-3]|i{1,3})\b", re.IGNORECASE),
    ),
    (
        "differentiation",
        re.compile(
            r"\b(well|moderately|poorly)[\s\-]+(?:to\s+(?:well|moderately|poorly)[\s\-]+)?"
            r"differentiated\b|\b(undifferentiated)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "histologic grade",
        re.compile(
            r"\b(?:histologic(?:al)?|nuclear|tumou?r|overall|combined)\s+grade\s*"
            r"(?:is\s+)?[:=]?\s*(?:grade\s*)?(g?[1-4]|iv|i{1,3}|high|low|intermediate)\b",
            re.IGNORECASE,
        ),
    ),
    (
        # "grade 2", "Grade II", "grade: 3", "grade 2 of 3" as letters and reports write it.
        "grade",
        re.compile(
            r"(?<![\w\-/])grade\s*(?:is\s+)?[:=]?\s*([1-4]|IV|I{1,3}|iv|i{1,3})(?![\w+.,\-–]\d)"
            r"(?!\w)(?:\s*(?:/|of|out\s+of)\s*(?:3|4|III|IV)\b)?",
            re.IGNORECASE,
        ),
    ),
    (
        # AJCC histologic grade codes: G1-G4, GX ("G2, pT3 N0").
        "g code",
        re.compile(r"(?<![\w/\-])G([1-4X])(?![\w+\-/])"),
    ),
    (
        "high/low grade",
        re.compile(
            r"\b(high|low|intermediate)[\s\-]+grade\b(?![\s\-]+(?:dysplasia|intraepithelial|"
            r"pin\b|prostatic\s+intraepithelial|squamous\s+intraepithelial|sil\b|hsil\b|lsil\b|"
            r"cin\b|dcis\b|ductal\s+carcinoma\s+in\s+situ|in\s+situ|glandular\s+dysplasia|"
            r"adenoma|tubular|urothelial\s+dysplasia|uptake|fdg|avid\w*|activity|metabolic|"
            r"fever|pyrexia|inflammat\w*|enhancement|signal|stenosis|obstruction|"
            r"[bt][\s\-]?cell|lymphoma|non[\s\-]?hodgkin|transformation))",
            re.IGNORECASE,
        ),
    ),
)
# Words after a "grade N" that make it an adverse-event grade (CTCAE), not the tumour's.
_TOXICITY = re.compile(
    r"\s*(?:\(?[a-z ]{0,12}\)?\s*)?(?:toxicit|diarrh|rash|neuropath|mucositis|nausea|vomit|fatigue|"
    r"neutropeni|anaemi|anemi|thrombocytopeni|hand[- ]foot|palmar|pneumonitis|colitis|"
    r"hepatitis|dermatitis|stomatitis|oesophagitis|esophagitis|reaction|infusion|"
    r"adverse|ctcae|lymphoedema|lymphedema|oedema|edema|haemorrhage|hemorrhage|"
    r"intraepithelial|dysplasia|pin\b|cin\b|dcis\b|in\s+situ)",
    re.IGNORECASE,
)
_BEFORE_TOXICITY = re.compile(
    r"(?:ctcae|toxicity|adverse\s+event|dcis|in\s+situ)[^.;\n]{0,25}$", re.I
)
_NOT_TUMOUR_G = re.compile(r"(?:block|cassette|slide|section|level|station|gauge)\s*$", re.I)
# Nottingham components after a grade: "(3+2+2)", "(score 7)", "tubules 3, pleomorphism 2,
# mitoses 2" (Elston & Ellis 1991: 3-5 grade 1, 6-7 grade 2, 8-9 grade 3).
_NOTTINGHAM_PARTS = re.compile(
    r"[\s:,]*\(?\s*(?:score\s*)?([1-3])\s*\+\s*([1-3])\s*\+\s*([1-3])(?:\s*=\s*\d)?"
    r"|[\s:,]*\(?\s*tubul\w*(?:\s+formation)?\s*:?\s*([1-3])[,;\s]+(?:nuclear\s+)?"
    r"pleomorphism\s*:?\s*([1-3])[,;\s]+mito\w*(?:\s+count)?\s*:?\s*([1-3])",
    re.IGNORECASE,
)
_NOTTINGHAM_SCORE = re.compile(
    r"\b(?:nottingham|elston|bloom[- ]richardson|sbr)\w*\s*(?:combined\s+)?(?:histologic\s+)?"
    r"(?:score|grade)?\s*[:=]?\s*\(?([1-3])\s*\+\s*([1-3])\s*\+\s*([1-3])",
    re.IGNORECASE,
)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}

_SIZE = re.compile(
    r"\b(?:tumou?r\s+size|size\s+of\s+tumou?r|greatest\s+(?:tumou?r\s+)?dimension|"
    r"maximum\s+(?:tumou?r\s+)?dimension|largest\s+dimension|tumou?r\s+measures?|"
    r"measuring|measures)\b[^0-9\n]{0,40}?"
    r"(\d{1,3}(?:[.,]\d{1,2})?(?:\s*[x\u00d7]\s*\d{1,3}(?:[.,]\d{1,2})?){0,2})\s*(cm|mm)\b",
    re.IGNORECASE,
)
_SIZE_AFTER = re.compile(
    r"\b(\d{1,3}(?:[.,]\d{1,2})?)\s*(cm|mm)\s+in\s+(?:greatest\s+|maximum\s+)?"
    r"(?:size|dimension|diameter)\b",
    re.IGNORECASE,
)

_MARGINS = re.compile(
    r"\b(?:(?:surgical|resection)\s+)?margins?(?:\s+of\s+resection)?\s*(?:are|is|:|-|,)?\s*"
    r"(?:(?P<neg>negative|free|clear|uninvolved|not\s+involved|uninvolved\s+by|"
    r"free\s+of\s+(?:tumou?r|carcinoma))|(?P<pos>positive|involved|involved\s+by))\b",
    re.IGNORECASE,
)
_MARGINS_AFTER = re.compile(
    r"\b(?:all\s+)?(?:surgical\s+|resection\s+)?margins?\s+(?:are\s+|is\s+)?"
    r"(?:(?P<neg>negative\s+for|free\s+of|uninvolved\s+by|clear\s+of)|"
    r"(?P<pos>positive\s+for|involved\s+by))",
    re.IGNORECASE,
)
_R_CLASS = re.compile(r"\bR([012])\b")

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUM = r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r"|no|none)"
_NODES_OF = re.compile(
    r"\b"
    + _NUM
    + r"\s+(?:\(\d+\)\s+)?(?:of|out\s+of)\s+"
    + _NUM
    + r"\s+(?:\(\d+\)\s+)?(?:\w+\s+){0,3}?lymph\s*nodes?",
    re.IGNORECASE,
)
# (a fraction, never a date: "lymph node biopsy 04/2022" is no 4 of 202)
_NODES_FRACTION = re.compile(
    r"\blymph\s*nodes?[^\n/]{0,60}?\(?(?<![\d/.])(\d{1,2})\s*/\s*(\d{1,3})(?![\d/])\)?|"
    r"\((\d{1,2})\s*/\s*(\d{1,3})\)\s*(?:lymph\s*nodes?|nodes?)",
    re.IGNORECASE,
)
_NODES_FIELDS = re.compile(
    r"\b(?:number\s+of\s+)?(?:regional\s+)?lymph\s+nodes\s+examined\s*[:=]?\s*(\d{1,3})"
    r"[^\n]{0,80}?\b(?:number\s+of\s+)?(?:lymph\s+nodes\s+)?(?:involved|positive)"
    r"(?:\s+lymph\s+nodes)?\s*[:=]?\s*(\d{1,3})",
    re.IGNORECASE,
)

_LVI = re.compile(
    r"\b(?:lympho[\s\-]?vascular|angio[\s\-]?lymphatic|lymphatic[\s/]*(?:and\s+)?vascular|"
    r"vascular[\s/]*lymphatic|lymph[\s\-]?vascular|small\s+vessel|lymphatic|vascular|"
    r"venous/lymphatic)(?:\s*\([^)]{0,40}\))?\s*(?:space\s+)?(?:invasion|infiltration|"
    r"involvement)\s*(?:\([^)]{0,20}\))?\s*(?:is|was)?\s*[:\-]?\s*"
    r"(?P<value>present|identified|seen|absent|not\s+identified|not\s+seen|not\s+present|"
    r"negative|positive|none|indeterminate|suspicious|cannot\s+be\s+(?:assessed|determined)|"
    r"not\s+detected|detected)",
    re.IGNORECASE,
)
_LVI_BEFORE = re.compile(
    r"\b(?P<neg>no|without|negative\s+for)\s+(?:evidence\s+of\s+)?(?:definite\s+)?"
    r"(?:lympho[\s\-]?vascular|angiolymphatic|lymphatic\s+or\s+vascular|vascular\s+or\s+"
    r"lymphatic)(?:\s+(?:or|and|/)\s+perineural)?\s+(?:space\s+)?invasion|"
    r"\b(?:lympho[\s\-]?vascular|angiolymphatic)\s+(?:space\s+)?invasion\s+is\s+(?P<pos>present|"
    r"identified|seen)",
    re.IGNORECASE,
)

_DIAGNOSIS = re.compile(
    r"(?:^|(?<=[\n.]))[ \t]*(?:final\s+)?(?:pathologic(?:al)?\s+|surgical\s+pathology\s+)?"
    r"diagnos[ie]s\s*(?:/\s*diagnoses)?\s*[:.\n]\s*",
    re.IGNORECASE | re.MULTILINE,
)


# Words one of which must be in the text before a grade pattern is tried (speed only).
_GRADE_CUES: dict[str, tuple[str, ...]] = {
    "gleason": ("gleason",),
    "grade group": ("group",),
    "nottingham": ("nottingham", "elston", "bloom", "sbr"),
    "fuhrman": ("fuhrman",),
    "who/isup": ("isup",),
    "who": ("who",),
    "figo": ("figo",),
    "differentiation": ("differentiated",),
    "histologic grade": ("grade",),
    "grade": ("grade",),
    "g code": ("g1", "g2", "g3", "g4", "gx"),
    "high/low grade": ("grade",),
}
# Three-tier grades that mean the same whatever the wording ("grade 2", "G2", "Nottingham
# grade 2", "FIGO grade 2") share one value, so documents can be compared.
_TIERED = ("nottingham", "figo", "histologic grade", "grade", "g code")


def _grade_ok(system: str, text: str, m: re.Match[str]) -> bool:
    if system in ("grade", "histologic grade", "g code", "high/low grade"):
        if _TOXICITY.match(text, m.end(), m.end() + 40):
            return False
        if _BEFORE_TOXICITY.search(text, max(0, m.start() - 40), m.start()):
            return False
    if system == "grade":
        before = text[max(0, m.start() - 25) : m.start()].lower()
        if re.search(
            r"(?:gleason|who|figo|fuhrman|isup|nuclear|histologic(?:al)?|tumou?r|"
            r"nottingham|grade\s+group|masaoka|clark|ecog)\s*$",
            before,
        ):
            return False  # read by the system's own pattern
    near = _NOT_TUMOUR_G.search(text, max(0, m.start() - 12), m.start())
    return not (system == "g code" and near)


# The clause after a grade that a post-trigger must sit in ("No low-grade component is
# seen" is negated; "grade 3, HER2 is negative" is not: the comma ends the grade's clause).
_GRADE_CLAUSE_END = re.compile(r"[,;:()\n]|[.!?](?=\s|$)")
_GRADE_CLAUSE_REACH = 60


def grade_context(text: str, start: int, end: int) -> str:
    """The ConText assertion of a grade at text[start:end] (extract/context.py), with
    post-triggers read only in the grade's own clause."""
    stop = _GRADE_CLAUSE_END.search(text, end, end + _GRADE_CLAUSE_REACH)
    hi = stop.start() if stop else min(len(text), end + _GRADE_CLAUSE_REACH)
    return context_of(_mask_type_names(text[:hi], start), start, end)


def _mask_type_names(text: str, start: int, reach: int = 300) -> str:
    """The text with the histological type names just before `start` blanked out: a type
    name is never a negation cue ("carcinoma of no special type, grade 2")."""
    lo = max(0, start - reach)
    lex = lexicon()
    spans = [
        (lo + m.start(), lo + m.end())
        for m in lex.pattern.finditer(normalise(text[lo:start]))
        if any(e.kind == "histology" for e in lex.entries.get(key(m.group(0)), ()))
    ]
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _first_grade(text: str, low: str) -> tuple[str, str, re.Match[str], str] | None:
    """The first grade the text asserts, with its context. A negated grade ("no low-grade
    component") or a relative's is skipped: it says nothing about this tumour's grade."""
    for system, pattern in _GRADE_PATTERNS:
        if not any(cue in low for cue in _GRADE_CUES[system]):
            continue
        for m in pattern.finditer(text):
            if not _grade_ok(system, text, m):
                continue
            ctx = grade_context(text, m.start(), m.end())
            if ctx in ("negated", "family"):
                continue
            return system, _grade_value(system, m), m, ctx
    if "+" in low:
        for ns in _NOTTINGHAM_SCORE.finditer(text):
            ctx = grade_context(text, ns.start(), ns.end())
            if ctx not in ("negated", "family"):
                grade = f"grade {_nottingham_from_parts(ns.groups())}"
                return "nottingham", grade, ns, ctx
    return None


def _nottingham_from_parts(parts: tuple[str | None, ...]) -> str:
    total = sum(int(p) for p in parts if p)
    return "3" if total >= 8 else "2" if total >= 6 else "1"


def _grade_value(system: str, m: re.Match[str]) -> str:
    if system == "gleason":
        a, b = int(m.group(1)), int(m.group(2))
        return f"Gleason {a}+{b}={a + b}"
    if system == "differentiation":
        word = (m.group(1) or m.group(2)).lower()
        return f"{word} differentiated" if word != "undifferentiated" else "undifferentiated"
    raw = m.group(1).lower()
    if system == "high/low grade":
        return f"{raw} grade"
    number = _ROMAN.get(raw, raw.lstrip("g"))
    if system in _TIERED:
        if number in ("high", "low", "intermediate"):
            return f"{number} grade"
        return f"grade {number.upper() if number == 'x' else number}"
    label = {
        "grade group": "Grade Group",
        "fuhrman": "Fuhrman grade",
        "who/isup": "WHO/ISUP grade",
        "who": "WHO grade",
    }[system]
    return f"{label} {number}"


_GRADE_LABEL = {
    "nottingham": "Nottingham grade",
    "figo": "FIGO grade",
    "g code": "G",
}


def _grade_fact(doc: Document, page: Page, text: str, low: str) -> Fact | None:
    grade = _first_grade(text, low)
    if not grade:
        return None
    system, value, gm, ctx = grade
    attributes = {"system": system, "as_written": " ".join(gm.group(0).split())}
    end = gm.end()
    display = value
    if system in _TIERED and value.startswith("grade "):
        number = value.split()[-1]
        label = _GRADE_LABEL.get(system, "grade")
        display = f"G{number}" if system == "g code" else f"{label} {number}"
        parts = _NOTTINGHAM_PARTS.match(text, gm.end(), gm.end() + 80)
        if "+" in gm.group(0):  # the score itself: "Nottingham score 3+3+2"
            parts = gm
        if parts and system in ("nottingham", "grade", "histologic grade"):
            scores = [g for g in parts.groups() if g]
            attributes["system"] = "nottingham"
            attributes["components"] = "+".join(scores)
            display = f"Nottingham grade {number} ({'+'.join(scores)})"
            end = parts.end()
    return make_fact(
        doc,
        page,
        (gm.start(), end),
        "grade",
        value,
        found_by=f"tumour.grade.{system.replace('/', '_').replace(' ', '_')}",
        context=ctx,
        display=display,
        attributes=attributes,
    )


def _count(word: str) -> int:
    word = word.lower()
    if word.isdigit():
        return int(word)
    if word in ("no", "none"):
        return 0
    return _NUMBER_WORDS.get(word, -1)


def _detail_facts(doc: Document) -> list[Fact]:
    facts: list[Fact] = []
    for page in pages(doc):
        text = page.text
        low = text.lower()
        grade = _grade_fact(doc, page, text, low)
        if grade:
            facts.append(grade)
        size = (
            (_SIZE.search(text) or _SIZE_AFTER.search(text))
            if ("cm" in low or "mm" in low)
            else None
        )
        if size:
            dims = re.sub(r"\s+", " ", size.group(1).replace(",", "."))
            value = f"{dims} {size.group(2).lower()}"
            facts.append(
                make_fact(
                    doc,
                    page,
                    size.span(1),
                    "tumour_size",
                    value,
                    found_by="tumour.size",
                    context="asserted",
                )
            )
        margin = (_MARGINS_AFTER.search(text) or _MARGINS.search(text)) if "margin" in low else None
        if margin:
            value = "involved" if margin.group("pos") else "clear"
            facts.append(
                make_fact(
                    doc,
                    page,
                    margin,
                    "margins",
                    value,
                    found_by="tumour.margins",
                    context="asserted",
                    display=f"margins {value}",
                )
            )
        else:
            r = _R_CLASS.search(text)
            if r:
                value = "clear" if r.group(1) == "0" else "involved"
                facts.append(
                    make_fact(
                        doc,
                        page,
                        r,
                        "margins",
                        value,
                        found_by="tumour.margins.r_class",
                        context="asserted",
                        display=f"R{r.group(1)} (margins {value})",
                    )
                )
        nodes = _node_fact(doc, page) if "node" in low else None
        if nodes:
            facts.append(nodes)
        cue = "invasion" in low or "infiltration" in low or "involvement" in low
        lvi = _LVI.search(text) if cue else None
        if lvi:
            raw = lvi.group("value").lower()
            value = (
                "present"
                if raw in ("present", "identified", "seen", "positive", "detected")
                else "indeterminate"
                if raw.startswith(("indeterminate", "suspicious", "cannot"))
                else "absent"
            )
            facts.append(
                make_fact(
                    doc,
                    page,
                    lvi,
                    "lvi",
                    value,
                    found_by="tumour.lvi.field",
                    context="asserted",
                    display=f"lymphovascular invasion {value}",
                )
            )
        else:
            lvi2 = _LVI_BEFORE.search(text) if cue else None
            if lvi2:
                value = "absent" if lvi2.group("neg") else "present"
                facts.append(
                    make_fact(
                        doc,
                        page,
                        lvi2,
                        "lvi",
                        value,
                        found_by="tumour.lvi.phrase",
                        context="asserted",
                        display=f"lymphovascular invasion {value}",
                    )
                )
        diag = _diagnosis_fact(doc, page)
        if diag:
            facts.append(diag)
    return facts


def _node_fact(doc: Document, page: Page) -> Fact | None:
    text = page.text
    m = _NODES_FIELDS.search(text)
    if m:
        examined, involved = int(m.group(1)), int(m.group(2))
        span: tuple[int, int] = m.span()
    else:
        m = _NODES_OF.search(text)
        if m:
            involved, examined = _count(m.group(1)), _count(m.group(2))
            span = m.span()
        else:
            m = _NODES_FRACTION.search(text)
            if not m:
                return None
            a = m.group(1) or m.group(3)
            b = m.group(2) or m.group(4)
            involved, examined = int(a), int(b)
            span = m.span()
    if involved < 0 or examined <= 0 or involved > examined:
        return None
    return make_fact(
        doc,
        page,
        span,
        "lymph_nodes",
        f"{involved}/{examined}",
        found_by="tumour.lymph_nodes",
        context="asserted",
        display=f"{involved} of {examined} lymph nodes involved",
        attributes={"involved": str(involved), "examined": str(examined)},
    )


# The end of a statement after a "Diagnosis:" heading. A line break inside a sentence is
# only the page's wrapping ("...with a biopsy-proven left\naxillary nodal metastasis."); the
# statement ends at a full stop or semicolon-free sentence end, a blank line, a bullet, a
# labelled field on a new line ("\nClinical stage: cT2"), or a heading alone on its line.
_STATEMENT_END = re.compile(
    r"(?<!\b[A-Za-z])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bNo)(?<!\bvs)(?<!\bapprox)(?<!\be\.g)"
    r"(?<!\bi\.e)(?<!\bcf)\.(?=\s|$)"
    r"|[ \t]*\n(?=[ \t]*\n|[ \t]*[-\u2022*\u00b7](?!\w)|[ \t]*\(?\d{1,2}[.)]\s"
    r"|[ \t]*[A-Z][\w /()&,\-]{0,40}:\s|[ \t]*[A-Z][\w /()&\-]{0,40}[ \t]*\n)"
)
_STATEMENT_MAX = 400  # characters: a statement with no end within this is not emitted
_STATEMENTS_SEARCHED = 5  # statements after the heading searched for the one naming a histology


def _statement_end(text: str, start: int) -> tuple[int, bool] | None:
    """The end of the statement that starts at `start` and whether it also ends the block
    (a blank line, a bullet, a new field or heading); None when no end is found within
    _STATEMENT_MAX characters (a statement cut mid-phrase is worse than none)."""
    limit = start + _STATEMENT_MAX
    m = _STATEMENT_END.search(text, start, min(len(text), limit + 1))
    if m is None:
        return (len(text), True) if len(text) <= limit else None
    return m.start(), not m.group(0).startswith(".")


def _diagnosis_fact(doc: Document, page: Page) -> Fact | None:
    """The diagnosis statement as written after a "Diagnosis:" heading: the whole sentence
    that names a histology, across the line breaks of the page's layout."""
    text = page.text
    lex = lexicon()
    for m in _DIAGNOSIS.finditer(text):
        pos = m.end()
        for _ in range(_STATEMENTS_SEARCHED):
            while pos < len(text) and text[pos] in " \t\n-:;,.\u2022*":
                pos += 1
            if pos >= len(text):
                break
            found = _statement_end(text, pos)
            if found is None:
                break
            end, block_ends = found
            if _names_histology(lex, text[pos:end]):
                value = " ".join(text[pos:end].split()).rstrip(" ,;:")
                if len(value) >= 4:
                    return make_fact(
                        doc,
                        page,
                        (pos, pos + len(text[pos:end].rstrip(" \t\n,;:"))),
                        "diagnosis",
                        value,
                        found_by="tumour.diagnosis.line",
                        context="asserted",
                    )
            if block_ends and text[end : end + 2].strip(" \t") in ("\n", ""):
                break  # a blank line: the diagnosis section is over
            pos = end + 1
    return None


def _names_histology(lex: Lexicon, statement: str) -> bool:
    norm = normalise(statement)
    for hm in lex.pattern.finditer(norm):
        if any(e.kind == "histology" for e in lex.entries.get(key(hm.group(0)), ())):
            return True
    return False


def extract(doc: Document) -> list[Fact]:
    """Tumour facts of one document (see the module docstring)."""
    if not any(p.text.strip() for p in doc.pages):
        return []
    mentions = find_mentions(doc)
    decision = decide(mentions)
    facts = _type_facts(doc, mentions, decision)
    # The side only from the primary's own organ (extract/primary_detail.py).
    organ = decision.site.entry.name if decision is not None and decision.site else None
    side = primary_detail.laterality(doc, organ, mentions)
    if side is not None:
        facts.append(side)
    return facts + _detail_facts(doc)
