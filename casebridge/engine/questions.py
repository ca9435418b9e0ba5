"""Case stage 'questions': what to ask, drawn from the case's facts, gaps and conflicts.

Three lists, by audience: reviewing_team (the MDT giving the second opinion),
provider (the second-opinion service) and uk_team (the patient's own UK team).
Templates and their conditions live in knowledge/questions.yaml; each Question's
`because` lists the fact ids and gap ids it was drawn from. Questions ask; they
never diagnose or promise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from casebridge.engine.case import Case, Fact, Gap, Question
from casebridge.engine.gaps import (
    cancer_types,
    compile_patterns,
    gap_rules,
    is_result,
    request_for,
)
from casebridge.engine.kb import fact_kinds, load
from casebridge.engine.registry import component
from casebridge.engine.timeline import warn

AUDIENCES: tuple[str, ...] = ("reviewing_team", "provider", "uk_team")

_ATOM = re.compile(
    r"^(?P<neg>not\s+)?(?:"
    r"(?P<always>always)"
    r"|gap\s+(?P<gap>[\w:-]+)"
    r"|conflict\s+(?P<conflict>\w+)"
    r"|(?P<kind>\w+)\s+(?P<op>==|!=|in|present|missing|pending)\s*(?P<arg>.*)"
    r")$",
    re.IGNORECASE,
)


@dataclass
class _Eval:
    """The result of a condition and what it was drawn from."""

    ok: bool
    facts: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _values(arg: str) -> list[str]:
    arg = arg.strip()
    if arg.startswith("[") and arg.endswith("]"):
        arg = arg[1:-1]
    return [v.strip().strip("'\"").lower() for v in arg.split(",") if v.strip()]


def _pending(fact: Fact) -> bool:
    pattern = compile_patterns(gap_rules().get("not_a_result") or [])
    return bool(pattern and pattern.search(fact.value))


def _atom(case: Case, clause: str) -> _Eval:
    m = _ATOM.match(clause.strip())
    if m is None:
        warn(case, f"Question condition {clause!r} is not understood; skipped.")
        return _Eval(False)
    result = _atom_value(case, m)
    if m.group("neg"):
        return _Eval(not result.ok)
    return result


def _atom_value(case: Case, m: re.Match[str]) -> _Eval:
    if m.group("always"):
        return _Eval(True)
    if m.group("gap"):
        wanted = m.group("gap")
        if wanted == "any":
            return _Eval(bool(case.gaps), gaps=[g.id for g in case.gaps])
        hits = [g.id for g in case.gaps if g.id == wanted or g.id.split(":")[0] == wanted]
        return _Eval(bool(hits), gaps=hits)
    if m.group("conflict"):
        wanted = m.group("conflict")
        clashes = [c for c in case.conflicts if wanted == "any" or c.kind == wanted]
        return _Eval(bool(clashes), facts=[i for c in clashes for i in c.fact_ids])
    kind, op, arg = m.group("kind"), m.group("op").lower(), m.group("arg") or ""
    if kind == "programme":
        return _Eval(case.programme.lower() in _values(arg) if op in ("==", "in") else False)
    if kind == "cancer":
        codes = {c.lower() for c in cancer_types(case)}
        ok = bool(codes & set(_values(arg)))
        return _Eval(ok if op in ("==", "in") else not ok)
    asserted = case.facts_of(kind)
    if op in ("==", "in"):
        same = [f for f in asserted if f.value.strip().lower() in _values(arg)]
        return _Eval(bool(same), facts=[f.id for f in same])
    if op == "!=":
        values = _values(arg)
        ok = bool(asserted) and not any(f.value.strip().lower() in values for f in asserted)
        return _Eval(ok, facts=[f.id for f in asserted] if ok else [])
    results = [f for f in case.facts if f.kind == kind and is_result(f)]
    if op == "present":
        return _Eval(bool(results), facts=[f.id for f in results])
    pending = [f for f in case.facts if f.kind == kind and _pending(f)]
    if op == "pending":
        return _Eval(bool(pending), facts=[f.id for f in pending])
    # missing
    label = str(fact_kinds().get(kind, {}).get("label", kind))
    return _Eval(not results, facts=[f.id for f in pending], missing=[label] if not results else [])


def evaluate(case: Case, condition: str) -> _Eval:
    """Evaluate a knowledge-file condition ("or" of "and"s) against the case."""
    total = _Eval(False)
    for branch in re.split(r"\s+or\s+", condition.strip()):
        parts = [_atom(case, c) for c in re.split(r"\s+and\s+", branch) if c.strip()]
        if parts and all(p.ok for p in parts):
            total.ok = True
            for p in parts:
                total.facts += [i for i in p.facts if i not in total.facts]
                total.gaps += [i for i in p.gaps if i not in total.gaps]
                total.missing += [i for i in p.missing if i not in total.missing]
    return total


def _fill(text: str, case: Case, found: _Eval, extra: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in extra:
            return extra[key]
        if key == "missing":
            return ", ".join(found.missing) or "(none)"
        fact = case.first(key)
        return (fact.display or fact.value) if fact else "not stated"

    return re.sub(r"\{([\w.]+)\}", repl, text)


def _cited(case: Case, template: dict[str, Any]) -> list[str]:
    raised = []
    for wanted in template.get("cite_gaps") or []:
        raised += [g.id for g in case.gaps if g.id == wanted or g.id.split(":")[0] == wanted]
    return raised


def _for_each_gap(case: Case, template: dict[str, Any]) -> list[Gap]:
    prefix = template.get("gap_prefix")
    severity = template.get("severity")
    exclude = {str(x) for x in template.get("gap_exclude") or []}
    return [
        g
        for g in case.gaps
        if (not prefix or g.id.split(":")[0] == prefix)
        and (not severity or g.severity in severity)
        and g.id.split(":")[0] not in exclude
    ]


def build_questions(case: Case) -> list[Question]:
    data = load("questions") or {}
    labels = fact_kinds()
    questions: list[Question] = []
    seen: set[tuple[str, str]] = set()

    def add(audience: str, text: str, because: list[str]) -> None:
        key = (audience, text)
        if audience in AUDIENCES and key not in seen:
            seen.add(key)
            questions.append(Question(audience=audience, text=text, because=list(because)))

    for template in data.get("templates") or []:
        audience = str(template.get("audience", ""))
        text = str(template.get("text", ""))
        condition = str(template.get("when") or "always")
        found = evaluate(case, condition)
        if not found.ok:
            continue
        each = template.get("for_each")
        if each == "gap":
            for gap in _for_each_gap(case, template):
                extra = {
                    "gap.title": gap.title,
                    "gap.holder": gap.holder,
                    "gap.id": gap.id,
                    "gap.request": request_for(gap.id, case.programme) or gap.title,
                }
                add(audience, _fill(text, case, found, extra), [*found.facts, gap.id])
        elif each == "conflict":
            for conflict in case.conflicts:
                extra = {
                    "conflict.label": str(
                        labels.get(conflict.kind, {}).get("label", conflict.kind)
                    ),
                    "conflict.values": " / ".join(conflict.values),
                }
                add(audience, _fill(text, case, found, extra), list(conflict.fact_ids))
        else:
            because = [*found.facts, *found.gaps]
            because += [g for g in _cited(case, template) if g not in because]
            add(audience, _fill(text, case, found, {}), because)
    return questions


def questions_for(case: Case, audience: str) -> list[Question]:
    return [q for q in case.questions if q.audience == audience]


@component(
    "questions",
    level="case",
    reads=("facts", "gaps", "conflicts", "programme"),
    writes=("questions",),
)
def questions(case: Case) -> None:
    case.questions = build_questions(case)
