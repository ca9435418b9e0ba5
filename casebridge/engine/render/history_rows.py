"""The summary's rows for where the cancer has spread, the patient's background and what
the patient writes.

* Metastatic sites: one row under the diagnosis, each site once (its fullest wording, "bone
  (T9)"), dated by the first record of it; suspected sites marked possible.
* A negative distant staging ("staging CT: no evidence of metastatic disease"), dated, in the
  staging section; a different investigation is a different item.
* Viral serology as the panel reads (knowledge/serology.yaml), never as the disease.
* Background: menopausal status, smoking (pack-years, the year stopped), family history (the
  relative, the condition, the age as written) and the germline testing assessment.
* The patient's own writing (`patient_statement` facts): a section of its own, each passage
  quoted once as written with the kinds it speaks of, never a clinical row. Passages the
  opening block already quotes as the patient's questions, and lines that only date the note,
  are left out.
* Cancer type where no TCGA study names the cancer: the clinical name of a haematolymphoid
  histology (knowledge/haematolymphoid.yaml), which is itself the diagnosis.

In Chinese each value is built from the table's terms (relatives, conditions, readings);
what the table lacks leaves the whole value in English, marked.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from casebridge.engine import kb
from casebridge.engine.case import Fact
from casebridge.engine.currency import document_date_of, fact_date
from casebridge.engine.terminology import Span, categories_for_kind, latin_script, normalise

if TYPE_CHECKING:
    from casebridge.engine.render.summary import Line, Part, _Builder

BACKGROUND_KINDS = ("menopausal_status", "smoking_status", "family_history",
                    "germline_assessment")  # fmt: skip
DOCUMENT_EVENTS = frozenset({"letter", "report"})  # a patient's line that only dates the note
MAX_PASSAGES = 5  # passages of the patient's own writing quoted; more are counted
MAX_ABOUT = 3  # kinds named beside a passage
# the investigation a negative staging statement is read with, as a reviewer names it
_MODALITY = re.compile(
    r"(?i)\b(?P<m>PET[\s/-]?CT|CT|MRI|(?:isotope |nuclear medicine )?bone scan|PET|"
    r"computed tomograph\w*|(?:bone )?scintigra\w*)\b"
)
_STAGING = re.compile(r"(?i)\bstaging\b")
_UK_CANCER = re.compile(r"(?i)\bca\b\.?$")  # "ovarian ca": UK shorthand for cancer


@lru_cache(maxsize=1)
def _haem_diagnoses() -> frozenset[str]:
    """Haematolymphoid entity names that are a malignant diagnosis by themselves."""
    return frozenset(
        normalise(str(e["name"]))
        for e in kb.load("haematolymphoid").get("entities", [])
        if e.get("malignant", True) is not False
    )


# -- values ---------------------------------------------------------------------------------
def value_of(b: _Builder, fact: Fact) -> list[Span] | None:
    """The shown value of a kind this module renders, or None for any other kind."""
    kind = fact.kind
    if kind == "smoking_status":
        return _smoking(b, fact)
    if kind == "family_history":
        return _family(b, fact)
    if kind == "distant_staging":
        return _negative_staging(b, fact)
    if kind == "serology":
        return _serology(b, fact)
    if kind in ("germline_assessment", "menopausal_status"):
        return b.text(fact.value, *categories_for_kind(kind))
    return None


def _smoking(b: _Builder, fact: Fact) -> list[Span]:
    a = fact.attributes
    detail = []
    if a.get("pack_years"):
        detail.append(b.word("heading.pack_years", n=a["pack_years"]))
    if a.get("stopped"):
        detail.append(b.word("heading.stopped_year", year=a["stopped"]))
    spans = b.text(fact.value, *categories_for_kind("smoking_status"))
    if detail:
        spans = [*spans, Span(f" ({('，' if b.zh else ', ').join(detail)})")]
    return spans


def _family(b: _Builder, fact: Fact) -> list[Span]:
    a = fact.attributes
    relative, condition = a.get("relative", ""), a.get("condition", "")
    if a.get("none_of"):  # "no known family history of pancreatic or prostate cancer"
        if not b.zh:
            return [Span(f"no family history of {a['none_of']}")]
        said = _UK_CANCER.sub("cancer", a["none_of"])
        # "pancreatic or prostate cancer" is "pancreatic cancer" or "prostate cancer"
        parts = [x for x in re.split(r"\s*(?:,|\bor\b|\band\b)\s*", said) if x]
        tail = parts[-1].split()[-1] if parts and len(parts[-1].split()) > 1 else ""
        parts = [x if len(x.split()) > 1 or not tail else f"{x} {tail}" for x in parts]
        spans = [Span("无")]
        for i, part in enumerate(parts):
            if i:
                spans.append(Span("或"))
            spans += b.terms.translate(part, categories_for_kind("family_history"))
        return [*spans, Span("家族史")]
    if not relative or not condition:
        return b.text(fact.value, *categories_for_kind("family_history"))
    if not b.zh:
        return [Span(fact.display or fact.value)]
    said = _UK_CANCER.sub("cancer", condition)
    spans = [
        *b.terms.translate(relative, ("relative",)),
        Span("："),
        *b.terms.translate(said, categories_for_kind("family_history")),
    ]
    if a.get("age"):
        spans.append(Span(f" ({b.word('heading.aged', age=a['age'])})"))
    return spans


def investigation(b: _Builder, fact: Fact) -> str:
    """The staging investigation in English ("staging CT", "bone scan", "CT"), from the
    statement's own line; "" when the record names none (a radiology report's conclusion)."""
    if fact.attributes.get("test"):  # a named test, not imaging ("pleural fluid cytology")
        return str(fact.attributes["test"])
    said = str(fact.attributes.get("investigation", ""))
    text = said
    if fact.source is not None:
        page = b._page_text(fact.source)
        if page and 0 <= fact.source.start <= len(page):
            line_lo = page.rfind("\n", 0, fact.source.start) + 1
            line_hi = page.find("\n", fact.source.end)
            text = f"{said} {page[line_lo : line_hi if line_hi != -1 else len(page)]}"
    m = _MODALITY.search(text)
    modality = ""
    if m:
        modality = m.group("m")
        low = modality.lower()
        if low.startswith("computed"):
            modality = "CT"
        elif "bone" in low or low.startswith("scintigra"):
            modality = "bone scan"
        elif low.startswith("pet") and "ct" in low:
            modality = "PET-CT"
        else:
            modality = modality.upper() if len(modality) <= 3 else modality
    staging = bool(_STAGING.search(text))
    if modality and staging:
        return f"staging {modality}"
    return modality or ("staging" if staging else "")


def _negative_staging(b: _Builder, fact: Fact) -> list[Span]:
    """ "staging CT: no evidence of metastatic disease" (the words as written); in Chinese
    the investigation with the table's 无远处转移."""
    what = investigation(b, fact)
    written = " ".join(str(fact.attributes.get("as_written", "")).split()) or fact.value
    if not b.zh:
        return [Span(f"{what}: {written}" if what else written)]
    finding = b.text(fact.value, *categories_for_kind("distant_staging"))
    if not what:
        return finding
    if what == "staging":
        head = [Span(b.word("heading.staging_investigation", what="").strip())]
    else:
        modality = what.removeprefix("staging ")
        named = b.text(modality, "gap_term", "procedure")
        if any(s.untranslated for s in named):
            return [Span(f"{what}: {written}", untranslated=True)]
        shown = "".join(s.text for s in named)
        head = [
            Span(b.word("heading.staging_investigation", what=shown) if what != modality
                 else shown)
        ]  # fmt: skip
    return [*head, Span("："), *finding]


def _serology(b: _Builder, fact: Fact) -> list[Span]:
    """The panel's reading; in Chinese the table's reading, else the markers tested with
    their results ("乙型肝炎血清学：HBsAg 阴性；抗-HBs 阳性")."""
    if not b.zh:
        return [Span(fact.display or fact.value)]
    reading = b.terms.translate(fact.value, categories_for_kind("serology"))
    if not any(s.untranslated for s in reading):
        return reading
    results = str(fact.attributes.get("results", ""))
    virus = _virus_label(fact)
    pieces = []
    for item in [r.strip() for r in results.split(";") if r.strip()]:
        marker, _, result = item.rpartition(" ")
        said = b.terms.translate(result, ("result",))
        if not marker or any(s.untranslated for s in said):
            return [Span(fact.value, untranslated=True)]
        pieces.append(f"{marker.replace('anti-', '抗-')} {''.join(s.text for s in said)}")
    named = b.terms.translate(virus, ("diagnosis",)) if virus else []
    if not pieces or not named or any(s.untranslated for s in named):
        return [Span(fact.value, untranslated=True)]
    text = b.word("heading.serology_of", virus="".join(s.text for s in named),
                  results="；".join(pieces))  # fmt: skip
    return [Span(text)]


def _virus_label(fact: Fact) -> str:
    code = str(fact.attributes.get("virus", ""))
    viruses = kb.load("serology").get("viruses", {})
    entry = viruses.get(code) if isinstance(viruses, dict) else None
    return str(entry.get("label", "")) if isinstance(entry, dict) else ""


def own_date(b: _Builder, fact: Fact) -> str:
    """A negative staging dated by its scan: the imaging date written on its line
    ("Staging CT … on 05/08/2026: no evidence of metastatic disease"); "" otherwise."""
    src = fact.source
    if fact.kind != "distant_staging" or src is None:
        return ""
    if fact.attributes.get("date"):  # the test's own date ("cytology 03/08/2026: ...")
        return str(fact.attributes["date"])
    text = b._page_text(src)
    if not text or not 0 <= src.start <= len(text):
        return ""
    lo = text.rfind("\n", 0, src.start) + 1
    hi = text.find("\n", src.end)
    hi = len(text) if hi == -1 else hi
    for f in b.case.facts:
        s = f.source
        if (f.kind == "event_date" and f.attributes.get("event") == "imaging" and s is not None
                and s.document_id == src.document_id and s.page == src.page
                and lo <= s.start < hi):  # fmt: skip
            return str(f.attributes.get("date") or f.value)
    return ""


def group_key(fact: Fact, b: _Builder) -> str | None:
    """Facts shown as one item, for the kinds whose value alone would merge different
    things: a negative staging per investigation."""
    if fact.kind == "distant_staging":
        return f"{normalise(fact.value)}|{normalise(investigation(b, fact))}|{fact.context}"
    return None


# -- rows -----------------------------------------------------------------------------------
def _clinical(b: _Builder, kind: str, contexts: tuple[str, ...]) -> list[Fact]:
    return [f for f in b.visible(kind, contexts) if f.attributes.get("reported_by") != "patient"]


def _sites(b: _Builder, contexts: tuple[str, ...]) -> list[list[Fact]]:
    """Metastatic sites, one group per site (a site asserted anywhere is asserted), in the
    order first recorded."""
    facts = _clinical(b, "metastatic_site", contexts)
    by: dict[str, list[Fact]] = {}
    for f in facts:
        by.setdefault(normalise(f.value), []).append(f)
    groups = list(by.values())
    return sorted(groups, key=lambda g: (_first(b, g) or "9999", facts.index(g[0])))


def _first(b: _Builder, group: list[Fact]) -> str:
    dates = [d for f in group if (d := fact_date(b.case, f))]
    return min(dates) if dates else ""


def _fullest(group: list[Fact]) -> Fact:
    """The asserted mention with the fullest wording ("bone (T9)" over "bone")."""
    asserted = [f for f in group if f.context == "asserted"] or group
    return max(asserted, key=lambda f: (len(f.display or f.value), -group.index(f)))


def metastatic_line(b: _Builder) -> Line | None:
    """Metastatic sites under the diagnosis: "liver (first recorded 2026-09-03); bone (T9)
    (first recorded 2025-11-07)"; a suspected site is marked possible."""
    from casebridge.engine.render.summary import Line, Part

    parts: list[Part] = []
    for group in _sites(b, ("asserted", "possible", "historical")):
        fact = _fullest(group)
        refs = sorted({n for f in group for n in b.fact_refs(f)})
        spans = b.value(fact)
        note = b.note_for(fact)
        if note:
            spans = [*spans, Span(" ("), *note, Span(")")]
        first = _first(b, group)
        when = (b.word("heading.first_recorded", date=first) if first
                else b.word("heading.date_not_stated"))  # fmt: skip
        parts.append(Part([*spans, Span(f" ({when})")], refs, sep="; " if parts else ""))
    if not parts:
        return None
    return Line([Span(b.word("heading.metastatic_sites"))], parts)


def metastatic_status(b: _Builder) -> list[Part]:
    """For the opening block's current status when the disease is metastatic: the sites a
    clinical record asserts, "metastatic: liver, bone (T9)"."""
    from casebridge.engine.render.summary import Part

    groups = _sites(b, ("asserted",))
    if not groups:
        return []
    shown: list[Span] = []
    refs: list[int] = []
    when = b.date_note([f for g in groups for f in g])
    for group in groups:
        shown += [Span("、" if b.zh else ", ")] if shown else []
        shown += b.value(_fullest(group))
        refs += [n for f in group for n in b.fact_refs(f)]
    if any(s.untranslated for s in shown):
        words = ", ".join(" ".join((_fullest(g).display or _fullest(g).value).split())
                          for g in groups)  # fmt: skip
        head = b.word("heading.metastatic_now", sites="").rstrip()
        return [Part([Span(head), Span(words, untranslated=True), *when], sorted(set(refs)))]
    text = b.word("heading.metastatic_now", sites="".join(s.text for s in shown))
    return [Part([Span(text), *when], sorted(set(refs)))]


def background_lines(b: _Builder) -> list[Line]:
    """Menopausal status, smoking, family history and the germline testing assessment: one
    row each, when a clinical record gives it."""
    lines = []
    for kind in BACKGROUND_KINDS:
        line = b.kind_line(
            kind, key_item=False, facts=_clinical(b, kind, ("asserted", "historical"))
        )
        if line is not None:
            lines.append(line)
    return lines


def cancer_type_from_histology(b: _Builder) -> list[Fact]:
    """The histology facts that name the cancer when no cancer_type fact does (a
    follicular lymphoma or a myeloma has no TCGA study)."""
    names = _haem_diagnoses()
    return [
        replace(
            f, display=f.value[:1].upper() + f.value[1:]
        )  # the name, its grade a row of its own
        for f in _clinical(b, "histology", ("asserted",))
        if normalise(f.value) in names
    ]


def _same_passage(a: str, b: str) -> bool:
    """Two quotations of one passage (the patient extractor quotes each fact's sentence, cut
    with "…"): the shorter one's opening words are in the other."""
    a, b = a.strip("…“” "), b.strip("…“” ")
    short, long_ = sorted((a, b), key=len)
    return short[:40] in long_


def patient_lines(b: _Builder) -> list[Line]:
    """What the patient writes, each passage once, quoted as written with the kinds it
    speaks of and the date of the note; in Chinese the words stay English, marked."""
    from casebridge.engine.render.essentials import patient_questions
    from casebridge.engine.render.summary import Line, Part

    asked: dict[tuple[str, int], list[tuple[int, int]]] = {}
    passages: dict[tuple[str, str], list[Fact]] = {}
    written: dict[str, str] = {}  # the date a note gives itself ("typed … 11/09/2026")
    for fact in b.visible("patient_statement", ("asserted", "historical")):
        a = fact.attributes
        if a.get("about") == "event_date" and a.get("event") in DOCUMENT_EVENTS:
            if fact.source is not None and a.get("date"):
                written.setdefault(fact.source.document_id, str(a["date"]))
            continue
        src = fact.source
        quote = " ".join(str(a.get("quote", "")).split())
        if src is None or not quote:
            continue
        key = (src.document_id, src.page)
        if key not in asked:
            asked[key] = patient_questions(b._page_text(src))
        if any(src.start < end and src.end > start for start, end in asked[key]):
            continue  # quoted by the opening block as the patient's question
        home = next((k for k in passages if k[0] == src.document_id and _same_passage(k[1], quote)),
                    (src.document_id, quote))  # fmt: skip
        passages.setdefault(home, []).append(fact)
    # a passage that only dates an event is the patient's own timeline: counted, not quoted
    kept = {k: v for k, v in passages.items()
            if any(f.attributes.get("about") != "event_date" for f in v)}  # fmt: skip
    lines: list[Line] = []
    for (_doc, quote), facts in list(kept.items())[:MAX_PASSAGES]:
        about = list(dict.fromkeys(str(f.attributes.get("about", "")) for f in facts))
        about = [k for k in about if k and k != "event_date"]
        label: list[Span] = []
        for kind in about[:MAX_ABOUT]:
            label += [Span("、" if b.zh else ", ")] if label else []
            label += b.kind_label(kind)
        if len(about) > MAX_ABOUT:
            label.append(Span("…"))
        refs = sorted({n for f in facts for n in b.fact_refs(f)})
        date = document_date_of(b.case, facts[0]) or written.get(_doc, "")
        when = (b.word("heading.written_on", date=date) if date
                else b.word("heading.date_not_stated"))  # fmt: skip
        spans = [Span(f"“{quote}”", untranslated=b.zh and latin_script(quote)),
                 Span(f"（{when}）" if b.zh else f" ({when})")]  # fmt: skip
        lines.append(Line(label, [Part(spans, refs, sep="")], "note"))
    more = len(passages) - len(lines)
    if more > 0:
        lines.append(Line([], [Part([Span(b.word("heading.more_passages", n=more))], sep="")]))
    return lines
