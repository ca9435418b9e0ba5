"""The summary's opening block: what a reviewing MDT needs first.

In order: the clinical question (what the UK letters ask of a second opinion, the questions
the patient writes in the intake or in their own notes, and their goals), the current status
(disease status, stage at relapse, performance status: the newest of each, dated), the
current treatment with its line, the plan (planned treatments, never shown as given) and the
options a letter discusses conditionally.

The line of treatment ("second-line") is shown only when a record says it of that treatment
in its own sentence, or when it follows from the dated history: every systemic anticancer
course of the clinical records has a start date, the current one is the n-th, and no course
is called adjuvant, neoadjuvant, maintenance or consolidation. Otherwise nothing is said.
The patient's own words are quoted as they wrote them (marked "the patient writes"), never
the source of a clinical fact; in Chinese they stay English, marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from casebridge.engine import kb
from casebridge.engine.case import BIOMARKER_KINDS, Fact, Source
from casebridge.engine.currency import current_on_latest, fact_date, stated_on
from casebridge.engine.render.history_rows import metastatic_status
from casebridge.engine.terminology import Span, latin_script, match_template, normalise

if TYPE_CHECKING:
    from casebridge.engine.render.summary import Line, Part, _Builder

SYSTEMIC = ("regimen", "drug", "targeted_therapy", "immunotherapy", "hormone_therapy",
            "cellular_therapy")  # fmt: skip
PLAN_KINDS = (*SYSTEMIC, "surgery", "radiotherapy", "transplant")
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
            "fourth": 4, "4th": 4, "fifth": 5, "5th": 5}  # fmt: skip
_LINE_WORD = re.compile(r"(?i)\b(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)[- ]line\b")
# a course in one of these settings is not a numbered line: the history cannot number it
_NOT_A_LINE = re.compile(r"(?i)\b(?:neo-?adjuvant|adjuvant|maintenance|consolidation)\b")
_LINE_REACH = 80  # characters before a treatment searched for "second-line" in its sentence
_NUMBERED = re.compile(r"(?m)^[ \t]*(\d{1,2})[.)][ \t]+")
_UNIT_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*[A-Z0-9•\-*])")
_ASK = re.compile(
    r"(?i)\b(?:an?\s+)?(?:(?P<indep>independent)\s+)?second[- ]opinion"
    r"(?:\s+(?P<abroad>abroad|overseas))?(?:\s+on\s+(?P<what>[^.;,\n]{3,80}?))?"
    r"(?=\s+(?:and|as|because|but|so)\b|[.;,\n]|$)"
)
_POSSESSIVE = re.compile(r"(?i)^(?:her|his|their|the|my|our)\s+")
MAX_QUESTIONS = 10  # the patient's questions quoted; more are counted


@dataclass
class Question:
    text: str
    source: Source


def essentials(b: _Builder) -> list[Line]:
    """The opening block's lines."""
    from casebridge.engine.render.summary import Line, Part

    lines: list[Line] = []
    ask = _letter_asks(b)
    if ask is not None:
        lines.append(ask)
    lines += _patient_lines(b)
    status = _current_status(b)
    lines.append(
        status
        if status is not None
        else Line(
            [Span(b.word("heading.current_disease_status"))], [Part(b.not_stated())], "not_stated"
        )  # fmt: skip
    )
    lines.append(_current_treatment(b))
    plan = _plan(b)
    if plan is not None:
        lines.append(plan)
    options = _options(b)
    if options is not None:
        lines.append(options)
    return lines


# -- the clinical question ---------------------------------------------------------------
def _clinical_docs(b: _Builder) -> list[Any]:
    return [
        d
        for d in b.case.documents
        if d.duplicate_of is None
        and d.metadata.get("author") != "patient"
        and d.status != "needs_attention"
    ]


def _letter_asks(b: _Builder) -> Line | None:
    """What the UK letters ask of a second opinion: each "second opinion (on …)" they
    write, the words as written in English; in Chinese through the table."""
    from casebridge.engine.render.summary import Line, Part

    parts: list[Part] = []
    seen: set[str] = set()
    for doc in _clinical_docs(b):
        for page in doc.pages:
            for m in _ASK.finditer(page.text):
                words = " ".join(m.group(0).split())
                key = normalise(words)
                if key in seen:
                    continue
                seen.add(key)
                source = Source(doc.id, doc.file_name, page.number, m.start(), m.end(), words)
                spans = _ask_spans(b, m) if b.zh else [Span(words)]
                date = doc.document_date or ""
                if date:
                    spans = [*spans, Span(f" ({date})")]
                parts.append(Part(spans, b.ref(source), sep="; " if parts else ""))
    if not parts:
        return None
    return Line([Span(b.word("heading.asked_of_opinion"))], parts)


def _ask_spans(b: _Builder, m: re.Match[str]) -> list[Span]:
    head = b.word("heading.second_opinion_independent" if m.group("indep") else
                  "heading.second_opinion")  # fmt: skip
    if m.group("abroad"):
        head = b.word("heading.second_opinion_abroad", what=head)
    what = m.group("what")
    if not what:
        return [Span(head)]
    subject = _POSSESSIVE.sub("", " ".join(what.split()))
    translated = b.text(subject, "gap_term", "procedure", "fact_kind")
    if any(s.untranslated for s in translated):
        return [Span(f"{head}: "), Span(f"on {what}", untranslated=True)]
    return [Span(b.word("heading.second_opinion_on", what="".join(s.text for s in translated),
                        head=head))]  # fmt: skip


def patient_questions(text: str) -> list[tuple[int, int]]:
    """Where the questions of a patient's note are: each numbered item, or else each
    sentence run, that asks ("?"), from its start to its last question mark."""
    units: list[tuple[int, int]] = []
    starts = [m.start() for m in _NUMBERED.finditer(text)]
    if len(starts) >= 2:
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(text)
            blank = re.search(r"\n[ \t]*\n", text[start:end])
            units.append((start, start + blank.start() if blank else end))
    else:
        pos = 0
        for brk in [*_UNIT_BREAK.finditer(text), None]:
            end = brk.start() if brk is not None else len(text)
            units.append((pos, end))
            pos = brk.end() if brk is not None else len(text)
    out: list[tuple[int, int]] = []
    for start, end in units:
        chunk = text[start:end]
        last = chunk.rfind("?")
        if last == -1:
            continue
        lead = len(chunk) - len(chunk.lstrip())
        out.append((start + lead, start + last + 1))
    return out


def _questions(b: _Builder) -> list[Question]:
    found: list[Question] = []
    for doc in b.case.documents:
        if doc.duplicate_of is not None or doc.metadata.get("author") != "patient":
            continue
        for page in doc.pages:
            for start, end in patient_questions(page.text):
                words = " ".join(page.text[start:end].split())
                words = _NUMBERED.sub("", words, count=1)
                found.append(
                    Question(words, Source(doc.id, doc.file_name, page.number, start, end, words))
                )
    return found


def _patient_lines(b: _Builder) -> list[Line]:
    """The patient's questions and goals, as they wrote them (intake answers and their
    own notes)."""
    from casebridge.engine.render.summary import Line, Part

    lines: list[Line] = []
    intake = b.case.intake if isinstance(b.case.intake, dict) else {}
    parts: list[Part] = []
    listed = _texts(intake.get("questions"))
    for text in listed[:MAX_QUESTIONS]:
        parts.append(Part([_own(b, text)], b.intake_ref("questions", text), "; " if parts else ""))
    # a question of the patient's notes that they put on their list is quoted once
    on_list = {_same(t) for t in listed}
    from_notes = [q for q in _questions(b) if _same(q.text) not in on_list]
    for q in from_notes:
        if len(parts) >= MAX_QUESTIONS:
            break
        parts.append(Part([_own(b, q.text)], b.ref(q.source), " · " if parts else ""))
    total = len(listed) + len(from_notes)
    if parts:
        if total > len(parts):
            parts.append(Part([Span(b.word("heading.more_questions", n=total - len(parts)))]))
        lines.append(Line([Span(b.word("heading.patient_asks"))], parts, "note"))
    goals = [
        Part([_own(b, t)], b.intake_ref("goals", t), "; " if i else "")
        for i, t in enumerate(_texts(intake.get("goals")))
    ]
    if goals:
        lines.append(Line([Span(b.word("heading.patient_goals"))], goals, "note"))
    return lines


def _same(text: str) -> str:
    """A question compared without its numbering, spacing and punctuation."""
    return re.sub(r"\W+", "", _NUMBERED.sub("", text, count=1)).casefold()


def _own(b: _Builder, text: str) -> Span:
    """The patient's own words: verbatim; in Chinese marked as English when they are
    written in Latin script (a patient's Chinese question is not English)."""
    return Span(f"“{text}”", untranslated=b.zh and latin_script(text))


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [" ".join(value.split())] if value.strip() else []
    if isinstance(value, list):
        return [" ".join(str(v).split()) for v in value if str(v).strip()]
    return []


# -- current status --------------------------------------------------------------------------
def _clinical(b: _Builder, kind: str) -> list[Fact]:
    return [
        f for f in b.visible(kind, ("asserted",)) if f.attributes.get("reported_by") != "patient"
    ]


def _newest_own_dated(b: _Builder, facts: list[Fact]) -> list[Fact]:
    """The facts of the newest date among those dated by their own sentence; if none has a
    date of its own, the facts of the newest document date."""
    own = [f for f in facts if f.attributes.get("date")]
    pool = own or facts
    dated = [(fact_date(b.case, f) or "", f) for f in pool]
    if not dated:
        return []
    newest = max(d for d, _ in dated)
    return [f for d, f in dated if d == newest]


def _current_status(b: _Builder) -> Line | None:
    """Disease status (the newest response or relapse dated by its own sentence), the stage
    at relapse when a record gives one, and the newest performance status."""
    from casebridge.engine.render.summary import Line, Part

    parts: list[Part] = []
    for kind in ("response", "performance_status"):
        newest = _newest_own_dated(b, _clinical(b, kind))
        groups: dict[str, list[Fact]] = {}
        for f in newest:
            groups.setdefault(normalise(f.value), []).append(f)
        for group in groups.values():
            refs = sorted({n for f in group for n in b.fact_refs(f)})
            spans = [*b.value(group[0]), *b.date_note(group)]
            parts.append(Part(spans, refs, sep="; " if parts else ""))
        if kind == "response":
            relapse = [
                f for f in _clinical(b, "stage_group") if f.attributes.get("prefix") in ("r", "rp")
            ]
            if relapse:
                refs = sorted({n for f in relapse for n in b.fact_refs(f)})
                spans = [*b.value(relapse[0]), *b.date_note(relapse)]
                parts.append(Part(spans, refs, sep="; " if parts else ""))
            for part in metastatic_status(b):
                part.sep = "; " if parts else ""
                parts.append(part)
    if not parts:
        return None
    return Line([Span(b.word("heading.current_disease_status"))], parts)


# -- current treatment and its line ---------------------------------------------------------
def _components(b: _Builder) -> dict[str, set[str]]:
    """Regimen name -> its component drugs (knowledge/drugs.yaml, and as the fact says)."""
    out: dict[str, set[str]] = {}
    for r in kb.load("drugs").get("regimens", []):
        out[normalise(r["name"])] = {normalise(c) for c in r.get("components", [])}
    for f in b.visible("regimen"):
        named = {
            normalise(c) for c in str(f.attributes.get("components", "")).split(",") if c.strip()
        }
        out.setdefault(normalise(f.value), set()).update(named)
    return out


def _systemic_courses(b: _Builder) -> list[list[Fact]]:
    """The systemic anticancer courses given, from the clinical records: a drug that is a
    component of a regimen of the records is part of that regimen, not a course of its own."""
    from casebridge.engine.render.summary import _courses

    components = _components(b)
    regimens = {normalise(f.value) for f in _clinical(b, "regimen")}
    inside = set().union(*(components.get(r, set()) for r in regimens)) if regimens else set()
    courses: list[list[Fact]] = []
    for kind in SYSTEMIC:
        facts = [f for f in _clinical(b, kind) if f.attributes.get("status") != "planned"]
        if kind != "regimen":
            facts = [f for f in facts if normalise(f.value) not in inside]
        courses += _courses(facts)
    return courses


def _start(b: _Builder, course: list[Fact]) -> str:
    dates = [d for f in course if (d := f.attributes.get("start_date") or f.attributes.get("date"))]
    return min(dates) if dates else ""


def _is_current(b: _Builder, course: list[Fact]) -> bool:
    said = [f for f in course if f.attributes.get("status")]
    if not said:
        return False
    newest = max(said, key=lambda f: stated_on(b.case, f) or "")
    return current_on_latest(b.case, newest, b.latest)


def stated_line(b: _Builder, fact: Fact) -> int | None:
    """The line a record states in the treatment's own sentence, before its name
    ("Second-line chemotherapy: carboplatin …", "First-line treatment: R-CHOP")."""
    if fact.source is None:
        return None
    text = b._page_text(fact.source)
    if not text:
        return None
    lo = max(0, fact.source.start - _LINE_REACH)
    before = text[lo : fact.source.start]
    cut = max(before.rfind(". "), before.rfind("\n\n"), before.rfind("?"), before.rfind("•"))
    before = before[cut + 1 :] if cut != -1 else before
    found = list(_LINE_WORD.finditer(before))
    return _ORDINAL[found[-1].group(1).lower()] if found else None


def _line_of(b: _Builder, course: list[Fact], courses: list[list[Fact]]) -> tuple[int, str] | None:
    """(line, "stated" or "history") for a course, or None when neither says."""
    stated = {n for f in course if (n := stated_line(b, f)) is not None}
    if len(stated) == 1:
        return stated.pop(), "stated"
    if stated:
        return None  # records disagree: not said
    starts = [_start(b, c) for c in courses]
    if not all(starts) or any(_in_setting(b, c) for c in courses):
        return None
    mine = _start(b, course)
    earlier = {s for s in starts if s < mine}
    if any(s.startswith(mine) or mine.startswith(s) for s in earlier):
        return None  # dates too coarse to order
    return len(earlier) + 1, "history"


def _in_setting(b: _Builder, course: list[Fact]) -> bool:
    for f in course:
        if f.source is None:
            continue
        text = b._page_text(f.source)
        lo = max(0, f.source.start - _LINE_REACH)
        if _NOT_A_LINE.search(text[lo : f.source.end + 40]):
            return True
    return False


def _current_treatment(b: _Builder) -> Line:
    from casebridge.engine.render.summary import Line, Part

    courses = _systemic_courses(b)
    parts: list[Part] = []
    for course in courses:
        if not _is_current(b, course):
            continue
        part = b.course_part(course, first=not parts)
        line = _line_of(b, course, courses)
        if line is not None:
            n, how = line
            word = b.word(f"heading.line_{min(n, 5)}")
            said = b.word("heading.line_stated" if how == "stated" else "heading.line_history")
            part.spans = [*part.spans, Span(f" — {word} ({said})")]
        parts.append(part)
    label = [Span(b.word("heading.current_treatment"))]
    if not parts:
        return Line(label, [Part(b.not_stated())], "not_stated")
    return Line(label, parts)


# -- the plan and the options under discussion ---------------------------------------------
def _plan(b: _Builder) -> Line | None:
    """Everything planned, marked planned, with when it was planned and the line a record
    gives it; the medicines planned too."""
    from casebridge.engine.render.summary import Line, _courses

    groups: list[list[Fact]] = []
    for kind in PLAN_KINDS:
        groups += _courses([f for f in b.visible(kind) if f.attributes.get("status") == "planned"])
    groups += b._med_groups(
        [f for f in b.visible("medication") if f.attributes.get("status") == "planned"]
    )
    if not groups:
        return None
    parts = []
    for i, group in enumerate(groups):
        part = b.course_part(group, first=i == 0)
        lines = {n for f in group if (n := stated_line(b, f)) is not None}
        if len(lines) == 1:
            part.spans = [*part.spans, Span(f" — {b.word(f'heading.line_{min(lines.pop(), 5)}')}")]
        parts.append(part)
    return Line([Span(b.word("heading.plan"))], parts, "note")


def _options(b: _Builder) -> Line | None:
    """Treatments a clinical record discusses conditionally ("if HER2 amplified: …",
    "would refer … to be considered for CAR-T"): named as options, never as a plan, each
    after the condition its record states ("if HER2 amplified: trastuzumab, pertuzumab");
    options of one condition are one item, in the order the records give them. Of several
    conditions stated for one option, the last one written (a letter's plan) is shown."""
    from casebridge.engine.render.summary import Line

    parts = [part for part, _facts in option_parts(b)]
    if not parts:
        return None
    return Line([Span(b.word("heading.options"))], parts, "note")


def option_facts(b: _Builder, kind: str) -> list[Fact]:
    """The facts of a treatment kind a record discusses as a possibility (the options)."""
    return [
        f for f in b.visible(kind, ("possible",)) if f.attributes.get("reported_by") != "patient"
    ]


def option_parts(b: _Builder) -> list[tuple[Part, list[Fact]]]:
    """The options under discussion, one Part per condition (its "if …：" and the
    treatments it names), each with the facts it is made of."""
    from casebridge.engine.render.summary import Part, _courses

    items: list[tuple[list[Fact], Condition | None]] = []
    for kind in PLAN_KINDS:
        facts = option_facts(b, kind)
        for group in _courses([f for f in facts if not in_condition(b, f)]):
            found = [c for f in sorted(group, key=_position) if (c := condition_of(b, f))]
            items.append((group, found[-1] if found else None))
    items.sort(key=lambda item: min(_position(f) for f in item[0]))
    merged: list[tuple[list[list[Fact]], Condition | None]] = []
    for group, cond in items:
        same = next((m for m in merged if cond is not None and m[1] is not None
                     and m[1].key == cond.key), None)  # fmt: skip
        if same is not None:
            same[0].append(group)
        else:
            merged.append(([group], cond))
    parts: list[tuple[Part, list[Fact]]] = []
    for groups, cond in merged:
        spans: list[Span] = []
        refs: set[int] = set()
        if cond is not None:
            spans += [*_condition_spans(b, cond), Span("：" if b.zh else ": ")]
            refs.update(b.ref(cond.source))
        for i, group in enumerate(groups):
            spans += [Span("、" if b.zh else ", ")] if i else []
            spans += b.value(group[0])
            side = next((f.attributes["side"] for f in group if f.attributes.get("side")), "")
            if side:
                opening, closing = ("（", "）") if b.zh else (" (", ")")
                spans = [*spans, Span(opening), *b.text(side, "laterality"), Span(closing)]
            refs.update(n for f in group for n in b.fact_refs(f))
        facts_of = [f for group in groups for f in group]
        parts.append((Part(spans, sorted(refs), sep="; " if parts else ""), facts_of))
    return parts


# -- the condition of an option ------------------------------------------------------------
_MAX_CONDITION = 140  # characters: a longer "if" clause is not shown
_IF = re.compile(r"(?i)\b(?:if|unless)\s+")
_UNIT_START = re.compile(r"(?:•|\n[ \t]*\n|\.\s|\?\s|;\s|\n[ \t]*(?:[-*]|\d{1,2}[.)])\s)")
# the connector words a condition made only of biomarker results may keep
_CONNECTORS = re.compile(r"(?i)^(?:[\s,;/()]|and|or|with|both)*$")


@dataclass
class Condition:
    text: str  # as written: "HER2 amplified"
    source: Source
    results: list[Fact]  # the biomarker results the condition is made of

    @property
    def key(self) -> str:
        return normalise(self.text)


def _position(fact: Fact) -> tuple[str, int, int]:
    src = fact.source
    return (src.document_id, src.page, src.start) if src is not None else ("", 0, 0)


def condition_of(b: _Builder, fact: Fact) -> Condition | None:
    """The "if …" clause a record states before an option in its sentence or list item
    ("If HER2 amplified: … trastuzumab", "If the lymphoma does not respond to salvage, or
    relapses after transplant, I would refer him … for CAR-T"), up to its colon or the comma
    that closes it."""
    src = fact.source
    clause = _clause(b, fact)
    if clause is None or src is None:
        return None
    text, begin = clause
    end = _condition_end(text, begin, src.start)
    if end is None:
        return None
    words = " ".join(text[begin:end].split()).strip(" ,")
    if not 3 <= len(words) <= _MAX_CONDITION or "?" in words:
        return None
    doc = b.case.document(src.document_id)
    source = Source(src.document_id, doc.file_name if doc else src.file_name, src.page,
                    begin, end, words)  # fmt: skip
    results = [
        f
        for kind in BIOMARKER_KINDS
        for f in b.visible(kind, ("possible", "asserted"))
        if f.source is not None
        and f.source.document_id == src.document_id
        and f.source.page == src.page
        and begin <= f.source.start < end
    ]
    return Condition(words, source, results)


def _clause(b: _Builder, fact: Fact) -> tuple[str, int] | None:
    """The page text and where the last "if" of the fact's sentence or list item before it
    begins its clause."""
    src = fact.source
    if src is None:
        return None
    text = b._page_text(src)
    if not text or not 0 <= src.start <= len(text):
        return None
    lo = max(0, src.start - 400)
    unit = [m.end() for m in _UNIT_START.finditer(text, lo, src.start)]
    start = unit[-1] if unit else lo
    found = list(_IF.finditer(text, start, src.start))
    return (text, found[-1].end()) if found else None


def in_condition(b: _Builder, fact: Fact) -> bool:
    """Whether the fact is said inside an "if …" clause ("If progression after rituximab,
    …"): a condition, not a finding or an option."""
    clause = _clause(b, fact)
    if clause is None or fact.source is None:
        return False
    text, begin = clause
    end = _condition_end(text, begin, min(len(text), fact.source.end + _MAX_CONDITION))
    return end is not None and end >= fact.source.end


def _condition_end(text: str, begin: int, limit: int) -> int | None:
    """Where an "if" clause ends: its colon, "then", or a comma not inside brackets and not
    followed by "or" / "and" (a clause of several conditions goes on)."""
    depth = 0
    i = begin
    while i < limit:
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and c == ":":
            return i
        elif depth == 0 and c == ",":
            if not re.match(r"\s*(?:or|and)\b", text[i + 1 : i + 8]):
                return i
        elif depth == 0 and re.match(r"\s+then\b", text[i : i + 6]):
            return i
        i += 1
    return None


def _zh_marks(text: str) -> str:
    """Chinese wording with the English brackets and commas it kept made full-width
    ("HER2 无扩增 (雌激素受体阳性, HER2 阴性)" -> "HER2 无扩增（雌激素受体阳性，HER2 阴性）")."""
    text = re.sub(r"\s*\(\s*", "（", text)
    text = re.sub(r"\s*\)", "）", text)
    return re.sub(r"\s*,\s*", "，", text)


def _condition_spans(b: _Builder, cond: Condition) -> list[Span]:
    """ "if HER2 amplified"; in Chinese through the table, else from the biomarker results
    the clause is made of, else the clause in English, marked."""
    if not b.zh:
        return [Span(b.word("heading.if_condition", condition=cond.text))]
    whole = b.text(cond.text, "biomarker", "result", "response")
    if not any(s.untranslated for s in whole):
        whole_text = _zh_marks("".join(s.text for s in whole))
        return [Span(b.word("heading.if_condition", condition=whole_text))]
    if cond.results:
        begin, end = cond.source.start, cond.source.end
        rest = list(b._page_text(cond.source)[begin:end])
        for f in cond.results:
            assert f.source is not None
            for i in range(max(begin, f.source.start), min(end, f.source.end)):
                rest[i - begin] = " "
        said: list[str] = []
        if _CONNECTORS.match("".join(rest)):
            for f in sorted(cond.results, key=_position):
                spans = b.value(f)
                if any(s.untranslated for s in spans):
                    break
                words = "".join(s.text for s in spans)
                if words not in said:
                    said.append(words)
            else:
                return [Span(b.word("heading.if_condition", condition="，".join(said)))]
    clauses = _clauses_zh(b, cond.text)
    if clauses:
        return [Span(b.word("heading.if_condition", condition=clauses))]
    return [Span(b.word("heading.if_condition", condition="").strip()),
            Span(cond.text, untranslated=True)]  # fmt: skip


# the subject a clause may open with: the row names it already ("the lymphoma does not respond")
_SUBJECT = re.compile(
    r"(?i)^the\s+(?:lymphoma|disease|cancer|tumou?r|myeloma|leuk(?:a)?emia)\s+(?=\w)"
)
_OR = re.compile(r"(?i)\s*,?\s+or\s+")


def _clauses_zh(b: _Builder, text: str) -> str:
    """A condition of several clauses ("the lymphoma does not respond to salvage, or
    relapses after transplant") in Chinese, clause by clause through the table
    (terminology_zh.yaml condition, response): "挽救治疗无效，或移植后复发"; "" as soon as one
    clause is not covered, so that a condition is never half translated."""
    said: list[str] = []
    for clause in _OR.split(text):
        clause = _SUBJECT.sub("", clause.strip(" ,"))
        if not clause:
            continue
        words = _condition_template(b, clause)
        if not words:
            spans = b.text(clause, "condition", "response", "biomarker", "result")
            if not spans or any(s.untranslated for s in spans):
                return ""
            words = "".join(s.text for s in spans)
        said.append(_zh_marks(words))
    return "，或".join(said)


def _condition_template(b: _Builder, clause: str) -> str:
    """A clause that reads as a condition template of the table ("progression after
    {drug}" -> "{drug}治疗后进展"), its drug named through the table; "" otherwise."""
    for term in b.terms.in_category("condition"):
        for form in (term.en, *term.synonyms):
            values = match_template(form, clause) if "{" in form else None
            if values is None:
                continue
            filled: dict[str, str] = {}
            for name, value in values.items():
                spans = b.text(value, "drug", "procedure")
                if spans and not any(s.untranslated for s in spans):
                    filled[name] = "".join(s.text for s in spans)
            if len(filled) == len(values):
                return term.zh.format(**filled)
    return ""
