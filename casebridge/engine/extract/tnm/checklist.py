"""CAP checklist forms: a form's list of options with the ticks lost ("pT1: Tumor limited to
... pT2: ..."), the chosen answer next to its definition, and a form's own fields ("T Stage: 2",
"Primary tumor (pT): p2a").

Separate because a form's layout, not the category's spelling, decides what it answers.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from casebridge.engine.extract.tnm.knowledge import _lower

if TYPE_CHECKING:
    from casebridge.engine.extract.tnm.written import Hit


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
