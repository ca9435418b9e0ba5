"""`casebridge build` end to end on one example patient, through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from casebridge.cli import main

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lung-egfr"


def test_build_writes_every_output_file_of_an_example(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(EXAMPLE), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    for name in ("case.json", "summary.en.html", "summary.zh.html", "fhir.json", "checklist.md"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for name in ("summary.en.pdf", "summary.zh.pdf"):
        assert (out / name).read_bytes().startswith(b"%PDF"), name
    fhir = json.loads((out / "fhir.json").read_text(encoding="utf-8"))
    assert fhir.get("resourceType") == "Bundle"
    case = json.loads((out / "case.json").read_text(encoding="utf-8"))
    letters = sorted((out / "requests").glob("*.md"))
    assert letters and all(p.stat().st_size > 0 for p in letters)
    assert {g["request_letter"] for g in case["gaps"]} == {f"requests/{p.name}" for p in letters}


def test_build_with_a_corrupt_pdf_exits_3_and_lists_the_reason(tmp_path):
    records = tmp_path / "records"
    shutil.copytree(EXAMPLE, records)
    (records / "broken scan.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(records), "--out", str(out), "--quiet"])
    assert result.exit_code == 3, result.output
    assert "broken scan.pdf" in result.output
    case = json.loads((out / "case.json").read_text(encoding="utf-8"))
    broken = [d for d in case["documents"] if d["file_name"] == "broken scan.pdf"]
    assert broken and broken[0]["status"] == "needs_attention" and broken[0]["problems"]
    assert broken[0]["problems"][0] in result.output
