"""The directory of China medical directions (knowledge/directions.yaml): hospitals and
departments a coordinator may suggest for a case, loaded and checked.

The file is operator data, edited by administrators (the console will call `validate_text`
on an edited file before it is saved), and nothing in it is a promise of a review, a
treatment or an outcome. Checking it here keeps a bad edit from reaching the matcher
(engine/match.py): every key an entry names must exist, every cancer type must be one the
facts can hold (fact_kinds.yaml), every haematolymphoid name one the extractor writes
(haematolymphoid.yaml), every source an https address with the date it was read, and a
field nobody has documented stays null rather than guessed.

Each problem names the entry and the field, e.g.
``directions[3] (sphic): sources[0].url: 'http://…' is not an https address``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from casebridge.engine.case import PROGRAMMES
from casebridge.engine.errors import CasebridgeError
from casebridge.engine.kb import KNOWLEDGE_DIR, fact_kinds, load

__all__ = [
    "DEFAULT_PATH",
    "Bilingual",
    "ConditionGroup",
    "Direction",
    "Directory",
    "DirectoryError",
    "International",
    "Source",
    "load_directions",
    "validate_data",
    "validate_text",
]

DEFAULT_PATH = KNOWLEDGE_DIR / "directions.yaml"

_TOP_KEYS = frozenset({"version", "condition_groups", "capabilities", "disciplines", "directions"})
_GROUP_KEYS = frozenset({"label", "programme", "cancer_types", "haem", "terms"})
_DIRECTION_KEYS = frozenset(
    {
        "id",
        "hospital",
        "department",
        "city",
        "programmes",
        "conditions",
        "capabilities",
        "mdt",
        "international",
        "remote_review",
        "typical_review_days",
        "sources",
        "verified",
        "notes",
    }
)
_REQUIRED_DIRECTION_KEYS = _DIRECTION_KEYS - {"notes"}
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_KEY = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANGUAGE = re.compile(r"[a-z]{2}")  # ISO 639-1
_CJK = re.compile(r"[\u3400-\u9fff]")
_HTTPS = re.compile(r"https://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?")


class DirectoryError(CasebridgeError):
    """The directory file is malformed; the message lists every problem found."""

    code = "E004"


@dataclass(frozen=True)
class Bilingual:
    en: str
    zh: str


@dataclass(frozen=True)
class ConditionGroup:
    """What a department serves, as the case's facts say it."""

    key: str
    label: Bilingual
    programme: str
    cancer_types: tuple[str, ...]  # TCGA study codes (fact kind cancer_type)
    haem: tuple[str, ...]  # haematolymphoid.yaml entity names
    terms: tuple[str, ...]  # regexes over a diagnosis text or the patient's words


@dataclass(frozen=True)
class Source:
    url: str
    title: str
    accessed: date


@dataclass(frozen=True)
class International:
    service: bool | None  # None: not documented publicly
    languages: tuple[str, ...] | None  # ISO 639-1; None: not documented publicly


@dataclass(frozen=True)
class Direction:
    id: str
    hospital: Bilingual
    department: Bilingual
    city: Bilingual
    programmes: tuple[str, ...]
    conditions: tuple[str, ...]
    capabilities: tuple[str, ...]
    mdt: tuple[str, ...]
    international: International
    remote_review: bool | None
    typical_review_days: int | None
    sources: tuple[Source, ...]
    verified: date
    notes: str | None


@dataclass(frozen=True)
class Directory:
    """The whole file once it has been checked. Iterating it yields its directions."""

    version: int
    condition_groups: dict[str, ConditionGroup]
    capabilities: dict[str, Bilingual]
    disciplines: dict[str, Bilingual]
    directions: tuple[Direction, ...]

    def __iter__(self) -> Iterator[Direction]:
        return iter(self.directions)

    def __len__(self) -> int:
        return len(self.directions)

    def get(self, direction_id: str) -> Direction | None:
        return next((d for d in self.directions if d.id == direction_id), None)

    def for_programme(self, programme: str) -> list[Direction]:
        return [d for d in self.directions if programme in d.programmes]


class _TextDates(yaml.SafeLoader):
    """A safe loader that leaves dates as the text written: `2026-02-30` would otherwise
    make PyYAML raise on the whole file instead of giving a problem named by its entry."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# ---------------------------------------------------------------- public entry points
def validate_text(text: str, today: date | None = None) -> list[str]:
    """Every problem of a directory given as YAML text (an administrator's edit); [] when
    it can be saved."""
    try:
        data = yaml.load(text, Loader=_TextDates)  # noqa: S506  # nosec B506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return [f"the text is not YAML{where}: {getattr(exc, 'problem', None) or exc}"]
    return validate_data(data, today)


def validate_data(data: Any, today: date | None = None) -> list[str]:
    """Every problem of a directory already parsed (dates as ISO text or date objects)."""
    problems: list[str] = []
    _check(data, today or date.today(), problems)
    return problems


def load_directions(path: Path | str | None = None, today: date | None = None) -> Directory:
    """The packaged directory (or the file at `path`), checked; raises DirectoryError
    naming every problem."""
    if path is None:
        return _packaged(today or date.today())
    return _load(Path(path), today or date.today())


@lru_cache(maxsize=4)
def _packaged(today: date) -> Directory:
    return _load(DEFAULT_PATH, today)


def _load(path: Path, today: date) -> Directory:
    text = path.read_text(encoding="utf-8")
    problems = validate_text(text, today)
    if problems:
        listed = "\n  ".join(problems)
        raise DirectoryError(f"{path.name}: {len(problems)} problem(s):\n  {listed}")
    data = yaml.load(text, Loader=_TextDates)  # noqa: S506  # nosec B506 - a SafeLoader subclass
    return _build(data)


# ---------------------------------------------------------------- reference data
@lru_cache(maxsize=1)
def _cancer_types() -> frozenset[str]:
    return frozenset(str(v) for v in fact_kinds()["cancer_type"]["values"])


@lru_cache(maxsize=1)
def _haem_names() -> frozenset[str]:
    return frozenset(str(e["name"]) for e in load("haematolymphoid")["entities"])


# ---------------------------------------------------------------- checks
def _check(data: Any, today: date, problems: list[str]) -> None:
    if not isinstance(data, dict):
        problems.append("the file must be a mapping with version, condition_groups, "
                        "capabilities, disciplines and directions")  # fmt: skip
        return
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(f"{key}: unknown top-level key")
    if not isinstance(data.get("version"), int) or isinstance(data.get("version"), bool):
        problems.append(f"version: must be a whole number, not {data.get('version')!r}")
    groups = _mapping(data, "condition_groups", problems)
    caps = _mapping(data, "capabilities", problems)
    disciplines = _mapping(data, "disciplines", problems)
    for key, group in groups.items():
        _check_group(f"condition_groups.{key}", key, group, problems)
    for section, entries in (("capabilities", caps), ("disciplines", disciplines)):
        for key, entry in entries.items():
            where = f"{section}.{key}"
            _check_key(where, key, problems)
            _check_bilingual(where, entry, problems, extra={"terms"})
            if isinstance(entry, dict) and "terms" in entry:
                _check_terms(f"{where}.terms", entry["terms"], problems)
    directions = data.get("directions")
    if not isinstance(directions, list) or not directions:
        problems.append("directions: must be a non-empty list")
        return
    seen: set[str] = set()
    for i, entry in enumerate(directions):
        _check_direction(i, entry, groups, caps, disciplines, seen, today, problems)


def _mapping(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        problems.append(f"{key}: must be a non-empty mapping")
        return {}
    return value


def _check_key(where: str, key: Any, problems: list[str]) -> None:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        problems.append(f"{where}: key {key!r} must be lower-case words joined by _")


def _check_bilingual(
    where: str, value: Any, problems: list[str], extra: set[str] | None = None
) -> None:
    """A name in English and Simplified Chinese: both present, the Chinese one in Chinese
    characters (an English name pasted into zh is the usual slip)."""
    if not isinstance(value, dict):
        problems.append(f"{where}: must be {{en: …, zh: …}}, not {value!r}")
        return
    for key in sorted(set(value) - {"en", "zh"} - (extra or set())):
        problems.append(f"{where}: unknown key {key!r}")
    en, zh = value.get("en"), value.get("zh")
    if not isinstance(en, str) or not en.strip():
        problems.append(f"{where}.en: the English name is missing")
    if not isinstance(zh, str) or not zh.strip():
        problems.append(f"{where}.zh: the Chinese name is missing")
    elif not _CJK.search(zh):
        problems.append(f"{where}.zh: {zh!r} has no Chinese characters")


def _check_terms(where: str, terms: Any, problems: list[str]) -> None:
    if not isinstance(terms, list) or not all(isinstance(t, str) and t for t in terms):
        problems.append(f"{where}: must be a list of words or regexes")
        return
    for t in terms:
        if t != t.lower():
            problems.append(f"{where}: {t!r} must be lower case (matching ignores case)")
        try:
            re.compile(t)
        except re.error as exc:
            problems.append(f"{where}: {t!r} is not a valid regex ({exc})")


def _check_group(where: str, key: Any, group: Any, problems: list[str]) -> None:
    _check_key(where, key, problems)
    if not isinstance(group, dict):
        problems.append(f"{where}: must be a mapping")
        return
    for k in sorted(set(group) - _GROUP_KEYS):
        problems.append(f"{where}: unknown key {k!r}")
    _check_bilingual(f"{where}.label", group.get("label"), problems)
    if group.get("programme") not in PROGRAMMES:
        problems.append(
            f"{where}.programme: {group.get('programme')!r} is not one of {', '.join(PROGRAMMES)}"
        )
    for code in _strings(f"{where}.cancer_types", group.get("cancer_types"), problems):
        if code not in _cancer_types():
            problems.append(
                f"{where}.cancer_types: {code!r} is not a cancer_type value of fact_kinds.yaml"
            )
    for name in _strings(f"{where}.haem", group.get("haem"), problems):
        if name not in _haem_names():
            problems.append(f"{where}.haem: {name!r} is not an entity name of haematolymphoid.yaml")
    if "terms" in group:
        _check_terms(f"{where}.terms", group["terms"], problems)
    if not (group.get("cancer_types") or group.get("haem") or group.get("terms")):
        problems.append(f"{where}: names no cancer_types, haem or terms, so nothing can match it")


def _strings(where: str, value: Any, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: must be a list of names")
        return []
    return list(value)


def _check_direction(
    i: int,
    entry: Any,
    groups: dict[str, Any],
    caps: dict[str, Any],
    disciplines: dict[str, Any],
    seen: set[str],
    today: date,
    problems: list[str],
) -> None:
    if not isinstance(entry, dict):
        problems.append(f"directions[{i}]: must be a mapping")
        return
    ident = entry.get("id")
    where = f"directions[{i}] ({ident})" if isinstance(ident, str) else f"directions[{i}]"
    if not isinstance(ident, str) or not _SLUG.fullmatch(ident):
        problems.append(f"{where}: id {ident!r} must be a lower-case slug (hospital-department)")
    elif ident in seen:
        problems.append(f"{where}: id {ident!r} is used by an earlier entry")
    else:
        seen.add(ident)
    for key in sorted(_REQUIRED_DIRECTION_KEYS - set(entry)):
        problems.append(f"{where}: {key}: missing (write null when it is not documented)")
    for key in sorted(set(entry) - _DIRECTION_KEYS):
        problems.append(f"{where}: {key}: unknown field")
    for field in ("hospital", "department", "city"):
        if field in entry:
            _check_bilingual(f"{where}: {field}", entry[field], problems)
    programmes = _strings(f"{where}: programmes", entry.get("programmes"), problems)
    if "programmes" in entry and not programmes:
        problems.append(f"{where}: programmes: must name at least one programme")
    for p in programmes:
        if p not in PROGRAMMES:
            problems.append(f"{where}: programmes: {p!r} is not one of {', '.join(PROGRAMMES)}")
    for key in _strings(f"{where}: conditions", entry.get("conditions"), problems):
        if key not in groups:
            problems.append(f"{where}: conditions: unknown condition group {key!r}")
        elif isinstance(groups[key], dict) and groups[key].get("programme") not in programmes:
            problems.append(
                f"{where}: conditions: {key!r} belongs to programme "
                f"{groups[key].get('programme')!r}, which this entry does not list"
            )
    for field, known, name in (
        ("capabilities", caps, "capability"),
        ("mdt", disciplines, "discipline"),
    ):
        for key in _strings(f"{where}: {field}", entry.get(field), problems):
            if key not in known:
                problems.append(f"{where}: {field}: unknown {name} {key!r}")
    _check_international(where, entry.get("international"), "international" in entry, problems)
    if entry.get("remote_review") not in (True, False, None):
        problems.append(f"{where}: remote_review: must be true, false or null")
    days = entry.get("typical_review_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days <= 0):
        problems.append(
            f"{where}: typical_review_days: must be a positive whole number or null, not {days!r}"
        )
    verified = _date(f"{where}: verified", entry.get("verified"), today, problems)
    _check_sources(where, entry.get("sources"), verified, today, problems)
    notes = entry.get("notes")
    if notes is not None and (not isinstance(notes, str) or "\n" in notes.strip()):
        problems.append(f"{where}: notes: must be one line of text")


def _check_international(where: str, value: Any, present: bool, problems: list[str]) -> None:
    if not present:
        return
    if not isinstance(value, dict):
        problems.append(f"{where}: international: must be {{service: …, languages: …}}")
        return
    for key in sorted(set(value) - {"service", "languages"}):
        problems.append(f"{where}: international: unknown key {key!r}")
    if value.get("service") not in (True, False, None):
        problems.append(f"{where}: international.service: must be true, false or null")
    languages = value.get("languages")
    if languages is None:
        return
    if not isinstance(languages, list) or not languages:
        problems.append(
            f"{where}: international.languages: must be a list of ISO 639-1 codes or null"
        )
        return
    for code in languages:
        if not isinstance(code, str) or not _LANGUAGE.fullmatch(code):
            problems.append(
                f"{where}: international.languages: {code!r} is not an ISO 639-1 code (en, zh)"
            )


def _date(where: str, value: Any, today: date, problems: list[str]) -> date | None:
    """An ISO date (YYYY-MM-DD) that exists and is not in the future."""
    if isinstance(value, date):
        parsed: date | None = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        problems.append(f"{where}: {value!r} is not a real date written YYYY-MM-DD")
        return None
    if parsed > today:
        problems.append(f"{where}: {parsed.isoformat()} is in the future")
    return parsed


def _check_sources(
    where: str, sources: Any, verified: date | None, today: date, problems: list[str]
) -> None:
    if not isinstance(sources, list) or not sources:
        problems.append(f"{where}: sources: at least one public source is needed")
        return
    for j, s in enumerate(sources):
        at = f"{where}: sources[{j}]"
        if not isinstance(s, dict):
            problems.append(f"{at}: must be {{url: …, title: …, accessed: …}}")
            continue
        for key in sorted(set(s) - {"url", "title", "accessed"}):
            problems.append(f"{at}: unknown key {key!r}")
        url = s.get("url")
        if not isinstance(url, str) or not _HTTPS.fullmatch(url):
            problems.append(f"{at}.url: {url!r} is not an https address")
        if not isinstance(s.get("title"), str) or not s["title"].strip():
            problems.append(f"{at}.title: missing")
        accessed = _date(f"{at}.accessed", s.get("accessed"), today, problems)
        if accessed and verified and accessed > verified:
            problems.append(
                f"{at}.accessed: {accessed.isoformat()} is after the entry was verified "
                f"({verified.isoformat()})"
            )


# ---------------------------------------------------------------- building
def _bi(value: dict[str, Any]) -> Bilingual:
    return Bilingual(en=str(value["en"]), zh=str(value["zh"]))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _build(data: dict[str, Any]) -> Directory:
    groups = {
        key: ConditionGroup(
            key=key,
            label=_bi(g["label"]),
            programme=str(g["programme"]),
            cancer_types=tuple(g.get("cancer_types") or ()),
            haem=tuple(g.get("haem") or ()),
            terms=tuple(g.get("terms") or ()),
        )
        for key, g in data["condition_groups"].items()
    }
    directions = []
    for d in data["directions"]:
        intl = d["international"] or {}
        languages = intl.get("languages")
        directions.append(
            Direction(
                id=d["id"],
                hospital=_bi(d["hospital"]),
                department=_bi(d["department"]),
                city=_bi(d["city"]),
                programmes=tuple(d["programmes"]),
                conditions=tuple(d["conditions"] or ()),
                capabilities=tuple(d["capabilities"] or ()),
                mdt=tuple(d["mdt"] or ()),
                international=International(
                    service=intl.get("service"),
                    languages=tuple(languages) if languages is not None else None,
                ),
                remote_review=d["remote_review"],
                typical_review_days=d["typical_review_days"],
                sources=tuple(
                    Source(url=s["url"], title=s["title"], accessed=_as_date(s["accessed"]))
                    for s in d["sources"]
                ),
                verified=_as_date(d["verified"]),
                notes=d.get("notes"),
            )
        )
    return Directory(
        version=int(data["version"]),
        condition_groups=groups,
        capabilities={k: _bi(v) for k, v in data["capabilities"].items()},
        disciplines={k: _bi(v) for k, v in data["disciplines"].items()},
        directions=tuple(directions),
    )
