"""The portal's curated wording, loaded from YAML data files in content/:
red-flag questions, consent texts, guidance. English and Simplified Chinese."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils import translation

CONTENT_DIR = Path(__file__).parent / "content"


@cache
def load(name: str) -> Any:
    with (CONTENT_DIR / f"{name}.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def current_lang() -> str:
    """'zh' when the page is in Chinese, else 'en' (the content files' keys)."""
    return "zh" if (translation.get_language() or "").lower().startswith("zh") else "en"


def pick(texts: dict[str, Any], lang: str | None = None) -> Any:
    lang = lang or current_lang()
    return texts.get(lang) or texts["en"]


@dataclass(frozen=True)
class RedFlagQuestion:
    id: str
    text: str


def red_flag_questions(lang: str | None = None) -> list[RedFlagQuestion]:
    return [RedFlagQuestion(q["id"], pick(q, lang)) for q in load("red_flags")["questions"]]


def red_flag_ids() -> list[str]:
    return [q["id"] for q in load("red_flags")["questions"]]


def red_flag_advice(lang: str | None = None) -> dict[str, str]:
    data = load("red_flags")
    return {
        "advice": pick(data["advice"], lang),
        "paused": pick(data["paused"], lang),
        "amber": pick(data["amber"], lang),
        "message_paused": pick(data["message_paused"], lang),
    }


@dataclass(frozen=True)
class ConsentText:
    kind: str
    version: str
    title: str
    text: str
    lang: str
    dated: str = ""  # ISO day this version's wording was written, "" when not known


# A folded YAML text joins its lines with a space: none belongs after Chinese
# punctuation (it read "。 文件").
_SPACE_AFTER_CHINESE_STOP = re.compile(r"(?<=[。；：，！？」）])[ \t\n]+")


def _unfolded(text: str, lang: str) -> str:
    return _SPACE_AFTER_CHINESE_STOP.sub("", text) if lang == "zh" else text


def consent_text(kind: str, lang: str | None = None) -> ConsentText:
    lang = lang or current_lang()
    entry = load("consents")[kind]
    return ConsentText(
        kind,
        entry["version"],
        pick(entry["title"], lang),
        _unfolded(pick(entry["text"], lang), lang),
        lang,
        consent_dated(kind, entry["version"]),
    )


def consent_dated(kind: str, version: str) -> str:
    """The ISO day the wording `version` of a consent was written, or ""."""
    entry = load("consents").get(kind) or {}
    return str((entry.get("dated") or {}).get(version, ""))


@dataclass(frozen=True)
class Guidance:
    id: str
    title: str
    body: list[str]


def guidance_topics(lang: str | None = None) -> list[Guidance]:
    return [
        Guidance(t["id"], pick(t["title"], lang), list(pick(t["body"], lang)))
        for t in load("guidance")["topics"]
    ]


def guidance_for(step: str, lang: str | None = None, patient: str = "") -> list[Guidance]:
    """The guidance shown beside a step of the journey. `patient` is the
    patient's first name when someone else reads the page (a relative): a topic
    with a `relative` wording then speaks of the patient's records, not "your"
    records, which would tell a son that the records are his."""
    topics = load("guidance")["topics"]
    shown = []
    for t in topics:
        if step not in t.get("steps", []):
            continue
        words = t.get("relative") if patient else None
        if words:
            title = pick(words["title"], lang).replace("{name}", patient)
            body = [line.replace("{name}", patient) for line in pick(words["body"], lang)]
            shown.append(Guidance(t["id"], title, body))
        else:
            shown.append(Guidance(t["id"], pick(t["title"], lang), list(pick(t["body"], lang))))
    return shown


@dataclass(frozen=True)
class LegalSection:
    heading: str
    body: list[str]


@dataclass(frozen=True)
class LegalPage:
    """The privacy notice or the terms of use (content/legal.yaml)."""

    version: str
    title: str
    intro: str
    sections: list[LegalSection]
    reviewed: bool  # False: still the template, to be reviewed by the operator
    dated: str = ""  # ISO day this version's wording was written, "" when not known


def legal_page(name: str, values: dict[str, str], lang: str | None = None) -> LegalPage:
    """`name` is "privacy" or "terms"; `values` fill {operator}, {contact} and the
    retention periods."""
    data = load("legal")
    entry = data[name]

    def fill(text: str) -> str:
        starts_with_value = text.startswith("{")
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        return text[:1].upper() + text[1:] if starts_with_value else text

    return LegalPage(
        version=entry["version"],
        title=pick(entry["title"], lang),
        intro=fill(pick(entry["intro"], lang)),
        sections=[
            LegalSection(fill(pick(s["heading"], lang)), [fill(p) for p in pick(s["body"], lang)])
            for s in entry["sections"]
        ],
        reviewed=bool(data.get("reviewed")),
        dated=str((entry.get("dated") or {}).get(entry["version"], "")),
    )
