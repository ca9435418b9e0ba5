"""Medication lists and the medicines in them: name, dose, route, frequency and schedule,
and the dates a list gives."""

from __future__ import annotations

import re
from functools import lru_cache

from casebridge.engine.extract import schedule as _schedule
from casebridge.engine.extract.context import compile_terms, term_key
from casebridge.engine.extract.course_page import _fact, _Page, _put_date, _sentence_end
from casebridge.engine.extract.lexicon import CLASS_KIND, _exact_key, _lexicon
from casebridge.engine.kb import load
from casebridge.engine.terminology import table

_MED_HEAD = re.compile(r"(?i)\s*(?P<head>[A-Za-z][A-Za-z ()]{1,40}?)\s*(?::|$)\s*(?P<rest>.*)$")


_HEADING_LINE = re.compile(r"^\s*(?:[A-Z][A-Za-z /&()-]{2,50}:|[A-Z][A-Z /&()-]{3,50})\s*$")


_MED_HINT = re.compile(r"medication|drug|meds|\btto|\bdh\b")


_DOSE_HINT = re.compile(r"\d ?(?:mg|mcg|micrograms?|units|iu)\b")


_LABEL_LINE = re.compile(r"\s*[A-Z][A-Za-z /&()-]{1,40}:(?:\s|$)")


_BULLET = re.compile(r"^\s*(?:[-•*·]|\d{1,2}[.)])\s*")


_MED_WORD_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "is",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "total",
        "dose",
        "doses",
        "daily",
        "weekly",
        "reduced",
        "increased",
        "decreased",
        "dose-reduced",
        "started",
        "stopped",
        "takes",
        "taking",
        "take",
        "taken",
        "given",
        "receiving",
        "received",
        "continue",
        "continued",
        "commenced",
        "tumour",
        "tumor",
        "mass",
        "lesion",
        "nodule",
        "size",
        "measuring",
        "measures",
        "approximately",
        "about",
        "around",
        "every",
        "each",
        "per",
        "cycle",
        "cycles",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "hb",
        "wcc",
        "plt",
        # the steps of a taper are the same medicine's dose, never another medicine:
        # "prednisolone 20 mg once daily, reducing by 5 mg every week, then 15 mg"
        "reducing",
        "reduce",
        "reduction",
        "then",
        "taper",
        "tapering",
        "weaning",
        "increasing",
        "increase",
        "decreasing",
        "maximum",
        "max",
    ]
)


@lru_cache(maxsize=1)
def _med_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    tx = load("treatments")
    freq = compile_terms(tx["frequencies"]).pattern
    route = compile_terms(tx["routes"]).pattern
    heads = compile_terms(tx["medication_headings"]).pattern
    forms = compile_terms(tx.get("medication_forms") or ["tablets"]).pattern
    # "every 12 weeks", "up to four times a day", "one tablet every morning"
    freq_any = (
        rf"(?:up[ \t]+to[ \t]+)?(?:{freq}|every[ \t]+\d{{1,2}}[ \t]+(?:hours|days|weeks|months))"
    )
    sig = (
        r"(?:(?:one|two|three|four|half|1|2|3|4)[ \t]+"
        r"(?:tablets?|tabs?|capsules?|caps?|puffs?|drops?|sachets?|injections?|patch(?:es)?)"
        r"(?:[ \t]+(?:by[ \t]+mouth|orally))?[ \t]+)?"
    )
    item = re.compile(
        r"(?P<name>[A-Za-z][A-Za-z0-9\-]{2,}(?:[ \t]+(?:[A-Za-z][a-z\-]{2,}|[A-Z][A-Za-z0-9]{1,4}))?)"
        r"(?:[ \t]*\([A-Za-z][^()\n]{0,30}\))?"  # a brand or note: "Osimertinib (Tagrisso)"
        rf"(?:[ \t]+(?:{forms}))?[ \t]*"
        r"(?:(?P<dose>\d+(?:\.\d+)?[ \t]?(?:mg|mcg|micrograms?|g|ml|mL|units?|IU|%|puffs?|drops?"
        r"|tablets?|tabs?|capsules?)(?:/\d*(?:ml|mL|hour|hr|dose))?)(?![\w/]))?"
        rf"(?:[ \t]*(?:{forms}))?"
        rf"(?:[ \t]*(?P<route>{route}))?"
        rf"(?:[ \t]*[-–:]?[ \t]*(?P<freq>{sig}{freq_any}(?:[ \t]+(?:{freq}))?))?",
        re.IGNORECASE,
    )
    free = re.compile(
        # (a BNF compound name opens with a short prefix: "co-trimoxazole", "co-codamol")
        r"(?<![\w-])(?P<name>[A-Za-z][a-z]{3,}(?:-[a-z]+)?|[A-Za-z][a-z]{1,2}-[a-z]{4,})[ \t]+"
        # (a dose in grams needs its frequency after it, as every free-text dose does)
        r"(?P<dose>\d+(?:\.\d+)?[ \t]?(?:mg|mcg|micrograms?|units|IU|g)(?![\w/]))"
        rf"(?:[ \t]*(?P<route>{route}))?[ \t]*(?P<freq>{freq_any}(?:[ \t]+(?:{freq}))?)",
        re.IGNORECASE,
    )
    return re.compile(rf"^(?:{heads})$", re.IGNORECASE), item, free


@lru_cache(maxsize=1)
def _name_heads() -> frozenset[str]:
    """Second words of two-word drug names ("zoledronic acid", "sodium valproate" is
    the other way round): when running text gives only "acid 4 mg", the word before
    belongs to the name."""
    return frozenset(str(w).lower() for w in load("treatments").get("medication_name_tails") or [])


# ------------------------------------------------------------------ medications
_MED_LIST_TITLE = re.compile(r"(?im)^[ \t]*(?:my[ \t]+)?medications?[ \t]+list\b")


_PROSE_END = re.compile(r"[.!?][ \t]*$")


def _is_list_line(line: str) -> bool:
    """A line that can continue a medication list: a bullet, a table row, or a short
    line giving a dose. Running prose ("I saw Ms X with her sister ...") ends the list."""
    body = line.strip()
    if not body:
        return False
    if _BULLET.match(line) or "|" in body:
        return True
    return bool(_DOSE_HINT.search(body.lower())) and len(body.split()) <= 16


def _medications(p: _Page) -> None:
    text = p.text
    heading, item_re, free_re = _med_patterns()
    taken: list[tuple[int, int]] = []
    if not _MED_HINT.search(p.low):
        lines: list[str] = []
    else:
        lines = text.split("\n")
    # a whole document that is a medication list: every line giving a dose is an item
    whole_list = p.doc.doc_type == "medication_list" and bool(_MED_LIST_TITLE.search(text))
    offset = 0
    in_list = False
    starts = []
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    for idx, line in enumerate(lines):
        base = starts[idx]
        head = _MED_HEAD.match(line)
        if head and heading.match(head.group("head").strip()):
            rest = head.group("rest")
            if rest.strip():
                # "Medication: amlodipine 5 mg od; atorvastatin 20 mg" - the list is this line
                _med_items(p, item_re, base + head.start("rest"), rest, taken)
                in_list = rest.rstrip().endswith((",", ";"))
            else:
                in_list = True
            continue
        if in_list or (whole_list and line.strip()):
            if (
                not line.strip()
                or (
                    (_HEADING_LINE.match(line) or _LABEL_LINE.match(line))
                    and not _BULLET.match(line)
                )
                or not (_is_list_line(line) or whole_list)
            ):
                in_list = False
                continue
            bullet = _BULLET.match(line)
            b = bullet.end() if bullet else 0
            _med_items(p, item_re, base + b, line[b:], taken)
    _continued(p, taken)
    if not _DOSE_HINT.search(p.low):
        return
    for m in free_re.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        if m.group("name").lower() in _MED_WORD_STOP:
            continue
        _med_fact(p, m, m.start(), "medication.text")


# "Continue aciclovir, co-trimoxazole and allopurinol as prescribed": medicines a letter
# names without a dose are current on its date all the same.
_CONTINUE = re.compile(
    r"(?i)\b(?:continue|continuing|to continue|remains? on|stays? on|carry on with)\s+"
    r"(?:(?:with|on|his|her|their|the)\s+)?"
    r"(?P<list>[A-Za-z][\w-]*(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)[A-Za-z][\w-]*){0,8})"
)
_LIST_SEP = re.compile(r"\s*,\s*|\s+and\s+|\s*&\s*")
# Anticancer drugs are read as treatments (treatments.py), not as medicines.
_TREATMENT_CLASSES = frozenset(CLASS_KIND)


def _continued(p: _Page, taken: list[tuple[int, int]]) -> None:
    lex = _lexicon()
    for m in _CONTINUE.finditer(p.text):
        pos = m.start("list")
        for name in _LIST_SEP.split(m.group("list")):
            start = p.text.find(name, pos)
            pos = start + len(name)
            terms = lex.loose_terms.get(term_key(name)) or ()
            known = next((t for t in terms if t.cat == "treatment"), None)
            if known is not None and known.cls in _TREATMENT_CLASSES:
                continue
            value = known.value if known else _medicines().get(term_key(name))
            if value is None or any(s <= start < e for s, e in taken):
                continue  # only a medicine the knowledge base names: "continue the plan" is none
            attrs = {"class": known.cls} if known else {}
            _fact(p, (start, pos), "medication", value, "medication.continued", attributes=attrs)
            taken.append((start, pos))


@lru_cache(maxsize=1)
def _medicines() -> dict[str, str]:
    """Every medicine the terminology table names (English and synonyms), by match key."""
    out: dict[str, str] = {}
    for term in table().in_category("drug"):
        for name in (term.en, *term.synonyms):
            out.setdefault(term_key(name), term.en)
    return out


def _med_items(
    p: _Page, item_re: re.Pattern[str], base: int, chunk: str, taken: list[tuple[int, int]]
) -> None:
    # a table row "Amlodipine 5 mg tablets | One daily | 28/08/2026" reads as one item
    # (bars become spaces, so offsets are kept)
    chunk = chunk.replace("|", " ")
    pos = 0
    for piece in re.split(r"[,;]", chunk):
        lead = len(piece) - len(piece.lstrip())
        m = item_re.match(piece.strip())
        start = base + pos + lead
        pos += len(piece) + 1
        if not m or m.group("name").lower() in _MED_WORD_STOP:
            continue
        first = m.group("name").split()[0].lower()
        if first in _MED_WORD_STOP:
            continue
        if not (m.group("dose") or m.group("freq")) and (
            len(piece.split()) > 4 or _PROSE_END.search(piece)
        ):
            continue  # a sentence, not a list item
        if not (m.group("dose") or m.group("freq")) and not _known_drug(m.group("name")):
            continue  # "Plan", "Yours sincerely", "Sister Amy": a name without a dose
        _med_fact(p, m, start, "medication.list")
        taken.append((start, start + m.end()))


def _known_drug(name: str) -> bool:
    lex = _lexicon()
    terms = lex.loose_terms.get(term_key(name)) or lex.exact_terms.get(_exact_key(name)) or ()
    return any(t.cat == "treatment" for t in terms)


_WORD_BEFORE = re.compile(r"([A-Za-z][a-z]{2,})[ \t]+$")


def _med_fact(p: _Page, m: re.Match[str], start: int, rule: str) -> None:
    name = " ".join(m.group("name").split())
    end = start + (m.end() - m.start()) if rule != "medication.text" else m.end()
    if name.lower() in _name_heads():
        prev = _WORD_BEFORE.search(p.text, max(0, start - 30), start)
        if prev:  # "zoledronic acid 4 mg": the name is both words
            name = f"{prev.group(1)} {name}"
            start = prev.start(1)
    lex = _lexicon()
    terms = lex.loose_terms.get(term_key(name)) or lex.exact_terms.get(_exact_key(name)) or ()
    known = next((t for t in terms if t.cat == "treatment"), None)
    value = known.value if known else name.lower()
    attrs = {
        "dose": " ".join((m.group("dose") or "").split()),
        "route": m.group("route") or "",
        "frequency": " ".join((m.group("freq") or "").split()),
    }
    if known:
        attrs["class"] = known.cls
    line_end = p.text.find("\n", end)
    line_end = len(p.text) if line_end == -1 else line_end
    if rule == "medication.text":
        line_end = min(line_end, _sentence_end(p.text, end))
    semicolon = p.text.find(";", end, line_end)
    if semicolon != -1:  # "levothyroxine 100 micrograms daily; salbutamol 2 puffs as required"
        line_end = semicolon  # the next item's words are the next medicine's
    attrs["schedule"] = _schedule.schedule_after(
        p.text, end, line_end, frequency=attrs["frequency"]
    )
    _med_dates(p, end, line_end, attrs)
    shown = (value, attrs["dose"], attrs["route"], attrs["frequency"], attrs["schedule"])
    display = " ".join(x for x in shown if x)
    _fact(p, (start, end), "medication", value, rule, attributes=attrs, display=display)


_MED_DATE_LEAD = re.compile(
    r"(?i)\b(?P<start>since|started|starting|from|commenced|began)"
    r"|\b(?P<end>until|till|stopped|ended|to|completed)"
    r"|\b(?P<next>next(?:\s+due)?|due|repeat)"
    r"|\b(?P<on>given|on|dated?)\b[^\w]*$"
)


def _med_dates(p: _Page, lo: int, hi: int, attrs: dict[str, str]) -> None:
    """Dates written in a medicine's own item: "(since 17/11/2025)" starts it, "(next
    13/10/2026)" is its next dose, "given 08/09/2026" dates it."""
    for d in p.dates_in(lo, hi):
        lead = _MED_DATE_LEAD.search(p.text, max(lo, d.start - 14), d.start)
        if lead is None:
            continue
        if lead.group("start"):
            _put_date(attrs, "start_date", d)
        elif lead.group("end"):
            _put_date(attrs, "end_date", d)
        elif lead.group("next"):
            _put_date(attrs, "next_date", d)
        else:
            _put_date(attrs, "date", d)
