"""``threadline report quarterly`` and ``threadline report profile``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, friendly, parse_date, stage_progress
from threadline.workspace import open_workspace

app = typer.Typer(help="Analytical reports on death investigations.", no_args_is_help=True)
STAGES = 10


def _list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _run(workspace: Path, period_of, out: Path | None, forces: str | None, categories: str | None,
         pdf: bool, default_out: str) -> None:
    from threadline.report import build_report

    with open_workspace(workspace) as ws:
        period = period_of(ws.config.quarter)
        target = out or (ws.path / "reports" / default_out.format(label=period.label.replace(" ", "_")))
        with stage_progress(f"report {period.label}", STAGES) as advance:
            files = build_report(ws, period, target, forces=_list(forces), categories=_list(categories),
                                 pdf=pdf, progress=advance)
    console.print(f"Report for [bold]{period.label}[/]: {files.html}")
    if files.pdf:
        console.print(f"PDF: {files.pdf}")
    console.print(f"Findings: {files.findings}")


@app.command("quarterly")
@friendly
def quarterly(
    quarter: Annotated[str, typer.Option(help="Quarter, e.g. 2025Q1 (or FY2025Q1 for a financial year).")],
    forces: Annotated[str | None, typer.Option(help="Forces to include, comma-separated (default: all).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for report.html, report.pdf, findings.json.")] = None,
    pdf: Annotated[bool, typer.Option(help="Also write the PDF.")] = True,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """The quarterly analytical report on death investigations."""
    from threadline.report import quarter_period

    _run(workspace, lambda conv: quarter_period(quarter, conv), out, forces, None, pdf, "quarterly-{label}")


@app.command("profile")
@friendly
def profile(
    from_: Annotated[str, typer.Option("--from", help="First day, e.g. 2019-04-01.")],
    to: Annotated[str, typer.Option("--to", help="Last day, e.g. 2022-03-31.")],
    categories: Annotated[str | None, typer.Option(help="Categories, comma-separated (default: all).")] = None,
    forces: Annotated[str | None, typer.Option(help="Forces to include, comma-separated (default: all).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for report.html, report.pdf, findings.json.")] = None,
    pdf: Annotated[bool, typer.Option(help="Also write the PDF.")] = True,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """A multi-year problem profile (e.g. homicide and near-miss homicide over three years)."""
    from threadline.report import profile_period

    start, end = parse_date(from_, "--from"), parse_date(to, "--to")
    _run(workspace, lambda conv: profile_period(start, end, conv), out, forces, categories, pdf,
         "profile-{label}")
