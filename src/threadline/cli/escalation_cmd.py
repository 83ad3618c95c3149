"""``threadline escalation rank | backtest`` (issue 9).

Thin: each command parses options, calls :mod:`threadline.analyse.escalation`, prints tables and
writes the files asked for. The ranking proposes; a person decides (``threadline pdp``).
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

app = typer.Typer(help="People and domestic-abuse dyads whose violence is escalating.", no_args_is_help=True)


def _frame_table(title: str, frame: pd.DataFrame, columns: list[str], percent: tuple[str, ...] = ()) -> Table:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c.replace("_", " "), justify="left" if frame[c].dtype == object else "right")
    for _, r in frame.iterrows():
        cells = []
        for c in columns:
            v = r[c]
            if isinstance(v, float):
                cells.append("–" if v != v else f"{100 * v:.1f}%" if c in percent else f"{v:,.2f}")
            else:
                cells.append(str(v))
        t.add_row(*cells)
    return t


def _ks(value: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(x) for x in value.split(",") if x.strip()}))
    except ValueError:
        raise InputError(f"--k {value!r} is not a list of whole numbers like 10,25,50") from None
    if not ks or min(ks) < 1:
        raise InputError(f"--k {value!r}: give at least one number of 1 or more")
    return ks


@app.command("rank")
@friendly
def rank_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="Rank with what was known at the end of this day.")],
    top: Annotated[int, typer.Option(min=1, help="How many to list.")] = 25,
    dyads: Annotated[bool, typer.Option("--dyads", help="Rank domestic-abuse dyads instead of people.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the ranking (CSV: ids, scores, reasons; no names).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Rank people (or dyads) by recency, frequency, gravity, victims and escalation, with the reasons."""
    from threadline.analyse.escalation.ranking import DYAD_COLUMNS, RANKING_COLUMNS, rank_dyads, rank_people

    day = parse_date(as_of, "--as-of")
    with open_workspace(workspace, read_only=True) as ws:
        ranked = (rank_dyads if dyads else rank_people)(ws.con, day, top=top)
    columns = DYAD_COLUMNS if dyads else RANKING_COLUMNS
    ranked = ranked[columns]
    shown = ["rank", "suspect_person_id", "victim_person_id"] if dyads else ["rank", "person_id"]
    shown += ["score", "reasons"]
    console.print(_frame_table(f"Top {len(ranked)} {'dyads' if dyads else 'people'} at the end of {day}", ranked,
                               shown))
    if ranked.empty:
        console.print("No one has harm recorded as a suspect in the year before that date.")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        ranked.to_csv(out, index=False)
        console.print(f"Wrote {out} ({len(ranked)} rows). The ranking proposes; a person decides.")


@app.command("backtest")
@friendly
def backtest_cmd(
    start: Annotated[str, typer.Option("--from", help="First quarter end ranked is the first on or after this day.")],
    end: Annotated[str, typer.Option("--to", help="Last day of outcomes counted.")],
    k: Annotated[str, typer.Option("--k", help="Top-k sizes, comma-separated.")] = "10,25,50",
    fairness_k: Annotated[int, typer.Option("--fairness-k", min=1, help="k for the fairness table.")] = 25,
    out: Annotated[Path | None, typer.Option(help="Folder for the tables as CSV.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """At each quarter end, rank with what was known then; count the next quarter's homicide and
    near-miss suspects and victims found in the top k, beside two baselines and a fairness table."""
    from threadline.analyse.escalation import backtest, register

    ks = _ks(k)
    day0, day1 = parse_date(start, "--from"), parse_date(end, "--to")
    if day1 <= day0:
        raise InputError("--to must be after --from")
    qs = backtest.quarter_ends(day0, day1)
    if not qs:
        raise InputError(f"no quarter end from {day0} with a whole quarter after it by {day1}: widen --from/--to")
    with open_workspace(workspace, read_only=True) as ws, stage_progress("Backtest", len(qs) + 1) as advance:
        advance("reading the register")
        ev, victims = register.events(ws.con)
        dyads = register.dyad_events(ev, victims)
        outcomes, people = register.outcomes(ws.con), register.people(ws.con)
        result = backtest.run(ev, victims, dyads, outcomes, people, day0, day1, ks=ks, fairness_k=fairness_k,
                              progress=lambda q: advance(f"quarter ending {q.date()}"))
    for note in result.notes:
        console.print(note)
    recall = result.recall.copy()
    console.print(_frame_table("Recall at k (95% Wilson interval)", recall,
                               ["list", "party", "method", "k", "outcomes", "found", "recall", "low", "high"],
                               percent=("recall", "low", "high")))
    console.print(_frame_table("Precision at k", result.precision,
                               ["list", "method", "k", "entries", "hits", "precision", "low", "high"],
                               percent=("precision", "low", "high")))
    lead = backtest.lead_summary(result.lead_time)
    if lead.empty:
        console.print("Lead time: no outcome was found in any top k.")
    else:
        console.print(_frame_table("Lead time of outcomes found (days from first quarter end on top to the case)",
                                   lead, ["list", "party", "method", "k", "found", "median_days", "q1_days",
                                          "q3_days"]))
    console.print(_frame_table(
        f"Fairness of the people list (model, top {fairness_k}): selection and recall by group; odds ratio of "
        "selection given the same incidents", result.fairness,
        ["attribute", "group", "ranked", "selected", "selection_rate", "suspects_next_quarter", "found", "recall",
         "odds_ratio_given_incidents", "or_low", "or_high", "verdict"], percent=("selection_rate", "recall")))
    flagged = result.fairness[result.fairness["verdict"].str.startswith("selected")]
    for _, r in flagged.iterrows():
        odds = f"odds ratio {r['odds_ratio_given_incidents']:.2f}, 95% {r['or_low']:.2f} to {r['or_high']:.2f}"
        console.print(f"[bold yellow]note:[/] {r['attribute']} {r['group']}: {r['verdict']} ({odds})")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in (("recall", result.recall), ("precision", result.precision), ("lead-time", lead),
                            ("fairness", result.fairness)):
            frame.to_csv(out / f"{name}.csv", index=False)
        ranks = result.outcome_ranks[["case_id", "category", "reported_at", "party", "quarter_end", "list", "method",
                                      "rank"]]
        ranks.to_csv(out / "outcome-ranks.csv", index=False)
        console.print(f"Wrote the tables to {out}/ (outcome-ranks.csv has case ids and ranks, no person ids).")
