"""The audit log's HMAC chain, free of models so that migrations can use it.

Row n carries `seq` = n (1, 2, 3 … with no gap) and
`hmac` = HMAC-SHA256(audit key, canonical(seq, hmac of row n-1, the row's content)).
The first row chains to GENESIS. The content is what identifies the event
durably: the case pseudonym and the actor's label, never the foreign keys
(they legitimately become NULL when a case or user is deleted), the action, the
object, before/after, the time and the request's address and user agent.

This encoding is the chain's format: changing it makes every existing row fail
verification. A new format takes a new VERSION, and verification would then
have to know which rows use which.

`walk` checks rows in `seq` order and names the first row that was altered,
inserted or is missing; `compare_head` checks the chain against a head kept
elsewhere, which catches the newest rows deleted (a truncated tail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac as hmac_lib
import ipaddress
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

VERSION = "casebridge-audit-v1"
GENESIS = "0" * 64  # what the first row chains to

# The fields of a row the HMAC covers (besides seq and the previous HMAC).
CONTENT_FIELDS = (
    "at",
    "actor_label",
    "case_pseudonym",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "ip",
    "user_agent",
)
# What `walk` reads of each row.
ROW_FIELDS = ("id", "seq", "hmac", *CONTENT_FIELDS)


def _json_value(value: Any) -> Any:
    """A before/after value as the database gives it back: JSON round-tripped
    (tuples become lists, keys strings), and a whole float as an int
    (PostgreSQL's jsonb gives 1e20 back as 100000000000000000000)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def _ip(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    try:
        return str(ipaddress.ip_address(text.split("/")[0]))
    except ValueError:
        return text


def _at(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # a naive time is UTC (USE_TZ)
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return str(value)


def canonical(seq: int, prev: str, row: Mapping[str, Any]) -> bytes:
    """The bytes the HMAC of one row covers."""
    content = [
        VERSION,
        int(seq),
        prev,
        _at(row["at"]),
        str(row["actor_label"] or ""),
        str(row["case_pseudonym"] or ""),
        str(row["action"] or ""),
        str(row["object_type"] or ""),
        str(row["object_id"] or ""),
        _json_value(json.loads(json.dumps(row["before"]))),
        _json_value(json.loads(json.dumps(row["after"]))),
        _ip(row["ip"]),
        str(row["user_agent"] or ""),
    ]
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode("ascii")


def mac(key: bytes, seq: int, prev: str, row: Mapping[str, Any]) -> str:
    return hmac_lib.new(key, canonical(seq, prev, row), hashlib.sha256).hexdigest()


def _matches(key: bytes, row: Mapping[str, Any], prev: str, seq: int | None = None) -> bool:
    expected = mac(key, row["seq"] if seq is None else seq, prev, row)
    return hmac_lib.compare_digest(expected, str(row["hmac"] or ""))


@dataclass(frozen=True)
class Head:
    """The newest row of the chain: keep it elsewhere (`verify_audit
    --export-head`) to notice later that the newest rows were deleted."""

    seq: int
    hmac: str
    at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hmac": self.hmac, "at": self.at}

    @classmethod
    def from_json(cls, data: Any) -> Head:
        if not isinstance(data, dict) or not isinstance(data.get("seq"), int):
            raise ValueError("a chain head is a JSON object with an integer 'seq' and an 'hmac'")
        return cls(seq=data["seq"], hmac=str(data.get("hmac", "")), at=str(data.get("at", "")))


@dataclass(frozen=True)
class Problem:
    """The first place the chain does not hold."""

    kind: str  # "altered", "inserted", "missing", "altered or inserted", "truncated"
    seq: int | None
    row_id: int | None
    message: str


@dataclass(frozen=True)
class Result:
    rows: int  # rows verified before the problem (all of them when ok)
    head: Head | None  # the newest verified row
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _name(row: Mapping[str, Any]) -> str:
    return f"row seq {row['seq']} (id {row['id']}, {_at(row['at'])}, {row['action']})"


def walk(rows: Iterable[Mapping[str, Any]], key: bytes) -> Result:
    """Verify rows given in (seq, id) order, rows without a seq first."""
    stream: Iterator[Mapping[str, Any]] = iter(rows)
    prev, expected, count = GENESIS, 1, 0
    head: Head | None = None

    def stop(kind: str, seq: int | None, row_id: int | None, message: str) -> Result:
        return Result(count, head, Problem(kind, seq, row_id, message))

    row = next(stream, None)
    while row is not None:
        following = next(stream, None)
        if row["seq"] is None:
            return stop(
                "inserted", None, row["id"],
                f"inserted row: id {row['id']} ({row['action']}) has no sequence number",
            )  # fmt: skip
        seq = int(row["seq"])
        if seq < expected:  # a second row with a seq already verified
            return stop(
                "inserted", seq, row["id"],
                f"inserted row: {_name(row)} repeats the sequence number of a verified row",
            )  # fmt: skip
        if seq > expected:
            last = f"seq {head.seq}" if head else "the start of the log"
            gap = f"seq {expected}" if seq == expected + 1 else f"seq {expected}–{seq - 1}"
            return stop(
                "missing", expected, None,
                f"missing row: {gap} deleted (the chain jumps from {last} to {_name(row)})",
            )  # fmt: skip
        if not _matches(key, row, prev):
            if following is not None and following["seq"] == seq and _matches(key, following, prev):
                return stop(
                    "inserted", seq, row["id"],
                    f"inserted row: {_name(row)} takes the sequence number of the genuine "
                    f"row id {following['id']}",
                )  # fmt: skip
            if following is not None and _matches(key, following, str(row["hmac"] or "")):
                return stop(
                    "altered", seq, row["id"],
                    f"altered row: {_name(row)} no longer matches its HMAC (its contents "
                    "were changed after it was written)",
                )  # fmt: skip
            if following is not None and _matches(key, following, prev, seq):
                return stop(
                    "inserted", seq, row["id"],
                    f"inserted row: {_name(row)} was not written by casebridge (the rows "
                    "after it were renumbered to make room)",
                )  # fmt: skip
            where = "the newest row" if following is None else "a row"
            return stop(
                "altered or inserted", seq, row["id"],
                f"altered or inserted row: {where}, {_name(row)}, does not match its HMAC "
                "(changed after it was written, or written without the audit key)",
            )  # fmt: skip
        prev, expected, count = str(row["hmac"]), seq + 1, count + 1
        head = Head(seq=seq, hmac=prev, at=_at(row["at"]))
        row = following
    return Result(count, head, None)


def compare_head(result: Result, kept: Head, hmac_at_kept_seq: str | None) -> Problem | None:
    """Whether a verified chain still holds the head kept earlier: the row at
    the kept seq must exist with the kept HMAC (rows after it are fine)."""
    if result.head is None or result.head.seq < kept.seq:
        newest = f"seq {result.head.seq}" if result.head else "no row at all"
        first = 1 if result.head is None else result.head.seq + 1
        gap = f"seq {first} was" if first == kept.seq else f"seq {first}–{kept.seq} were"
        return Problem(
            "truncated",
            first,
            None,
            f"missing rows: {gap} deleted (the kept head is seq "
            f"{kept.seq}, the log now ends at {newest}): the newest rows were truncated",
        )
    if hmac_at_kept_seq is None or not hmac_lib.compare_digest(hmac_at_kept_seq, kept.hmac):
        return Problem(
            "altered",
            kept.seq,
            None,
            f"altered chain: the row at seq {kept.seq} is not the one the kept head names "
            "(the chain was rewritten from there on)",
        )
    return None
