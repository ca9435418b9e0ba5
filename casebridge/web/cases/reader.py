"""Reading one uploaded document in a child process of its own, within limits.

A document is the one input a stranger controls, and the engine's cost grows
with it: a valid 90 MiB text file kept the only worker at 100 % CPU and
1.5 GB for minutes (SECURITY.md). So the worker never reads a file itself:

- a child process, forked from a warm multiprocessing "forkserver" (the engine
  loaded and its knowledge compiled once, so a child starts in milliseconds
  instead of the ~3 s a fresh interpreter spends on its first document),
  sets its own limits before it touches the file: CPU time (RLIMIT_CPU),
  address space (RLIMIT_AS), no core dumps (a core would hold the record);
- the parent sends it the decrypted bytes through a pipe (never a file on
  disk), kills its whole process group (tesseract included) when the
  wall-clock limit passes, and gets back the engine's Documents, facts and
  identifiers as JSON;
- caps on pages and characters are applied between ingest and the costly
  stages (pipeline.add_document's `admit` hook, cases/reader_child.py);
- the merge into the case (merge()) runs in the parent, under the case lock.

A document over a limit is not a failure to retry: read_document returns an
outcome with `limit` set and a plain reason naming the limit, and the case's
other documents go on. Only a fault of the reader itself (not the file's)
raises ReaderError, which the task retries.

Django-free: the task passes the limits in (settings.DOCUMENT_READ_*). Why a
forkserver and not `subprocess` of a fresh interpreter: the ~3 s a fresh one
spends warming the engine, on every document. Its one condition is
multiprocessing's: the worker's main module must be safe to import
(`python -m django db_worker` and manage.py are).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from casebridge.engine.case import SCHEMA_VERSION, Document, Fact, Identifier
from casebridge.engine.case import Case as EngineCase
from casebridge.engine.pipeline import refresh

# The child exits with this code when it ran out of its address space.
MEMORY_EXIT = 86
# Imported once by the forkserver, before it forks any reader.
PRELOAD = ["__main__", "casebridge.web.cases.reader_warm"]
# A child that has sent its result but not exited after this long is killed.
EXIT_GRACE_SECONDS = 10.0


class ReaderError(RuntimeError):
    """The reader failed for a reason that is not the file's (retried)."""


@dataclass(frozen=True)
class ReadLimits:
    cpu_seconds: int = 120
    memory_mb: int = 1024
    wall_seconds: float = 300
    max_characters: int = 2_000_000
    max_pages: int = 500


@dataclass
class ReadOutcome:
    """What one read gave: the new Documents (an archive gives several) with
    their facts and identifiers, or, when a limit stopped it, `limit` (wall,
    cpu, memory, crash) and the plain reason."""

    name: str
    sha256: str
    size: int
    documents: list[Document] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    limit: str = ""
    reason: str = ""


def not_read(why: str) -> str:
    """The reason shown on a document a limit stopped, to the patient and the
    coordinator alike."""
    return (
        f"This file was not read: {why}. Please split it into smaller files or send a "
        "smaller copy; your coordinator can see this too"
    )


def limit_reason(limit: str, limits: ReadLimits) -> str:
    whys = {
        "wall": f"reading this file took longer than the {limits.wall_seconds:g}-second limit",
        "cpu": (
            f"reading this file needed more than the {limits.cpu_seconds}-second limit of "
            "processing time"
        ),
        "memory": f"reading this file needed more than the {limits.memory_mb:,} MB memory limit",
        "crash": (
            "the program reading this file stopped unexpectedly (most likely it ran short of "
            "memory)"
        ),
    }
    return not_read(whys[limit])


# -- the child process ----------------------------------------------------------

_context_lock = threading.Lock()


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    with _context_lock:
        context.set_forkserver_preload(PRELOAD)  # takes effect when the server starts
    return context


def _child_entry(conn: Connection, limits: dict[str, Any]) -> None:
    # Imported here: the parent never loads the child's side.
    from casebridge.web.cases import reader_child

    reader_child.main(conn, limits)


def _kill_group(process: Any) -> None:
    """SIGKILL the child's process group (it made one: setsid), which also ends
    any tesseract it started; the child itself if it had not made it yet."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.exitcode is None:
        process.kill()


def _run(header: dict[str, Any], data: bytes, limits: ReadLimits) -> tuple[bytes | None, str]:
    """Run one child; returns (its JSON answer, "") or (None, the limit that
    stopped it). Raises ReaderError when it ended for a reason of its own."""
    # The child's temporary folder (OCR's page images) is the parent's to
    # remove: a child killed at a limit cannot clean up after itself.
    folder = tempfile.mkdtemp(prefix="casebridge-read-")
    try:
        return _run_in({**header, "tmp": folder}, data, limits)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_in(header: dict[str, Any], data: bytes, limits: ReadLimits) -> tuple[bytes | None, str]:
    context = _context()
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(
        target=_child_entry,
        args=(theirs, {**asdict(limits), "memory_bytes": limits.memory_mb * 1024 * 1024}),
        daemon=True,
        name="casebridge-reader",
    )
    deadline = time.monotonic() + limits.wall_seconds
    process.start()
    theirs.close()
    answer: bytes | None = None
    timed_out = False
    try:
        ours.send_bytes(json.dumps(header).encode())
        ours.send_bytes(data)
        if ours.poll(max(0.0, deadline - time.monotonic())):
            answer = ours.recv_bytes()
        else:
            timed_out = True
    except (EOFError, OSError):
        answer = None  # the child died; its exit code says why
    finally:
        if answer is None:
            _kill_group(process)  # before the child is reaped: its pid is still its own
        process.join(EXIT_GRACE_SECONDS)
        if process.exitcode is None:
            _kill_group(process)
            process.join()
        ours.close()
    code = process.exitcode
    if answer is not None:
        return answer, ""
    if timed_out:
        return None, "wall"
    if code == -signal.SIGXCPU:
        return None, "cpu"
    if code == MEMORY_EXIT:
        return None, "memory"
    if code is not None and code < 0:
        return None, "crash"
    raise ReaderError(f"the document reader ended with exit code {code}")


def read_document(
    data: bytes,
    name: str,
    *,
    programme: str,
    known: list[dict[str, Any]],
    limits: ReadLimits,
) -> ReadOutcome:
    """Read one file in a child process. `known` are the case's documents (their
    JSON; pages are not sent), so that the engine marks a duplicate as it would
    in the case itself."""
    outcome = ReadOutcome(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    header = {
        "name": name,
        "programme": programme,
        "known": [{**d, "pages": []} for d in known],
    }
    answer, limit = _run(header, data, limits)
    if answer is not None:
        parsed = json.loads(answer)
        limit = str(parsed.get("limit") or "")
        if not limit:
            read = EngineCase.from_dict({"schema_version": SCHEMA_VERSION, **parsed})
            outcome.documents, outcome.facts = read.documents, read.facts
            outcome.identifiers = read.identifiers
    if limit:
        outcome.limit, outcome.reason = limit, limit_reason(limit, limits)
    return outcome


# -- the merge, in the parent ----------------------------------------------------


def _keys(documents: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(str(d.get("id")), str(d.get("sha256"))) for d in documents}


def still_fits(
    known: list[dict[str, Any]], now: list[dict[str, Any]], outcome: ReadOutcome
) -> bool:
    """Whether a read made against the documents `known` can be merged into a
    case that now holds `now`: every known document is still there, and none of
    those added meanwhile has the content of a new one (else the engine would
    have marked it a duplicate of that one)."""
    before, after = _keys(known), _keys(now)
    if not before <= after:
        return False
    added = {sha for _id, sha in after - before}
    shas = {d.sha256 for d in outcome.documents} | {outcome.sha256}
    return not (added & shas)


def merge(engine: EngineCase, outcome: ReadOutcome) -> list[Document]:
    """Add what a read gave to the case, then re-run the case stages, as
    pipeline.add_document would have. A document a limit stopped joins the case
    as a document that needs attention (listed in the summaries like any
    other), unless the case already holds that content. Returns the new
    Documents."""
    if outcome.limit:
        doc = Document(
            id=outcome.sha256[:16], file_name=outcome.name, sha256=outcome.sha256, size=outcome.size
        )
        doc.needs_attention(outcome.reason)
        if not any(d.sha256 == doc.sha256 for d in engine.documents):
            engine.documents.append(doc)
        refresh(engine)
        return [doc]
    engine.documents.extend(outcome.documents)
    engine.facts.extend(outcome.facts)
    engine.identifiers.extend(outcome.identifiers)
    refresh(engine)
    return list(outcome.documents)
