"""``threadline population import | show``: census population denominators for rates by ethnicity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, friendly
from threadline.workspace import open_workspace

app = typer.Typer(help="Census population denominators: import a table, show what the workspace uses.",
                  no_args_is_help=True)


@app.command("import")
@friendly
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A census table: nomis DC2101EW (wide) or an ONS custom download.")],
    source: Annotated[str | None, typer.Option(help="A name for the source (default: the file name).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Load residents by local authority, sex, age band and ethnic group; replaces those authorities' figures."""
    from threadline.analyse.violence.population import import_population, workspace_population

    with open_workspace(workspace) as ws:
        n = import_population(ws, file, source=source)
        pop = workspace_population(ws)
    imported = pop[pop["source_name"] == (source or file.name)]
    console.print(f"Imported {n:,} rows from {file.name}: {imported['la_code'].nunique():,} local authorities, "
                  f"{int(imported['count'].sum()):,} residents.", highlight=False)


@app.command("show")
@friendly
def show(
    la: Annotated[list[str] | None, typer.Option("--la", help="A local authority code (repeatable).")] = None,
    min_age: Annotated[int, typer.Option(help="Youngest age counted (must start a census band).")] = 0,
    max_age: Annotated[int, typer.Option(help="Oldest age counted (must end a census band).")] = 120,
    limit: Annotated[int, typer.Option(help="At most this many authorities listed.")] = 50,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Residents per authority and five-group ethnicity (the shipped 2011 Census when none imported)."""
    from threadline.analyse.violence.ethnicity import GROUP5
    from threadline.analyse.violence.population import population_for, workspace_population

    with open_workspace(workspace, read_only=True) as ws:
        pop = workspace_population(ws)
    grouped = population_for(pop, min_age, max_age, la_codes=la or None)
    rows = pop[pop["la_code"].isin(grouped["la_code"].unique())].groupby("la_code").size()
    wide = grouped.pivot_table(index=["la_code", "la_name"], columns="group5", values="population",
                               aggfunc="sum").reindex(columns=list(GROUP5), fill_value=0).reset_index()
    source = pop.attrs.get("source", "")
    note = "; import your own with threadline population import" if pop.attrs.get("fallback") else ""
    table = Table(title=f"Residents aged {min_age}-{max_age}: {source}{note}", title_justify="left")
    for col in ("la_code", "authority", "rows", *GROUP5, "total"):
        table.add_column(col, justify="left" if col in ("la_code", "authority") else "right")
    for _, r in wide.head(limit).iterrows():
        values = [int(r[g]) for g in GROUP5]
        table.add_row(r["la_code"], str(r["la_name"]), f"{int(rows[r['la_code']]):,}",
                      *(f"{v:,}" for v in values), f"{sum(values):,}")
    totals = [int(wide[g].sum()) for g in GROUP5]
    table.add_row("total", f"{len(wide):,} authorities", f"{int(rows.sum()):,}", *(f"{v:,}" for v in totals),
                  f"{sum(totals):,}", style="bold")
    console.print(table)
    if len(wide) > limit:
        console.print(f"{len(wide) - limit:,} more authorities not listed (--limit, or --la CODE).", highlight=False)
