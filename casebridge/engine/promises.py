"""The phrase checker of outgoing text (issue 11, part 6): finds what would be a
promise of a guarantee, a cure, acceptance or eligibility, or a certain outcome,
in English and Chinese. Its words are data (knowledge/promises.yaml, with their
sources). Framework-free: the web's do_send_message blocks a staff message that
has a hit; the review's release shows a clinician's hits for checking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from casebridge.engine import kb
from casebridge.engine.terminology import traditional_map

_CJK = re.compile(r"[\u3400-\u9fff]")
_CLAUSE_END = re.compile(r"[.,;:!?\n。，；：！？、]")
_QUESTION = frozenset("?？")
# English phrases are whole words among ASCII letters and digits (a CJK character
# next to "100%" is a boundary: 治愈率100%).
_EN_BEFORE, _EN_AFTER = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"


@dataclass(frozen=True)
class Promise:
    rule: str
    phrase: str
    start: int
    end: int
    why_en: str
    why_zh: str


@dataclass(frozen=True)
class _Rule:
    id: str
    why_en: str
    why_zh: str
    pattern: re.Pattern[str]
    except_words: tuple[str, ...]
    except_after: re.Pattern[str] | None
    denied_after: bool


@dataclass(frozen=True)
class _Context:
    negations_en: re.Pattern[str]
    negations_zh: tuple[str, ...]
    asked_en: re.Pattern[str]
    asked_zh: tuple[str, ...]
    question_endings_zh: tuple[str, ...]
    not_negations: re.Pattern[str]
    en_words: int
    zh_characters: int
    after_en: re.Pattern[str]
    normalise: dict[int, str]


def _phrase(phrase: str, english: bool) -> str:
    text = phrase[3:] if phrase.startswith("re:") else re.escape(phrase)
    if not english:
        return text
    start = _EN_BEFORE if phrase[:1].isalnum() or phrase.startswith("re:") else ""
    end = _EN_AFTER if phrase[-1:].isalnum() and not phrase.startswith("re:") else ""
    return f"{start}(?:{text}){end}"


def _alternatives(phrases: list[str], english: bool) -> str:
    ordered = sorted((str(p) for p in phrases), key=len, reverse=True)
    return "|".join(_phrase(p, english) for p in ordered)


def _words(words: list[str]) -> re.Pattern[str]:
    ordered = sorted((re.escape(str(w)) for w in words), key=len, reverse=True)
    return re.compile(_EN_BEFORE + "(?:" + "|".join(ordered) + ")" + _EN_AFTER, re.IGNORECASE)


@cache
def _data() -> tuple[list[_Rule], _Context]:
    raw = kb.load("promises")
    rules = []
    for rule in raw["rules"]:
        parts = [
            p
            for p in (
                _alternatives(rule.get("en", []), True),
                _alternatives(rule.get("zh", []), False),
            )
            if p
        ]
        after = rule.get("except_after") or {}
        after_parts = [
            p
            for p in (
                _alternatives(after.get("en", []), True),
                _alternatives(after.get("zh", []), False),
            )
            if p
        ]
        rules.append(
            _Rule(
                id=str(rule["id"]),
                why_en=str(rule["why"]["en"]),
                why_zh=str(rule["why"]["zh"]),
                pattern=re.compile("|".join(parts), re.IGNORECASE),
                except_words=tuple(str(e) for e in (rule.get("except_words") or {}).get("zh", [])),
                except_after=(
                    re.compile(r"\s*(?:" + "|".join(after_parts) + ")", re.IGNORECASE)
                    if after_parts
                    else None
                ),
                denied_after=bool(rule.get("denied_after")),
            )
        )
    before = raw["before"]
    fake = before["not_negations"]
    # Traditional characters to simplified, one for one (the emergency screen's
    # map: knowledge/traditional_zh.yaml), so a hit's place is its place as written
    normalise = dict(traditional_map())
    normalise.update({ord("\u2019"): "'", ord("\u2018"): "'"})
    # full-width ASCII (！？％ and the rest) to half-width: one character each
    normalise.update({code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
    context = _Context(
        negations_en=_words(before["en"]),
        negations_zh=tuple(str(w) for w in before["zh"]),
        asked_en=_words(before["en_asked"]),
        asked_zh=tuple(str(w) for w in before["zh_asked"]),
        question_endings_zh=tuple(str(w) for w in before["zh_question_endings"]),
        not_negations=re.compile(
            "|".join([_alternatives(fake["en"], True), _alternatives(fake["zh"], False)]),
            re.IGNORECASE,
        ),
        en_words=int(before["en_words"]),
        zh_characters=int(before["zh_characters"]),
        after_en=re.compile(str(before["after_en"])[3:], re.IGNORECASE),
        normalise=normalise,
    )
    return rules, context


def _clause_around(text: str, start: int, end: int) -> tuple[str, str, str]:
    """The clause's words before the phrase, after it, and the character that
    ends the clause ("" at the end of the text)."""
    ends = list(_CLAUSE_END.finditer(text, 0, start))
    head = text[ends[-1].end() if ends else 0 : start]
    stop = _CLAUSE_END.search(text, end)
    tail = text[end : stop.start() if stop else len(text)]
    return head, tail, stop.group(0) if stop else ""


def _denied_or_asked(text: str, start: int, end: int, rule: _Rule, c: _Context) -> bool:
    """A negation before the phrase in its clause (or, for a rule that says so,
    right after it), or a clause that is a question or a condition."""
    head, tail, stop = _clause_around(text, start, end)
    if stop in _QUESTION:
        return True
    head = c.not_negations.sub(" ", head)
    if c.asked_en.search(head) or any(w in head for w in c.asked_zh):
        return True
    if any(tail.rstrip().endswith(w) for w in c.question_endings_zh):
        return True
    cjk = bool(_CJK.search(text[start:end]))
    if cjk:
        window = head[-c.zh_characters :]
        if any(w in window for w in c.negations_zh):
            return True
    else:
        words = re.findall(r"[\w']+", head)[-c.en_words :]
        window = " ".join(words)
        if c.negations_en.search(window) or any(w.lower().endswith("n't") for w in words):
            return True
    return rule.denied_after and not cjk and bool(c.after_en.match(tail))


def _inside_other_word(text: str, match: re.Match[str], words: tuple[str, ...]) -> bool:
    """Whether the phrase found is part of one of `words` (保证 in 请保证)."""
    phrase = match.group(0)
    for word in words:
        at = word.find(phrase)
        start = match.start() - at
        if at >= 0 and start >= 0 and text[start : start + len(word)] == word:
            return True
    return False


def normalise(text: str) -> str:
    """Curly apostrophes straight, full-width ASCII half-width, the phrases'
    traditional characters simplified: one character for one, so a hit's
    place is its place in the text as written."""
    return (text or "").translate(_data()[1].normalise)


def find(text: str) -> list[Promise]:
    """Every promise in `text`, in the order they occur; where two overlap
    (保证 in 保证治愈 stays, 一定会 inside 一定会被接收 goes) the first and longest."""
    rules, context = _data()
    plain = normalise(text)
    found: list[Promise] = []
    for rule in rules:
        for match in rule.pattern.finditer(plain):
            if _inside_other_word(plain, match, rule.except_words):
                continue
            if rule.except_after is not None and rule.except_after.match(plain, match.end()):
                continue
            if _denied_or_asked(plain, match.start(), match.end(), rule, context):
                continue
            found.append(
                Promise(
                    rule.id,
                    (text or "")[match.start() : match.end()],
                    match.start(),
                    match.end(),
                    rule.why_en,
                    rule.why_zh,
                )
            )
    kept: list[Promise] = []
    for hit in sorted(found, key=lambda p: (p.start, -(p.end - p.start))):
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def explain(found: list[Promise], lang: str = "en") -> str:
    """One sentence naming each phrase and why it cannot be sent."""
    if lang.startswith("zh"):
        items = "；".join(f"“{p.phrase}”（{p.why_zh}）" for p in found)
        return f"此内容包含平台和工作人员不能作出的承诺：{items}。请改写后再发送。"
    items = "; ".join(f"\u201c{p.phrase}\u201d ({p.why_en})" for p in found)
    return (
        f"This cannot be sent: it reads as a promise neither casebridge nor its staff can make: "
        f"{items}. Please reword it (for example, say what the specialists will look at)."
    )
