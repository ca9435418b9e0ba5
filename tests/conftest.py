from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def eval_dir() -> Path:
    """The shared evaluation data sits beside the checkout (read, never copied)."""
    return Path(os.environ.get("CASEBRIDGE_EVAL_DATA", REPO.parent / "shared" / "eval"))


@pytest.fixture
def eval_data() -> Path:
    path = eval_dir()
    if not (path / "tcga").is_dir():
        pytest.skip("evaluation data is not beside this checkout")
    return path
