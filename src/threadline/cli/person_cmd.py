"""``threadline person show | prior-contacts``: one person's timeline, and the prior contacts of the victims
and suspects of a period's homicides and near-misses. No names or dates of birth unless ``--identifiable``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from threadline.cli.common import DEFAULT_WORKSPACE, WorkspaceOpt, console, friendly, parse_date
from threadline.errors import InputError
from threadline.workspace import open_workspace

app = typer.Typer(help="One person's timeline across police and partner records; prior contacts.",
                  no_args_is_help=True)


def _cell(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _print_standing(place: dict) -> None:
    """The escalation standing under the timeline: a proposal for a person to weigh, never a verdict."""
    p = place["person"]
    head = f"Escalation at {place['as_of']}: "
    if p is None:
        console.print(head + "no violent harm as a suspect in the year before; not ranked.", highlight=False)
    else:
        console.print(head + f"rank {p['rank']:,} of {place['people_ranked']:,} people (score {p['score']:.1f}): "
                      f"{p['reasons']}", highlight=False)
    for d in place["dyads"]:
        console.print(f"  domestic abuse against {d['victim_person_id']}: rank {d['rank']:,} of "
                      f"{place['dyads_ranked']:,} dyads: {d['reasons']}", highlight=False)
    console.print("  The ranking proposes; a person decides (docs/escalation.md).", highlight=False)


@app.command("show")
@friendly
def show(
    person_id: Annotated[str, typer.Argument(help="The person's person_id, e.g. P0012345.")],
    html: Annotated[Path | None, typer.Option("--html", help="Also write the person page (self-contained HTML).")
                    ] = None,
    identifiable: Annotated[bool, typer.Option(
        "--identifiable", help="Show name and date of birth (an identifiable export: only when you need it).")
    ] = False,
    run: Annotated[int | None, typer.Option(help="Person-linkage run (default: the latest).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date of the escalation standing shown under the timeline (default: the last day an "
                        "incident was reported).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Every case, incident, partner record and linked identity of one person, in time order, and
    where they stand in the escalation ranking (people and domestic-abuse dyads)."""
    from threadline.analyse.escalation.ranking import latest_known, standing
    from threadline.link.people.timeline import AGENCY_WORDS, person_header, render_person_html, timeline

    day = parse_date(as_of, "--as-of")
    with open_workspace(workspace, read_only=True) as ws:
        events = timeline(ws.con, person_id, run_id=run)
        day = day or latest_known(ws.con)
        place = standing(ws.con, person_id, day) if day is not None else None
        head = person_header(ws.con, person_id, identifiable=identifiable, run_id=run)
        page = render_person_html(ws.con, person_id, identifiable=identifiable, run_id=run) if html else None
    who = f"[bold]{head['person_id']}[/]"
    if head["identity_id"]:
        who += (f", identity {head['identity_id']} (link run {head['link_run']}: {head['linked_persons']} other "
                f"police record(s), {head['linked_partner_records']} partner record(s))")
    who += f", sex {head['sex'] or 'unknown'}"
    if identifiable:
        console.print("[bold red]IDENTIFIABLE[/]: name and date of birth shown at your request.", highlight=False)
        who += (f", name {head.get('given_name') or ''} {head.get('family_name') or ''}".rstrip()
                + f", born {head.get('date_of_birth') or 'unknown'}")
    console.print(who, highlight=False)
    if head["link_run"] is None:
        console.print("Person linkage has not been run: police records only (partner records reach a person only "
                      "through linked identities).", highlight=False)
    table = Table(show_lines=False, title=f"{len(events)} events, in time order", title_justify="left")
    for col in ("when", "kind", "agency", "record", "what", "role", "sev", "place", "age", "detail"):
        table.add_column(col, overflow="fold", justify="right" if col in ("sev", "age") else "left")
    for e in events.to_dict("records"):
        when = "" if pd.isna(e["when"]) else f"{e['when']:%d %b %Y %H:%M}"
        table.add_row(when, e["kind"], AGENCY_WORDS.get(e["source"], e["source"]), e["id"], _cell(e["what"]),
                      _cell(e["role"]), _cell(e["severity"]), _cell(e["place"]), _cell(e["age"]), _cell(e["detail"]))
    console.print(table)
    if place is not None:
        _print_standing(place)
    if html:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(page, encoding="utf-8")
        console.print(f"Person page: {html}" + (" [bold red](IDENTIFIABLE)[/]" if identifiable else ""),
                      highlight=False)


@app.command("prior-contacts")
@friendly
def prior_contacts_cmd(
    from_: Annotated[str, typer.Option("--from", help="First day of the period, e.g. 2024-01-01.")],
    to: Annotated[str, typer.Option("--to", help="Day after the period ends, e.g. 2025-01-01.")],
    years_before: Annotated[int, typer.Option(help="How many years before each case to look.")] = 2,
    categories: Annotated[str, typer.Option(help="Case categories, comma-separated.")
                          ] = "homicide,attempted_homicide",
    out: Annotated[Path | None, typer.Option(help="CSV of one row per case, party and agency.")] = None,
    run: Annotated[int | None, typer.Option(help="Person-linkage run (default: the latest).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WORKSPACE,
) -> None:
    """Which agencies had contact with the victims and suspects of the period's homicides and near-misses."""
    from threadline.link.people.timeline import AGENCY_WORDS, prior_contacts, prior_contacts_summary
    from threadline.vocab import CATEGORIES

    start, end = parse_date(from_, "--from"), parse_date(to, "--to")
    cats = tuple(c.strip() for c in categories.split(",") if c.strip())
    bad = [c for c in cats if c not in CATEGORIES]
    if bad or not cats:
        raise InputError(f"--categories: unknown {', '.join(bad) or '(none given)'}; "
                         f"choose from {', '.join(CATEGORIES)}")
    with open_workspace(workspace, read_only=True) as ws:
        detail = prior_contacts(ws.con, start, end, years_before=years_before, categories=cats, run_id=run)
    summary = prior_contacts_summary(detail)
    n_cases = detail["case_id"].nunique()
    console.print(f"{n_cases} case(s) ({', '.join(cats)}) reported {start} to {end}; contacts in the "
                  f"{years_before} year(s) before each.", highlight=False)
    if detail.attrs.get("link_run") is None:
        console.print("Person linkage has not been run: police contacts only.", highlight=False)
    table = Table(title="Known to each agency before the case", title_justify="left")
    for col in ("party", "agency", "people", "known", "share", "median contacts", "median days since last",
                "police contact with the other party"):
        table.add_column(col, overflow="fold", justify="left" if col in ("party", "agency") else "right")
    for r in summary.to_dict("records"):
        table.add_row(r["party"], AGENCY_WORDS.get(r["agency"], r["agency"]), str(r["people"]), str(r["known"]),
                      f"{100 * r['share']:.0f}%" if r["share"] is not None else "",
                      _cell(r["median_contacts"]), _cell(r["median_days_before"]),
                      str(r["known_with_other_party"]) if r["agency"] == "police" else "")
    console.print(table)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        detail.to_csv(out, index=False)
        console.print(f"{out}: {len(detail):,} rows (case, party, agency)")
