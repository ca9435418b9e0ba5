"""Extraction speed: casebridge against medspaCy on the same TCGA reports, one core.

    python -m benchmarks.bench_extract [--data ../shared/eval] [--reports 300] [--rounds 3]

Three contestants run in alternating rounds in the same process, so machine
noise hits them alike; the figure that matters is the ratio:
- casebridge: classify + every extractor + identifiers (everything the engine extracts);
- medspaCy stock: medspacy.load() (PyRuSH sentences, target matcher, ConText);
- medspaCy lean: spaCy sentencizer + target matcher + ConText,
  both given target rules for the same concept families (TNM, receptors, histology).
medspaCy is an optional dependency: `pip install -e .[bench]`.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_reports(data: Path, limit: int) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    with (data / "tcga" / "reports_kefeli_t14.csv").open(encoding="utf-8") as fh:
        return [row["text"] for _, row in zip(range(limit), csv.DictReader(fh), strict=False)]


def casebridge_runner() -> Callable[[str], int]:
    from casebridge.engine.case import Case, Document, Page
    from casebridge.engine.classify import classify
    from casebridge.engine.extract import extract_document
    from casebridge.engine.extract.identifiers import find_identifiers

    case = Case()

    def run(text: str) -> int:
        doc = Document(
            id="b", file_name="r.txt", sha256="b", size=len(text), pages=[Page(1, text, "plain")]
        )
        classify(case, doc)
        return len(extract_document(doc)) + len(find_identifiers(doc))

    return run


TARGET_RULES = [
    ("pT", "TNM", r"p?T[0-4][a-d]?"),
    ("pN", "TNM", r"p?N[0-3][a-c]?"),
    ("ER", "RECEPTOR", r"(?i)estrogen|oestrogen|ER"),
    ("PR", "RECEPTOR", r"(?i)progesterone|PR"),
    ("HER2", "RECEPTOR", r"(?i)her-?2(/neu)?"),
    ("carcinoma", "HISTOLOGY", r"(?i)\w*carcinoma"),
    ("adenocarcinoma", "HISTOLOGY", r"(?i)adenocarcinoma"),
    ("lymph node", "NODES", r"(?i)lymph"),
]


def medspacy_runner(lean: bool) -> Callable[[str], int]:
    import medspacy
    import spacy
    from medspacy.target_matcher import TargetRule

    try:  # PyRuSH logs every sentence boundary at DEBUG through loguru
        from loguru import logger

        logger.remove()
        logger.add(sys.stderr, level="WARNING")
    except ImportError:
        pass
    if lean:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("medspacy_target_matcher")
        nlp.add_pipe("medspacy_context")
    else:
        nlp = medspacy.load()
    matcher = nlp.get_pipe("medspacy_target_matcher")
    matcher.add(
        [TargetRule(lit, cat, pattern=[{"TEXT": {"REGEX": rx}}]) for lit, cat, rx in TARGET_RULES]
    )

    def run(text: str) -> int:
        return len(nlp(text).ents)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "eval")
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    texts = load_reports(args.data, args.reports)
    contestants: dict[str, Callable[[str], int]] = {"casebridge": casebridge_runner()}
    try:
        contestants["medspacy_stock"] = medspacy_runner(lean=False)
        contestants["medspacy_lean"] = medspacy_runner(lean=True)
    except ImportError:
        print(
            "medspaCy is not installed (pip install -e .[bench]): casebridge alone", file=sys.stderr
        )
    for run in contestants.values():  # warm caches and compiled rules
        run(texts[0])
    seconds = dict.fromkeys(contestants, 0.0)
    for _ in range(args.rounds):
        for name, run in contestants.items():
            started = time.perf_counter()
            for text in texts:
                run(text)
            seconds[name] += time.perf_counter() - started
    rates = {name: args.rounds * len(texts) / s for name, s in seconds.items()}
    print(f"{len(texts)} TCGA reports x {args.rounds} rounds, one core")
    for name, rate in rates.items():
        print(f"  {name:<16} {rate:8.1f} reports/s")
    for other in ("medspacy_stock", "medspacy_lean"):
        if other in rates:
            print(f"  casebridge / {other}: {rates['casebridge'] / rates[other]:.2f}x")


if __name__ == "__main__":
    main()
