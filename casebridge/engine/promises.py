"""The phrase checker of outgoing text (issue 11, part 6): finds what would be a
promise of a guarantee, a cure, acceptance or eligibility, or a certain outcome,
in English and Chinese. Its words are data (knowledge/promises.yaml, with their
sources). Framework-free: the web's do_send_message blocks a staff message that
has a hit; the review's release shows a clinician's hits for checking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from casebridge.engine import kb

_CJK = re.compile(r"[\u3400-\u9fff]")
_CLAUSE_END = re.compile(r"[.,;:!?\n。，；：！？、]")


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


@cache
def _data() -> tuple[list[_Rule], dict[str, Any]]:
    raw = kb.load("promises")
    rules = []
    for rule in raw["rules"]:
        alternatives = []
        for phrase in sorted([*rule.get("en", []), *rule.get("zh", [])], key=len, reverse=True):
            text = re.escape(str(phrase))
            if not _CJK.search(str(phrase)):  # English: whole words only
                text = (
                    rf"(?<![\w]){text}(?![\w])"
                    if str(phrase)[-1].isalnum()
                    else rf"(?<![\w]){text}"
                )
            alternatives.append(text)
        excepted = (rule.get("except_words") or {}).get("zh", [])
        rules.append(
            _Rule(
                id=str(rule["id"]),
                why_en=str(rule["why"]["en"]),
                why_zh=str(rule["why"]["zh"]),
                pattern=re.compile("|".join(alternatives), re.IGNORECASE),
                except_words=tuple(str(e) for e in excepted),
            )
        )
    return rules, raw["before"]


def _denied_or_asked(text: str, start: int, before: dict[str, Any]) -> bool:
    """A negation or a question word just before the phrase, in its clause."""
    head = text[:start]
    ends = list(_CLAUSE_END.finditer(head))
    clause = head[ends[-1].end() :] if ends else head
    if _CJK.search(text[start : start + 1] or ""):
        window = clause[-int(before["zh_characters"]) :]
        return any(word in window for word in before["zh"])
    words = re.findall(r"[\w']+", clause.lower())[-int(before["en_words"]) :]
    joined = " ".join(words)
    for word in before["en"]:
        if word == "n't":
            if any(w.endswith("n't") for w in words):
                return True
        elif re.search(rf"(?<!\w){re.escape(word)}(?!\w)", joined):
            return True
    return False


def _inside_other_word(text: str, match: re.Match[str], words: tuple[str, ...]) -> bool:
    """Whether the phrase found is part of one of `words` (一定 in 一定要)."""
    phrase = match.group(0)
    for word in words:
        at = word.find(phrase)
        start = match.start() - at
        if at >= 0 and start >= 0 and text[start : start + len(word)] == word:
            return True
    return False


def find(text: str) -> list[Promise]:
    """Every promise in `text`, in the order they occur."""
    rules, before = _data()
    found: list[Promise] = []
    for rule in rules:
        for match in rule.pattern.finditer(text or ""):
            if _inside_other_word(text, match, rule.except_words):
                continue
            if _denied_or_asked(text, match.start(), before):
                continue
            found.append(
                Promise(
                    rule.id, match.group(0), match.start(), match.end(), rule.why_en, rule.why_zh
                )
            )
    return sorted(found, key=lambda p: p.start)


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
