"""Case stage: apply people's corrections, then show disagreements between documents.

Runs first among the case stages, every time, over facts the documents gave,
so a correction made once survives any number of re-runs of the engine.

Two values of a kind that should agree (fact_kinds.yaml `conflict: true`) are a
conflict only when they describe the same thing at the same time:
- the same TNM prefix (cT and pT legitimately differ);
- the same time point (knowledge/reconcile.yaml `time_points`): the stage at
  relapse or after treatment is compared only with other values at relapse, never
  with the stage at diagnosis; facts marked historical are not compared at all;
- and they are not one value refining the other ("T2" and "T2a", "II" and "IIA",
  "adenocarcinoma" and "lung adenocarcinoma" with the same ICD-O-3 code,
  "non-small cell carcinoma" and "adenocarcinoma").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Case, Conflict, Document, Fact
from casebridge.engine.extract.context import compile_terms, sentence_bounds
from casebridge.engine.kb import fact_kinds, load
from casebridge.engine.registry import component


@component("reconcile", level="case", reads=("facts", "corrections"), writes=("facts", "conflicts"))
def reconcile(case: Case) -> None:
    apply_corrections(case)
    case.conflicts = find_conflicts(case.facts, case.documents)


def apply_corrections(case: Case) -> None:
    """Apply people's corrections to the facts. A fact marked wrong leaves the
    facts for `rejected_facts`, where it stays (across runs that no longer see it)
    while a rejection of it stands; once none does, it is dropped from there (its
    document, read again, gives it back)."""
    by_id = {f.id: f for f in case.facts}
    rejected: set[str] = set()
    marked = {c.fact_id for c in case.corrections if c.rejected}
    aside = {f.id: f for f in case.rejected_facts if f.id in marked}
    for corr in case.corrections:
        fact = by_id.get(corr.fact_id)
        if fact is None:
            if corr.kind and corr.value is not None and not corr.rejected:
                # A fact a person adds that no document states; its source is the person.
                added = Fact(
                    kind=corr.kind,
                    value=corr.value,
                    source=None,
                    context=corr.context or "asserted",
                    found_by=f"person:{corr.by}",
                    id=corr.fact_id,
                    corrected_by=corr,
                )
                case.facts.append(added)
                by_id[added.id] = added
            continue
        if corr.rejected:
            rejected.add(fact.id)
            continue
        if fact.original_value is None:
            fact.original_value = fact.value
        if corr.value is not None:
            fact.value = corr.value
            fact.display = corr.value
        if corr.context:
            fact.context = corr.context
        fact.corrected_by = corr
    if rejected:
        aside.update((f.id, f) for f in case.facts if f.id in rejected)
        case.facts = [f for f in case.facts if f.id not in rejected]
    case.rejected_facts = list(aside.values())


# -- time points -----------------------------------------------------------------


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    data: dict[str, Any] = load("reconcile")
    return data


@lru_cache(maxsize=1)
def _time_cues() -> tuple[re.Pattern[str], dict[str, str]]:
    cues: dict[str, str] = {}
    for point, terms in (_rules().get("time_points") or {}).items():
        for term in terms or []:
            cues.setdefault(" ".join(str(term).lower().split()), str(point))
    return compile_terms(cues), cues


def time_point(fact: Fact, documents: list[Document] | None = None) -> str:
    """The time point a fact describes: "relapse", "diagnosis" (from the cue nearest to
    it in its sentence), "historical", or "" when its sentence does not say."""
    if fact.attributes.get("time_point"):
        return fact.attributes["time_point"]
    if fact.attributes.get("historical") == "yes" or fact.context == "historical":
        return "historical"
    if fact.attributes.get("prefix", "").startswith(("r", "y")):
        return "relapse"  # AJCC rTNM (recurrence) and yTNM (after treatment)
    text = _page_text(fact, documents)
    if text is None or fact.source is None:
        return ""
    start, end = fact.source.start, fact.source.end
    lo, hi = sentence_bounds(text, start, end)
    pattern, cues = _time_cues()
    best: tuple[int, str] | None = None
    for m in pattern.finditer(text, lo, hi):
        if m.start() < end and start < m.end():
            continue  # the fact's own words
        distance = start - m.end() if m.end() <= start else m.start() - end
        point = cues.get(" ".join(m.group().lower().split()), "")
        if point and (best is None or distance < best[0]):
            best = (distance, point)
    return best[1] if best else ""


def _page_text(fact: Fact, documents: list[Document] | None) -> str | None:
    if fact.source is None or not documents:
        return None
    for doc in documents:
        if doc.id == fact.source.document_id:
            for page in doc.pages:
                if page.number == fact.source.page:
                    return page.text
    return None


def _group_of(point: str) -> str:
    default = {str(p) for p in _rules().get("default_group") or []}
    return "" if point in default else point


# -- compatible values ---------------------------------------------------------------

_ROMAN_OR_DIGIT = re.compile(
    r"^(?:(?i:stage)\s*)?(?:[cpyra]{1,2}(?=[TNM]))?(?P<core>[TNM]?[0-4IVX]+)(?P<sub>.*)$"
)
_SUBDIVISION = re.compile(r"^(?:[a-dA-D]\d?|mi|\(.*\)|[a-dA-D]\(.*\))$")


def _refines(broad: str, narrow: str) -> bool:
    """True when `narrow` is `broad` plus a subdivision: T2 -> T2a, II -> IIA, IV -> IVB."""
    a = _ROMAN_OR_DIGIT.match(broad.strip())
    b = _ROMAN_OR_DIGIT.match(narrow.strip())
    if not a or not b or a.group("core").upper() != b.group("core").upper():
        return False
    if a.group("sub").strip():
        return False
    sub = b.group("sub").strip()
    return bool(sub) and bool(_SUBDIVISION.match(sub))


@lru_cache(maxsize=1)
def _icdo3() -> dict[str, str]:
    try:
        types = load("histology").get("types") or []
    except FileNotFoundError:
        return {}
    codes: dict[str, str] = {}
    for t in types:
        code = str(t.get("icdo3") or "")
        for term in [t.get("name"), *(t.get("terms") or [])]:
            if term and code:
                codes.setdefault(" ".join(str(term).lower().split()), code)
    return codes


def _broader(kind: str, broad: str, narrow: str) -> bool:
    table = (_rules().get("broader") or {}).get(kind) or {}
    for name, narrower in table.items():
        if str(name).lower() != broad:
            continue
        for item in narrower or []:
            item = str(item).lower()
            if item == narrow or (item.startswith("*") and narrow.endswith(item[1:])):
                return True
    return False


def compatible(kind: str, a: str, b: str) -> bool:
    """Two values of one kind that do not contradict each other."""
    x, y = a.strip().lower(), b.strip().lower()
    if x == y or _refines(a, b) or _refines(b, a):
        return True
    if kind == "histology":
        codes = _icdo3()
        if codes.get(x) and codes.get(x) == codes.get(y):
            return True
    return _broader(kind, x, y) or _broader(kind, y, x)


# -- conflicts -----------------------------------------------------------------------


def _conflict_key(fact: Fact, point: str) -> str:
    prefix = fact.attributes.get("prefix", "")
    return f"{fact.kind}|{prefix}|{_group_of(point)}"


def find_conflicts(facts: list[Fact], documents: list[Document] | None = None) -> list[Conflict]:
    """Asserted values of a conflict kind that documents disagree on, compared only
    within the same TNM prefix and time point (see the module docstring)."""
    kinds = fact_kinds()
    groups: dict[str, list[Fact]] = {}
    for fact in facts:
        if fact.context != "asserted" or not kinds.get(fact.kind, {}).get("conflict"):
            continue
        if fact.attributes.get("reported_by") == "patient":
            continue  # the patient's own notes are shown, but records are what can disagree
        point = time_point(fact, documents)
        if point == "historical":
            continue
        if point and point != fact.attributes.get("time_point"):
            fact.attributes["time_point"] = point
        groups.setdefault(_conflict_key(fact, point), []).append(fact)
    conflicts = []
    for key, group in groups.items():
        kind, _prefix, point = key.split("|")
        values = sorted({f.value for f in group}, key=str.lower)
        clash = any(
            not compatible(kind, a, b) for i, a in enumerate(values) for b in values[i + 1 :]
        )
        docs = {f.source.document_id for f in group if f.source}
        if clash and len(docs) > 1:
            label = kinds[kind]["label"]
            when = " at relapse" if point == "relapse" else ""
            conflicts.append(
                Conflict(
                    kind=kind,
                    values=sorted({f.value for f in group}),
                    fact_ids=[f.id for f in group],
                    note=f"Records disagree on {label}{when}: both values are shown; "
                    "the reviewing team should confirm which is current.",
                )
            )
    return conflicts
