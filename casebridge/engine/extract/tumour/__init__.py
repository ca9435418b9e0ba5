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

The package's modules, one concern each: mentions (the term lexicon and every weighted
mention of a site, histology or clue), cancer_type (the vote that names the study, primary
site and histology), grade, elements (size, margins, lymph nodes, LVI per page) and diagnosis
(the statement after a "Diagnosis:" heading). This module is the extractor itself.
"""

from __future__ import annotations

from casebridge.engine.case import Document, Fact
from casebridge.engine.extract import primary_detail
from casebridge.engine.extract.tumour.cancer_type import _type_facts, decide
from casebridge.engine.extract.tumour.elements import _detail_facts
from casebridge.engine.extract.tumour.mentions import find_mentions


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
