"""One row per biomarker in the summary, each with its most specific result.

A row gathers every result of one marker (one fact kind, or one `marker` of
other_biomarker). A general result ("EGFR mutation detected") or one whose words a fuller
result of the same sense contains ("EGFR exon 19" beside "EGFR exon 19 deletion") is left
out; results of other variants stay ("EGFR T790M not detected" is what was tested, not a
repetition). The variant detail the record states with the result (HGVS c. and p., variant
allele frequency) is shown with it. A result is dated by the first report of it (a later
letter quoting it is not a new test); a later report of the same result on a test of its own
(a re-biopsy at relapse) adds its date. The patient's own writing is never a result's source
while a clinical record gives it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from casebridge.engine.case import BIOMARKER_KINDS, Fact
from casebridge.engine.currency import fact_date
from casebridge.engine.terminology import Span, normalise

if TYPE_CHECKING:
    from casebridge.engine.render.summary import Line, _Builder

GENERAL_POSITIVE = frozenset(
    normalise(w) for w in ("detected", "positive", "mutated", "mutation detected", "mutant",
                           "present", "variant detected", "pathogenic variant detected")
)  # fmt: skip
_NEGATIVE = re.compile(r"(?i)\b(?:not|no|negative|wild[- ]?type|absent|without)\b")
_HGVS = re.compile(r"\b(?:c\.[0-9*_+\-]+[A-Za-z0-9_>]*|p\.\(?[A-Z][a-z]{2}\d+[A-Za-z0-9_*]*\)?)")
_VAF = re.compile(
    r"(?i)\b(?:variant allele frequency|variant allele fraction|allele frequency|VAF)\s*"
    r"(?:of|:|=)?\s*(\d{1,3}(?:\.\d+)?\s*%)"
)
_DETAIL_REACH = 120  # characters after a result searched for its HGVS and VAF
TEST_REPORTS = frozenset({"pathology", "genetic_report", "laboratory"})
MAX_TEST_DATES = 3  # dates shown for one result


def biomarker_lines(b: _Builder) -> list[Line]:
    lines: list[Line] = []
    for kind in BIOMARKER_KINDS:
        facts = _shown(b, b.visible(kind))
        if not facts:
            line = b.kind_line(kind, key_item=False)  # only hedged results: as before
            if line is not None:
                lines.append(line)
            continue
        rows: dict[str, list[Fact]] = {}
        for f in facts:
            marker = f.attributes.get("marker", "") if kind == "other_biomarker" else ""
            rows.setdefault(marker, []).append(f)
        for marker, row in rows.items():
            label = _marker_label(b, marker) if marker else b.kind_label(kind)
            lines.append(_row(b, kind, label, row))
    return lines


def _marker_label(b: _Builder, marker: str) -> list[Span]:
    """A named marker as written; in Chinese the table's name when it has one ("M蛋白类型")."""
    if b.zh:
        named = b.terms.translate(marker, ("biomarker",))
        if named and not any(s.untranslated for s in named):
            return named
    return [Span(marker)]


def _shown(b: _Builder, facts: list[Fact]) -> list[Fact]:
    clinical = [f for f in facts if f.attributes.get("reported_by") != "patient"]
    return clinical or facts


def _row(b: _Builder, kind: str, label: list[Span], facts: list[Fact]) -> Line:
    from casebridge.engine.render.summary import CHANGING, Line, Part

    groups: dict[str, list[Fact]] = {}
    for f in facts:
        groups.setdefault(b._group_key(f), []).append(f)
    kept = most_specific(list(groups.values()))
    kept.sort(key=lambda g: _first_date(b, g) or "0", reverse=True)
    conflict = len(groups) > 1 and b._conflicting(kind, facts)
    parts: list[Part] = []
    several = len({d for g in kept if (d := _first_date(b, g))}) > 1
    for i, group in enumerate(kept):
        refs = sorted({n for f in group for n in b.fact_refs(f)})
        spans = b.value(group[0])
        detail = variant_detail(b, group)
        if detail:
            spans = [*spans, Span(" " + detail)]
        note = b.note_for(group[0])
        if note:
            spans = [*spans, Span(" ("), *note, Span(")")]
        if any(f.attributes.get("reported_by") == "patient" for f in group) and len(group) == sum(
            1 for f in group if f.attributes.get("reported_by") == "patient"
        ):
            spans = [*spans, Span(f" ({b.word('heading.patient_writes')})")]
        words = [", ".join(_test_dates(b, group)) or b.word("heading.date_not_stated")]
        if i == 0 and several and kind in CHANGING:
            words.append(b.word("heading.latest_value"))
        spans = [*spans, Span(f" ({'; '.join(words)})")]
        sep = "" if not parts else (" ≠ " if conflict else "; ")
        parts.append(Part(spans, refs, sep=sep))
    if conflict:
        b._inline_conflicts.add(kind)
        return Line(label, parts, "conflict", [Span(b.word("heading.conflict"))])
    return Line(label, parts)


def _words(group: list[Fact]) -> str:
    return normalise(group[0].display or group[0].value)


def _negative(group: list[Fact]) -> bool:
    return bool(_NEGATIVE.search(group[0].display or group[0].value))


def most_specific(groups: list[list[Fact]]) -> list[list[Fact]]:
    """The groups left when general and contained results of the same sense are dropped."""
    specific_positive = [
        g for g in groups if not _negative(g) and normalise(g[0].value) not in GENERAL_POSITIVE
    ]
    kept = []
    for g in groups:
        if not _negative(g) and normalise(g[0].value) in GENERAL_POSITIVE and specific_positive:
            continue
        words = _words(g)
        if any(
            o is not g
            and _negative(o) == _negative(g)
            and len(_words(o)) > len(words)
            and re.search(rf"(?:^| ){re.escape(words)}(?: |$)", _words(o))
            for o in groups
        ):
            continue
        kept.append(g)
    return kept


def variant_detail(b: _Builder, group: list[Fact]) -> str:
    """HGVS and VAF stated right after the result in its record ("c.2235_2249del
    p.(Glu746_Ala750del), VAF 18%"), or in the fact's attributes."""
    for f in group:
        a = f.attributes
        found = [a[k] for k in ("hgvs_c", "hgvs_p", "hgvs") if a.get(k)]
        vaf = a.get("vaf", "")
        if f.source is not None and not _negative([f]):
            text = b._page_text(f.source)
            if text:
                after = text[f.source.end : f.source.end + _DETAIL_REACH]
                stop = re.search(r"(?i)\n\s*\n|\b(?:no|not)\b|\n[A-Z][A-Za-z0-9\- ]{1,20}:", after)
                after = after[: stop.start()] if stop else after
                found += [h for h in _HGVS.findall(after) if h not in found]
                m = _VAF.search(after)
                vaf = vaf or (m.group(1).replace(" ", "") if m else "")
        if found or vaf:
            return ", ".join([" ".join(found)] * bool(found) + [f"VAF {vaf}"] * bool(vaf))
    return ""


def _test_dates(b: _Builder, group: list[Fact]) -> list[str]:
    """The first report's date, and the date of each later report of the same result on its
    own test (a pathology, genetic or laboratory report: a new specimen, as at relapse);
    a letter quoting the result adds no date."""
    first = _first_date(b, group)
    if not first:
        return []
    later = {
        d
        for f in group
        if (doc := b.case.document(f.source.document_id) if f.source else None) is not None
        and doc.doc_type in TEST_REPORTS
        and (d := fact_date(b.case, f))
        and d[:7] != first[:7]
    }
    return [first, *sorted(later)[-MAX_TEST_DATES + 1 :]] if later else [first]


def _first_date(b: _Builder, group: list[Fact]) -> str:
    dates = [d for f in group if (d := fact_date(b.case, f))]
    return min(dates) if dates else ""
