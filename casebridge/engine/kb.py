"""Loads the clinical knowledge files in engine/knowledge/ (YAML or JSON), cached."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

KNOWLEDGE_DIR = Path(__file__).parent / "knowledge"


@cache
def load(name: str) -> Any:
    """load("fact_kinds") reads knowledge/fact_kinds.yaml (or .yml / .json);
    a name may include a sub-folder: load("checklists/oncology")."""
    for suffix in (".yaml", ".yml", ".json"):
        path = KNOWLEDGE_DIR / f"{name}{suffix}"
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                if suffix == ".json":
                    return json.load(fh)
                return yaml.safe_load(fh)
    raise FileNotFoundError(f"E003: no knowledge file named {name!r} in {KNOWLEDGE_DIR}")


def fact_kinds() -> dict[str, dict[str, Any]]:
    kinds: dict[str, dict[str, Any]] = load("fact_kinds")["kinds"]
    return kinds
