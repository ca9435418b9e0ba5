"""checklist.md: each checklist item of the programme, found (✓) or missing (✗),
the documents that satisfy it, then the gaps inferred from the records."""

from __future__ import annotations

from casebridge.engine.case import Case, Gap
from casebridge.engine.gaps import ChecklistResult, evaluate_checklist

_PROGRAMME_TITLES = {
    "oncology": "Oncology",
    "rare-disease": "Rare disease",
    "fertility": "Fertility",
    "eye": "Eye",
    "rehabilitation": "Rehabilitation",
}


def _found_in(result: ChecklistResult) -> str:
    names: list[str] = [d.file_name for d in result.documents]
    for fact in result.facts:
        if fact.source is not None:
            ref = fact.source.ref()
            if fact.source.file_name not in names and ref not in names:
                names.append(ref)
        elif "stated by a person" not in names:
            names.append("stated by a person")
    if result.from_intake:
        names.append("your intake answers")
    return ", ".join(f"`{n}`" if n != "your intake answers" else n for n in names)


def _gap_lines(gap: Gap) -> list[str]:
    lines = [f"  - Why it matters: {gap.why}"] if gap.why else []
    if gap.holder:
        lines.append(f"  - Usually held by: {gap.holder}")
    for src in gap.evidence[:3]:
        snippet = src.snippet.replace("`", "'")
        lines.append(f"  - Seen in: `{src.ref()}` — “{snippet}”")
    if gap.request_letter:
        lines.append(f"  - Draft request letter: [{gap.request_letter}]({gap.request_letter})")
    return lines


def _covered_by(result: ChecklistResult, gaps: list[Gap]) -> str:
    wanted = [str(g) for g in result.item.get("skip_if_gap") or []]
    for gap in gaps:
        if gap.id in wanted or gap.id.split(":")[0] in wanted:
            return f"Asked for with: {gap.title} ([{gap.request_letter}]({gap.request_letter}))"
    return "Asked for one by one under “Gaps the records themselves show” below."


def render_checklist(case: Case) -> str:
    """The records checklist of the case, as Markdown."""
    programme = _PROGRAMME_TITLES.get(case.programme, case.programme)
    gaps = {g.id: g for g in case.gaps}
    results = evaluate_checklist(case)
    out = [f"# Records checklist — {programme}", ""]
    if case.case_id:
        out += [f"Case {case.case_id}.", ""]
    if case.paused:
        out += [
            "> **Paused for safety.** Something in the records or your answers may need "
            "urgent local care. Seek local care now: call 999 in an emergency or NHS 111.",
            "",
        ]
    found = sum(1 for r in results if r.satisfied)
    out += [f"{found} of {len(results)} checklist items found in the records.", ""]
    out += ["## Checklist", ""]
    if not results:
        out += ["No checklist is defined for this programme.", ""]
    for result in results:
        title = str(result.item.get("title", result.id))
        severity = str(result.item.get("severity", "important"))
        if result.satisfied and result.note:
            # satisfied for now without the record itself (e.g. no treatment given yet)
            out.append(f"- – **{title}** ({severity}) — not needed yet: {result.note}")
            continue
        if result.satisfied:
            out.append(f"- ✓ **{title}** ({severity}) — found in: {_found_in(result)}")
            continue
        out.append(f"- ✗ **{title}** ({severity}) — not found in the records")
        gap = gaps.get(result.id)
        if gap is not None:
            out += _gap_lines(gap)
        else:
            if result.note:
                out.append(f"  - {result.note}")
            out.append(f"  - {_covered_by(result, case.gaps)}")
    inferred = [g for g in case.gaps if g.inferred]
    out += ["", "## Gaps the records themselves show", ""]
    if not inferred:
        out.append("None found.")
    for gap in inferred:
        out.append(f"- ✗ **{gap.title}** ({gap.severity})")
        out += _gap_lines(gap)
    if case.attention:
        out += ["", "## Documents that need attention", ""]
        for doc in case.attention:
            reasons = "; ".join(doc.problems) or "could not be read"
            out.append(f"- `{doc.file_name}`: {reasons}")
    out.append("")
    return "\n".join(out)
