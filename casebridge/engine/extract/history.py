"""The patient's background: menopausal status, smoking status, family history and the
germline testing assessment (knowledge/history.yaml), each its own fact kind, read from the sentence that states it.

* menopausal_status: premenopausal / perimenopausal / postmenopausal as written;
* smoking_status: never smoked / ex-smoker / current smoker, with pack-years and the year
  stopped when the same sentence gives them;
* family_history: one fact per relative named with a condition in one sentence or list item
  ("Mother: breast cancer, diagnosed aged 68" -> "mother: breast cancer (aged 68)"), or the
  record's statement that there is none. A relative's illness is the relative's: the fact is
  asserted (it is the patient's family history), never a diagnosis of the patient;
* germline_assessment: a recorded assessment against the germline testing criteria ("she
  does not currently meet the national testing criteria", "referred to clinical genetics").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract.context import context_of, sentence_bounds
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.kb import load


@dataclass(frozen=True)
class _Rules:
    menopausal: tuple[tuple[str, re.Pattern[str]], ...]
    smoking: tuple[tuple[str, re.Pattern[str]], ...]
    pack_years: re.Pattern[str]
    stopped: re.Pattern[str]
    relatives: re.Pattern[str]
    condition: re.Pattern[str]
    age: re.Pattern[str]
    none: re.Pattern[str]
    none_of: re.Pattern[str]
    germline: tuple[tuple[str, re.Pattern[str]], ...]


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@lru_cache(maxsize=1)
def rules() -> _Rules:
    data: dict[str, Any] = load("history")
    fam = data["family"]
    relatives = sorted((str(r) for r in fam["relatives"]), key=len, reverse=True)
    # up to two describing words before the condition ("breast cancer", "non-Hodgkin
    # lymphoma"), never a verb or an article
    skip = r"(?!(?:had|has|with|of|a|an|the|diagnosed|from|died|and|at|aged|in)\b)"
    return _Rules(
        menopausal=tuple((str(v), _any(list(p))) for v, p in data["menopausal"].items()),
        smoking=tuple((str(s["value"]), _any(list(s["patterns"]))) for s in data["smoking"]),
        pack_years=re.compile(str(data["pack_years"]), re.IGNORECASE),
        stopped=re.compile(str(data["stopped_year"]), re.IGNORECASE),
        relatives=re.compile(
            r"\b(" + "|".join(re.escape(r).replace(r"\ ", r"\s+") for r in relatives) + r")s?\b",
            re.IGNORECASE,
        ),
        condition=re.compile(
            r"\b(?:" + skip + r"[A-Za-z][\w'-]*\s+){0,2}?(?:" + "|".join(fam["conditions"]) + r")",
            re.IGNORECASE,
        ),
        age=re.compile(str(fam["age"]), re.IGNORECASE),
        none=_any(list(fam["none"])),
        none_of=re.compile(str(fam["none_of"]), re.IGNORECASE),
        germline=tuple(
            (str(g["value"]), _any(list(g["patterns"]))) for g in data["germline_assessment"]
        ),
    )


def _menopausal(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    low = text.lower()
    if "menopaus" not in low:
        return []
    for value, pattern in r.menopausal:
        m = pattern.search(text)
        if m:
            ctx = context_of(text, m.start(), m.end())
            if ctx in ("family", "negated"):
                continue
            return [
                make_fact(
                    doc, page, m, "menopausal_status", value,
                    found_by="history.menopausal", context=ctx,
                )
            ]  # fmt: skip
    return []


def _smoking(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    if "smok" not in text.lower():
        return []
    for value, pattern in r.smoking:
        m = pattern.search(text)
        if not m:
            continue
        ctx = context_of(text, m.start(), m.end())
        if ctx == "family" or (ctx == "negated" and value != "never smoked"):
            continue
        lo, hi = sentence_bounds(text, m.start(), m.end())
        # a short sentence after ("He stopped smoking in 2010 (smoked about 20 a day)")
        sentence = text[lo : min(len(text), hi + 80)]
        attributes: dict[str, str] = {}
        detail: list[str] = []
        packs = r.pack_years.search(sentence)
        if packs:
            attributes["pack_years"] = packs.group(1)
            detail.append(f"{packs.group(1)} pack-years")
        stopped = r.stopped.search(sentence) if value == "ex-smoker" else None
        if stopped:
            attributes["stopped"] = stopped.group(1)
            detail.append(f"stopped {stopped.group(1)}")
        display = f"{value} ({', '.join(detail)})" if detail else value
        return [
            make_fact(
                doc, page, m, "smoking_status", value, found_by="history.smoking",
                context="asserted" if ctx == "negated" else ctx, display=display,
                attributes=attributes,
            )
        ]  # fmt: skip
    return []


def _family(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    facts: list[Fact] = []
    none = r.none.search(text)
    if none:
        facts.append(
            make_fact(
                doc, page, none, "family_history", "no relevant family history",
                found_by="history.family.none", context="asserted",
                display=" ".join(none.group(0).split()),
            )
        )  # fmt: skip
    for neg in r.none_of.finditer(text):
        if none and none.start() == neg.start():
            continue  # "no family history of cancer": none at all
        what = " ".join(neg.group("what").split())
        facts.append(
            make_fact(
                doc, page, neg, "family_history", f"no family history of {what}",
                found_by="history.family.none_of", context="asserted",
                display=" ".join(neg.group(0).split()), attributes={"none_of": what},
            )
        )  # fmt: skip
    seen: set[str] = set()
    for m in r.relatives.finditer(text):
        lo, hi = sentence_bounds(text, m.start(), m.end())
        line_end = text.find("\n", m.end())
        if text[m.end() : m.end() + 3].lstrip().startswith(":"):
            # "Mother: breast cancer, diagnosed aged 68": the rest of the line
            hi = max(hi, line_end if line_end != -1 else len(text))
        cond = r.condition.search(text, m.end(), hi)
        if cond is None:
            continue
        between = text[m.end() : cond.start()]
        if r.relatives.search(between):
            continue  # the condition belongs to the next relative named
        if re.search(r"\b(?:no|not|never|negative)\b", between, re.IGNORECASE):
            continue
        relative = " ".join(m.group(1).lower().split())
        condition = " ".join(cond.group(0).split())
        value = f"{relative}: {condition}"
        age = r.age.search(text, cond.end(), min(hi, cond.end() + 40))
        display = f"{value} (aged {age.group(1)})" if age else value
        if value in seen:
            continue
        seen.add(value)
        attributes = {"relative": relative, "condition": condition}
        if age:
            attributes["age"] = age.group(1)  # as written: at diagnosis, or at death
        facts.append(
            make_fact(
                doc, page, (m.start(), (age or cond).end()), "family_history", value,
                found_by="history.family.relative", context="asserted", display=display,
                attributes=attributes,
            )
        )  # fmt: skip
    return facts


def _germline(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    for value, pattern in r.germline:
        m = pattern.search(text)
        if not m:
            continue
        if context_of(text, m.start(), m.end()) in ("family", "possible"):
            continue  # "if she meets the criteria", "whether she meets the criteria"
        lo, hi = sentence_bounds(text, m.start(), m.end())
        return [
            make_fact(
                doc, page, m, "germline_assessment", value,
                found_by="history.germline_assessment", context="asserted",
                display=" ".join(text[lo:hi].split()).strip(" .;") or value,
            )
        ]  # fmt: skip
    return []


def extract(doc: Document) -> list[Fact]:
    r = rules()
    facts: list[Fact] = []
    found: set[str] = set()
    for page in pages(doc):
        for getter in (_menopausal, _smoking, _germline):
            for fact in getter(doc, page, r):
                if fact.kind not in found:  # one statement of each per document
                    found.add(fact.kind)
                    facts.append(fact)
        facts.extend(_family(doc, page, r))
    return facts
