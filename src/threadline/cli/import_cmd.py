"""``threadline import KIND FILE...`` and ``threadline import-folder DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, err_console, friendly, stage_progress
from threadline.errors import ThreadlineError
from threadline.ingest import ImportResult, import_file
from threadline.ingest.folder import import_folder
from threadline.ingest.load import StrictImportError
from threadline.workspace import open_workspace

STAGES = 5


def results_table(results: list[ImportResult]) -> Table:
    table = Table(title="Import summary", title_justify="left")
    for col in ("file", "kind", "read", "imported", "updated", "unchanged", "quarantined"):
        table.add_column(col, justify="left" if col in ("file", "kind") else "right")
    for r in results:
        q = f"[red]{r.quarantined:,}[/]" if r.quarantined else "0"
        table.add_row(r.path.name, r.kind, f"{r.rows_read:,}", f"{r.imported:,}", f"{r.updated:,}",
                      f"{r.unchanged:,}", q)
    return table


def report_reasons(r: ImportResult) -> None:
    if not r.quarantined:
        return
    console.print(f"[yellow]{r.path.name}: {r.quarantined:,} row(s) quarantined[/]; reasons:")
    for reason, n in r.reasons.most_common(8):
        console.print(f"  {n:>7,}  {reason}", highlight=False)
    if len(r.reasons) > 8:
        console.print(f"  ... and {len(r.reasons) - 8} more kinds of problem")
    console.print(f"  every rejected row, with its row number and reasons: {r.rejects_path}")


@friendly
def import_cmd(
    kind: Annotated[str, typer.Argument(help="cases, persons, case-persons, case-entities, incidents, "
                                             "incident-persons, partner-records or police-uk")],
    files: Annotated[list[Path], typer.Argument(help="CSV, XLSX or Parquet file(s).")],
    mapping: Annotated[Path | None, typer.Option("--mapping", "-m", help="Mapping YAML for your own export.")] = None,
    source: Annotated[str | None, typer.Option(help="Name of the data source (default: file name).")] = None,
    strict: Annotated[bool, typer.Option(help="Import nothing if any row is bad.")] = False,
    agency: Annotated[str | None, typer.Option(help="partner-records only: the agency every row comes from "
                                                    "(nhs_ed, ambulance, la_safeguarding, youth_justice, "
                                                    "probation, other).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Import files into the register. Bad rows are quarantined with reasons; the rest imports."""
    results: list[ImportResult] = []
    failed = unusable = False
    with open_workspace(workspace) as ws:
        for path in files:
            try:
                with stage_progress(f"importing {path.name}", STAGES) as advance:
                    results.append(import_file(ws, kind, path, mapping=mapping, source=source, strict=strict,
                                               progress=advance, agency=agency))
            except StrictImportError as exc:
                failed = True
                results.append(exc.result)
                err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            except ThreadlineError as exc:
                if len(files) == 1:
                    raise
                unusable = True  # say so, and go on with the other files
                err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    if results:
        console.print(results_table(results))
    for r in results:
        report_reasons(r)
    if unusable:
        raise typer.Exit(2)
    if failed or any(r.nothing_imported for r in results):
        raise typer.Exit(1)


@friendly
def import_folder_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder with persons.csv, cases.csv, ... (as synth writes)")],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Import every <kind>.csv in a folder, in the order references need."""
    with open_workspace(workspace) as ws, stage_progress(f"importing {folder}", 1) as advance:
        results = import_folder(ws, folder, progress=advance)
    console.print(results_table(results))
    for r in results:
        report_reasons(r)
    if not results:
        err_console.print(f"[bold red]error:[/] {folder}: no <kind>.csv files found")
        raise typer.Exit(1)
    if any(r.nothing_imported for r in results):  # as for `threadline import`
        raise typer.Exit(1)
