"""The facts as the patient reads them: plain labels for fact kinds, coded
values in words (from the engine's terminology), and the facts table grouped
by value with every source.

Both portal/lib/facts.py (the case's fact lines, computed once per reading) and the
template filter group_facts (portal_tags) use it; it imports neither, so the
two no longer import each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from casebridge.engine.kb import fact_kinds
from casebridge.engine.terminology import table as terminology
from casebridge.web.portal import content


def _term(key: str) -> str:
    """The engine terminology's wording for `key` in the page's language, or ''."""
    term = terminology().by_key(key)
    if term is None:
        return ""
    return term.zh if content.current_lang() == "zh" and term.zh else term.en


def patient_label(kind: str, fallback: str) -> str:
    """The fact kind's plain name ("Cancer type", not "Cancer type (TCGA study code)")."""
    return _term(f"fact_kind.{kind}") or fallback


def patient_value(kind: str, value: str) -> str:
    """A coded value in words: the cancer type's study code becomes its name
    ("BRCA (Breast invasive carcinoma)" -> "Invasive breast carcinoma"), so a
    patient never reads a study code as a gene. Other values are shown as they are."""
    if kind == "cancer_type" and value.strip():
        code = value.strip().split()[0].upper()
        table = terminology()
        # the engine shows the clinical name ("Invasive breast carcinoma"); older case
        # JSON holds "BRCA (Breast invasive carcinoma)": either finds the same term
        term = table.by_key(f"cancer_type.{code}") or table.lookup(value, ["cancer_type"])
        if term is None:
            return value
        return term.zh if content.current_lang() == "zh" and term.zh else term.en
    return value


@dataclass
class FactGroup:
    """Facts of one kind with the same value: one row, with every source."""

    kind: str
    label: str
    value: str
    context_text: Any
    corrected: bool
    rows: list[Any] = field(default_factory=list)  # FactRows with a source, one per place
    by_person: bool = False  # a fact added by a person (no source)
    ids: list[str] = field(default_factory=list)  # every fact of the row, person-added too
    first_of_kind: bool = True  # the first row of its kind (the next ones follow it)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def first(self) -> Any:
        return self.rows[0] if self.rows else None


def group_fact_rows(rows: Iterable[Any]) -> list[FactGroup]:
    """Facts grouped by (kind, value, context, corrected); each place (document
    page) listed once. The rows of a kind stay together, kinds in the order of
    knowledge/fact_kinds.yaml (diagnosis first, dated events last), values in
    the order they first appear."""
    groups: dict[tuple[str, str, str, bool], FactGroup] = {}
    seen: set[tuple[tuple[str, str, str, bool], str, int]] = set()
    for row in rows:
        value = patient_value(row.kind, str(row.value))
        key = (row.kind, value.strip().casefold(), row.context, bool(row.corrected))
        group = groups.get(key)
        if group is None:
            group = groups[key] = FactGroup(
                kind=row.kind,
                label=patient_label(row.kind, str(row.label)),
                value=value,
                context_text=row.context_text,
                corrected=bool(row.corrected),
            )
        group.ids.append(row.id)
        source = row.source
        if source is None:
            group.by_person = True
            continue
        place = (key, source.document_id, source.page)
        if place in seen:
            continue
        seen.add(place)
        group.rows.append(row)
    order = {kind: index for index, kind in enumerate(fact_kinds())}
    ordered = sorted(groups.values(), key=lambda g: order.get(g.kind, len(order)))
    for before, group in zip([None, *ordered], ordered, strict=False):
        group.first_of_kind = before is None or before.kind != group.kind
    return ordered
