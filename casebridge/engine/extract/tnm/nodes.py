"""Lymph-node counts ("2 of 14 lymph nodes", "(0/12)", a CAP form's involved and examined
fields) and the N category inferred from them.

Separate from T inference: a different reading (counts, not findings) with its own tables.
"""

from __future__ import annotations

from casebridge.engine.extract.tnm.description import Inferred, _table
from casebridge.engine.extract.tnm.knowledge import _KB, _kb, _lower


def _word_num(kb: _KB, raw: str) -> int | None:
    raw = raw.lower()
    if raw.isdigit():
        return int(raw)
    return kb.number_words.get(raw)


def node_counts(text: str) -> list[tuple[int, int, int, int]]:
    """(involved, examined, start, end) for each lymph-node count the text gives."""
    kb = _kb()
    out: list[tuple[int, int, int, int]] = []
    for m in kb.node_of.finditer(_lower(text)):
        pos, tot = _word_num(kb, m.group("pos")), _word_num(kb, m.group("tot"))
        if pos is not None and tot and pos <= tot <= 150:
            out.append((pos, tot, m.start(), m.end()))
    low = _lower(text)
    for m in kb.node_ratio.finditer(text):
        if any(a <= m.start() < b for _, _, a, b in out):
            continue
        if kb.node_ratio_not_after.search(low[max(0, m.start() - 12) : m.start()]):
            continue  # "segment 7/8", "(1-2/6 Ishak)": not a count of nodes
        pos, tot = int(m.group("pos")), int(m.group("tot"))
        if not (pos <= tot <= 150 and tot > 0):
            continue
        lo = max(0, m.start() - kb.node_window)
        if not kb.node_word.search(text, lo, min(len(text), m.end() + 30)):
            continue
        out.append((pos, tot, m.start(), m.end()))
    out.extend(_node_fields(kb, text, out))
    return out


def _node_fields(
    kb: _KB, text: str, found: list[tuple[int, int, int, int]]
) -> list[tuple[int, int, int, int]]:
    """The count a CAP form gives in two fields ("Number of nodes involved: 1 ... Number of
    nodes examined: 17", knowledge/tnm.yaml node_fields): one involved and one examined
    field near each other, in a lymph-node section."""
    low = _lower(text)
    if "number" not in low:
        return []
    involved, examined = (list(p.finditer(low)) for p in kb.node_fields)
    out: list[tuple[int, int, int, int]] = []
    for inv in involved:
        near = [
            ex
            for ex in examined
            if ex.start() != inv.start()
            and min(abs(ex.start() - inv.end()), abs(inv.start() - ex.end())) <= kb.node_field_gap
        ]
        if not near:
            continue
        ex = min(near, key=lambda e: abs(e.start() - inv.start()))
        start, end = min(inv.start(), ex.start()), max(inv.end(), ex.end())
        if any(a < end and start < b for _, _, a, b in found + out):
            continue
        if not kb.node_word.search(text, max(0, start - kb.node_window), end):
            continue
        pos, tot = _field_num(kb, inv.group("n")), _field_num(kb, ex.group("n"))
        if pos is not None and tot and pos <= tot <= 150:
            out.append((pos, tot, start, end))
    return out


def _field_num(kb: _KB, raw: str) -> int | None:
    return 0 if raw == "o" else _word_num(kb, raw)


def infer_n(text: str, organ: str | None) -> Inferred | None:
    """N from lymph-node counts: N0 when none is involved; otherwise the organ's table."""
    kb = _kb()
    counts = node_counts(text)
    if not counts:
        return None
    pairs = sorted({(p, t) for p, t, _, _ in counts}, key=lambda pt: -pt[1])
    first = min(counts, key=lambda c: c[2])
    if all(p == 0 for p, _ in pairs):
        return Inferred(
            "n_category",
            "N0",
            first[2],
            first[3],
            "ajcc.nodes.none_involved",
            f"0 of {pairs[0][1]} lymph nodes involved",
        )
    if organ is None or organ not in kb.n_rules:
        return None
    # A count that covers all the others (a summary line) is the total; else the parts add up.
    big, rest = pairs[0], pairs[1:]
    involved = big[0] if big[1] >= sum(t for _, t in rest) else sum(p for p, _ in pairs)
    value = _table(kb.n_rules[organ], involved)
    if value is None:
        return None
    where = next(c for c in counts if c[0] > 0)
    return Inferred(
        "n_category",
        value,
        where[2],
        where[3],
        f"ajcc.{organ}.nodes",
        f"{involved} lymph node(s) involved",
    )
