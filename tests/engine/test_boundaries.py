"""Architecture rules that keep the engine usable alone."""

from __future__ import annotations

import ast
from pathlib import Path

from casebridge.engine.kb import fact_kinds
from casebridge.engine.registry import REGISTRY

ENGINE = Path(__file__).resolve().parents[2] / "casebridge" / "engine"


def test_the_engine_never_imports_django():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "django" or n.startswith("django.") for n in names):
                offenders.append(str(path.relative_to(ENGINE)))
    assert offenders == []


def test_every_pipeline_stage_is_registered_with_its_reads_and_writes():
    import casebridge.engine.pipeline as pipeline

    for name in pipeline.DOCUMENT_STAGES + pipeline.CASE_STAGES:
        component = REGISTRY[name]
        assert component.writes, f"{name} declares nothing it writes"
    assert {REGISTRY[n].level for n in pipeline.DOCUMENT_STAGES} == {"document"}
    assert {REGISTRY[n].level for n in pipeline.CASE_STAGES} == {"case"}


def test_every_fact_kind_has_a_label():
    assert all(spec.get("label") for spec in fact_kinds().values())
