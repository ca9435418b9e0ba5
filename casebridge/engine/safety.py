"""Case stage 'safety': red flags that need local urgent care, which pause the case.

Read from the records (letters; radiology too for cord compression and SVCO) and
from the patient's intake answers, with the patterns of knowledge/red_flags.yaml
(NICE NG234 / CG151 spinal cord compression, NICE CG151 neutropenic sepsis,
UKONS triage). A phrase in a record counts only when it is asserted (not "no
fever", "MSCC excluded", "history of", "resolved"), its sentence gives no old
date, and its document is recent (or undated: safety first).

Intake keys (case.intake), all optional:
    red_flags: list of flag ids the patient ticked, e.g. ["mscc"]
    symptoms: free text (or a list of texts) of current symptoms
    temperature: latest temperature in degrees C (number or text)
    on_chemotherapy: true while having chemotherapy or immunotherapy
    safety_cleared: list of flag categories a person has checked; those flags
        are still listed but no longer pause the case
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Case, Document, SafetyFlag, Source
from casebridge.engine.gaps import compile_patterns, sentence_bounds
from casebridge.engine.kb import load
from casebridge.engine.registry import component
from casebridge.engine.timeline import find_dates, latest_date, parse_date, today_of, warn

SYSTEMIC_KINDS = ("regimen", "drug", "immunotherapy", "targeted_therapy", "cellular_therapy")
_NOT_BEFORE = re.compile(r"(?:\bnot|\bnever|\bun)\s*$", re.IGNORECASE)
_NUMBER = r"[^\d\n]{0,25}?(?<![\d.])(\d{1,2}(?:\.\d{1,2})?)(?![\d.]*\d)"


def config() -> dict[str, Any]:
    data: dict[str, Any] = load("red_flags")
    return data


@lru_cache(maxsize=64)
def _numeric_pattern(label: str) -> re.Pattern[str]:
    return re.compile(r"(?i:(?<!\w)(?:" + label + r"))" + _NUMBER)


class _Reader:
    """Finds the stated, recent red-flag phrases in one text."""

    def __init__(self, case: Case) -> None:
        cfg = config()
        self.case = case
        self.window = int(cfg.get("window", 160))
        self.recent_days = int(cfg.get("recent_days", 14))
        self.limit = today_of(case) - _dt.timedelta(days=self.recent_days)
        self.resolved = compile_patterns(cfg.get("resolved"))
        self.conditional = compile_patterns(cfg.get("conditional"))
        self.chemo = compile_patterns(cfg.get("chemotherapy_terms"))
        self.on_treatment = _on_systemic_treatment(case)

    def stated(self, text: str, start: int, end: int) -> bool:
        from casebridge.engine.extract.context import context_of

        if context_of(text, start, end) != "asserted":
            return False
        lo, hi = sentence_bounds(text, start, end)
        if self.conditional is not None and self.conditional.search(text, lo, start):
            return False  # safety-netting advice: "call us if you get chest pain"
        if self.resolved is not None:
            for m in self.resolved.finditer(text, end, hi):
                if not _NOT_BEFORE.search(text[max(lo, m.start() - 8) : m.start()]):
                    return False
        for _s, _e, iso, _precision in find_dates(text[lo:hi]):
            last = latest_date(iso)
            if last is not None and last < self.limit:
                return False  # the sentence dates it in the past
        return True

    def _stated_matches(self, pattern: re.Pattern[str] | None, text: str) -> list[re.Match[str]]:
        if pattern is None:
            return []
        return [m for m in pattern.finditer(text) if self.stated(text, m.start(), m.end())]

    def hits(self, flag: dict[str, Any], text: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = [
            m.span() for m in self._stated_matches(compile_patterns(flag.get("any")), text)
        ]
        groups = [compile_patterns(g) for g in flag.get("all_of") or []]
        if groups and all(g is not None for g in groups):
            first, *rest = [self._stated_matches(g, text) for g in groups]
            for m in first:
                span = [m.start(), m.end()]
                for others in rest:
                    near = [
                        o
                        for o in others
                        if abs(o.start() - m.start()) <= self.window
                        or abs(o.end() - m.end()) <= self.window
                    ]
                    if not near:
                        break
                    span = [min(span[0], near[0].start()), max(span[1], near[0].end())]
                else:
                    found.append((span[0], span[1]))
        for rule in flag.get("numeric") or []:
            found.extend(self._numeric(rule, text))
        return sorted(set(found))

    def _numeric(self, rule: dict[str, Any], text: str) -> list[tuple[int, int]]:
        pattern = _numeric_pattern(str(rule.get("label", "")))
        low = float(rule.get("min", 0))
        high = float(rule.get("max", 1e9))
        found = []
        for m in pattern.finditer(text):
            value = float(m.group(1))
            if not low <= value <= high or not self.stated(text, m.start(), m.end()):
                continue
            if rule.get("requires_any") == "chemotherapy" and not (
                self.on_treatment or self._stated_matches(self.chemo, text)
            ):
                continue
            found.append(m.span())
        return found


def _on_systemic_treatment(case: Case) -> bool:
    if _truthy(_intake(case).get("on_chemotherapy")):
        return True
    return any(f.kind in SYSTEMIC_KINDS and f.context == "asserted" for f in case.facts)


def _intake(case: Case) -> dict[str, Any]:
    return case.intake if isinstance(case.intake, dict) else {}


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "y", "1")
    return bool(value)


def _advice(flag: dict[str, Any]) -> str:
    general = " ".join(str(config().get("advice", "")).split())
    specific = " ".join(str(flag.get("advice", "")).split())
    return f"{general} {specific}".strip()


def _make(flag: dict[str, Any], evidence: Source | None, from_intake: bool) -> SafetyFlag:
    return SafetyFlag(
        category=str(flag.get("category") or flag["id"]),
        label=str(flag.get("label", flag["id"])),
        advice=_advice(flag),
        evidence=evidence,
        from_intake=from_intake,
    )


def _recent_enough(doc: Document, reader: _Reader) -> bool:
    parsed = parse_date(doc.document_date)
    if parsed is None:
        return True  # undated: cannot show it is old, so it is read
    last = latest_date(parsed[0])
    return last is None or last >= reader.limit


def flags_from_records(case: Case, reader: _Reader) -> list[SafetyFlag]:
    from casebridge.engine.extract.spans import source_for

    cfg = config()
    default_types = list(cfg.get("letter_types") or [])
    out: list[SafetyFlag] = []
    for doc in case.documents:
        if doc.duplicate_of is not None or not _recent_enough(doc, reader):
            continue
        for flag in cfg.get("flags") or []:
            if doc.doc_type not in (flag.get("doc_types") or default_types):
                continue
            for page in doc.pages:
                spans = reader.hits(flag, page.text)
                if spans:
                    start, end = spans[0]
                    out.append(_make(flag, source_for(doc, page, start, end), False))
                    break  # one flag per category per document is enough
    return out


def flags_from_intake(case: Case, reader: _Reader) -> list[SafetyFlag]:
    intake = _intake(case)
    flags = {str(f["id"]): f for f in config().get("flags") or []}
    out: list[SafetyFlag] = []
    ticked = intake.get("red_flags") or []
    if isinstance(ticked, str):
        ticked = [ticked]
    for fid in ticked:
        flag = flags.get(str(fid).strip())
        if flag is not None:
            out.append(_make(flag, None, True))
        else:
            warn(case, f"Intake red flag {fid!r} is not a known flag id; a person should read it.")
    symptoms = intake.get("symptoms") or ""
    if isinstance(symptoms, list):
        symptoms = ". ".join(str(s) for s in symptoms)
    text = str(symptoms)
    if text.strip():
        for flag in flags.values():
            if reader.hits(flag, text):
                out.append(_make(flag, None, True))
    temperature = _number(intake.get("temperature"))
    if temperature is not None and temperature >= 38.0 and reader.on_treatment:
        flag = flags.get("neutropenic_sepsis")
        if flag is not None:
            out.append(_make(flag, None, True))
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        m = re.search(r"\d{2}(?:\.\d+)?", value)
        return float(m.group()) if m else None
    return None


def find_flags(case: Case) -> list[SafetyFlag]:
    reader = _Reader(case)
    flags = flags_from_records(case, reader) + flags_from_intake(case, reader)
    unique: list[SafetyFlag] = []
    seen: set[tuple[str, str, bool]] = set()
    for flag in flags:
        key = (
            flag.category,
            flag.evidence.document_id if flag.evidence else "",
            flag.from_intake,
        )
        if key not in seen:
            seen.add(key)
            unique.append(flag)
    return unique


@component(
    "safety",
    level="case",
    reads=("documents", "facts", "intake"),
    writes=("safety_flags", "paused"),
)
def safety(case: Case) -> None:
    case.safety_flags = find_flags(case)
    cleared = _intake(case).get("safety_cleared") or []
    case.paused = any(f.category not in cleared for f in case.safety_flags)
