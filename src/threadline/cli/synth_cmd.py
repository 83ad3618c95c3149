"""``threadline synth`` and ``threadline demo``."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from threadline.cli.common import console, friendly, stage_progress
from threadline.cli.import_cmd import report_reasons, results_table
from threadline.cli.workspace_cmds import print_status
from threadline.errors import InputError
from threadline.workspace.status import status


@friendly
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the import files and truth/ to.")],
    years: Annotated[int, typer.Option(min=1, max=30, help="Years of data.")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 1,
    end: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD); default: last full quarter's end.")] = None,
    scale: Annotated[float, typer.Option(min=0.01, max=50.0, help="Population scale (1 = West Yorkshire).")] = 1.0,
    plant_series: Annotated[bool, typer.Option(help="Plant the five linked series and decoys.")] = True,
    plant_emerging: Annotated[bool, typer.Option(help="Plant the emerging rise in the last quarter.")] = True,
    plant_nhs_hotspot: Annotated[bool, typer.Option(help="Plant the NHS-only assault hot spot.")] = True,
) -> None:
    """Synthesise a force's register with planted series and their answers in truth/."""
    from threadline.synth import synthesise

    try:
        end_date = date.fromisoformat(end) if end else None
    except ValueError:
        raise InputError(f"--end {end!r} is not a date like 2025-12-31") from None
    started = time.perf_counter()
    with stage_progress("synthesising", 8) as advance:
        summary = synthesise(out, years=years, seed=seed, end=end_date, population_scale=scale,
                             progress=lambda stage, *_: advance(stage), plant_series=plant_series,
                             plant_emerging=plant_emerging, plant_nhs_hotspot=plant_nhs_hotspot)
    console.print(f"Wrote a synthetic force to [bold]{out}[/] in {time.perf_counter() - started:.1f} s:")
    for name, n in summary.counts.items():
        console.print(f"  {name:<24} {n:>9,} rows")
    console.print(f"Answers in {Path(out) / 'truth'}; import with: threadline import-folder {out}")


@friendly
def demo(
    path: Annotated[Path, typer.Option("--path", help="Where to build the demo workspace.")] = Path("demo-workspace"),
    years: Annotated[int, typer.Option(min=1, max=10)] = 5,
    seed: int = 1,
) -> None:
    """Build a demo workspace from a synthetic force and real data.police.uk rows."""
    from threadline.demo import run_demo

    started = time.perf_counter()
    with stage_progress("demo", 30) as advance:
        result = run_demo(path, years=years, seed=seed, progress=advance)
    with result.workspace as ws:
        console.print(results_table(result.imports))
        for r in result.imports:
            report_reasons(r)
        print_status(status(ws))
    if result.series:
        top = result.series.series.head(5)
        console.print(f"Candidate linked series: {len(result.series.series)} (run {result.series.run_id}); top 5:")
        for _, s in top.iterrows():
            console.print(f"  {s['series_id']} {s['kind']}: {s['summary']}", highlight=False)
        console.print(f"  Details: threadline series show S001 -w {path}")
    if result.report:
        console.print(f"Latest quarter's report: [bold]{result.report.html}[/] (PDF: {result.report.pdf})")
    if result.svna:
        console.print(f"Serious Violence Duty needs assessment: [bold]{result.svna.html}[/] (PDF: {result.svna.pdf})")
    if result.learning_url:
        user, password = result.learning_admin
        console.print(f"Learning repository: {result.learning_records} synthetic debriefs and reviews. Browse it with "
                      f"[bold]threadline serve --database {result.learning_url} --insecure-cookies[/] and sign in "
                      f"at http://127.0.0.1:8000 as [bold]{user}[/] with password [bold]{password}[/]", highlight=False)
    console.print(f"Demo workspace ready at [bold]{path}[/] in {time.perf_counter() - started:.0f} s. "
                  f"Try: threadline status -w {path}")
