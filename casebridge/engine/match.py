"""Matching a case to China medical directions, explained (issue 11, part 2).

Reads the case's facts, gaps and intake and the operator's directory
(knowledge/directions.yaml); writes nothing. For each direction it says, in plain words and
in both languages, which recorded facts matched which of its conditions and capabilities,
what the patient asked for (goals, language, city) and how the direction meets it, and what
is still missing before that department could review (the case's own gaps). It proposes the
MDT disciplines from the facts (knowledge/mdt_disciplines.yaml). The coordinator chooses;
nothing here is a promise of eligibility, a review or an outcome.

Ranking is a plain sum a coordinator can check by eye: each condition group matched 3, each
capability the case asks for and the direction lists 2 (one it does not list -1), the
patient's language offered 1, remote review before travel 1, a city the patient named 1. A
direction whose programme is not the case's, or whose conditions exclude the case's
diagnosis, is not ranked and is listed with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Case, Fact
from casebridge.engine.kb import load
from casebridge.engine.terminology import categories_for_kind, table, translate
from casebridge.engine.terminology import label as term_label

__all__ = ["Reason", "Match", "Ranking", "rank", "propose_disciplines"]

# Facts in these contexts say nothing about the patient's own disease.
_NOT_THE_PATIENT = {"negated", "family", "historical_family"}
_INTAKE_WORDS = ("goals", "questions", "diagnosis_own_words", "current_status", "symptoms")
_SEVERITY_ORDER = {"essential": 0, "important": 1, "helpful": 2}


@dataclass
class Reason:
    """One line of an explanation, in both languages, with the facts it rests on."""

    en: str
    zh: str
    facts: list[str] = field(default_factory=list)  # fact ids
    # the same for the patient: their words, no file or page references ("" when
    # a line is for the coordinator alone)
    plain_en: str = ""
    plain_zh: str = ""


@dataclass
class Match:
    direction: dict[str, Any]
    score: int
    matched: list[Reason]  # which facts matched which condition or capability
    asked: list[Reason]  # what the patient asked for, and how this direction meets it
    not_offered: list[Reason]  # what the case asks for that the direction does not list
    missing: list[Reason]  # what is still missing before it could review

    @property
    def id(self) -> str:
        return str(self.direction["id"])


@dataclass
class Ranking:
    case_id: str
    programme: str
    disciplines: list[tuple[str, Reason]]  # proposed MDT: discipline key, why
    matches: list[Match]  # best first
    not_ranked: list[tuple[dict[str, Any], Reason]]  # direction, why not

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: what `casebridge match --json` prints and the console stores."""

        def reasons(items: list[Reason]) -> list[dict[str, Any]]:
            return [
                {
                    "en": r.en,
                    "zh": r.zh,
                    "facts": r.facts,
                    **({"plain": {"en": r.plain_en, "zh": r.plain_zh}} if r.plain_en else {}),
                }
                for r in items
            ]

        return {
            "case_id": self.case_id,
            "programme": self.programme,
            "disciplines": [{"key": k, **reasons([r])[0]} for k, r in self.disciplines],
            "matches": [
                {
                    "id": m.id,
                    "score": m.score,
                    "hospital": m.direction.get("hospital"),
                    "department": m.direction.get("department"),
                    "city": m.direction.get("city"),
                    "matched": reasons(m.matched),
                    "asked": reasons(m.asked),
                    "not_offered": reasons(m.not_offered),
                    "missing": reasons(m.missing),
                    "sources": m.direction.get("sources") or [],
                    "verified": str(m.direction.get("verified") or ""),
                }
                for m in self.matches
            ],
            "not_ranked": [
                {
                    "id": d.get("id"),
                    "name": f"{(d.get('department') or {}).get('en', '')}, "
                    f"{(d.get('hospital') or {}).get('en', '')}",
                    **reasons([r])[0],
                }
                for d, r in self.not_ranked
            ],
        }


@lru_cache(maxsize=1)
def _directory() -> dict[str, Any]:
    data: dict[str, Any] = load("directions")
    return data


@lru_cache(maxsize=1)
def _discipline_rules() -> dict[str, Any]:
    data: dict[str, Any] = load("mdt_disciplines")
    return data


@lru_cache(maxsize=1)
def _haem_names() -> frozenset[str]:
    return frozenset(str(e["name"]).lower() for e in load("haematolymphoid")["entities"])


# ---------------------------------------------------------------- what the case holds
@dataclass
class _Profile:
    programme: str
    facts: list[Fact]
    cancer_types: dict[str, Fact]  # TCGA code -> first fact
    haem: dict[str, Fact]  # haematolymphoid entity name -> first fact
    responses: dict[str, Fact]
    kinds: dict[str, Fact]  # fact kind -> first fact of it
    words: str  # diagnosis facts and the patient's own words, for term rules
    language: str
    cities: list[str]


def _profile(case: Case) -> _Profile:
    own = [f for f in case.facts if f.context not in _NOT_THE_PATIENT and f.value]
    cancer_types: dict[str, Fact] = {}
    haem: dict[str, Fact] = {}
    responses: dict[str, Fact] = {}
    kinds: dict[str, Fact] = {}
    for f in own:
        kinds.setdefault(f.kind, f)
        if f.kind == "cancer_type":
            cancer_types.setdefault(f.value, f)
        elif f.kind == "histology" and f.value.lower() in _haem_names():
            haem.setdefault(f.value.lower(), f)
        elif f.kind == "response":
            responses.setdefault(f.value.lower(), f)
    intake = case.intake or {}
    said = [str(intake.get(k) or "") for k in _INTAKE_WORDS]
    diagnoses = [f.display for f in own if f.kind in ("diagnosis", "histology", "comorbidity")]
    cities = intake.get("cities") or intake.get("preferred_cities") or []
    if isinstance(cities, str):
        cities = [c.strip() for c in re.split(r"[,，、]", cities) if c.strip()]
    language = str(intake.get("preferred_language") or intake.get("language") or "")
    return _Profile(
        programme=case.programme,
        facts=own,
        cancer_types=cancer_types,
        haem=haem,
        responses=responses,
        kinds=kinds,
        words="\n".join(diagnoses + said),
        language=language.split("-")[0].lower(),
        cities=[str(c) for c in cities],
    )


def _is_haem(p: _Profile) -> bool:
    studies = set(_discipline_rules().get("haem_studies") or [])
    return bool(p.haem) or any(code in studies for code in p.cancer_types)


def _is_solid(p: _Profile) -> bool:
    studies = set(_discipline_rules().get("haem_studies") or [])
    return any(code not in studies for code in p.cancer_types)


def _words_match(patterns: list[str], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        m = re.search(pattern, text, re.IGNORECASE)
        if m:
            return m
    return None


# ---------------------------------------------------------------- disciplines
def propose_disciplines(
    case: Case, directory: dict[str, Any] | None = None
) -> list[tuple[str, Reason]]:
    """The MDT disciplines the facts call for, each once, with the first reason."""
    p = _profile(case)
    names = (directory or _directory()).get("disciplines") or {}
    out: dict[str, Reason] = {}
    for rule in _discipline_rules()["rules"]:
        facts = _rule_facts(rule, p)
        if facts is None:
            continue
        why = rule["why"]
        for key in rule["disciplines"]:
            if key in out:
                continue
            label = names.get(key, {"en": key, "zh": key})
            out[key] = Reason(
                en=f"{label['en']}: {why['en']}", zh=f"{label['zh']}：{why['zh']}", facts=facts
            )
    return list(out.items())


def _rule_facts(rule: dict[str, Any], p: _Profile) -> list[str] | None:
    """The fact ids a discipline rule rests on when it applies, else None."""
    facts: list[str] = []
    if "programme" in rule and rule["programme"] != p.programme:
        return None
    if rule.get("solid") and not _is_solid(p):
        return None
    if rule.get("solid"):
        facts += [f.id for f in p.cancer_types.values()][:1]
    if rule.get("haem"):
        if not _is_haem(p):
            return None
        facts += [f.id for f in [*p.haem.values(), *p.cancer_types.values()]][:1]
    if "responses" in rule:
        hits = [p.responses[r] for r in rule["responses"] if r in p.responses]
        if not hits:
            return None
        facts.append(hits[0].id)
    if "kinds" in rule:
        hits = [p.kinds[k] for k in rule["kinds"] if k in p.kinds]
        if not hits:
            return None
        facts.append(hits[0].id)
    if "words" in rule and _words_match(rule["words"], p.words) is None:
        return None
    return facts


# ---------------------------------------------------------------- conditions, needs
def _condition_hit(group_key: str, p: _Profile, directory: dict[str, Any]) -> Reason | None:
    """Why the case's diagnosis falls in a condition group."""
    group = (directory.get("condition_groups") or {}).get(group_key)
    if group is None:
        return None
    label = group.get("label") or {"en": group_key, "zh": group_key}
    for code in group.get("cancer_types") or []:
        if code in p.cancer_types:
            f = p.cancer_types[code]
            return _fact_reason(f, label)
    for name in group.get("haem") or []:
        if str(name).lower() in p.haem:
            f = p.haem[str(name).lower()]
            return _fact_reason(f, label)
    m = _words_match([str(t) for t in group.get("terms") or []], p.words)
    if m:
        return Reason(
            en=f'"{m.group(0)}" in the records or the patient\'s words → serves {label["en"]}',
            zh=f"记录或患者描述中的“{m.group(0)}” → 诊治{label['zh']}",
            **_serves_plain(label),
        )
    return None


def _zh(f: Fact) -> str:
    """A fact's wording in Chinese from the terminology table; English left marked [EN]."""
    spans = translate(f.display or f.value, *categories_for_kind(f.kind))
    text = "".join(s.text for s in spans)
    return text + (" [EN]" if any(s.untranslated and s.text.strip() for s in spans) else "")


def _fact_reason(f: Fact, label: dict[str, str]) -> Reason:
    where = f.source.ref() if f.source else "entered by a person"
    return Reason(
        en=f"{f.display or f.value} ({where}) → serves {label['en']}",
        zh=f"{_zh(f)}（{where}）→ 诊治{label['zh']}",
        facts=[f.id],
        **_serves_plain(label),
    )


def _serves_plain(label: dict[str, str]) -> dict[str, Any]:
    return {
        "plain_en": f"It looks after {label['en'].lower()}, which your records describe.",
        "plain_zh": f"该科室诊治{label['zh']}，与您病历中的情况相关。",
    }


def _needs(p: _Profile, directory: dict[str, Any]) -> dict[str, Reason]:
    """Capabilities the case asks for: named in the records (CAR-T, transplant) or in the
    patient's words (any capability's label or terms)."""
    caps = directory.get("capabilities") or {}
    out: dict[str, Reason] = {}
    by_kind = {"cellular_therapy": "car_t", "transplant": "stem_cell_transplant"}
    for kind, key in by_kind.items():
        if kind in p.kinds and key in caps:
            f = p.kinds[kind]
            where = f.source.ref() if f.source else "entered by a person"
            out[key] = Reason(
                en=f"the records discuss {f.display} ({where})",
                zh=f"记录中讨论了{_zh(f)}（{where}）",
                facts=[f.id],
            )
    intake_words = p.words
    for key, cap in caps.items():
        if key in out:
            continue
        terms = [str(t) for t in cap.get("terms") or []]
        terms += [re.escape(str(cap["en"]))] if cap.get("en") else []
        terms += [re.escape(str(cap["zh"]))] if cap.get("zh") else []
        m = _words_match(terms, intake_words)
        if m:
            out[key] = Reason(
                en=f'the patient or the records ask about "{m.group(0)}"',
                zh=f"患者或记录提到“{m.group(0)}”",
            )
    return out


# ---------------------------------------------------------------- ranking
def rank(case: Case, directory: dict[str, Any] | None = None) -> Ranking:
    """Every direction of the directory (the packaged one unless given: an edited one, a
    test's), ranked for this case, each explained."""
    directory = directory or _directory()
    p = _profile(case)
    caps = directory.get("capabilities") or {}
    needs = _needs(p, directory)
    missing = _missing(case)
    matches: list[Match] = []
    not_ranked: list[tuple[dict[str, Any], Reason]] = []
    for d in directory.get("directions") or []:
        if p.programme not in (d.get("programmes") or []):
            served = [str(x) for x in d.get("programmes") or []]
            not_ranked.append(
                (
                    d,
                    Reason(
                        en=f"serves {', '.join(served)}, not {p.programme}",
                        zh=f"服务项目为{'、'.join(term_label(f'programme.{x}', 'zh') for x in served)}，"
                        f"不是{term_label(f'programme.{p.programme}', 'zh')}",
                    ),
                )
            )
            continue
        score = 0
        matched: list[Reason] = []
        for key in d.get("conditions") or []:
            hit = _condition_hit(str(key), p, directory)
            if hit:
                matched.append(hit)
                score += 3
        if d.get("conditions") and not matched and (p.cancer_types or p.haem):
            not_ranked.append((d, _outside(d, p, directory)))
            continue
        asked: list[Reason] = []
        not_offered: list[Reason] = []
        offered = set(d.get("capabilities") or [])
        for key, why in needs.items():
            label = caps.get(key, {"en": key, "zh": key})
            if key in offered:
                score += 2
                matched.append(
                    Reason(
                        en=f"{why.en} → offers {label['en']}",
                        zh=f"{why.zh} → 提供{label['zh']}",
                        facts=why.facts,
                        plain_en=f"It lists {label['en']}, which you or your records mention.",
                        plain_zh=f"该科室列有{label['zh']}，您或您的病历中提到了这一点。",
                    )
                )
            else:
                score -= 1
                not_offered.append(
                    Reason(
                        en=f"does not list {label['en']} ({why.en})",
                        zh=f"未列出{label['zh']}（{why.zh}）",
                        facts=why.facts,
                    )
                )
        score += _asked(d, p, asked)
        matches.append(Match(d, score, matched, asked, not_offered, missing))
    matches.sort(key=lambda m: (-m.score, m.id))
    disciplines = propose_disciplines(case, directory)
    return Ranking(case.case_id, p.programme, disciplines, matches, not_ranked)


def _outside(d: dict[str, Any], p: _Profile, directory: dict[str, Any]) -> Reason:
    groups = directory.get("condition_groups") or {}
    served = [groups.get(k, {}).get("label", {"en": k, "zh": k}) for k in d.get("conditions") or []]
    facts = [*p.cancer_types.values(), *p.haem.values()]
    # one wording per diagnosis: the cancer type and the histology often say the same
    shown = ", ".join(
        sorted({(f.display or f.value).lower(): f.display or f.value for f in facts}.values())
    )
    shown_zh = "、".join(sorted({_zh(f).lower(): _zh(f) for f in facts}.values()))
    return Reason(
        en=f"serves {', '.join(s['en'] for s in served)}; the records say {shown}",
        zh=f"诊治{'、'.join(s['zh'] for s in served)}；记录显示为{shown_zh}",
        facts=[f.id for f in facts][:3],
    )


def _asked(d: dict[str, Any], p: _Profile, asked: list[Reason]) -> int:
    score = 0
    international = d.get("international") or {}
    languages = [str(x) for x in international.get("languages") or []]
    if p.language:
        if p.language in languages:
            score += 1
            name = _LANGUAGE_NAMES.get(p.language, {"en": p.language, "zh": p.language})
            asked.append(
                Reason(
                    en=f"you asked for {p.language}: offered",
                    zh=f"您希望使用{p.language}：可提供",
                    plain_en=f"You asked for {name['en']}: it says it can work in it.",
                    plain_zh=f"您希望使用{name['zh']}：该科室表示可以提供。",
                )
            )
        else:
            known = ", ".join(languages) if languages else "not stated publicly"
            name = _LANGUAGE_NAMES.get(p.language, {"en": p.language, "zh": p.language})
            asked.append(
                Reason(
                    en=f"you asked for {p.language}: languages {known}",
                    zh=f"您希望使用{p.language}：语言{known if languages else '未公开说明'}",
                    plain_en=f"You asked for {name['en']}: it does not say publicly that it "
                    "offers it. Your coordinator can ask.",
                    plain_zh=f"您希望使用{name['zh']}：该科室未公开说明可以提供，您的协调员可以询问。",
                )
            )
    city = d.get("city") or {}
    for wanted in p.cities:
        if wanted.lower() in (str(city.get("en", "")).lower(), str(city.get("zh", ""))):
            score += 1
            asked.append(
                Reason(
                    en=f"in {city.get('en')}, as you asked",
                    zh=f"位于{city.get('zh')}，符合您的选择",
                    plain_en=f"It is in {city.get('en')}, as you asked.",
                    plain_zh=f"该科室位于{city.get('zh')}，符合您的选择。",
                )
            )
    remote = d.get("remote_review")
    if remote is True:
        score += 1
        asked.append(
            Reason(
                en="reviews records remotely before any travel",
                zh="可在出行前远程审阅病历",
                plain_en="It can look at your records from a distance, before any travel.",
                plain_zh="该科室可在您出行之前远程查看您的病历。",
            )
        )
    elif remote is None:
        asked.append(
            Reason(
                en="whether it reviews records remotely is not stated publicly",
                zh="是否可远程审阅病历未公开说明",
                plain_en="It does not say publicly whether it looks at records from a distance. "
                "Your coordinator can ask.",
                plain_zh="该科室未公开说明是否可以远程查看病历，您的协调员可以询问。",
            )
        )
    return score


# The languages a patient may ask for, named for them (ISO 639-1 codes, as the
# intake and the directory hold them).
_LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {"en": "English", "zh": "英语"},
    "zh": {"en": "Chinese", "zh": "中文"},
    "cy": {"en": "Welsh", "zh": "威尔士语"},
    "ar": {"en": "Arabic", "zh": "阿拉伯语"},
    "ur": {"en": "Urdu", "zh": "乌尔都语"},
    "pl": {"en": "Polish", "zh": "波兰语"},
    "fr": {"en": "French", "zh": "法语"},
    "de": {"en": "German", "zh": "德语"},
    "es": {"en": "Spanish", "zh": "西班牙语"},
    "ru": {"en": "Russian", "zh": "俄语"},
}


def _missing(case: Case) -> list[Reason]:
    """The case's gaps, most needed first: what a department would ask for first."""
    terms = table()
    out = []
    for gap in sorted(case.gaps, key=lambda g: _SEVERITY_ORDER.get(g.severity, 3)):
        if gap.severity == "helpful":
            continue
        term = terms.by_key(f"gap_id.{gap.id}")
        zh = term.zh if term is not None and term.en == gap.title else f"{gap.title} [EN]"
        out.append(Reason(en=f"{gap.title} ({gap.severity})", zh=zh))
    return out
