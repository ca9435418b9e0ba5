"""The command line: a thin layer over the engine.

casebridge build RECORDS_DIR --programme oncology --out OUT_DIR
casebridge eval --data ../shared/eval
casebridge show OUT_DIR/case.json
casebridge match OUT_DIR/case.json
"""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

import click

from casebridge import __version__
from casebridge.engine.case import PROGRAMMES, Case, Correction

# Exit codes, documented in README.
EXIT_OK = 0
EXIT_ERROR = 1  # the command could not run at all (missing folder, bad argument file)
EXIT_ATTENTION = 3  # the pack was written, but some documents need a person's attention
EXIT_PAUSED = 4  # the pack was written, and a safety flag paused the case


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="casebridge")
def main() -> None:
    """casebridge: turn a patient's medical records into a sourced, gap-checked,
    bilingual case pack for a second opinion."""


def _read_json(path: Path | None, what: str) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"E202: cannot read {what} file {path}: {exc}") from exc


@main.command()
@click.argument("records_dir", type=click.Path(path_type=Path))
@click.option(
    "--programme",
    type=click.Choice(PROGRAMMES),
    default="oncology",
    show_default=True,
    help="Which programme's checklist and questions apply.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write the case pack to (created if missing).",
)
@click.option(
    "--intake",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON file of the patient's intake answers (symptoms, red flags, goals, questions).",
)
@click.option(
    "--corrections",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON list of corrections people made (kept across re-runs).",
)
@click.option("--quiet", is_flag=True, help="Print only the closing summary.")
def build(
    records_dir: Path,
    programme: str,
    out_dir: Path,
    intake: Path | None,
    corrections: Path | None,
    quiet: bool,
) -> None:
    """Read every file in RECORDS_DIR and write the case pack to --out.

    Exit code 0 when every document was read, 3 when some need attention (listed
    with the reason), 4 when a safety flag paused the case, 1 on an error."""
    from casebridge.engine.errors import CasebridgeError
    from casebridge.engine.output import write_pack
    from casebridge.engine.pipeline import build_case, list_records

    intake_data = _read_json(intake, "intake") or {}
    correction_data = _read_json(corrections, "corrections") or []
    try:
        items = list_records(records_dir)
        fixes = [Correction(**c) for c in correction_data]
    except CasebridgeError as exc:
        raise click.ClickException(str(exc)) from exc
    except TypeError as exc:
        raise click.ClickException(
            f"E203: a correction in {corrections} is malformed: {exc}"
        ) from exc
    if not items:
        raise click.ClickException(f"E204: {records_dir} holds no files")

    run = partial(build_case, items, programme, intake=intake_data, corrections=fixes)
    if quiet:
        case = run()
    else:
        with click.progressbar(
            length=len(items),
            label="Reading records",
            item_show_func=lambda name: name,
            show_pos=True,
        ) as bar:
            case = run(progress=lambda name, index, _total: bar.update(1 if index else 0, name))
            bar.update(1)
    written = write_pack(case, out_dir)
    _closing_summary(case, out_dir, written)
    if case.paused:
        sys.exit(EXIT_PAUSED)
    if case.attention:
        sys.exit(EXIT_ATTENTION)


def _closing_summary(case: Case, out_dir: Path, written: list[Path]) -> None:
    docs = case.documents
    attention = case.attention
    dupes = [d for d in docs if d.duplicate_of]
    echo = click.echo
    echo("")
    red = [f for f in case.safety_flags if f.level == "red"]
    amber = [f for f in case.safety_flags if f.level != "red"]
    if red:
        state = "The case is paused." if case.paused else "A person has cleared the pause."
        echo(
            click.style(
                f"URGENT: seek local care now (999 / NHS 111). {state}", fg="red", bold=True
            )
        )
    if amber:
        echo(
            click.style(
                "Call the acute oncology helpline today; a coordinator is told.",
                fg="yellow",
                bold=True,
            )
        )
    for flag in red + amber:
        where = (
            f" ({flag.evidence.ref()})"
            if flag.evidence
            else f" (intake: {flag.field or 'answers'})"
        )
        said = f': "{flag.phrase}"' if flag.phrase else ""
        echo(f"  - [{flag.level}] {flag.label}{where}{said}")
    echo(f"Case {case.case_id} ({case.programme})")
    echo(
        f"  documents read: {len(docs) - len(attention)} of {len(docs)}"
        + (f" ({len(dupes)} duplicate{'s' if len(dupes) != 1 else ''})" if dupes else "")
    )
    asserted = [f for f in case.facts if f.context == "asserted"]
    echo(
        f"  facts found:    {len(asserted)} (+{len(case.facts) - len(asserted)} negated, possible, historical or family)"
    )
    echo(f"  conflicts:      {len(case.conflicts)}")
    echo(f"  gaps:           {len(case.gaps)} ({sum(1 for g in case.gaps if g.inferred)} inferred)")
    echo(f"  questions:      {len(case.questions)}")
    echo(f"  warnings:       {len(attention) + len(case.warnings)}")
    for doc in attention:
        echo(
            click.style(
                f"  needs attention: {doc.file_name}: {'; '.join(doc.problems)}", fg="yellow"
            )
        )
    for warning in case.warnings:
        echo(click.style(f"  warning: {warning}", fg="yellow"))
    echo(f"Wrote {len(written)} files to {out_dir}:")
    for path in written:
        echo(f"  {path.relative_to(out_dir)}")


@main.command("eval")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder with the layout of the shared evaluation data (tcga/, mtsamples/).",
)
def eval_(data_dir: Path) -> None:
    """Measure the engine on the evaluation data. Prints progress, then as its
    last line one JSON object with the figures."""
    from casebridge.engine.errors import CasebridgeError
    from casebridge.evaluation import run_all

    try:
        results = run_all(data_dir, progress=lambda msg: click.echo(msg, err=False))
    except CasebridgeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(results, sort_keys=True))


@main.command()
@click.argument("case_json", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def show(case_json: Path) -> None:
    """Print the facts of a built case (its case.json) with their sources."""
    data = _read_json(case_json, "case")
    try:
        case = Case.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from exc
    for fact in case.facts:
        where = fact.source.ref() if fact.source else f"entered by {fact.found_by}"
        ctx = "" if fact.context == "asserted" else f" [{fact.context}]"
        click.echo(f"{fact.kind:<20} {fact.display}{ctx}  ({where})")


@main.command()
@click.argument("case_json", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the explanations.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as one JSON object.")
@click.option(
    "--directory",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A directory file to rank against instead of the packaged one (an edited copy).",
)
def match(case_json: Path, lang: str, as_json: bool, directory: Path | None) -> None:
    """Rank the China medical directions for a built case (its case.json), each
    explained: which facts matched, what the patient asked for, what is still missing,
    and the MDT disciplines the facts call for. The coordinator chooses; nothing here
    is a promise of a review, eligibility or an outcome."""
    import yaml

    from casebridge.engine.match import rank

    data = _read_json(case_json, "case")
    try:
        case = Case.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from exc
    other = None
    if directory is not None:
        try:
            other = yaml.safe_load(directory.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise click.ClickException(f"E203: cannot read directory {directory}: {exc}") from exc
        if not isinstance(other, dict) or not isinstance(other.get("directions"), list):
            raise click.ClickException(f"E203: {directory} holds no `directions` list")
    ranking = rank(case, other)
    if as_json:
        click.echo(json.dumps(ranking.to_dict(), ensure_ascii=False, sort_keys=True))
        return
    _print_ranking(ranking.to_dict(), lang)


def _print_ranking(r: dict[str, Any], lang: str) -> None:
    zh = lang == "zh"
    say = click.echo
    from casebridge.engine.terminology import label

    programme = label(f"programme.{r['programme']}", lang)
    say(f"{'病例' if zh else 'Case'} {r['case_id']} ({programme})")
    say("建议的多学科团队：" if zh else "MDT disciplines the facts call for:")
    grouped: dict[str, list[str]] = {}  # one line per reason: "Haematology, Pathology: ..."
    for d in r["disciplines"]:
        name, _, why = d[lang].partition("：" if zh else ": ")
        grouped.setdefault(why, []).append(name)
    for why, names in grouped.items():
        say(f"  - {('、' if zh else ', ').join(names)}{'：' if zh else ': '}{why}")
    missing = r["matches"][0]["missing"] if r["matches"] else []
    if missing:
        say("任何科室审阅前仍缺少：" if zh else "Still missing before any department could review:")
        for item in missing:
            say(f"  - {item[lang]}")
    say(
        "方向排序（由协调员选择；以下均不构成任何承诺）："
        if zh
        else "Directions, best first (the coordinator chooses; nothing here is a promise):"
    )
    for n, m in enumerate(r["matches"], start=1):
        city = (m["city"] or {}).get(lang, "")
        say(f"{n:>2}. {m['hospital'][lang]} · {m['department'][lang]}, {city}  [{m['score']}]")
        for title_en, title_zh, key in (
            ("matched", "匹配", "matched"),
            ("for you", "对您", "asked"),
            ("not listed", "未列出", "not_offered"),
        ):
            for item in m[key]:
                say(f"      {title_zh if zh else title_en}: {item[lang]}")
        for src in m["sources"]:
            say(f"      {'来源' if zh else 'source'}: {src.get('url')}")
        say(f"      {'最后核实' if zh else 'last verified'}: {m['verified']}")
    if r["not_ranked"]:
        say("未排序：" if zh else "Not ranked:")
        for d in r["not_ranked"]:
            say(f"  - {d['id']}: {d[lang]}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--demo",
    is_flag=True,
    help="Create a demo patient (with the bundled example records) and a demo coordinator.",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the database, encrypted files and keys live (default: ./var).",
)
@click.option("--no-worker", is_flag=True, help="Do not start the built-in background worker.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Web processes (default: CASEBRIDGE_WEB_WORKERS, else one per core plus one).",
)
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads per web process.",
)
def serve(
    host: str,
    port: int,
    demo: bool,
    data_dir: Path | None,
    no_worker: bool,
    workers: int | None,
    threads: int,
) -> None:
    """Start the web platform on the embedded default: SQLite, encrypted local
    files and a built-in worker, with no external server. Prints where to log in."""
    from casebridge.web.serve import main as serve_main

    sys.exit(
        serve_main(
            host,
            port,
            demo,
            data_dir=data_dir,
            worker=not no_worker,
            workers=workers,
            threads=threads,
        )
    )
