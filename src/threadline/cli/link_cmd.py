"""``threadline link persons | review | explain``: one person across police and partner records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, friendly, stage_progress
from threadline.errors import InputError
from threadline.workspace import open_workspace

app = typer.Typer(help="Person linkage: the same person across police and partner records (Splink).",
                  no_args_is_help=True)


@app.command("persons")
@friendly
def persons(
    threshold: Annotated[float | None, typer.Option(help="Match probability at which two records are one person "
                                                         "(default: the engine's documented default).")] = None,
    engine: Annotated[str, typer.Option(help="duckdb (one machine) or spark (a cluster, same settings).")] = "duckdb",
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Link the force's people and identifiable partner records; store links and identities as a new run."""
    from threadline.link.people.workspace import link_persons

    with open_workspace(workspace) as ws, stage_progress("link persons", 5) as advance:
        run = link_persons(ws, threshold=threshold, engine=engine, progress=advance)
    console.print(f"Run {run.run_id} ({run.engine}): {run.n_records:,} person records, "
                  f"{len(run.pairs):,} pairs scored, {run.n_links:,} links at p >= {run.threshold:g}, "
                  f"{run.n_identities:,} identities "
                  f"({run.seconds.get('total', sum(run.seconds.values())):.1f} s).")
    console.print("Uncertain links: threadline link review; why two records link: threadline link explain A B")


@app.command("review")
@friendly
def review(
    accept: Annotated[tuple[str, str] | None, typer.Option(help="Record a match: two record ids.")] = None,
    reject: Annotated[tuple[str, str] | None, typer.Option(help="Record a non-match: two record ids.")] = None,
    note: Annotated[str | None, typer.Option(help="Why (kept with the decision).")] = None,
    by: Annotated[str | None, typer.Option(help="Who decided (kept with the decision).")] = None,
    low: Annotated[float, typer.Option(help="Lower edge of the uncertain band.")] = 0.5,
    limit: Annotated[int, typer.Option(help="How many uncertain links to list.")] = 25,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """List the uncertain links for a person to decide, or record a decision (it wins over the model next run)."""
    from threadline.link.people import workspace as W

    if accept and reject:
        raise InputError("give --accept or --reject, not both")
    if accept or reject:
        pair, decision = (accept, "match") if accept else (reject, "non_match")
        with open_workspace(workspace) as ws:
            W.record_decision(ws.con, pair[0], pair[1], decision, by=by, note=note)
        console.print(f"Recorded: {pair[0]} and {pair[1]} are {'the same person' if accept else 'different people'}; "
                      "the next `threadline link persons` run follows this decision.")
        return
    with open_workspace(workspace, read_only=True) as ws:
        band = W.review_band(ws.con, low=low, limit=limit)
    if band.empty:
        console.print("No undecided links in the uncertain band.")
        return
    table = Table(title=f"Uncertain links (probability {low:g} up to the threshold), most uncertain first",
                  title_justify="left")
    for col in ("record A", "record B", "probability", "match weight"):
        table.add_column(col, justify="right" if col in ("probability", "match weight") else "left")
    for _, r in band.iterrows():
        table.add_row(r["id_a"], r["id_b"], f"{r['match_probability']:.3f}", f"{r['match_weight']:.1f}")
    console.print(table)
    console.print("Look at each pair (threadline link explain A B), then: threadline link review --accept A B "
                  "or --reject A B")


@app.command("explain")
@friendly
def explain(
    id_a: Annotated[str, typer.Argument(help="A person_id, or agency:record_id for a partner record.")],
    id_b: Annotated[str, typer.Argument(help="Another record id.")],
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Why two records do or do not link: each comparison's level and its match weight (no names shown)."""
    from threadline.link.people.workspace import explain_pair

    with open_workspace(workspace, read_only=True) as ws:
        out = explain_pair(ws.con, id_a, id_b)
    table = Table(title=f"{id_a} and {id_b}: match weight {out['match_weight']:.2f}, "
                        f"probability {out['match_probability']:.4f}", title_justify="left")
    for col in ("comparison", "level", "weight", "m", "u"):
        table.add_column(col, justify="left" if col in ("comparison", "level") else "right")
    table.add_row("prior (how rare a match is)", "", f"{out['prior_weight']:.2f}", "", "")
    for c in out["comparisons"]:
        m = c.get("m_probability")
        u = c.get("u_probability")
        table.add_row(c["comparison"], str(c["level"]), f"{c['match_weight']:+.2f}",
                      f"{m:.3f}" if isinstance(m, float) else "", f"{u:.4f}" if isinstance(u, float) else "")
    console.print(table)
    if out.get("decision"):
        console.print(f"A reviewer decided: {out['decision']} (this wins over the model).")


@app.command("pseudonymised")
@friendly
def pseudonymised(
    partner: Annotated[Path, typer.Argument(help="The partner's pseudonymised extract (threadline pseudonymise).")],
    persons: Annotated[Path, typer.Option(help="The force's people, pseudonymised with the same key.")],
    out: Annotated[Path, typer.Option(help="Links to write: record, person_id, probability.")],
    method: Annotated[str, typer.Option(help="hmac (keyed tokens, recommended) or clk (Bloom filters).")] = "hmac",
    threshold: Annotated[float, typer.Option(help="hmac only: match probability to link at.")] = 0.5,
) -> None:
    """Link a partner's pseudonymised records to the force's pseudonymised people: no names on either side."""
    from threadline.link.people.pseudonymise import link_pseudonymised_files

    n = link_pseudonymised_files(partner, persons, out, method=method, threshold=threshold)
    console.print(f"Wrote {n:,} links to {out} (method {method}).")
