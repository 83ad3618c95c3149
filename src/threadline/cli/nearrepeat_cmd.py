"""``threadline nearrepeat FILE``: the near-repeat (Knox) test on a file of events."""

from __future__ import annotations

import math
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from threadline.cli.common import console, err_console, friendly
from threadline.errors import InputError

SIGNIFICANT = 0.05


def _number(value: float, digits: int) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    return f"{value:.{digits}f}"


def knox_table(result, what: str, title: str) -> Table:
    """One of the result's tables as a Rich table; cells with p < 0.05 in bold red."""
    table = Table(title=title, title_justify="left")
    table.add_column("distance \\ days", justify="left")
    for label in result.time_labels:
        table.add_column(label, justify="right")
    values = getattr(result, what)
    # p-values to the precision the permutations give (0.001 for 999); ratios to 3 decimals.
    digits = max(3, math.ceil(math.log10(result.permutations + 1))) if what == "pvalues" else 3
    for i, label in enumerate(result.space_labels):
        cells = []
        for j in range(len(result.time_labels)):
            v = values[i, j]
            text = f"{int(v):,}" if what == "observed" else _number(float(v), digits)
            if what != "observed" and result.pvalues[i, j] < SIGNIFICANT:
                text = f"[bold red]{text}[/]"
            cells.append(text)
        table.add_row(label, *cells)
    return table


@friendly
def nearrepeat(
    file: Annotated[Path, typer.Argument(help="CSV (or XLSX) file with one event per row.")],
    x: Annotated[str, typer.Option("--x", help="Column of the x coordinate (projected: metres or feet).")],
    y: Annotated[str, typer.Option("--y", help="Column of the y coordinate.")],
    date: Annotated[str, typer.Option("--date", help="Column of the date (ISO, e.g. 2016-01-31; a time is ignored).")],
    space_bands: Annotated[str, typer.Option(help="Spatial breaks in the coordinates' units, e.g. 0,0.1,200,400,600 "
                                                  "(bands are [a,b); end with Inf for an open last band).")],
    time_bands: Annotated[str, typer.Option(help="Temporal breaks in days, e.g. 0,7,14,21 (bands are [a,b)).")],
    permutations: Annotated[int, typer.Option(help="Monte Carlo permutations of the dates.")] = 999,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: a fresh one, printed so the run can "
                                                  "be repeated).")] = None,
    distance: Annotated[str, typer.Option(help="manhattan (as NearRepeat and the NRC) or euclidean.")] = "manhattan",
    precision: Annotated[str, typer.Option(help="float64, or float32 to compute distances in single precision "
                                                "as the Near Repeat Calculator does.")] = "float64",
    out: Annotated[Path | None, typer.Option(help="Write the results to this CSV file.")] = None,
    layout: Annotated[str, typer.Option(help="CSV layout: long (one row per cell) or wide (one row per "
                                             "spatial band).")] = "long",
    header: Annotated[bool, typer.Option(help="The file has a header row; with --no-header give columns by "
                                              "number (1 = first).")] = True,
    skip_missing: Annotated[bool, typer.Option(help="Leave out rows with an empty x, y or date and say how many, "
                                                    "as NearRepeat does; --no-skip-missing stops at the first.")
                            ] = True,
) -> None:
    """The near-repeat (Knox) test: are events that are close in space also close in time, more than chance?"""
    from threadline.analyse.nearrepeat import DISTANCES, PRECISIONS, knox_test, parse_bands, read_events

    if distance not in DISTANCES:
        raise InputError(f"--distance must be one of {', '.join(DISTANCES)}, not {distance!r}")
    if precision not in PRECISIONS:
        raise InputError(f"--precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if layout not in ("long", "wide"):
        raise InputError(f"--layout must be long or wide, not {layout!r}")
    if permutations < 2:
        raise InputError(f"--permutations must be at least 2, not {permutations}")
    sds = parse_bands(space_bands, "--space-bands")
    tds = parse_bands(time_bands, "--time-bands")
    events = read_events(file, x=x, y=y, date=date, header=header, skip_missing=skip_missing)
    if len(events) < 2:
        raise InputError(f"the Knox test needs at least 2 events, the file has {len(events)}", file=file)
    if seed is None:
        seed = secrets.randbelow(2**31)
    if np.abs(events.x).max() <= 180 and np.abs(events.y).max() <= 90:
        err_console.print("[yellow]warning:[/] the coordinates look like longitude and latitude in degrees; the "
                          "spatial bands are in the coordinates' units, so project them to metres first",
                          highlight=False, soft_wrap=True)

    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]permutations"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
        disable=not sys.stderr.isatty() and not os.environ.get("THREADLINE_PROGRESS"),
    ) as progress:
        task = progress.add_task("permutations", total=permutations)
        result = knox_test(events.x, events.y, events.days, sds, tds, permutations=permutations, seed=seed,
                           distance=distance, precision=precision,
                           progress=lambda done, _total: progress.update(task, completed=done))
    seconds = time.perf_counter() - started

    if events.skipped:
        rows = ", ".join(str(r) for r in events.skipped_rows[:5]) + (", ..." if events.skipped > 5 else "")
        err_console.print(f"[yellow]note:[/] {events.skipped:,} row(s) with an empty x, y or date left out "
                          f"(row {rows})", highlight=False, soft_wrap=True)
    skipped = f" ({events.skipped:,} left out)" if events.skipped else ""
    console.print(
        f"Knox test: [bold]{result.n_events:,}[/] events{skipped} from {events.first_day} to {events.last_day}, "
        f"{result.n_pairs:,} pairs, {distance} distance"
        f"{' (single precision, as the NRC)' if precision == 'float32' else ''}, "
        f"{permutations:,} permutations, seed {seed}; {seconds:.1f} s",
        highlight=False, soft_wrap=True,
    )
    console.print(knox_table(result, "observed", "Observed pairs"))
    console.print(knox_table(result, "knox_ratio", "Knox ratio (observed / mean of permutations)"))
    console.print(knox_table(result, "knox_ratio_median", "Knox ratio (observed / median of permutations)"))
    console.print(knox_table(result, "pvalues", "p-value"))
    console.print(
        "Rows: distance apart; columns: days apart; a band [a,b) includes a, not b. A Knox ratio of 1.5: 50% more "
        "pairs than if when events happened had nothing to do with where. p-value: (permutations with at least "
        f"as many pairs + 1) / (permutations + 1); [bold red]bold red[/]: p < {SIGNIFICANT} (the smallest "
        f"possible is {1 / (permutations + 1):.3g}).",
        highlight=False, soft_wrap=True,
    )
    if out is not None:
        try:
            result.to_csv(out, layout=layout)
        except OSError as exc:
            raise InputError(f"cannot write it ({exc.strerror or exc})", file=out) from None
        console.print(f"Wrote {out}")
