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

The package's modules, one concern each: knowledge (the compiled patterns), written (a
category as written, OCR-damaged or not), checklist (a CAP form's option lists and fields),
stage_group, edition (which AJCC edition applies), description (what the report's prose says:
organ, negation, sizes), infer_t (T from the description, per AJCC site), nodes (lymph-node
counts and N). This module is the extractor itself and the choice of the definitive value.
"""

from __future__ import annotations

import re
from functools import lru_cache

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.extract.tnm.description import detect_organ
from casebridge.engine.extract.tnm.edition import _edition_hits, resolve_edition
from casebridge.engine.extract.tnm.infer_t import infer_t
from casebridge.engine.extract.tnm.nodes import infer_n
from casebridge.engine.extract.tnm.stage_group import _stage_hits
from casebridge.engine.extract.tnm.written import Hit, explicit_hits
from casebridge.engine.kb import load

_REVISED = re.compile(r"\b(?:revis|amend|correct|addend)\w*", re.IGNORECASE)


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
