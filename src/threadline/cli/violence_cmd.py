"""``threadline violence ...``, ``threadline evaluate`` and ``threadline report svna`` (issue 8).

Thin: each command parses options, calls :mod:`threadline.report.svna` or
:mod:`threadline.analyse.violence.programme`, prints a summary table and writes the files asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, friendly, parse_date, stage_progress
from threadline.errors import InputError
from threadline.workspace import open_workspace

app = typer.Typer(help="Serious youth violence under the Serious Violence Duty.", no_args_is_help=True)

FromOpt = Annotated[str, typer.Option("--from", help="First day, e.g. 2023-04-01.")]
ToOpt = Annotated[str, typer.Option("--to", help="Last day, e.g. 2024-03-31.")]
AreaOpt = Annotated[str | None, typer.Option("--area", help="Local authority code or name (default: the force).")]
YouthOpt = Annotated[str | None, typer.Option("--youth", help="Youth ages MIN-MAX, e.g. 10-17 (default 10-24).")]
DefsOpt = Annotated[str | None, typer.Option("--definitions", help="Your own serious-violence.yaml.")]


def _scope(ws, area, start, end, youth=None, definitions=None, training=None, suppress_below=None):
    from threadline.report.svna import make_scope

    return make_scope(ws, area, parse_date(start, "--from"), parse_date(end, "--to"), youth=youth,
                      definitions=definitions, training=parse_date(training, "--training"),
                      suppress_below=suppress_below)


def _table(title: str, frame: pd.DataFrame, columns: list[str]) -> Table:
    from threadline.analyse.violence.disclosure import render

    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c.replace("_", " "), justify="right" if c not in ("area", "area_name", "group5", "stage",
                                                                        "field", "role", "message") else "left")
    for _, r in frame.iterrows():
        cells = []
        for c in columns:
            v = r.get(c)
            if c in ("count", "people"):
                cells.append(render(v))
            elif isinstance(v, float):
                cells.append("–" if v != v else f"{v:.2f}")
            else:
                cells.append("" if v is None else str(v))
        t.add_row(*cells)
    return t


@app.command("disproportionality")
@friendly
def disproportionality_cmd(
    start: FromOpt, end: ToOpt, area: AreaOpt = None, youth: YouthOpt = None, definitions: DefsOpt = None,
    method: Annotated[str, typer.Option(help="Interval method: katz or exact.")] = "katz",
    out: Annotated[Path | None, typer.Option(help="Write the published tables (CSV) with this file name stem.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Rates per 1,000 and relative rate indices by ethnic group, for victims, suspects and justice stages."""
    from threadline.analyse.violence import population, register
    from threadline.report.svna import disproportionality_section, in_area

    if method not in ("katz", "exact"):
        raise InputError(f"--method must be katz or exact, not {method!r}")
    with open_workspace(workspace, read_only=True) as ws:
        scope = _scope(ws, area, start, end, youth, definitions)
        inv = in_area(register.involvements(ws.con, scope.defs, scope.start, scope.end), scope)
        section = disproportionality_section(inv, population.workspace_population(ws.con), scope, method=method)
    cols = ["area_name", "group5", "count", "population", "rate", "rri", "rri_low", "rri_high"]
    for role, rows in section["roles"].items():
        console.print(_table(f"{role.capitalize()}s of serious violence {scope.defs.youth_label}, {scope.label}",
                             pd.DataFrame(rows), cols))
    stages = pd.DataFrame(section["stages"])
    console.print(_table(f"Justice stages ({section['stage_area']})", stages,
                         ["stage", "group5", "count", "rate", "rri", "of_suspects", "of_suspects_rri"]))
    console.print(f"Population: {section['population_source']}. Counts below {scope.suppress_below} shown as [c].")
    if out:
        for role, rows in section["roles"].items():
            pd.DataFrame(rows).to_csv(out.with_name(f"{out.stem}-{role}s.csv"), index=False)
        stages.to_csv(out.with_name(f"{out.stem}-stages.csv"), index=False)
        console.print(f"Wrote {out.stem}-victims.csv, -suspects.csv and -stages.csv in {out.parent}")


@app.command("recording")
@friendly
def recording_cmd(
    start: FromOpt, end: ToOpt, area: AreaOpt = None,
    by: Annotated[str, typer.Option(help="Break completeness down by: role, month, source_system, recording_unit "
                                         "(comma-separated).")] = "role",
    out: Annotated[Path | None, typer.Option(help="Write completeness (CSV) here.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Completeness and consistency of victims' and suspects' protected characteristics, with alerts."""
    from threadline.analyse.violence import recording, register
    from threadline.report.svna import in_area

    keys = tuple(k.strip() for k in by.split(",") if k.strip())
    bad = [k for k in keys if k not in ("role", "month", "source_system", "recording_unit")]
    if bad:
        raise InputError(f"--by {', '.join(bad)}: choose from role, month, source_system, recording_unit")
    with open_workspace(workspace, read_only=True) as ws:
        scope = _scope(ws, area, start, end)
        rows = in_area(register.characteristic_rows(ws.con, scope.start, scope.end), scope)
    if rows.empty:
        raise InputError(f"no victim or suspect records between {start} and {end}")
    fields = [f for f in recording.FIELDS if f in rows.columns]
    comp = recording.completeness(rows, by=keys, fields=fields)
    console.print(_table(f"Protected characteristics recorded, {scope.label}", comp,
                         [*keys, "field", "n", "pct_recorded", "pct_informative"]))
    trends = []
    for field in fields:
        for role in ("victim", "suspect"):
            tr = recording.completeness_trend(rows[rows["role"] == role], field)
            if len(tr.slopes):
                s = tr.slopes.iloc[0]
                trends.append({"field": field, "role": role, "pp_per_year": s["pp_per_year"],
                               "odds_ratio": s["odds_ratio"], "p_value": s["p_value"]})
    if trends:
        console.print(_table("Trend in recording (percentage points a year; binomial GLM)", pd.DataFrame(trends),
                             ["field", "role", "pp_per_year", "odds_ratio", "p_value"]))
    if {"ethnicity_self_defined", "ethnicity_observed"} <= set(rows.columns):
        console.print(recording.ethnicity_agreement(rows).describe())
    if "recording_unit" in rows.columns:
        alerts = recording.completeness_alerts(rows, fields=fields)
        alerts = alerts[alerts["alert"]] if len(alerts) else alerts
        if len(alerts):
            console.print("[bold red]Completeness has fallen:[/]")
            for m in alerts["message"]:
                console.print(f"  {m}")
        else:
            console.print("No unit's recording fell below its previous twelve months beyond chance.")
    if out:
        comp.to_csv(out, index=False)
        console.print(f"Wrote {out}")


@app.command("outcome22")
@friendly
def outcome22_cmd(
    start: FromOpt, end: ToOpt, area: AreaOpt = None, definitions: DefsOpt = None,
    training: Annotated[str | None, typer.Option(help="Date officers were trained: estimate the change after it.")]
    = None,
    review_list: Annotated[Path | None, typer.Option(help="Write the eligible crimes that did not get outcome 22 "
                                                           "(CSV, ids only) here.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Outcome 22 use, eligible crimes that did not get it, and the change after a training date."""
    from threadline.analyse.violence import outcome22, register
    from threadline.report.svna import in_area, outcome22_section

    with open_workspace(workspace, read_only=True) as ws:
        scope = _scope(ws, area, start, end, definitions=definitions, training=training)
        rows = register.suspect_rows(ws.con, scope.start, scope.end)
    section = outcome22_section(rows, scope)
    console.print(f"{section['outcome_22']:,} of {section['crimes_with_outcome']:,} suspects' crimes with an outcome "
                  f"got outcome 22; {section['eligible']:,} looked eligible.")
    for key in ("group5", "age_band", "la_name"):
        console.print(_table(f"Outcome 22 by {key.replace('_', ' ')}", pd.DataFrame(section["by"][key]),
                             [key, "crimes", "outcome_22"]))
    if section.get("training"):
        console.print(section["training"]["summary"])
    if review_list:
        listed = outcome22.not_given(in_area(outcome22.with_eligibility(rows, scope.defs), scope))
        listed.to_csv(review_list, index=False)
        console.print(f"Wrote {len(listed):,} crimes for review to {review_list}")


@friendly
def svna_cmd(
    start: FromOpt, end: ToOpt, area: AreaOpt = None, youth: YouthOpt = None, definitions: DefsOpt = None,
    training: Annotated[str | None, typer.Option(help="Outcome 22 training date, to estimate its effect.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for svna.html, svna.pdf and findings.json.")] = None,
    pdf: Annotated[bool, typer.Option(help="Also write the PDF.")] = True,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """The Serious Violence Duty strategic needs assessment for a local authority (or the force)."""
    from threadline.report.svna_html import build_svna_report

    with open_workspace(workspace) as ws:
        scope = _scope(ws, area, start, end, youth, definitions, training)
        target = out or (ws.path / "reports" / f"svna-{(scope.la_code or 'force')}-{scope.start}-{scope.end}")
        with stage_progress("needs assessment", 10) as advance:
            files = build_svna_report(ws, scope, target, pdf=pdf, progress=advance)
    console.print(f"Needs assessment for [bold]{scope.la_name}[/], {scope.label}: {files.html}")
    if files.pdf:
        console.print(f"PDF: {files.pdf}")


@friendly
def evaluate_cmd(
    participants: Annotated[Path, typer.Option(help="CSV of person_id,start_date[,programme].")],
    outcome: Annotated[str, typer.Option(help="serious_violence or any_offence.")] = "serious_violence",
    follow_up: Annotated[int, typer.Option("--follow-up", help="Months of follow-up after each start.")] = 12,
    method: Annotated[str, typer.Option(help="cem (coarsened exact matching) or psm (propensity score).")] = "cem",
    definitions: DefsOpt = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the balance table, effect and summary.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Evaluate an intervention against a matched comparison group from the register."""
    import json

    from threadline.analyse.violence.programme import evaluate_programme

    with open_workspace(workspace, read_only=True) as ws, stage_progress("evaluation", 1) as advance:
        advance("matching")
        result = evaluate_programme(ws, participants, outcome=outcome, follow_up=follow_up, method=method,
                                    definitions=definitions)
    words = "suspected of serious violence" if outcome == "serious_violence" else "suspected of any offence"
    summary = result.summary(programme=result.counts.get("programme", "the programme"), outcome=words)
    bal = result.balance
    console.print(_table("Balance (standardised mean difference; balanced below 0.1)", bal,
                         [c for c in ("covariate", "smd_before", "smd_after", "balanced") if c in bal.columns]))
    e = result.effect
    console.print(f"Effect: risk difference {e.risk_difference:+.3f} "
                  f"(95% interval {e.rd_low:+.3f} to {e.rd_high:+.3f}); "
                  f"minimum detectable effect {result.mde:.3f}")
    console.print(f"Maryland Scientific Methods Scale: {result.maryland[1]}")
    console.print(summary)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        bal.to_csv(out / "balance.csv", index=False)
        (out / "summary.txt").write_text(summary + "\n", encoding="utf-8")
        (out / "effect.json").write_text(json.dumps({
            "method": result.method, "counts": result.counts, "risk_difference": e.risk_difference,
            "low": e.rd_low, "high": e.rd_high, "risk_ratio": e.risk_ratio, "mde": result.mde,
            "maryland_level": result.maryland[0],
            "maryland": result.maryland[1],
            "difference_in_differences": None if result.did is None else {
                "estimate": result.did.estimate, "low": result.did.low, "high": result.did.high}},
            indent=1, default=str), encoding="utf-8")
        console.print(f"Wrote balance.csv, effect.json and summary.txt to {out}")
