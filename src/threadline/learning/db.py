"""The learning repository's database: where it is, how to connect, and bringing its schema up to date.

SQLite by default (a file beside the work, no server), PostgreSQL in production: set
``THREADLINE_DATABASE_URL`` (for example ``postgresql+psycopg://threadline@db/threadline``).
The schema is made and upgraded by Alembic (``migrations/``), never by ``create_all``, so a
production database follows the same steps as a test one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from threadline.errors import ThreadlineError

DEFAULT_URL = "sqlite:///threadline-learning.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(url: str | None = None) -> str:
    """The URL given, else ``THREADLINE_DATABASE_URL``, else a SQLite file in the current folder."""
    return url or os.environ.get("THREADLINE_DATABASE_URL") or DEFAULT_URL


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "sqlite"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine for the database at ``url``; SQLite gets WAL, a busy timeout and foreign keys on."""
    url = database_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_con, _record):  # pragma: no cover - exercised through every test
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 30)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    cfg = alembic_config(engine)
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")


def require_schema(engine: Engine) -> None:
    """Refuse to run on a database whose schema was never made (a clear error, not a traceback)."""
    if not inspect(engine).has_table("learning_records"):
        raise ThreadlineError(
            f"the learning database at {engine.url.render_as_string(hide_password=True)} has no schema: "
            "run `threadline learning init` (or `threadline users create-admin`, which makes it)")


def open_database(url: str | None = None, *, migrate: bool = True) -> sessionmaker[Session]:
    """Connect, bring the schema up to date and return a session factory."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    else:
        require_schema(engine)
    return sessionmaker(engine, expire_on_commit=False)


_AT_COMMIT = "threadline_at_commit"


def at_commit(session: Session, write: Callable[[], None]) -> None:
    """Run ``write`` (which adds or changes objects in ``session``) just before the session's
    transaction commits, and not at all if it rolls back.

    For bookkeeping writes that every request makes, such as the audit line of a consultation and
    a session's last-seen time. They still commit in the same transaction as the work they describe,
    but are not flushed by the first query of the request: on SQLite the first write of a
    transaction takes the database's one write lock until commit, so an audit line flushed at the
    start of a page would hold every other request's writes (in any worker) waiting while the page
    is drawn. Flushed at commit, the lock is held for a moment."""
    session.info.setdefault(_AT_COMMIT, []).append(write)


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    for write in session.info.pop(_AT_COMMIT, ()):
        write()


@event.listens_for(Session, "after_soft_rollback")
def _forget_at_commit(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        session.info.pop(_AT_COMMIT, None)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits whole on success and is rolled back whole on any error."""
    with factory() as session, session.begin():
        yield session
