"""The promise checker (engine/promises.py) measured on the project's own set of
coordinator-style messages (promise_messages.yaml), English and Chinese: promises of a
guarantee, a cure, acceptance or eligibility, or a certain outcome, and ordinary
messages that only look like them (denials, questions, conditions, logistics, empathy,
safety advice, records' clinical words). The set was written by a helper that never
saw the rules; a third of it (`held`) was kept aside while the rules were tuned on the
rest (`dev`), so the held figures are the ones to trust.

    promise_recall              held promises the checker finds
    promise_false_refusal_rate  held ordinary messages it would refuse
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from casebridge.engine import promises
from casebridge.evaluation import Progress, ratio

SET = "promise_messages.yaml"


def results() -> list[dict[str, Any]]:
    """One row per message: its label and the phrases the checker found."""
    text = resources.files("casebridge.evaluation").joinpath(SET).read_text("utf-8")
    rows = []
    for message in yaml.safe_load(text)["messages"]:
        found = promises.find(str(message["text"]))
        rows.append({**message, "found": [p.phrase for p in found]})
    return rows


def _figures(rows: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang in ("", "en", "zh"):
        some = [r for r in rows if not lang or r["lang"] == lang]
        said = [r for r in some if r["label"] == "promise"]
        ordinary = [r for r in some if r["label"] == "ok"]
        tag = f"_{lang}" if lang else ""
        out[f"promise_recall{tag}{suffix}"] = ratio(sum(1 for r in said if r["found"]), len(said))
        out[f"promise_false_refusal_rate{tag}{suffix}"] = ratio(
            sum(1 for r in ordinary if r["found"]), len(ordinary)
        )
    out[f"promise_messages{suffix}"] = len(rows)
    return out


def evaluate(data_dir: Path | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Held figures and the dev figures beside them. The set ships with the package,
    so `data_dir` is not read."""
    rows = results()
    return {
        **_figures([r for r in rows if r["split"] == "held"], ""),
        **_figures([r for r in rows if r["split"] == "dev"], "_dev"),
    }
