"""``threadline return ...``: returns to the Home Office (issue 9).

Thin: the command parses options, calls :mod:`threadline.returns.homicide_index`, prints a summary and
writes the files. See docs/homicide-return.md.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, friendly, parse_date
from threadline.errors import InputError
from threadline.workspace import open_workspace

app = typer.Typer(help="Returns to the Home Office: the Homicide Index return.", no_args_is_help=True)


def _table(title: str, header: list[str], rows: list[list[object]]) -> Table:
    t = Table(title=title, title_justify="left")
    for h in header:
        t.add_column(
            h,
            justify="left"
            if h in ("rule", "name", "severity", "category", "status", "explanation", "change")
            else "right",
        )
    for r in rows:
        t.add_row(*("" if v is None else str(v) for v in r))
    return t


@app.command("homicide-index")
@friendly
def homicide_index_cmd(
    start: Annotated[str, typer.Option("--from", help="First day recorded, e.g. 2024-04-01.")],
    end: Annotated[str, typer.Option("--to", help="Last day recorded, e.g. 2025-03-31 (included).")],
    out: Annotated[Path, typer.Option("--out", help="FILE.xlsx (one workbook) or FILE.csv (one file a sheet).")],
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="The last return (.csv or .xlsx written by this command): list what changed."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any error-level problem is found.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """The Home Office Homicide Index return: homicides recorded in the period, validated, with the changes
    since the last return and a reconciliation with the register."""
    from threadline.returns import homicide_index as hi
    from threadline.returns.changes import read_return, summary
    from threadline.returns.rules import RULES_BY_ID

    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise InputError(f"--to {last} is before --from {first}")
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"--out {out} must end in .csv or .xlsx")
    last_return = read_return(previous) if previous is not None else None  # before any work: fail fast
    with open_workspace(workspace, read_only=True) as ws:
        result = hi.build_return(ws.con, first, last + timedelta(days=1))
    if last_return is not None:
        result.changes = hi.changes_since(last_return, result)
    written = hi.write_return(result, out)

    console.print(
        f"Homicide Index return, recorded {first} to {last}: [bold]{len(result.rows):,}[/] homicide(s), "
        f"{len(result.suspects):,} suspect row(s)"
    )
    counts = Counter((p.rule, p.severity) for p in result.problems)
    if counts:
        console.print(
            _table(
                "Problems per rule",
                ["rule", "name", "severity", "problems"],
                [[rid, RULES_BY_ID[rid].name, sev, n] for (rid, sev), n in sorted(counts.items())],
            )
        )
    else:
        console.print("No problems found.")
    if previous is not None:
        s = summary(result.changes)
        console.print(
            f"Since {previous.name}: {s['new']} new, {s['removed']} removed, {s['changed_cases']} changed "
            f"({s['changed_fields']} field(s))"
        )
    rec = result.reconciliation
    console.print(_table("Reconciliation with the register", list(rec.columns), rec.values.tolist()))
    console.print("Wrote " + ", ".join(str(p) for p in written))
    errors = len(result.errors)
    if strict and errors:
        console.print(f"[bold red]{errors} error-level problem(s)[/] (--strict)")
        raise typer.Exit(1)
