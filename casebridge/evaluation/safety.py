"""The emergency screen measured on the project's own note set (safety_notes.yaml).

No public data set covers acute oncology emergencies, so the notes were written for
this from the UKONS triage categories and the NICE texts, in English and Chinese:
emergencies (red or amber) and look-alikes (negated, historical, resolved, family,
hypothetical, leaflet, counselling, normal values, plans, chronic and stable) in about
equal numbers. Every third note is `held_out`: the rules were written and tuned on the
`dev` notes only, so the held-out figures are the ones to trust.

Each note is screened on both paths a case has: as a clinic letter dated the note set's
`today` (the record path) and as the patient's intake `symptoms` (the intake path);
`on_treatment` notes tell the screen the person is on systemic anticancer therapy, as a
case's treatment facts or the intake's on_chemotherapy would.

    safety_recall            held-out emergencies flagged on both paths
    safety_red_recall        held-out red emergencies flagged red on both paths
    safety_false_flag_rate   held-out look-alikes flagged on either path
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from casebridge.engine.case import Case, Document, Page, SafetyFlag
from casebridge.engine.safety import find_flags
from casebridge.evaluation import Progress, ratio

# Sets written at different times by different hands; each keeps its own third aside.
NOTE_FILES = (
    "safety_notes.yaml",
    "safety_notes_2.yaml",
    "safety_notes_3.yaml",
    "safety_notes_4.yaml",
    "safety_notes_5.yaml",
    "safety_notes_6.yaml",
    "safety_notes_7.yaml",
    "safety_notes_8.yaml",
    "safety_notes_9.yaml",
    "safety_notes_10.yaml",
    "safety_notes_11.yaml",
    "safety_notes_12.yaml",
    "safety_notes_13.yaml",
    "safety_notes_14.yaml",
    "safety_notes_15.yaml",
    "safety_notes_16.yaml",
    "safety_notes_17.yaml",
    "safety_notes_18.yaml",
    "safety_notes_19.yaml",
    "safety_notes_20.yaml",
    "safety_notes_21.yaml",
    "safety_notes_22.yaml",
)


def load_notes() -> dict[str, Any]:
    """Every note of every set, each with its set's `today`."""
    notes: list[dict[str, Any]] = []
    for name in NOTE_FILES:
        text = resources.files("casebridge.evaluation").joinpath(name).read_text("utf-8")
        data = yaml.safe_load(text)
        notes += [{**n, "today": str(data["today"]), "set": name} for n in data["notes"]]
    return {"notes": notes}


def _case(note: dict[str, Any], today: str, path: str) -> Case:
    intake: dict[str, Any] = {"today": today, "on_chemotherapy": bool(note.get("on_treatment"))}
    text = str(note["text"])
    if path == "intake":
        intake["symptoms"] = text
        return Case(intake=intake)
    digest = hashlib.sha256(text.encode()).hexdigest()
    doc = Document(
        id=digest[:16],
        file_name=f"{note['id']}.txt",
        sha256=digest,
        size=len(text.encode()),
        media_type="text/plain",
        pages=[Page(1, text, "plain")],
        doc_type="clinic_letter",
        document_date=today,
        language=str(note.get("lang", "en")),
    )
    return Case(documents=[doc], intake=intake)


def screen(note: dict[str, Any], today: str) -> dict[str, list[SafetyFlag]]:
    """The flags of one note on each path."""
    return {path: find_flags(_case(note, today, path)) for path in ("record", "intake")}


def _figures(rows: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    emergencies = [r for r in rows if r["expect"] in ("red", "amber")]
    reds = [r for r in emergencies if r["expect"] == "red"]
    lookalikes = [r for r in rows if r["expect"] == "none"]
    both = sum(1 for r in emergencies if r["record"] and r["intake"])
    red_both = sum(1 for r in reds if "red" in r["record"] and "red" in r["intake"])
    false = sum(1 for r in lookalikes if r["record"] or r["intake"])
    out = {
        f"safety_recall{suffix}": ratio(both, len(emergencies)),
        f"safety_red_recall{suffix}": ratio(red_both, len(reds)),
        f"safety_false_flag_rate{suffix}": ratio(false, len(lookalikes)),
        f"safety_recall_record{suffix}": ratio(
            sum(1 for r in emergencies if r["record"]), len(emergencies)
        ),
        f"safety_recall_intake{suffix}": ratio(
            sum(1 for r in emergencies if r["intake"]), len(emergencies)
        ),
        f"safety_emergencies{suffix}": len(emergencies),
        f"safety_lookalikes{suffix}": len(lookalikes),
    }
    for lang in ("en", "zh"):
        em = [r for r in emergencies if r["lang"] == lang]
        la = [r for r in lookalikes if r["lang"] == lang]
        out[f"safety_recall_{lang}{suffix}"] = ratio(
            sum(1 for r in em if r["record"] and r["intake"]), len(em)
        )
        out[f"safety_false_flag_rate_{lang}{suffix}"] = ratio(
            sum(1 for r in la if r["record"] or r["intake"]), len(la)
        )
    return out


def results(notes: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per note: what was expected and the levels raised on each path."""
    data = notes or load_notes()
    rows = []
    for note in data["notes"]:
        flags = screen(note, str(note.get("today") or data.get("today")))
        rows.append(
            {
                "id": note["id"],
                "set": note.get("set", ""),
                "lang": note.get("lang", "en"),
                "split": note.get("split", "dev"),
                "expect": note["expect"],
                "category": note.get("category", ""),
                "record": sorted({f.level for f in flags["record"]}),
                "intake": sorted({f.level for f in flags["intake"]}),
                "rules": sorted({f.rule for f in flags["record"] + flags["intake"]}),
            }
        )
    return rows


def evaluate(data_dir: Path | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Held-out figures (the ones to report) and the dev figures beside them. The note set
    ships with the package, so `data_dir` is not read."""
    rows = results()
    held = [r for r in rows if r["split"] == "held_out"]
    dev = [r for r in rows if r["split"] == "dev"]
    return {**_figures(held, ""), **_figures(dev, "_dev")}
