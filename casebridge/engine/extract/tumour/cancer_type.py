"""The cancer type (TCGA study) voted from the weighted mentions: (site support + a) x
(histology support + a), and the cancer_type, primary_site and histology facts it names.

Separate from finding the mentions: this is the decision rule alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.engine.case import Code, Document, Fact
from casebridge.engine.extract import primary_detail
from casebridge.engine.extract.spans import make_fact
from casebridge.engine.extract.tumour.mentions import Entry, Mention, lexicon

ICDO3 = "urn:oid:2.16.840.1.113883.6.43.1"


_SMOOTH = 0.5  # the `a` of (site + a) x (histology + a)


_SITE_VOTE = 0.5  # a site's vote for the study needed to name it the primary site


_MIN_HISTOLOGY = 0.5  # weighted histology support needed before a study is named


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
