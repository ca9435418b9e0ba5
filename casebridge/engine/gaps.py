"""Case stage 'gaps': what the reviewing team will need that the records lack.

Two sources of gaps:
- the programme's checklist (knowledge/checklists/<programme>.yaml): each item
  says which document types, text or fact kinds satisfy it; an item nothing
  satisfies becomes a Gap with the item's id;
- inferred gaps (knowledge/gap_rules.yaml): what the records themselves show
  to be missing, e.g. HER2 IHC 2+ without ISH, a scan a letter mentions whose
  report is absent, treatments without dates or doses, an out-of-date letter.

"Today" is case.intake["today"] (ISO) when given, else the real date. Every Gap
gets `request_letter` = "requests/NN-<slug>.md", drafted by render/requests.py.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Case, Document, Fact, Gap, Source
from casebridge.engine.kb import fact_kinds, load
from casebridge.engine.registry import component
from casebridge.engine.timeline import (
    as_date,
    document_date_source,
    find_dates,
    latest_date,
    parse_date,
    today_of,
    warn,
)

SEVERITY_ORDER = {"essential": 0, "important": 1, "helpful": 2}
_HAPPENED = ("asserted", "historical")
_TRUTHY = ("true", "yes", "y", "available", "1")


# -- patterns ------------------------------------------------------------------

_ESCAPES = re.compile(r"\\[a-zA-Z]|\(\?[:!=<]+|\{\d+(?:,\d+)?\}")


def _case_sensitive(pattern: str) -> bool:
    """An acronym pattern (all its letters capitals, e.g. r'\\bCT\\b') is matched as written."""
    letters = [c for c in _ESCAPES.sub("", pattern) if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


@lru_cache(maxsize=512)
def _compile(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = []
    for p in patterns:
        p = str(p)
        parts.append(f"(?:{p})" if _case_sensitive(p) else f"(?i:{p})")
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")")


def compile_patterns(patterns: Any) -> re.Pattern[str] | None:
    """One regex for a list of knowledge-file patterns (None for an empty list).
    Case-insensitive, except acronyms written in capitals; a match starts a word
    (a pattern ends with \\b when it must also end one)."""
    if not patterns:
        return None
    if isinstance(patterns, str):
        patterns = [patterns]
    return _compile(tuple(str(p) for p in patterns))


def stated_matches(pattern: re.Pattern[str] | None, text: str) -> list[re.Match[str]]:
    """Matches of the pattern that the text states (not negated, possible or family)."""
    from casebridge.engine.extract.context import context_of

    if pattern is None or not text:
        return []
    return [m for m in pattern.finditer(text) if context_of(text, m.start(), m.end()) in _HAPPENED]


# a sentence ends at . ! ? ; (not a decimal point), a date's full stop before the next
# sentence's capital ("… MDT on 10/09/2026. Because …"), or a blank line
_SENTENCE_END = r"(?<!\d)[.!?;](?!\d)(?:\s|$)|(?<=\d)\.\s+(?=[A-Z])|\n\s*\n"


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): cut at . ; ! ? or a blank line."""
    window = max(0, start - 300)
    lo = window
    for m in re.finditer(_SENTENCE_END, text[window:start]):
        lo = window + m.end()
    cut = re.search(_SENTENCE_END, text[end : end + 300])
    hi = end + cut.start() if cut else min(len(text), end + 300)
    return lo, hi


def _whole_sentence_end(text: str, end: int) -> int:
    """Where the sentence holding `end` ends, past its semicolons ("… a CT scan; these
    are booked for 22/09/2026")."""
    cut = re.search(
        r"(?<!\d)[.!?](?!\d)(?:\s|$)|(?<=\d)\.\s+(?=[A-Z])|\n\s*\n", text[end : end + 300]
    )
    return end + cut.start() if cut else min(len(text), end + 300)


# -- knowledge -----------------------------------------------------------------


def checklist_items(programme: str) -> list[dict[str, Any]]:
    try:
        data = load(f"checklists/{programme}")
    except FileNotFoundError:
        return []
    items: list[dict[str, Any]] = list((data or {}).get("items") or [])
    return items


def gap_rules() -> dict[str, Any]:
    rules: dict[str, Any] = load("gap_rules")
    return rules


def request_for(gap_id: str, programme: str = "oncology") -> str:
    """The wording of the record to ask for, from the knowledge files (no health
    detail); placeholders of inferred rules are filled from the gap id."""
    base, _, suffix = gap_id.partition(":")
    for item in checklist_items(programme):
        if item.get("id") == base:
            return str(item.get("request") or item.get("title") or "")
    for rule in gap_rules().get("rules", []):
        if rule.get("id") != base:
            continue
        text = str(rule.get("request") or rule.get("title") or "")
        if rule.get("type") == "required_biomarkers" and suffix:
            text = text.replace("{label}", _label(suffix))
        if rule.get("type") == "scan_report_missing":
            modality, when = suffix, ""
            for name in rule.get("modalities") or {}:
                key = str(name).lower().replace(" ", "-")
                if suffix == key or suffix.startswith(key + "-"):
                    modality, rest = str(name), suffix[len(key) + 1 :]
                    when = f" of {rest}" if rest else ""
            text = text.replace("{modality}", modality).replace("{when}", when)
        if rule.get("type") in ("test_not_done", "result_pending") and suffix:
            for name, spec in (rule.get("tests") or {}).items():
                if slug(str(name)) == suffix:
                    text = text.replace("{test}", str((spec or {}).get("label") or name))
        return re.sub(r"\{\w+\}", "", text)
    return ""


def _label(kind: str) -> str:
    return str(fact_kinds().get(kind, {}).get("label", kind))


# -- case reading helpers ------------------------------------------------------


def _documents(case: Case) -> list[Document]:
    return [d for d in case.documents if d.duplicate_of is None]


def _doc_date(doc: Document) -> _dt.date | None:
    parsed = parse_date(doc.document_date)
    return latest_date(parsed[0]) if parsed else None


def _fact_date(fact: Fact) -> _dt.date | None:
    for key in ("date", "start_date", "end_date"):
        parsed = parse_date(fact.attributes.get(key))
        if parsed:
            return latest_date(parsed[0])
    return None


def _source_doc_date(case: Case, fact: Fact) -> _dt.date | None:
    """A fact without its own date is as recent as the document that states it
    ("Bloods today: Hb 131 g/L" in a letter dated 08/09/2026)."""
    doc = case.document(fact.source.document_id) if fact.source else None
    return _doc_date(doc) if doc is not None else None


def _fact_text(fact: Fact) -> str:
    return " ".join([fact.value, fact.display, *fact.attributes.values()])


def is_result(fact: Fact) -> bool:
    if fact.context not in ("asserted", "negated"):
        return False
    pending = compile_patterns(gap_rules().get("not_a_result") or [])
    return not (pending and pending.search(fact.value)) and fact.value.strip() != ""


def cancer_types(case: Case) -> set[str]:
    """TCGA study codes the case is about: stated cancer_type facts, else inferred
    from primary site + histology (knowledge/gap_rules.yaml cancer_inference)."""
    stated = {f.value.upper() for f in case.facts_of("cancer_type")}
    if stated:
        return stated
    sites = " | ".join(
        _fact_text(f) for k in ("primary_site", "diagnosis") for f in case.facts_of(k)
    )
    histology = " | ".join(
        _fact_text(f) for k in ("histology", "diagnosis") for f in case.facts_of(k)
    )
    found: set[str] = set()
    for code, need in (gap_rules().get("cancer_inference") or {}).items():
        checks = []
        if need.get("site"):
            checks.append(bool(compile_patterns(need["site"]).search(sites)))  # type: ignore[union-attr]
        if need.get("histology"):
            checks.append(bool(compile_patterns(need["histology"]).search(histology)))  # type: ignore[union-attr]
        if checks and all(checks):
            found.add(str(code))
    return found


def relevant_biomarkers(case: Case) -> list[str]:
    rules = gap_rules()
    kinds: list[str] = []
    for code in sorted(cancer_types(case)):
        for kind in (rules.get("cancer_biomarkers") or {}).get(code, []):
            if kind not in kinds:
                kinds.append(kind)
    return kinds or list(rules.get("all_biomarkers") or [])


# -- checklist -----------------------------------------------------------------


@dataclass
class ChecklistResult:
    item: dict[str, Any]
    satisfied: bool
    documents: list[Document] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    note: str = ""  # e.g. why something found does not count (too old, undated)
    from_intake: bool = False

    @property
    def id(self) -> str:
        return str(self.item.get("id", ""))


def _intake_says(case: Case, key: str | None) -> bool:
    if not key or not isinstance(case.intake, dict):
        return False
    value = case.intake.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        text = value.strip().lower()
        return text in _TRUTHY or (
            len(text) > 3 and text not in ("unknown", "not sure", "don't know", "no", "none")
        )
    return False


def evaluate_item(case: Case, item: dict[str, Any]) -> ChecklistResult:
    rule = item.get("satisfied_by") or {}
    doc_types = set(rule.get("doc_types") or [])
    doc_text = compile_patterns(rule.get("doc_text"))
    any_text = compile_patterns(rule.get("text"))
    kinds = set(rule.get("fact_kinds") or [])
    fact_text = compile_patterns(rule.get("fact_text"))
    within = rule.get("within_days")

    not_text = compile_patterns(rule.get("doc_not_text"))
    docs: list[Document] = []
    for doc in _documents(case):
        if not_text is not None and not_text.search(doc.text):
            continue  # e.g. an appointment letter for a scan is not the scan's report
        hit = False
        if doc.doc_type in doc_types:
            hit = doc_text is None or bool(stated_matches(doc_text, doc.text))
        if not hit and any_text is not None:
            hit = bool(stated_matches(any_text, doc.text))
        if hit:
            docs.append(doc)

    facts: list[Fact] = []
    if kinds:
        for fact in case.facts:
            if (
                fact.kind in kinds
                and fact.context in _HAPPENED
                and (fact_text is None or fact_text.search(_fact_text(fact)))
            ):
                facts.append(fact)
    if rule.get("biomarkers"):
        wanted = set(relevant_biomarkers(case))
        facts.extend(f for f in case.facts if f.kind in wanted and is_result(f))

    note = ""
    if within:
        today = today_of(case)
        limit = today - _dt.timedelta(days=int(within))
        dated = [(d, _doc_date(d)) for d in docs] + [
            (f, _fact_date(f) or _source_doc_date(case, f)) for f in facts
        ]
        recent = [x for x, when in dated if when is not None and when >= limit]
        if not recent and dated:
            known = [when for _x, when in dated if when is not None]
            if known:
                note = (
                    f"The most recent one in the records is dated {max(known).isoformat()}, "
                    f"more than {within} days ago."
                )
            else:
                note = "Found, but its date is not stated, so it cannot be shown to be recent."
        docs = [x for x in recent if isinstance(x, Document)]
        facts = [x for x in recent if isinstance(x, Fact)]

    from_intake = _intake_says(case, rule.get("intake"))
    satisfied = bool(docs or facts or from_intake)
    if not satisfied and rule.get("not_due_if_only_planned") and kinds:
        planned = [
            f
            for f in case.facts
            if f.kind in kinds
            and (f.context == "possible" or f.attributes.get("status") == "planned")
        ]
        if planned:
            # the records discuss treatment options but name none as given: nothing to summarise
            note = "Only treatments under discussion are named; none is recorded as given."
            return ChecklistResult(item, True, [], planned, note, False)
    return ChecklistResult(item, satisfied, docs, facts, note if not satisfied else "", from_intake)


def evaluate_checklist(case: Case) -> list[ChecklistResult]:
    """Every checklist item of the case's programme, satisfied or not, in file order."""
    return [evaluate_item(case, item) for item in checklist_items(case.programme)]


def _item_gap(result: ChecklistResult) -> Gap:
    item = result.item
    why = str(item.get("why", ""))
    if result.note:
        why = f"{why} {result.note}".strip()
    return Gap(
        id=str(item["id"]),
        title=str(item.get("title", item["id"])),
        why=why,
        holder=str(item.get("holder", "")),
        severity=str(item.get("severity", "important")),
    )


# -- inferred gaps -------------------------------------------------------------


def _rule_gap(rule: dict[str, Any], gid: str, evidence: list[Source], **fmt: str) -> Gap:
    def fill(text: Any) -> str:
        out = str(text or "")
        for key, value in fmt.items():
            out = out.replace("{" + key + "}", value)
        return out

    return Gap(
        id=gid,
        title=fill(rule.get("title", gid)),
        why=fill(rule.get("why", "")),
        holder=str(rule.get("holder", "")),
        severity=str(rule.get("severity", "important")),
        inferred=True,
        evidence=[s for s in evidence if s is not None],
    )


def _her2_ish_missing(case: Case, rule: dict[str, Any]) -> list[Gap]:
    equivocal = {str(v).lower() for v in rule.get("equivocal_ihc", ["2+"])}
    ihc = [f for f in case.facts_of("her2_ihc") if f.value.strip().lower() in equivocal]
    if not ihc:
        return []
    ish = [f for f in case.facts if f.kind == "her2_ish" and f.context == "asserted"]
    if any(is_result(f) for f in ish):
        return []
    pending = " (the ISH test is recorded as pending)" if ish else ""
    evidence = [f.source for f in ihc + ish if f.source]
    return [_rule_gap(rule, str(rule["id"]), evidence, pending=pending)]


def _required_biomarkers(case: Case, rule: dict[str, Any]) -> list[Gap]:
    wanted = {str(c).upper() for c in rule.get("cancer_types", [])}
    types = cancer_types(case)
    if not wanted & types:
        return []
    evidence = [
        f.source
        for k in ("cancer_type", "primary_site", "histology")
        for f in case.facts_of(k)
        if f.source
    ][:3]
    # a recorded assessment closes the rule ("she does not meet the testing criteria")
    if any(
        f.context == "asserted" and f.attributes.get("reported_by") != "patient"
        for kind in rule.get("closed_by") or []
        for f in case.facts_of(str(kind))
    ):
        return []
    equivalent = {"her2_ihc": ["her2_ish"]}
    gaps = []
    for kind in rule.get("each", []):
        have = [f for f in case.facts if f.kind in [kind, *equivalent.get(kind, [])]]
        if any(is_result(f) for f in have):
            continue
        gaps.append(_rule_gap(rule, f"{rule['id']}:{kind}", evidence, label=_label(kind)))
    return gaps


@dataclass
class _Mention:
    modality: str
    date: str | None
    source: Source


def _scan_mentions(case: Case, rule: dict[str, Any]) -> list[_Mention]:
    from casebridge.engine.extract.context import context_of
    from casebridge.engine.extract.spans import source_for

    modalities: dict[str, Any] = rule.get("modalities") or {}
    planned = compile_patterns(rule.get("planned"))
    letter_types = set(rule.get("letter_types") or [])
    mentions: list[_Mention] = []
    booked: set[str] = set()  # modalities a record says are booked, planned or recommended
    for doc in _documents(case):
        if doc.doc_type not in letter_types:
            continue
        letter_date = _doc_date(doc)
        for page in doc.pages:
            text = page.text
            taken: list[tuple[int, int]] = []
            for modality, patterns in modalities.items():
                pattern = compile_patterns(patterns)
                if pattern is None:
                    continue
                for m in pattern.finditer(text):
                    if any(m.start() < e and s < m.end() for s, e in taken):
                        continue
                    taken.append(m.span())
                    if context_of(text, m.start(), m.end()) not in _HAPPENED:
                        continue
                    lo, hi = sentence_bounds(text, m.start(), m.end())
                    # the booking may follow a semicolon ("… a CT scan; these are booked
                    # for 22/09/2026"): the scan is still to come, whatever date is near
                    whole = text[lo : _whole_sentence_end(text, m.end())]
                    if planned is not None and planned.search(whole):
                        booked.add(str(modality))
                        continue
                    date = _scan_date(text[lo:hi], m.start() - lo, m.end() - lo)
                    when = as_date(date) if date else None
                    if when and letter_date and when > letter_date:
                        continue  # a date after the letter: the scan was still to come
                    if when and when > today_of(case):
                        continue  # a scan booked for a day still to come
                    mentions.append(
                        _Mention(str(modality), date, source_for(doc, page, m.start(), m.end()))
                    )
    # an undated mention of a scan that is booked is that booking ("Staging: CT and bone
    # scan"), not a scan done whose report is missing
    return [m for m in mentions if m.date is not None or m.modality not in booked]


def _scan_date(sentence: str, start: int, end: int) -> str | None:
    """The date of the scan named at [start, end): one written right after it
    ("PET 28/07/2026", "CT on 03/09/2026") first, else the nearest full date."""
    for d_start, _e, iso, precision in find_dates(sentence):
        if (
            precision != "year"
            and 0 <= d_start - end <= 12
            and re.fullmatch(r"[\s:,(]*(?:on|of|dated)?[\s:]*", sentence[end:d_start])
        ):
            return iso
    return _nearest_date(sentence, start)


def _nearest_date(sentence: str, at: int) -> str | None:
    best: tuple[int, str] | None = None
    for start, end, iso, precision in find_dates(sentence):
        if precision == "year":
            continue
        distance = min(abs(start - at), abs(end - at))
        if best is None or distance < best[0]:
            best = (distance, iso)
    return best[1] if best else None


def _scan_report_missing(case: Case, rule: dict[str, Any]) -> list[Gap]:
    mentions = _scan_mentions(case, rule)
    if not mentions:
        return []
    report_types = set(rule.get("report_types") or ["radiology"])
    tolerance = _dt.timedelta(days=int(rule.get("date_tolerance_days", 7)))
    modalities: dict[str, Any] = rule.get("modalities") or {}
    reports: dict[str, list[set[_dt.date]]] = {}
    for doc in _documents(case):
        if doc.doc_type not in report_types:
            continue
        text = doc.text
        dates: set[_dt.date] = set()
        own = _doc_date(doc)
        if own:
            dates.add(own)
        for _s, _e, iso, precision in find_dates(text):
            day = as_date(iso)
            if precision == "day" and day:
                dates.add(day)
        for modality, patterns in modalities.items():
            pattern = compile_patterns(patterns)
            if pattern is not None and pattern.search(text):
                reports.setdefault(str(modality), []).append(dates)

    def covered(mention: _Mention) -> bool:
        found = reports.get(mention.modality, [])
        if not found:
            return False
        if mention.date is None:
            return True
        first, last = as_date(mention.date), latest_date(mention.date)
        if first is None or last is None:
            return True
        return any(first - tolerance <= d <= last + tolerance for dates in found for d in dates)

    grouped: dict[tuple[str, str | None], list[Source]] = {}
    for mention in mentions:
        if not covered(mention):
            grouped.setdefault((mention.modality, mention.date), []).append(mention.source)
    undated_done = {m for m, d in grouped if d is not None}
    gaps = []
    for (modality, date), sources in grouped.items():
        if date is None and modality in undated_done:
            continue  # the dated mention of the same modality already asks for it
        slug = modality.lower().replace(" ", "-")
        gid = f"{rule['id']}:{slug}" + (f"-{date}" if date else "")
        when = f" of {date}" if date else ""
        gaps.append(_rule_gap(rule, gid, sources, modality=modality, when=when))
    return gaps


def _treatment_missing(case: Case, rule: dict[str, Any]) -> list[Gap]:
    """Treatments the records name without dates (or doses) anywhere: a treatment is
    covered when any mention of it - or of a regimen it is part of - gives them."""
    kinds = set(rule.get("kinds") or [])
    needs = list(rule.get("needs") or [])

    def gives(f: Fact) -> bool:
        return any(str(f.attributes.get(k, "")).strip() for k in needs)

    named = [
        f
        for f in case.facts
        if f.kind in kinds
        and f.context in _HAPPENED
        and f.attributes.get("status") != "planned"  # not given: no dates or doses to ask for
    ]
    covered = {f.value.lower() for f in named if gives(f)}
    for f in named:
        if gives(f) and f.attributes.get("components"):
            covered.update(c.strip().lower() for c in f.attributes["components"].split(","))
    near = _sentences_with(case, [f for f in named if gives(f)])
    covered.update(f.value.lower() for f in named if _sentence_key(case, f) in near)
    if "date" in needs:
        # "Palliative radiotherapy to T9, 8 Gy in 1 fraction, 05/12/2025": the record says
        # when, in the treatment's own sentence, even where no date was attached to it
        covered.update(f.value.lower() for f in named if _dated_sentence(case, f))
    for f in named:
        # a regimen whose drugs have their doses or dates written ("R-GDP: rituximab
        # 375 mg/m2 day 1, gemcitabine 1000 mg/m2 ...") has them
        parts = [c.strip().lower() for c in f.attributes.get("components", "").split(",")]
        if any(p and p in covered for p in parts):
            covered.add(f.value.lower())
    lacking = [f for f in named if f.value.lower() not in covered]
    if not lacking:
        return []
    names: list[str] = []
    for fact in lacking:
        name = fact.display or fact.value
        if name not in names:
            names.append(name)
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    evidence = [f.source for f in lacking if f.source]
    return [_rule_gap(rule, str(rule["id"]), evidence, treatments=shown)]


def _sentence_key(case: Case, fact: Fact) -> tuple[str, int, int, int] | None:
    """(document, page, sentence start, end) of the sentence stating the fact."""
    from casebridge.engine.extract.context import sentence_bounds as _bounds

    src = fact.source
    doc = case.document(src.document_id) if src else None
    if src is None or doc is None or not 0 < src.page <= len(doc.pages):
        return None
    lo, hi = _bounds(doc.pages[src.page - 1].text, src.start, src.end)
    return src.document_id, src.page, lo, hi


def _dated_sentence(case: Case, fact: Fact) -> bool:
    """The sentence stating the fact also gives a date (a treatment given, not planned:
    planned ones are not asked about)."""
    from casebridge.engine.extract.dates import find_dates

    where = _sentence_key(case, fact)
    doc = case.document(where[0]) if where else None
    if where is None or doc is None:
        return False
    return bool(find_dates(doc.pages[where[1] - 1].text, where[2], where[3]))


def _sentences_with(case: Case, facts: list[Fact]) -> set[tuple[str, int, int, int] | None]:
    """Sentences where a treatment's date or dose is written: the other treatments named
    in them ("carboplatin AUC 5 and pemetrexed ... from 21/09/2026") are covered too."""
    keys = {_sentence_key(case, f) for f in facts}
    keys.discard(None)
    return keys


def _stale_document(case: Case, rule: dict[str, Any]) -> list[Gap]:
    types = set(rule.get("doc_types") or [])
    docs = [d for d in _documents(case) if d.doc_type in types]
    prefer = compile_patterns(rule.get("prefer_text"))
    if prefer is not None:
        preferred = [d for d in docs if prefer.search(d.text)]
        docs = preferred or docs
    dated = [(when, d) for d in docs if (when := _doc_date(d)) is not None]
    if not dated:
        return []
    when, latest = max(dated, key=lambda x: x[0])
    if (today_of(case) - when).days <= int(rule.get("max_age_days", 92)):
        return []
    source = document_date_source(latest, when.isoformat())
    return [_rule_gap(rule, str(rule["id"]), [source], date=when.isoformat())]


def _letter_sentences(case: Case, types: set[str]) -> list[tuple[Document, int, str, int, int]]:
    """(document, page number, page text, sentence start, end) of every sentence of the
    documents of these types (all documents when `types` is empty)."""
    out = []
    for doc in _documents(case):
        if types and doc.doc_type not in types:
            continue
        for page in doc.pages:
            text = page.text
            pos = 0
            while pos < len(text):
                lo, hi = sentence_bounds(text, pos, pos)
                hi = max(hi, pos + 1)
                out.append((doc, page.number, text, pos, hi))
                pos = hi
    return out


def _test_not_done(case: Case, rule: dict[str, Any]) -> list[Gap]:
    """A test the records say was not done, not assessed or failed ("ROS1: not assessed",
    "BCL2 and BCL6 FISH not performed"): the reviewing team may want it done."""
    from casebridge.engine.extract.spans import source_for

    cue = compile_patterns(rule.get("not_done"))
    if cue is None:
        return []
    wanted = {str(c).upper() for c in rule.get("cancer_types") or []}
    if wanted and not wanted & cancer_types(case):
        return []
    tests: dict[str, Any] = rule.get("tests") or {}
    found: dict[str, list[Source]] = {}
    for doc, number, text, lo, hi in _letter_sentences(case, set()):
        sentence = text[lo:hi]
        said = cue.search(sentence)
        if not said:
            continue
        for name, spec in tests.items():
            pattern = compile_patterns(spec.get("patterns"))
            if pattern is None:
                continue
            for m in pattern.finditer(sentence):
                if m.start() > said.start() or said.start() - m.end() > 80:
                    continue  # the test is named before its "not done", close to it
                page = doc.pages[number - 1]
                found.setdefault(str(name), []).append(
                    source_for(doc, page, lo + m.start(), lo + m.end())
                )
                break
    gaps = []
    for name, sources in found.items():
        spec = tests[name]
        kind = str(spec.get("kind") or "")
        if kind and any(
            is_result(f) and not (cue.search(f.value) or "not" in f.value.lower())
            for f in case.facts_of(kind)
        ):
            continue  # a later report gives the result
        gid = f"{rule['id']}:{slug(name)}"
        gap = _rule_gap(rule, gid, sources, test=str(spec.get("label") or name))
        gaps.append(gap)
    return gaps


def _result_pending(case: Case, rule: dict[str, Any]) -> list[Gap]:
    """A test a letter says was sent, requested or booked whose result is not among the
    records: "Plasma ctDNA NGS sent today", "Echocardiogram requested", "PET-CT booked"."""
    from casebridge.engine.extract.context import context_of
    from casebridge.engine.extract.spans import source_for

    cue = compile_patterns(rule.get("pending"))
    if cue is None:
        return []
    letter_types = set(rule.get("letter_types") or [])
    tests: dict[str, Any] = rule.get("tests") or {}
    found: dict[str, tuple[list[Source], _dt.date | None]] = {}
    for doc, number, text, lo, hi in _letter_sentences(case, letter_types):
        sentence = text[lo:hi]
        if not cue.search(sentence):
            continue
        for name, spec in tests.items():
            pattern = compile_patterns(spec.get("patterns"))
            m = pattern.search(sentence) if pattern is not None else None
            if m is None or context_of(text, lo + m.start(), lo + m.end()) == "negated":
                continue
            page = doc.pages[number - 1]
            sources, since = found.get(str(name), ([], None))
            when = _doc_date(doc)
            sources.append(source_for(doc, page, lo + m.start(), lo + m.end()))
            found[str(name)] = (sources, max(filter(None, [since, when]), default=None))
    gaps = []
    for name, (sources, since) in found.items():
        spec = tests[name]
        report_types = set(spec.get("report_types") or [])
        pattern = compile_patterns(spec.get("patterns"))
        done = [
            d
            for d in _documents(case)
            if d.doc_type in report_types
            and pattern is not None
            and _states_done(d.text, pattern, cue)
            and (since is None or (_doc_date(d) or since) >= since)
        ]
        if done:
            continue
        gid = f"{rule['id']}:{slug(name)}"
        gaps.append(_rule_gap(rule, gid, sources, test=str(spec.get("label") or name)))
    return gaps


def _states_done(text: str, pattern: re.Pattern[str], pending: re.Pattern[str]) -> bool:
    """The text names the test in a sentence that does not call it sent, requested or booked."""
    for m in pattern.finditer(text):
        lo, hi = sentence_bounds(text, m.start(), m.end())
        if not pending.search(text[lo:hi]):
            return True
    return False


def _staging_incomplete(case: Case, rule: dict[str, Any]) -> list[Gap]:
    """A T or N category without any M category or stage group: distant staging is not
    recorded (AJCC: the stage group needs M; cM0 may be assigned clinically). A staging
    investigation recorded as showing no distant spread ("Staging CT: no evidence of
    metastatic disease") or a metastatic site stated as present records it."""
    tn = [f for k in ("t_category", "n_category") for f in case.facts_of(k)]
    if not tn or case.facts_of("m_category") or case.facts_of("stage_group"):
        return []
    for kind in rule.get("closed_by") or []:
        if any(f.context == "asserted" for f in case.facts_of(str(kind))):
            return []
    evidence = [f.source for f in tn if f.source][:3]
    return [_rule_gap(rule, str(rule["id"]), evidence)]


RULE_TYPES = {
    "test_not_done": _test_not_done,
    "result_pending": _result_pending,
    "staging_incomplete": _staging_incomplete,
    "her2_ish_missing": _her2_ish_missing,
    "required_biomarkers": _required_biomarkers,
    "scan_report_missing": _scan_report_missing,
    "treatment_missing": _treatment_missing,
    "stale_document": _stale_document,
}


def infer_gaps(case: Case) -> list[Gap]:
    gaps: list[Gap] = []
    for rule in gap_rules().get("rules", []):
        skip = {str(x) for x in rule.get("skip_if_gap") or []}
        if skip & {g.id.split(":")[0] for g in gaps}:
            continue
        programmes = rule.get("programmes")
        if programmes and case.programme not in programmes:
            continue
        func = RULE_TYPES.get(str(rule.get("type")))
        if func is None:
            warn(case, f"Gap rule {rule.get('id')!r} has an unknown type; skipped.")
            continue
        gaps.extend(func(case, rule))
    return _drop_generic(gaps)


def _drop_generic(gaps: list[Gap]) -> list[Gap]:
    """When a test is recorded as not done (test-not-done:ros1), the generic "no ROS1
    result" gap of the same test says less and is dropped."""
    specific = {
        g.id.split(":", 1)[1] for g in gaps if g.id.startswith("test-not-done:") and ":" in g.id
    }
    return [
        g
        for g in gaps
        if g.id.startswith("test-not-done:")
        or ":" not in g.id
        or g.id.split(":", 1)[1] not in specific
    ]


# -- the stage -----------------------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "record"


def find_gaps(case: Case) -> list[Gap]:
    results = evaluate_checklist(case)
    inferred = infer_gaps(case)
    raised = {g.id.split(":")[0] for g in inferred}
    gaps: list[Gap] = []
    for result in results:
        if result.satisfied:
            continue
        if any(str(other) in raised for other in result.item.get("skip_if_gap") or []):
            continue
        gaps.append(_item_gap(result))
        raised.add(result.id)
    specific_markers = any(
        g.id.split(":")[0] in _biomarker_rule_ids() and ":" in g.id for g in inferred
    )
    if specific_markers:
        gaps = [g for g in gaps if g.id != "biomarkers"]  # the specific asks replace it
    seen = {g.id for g in gaps}
    gaps.extend(g for g in inferred if g.id not in seen)
    gaps.sort(key=lambda g: SEVERITY_ORDER.get(g.severity, 3))
    for number, gap in enumerate(gaps, start=1):
        gap.request_letter = f"requests/{number:02d}-{slug(gap.id)}.md"
    return gaps


def _biomarker_rule_ids() -> set[str]:
    return {
        str(r.get("id"))
        for r in gap_rules().get("rules", [])
        if r.get("type") == "required_biomarkers"
    }


@component(
    "gaps",
    level="case",
    reads=("programme", "documents", "facts", "intake"),
    writes=("gaps",),
)
def gaps(case: Case) -> None:
    case.gaps = find_gaps(case)
