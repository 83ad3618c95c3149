"""``threadline learning ...``: the lessons-learned repository from the command line.

Thin: each command parses its options, opens the database and calls :mod:`threadline.learning`.
Acting as a user (``--as USERNAME``) applies that user's access rules exactly as the web app does,
and the audit log records the action with address ``cli``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from threadline.cli.common import console, friendly, parse_date
from threadline.cli.serve_cmd import DatabaseOpt
from threadline.errors import InputError

app = typer.Typer(help="The lessons-learned repository: records, recommendations, packs and exports.",
                  no_args_is_help=True)

AsOpt = Annotated[str, typer.Option("--as", help="Act as this user (their access rules apply).")]


def _factory(database: str | None, migrate: bool = False):
    from threadline.learning.db import open_database

    return open_database(database, migrate=migrate)


def _user(session, username: str):
    from sqlalchemy import select

    from threadline.learning.errors import NotFound
    from threadline.learning.models import User

    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise NotFound(f"no active user {username!r}")
    return user


def _actor(session, username: str):
    from threadline.learning.audit import Actor

    return Actor(_user(session, username), "cli")


def _write(out: Path, data: bytes | str) -> None:
    if out.exists() and out.is_dir():
        raise InputError("the output must be a file, and this is a folder", file=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        out.write_text(data, encoding="utf-8")
    else:
        out.write_bytes(data)


@app.command("init")
@friendly
def init(database: DatabaseOpt = None) -> None:
    """Create the learning database or bring its schema up to date, and load the theme taxonomy."""
    from sqlalchemy.engine import make_url

    from threadline.learning.db import database_url, transaction
    from threadline.learning.records import ensure_taxonomy

    factory = _factory(database, migrate=True)
    with transaction(factory) as session:
        added = ensure_taxonomy(session)
    url = make_url(database_url(database)).render_as_string(hide_password=True)
    console.print(f"Learning database ready at [bold]{url}[/]; {added} new theme{'s' if added != 1 else ''} loaded.")


@app.command("import-library")
@friendly
def import_library(
    folder: Annotated[Path, typer.Argument(help="Folder of debrief documents (PDF, DOCX, text).")],
    metadata: Annotated[Path, typer.Option("--metadata", help="CSV with one row per record.")],
    as_: AsOpt,
    recommendations: Annotated[Path | None, typer.Option(
        "--recommendations", help="CSV of recommendations (default: recommendations.csv beside the metadata).")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Import an existing library of debriefs: all rows or none (rejects written beside the CSV)."""
    from threadline.learning import bulk
    from threadline.learning.db import transaction

    if not folder.is_dir():
        raise InputError("not a folder", file=folder)
    if not metadata.is_file():
        raise InputError("no such metadata file", file=metadata)
    with transaction(_factory(database)) as session:
        report = bulk.import_library(session, _actor(session, as_), folder, metadata, recommendations)
    console.print(f"Imported [bold]{report.imported}[/] record{'s' if report.imported != 1 else ''}, "
                  f"{report.documents} documents, {report.recommendations} recommendations "
                  f"({report.embedded} embedded for semantic search).")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


@app.command("export")
@friendly
def export_cmd(
    what: Annotated[str, typer.Argument(help="records or recommendations")],
    as_: AsOpt,
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Record kind (repeatable).")] = None,
    theme: Annotated[list[str] | None, typer.Option("--theme", help="Theme code (repeatable).")] = None,
    status: Annotated[str | None, typer.Option(help="Recommendation status.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Records dated on or after, e.g. 2024-04-01.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Records dated on or before.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Export the records or recommendations the user may see, formulas neutralised (audited)."""
    from threadline.learning import export
    from threadline.learning.db import transaction
    from threadline.learning.search import Filters

    filters = Filters(kinds=kind or [], themes=theme or [], status=status, date_from=parse_date(from_, "--from"),
                      date_to=parse_date(to, "--to"))
    with transaction(_factory(database)) as session:
        _, data = export.export(session, _actor(session, as_), what, fmt.lower(), filters)
        _write(out, data)
    console.print(f"Wrote {out} ({len(data):,} bytes).")


@app.command("digest")
@friendly
def digest_cmd(
    on: Annotated[str | None, typer.Option("--on", help="Day to count overdue on (default today).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Also write one .txt file per recipient here.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Write this week's digest of overdue recommendations per owner to the outbox (once per ISO week)."""
    from threadline.learning import digest
    from threadline.learning.db import transaction

    day = parse_date(on, "--on") or dt.date.today()
    with transaction(_factory(database)) as session:
        messages = digest.write_digest(session, day, out)
    console.print(f"Digest for week {digest.week_key(day)}: {len(messages)} new message"
                  f"{'s' if len(messages) != 1 else ''}" + (f", written to {out}" if out and messages else "") + ".")
    for m in messages:
        console.print(f"  {m.recipient}: {m.subject}", highlight=False)


@app.command("governance-pack")
@friendly
def governance_pack(
    from_: Annotated[str, typer.Option("--from", help="First day, e.g. 2025-04-01.")],
    to: Annotated[str, typer.Option("--to", help="Last day, e.g. 2025-06-30.")],
    as_: AsOpt,
    out: Annotated[Path, typer.Option("--out", help="pack.html or pack.pdf")],
    database: DatabaseOpt = None,
) -> None:
    """The governance pack for the board that oversees learning, as HTML or PDF (audited)."""
    from threadline.learning import audit, governance
    from threadline.learning.db import transaction

    start, end = parse_date(from_, "--from"), parse_date(to, "--to")
    suffix = out.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise InputError("the pack is written as .html or .pdf", file=out)
    with transaction(_factory(database)) as session:
        actor = _actor(session, as_)
        html = governance.pack_html(session, actor.user, start, end)
        if suffix == ".pdf":
            from weasyprint import HTML

            _write(out, HTML(string=html).write_pdf())
        else:
            _write(out, html)
        audit.log(session, actor, "disclose", "governance_pack", detail=f"governance pack {start} to {end} "
                  f"as {suffix[1:].upper()} to {out.name}")
    console.print(f"Governance pack {start} to {end}: {out}")


@app.command("audit-export")
@friendly
def audit_export(
    as_: AsOpt,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    from_: Annotated[str | None, typer.Option("--from", help="First day.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Export the audit log as CSV (administrators; the export is itself audited)."""
    from threadline.learning import access, audit, export
    from threadline.learning.db import transaction

    with transaction(_factory(database)) as session:
        actor = _actor(session, as_)
        access.require(actor.user, "admin")
        rows = audit.export_rows(session, actor, parse_date(from_, "--from"), parse_date(to, "--to"))
        data = export.to_csv(rows, audit.AUDIT_COLUMNS)
        _write(out, data)
    console.print(f"Wrote {len(rows)} audit events to {out}.")


@app.command("review-queue")
@friendly
def review_queue(
    as_: AsOpt,
    on: Annotated[str | None, typer.Option("--on", help="Due on or before (default today).")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Records of the user's organisation due for review (Management of Police Information)."""
    from threadline.learning import records
    from threadline.learning.db import transaction
    from threadline.learning.vocab import KINDS

    with transaction(_factory(database)) as session:
        actor = _actor(session, as_)
        queue = records.review_queue(session, actor, parse_date(on, "--on"))
        table = Table(title=f"Due for review: {actor.user.organisation.name}")
        for col in ("id", "review date", "kind", "title"):
            table.add_column(col)
        for r in queue:
            table.add_row(str(r.id), str(r.review_date), KINDS.get(r.kind, r.kind), r.title)
    if queue:
        console.print(table)
    console.print(f"{len(queue)} record{'s' if len(queue) != 1 else ''} due for review.")


@app.command("sample")
@friendly
def sample(
    records_: Annotated[int, typer.Option("--records", help="How many sample records.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    database: DatabaseOpt = None,
) -> None:
    """Load synthetic sample learning records (for a demonstration; never on live data)."""
    from threadline.learning.db import transaction
    from threadline.learning.records import ensure_taxonomy
    from threadline.synth import learning as synth_learning

    factory = _factory(database, migrate=True)
    with transaction(factory) as session:
        ensure_taxonomy(session)
        synth_learning.load(session, synth_learning.generate(records_, seed))
    console.print(f"Loaded {records_} sample records.")
