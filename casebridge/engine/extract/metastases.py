"""Where the cancer has spread (`metastatic_site`, one fact per site per document) and a
staging investigation's statement that it has not (`distant_staging`), from
knowledge/metastases.yaml.

A site is metastatic when the words after it ("liver metastases", "bone mets", "T9 bone
metastasis") or before it ("metastatic to the liver", "spread to the bones") say so; its
context is read as for every fact ("no liver metastases" is negated, "suspicious for
metastases" possible). Regional lymph nodes are the N category and are not a metastatic site.
A negative staging is read only where its sentence names a staging investigation (CT, PET,
bone scan, MRI, "staging") or the document is a radiology report: "no evidence of metastatic
disease" in a pathology report's node section is not distant staging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Code, Document, Fact, Page
from casebridge.engine.extract.context import compile_terms, context_of, sentence_bounds, term_key
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.kb import load

ICDO3 = "urn:oid:2.16.840.1.113883.6.43.1"
_RANK = {"asserted": 0, "historical": 1, "possible": 2, "negated": 3}


@dataclass(frozen=True)
class _Rules:
    sites: re.Pattern[str]
    site_of: dict[str, tuple[str, str]]  # term key -> (name, ICD-O-3 topography)
    after: re.Pattern[str]
    before: re.Pattern[str]
    level: re.Pattern[str]
    hedged: re.Pattern[str]
    negative: re.Pattern[str]
    investigation: re.Pattern[str]


@lru_cache(maxsize=1)
def rules() -> _Rules:
    data: dict[str, Any] = load("metastases")
    site_of: dict[str, tuple[str, str]] = {}
    terms: list[str] = []
    for site in data["sites"]:
        for term in site["terms"]:
            site_of[term_key(str(term))] = (str(site["name"]), str(site.get("icdo3", "")))
            terms.append(str(term))
    return _Rules(
        sites=compile_terms(terms),
        site_of=site_of,
        after=re.compile(r"[ \t]*(?:\([^()\n]{0,20}\)[ \t]*)?" + str(data["after"]), re.I),
        before=re.compile(str(data["before"]), re.I),
        level=re.compile(str(data["level"])),
        hedged=re.compile(str(data["hedged"])),
        negative=re.compile("|".join(f"(?:{p})" for p in data["negative_staging"]), re.I),
        investigation=re.compile("|".join(data["staging_investigation"]), re.I),
    )


def _sites(doc: Document, page: Page, r: _Rules) -> list[tuple[int, Fact]]:
    text = page.text
    if not re.search(r"metasta|mets\b|secondar|deposit|spread", text, re.I):
        return []
    found: list[tuple[int, Fact]] = []
    for m in r.sites.finditer(text):
        name, topo = r.site_of[term_key(m.group(0))]
        after = r.after.match(text, m.end(), min(len(text), m.end() + 40))
        before = r.before.search(text, max(0, m.start() - 60), m.start())
        if not (after or before):
            continue
        if name == "bone" and text[m.end() : m.end() + 8].lower().startswith(" marrow"):
            continue
        start, end = m.start(), (after.end() if after else m.end())
        level = r.level.search(text, max(0, start - 20), start) if name == "bone" else None
        display = name
        attributes = {"as_written": " ".join(text[start:end].split())}
        if level:
            start = level.start(1)
            display = f"bone ({level.group(1)})"
            attributes["level"] = level.group(1)
            attributes["as_written"] = " ".join(text[start:end].split())
        ctx = context_of(text, m.start(), m.end())
        if ctx == "family":
            continue
        hedge = after.group("hedge") if after else None
        if ctx == "asserted" and hedge and r.hedged.search(hedge):
            ctx = "possible"
        fact = make_fact(
            doc,
            page,
            (start, end),
            "metastatic_site",
            name,
            found_by="metastases.site",
            context=ctx,
            display=display,
            attributes=attributes,
        )
        if topo:
            fact.code = Code(ICDO3, topo, name)
        found.append((_RANK.get(ctx, 9), fact))
    return found


def _negative(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    facts: list[Fact] = []
    for m in r.negative.finditer(text):
        lo, hi = sentence_bounds(text, m.start(), m.end())
        line_lo = text.rfind("\n", 0, m.start()) + 1
        said = text[min(lo, line_lo) : hi]
        investigation = r.investigation.search(said)
        if investigation is None and doc.doc_type != "radiology":
            continue
        if context_of(text, m.start(), m.end()) in ("family", "possible"):
            continue
        attributes = {"as_written": " ".join(m.group(0).split())}
        if investigation is not None:
            attributes["investigation"] = investigation.group(0)
        facts.append(
            make_fact(
                doc,
                page,
                m,
                "distant_staging",
                "no distant metastases",
                found_by="metastases.negative_staging",
                context="asserted",
                display=" ".join(m.group(0).split())
                + (f" ({investigation.group(0)})" if investigation is not None else ""),
                attributes=attributes,
            )
        )
        break  # one statement per page
    return facts


def extract(doc: Document) -> list[Fact]:
    r = rules()
    best: dict[str, tuple[int, Fact]] = {}
    facts: list[Fact] = []
    for page in pages(doc):
        for rank, fact in _sites(doc, page, r):
            key = fact.display
            if key not in best or rank < best[key][0]:
                best[key] = (rank, fact)
        facts.extend(_negative(doc, page, r))
    return [f for _r, f in best.values()] + facts
