"""``threadline init`` and ``threadline status``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, friendly
from threadline.workspace import init_workspace, open_workspace
from threadline.workspace.status import Status, status


@friendly
def init(
    path: Annotated[Path | None, typer.Argument(help="Folder to create (default: --workspace).")] = None,
    force: Annotated[list[str] | None, typer.Option("--force", "-f",
                     help="Force name; repeat for a collaboration (e.g. -f Norfolk -f Suffolk).")] = None,
    quarter: Annotated[str, typer.Option(help="Quarter convention: calendar or financial.")] = "calendar",
    name: Annotated[str | None, typer.Option(help="A name for reports.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Create a workspace: a folder holding threadline.duckdb and threadline.toml."""
    target = path or workspace
    with init_workspace(target, forces=force or [], quarter=quarter, name=name) as ws:
        console.print(f"Created workspace [bold]{ws.path}[/] (schema version {ws.schema_version}).")
        console.print(f"Settings in {ws.path / 'threadline.toml'}; next: threadline import KIND FILE -w {ws.path}")


def df_table(frame: pd.DataFrame, title: str, index: bool = False) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    if index:
        table.add_column(str(frame.index.name or ""), style="bold")
    for col in frame.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(frame[col]) else "left")
    for idx, row in frame.iterrows():
        cells = ["" if pd.isna(v) else (f"{v:,}" if isinstance(v, int) else str(v)) for v in row.tolist()]
        table.add_row(*([str(idx)] if index else []), *cells)
    return table


def print_status(st: Status) -> None:
    console.print(f"Workspace [bold]{st.path}[/] · schema {st.schema_version} · forces: "
                  f"{', '.join(st.forces) or '(not set)'} · {st.quarter_convention} quarters")
    console.print(df_table(st.tables, "Rows per table"))
    if st.cases_by_quarter.empty:
        console.print("No cases yet.")
    else:
        frame = st.cases_by_quarter.astype(int).T  # categories down, quarters across: fits a terminal
        frame.index.name = "category"
        console.print(df_table(frame, "Cases per category per quarter (by reported date)", index=True))
    if st.quarantine.empty:
        console.print("Quarantine: empty.")
    else:
        console.print(df_table(st.quarantine, f"Quarantined: {st.quarantined_rows:,} problem(s)"))
    if st.imports.empty:
        console.print("No imports yet.")
    else:
        imports = st.imports.copy()
        imports["finished_at"] = imports["finished_at"].dt.strftime("%Y-%m-%d %H:%M")
        console.print(df_table(imports, "Last imports"))


@friendly
def status_cmd(workspace: WorkspaceOpt = DEFAULT_WORKSPACE) -> None:
    """Print what the register holds: rows, cases per quarter, quarantine, last imports."""
    with open_workspace(workspace) as ws:
        if ws.upgraded_from is not None:
            console.print(f"Upgraded the workspace from schema {ws.upgraded_from} to {ws.schema_version}.")
        print_status(status(ws))
