"""What the patient downloads: the summary (HTML, PDF), the FHIR file and the
letters asking for records. The engine renders them; nothing is re-implemented here."""

from __future__ import annotations

import json
from dataclasses import dataclass

from casebridge.engine.case import Case as EngineCase
from casebridge.engine.render.fhir import to_ips_bundle
from casebridge.engine.render.html import render_html
from casebridge.engine.render.pdf import render_pdf
from casebridge.engine.render.requests import render_requests
from casebridge.engine.render.summary import Wording
from casebridge.web.cases.lib import EngineView, engine_case
from casebridge.web.cases.models import (
    Case,
)
from casebridge.web.portal.lib.documents import page_lang

# -- outputs (the engine renders; never re-implemented here) -------------------------


def summary_html(case: Case, lang: str) -> str:
    return render_html(engine_case(case), lang)


def summary_pdf(case: Case, lang: str) -> bytes:
    return render_pdf(engine_case(case), lang)


def fhir_json(case: Case) -> str:
    return json.dumps(to_ips_bundle(engine_case(case)), ensure_ascii=False, indent=2)


@dataclass
class Letter:
    slug: str
    title: str
    text: str


def request_letters(engine: EngineCase) -> list[Letter]:
    """The ready-to-send letters, with the missing record each asks for."""
    titles = {gap.request_letter: gap.title for gap in engine.gaps if gap.request_letter}
    letters = []
    for name, text in sorted(render_requests(engine).items()):
        slug = name.rsplit("/", 1)[-1].removesuffix(".md")
        letters.append(Letter(slug, titles.get(name, slug), text))
    return letters


def cached_request_letters(view: EngineView) -> list[Letter]:
    """request_letters of a read-only EngineView, rendered once per version of the
    case; in Chinese each is named by its missing record's title as the summary
    words it (the letter itself stays English: it goes to a UK hospital or GP)."""
    letters = view.derived("portal.request_letters", request_letters)
    if page_lang() != "zh":
        return letters

    def chinese(engine: EngineCase) -> list[Letter]:
        words = Wording(engine, "zh")
        titles = {
            gap.title: "".join(s.text for s in words.gap_title(gap))
            for gap in engine.gaps
            if gap.request_letter
        }
        return [Letter(x.slug, titles.get(x.title, x.title), x.text) for x in letters]

    return view.derived("portal.request_letters.zh", chinese)
