"""Results an MDT decides on that the other readers do not name (knowledge/mdt_results.yaml).

Myeloma FISH cytogenetics, one fact per abnormality as tested ("t(4;14) not detected", never a
widened "no high-risk cytogenetics"), the paraprotein type (IgG kappa), the R-ISS stage, BCMA
expression; ovarian HRD status and genomic instability score; the DPYD genotype before a
fluoropyrimidine; a negative serous-fluid cytology (part of the FIGO stage); intolerances
listed under their own heading (an AllergyIntolerance of type intolerance); the later values
of a tumour marker's series, each with its own date. The sources are in the knowledge file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from casebridge.engine.case import Document, Fact, Page
from casebridge.engine.extract.context import alternation, context_of
from casebridge.engine.extract.dates import date_at, find_dates
from casebridge.engine.extract.spans import make_fact, pages
from casebridge.engine.kb import load

_CLAUSE_END = re.compile(r"[;.](?!\d)")


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace(" ", r"\s+"), re.IGNORECASE)


@dataclass(frozen=True)
class _Rules:
    fish: tuple[tuple[str, re.Pattern[str]], ...]
    fish_result: tuple[tuple[str, re.Pattern[str]], ...]
    paraprotein: re.Pattern[str]
    riss: re.Pattern[str]
    expression: tuple[tuple[str, re.Pattern[str]], ...]
    hrd: re.Pattern[str]
    gis: re.Pattern[str]
    dpyd_negative: re.Pattern[str]
    dpyd_positive: re.Pattern[str]
    cytology: re.Pattern[str]
    cytology_negative: re.Pattern[str]
    intolerance: re.Pattern[str]
    series: re.Pattern[str]
    lab_name: dict[str, str]
    lab_units: dict[str, list[str]]


@lru_cache(maxsize=1)
def rules() -> _Rules:
    data: dict[str, Any] = load("mdt_results")
    labs: dict[str, Any] = load("labs")
    lab_name: dict[str, str] = {}
    lab_units: dict[str, list[str]] = {}
    for entry in labs.get("labs", []):
        for alias in entry.get("aliases", []):
            lab_name[str(alias).lower()] = str(entry["name"])
        lab_units[str(entry["name"])] = [str(u) for u in entry.get("units", [])]
    return _Rules(
        fish=tuple(
            (str(a["name"]), re.compile("(?<![\\w(])(?:" + "|".join(a["written"]) + ")", re.I))
            for a in data["fish_abnormalities"]
        ),
        fish_result=tuple(
            (str(v), re.compile(r"^[\s:,\-]*(?:was\s+|is\s+)?(?:" + alternation(w) + r")\b", re.I))
            for v, w in data["fish_results"].items()
        ),
        paraprotein=re.compile(data["paraprotein"], re.IGNORECASE),
        riss=re.compile(data["riss"]),
        expression=tuple(
            (
                str(name),
                re.compile(r"\b(?:" + alternation(w) + r")\b(?![\-\s]*(?:directed|targeted))"),
            )
            for name, w in data["expression_markers"].items()
        ),
        hrd=re.compile(data["hrd_status"], re.IGNORECASE),
        gis=re.compile(data["gis"], re.IGNORECASE),
        dpyd_negative=re.compile(data["dpyd_negative"], re.IGNORECASE),
        dpyd_positive=re.compile(data["dpyd_positive"], re.IGNORECASE),
        cytology=re.compile(data["fluid_cytology"], re.IGNORECASE),
        cytology_negative=re.compile(alternation(data["cytology_negative"]), re.IGNORECASE),
        intolerance=re.compile(data["intolerance_heading"], re.IGNORECASE),
        series=re.compile(
            r"(?<![\w\-])(" + alternation(data["series_markers"]) + r")(?![\w\-])", re.IGNORECASE
        ),
        lab_name=lab_name,
        lab_units=lab_units,
    )


def _dated(attributes: dict[str, str], text: str, lo: int, hi: int) -> dict[str, str]:
    """The first date written in text[lo:hi] (the test's own date), if any."""
    found = find_dates(text, lo, hi)
    if found:
        attributes["date"] = found[0].iso
        attributes["date_precision"] = found[0].precision
    return attributes


def _line(text: str, pos: int) -> tuple[int, int]:
    lo = text.rfind("\n", 0, pos) + 1
    hi = text.find("\n", pos)
    return lo, len(text) if hi == -1 else hi


def _fish(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    facts: list[Fact] = []
    for m in re.finditer(r"\b(?:FISH|cytogenetics|iFISH)\b", text, re.IGNORECASE):
        # the statement runs to the end of its sentence (a wrapped line continues it)
        stop = re.compile(r"\.(?:\s|$)|\n\s*\n|\n\s*\d+\.\s").search(text, m.end())
        hi = stop.start() if stop else len(text)
        head_lo, _ = _line(text, m.start())
        date = _dated({}, text, m.start(), min(hi, m.end() + 30))
        for name, pat in r.fish:
            for a in pat.finditer(text, m.end(), hi):
                rest = text[a.end() : hi]
                clause = rest[: (c.start() if (c := _CLAUSE_END.search(rest)) else len(rest))]
                clause = " ".join(clause.split())
                value = next((v for v, rp in r.fish_result if rp.match(clause)), None)
                if value is None:
                    continue
                facts.append(
                    make_fact(
                        doc,
                        page,
                        (a.start(), a.end()),
                        "other_biomarker",
                        value,
                        found_by="mdt_results.fish",
                        context="asserted"
                        if context_of(text, a.start(), a.end()) == "negated"
                        else None,
                        display=f"FISH {name} {value}",
                        attributes={"marker": f"FISH {name}", "method": "FISH", **date},
                    )
                )
                break
        if facts:
            break
    return facts


def _myeloma(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    facts: list[Fact] = []
    if re.search(r"\bmyeloma\b", text, re.IGNORECASE):
        pp = r.paraprotein.search(text)
        if pp:
            light = {"κ": "kappa", "λ": "lambda"}.get(pp.group(2), pp.group(2).lower())
            value = f"{pp.group(1)[:2]}{pp.group(1)[2:].upper()} {light}"
            facts.append(
                make_fact(
                    doc,
                    page,
                    pp,
                    "other_biomarker",
                    value,
                    found_by="mdt_results.paraprotein",
                    display=f"paraprotein type {value}",
                    attributes={"marker": "paraprotein type"},
                )
            )
    for m in r.riss.finditer(text):
        stage = {"1": "I", "2": "II", "3": "III"}.get(m.group(1), m.group(1))
        _lo, hi = _line(text, m.start())
        attrs = {"system": "R-ISS", "method": "explicit"}
        if re.search(r"\bat\s+diagnosis\b", text[m.end() : hi], re.IGNORECASE):
            attrs["time_point"] = "diagnosis"
            line_lo, _ = _line(text, m.start())
            diagnosed = re.search(r"\bdiagnosed\b", text[line_lo : m.start()], re.IGNORECASE)
            if diagnosed:  # "myeloma, diagnosed 03/2020 (R-ISS II at diagnosis)"
                _dated(attrs, text, line_lo + diagnosed.end(), m.start())
        facts.append(
            make_fact(
                doc,
                page,
                m,
                "stage_group",
                f"R-ISS {stage}",
                found_by="mdt_results.riss",
                display=f"R-ISS stage {stage}",
                attributes=attrs,
            )
        )
        break
    for name, pat in r.expression:
        for m in pat.finditer(text):
            after = text[m.end() : m.end() + 40]
            res = re.match(
                r"\s*(?:expression\s*)?[:\-]?\s*(not\s+expressed|expressed|positive|negative|"
                r"not\s+detected|detected)\b",
                after,
                re.IGNORECASE,
            )
            if not res:
                continue
            said = " ".join(res.group(1).lower().split())
            value = (
                "negative"
                if said in ("not expressed", "negative", "not detected")
                else ("positive")
            )
            lo, _hi = _line(text, m.start())
            method = (
                "flow cytometry"
                if re.search(r"flow", text[max(lo, m.start() - 60) : m.start()], re.I)
                else ""
            )
            facts.append(
                make_fact(
                    doc,
                    page,
                    (m.start(), m.end() + res.end()),
                    "other_biomarker",
                    value,
                    found_by="mdt_results.expression",
                    display=f"{name} {said}",
                    attributes={"marker": name, "as_written": said}
                    | ({"method": method} if method else {}),
                )
            )
            break
    return facts


def _ovarian_hrd(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    facts: list[Fact] = []
    m = r.hrd.search(text)
    if m:
        said = (m.group(1) or m.group(2) or "").lower()
        value = "positive" if said in ("positive", "detected", "deficient") else "negative"
        facts.append(
            make_fact(
                doc,
                page,
                m,
                "other_biomarker",
                value,
                found_by="mdt_results.hrd",
                display=f"HRD {value}",
                attributes={"marker": "HRD"},
            )
        )
    g = r.gis.search(text)
    if g:
        facts.append(
            make_fact(
                doc,
                page,
                g,
                "other_biomarker",
                g.group(1),
                found_by="mdt_results.gis",
                display=f"genomic instability score {g.group(1)}",
                attributes={"marker": "genomic instability score", "score": g.group(1)},
            )
        )
    return facts


def _dpyd(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    neg = r.dpyd_negative.search(text)
    pos = r.dpyd_positive.search(text)
    m = neg or pos
    if m is None:
        return []
    attrs = _dated({"marker": "DPYD"}, text, m.start(), m.start(1))
    if neg is not None:
        value = "no variant detected"
        tested = re.match(r"\s*\(([^)]{3,200})\)", text[neg.end() :])
        if tested:
            listed = re.findall(r"c\.\d+(?:\+\d+)?[ACGT]>[ACGT]", tested.group(1))
            if listed:
                attrs["tested"] = ", ".join(listed)
    else:
        value = f"{m.group(1).lower()} {m.group(2)}"
    display = f"DPYD {value}" + (f" ({attrs['tested']} tested)" if "tested" in attrs else "")
    return [
        make_fact(
            doc,
            page,
            m,
            "other_biomarker",
            value,
            found_by="mdt_results.dpyd",
            context="asserted",
            display=display,
            attributes=attrs,
        )
    ]


def _cytology(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    facts: list[Fact] = []
    for m in r.cytology.finditer(text):
        window = text[m.end() : m.end() + 60]
        neg = r.cytology_negative.search(window)
        if neg is None:
            continue
        written = " ".join(neg.group(0).split())
        if written == "no malignant cells":
            tail = re.match(r"\s+(seen|identified)\b", window[neg.end() :])
            written += f" {tail.group(1)}" if tail else ""
        fluid = m.group(1).lower()
        attrs = _dated(
            {"as_written": written, "test": f"{fluid} fluid cytology"},
            text,
            m.end(),
            m.end() + neg.start(),
        )
        facts.append(
            make_fact(
                doc,
                page,
                (m.start(), m.end() + neg.end()),
                "distant_staging",
                "no malignant cells",
                found_by="mdt_results.cytology",
                context="asserted",
                display=f"{fluid} fluid cytology: {written}",
                attributes=attrs,
            )
        )
    return facts


def _intolerances(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    text = page.text
    facts: list[Fact] = []
    for m in r.intolerance.finditer(text):
        line_lo, hi = _line(text, m.end())
        before = text[line_lo : m.start()].strip()
        if before and not before.endswith((".", ";")):
            continue  # "lactose intolerance: mild" names a condition, not a list heading
        stop = re.search(r"\.(?:\s|$)", text[m.end() : hi])
        listed = text[m.end() : m.end() + (stop.start() if stop else hi - m.end())]
        pos = m.end()
        for item in re.split(r"[;,](?![^(]*\))", listed):
            start = pos + (len(item) - len(item.lstrip()))
            pos += len(item) + 1
            item = item.strip()
            if not item or re.fullmatch(r"(?i)none|nil|no known.*", item):
                continue
            paren = re.match(r"(.+?)\s*\(([^)]+)\)\s*$", item)
            agent = (paren.group(1) if paren else item).strip().lower()
            attrs = {"type": "intolerance"}
            if paren:
                attrs["reaction"] = paren.group(2).strip()
            facts.append(
                make_fact(
                    doc,
                    page,
                    (start, start + len(item)),
                    "allergy",
                    agent,
                    found_by="mdt_results.intolerance",
                    context="asserted",
                    display=f"{agent} (intolerance)",
                    attributes=attrs,
                )
            )
    return facts


def _series(doc: Document, page: Page, r: _Rules) -> list[Fact]:
    """The later values of "MARKER v1 unit (date1), v2 unit (date2), ...": the first value is
    the lab reader's; each later one becomes its own dated result."""
    text = page.text
    facts: list[Fact] = []
    for m in r.series.finditer(text):
        name = r.lab_name.get(" ".join(m.group(1).lower().split()))
        if name is None:
            continue
        units = "|".join(re.escape(u) for u in sorted(r.lab_units.get(name, []), key=len)[::-1])
        if not units:
            continue
        item = re.compile(r"\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(" + units + r")\s*\(")
        pos = m.end()
        first = item.match(text, pos)
        if first is None:
            continue
        d = date_at(text, first.end())
        if d is None:
            continue
        pos = text.find(")", d.end) + 1
        while pos > 0:
            sep = re.match(r"\s*,\s*", text[pos:])
            if not sep:
                break
            nxt = item.match(text, pos + sep.end())
            if nxt is None:
                break
            d = date_at(text, nxt.end())
            close = text.find(")", d.end) if d is not None else -1
            if d is None or close == -1:
                break
            number = nxt.group(1).replace(",", "")
            unit = nxt.group(2)
            facts.append(
                make_fact(
                    doc,
                    page,
                    (nxt.start(1), nxt.end(2)),
                    "lab",
                    f"{name} {number} {unit}",
                    found_by="mdt_results.series",
                    context="asserted",
                    display=f"{name} {number} {unit}",
                    attributes={
                        "analyte": name,
                        "value": number,
                        "unit": unit,
                        "date": d.iso,
                        "date_precision": d.precision,
                        "series": "yes",
                    },
                )
            )
            pos = close + 1
    return facts


def extract(doc: Document) -> list[Fact]:
    r = rules()
    facts: list[Fact] = []
    for page in pages(doc):
        for reader in (_fish, _myeloma, _ovarian_hrd, _dpyd, _cytology, _intolerances, _series):
            facts.extend(reader(doc, page, r))
    return facts
