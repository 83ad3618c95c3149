"""``threadline serve``: run the learning repository's web application with uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from threadline.cli.common import console, friendly
from threadline.errors import ThreadlineError

DatabaseOpt = Annotated[str | None, typer.Option(
    "--database", envvar="THREADLINE_DATABASE_URL",
    help="Database URL (default: THREADLINE_DATABASE_URL or sqlite:///threadline-learning.sqlite).")]

NO_ADMIN = "the learning database has no administrator yet: run `threadline users create-admin` first"


def check_ready(url: str | None) -> None:
    """Refuse to serve a database with no schema or no active administrator (one clear line)."""
    from sqlalchemy import select

    from threadline.learning.db import make_engine, require_schema, upgrade
    from threadline.learning.models import User

    engine = make_engine(url)
    try:
        try:
            require_schema(engine)
        except ThreadlineError:
            raise ThreadlineError(NO_ADMIN) from None
        upgrade(engine)
        with engine.connect() as con:
            admin = con.execute(select(User.id).where(User.role == "administrator", User.active.is_(True))
                                .limit(1)).first()
        if admin is None:
            raise ThreadlineError(NO_ADMIN)
    finally:
        engine.dispose()


def app_factory():
    """The application for uvicorn's ``--factory`` (each worker process builds its own)."""
    from threadline.web.app import create_app

    return create_app(os.environ.get("THREADLINE_DATABASE_URL"),
                      secure_cookies=os.environ.get("THREADLINE_INSECURE_COOKIES") != "1", migrate=False,
                      warm_up=True)


@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (keep 127.0.0.1 behind a TLS proxy).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: DatabaseOpt = None,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="Send the session cookie over plain HTTP too (local trials only: "
        "browsers drop Secure cookies on http://).")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run the learning repository's web application (pages, JSON API at /api/v1, schema at /openapi.json)."""
    import uvicorn

    from threadline.learning.db import database_url

    url = database_url(database)
    check_ready(url)
    os.environ["THREADLINE_DATABASE_URL"] = url
    os.environ["THREADLINE_INSECURE_COOKIES"] = "1" if insecure_cookies else "0"
    scheme = "http" if insecure_cookies else "https (behind your TLS proxy)"
    console.print(f"Threadline learning repository on {host}:{port}, {scheme}; stop with Ctrl+C")
    uvicorn.run("threadline.cli.serve_cmd:app_factory", factory=True, host=host, port=port, workers=workers,
                proxy_headers=True, server_header=False, log_level="info")
