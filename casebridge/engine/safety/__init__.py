"""Case stage 'safety': the emergency screen.

What in a record, the intake answers, an enquiry or a patient's message means the person
needs local care now rather than a second opinion, with the rules of
knowledge/red_flags.yaml (UKONS 24-hour triage tool, NICE NG234 / NG151 / NG51 / NG158 /
NG128 / NG225, ESMO, EBMT). Two levels, as UKONS grades them: a **red** flag pauses the
case ("seek local care now: 999 / NHS 111"); an **amber** flag advises calling the acute
oncology helpline today and lists the case for a coordinator without pausing it. Every
flag says which rule fired on which words, and where (document and page, or intake field).

Records read: letters of `letter_types` dated within `recent_days` (or undated: safety
first), radiology too for the flags that say so. Intake keys (case.intake), all optional:
    red_flags: list of flag ids the patient ticked, e.g. ["mscc"]
    symptoms, diagnosis_own_words, current_status, goals, questions: free text, all screened
    temperature: latest temperature in degrees C (number or text)
    on_chemotherapy: true while having systemic anticancer therapy
    safety_cleared: flag categories a person has checked; those flags stay listed but no
        longer pause the case
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import replace
from typing import Any

from casebridge.engine.case import Case, Document, SafetyFlag, Source
from casebridge.engine.extract.context import term_key
from casebridge.engine.registry import component
from casebridge.engine.safety.reader import Hit, Reader, _near_start
from casebridge.engine.safety.rules import Context, Flag, Rule, Rules, rules
from casebridge.engine.terminology import Term, Terminology, normalise, simplified, table
from casebridge.engine.timeline import latest_date, parse_date, today_of, warn

__all__ = ["find_flags", "rules", "screen_text", "INTAKE_TEXT_FIELDS"]

# The intake answers written in the patient's own words: a patient often writes the
# emergency in the diagnosis or question box rather than under symptoms.
INTAKE_TEXT_FIELDS = ("symptoms", "diagnosis_own_words", "current_status", "goals", "questions")
LEVELS = {"red": 2, "amber": 1}
# Words before a short regimen name that make it a treatment ("after EC", "cycle 2 of AC").
_TREATED_WITH = re.compile(
    r"(?:after|on|post|having|had|started|starting|with|of|cycle \d+ of|C\d+ of|第\d+周期)\s*$",
    re.IGNORECASE,
)
# ... or the word after it: "EC方案后第2天", "AC regimen", "FOLFOX chemo".
_TREATMENT_AFTER = re.compile(
    r"\s*(?:方案|化疗|疗程|周期|regimen|chemo\w*|cycle|protocol)", re.IGNORECASE
)

# A Chinese negation straight before a treatment, with its verb: the person is not on it.
_ZH_NOT_TREATED = re.compile(
    r"(?:没有|没|未|无|并未|从未|从来没有?)(?:在|曾)?(?:做|行|用|打|接受|开始)?(?:过)?$"
)


class _Screen:
    """The screen for one case: its rules, its date and what is known of it."""

    def __init__(self, case: Case) -> None:
        self.cfg: Rules = rules()
        self.case = case
        self.reader = Reader(self.cfg, today_of(case))
        self._case_context: dict[str, bool] = {}

    # ------------------------------------------------------------ contexts
    def known(self, ctx: Context) -> bool:
        """Is the context true of the case whatever the text says?"""
        if ctx.id not in self._case_context:
            intake = _intake(self.case)
            value = bool(ctx.intake) and _truthy(intake.get(ctx.intake))
            value = value or self.case.programme in ctx.programmes
            value = value or any(
                f.kind in ctx.case_kinds and f.context == "asserted" for f in self.case.facts
            )
            self._case_context[ctx.id] = value
        return self._case_context[ctx.id]

    def holds(self, name: str, text: str) -> bool:
        ctx = self.cfg.contexts.get(name)
        if ctx is None:
            raise ValueError(f"red_flags.yaml: unknown context {name!r}")
        if self.known(ctx):
            return True
        if ctx.terms is not None:
            for m in ctx.terms.finditer(text):
                if self._mentioned(text, m.start(), m.end()):
                    return True
        if ctx.drugs:
            from casebridge.engine.extract.lexicon import treatment_mentions

            for mention in treatment_mentions(text):
                for term in mention.terms:
                    if term.cat != "treatment" or term_key(term.value) not in ctx.drugs:
                        continue
                    if (
                        term.ambiguous
                        and not _TREATED_WITH.search(text[: mention.start])
                        and not _TREATMENT_AFTER.match(text, mention.end)
                    ):
                        continue  # "EC" alone may be another abbreviation; "after EC" is not
                    if self._mentioned(text, mention.start, mention.end):
                        return True
        return False

    def _mentioned(self, text: str, start: int, end: int) -> bool:
        """A context term counts unless negated or about family ("no chemotherapy"); a
        negation counts as the reader counts it for a phrase, in the term's own clause or
        list, not from an earlier part of an unpunctuated message ("no blood no pain just
        thought you should know as I had my immunotherapy")."""
        from casebridge.engine.extract.context import context_of

        if _ZH_NOT_TREATED.search(text, max(0, start - 6), start):
            return False  # "没有化疗", "未行化疗", "从未接受免疫治疗"
        context = context_of(text, start, end)
        if context == "negated":
            s_lo, _ = self.reader.sentence(text, start, end)
            c_lo, _ = self.reader.clause(text, start, end)
            near = _near_start(text, max(s_lo, c_lo), start)
            if context_of(text[near:], start - near, end - near) != "negated":
                return True
        return context not in ("negated", "family")

    # ------------------------------------------------------------ rules
    def rule_hits(self, rule: Rule, text: str, through: frozenset[str] = frozenset()) -> list[Hit]:
        hits = self.reader.phrases(rule.any, text, through)
        hits += self.reader.together(rule.all_of, text, through)
        for spec in rule.numeric:
            hits += self.reader.values(spec, text)
        for count in rule.counts:
            hits += self.reader.counts(count, text)
        if rule.score is not None:
            hits += self.reader.score(rule.score, text)
        if hits and rule.requires and not self.holds(rule.requires, text):
            return []
        return sorted(hits, key=lambda h: h.start)

    def text_flags(self, text: str, doc_type: str | None = None) -> list[tuple[Flag, Rule, Hit]]:
        """(flag, rule, first hit) for every flag the text raises; `doc_type` None for
        the person's own words (intake, enquiry, message), which every flag reads."""
        # Traditional characters read as simplified (發燒 as 发烧): the rules and the
        # terminology are written once, in simplified; the places of the hits stay the same
        text = simplified(text)
        out = []
        for flag in self.cfg.flags:
            if doc_type is not None and doc_type not in flag.doc_types:
                continue
            partly: tuple[Rule, Hit] | None = None
            for rule in flag.rules:
                if rule.doc_types and (doc_type is None or doc_type not in rule.doc_types):
                    continue
                hits = self.rule_hits(rule, text, flag.through)
                whole = [h for h in hits if not h.partial]
                if whole or (hits and flag.level != "red"):
                    out.append((flag, rule, (whole or hits)[0]))
                    partly = None
                    break
                if hits and partly is None:
                    partly = (rule, hits[0])
            if partly is not None and flag.partly != "none":
                # a red rule only partly met (one sign stated, another denied), and no
                # other rule of the flag met: amber, with the general amber advice
                out.append((replace(flag, level="amber", advice=""), *partly))
        # an amber finding on the words of a red one says nothing more ("new back pain"
        # within suspected cord compression)
        reds = [h for f, _r, h in out if f.level == "red"]
        return [
            (f, r, h)
            for f, r, h in out
            if f.level == "red" or not any(h.start < o.end and o.start < h.end for o in reds)
        ]

    def make(
        self, flag: Flag, rule: Rule, phrase: str, evidence: Source | None, field: str = ""
    ) -> SafetyFlag:
        general = self.cfg.advice.get(flag.level, "")
        return SafetyFlag(
            category=flag.category,
            label=flag.label,
            advice=f"{general} {flag.advice}".strip(),
            evidence=evidence,
            from_intake=evidence is None,
            level=flag.level,
            rule=f"{flag.id}.{rule.id}",
            phrase=" ".join(phrase.split()),
            field=field,
            guideline=flag.source,
        )

    # ------------------------------------------------------------ sources
    def recent(self, doc: Document) -> bool:
        parsed = parse_date(doc.document_date)
        if parsed is None:
            return True  # undated: cannot show it is old, so it is read
        last = latest_date(parsed[0])
        return last is None or last >= self.reader.limit

    def from_records(self) -> list[SafetyFlag]:
        from casebridge.engine.extract.spans import source_for

        out: list[SafetyFlag] = []
        for doc in self.case.documents:
            if doc.duplicate_of is not None or not self.recent(doc):
                continue
            done: set[str] = set()
            for page in doc.pages:
                for flag, rule, hit in self.text_flags(page.text, doc.doc_type or "other"):
                    if flag.id in done:
                        continue  # one flag of a kind per document is enough
                    done.add(flag.id)
                    phrase = page.text[hit.start : hit.end]
                    out.append(
                        self.make(flag, rule, phrase, source_for(doc, page, hit.start, hit.end))
                    )
        return out

    def from_intake(self) -> list[SafetyFlag]:
        intake = _intake(self.case)
        out: list[SafetyFlag] = []
        ticked = intake.get("red_flags") or []
        if isinstance(ticked, str):
            ticked = [ticked]
        for fid in ticked:
            flag = self.cfg.flag(str(fid).strip())
            if flag is not None:
                out.append(self.make(flag, Rule(id="ticked"), "", None, "red_flags"))
            else:
                warn(
                    self.case,
                    f"Intake red flag {fid!r} is not a known flag id; a person should read it.",
                )
        for name in INTAKE_TEXT_FIELDS:
            text = _as_text(intake.get(name))
            if text.strip():
                for flag, rule, hit in self.text_flags(text):
                    out.append(self.make(flag, rule, text[hit.start : hit.end], None, name))
        temperature = _number(intake.get("temperature"))
        sact = self.cfg.contexts.get("sact")
        if (
            temperature is not None
            and (temperature >= 37.5 or 30.0 <= temperature < 36.0)  # UKONS, on SACT
            and sact is not None
            and self.known(sact)
        ):
            flag = self.cfg.flag("neutropenic_sepsis")
            if flag is not None:
                out.append(
                    self.make(
                        flag,
                        Rule(id="intake_temperature"),
                        f"{temperature:g} C",
                        None,
                        "temperature",
                    )
                )
        return out


def _intake(case: Case) -> dict[str, Any]:
    return case.intake if isinstance(case.intake, dict) else {}


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "y", "1")
    return bool(value)


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ". ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        m = re.search(r"\d{2}(?:\.\d+)?", value)
        return float(m.group()) if m else None
    return None


def _dedupe(flags: list[SafetyFlag]) -> list[SafetyFlag]:
    """One flag per category and source; red wins over amber of the same category."""
    best: dict[tuple[str, str, str], SafetyFlag] = {}
    for flag in flags:
        key = (flag.category, flag.evidence.document_id if flag.evidence else "", flag.field)
        held = best.get(key)
        if held is None or LEVELS.get(flag.level, 0) > LEVELS.get(held.level, 0):
            best[key] = flag
    return [
        f
        for f in flags
        if best.get((f.category, f.evidence.document_id if f.evidence else "", f.field)) is f
    ]


def find_flags(case: Case) -> list[SafetyFlag]:
    screen = _Screen(case)
    return _dedupe(screen.from_records() + screen.from_intake())


def screen_text(
    text: str,
    *,
    case: Case | None = None,
    on_treatment: bool = False,
    programme: str = "oncology",
    today: _dt.date | None = None,
    field: str = "message",
) -> list[SafetyFlag]:
    """The screen on a person's own words outside the records: an enquiry's answers, a
    message. `case` (when there is one) tells the screen what is known of the person:
    their treatment and diagnosis facts, intake answers and programme, as it knows them
    when it screens the records. Red flags first."""
    base = case or Case(programme=programme)
    intake: dict[str, Any] = dict(_intake(base))
    intake.pop("today", None)  # the words are written now, not on the records' date
    if on_treatment:
        intake["on_chemotherapy"] = True
    if today is not None:
        intake["today"] = today.isoformat()
    context = Case(programme=base.programme, facts=list(base.facts), intake=intake)
    screen = _Screen(context)
    flags = [
        screen.make(f, r, text[h.start : h.end], None, field) for f, r, h in screen.text_flags(text)
    ]
    return sorted(_dedupe(flags), key=lambda f: -LEVELS.get(f.level, 0))


def context_holds(name: str, text: str, case: Case | None = None) -> bool:
    """Does `text` (or what the case knows) put the person in a context of
    red_flags.yaml, e.g. `sact` ("second cycle of carboplatin")? Lets the answers of
    one form give the context for another answer's words."""
    return _Screen(case or Case()).holds(name, text)


def flag_term(
    table_name: str, flag_id: str, category: str, english: str, terms: Terminology | None = None
) -> Term | None:
    """The terminology entry of a flag in `table_name` (`safety` for its label,
    `safety_advice` for its advice), keyed by its flag id, else its category, while its
    English still reads the same: a label edited in red_flags.yaml but not yet in the
    Chinese table is shown in English rather than as a stale translation."""
    terms = terms or table()
    for key in dict.fromkeys([flag_id, category]):
        term = terms.by_key(f"{table_name}.{key}") if key else None
        if term is not None and normalise(term.en) == normalise(english):
            return term
    return None


def pauses(case: Case) -> bool:
    """A red flag a person has not cleared pauses the case."""
    cleared = _intake(case).get("safety_cleared") or []
    return any(f.level == "red" and f.category not in cleared for f in case.safety_flags)


@component(
    "safety",
    level="case",
    reads=("documents", "facts", "intake"),
    writes=("safety_flags", "paused"),
)
def safety(case: Case) -> None:
    case.safety_flags = find_flags(case)
    case.paused = pauses(case)
