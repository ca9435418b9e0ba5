"""The AJCC T category inferred from the description, per site (knowledge/ajcc_t_rules.yaml):
size (breast, lung, kidney, thyroid), depth of invasion (colon, stomach, oesophagus, bladder),
extension (prostate), Breslow thickness (melanoma), uveal and oral cavity grids.

Separate because it is the largest body of site-specific rules and is read only when no T
is written.
"""

from __future__ import annotations

import re
from typing import Any

from casebridge.engine.extract.tnm.description import (
    Inferred,
    _absent,
    _all_absent,
    _asserted,
    _find,
    _main,
    _num,
    _present,
    _sizes_cm,
    _table,
)
from casebridge.engine.extract.tnm.edition import _edition_of
from casebridge.engine.extract.tnm.knowledge import _KB, _kb, _lower


def infer_t(text: str, organ: str | None, edition: str | None = None) -> Inferred | None:
    """The AJCC T category the description settles, or None. `edition` ("7th", "8th", ...)
    decides where the editions disagree; None: the edition the text writes, and where it
    writes none, the 8th edition's category only when the 7th gives the same main category
    (T1..T4); where they differ, or one edition settles it and the other does not, None."""
    if edition is None:
        edition = _edition_of(text)
    if edition is not None:
        return _infer_t(text, organ, edition)
    eighth = _infer_t(text, organ, "8th")
    if eighth is None:
        return None
    for older in ("7th", "6th"):
        # The 6th edition (2002-2009) differs in main category only where ajcc_t_rules.yaml
        # gives a level its `6th` value (stomach depth); elsewhere it reads as the 7th.
        other = _infer_t(text, organ, older)
        if other is None or _main(other.value) != _main(eighth.value):
            return None
    return eighth


def _infer_t(text: str, organ: str | None, edition: str) -> Inferred | None:
    kb = _kb()
    if organ is None or organ not in kb.rules:
        return None
    spec = kb.rules[organ]
    blocks = list(spec.get("block", []))
    if edition not in ("5th", "6th", "7th"):
        blocks += spec.get("block_8th", [])
    for regex in blocks:
        if _present(kb, regex, text):
            return None
    low = _lower(text)
    if spec.get("requires") and not any(kb.rule_patterns[r].search(low) for r in spec["requires"]):
        return None
    kind = spec["kind"]
    if kind == "size":
        return _infer_size(kb, text, organ, spec, edition)
    if kind == "conditions":
        return _infer_conditions(kb, text, organ, spec)
    if kind == "depth":
        return _infer_depth(kb, text, organ, spec, edition)
    if kind == "features":
        return _infer_features(kb, text, organ, spec)
    if kind == "thickness":
        return _infer_thickness(kb, text, organ, spec)
    if kind == "uvea":
        return _infer_uvea(kb, text, organ, spec)
    if kind == "oral":
        return _infer_oral(kb, text, organ, spec, edition)
    return None


def _labelled_mm(kb: _KB, text: str, labels: list[str]) -> list[tuple[float, int, int]]:
    """(value in mm, start, end) for each number with a unit directly after a label."""
    out: list[tuple[float, int, int]] = []
    low = _lower(text)
    for regex in labels:
        for lab in kb.rule_patterns[regex].finditer(low):
            g = kb.number_group.match(text, lab.end())
            if not g or re.search(r"[xX×]", g.group("nums")):
                continue
            value = _num(g.group("nums")) * (10.0 if g.group("unit").lower() == "cm" else 1.0)
            if value > 0:
                out.append((value, lab.start(), g.end()))
    return out


def _infer_uvea(kb: _KB, text: str, organ: str, spec: dict[str, Any]) -> Inferred | None:
    """Choroidal / ciliary body melanoma: the size category from every largest basal
    diameter and thickness the report gives; inferred only when all pairs agree."""
    lbds = _labelled_mm(kb, text, spec["lbd_labels"])
    thicks = _labelled_mm(kb, text, spec["thickness_labels"])
    if not lbds or not thicks:
        return None
    cats = set()
    for lbd, _, _ in lbds:
        for thick, _, _ in thicks:
            row = next((r for r in spec["grid"] if thick <= float(r[0])), None)
            cat = _table(row[1], lbd) if row else None
            cats.add(cat)
    if len(cats) != 1 or None in cats:
        return None
    value = str(cats.pop())
    lbd, start, end = lbds[0]
    why = f"largest basal diameter {lbd:g} mm, thickness {thicks[0][0]:g} mm"
    return Inferred("t_category", value, start, end, f"ajcc.{organ}.size", why)


def _infer_oral(
    kb: _KB, text: str, organ: str, spec: dict[str, Any], edition: str
) -> Inferred | None:
    """Oral cavity: size alone (7th); size with depth of invasion (8th)."""
    for item in spec.get("at_least", []):
        hit = _find(kb, item, text)
        if hit:
            why = text[hit.start() : hit.end()]
            return Inferred.t_at(str(item["category"]), hit, f"ajcc.{organ}.extension", why)
    sizes = _sizes_cm(kb, text)
    if not sizes:
        return None
    size, start, end = max(sizes)
    why = f"tumour size {size:g} cm"
    if edition in ("5th", "6th", "7th"):
        value = _table(spec["size_7th"], size)
        return (
            Inferred("t_category", value, start, end, f"ajcc.{organ}.size", why) if value else None
        )
    dois = {round(v, 1) for v, _, _ in _labelled_mm(kb, text, spec["doi_labels"])}
    doi = max(dois) if len(dois) == 1 else None
    if size > 4.0 or (doi is not None and doi > 10.0):
        value = "T3"
    elif doi is None:
        return None  # 8th: T1/T2 need the depth of invasion
    elif size <= 2.0:
        value = "T1" if doi <= 5.0 else "T2"
    else:
        value = "T2"
    if doi is not None:
        why += f", depth of invasion {doi:g} mm"
    return Inferred("t_category", value, start, end, f"ajcc.{organ}.size_doi", why)


def _infer_size(
    kb: _KB, text: str, organ: str, spec: dict[str, Any], edition: str | None
) -> Inferred | None:
    floor: tuple[str, re.Match[str]] | None = None
    for item in spec.get("at_least", []):
        if "editions" in item and edition not in item["editions"]:
            continue  # a rule of one edition only (thyroid minimal extension: 5th-7th)
        hit = _find(kb, item, text)
        if hit and (floor is None or item["category"] > floor[0]):
            floor = (str(item["category"]), hit)
    if floor and floor[0].startswith("T3") and organ == "kidney":
        if any(_present(kb, r, text) for r in spec.get("confined_phrases", [])):
            return None  # "confined to the kidney" and an extension: the report disagrees
        m = floor[1]
        return Inferred.t_at(
            floor[0],
            m,
            f"ajcc.{organ}.extension",
            "extension beyond the kidney capsule/sinus or into the renal vein",
        )
    confined_editions = spec.get("confined_editions")
    if (
        spec.get("confined_phrases")
        and (confined_editions is None or edition in confined_editions)
        and not (
            any(_present(kb, r, text) for r in spec["confined_phrases"])
            or _all_absent(kb, spec.get("confined_absent", []), text)
        )
    ):
        return None
    sizes = _sizes_cm(kb, text)
    if any(_present(kb, r, text) for r in spec.get("size_block", [])):
        sizes = []  # several foci: the size read may not be the largest one
    if not sizes:
        if floor and spec.get("floor_alone"):
            m = floor[1]
            why = f"{text[m.start() : m.end()]} (AJCC {edition})"
            return Inferred.t_at(floor[0], m, f"ajcc.{organ}.extension", why)
        return None
    size, start, end = max(sizes)
    cat8 = _table(spec["size_8th"], size)
    cat7 = _table(spec.get("size_7th", spec["size_8th"]), size)
    if cat8 is None or cat7 is None:
        return None
    if edition in ("5th", "6th", "7th"):
        value = cat7
    elif edition == "8th" or _main(cat8) == _main(cat7):
        value = cat8
    else:
        return None  # the editions disagree and the report does not say which it uses
    why = f"tumour size {size:g} cm"
    if floor and _main(floor[0]) > _main(value):
        value = floor[0]
        m = floor[1]
        start, end = m.start(), m.end()
        why = f"{text[start:end]} (AJCC {edition})"
    return Inferred("t_category", value, start, end, f"ajcc.{organ}.size", why)


def _infer_conditions(kb: _KB, text: str, organ: str, spec: dict[str, Any]) -> Inferred | None:
    """The first outcome whose named findings all hold (and none of its `none` do), with
    an optional tumour-size bound. A finding is `present` (mentioned, not negated),
    `asserted` (present with a positive answer or verb), `absent` (mentioned, and every
    mention negated), or `mentioned` (written at all)."""
    held: dict[str, re.Match[str] | None] = {}

    def holds(name: str) -> re.Match[str] | None:
        if name not in held:
            fact = spec["facts"][name]
            hit: re.Match[str] | None = None
            if "present" in fact:
                hit = _present(kb, fact["present"], text)
            elif "asserted" in fact:
                hit = _asserted(kb, fact["asserted"], text)
            elif "absent" in fact and _all_absent(kb, [fact["absent"]], text):
                hit = kb.rule_patterns[fact["absent"]].search(_lower(text))
            elif "mentioned" in fact:  # written at all, whatever its answer: a doubt
                hit = kb.rule_patterns[fact["mentioned"]].search(_lower(text))
            held[name] = hit
        return held[name]

    sizes: list[tuple[float, int, int]] | None = None
    for out in spec["outcomes"]:
        hits = [holds(n) for n in out.get("all", [])]
        if not all(hits) or any(holds(n) for n in out.get("none", [])):
            continue
        names = out.get("all", [])
        why = "; ".join(
            ("no " if "absent" in spec["facts"][n] else "") + text[h.start() : h.end()]
            for n, h in zip(names, hits, strict=True)
            if h
        )
        if "size_gt" in out or "size_le" in out:
            if sizes is None:
                sizes = _sizes_cm(kb, text)
            if not sizes:
                continue
            size = max(sizes)[0]
            if size <= float(out.get("size_gt", -1)) or size > float(out.get("size_le", 1e9)):
                continue
            why += f"; tumour size {size:g} cm"
        first = min((h for h in hits if h), key=lambda h: h.start())
        return Inferred.t_at(
            str(out["category"]), first, f"ajcc.{organ}.{out.get('rule', 'features')}", why
        )
    return None


def _infer_depth(
    kb: _KB, text: str, organ: str, spec: dict[str, Any], edition: str
) -> Inferred | None:
    """The deepest level the report describes; a level's `6th` value under the 5th/6th."""
    present: list[tuple[str, re.Match[str]]] = []
    for level in spec["levels"]:
        hit = _present(kb, level["phrase"], text)
        if hit:
            category = level["category"]
            if edition in ("5th", "6th") and "6th" in level:
                category = level["6th"]
            present.append((str(category), hit))
    if not present:
        return None
    if len({_main(c) for c, _ in present}) >= 3:
        return None  # a list of options (unticked checklist), not a finding
    value, m = present[0]
    return Inferred.t_at(
        value, m, f"ajcc.{organ}.depth", f"depth of invasion: {text[m.start() : m.end()]}"
    )


def _infer_features(kb: _KB, text: str, organ: str, spec: dict[str, Any]) -> Inferred | None:
    for item in spec["present"]:
        hit = _find(kb, item, text)
        if hit:
            return Inferred.t_at(
                str(item["category"]), hit, f"ajcc.{organ}.extension", text[hit.start() : hit.end()]
            )
    confined = spec.get("confined")
    if not confined:
        return None
    for regex in confined["or_phrases"]:
        hit = _present(kb, regex, text)
        if hit:
            return Inferred.t_at(
                str(confined["category"]),
                hit,
                f"ajcc.{organ}.confined",
                text[hit.start() : hit.end()],
            )
    spans: list[re.Match[str]] = []
    for regex in confined["absent"]:
        ms = list(kb.rule_patterns[regex].finditer(_lower(text)))
        if not ms or not all(_absent(kb, text, m.start(), m.end()) for m in ms):
            return None
        spans.append(ms[0])
    first = spans[0]
    return Inferred.t_at(
        str(confined["category"]),
        first,
        f"ajcc.{organ}.confined",
        "no extraprostatic extension or seminal vesicle invasion",
    )


def _infer_thickness(kb: _KB, text: str, organ: str, spec: dict[str, Any]) -> Inferred | None:
    values: list[tuple[float, int, int]] = []
    for regex in spec["labels"]:
        for lab in kb.rule_patterns[regex].finditer(_lower(text)):
            g = kb.number_group.search(text, lab.end(), lab.end() + 40)
            if not g or "x" in g.group("nums").lower():
                continue
            mm = _num(g.group("nums")) * (10.0 if g.group("unit").lower() == "cm" else 1.0)
            values.append((mm, lab.start(), g.end()))
    if not values or len({v for v, _, _ in values}) > 1:
        return None
    mm, start, end = values[0]
    value = _table(spec["thickness"], mm)
    if value is None:
        return None
    return Inferred(
        "t_category", value, start, end, f"ajcc.{organ}.thickness", f"Breslow thickness {mm:g} mm"
    )
