"""Writes a case pack to a folder: case.json, the bilingual summaries, FHIR,
the checklist and the draft request letters."""

from __future__ import annotations

import json
from pathlib import Path

from casebridge.engine.case import Case
from casebridge.engine.render.checklist import render_checklist
from casebridge.engine.render.fhir import to_ips_bundle
from casebridge.engine.render.html import render_html
from casebridge.engine.render.pdf import render_pdf
from casebridge.engine.render.requests import render_requests

LANGS = ("en", "zh")


def case_json(case: Case) -> str:
    return json.dumps(case.to_dict(), ensure_ascii=False, indent=2)


def write_pack(case: Case, out_dir: Path) -> list[Path]:
    """Write every output of the case; returns the paths written, in order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, content: str | bytes) -> None:
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        written.append(path)

    put("case.json", case_json(case))
    for lang in LANGS:
        put(f"summary.{lang}.html", render_html(case, lang))
        put(f"summary.{lang}.pdf", render_pdf(case, lang))
    put("fhir.json", json.dumps(to_ips_bundle(case), ensure_ascii=False, indent=2))
    put("checklist.md", render_checklist(case))
    requests_dir = out_dir / "requests"
    if requests_dir.is_dir():  # letters of an earlier run may no longer apply
        for old in requests_dir.glob("*.md"):
            old.unlink()
    for name, letter in sorted(render_requests(case).items()):
        put(name, letter)
    return written
