"""``threadline pdp ...``: the potentially dangerous persons list from the command line.

Thin, like ``threadline learning``: each command opens the learning database and calls
:mod:`threadline.pdp`. ``--as USERNAME`` applies that user's access rules exactly as the web app
does, and the audit log records the action from address ``cli``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from threadline.cli.common import console, friendly, parse_date
from threadline.cli.learning_cmd import AsOpt, _actor, _factory, _write
from threadline.cli.serve_cmd import DatabaseOpt
from threadline.errors import InputError

app = typer.Typer(
    help="The potentially dangerous persons list: ranking proposals, review queue, export.", no_args_is_help=True
)


def _organisation(session, name: str | None):
    from sqlalchemy import select

    from threadline.learning.models import Organisation

    if name:
        org = session.scalar(select(Organisation).where(Organisation.name == name.strip()))
        if org is None:
            raise InputError(f"no organisation {name!r}: `threadline users list` shows them")
        return org
    police = list(session.scalars(select(Organisation).where(Organisation.kind == "police")))
    if len(police) != 1:
        raise InputError("say whose ranking this is with --organisation NAME or --as USERNAME")
    return police[0]


@app.command("import-proposals")
@friendly
def import_proposals(
    ranking: Annotated[Path, typer.Argument(help="The CSV `threadline escalation rank` wrote.")],
    as_: Annotated[
        str | None,
        typer.Option(
            "--as", help="Import as this user (contributors and above); the proposals belong to their organisation."
        ),
    ] = None,
    organisation: Annotated[
        str | None,
        typer.Option(
            "--organisation", help="Whose ranking it is, without --as (default: the one police organisation)."
        ),
    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Import an escalation ranking as proposals for a person to look at: every row checked, all or
    none. Nobody is nominated: a person does that on the proposals page."""
    from threadline.learning.db import transaction
    from threadline.pdp import proposals

    with transaction(_factory(database)) as session:
        actor = _actor(session, as_) if as_ else None
        org = None if actor else _organisation(session, organisation)
        report = proposals.import_proposals(session, actor, ranking, org)
    console.print(
        f"Imported [bold]{report.rows}[/] proposal{'s' if report.rows != 1 else ''} from the ranking as of "
        f"{report.as_of} for {report.organisation} (batch {report.batch[:8]}). No one was nominated: "
        "open /pdp/proposals to nominate or dismiss.",
        highlight=False,
    )
    if report.ignored_columns:
        console.print(f"[yellow]warning:[/] columns ignored: {', '.join(report.ignored_columns)}", highlight=False)


@app.command("review-queue")
@friendly
def review_queue(
    as_: AsOpt,
    on: Annotated[str | None, typer.Option("--on", help="Due on or before (default today).")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Entries on the list whose review date has come, that the user may see (audited)."""
    from threadline.learning.db import transaction
    from threadline.pdp import service

    with transaction(_factory(database)) as session:
        actor = _actor(session, as_)
        queue = service.review_queue(session, actor, parse_date(on, "--on"))
        table = Table(title="PDP entries due for review")
        for col in ("entry", "person", "review date", "owner", "open actions"):
            table.add_column(col)
        for n in queue:
            owner = n.owner_organisation.name + (f" ({n.owner_user.username})" if n.owner_user else "")
            table.add_row(
                str(n.id), n.person_id, str(n.review_date), owner, str(sum(a.status == "open" for a in n.actions))
            )
    if queue:
        console.print(table)
    console.print(f"{len(queue)} entr{'y' if len(queue) == 1 else 'ies'} due for review.")


@app.command("export")
@friendly
def export_cmd(
    as_: AsOpt,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    status: Annotated[
        str | None,
        typer.Option(help="active, or one status: nominated, under_review, on_list, removed, rejected (default: all)."),
    ] = None,
    review_due: Annotated[bool, typer.Option("--review-due", help="Only entries due for review.")] = False,
    database: DatabaseOpt = None,
) -> None:
    """Export the entries the user may see as CSV, formulas neutralised (audited as a disclosure)."""
    from threadline.learning.db import transaction
    from threadline.pdp import service

    if out.suffix.lower() != ".csv":
        raise InputError("the export is written as .csv", file=out)
    with transaction(_factory(database)) as session:
        _, data, rows = service.export_csv(session, _actor(session, as_), status, review_due)
        _write(out, data)
    console.print(f"Wrote {rows} PDP entr{'y' if rows == 1 else 'ies'} to {out}.", highlight=False)
