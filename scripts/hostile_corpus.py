"""A corpus of malformed and hostile files, and a run of every one through ingestion.

    .venv/bin/python scripts/hostile_corpus.py --run [--count 10000] [--seed 1]

Generates the files (deterministic from the seed; kinds in scripts/hostile_kinds.py)
into a temporary folder that is removed afterwards (`--keep DIR` keeps them in DIR),
then reads each one as the web worker does: in a child process under the worker's CPU,
memory and wall-clock limits (casebridge/web/cases/reader.py's read_document, the whole
engine after ingest included). Reports per kind how many files were processed, need a
person's attention, hit the catch-all of ingest ("an unexpected problem": an exception
ingest did not foresee), or crashed (an exception escaping the reader, or a child killed
by a signal that is not one of the limits); exit status 1 when any file crashed, hit the
catch-all, or needs attention without a reason.

Without --run it only writes the files (`--keep DIR` then required).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hostile_kinds import KINDS  # noqa: E402

from casebridge.web.cases.reader import ReaderError, ReadLimits, read_document  # noqa: E402

# The reason ingest gives when its catch-all caught an exception: a parser fault to fix.
UNEXPECTED = "could not be read because of an unexpected problem"
VERDICTS = ("processed", "needs-attention", "unexpected", "crashed")


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str


def plan(count: int) -> list[str]:
    """The kind of each of `count` files, in the shares of KINDS (every kind at least once)."""
    total = sum(share for _maker, share in KINDS.values())
    counts = {name: max(1, round(count * share / total)) for name, (_m, share) in KINDS.items()}
    biggest = max(counts, key=lambda name: counts[name])
    counts[biggest] += count - sum(counts.values())
    return [name for name, n in counts.items() for _ in range(n)]


def generate(seed: int, count: int, folder: Path) -> list[Entry]:
    """Write `count` files into `folder`. The same seed and count give the same bytes: each
    file has its own generator, seeded by the seed, its kind and its number."""
    entries = []
    for index, kind in enumerate(plan(count)):
        maker, _share = KINDS[kind]
        data, ext = maker(random.Random(f"{seed}:{kind}:{index}"))
        path = folder / f"{index:05d}-{kind}.{ext}"
        path.write_bytes(data)
        entries.append(Entry(path, kind))
    return entries


@dataclass
class Result:
    entry: Entry
    verdict: str
    seconds: float
    reasons: list[str] = field(default_factory=list)
    detail: str = ""


def read_one(entry: Entry, limits: ReadLimits) -> Result:
    data = entry.path.read_bytes()
    started = time.monotonic()
    try:
        outcome = read_document(
            data, entry.path.name, programme="oncology", known=[], limits=limits
        )
    except ReaderError as error:  # an exception escaped the child
        return Result(entry, "crashed", time.monotonic() - started, detail=str(error))
    seconds = time.monotonic() - started
    if outcome.limit == "crash":  # killed by a signal that is not one of the limits
        return Result(entry, "crashed", seconds, [outcome.reason], "killed by a signal")
    if outcome.limit:
        return Result(entry, "needs-attention", seconds, [outcome.reason], f"limit {outcome.limit}")
    if not outcome.documents:
        return Result(entry, "crashed", seconds, detail="no document came back (dropped)")
    reasons = [p for d in outcome.documents for p in d.problems]
    if any(UNEXPECTED in reason for reason in reasons):
        return Result(entry, "unexpected", seconds, reasons)
    unexplained = [d for d in outcome.documents if d.status == "needs_attention" and not d.problems]
    if unexplained:
        return Result(entry, "crashed", seconds, detail="needs attention without a reason")
    attention = any(d.status == "needs_attention" for d in outcome.documents)
    return Result(entry, "needs-attention" if attention else "processed", seconds, reasons)


def run(entries: list[Entry], limits: ReadLimits, progress: bool = False) -> list[Result]:
    """Read every entry. With `progress`, the counts so far every 250 files and each failure
    when it happens (on stderr), so that a run stopped early still says what it saw."""
    results = []
    counts: Counter[str] = Counter()
    for number, entry in enumerate(entries, start=1):
        result = read_one(entry, limits)
        results.append(result)
        counts[result.verdict] += 1
        if not progress:
            continue
        if result.verdict in ("unexpected", "crashed"):
            print(f"  {result.verdict.upper()}: {entry.path.name} {result.detail}", file=sys.stderr)
        if number % 250 == 0:
            seen = ", ".join(f"{v} {counts[v]}" for v in VERDICTS)
            print(f"  {number}/{len(entries)}: {seen}", file=sys.stderr, flush=True)
    return results


def report(results: list[Result], seconds: float) -> str:
    by_kind: dict[str, Counter[str]] = {}
    time_by_kind: Counter[str] = Counter()
    for result in results:
        by_kind.setdefault(result.entry.kind, Counter())[result.verdict] += 1
        time_by_kind[result.entry.kind] += result.seconds
    lines = [
        f"{'kind':<18}{'files':>7}" + "".join(f"{v:>17}" for v in VERDICTS) + f"{'seconds':>10}"
    ]
    total: Counter[str] = Counter()
    for kind in sorted(by_kind):
        counts = by_kind[kind]
        total.update(counts)
        lines.append(
            f"{kind:<18}{sum(counts.values()):>7}"
            + "".join(f"{counts[v]:>17}" for v in VERDICTS)
            + f"{time_by_kind[kind]:>10.1f}"
        )
    lines.append(
        f"{'all':<18}{sum(total.values()):>7}"
        + "".join(f"{total[v]:>17}" for v in VERDICTS)
        + f"{seconds:>10.1f}"
    )
    limits = Counter(r.detail for r in results if r.detail.startswith("limit "))
    if limits:
        lines.append("stopped at a limit: " + ", ".join(f"{k[6:]} {n}" for k, n in limits.items()))
    slowest = sorted(results, key=lambda r: r.seconds, reverse=True)[:5]
    lines.append("slowest: " + ", ".join(f"{r.entry.path.name} {r.seconds:.1f}s" for r in slowest))
    for result in results:
        if result.verdict in ("unexpected", "crashed"):
            lines.append(f"{result.verdict.upper()}: {result.entry.path.name} {result.detail}")
    return "\n".join(lines)


def failed(results: list[Result]) -> list[Result]:
    return [r for r in results if r.verdict in ("unexpected", "crashed")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run", action="store_true", help="read every file through ingestion")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--kind", action="append", help="only files of this kind (repeatable)")
    parser.add_argument("--cpu-seconds", type=int, default=ReadLimits.cpu_seconds)
    parser.add_argument("--memory-mb", type=int, default=ReadLimits.memory_mb)
    parser.add_argument("--wall-seconds", type=float, default=ReadLimits.wall_seconds)
    args = parser.parse_args(argv)
    if not args.run and args.keep is None:
        parser.error("give --run, or --keep DIR to only write the files")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hostile-corpus-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.monotonic()
        entries = generate(args.seed, args.count, folder)
        if args.kind:
            entries = [e for e in entries if e.kind in args.kind]
        print(f"{len(entries)} files written in {time.monotonic() - started:.1f}s", file=sys.stderr)
        if not args.run:
            return 0
        limits = ReadLimits(
            cpu_seconds=args.cpu_seconds, memory_mb=args.memory_mb, wall_seconds=args.wall_seconds
        )
        started = time.monotonic()
        results = run(entries, limits, progress=True)
        print(report(results, time.monotonic() - started))
        return 1 if failed(results) else 0
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
