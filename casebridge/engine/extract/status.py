"""The status of a treatment or medication as its record states it: "planned", "current",
"stopped" (halted before the course was complete) or "completed"
(knowledge/treatment_status.yaml), or None when the record does not say.

Read, in order, from:
1. a duration after the mention ("for 2 more days"): the course ends on the record's date
   plus the duration (attributes["end_date"]), current until then; not a duration counted
   from an event ("for 3 days after chemotherapy") nor one it was not needed for;
2. a relapse or progression on it, or refractory to it, right next to its name: given;
3. the nearest cue word of the mention's clause ("provisionally", "continue", "stopped"), a
   cue before the mention counting nearer than one after it; a planned cue is overruled by a
   date of the treatment before the record's date, and a planned cue that states a course's
   length ("planned 4 cycles") is no cue;
4. "since <date>": going on;
5. the treatment's own dates against the record's date (a start after it is planned, an end
   before it completed, a procedure dated before it done);
6. the section the mention sits in ("Plan", "Medications on discharge", "Previous treatment");
7. a past context ("previously treated with ...") read by extract/context.py: completed.

The record's date is the document's date; without one, only the words decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from casebridge.engine.extract.context import (
    alternation,
    compile_terms,
    sentence_bounds,
    term_key,
)
from casebridge.engine.extract.dates import add_days, date_at, is_after, is_before
from casebridge.engine.kb import load

STATUSES: tuple[str, ...] = ("planned", "current", "stopped", "completed")
# a procedure is done on its date; a drug given on a date may still be going on
DATED_ONCE = frozenset({"surgery", "transplant", "radiotherapy"})
_AFTER_PENALTY = 25  # characters: a cue after the mention counts as this much further away


@dataclass(frozen=True)
class _Rules:
    cues: re.Pattern[str]
    cue_status: dict[str, str]
    not_before: re.Pattern[str]
    since: re.Pattern[str]
    headings: dict[str, str]
    duration: re.Pattern[str]
    duration_units: dict[str, int]
    keeps_going: re.Pattern[str]
    after_event: re.Pattern[str]
    not_taken: re.Pattern[str]
    course_after: re.Pattern[str]
    course_before: re.Pattern[str]
    given_before: re.Pattern[str]
    given_after: re.Pattern[str]
    within_days: int
    refusal_by_pronoun: re.Pattern[str]
    proposal: re.Pattern[str]
    proposal_words: int


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = load("treatment_status")
    cue_status: dict[str, str] = {}
    for status, entry in data["cues"].items():
        if status not in STATUSES:
            raise ValueError(f"E004: treatment_status.yaml: unknown status {status!r}")
        for word in entry["words"]:
            cue_status[term_key(str(word))] = status
    headings: dict[str, str] = {}
    for status, entry in data["sections"].items():
        for heading in entry["headings"]:
            headings[_heading_key(str(heading))] = status
    units = {str(k): int(v) for k, v in data["duration"]["units"].items()}
    duration = re.compile(
        r"(?i)\bfor\s+(?:a\s+further\s+|another\s+)?(?P<n>\d{1,3})\s+(?:more\s+|further\s+)?"
        rf"(?P<unit>{'|'.join(sorted(units, key=len, reverse=True))})\b"
    )
    since = compile_terms([str(w) for w in data["since_words"]])
    units_alt = alternation(data["course_length_units"])
    given = data["given"]
    duration_words = data["duration"]
    return _Rules(
        cues=compile_terms(cue_status),
        cue_status=cue_status,
        not_before=re.compile(
            r"(?i)\b(?:" + "|".join(map(re.escape, data["planned_not_before"])) + r")\s+\S+\s*$"
        ),
        since=since,
        headings=headings,
        duration=duration,
        duration_units=units,
        keeps_going=compile_terms([str(w) for w in duration_words["keeps_going"]]),
        # right after the duration: "for 3 days after chemotherapy"
        after_event=re.compile(rf"(?i)\s*(?:{alternation(duration_words['after_event'])})\b"),
        # right before it: "(not needed for 3 weeks)"
        not_taken=re.compile(
            rf"(?i)\b(?:{alternation(duration_words['not_taken'])})\s*(?:at\s+all\s*)?$"
        ),
        # "planned 4 cycles", "planned for 6 cycles" / "4 cycles planned", "x 6 cycles planned"
        course_after=re.compile(rf"(?i)\s*(?:for\s+|as\s+)?\d{{1,2}}\s*(?:x\s*)?(?:{units_alt})\b"),
        course_before=re.compile(
            rf"(?i)\b\d{{1,2}}\s*(?:x\s*)?(?:{units_alt})\s*(?:were\s+|was\s+|are\s+|is\s+)?$"
        ),
        given_before=re.compile(
            rf"(?i)\b(?:{alternation(given['before'])})\s+(?:[\w-]+\s+){{0,2}}$"
        ),
        given_after=re.compile(rf"(?i)[-\s](?:{alternation(given['after'])})\b"),
        within_days=int(data["current_within_days"]),
        proposal=re.compile(rf"(?i)\b(?:{alternation(data['proposal']['words'])})\b"),
        proposal_words=int(data["proposal"]["within_words"]),
        refusal_by_pronoun=re.compile(
            rf"(?i)\b(?:{alternation(data['refusal_by_pronoun']['words'])})\s+"
            rf"(?:{alternation(data['refusal_by_pronoun']['pronouns'])})\b"
        ),
    )


def after_event(text: str, end: int) -> bool:
    """Whether the duration ending at `end` counts from an event: "for 3 days after
    chemotherapy", "for 5 days following each cycle"."""
    return _rules().after_event.match(text, end) is not None


def not_needed(text: str, start: int) -> bool:
    """Whether the duration starting at `start` is how long the medicine was not needed:
    "(not needed for 3 weeks)"."""
    return _rules().not_taken.search(text, max(0, start - 40), start) is not None


def refused_by_pronoun(text: str, end: int, limit: int) -> bool:
    """Whether a refusal naming a treatment by a pronoun ("she does not wish to have one")
    follows the mention ending at `end`, before `limit` (the next treatment's mention) and no
    further than the end of the next sentence: the pronoun stands for the nearest treatment
    named before it."""
    _lo, hi = sentence_bounds(text, end, end)
    if hi < len(text):
        _lo2, hi = sentence_bounds(text, hi + 1, hi + 1)
    return _rules().refusal_by_pronoun.search(text, end, min(hi, limit)) is not None


# the end of a clause or list item: a proposal cue before it belongs to something else
_CLAUSE_STOP = re.compile(r"[.;!?](?=\s)|\n\s*\n|\n[ \t]*(?:[-•*·]|\d{1,2}[.)])\s")


def is_proposal(text: str, start: int) -> bool:
    """Whether the planned treatment named at `start` is only referred for discussion or named
    as an option ("referred her ... to discuss a BCMA-directed CAR-T"): a cue before it in its
    clause, at most `within_words` words away (knowledge file, `proposal`)."""
    rules = _rules()
    lo = max(0, start - 200)
    for stop in _CLAUSE_STOP.finditer(text, lo, start):
        lo = max(lo, stop.end())
    for m in rules.proposal.finditer(text, lo, start):
        if len(re.findall(r"\w+", text[m.end() : start])) <= rules.proposal_words:
            return True
    return False


def current_within_days() -> int:
    """How many days a medication stated current stays current (knowledge file)."""
    return _rules().within_days


def _heading_key(text: str) -> str:
    return term_key(text.strip().rstrip(":").strip())


# -------------------------------------------------------------------- sections
_LABEL = re.compile(
    r"[ \t]*(?P<bullet>[-•*·][ \t]*)?(?P<label>[A-Za-z][A-Za-z /()&+-]{1,40}?)[ \t]*:"
)
_BULLET = re.compile(r"[ \t]*(?:[-•*·]|\d{1,2}[.)])[ \t]*")


@dataclass(frozen=True)
class Section:
    start: int
    end: int
    status: str


def sections(text: str) -> list[Section]:
    """The spans of text under a heading that says planned, current or completed: a heading
    line ("Plan", "Medications on discharge") and the bullets and wrapped lines below it, or a
    "Label:" at a line's start ("Current treatment: ...") and that line's continuation."""
    rules = _rules()
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    found: list[Section] = []
    for i, (start, line) in enumerate(lines):
        body = line.strip()
        if not body:
            continue
        whole = rules.headings.get(_heading_key(_BULLET.sub("", body, count=1)))
        label = _LABEL.match(line)
        status = None
        scope_start = start + len(line)
        if whole is not None and len(body) <= 50:
            status, is_label = whole, False
        elif label is not None:
            status = rules.headings.get(_heading_key(label.group("label")))
            scope_start = start + label.end()
            # "Current treatment:" alone on its line heads the lines below, as a heading does
            is_label = bool(line[label.end() :].strip())
        if status is None:
            continue
        end = start + len(line)
        prev = body
        for start2, line2 in lines[i + 1 :]:
            body2 = line2.strip()
            if not body2:
                break
            bullet = _BULLET.match(line2) is not None
            if is_label and bullet:
                break  # a "Label:" field ends where a list starts
            labelled = _LABEL.match(line2) is not None and not bullet
            if labelled or rules.headings.get(_heading_key(body2)) is not None:
                break
            wrapped = body2[0].islower() or not prev.endswith((".", ":", ";"))
            # items indented under a heading line are its list, bullets or not
            indented = not is_label and _indent(line2) > _indent(line)
            # the line right below a heading line is under it ("Current treatment:\nDVd - ...")
            first = start2 == start + len(line) + 1 and not is_label
            if not (bullet or wrapped or indented or first):
                break  # a new paragraph of prose
            end = start2 + len(line2)
            prev = body2
        found.append(Section(scope_start, end, status))
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def section_status(found: list[Section], pos: int) -> str | None:
    """The status of the innermost section holding `pos`."""
    inside = [s for s in found if s.start <= pos < s.end]
    return max(inside, key=lambda s: s.start).status if inside else None


# -------------------------------------------------------------------- one mention
def read_status(
    text: str,
    span: tuple[int, int],
    *,
    kind: str,
    attrs: dict[str, str],
    doc_date: str | None,
    section: str | None = None,
) -> str | None:
    """The status of the treatment named at text[span]; may add attributes["end_date"]
    (from a duration). None when neither the words nor the dates say."""
    rules = _rules()
    start, end = span
    lo, hi = sentence_bounds(text, start, end)
    starts = attrs.get("start_date") or attrs.get("date")
    past = bool(doc_date and starts and is_before(starts, doc_date))

    duration = rules.duration.search(text, end, hi)
    if duration and (after_event(text, duration.end()) or not_needed(text, duration.start())):
        duration = None  # counted from each cycle, or how long it was not needed
    if duration and doc_date and not rules.keeps_going.search(text, duration.end(), hi):
        days = int(duration.group("n")) * rules.duration_units[duration.group("unit").lower()]
        ends = add_days(starts if starts and len(starts) == 10 else doc_date, days)
        if ends:
            attrs.setdefault("end_date", ends)
            attrs.setdefault("end_date_precision", "day")
            return "completed" if is_before(ends, doc_date) else "current"

    if rules.given_before.search(text, max(lo, start - 80), start) or rules.given_after.match(
        text, end, hi
    ):
        return "completed"  # relapsed on it, refractory to it: it was given

    cue = _nearest_cue(text, lo, hi, start, end, past=past)
    if cue is not None:
        return cue

    if attrs.get("cycle_dates") and attrs.get("next_cycle_date"):
        return "current"  # a cycle given and the next one due

    since = rules.since.search(text, max(lo, start - 40), hi)
    if since and date_at(text, since.end()) is not None:
        return "current"

    if doc_date:
        ended = attrs.get("end_date")
        if starts and is_after(starts, doc_date):
            return "planned"
        if ended and is_before(ended, doc_date):
            return "completed"
        if ended and starts and past:
            return "current"
        if kind in DATED_ONCE and past:
            return "completed"

    if section is not None and not (section == "planned" and past):
        return section
    if attrs.get("historical") == "yes":
        return "completed"
    return None


def _nearest_cue(text: str, lo: int, hi: int, start: int, end: int, *, past: bool) -> str | None:
    rules = _rules()
    best: tuple[int, str] | None = None
    for m in rules.cues.finditer(text, lo, hi):
        if m.start() < end and m.end() > start:
            continue  # inside the name itself
        status = rules.cue_status.get(term_key(m.group()))
        if status is None:
            continue
        if status == "planned" and (past or rules.not_before.search(text, lo, m.start())):
            continue
        if status == "planned" and (
            rules.course_after.match(text, m.end(), hi)
            or rules.course_before.search(text, max(lo, m.start() - 30), m.start())
        ):
            continue  # "planned 4 cycles": the length of a course, not a plan
        distance = start - m.end() if m.end() <= start else m.start() - end + _AFTER_PENALTY
        if best is None or distance < best[0]:
            best = (distance, status)
    return best[1] if best else None
