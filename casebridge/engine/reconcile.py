"""Case stage: apply people's corrections, then show disagreements between documents.

Runs first among the case stages, every time, over facts the documents gave,
so a correction made once survives any number of re-runs of the engine.
"""

from __future__ import annotations

from casebridge.engine.case import Case, Conflict, Fact
from casebridge.engine.kb import fact_kinds
from casebridge.engine.registry import component


@component("reconcile", level="case", reads=("facts", "corrections"), writes=("facts", "conflicts"))
def reconcile(case: Case) -> None:
    apply_corrections(case)
    case.conflicts = find_conflicts(case.facts)


def apply_corrections(case: Case) -> None:
    by_id = {f.id: f for f in case.facts}
    rejected: set[str] = set()
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
        case.facts = [f for f in case.facts if f.id not in rejected]


def _conflict_key(fact: Fact) -> str:
    prefix = fact.attributes.get("prefix", "")
    return f"{fact.kind}|{prefix}"


def find_conflicts(facts: list[Fact]) -> list[Conflict]:
    kinds = fact_kinds()
    groups: dict[str, list[Fact]] = {}
    for fact in facts:
        if fact.context != "asserted" or not kinds.get(fact.kind, {}).get("conflict"):
            continue
        groups.setdefault(_conflict_key(fact), []).append(fact)
    conflicts = []
    for key, group in groups.items():
        values = sorted({f.value.lower() for f in group})
        docs = {f.source.document_id for f in group if f.source}
        if len(values) > 1 and len(docs) > 1:
            kind = key.split("|")[0]
            label = kinds[kind]["label"]
            conflicts.append(
                Conflict(
                    kind=kind,
                    values=sorted({f.value for f in group}),
                    fact_ids=[f.id for f in group],
                    note=f"Records disagree on {label}: both values are shown; "
                    "the reviewing team should confirm which is current.",
                )
            )
    return conflicts
