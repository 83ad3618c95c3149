"""``threadline series detect | show | export | train``: linked series of death reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, friendly, stage_progress
from threadline.errors import InputError
from threadline.workspace import open_workspace

app = typer.Typer(help="Linked series of death reports: detect, show, export, train.", no_args_is_help=True)
DETECT_STAGES = 7


def _series_table(series, title: str) -> Table:
    table = Table(title=title, show_lines=False, title_justify="left")
    for col in ("rank", "series", "kind", "score", "evidence", "cases", "summary"):
        table.add_column(col, overflow="fold", justify="right" if col in ("rank", "score", "evidence", "cases")
                         else "left")
    for _, s in series.iterrows():
        table.add_row(str(s["rank"]), s["series_id"], s["kind"], f"{s['score']:.2f}", f"{s['evidence']:.1f}",
                      str(s["n_members"]), s["summary"])
    return table


@app.command("detect")
@friendly
def detect(
    model: Annotated[Path | None, typer.Option(help="A pair model made by `series train` (default: the packaged one).")
                     ] = None,
    records: Annotated[str, typer.Option(help="Link cases (death investigations) or incidents.")] = "cases",
    link_at: Annotated[float, typer.Option(help="Pair probability at which two records join one series.")] = 0.5,
    surveillance: Annotated[bool, typer.Option(help="Also flag people and premises at more deaths than expected.")
                            ] = True,
    top: Annotated[int, typer.Option(help="How many candidate series to print.")] = 25,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Find candidate linked series among the workspace's cases and store them as a new run."""
    from threadline.link.detect import detect_series

    if records not in ("cases", "incidents"):
        raise InputError(f"--records must be cases or incidents, not {records!r}")
    if not 0 < link_at < 1:
        raise InputError(f"--link-at must be between 0 and 1, not {link_at}")
    with open_workspace(workspace) as ws, stage_progress("series detect", DETECT_STAGES) as advance:
        run = detect_series(ws, model=model, records=records, link_at=link_at, surveillance=surveillance,
                            progress=advance)
    console.print(_series_table(run.series.head(top), f"Candidate series (run {run.run_id}, top {top})"))
    console.print(f"Run {run.run_id}: {run.n_records:,} {records}, {run.n_candidate_pairs:,} candidate pairs compared, "
                  f"{len(run.pairs):,} pairs scored 0.05 or more, {len(run.series):,} candidate series "
                  f"({sum(run.seconds.values()):.1f} s). Model: {run.model}.")
    console.print("Details: threadline series show S001; files: threadline series export --pairs P.csv --series S.csv")


@app.command("show")
@friendly
def show(
    series_id: Annotated[str | None, typer.Argument(help="A series, e.g. S001 (default: list them).")] = None,
    run: Annotated[int | None, typer.Option(help="Run id (default: the latest).")] = None,
    top: Annotated[int, typer.Option(help="How many series to list.")] = 25,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """List the latest run's candidate series, or one series with its members and why each was linked."""
    from threadline.link import stored

    with open_workspace(workspace, read_only=True) as ws:
        info = stored.run_info(ws.con, run)
        if series_id is None:
            series = stored.series_table(ws.con, info["run_id"], top)
            console.print(_series_table(series, f"Candidate series (run {info['run_id']}, "
                                                f"{info['finished_at']:%d %b %Y %H:%M}, top {top})"))
            return
        series = stored.series_table(ws.con, info["run_id"])
        one = series[series["series_id"] == series_id.upper()]
        if one.empty:
            raise InputError(f"no series {series_id!r} in run {info['run_id']}; "
                             f"they are {', '.join(series['series_id'].head(10))}...", field="SERIES_ID")
        s = one.iloc[0]
        members = stored.members_table(ws.con, info["run_id"], s["series_id"])
    console.print(f"[bold]{s['series_id']}[/] (rank {s['rank']}, {s['kind']}, score {s['score']:.2f}, "
                  f"evidence {s['evidence']:.1f}): {s['summary']}", highlight=False)
    table = Table(show_lines=True)
    for col in ("case", "category", "reported", "place", "why linked"):
        table.add_column(col, overflow="fold")
    for _, m in members.iterrows():
        when = f"{m['reported_at']:%d %b %Y %H:%M}" if m["reported_at"] == m["reported_at"] else ""
        place = m["location_type"] if isinstance(m["location_type"], str) else ""
        table.add_row(m["case_id"], str(m["category"]), when, f"{place} {m['lsoa_code'] or ''}".strip(),
                      m["reason"])
    console.print(table)


@app.command("export")
@friendly
def export_cmd(
    pairs: Annotated[Path | None, typer.Option(help="CSV of scored pairs: case_a, case_b, score, reasons.")] = None,
    series: Annotated[Path | None, typer.Option(help="CSV of series members: case_id, series_id, score, kind.")
                      ] = None,
    run: Annotated[int | None, typer.Option(help="Run id (default: the latest).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Write the latest run's pairs (every pair scored 0.05 or more) and series to CSV."""
    from threadline.link import stored

    if not pairs and not series:
        raise InputError("say what to write: --pairs PAIRS.csv and/or --series SERIES.csv")
    with open_workspace(workspace, read_only=True) as ws:
        written = stored.export(ws.con, pairs, series, run)
    for path, n in written.items():
        console.print(f"{path}: {n:,} rows")


@app.command("train")
@friendly
def train_cmd(
    known: Annotated[Path, typer.Option(help="CSV of solved series: case_id, series_id (one row per case).")],
    out: Annotated[Path, typer.Option(help="Where to write the model (JSON).")],
    kind: Annotated[str, typer.Option(help="logistic or naive_bayes.")] = "logistic",
    records: Annotated[str, typer.Option(help="Learn from cases, or from incidents (ids in the case_id column).")
                       ] = "cases",
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Learn the pair model from the force's own solved series; use it with `series detect --model`."""
    from threadline.link import train

    if kind not in ("logistic", "naive_bayes"):
        raise InputError(f"--kind must be logistic or naive_bayes, not {kind!r}")
    if records not in ("cases", "incidents"):
        raise InputError(f"--records must be cases or incidents, not {records!r}")
    known_frame = train.read_known(known)
    with open_workspace(workspace, read_only=True) as ws, stage_progress("series train", 3) as advance:
        result = train.train_workspace(ws, known_frame, kind=kind, records=records, progress=advance)
    result.model.save(out)
    cv = result.cross_validated
    console.print(f"Model written to {out}: {result.linked:,} linked of {result.pairs:,} candidate pairs from "
                  f"{known_frame['series_id'].nunique():,} known series; {result.not_in_register} known case(s) not in "
                  f"the register. Cross-validated ({cv['folds']} folds): AUC {cv['auc']:.3f}, average precision "
                  f"{cv['average_precision']:.3f}.")
