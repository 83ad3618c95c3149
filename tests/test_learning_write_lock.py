"""Pages that only read do not hold SQLite's write lock while they work: their consultation line
and the session's last-seen time are written at commit (``db.at_commit``), in the same transaction,
and not at all when it rolls back. And a server warms the sentence model up when it starts."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest
from fastapi.testclient import TestClient
from learning_fixtures import PASSWORD, make_people
from sqlalchemy import func, select

from threadline.learning import audit, records, semantic
from threadline.learning.db import at_commit
from threadline.learning.models import AuditEvent, WebSession
from threadline.web import security
from threadline.web.app import create_app
from threadline.web.pages import records as record_pages

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _consultations(factory) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "consult"))


def test_a_consultation_is_written_at_commit_and_dropped_on_rollback(factory):
    with factory() as s, s.begin():
        people = make_people(s)
    with factory() as s:
        actor = audit.Actor(s.merge(people.force_reader), "127.0.0.1")
        audit.log(s, actor, "consult", "search", query="knife")
        s.rollback()
        s.commit()
    assert _consultations(factory) == 0
    with factory() as s:
        actor = audit.Actor(s.merge(people.force_reader), "127.0.0.1")
        audit.log(s, actor, "consult", "search", query="knife")
        written = []
        at_commit(s, lambda: written.append(True))
        assert not written
        s.commit()
        assert written == [True]
    assert _consultations(factory) == 1


def test_the_last_seen_time_is_written_at_commit_only(factory):
    with factory() as s, s.begin():
        people = make_people(s)
        token = security.start_session(s, s.merge(people.force_reader), "127.0.0.1")
    then = dt.datetime(2026, 1, 1, 12, 0)
    with factory() as s, s.begin():
        ws = s.scalar(select(WebSession))
        ws.created_at = ws.last_seen_at = then
    for finish, expected in (("rollback", then), ("commit", then + dt.timedelta(minutes=5))):
        with factory() as s:
            assert security.resolve_session(s, token, now=then + dt.timedelta(minutes=5)) is not None
            getattr(s, finish)()
        with factory() as s:
            assert s.scalar(select(WebSession.last_seen_at)).replace(tzinfo=None) == expected


@pytest.fixture
def sqlite_app(db_url, factory):
    if not db_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    with factory() as s, s.begin():
        p = make_people(s)
        record = records.create_record(s, p.actor("force_contributor"), records.RecordFields(
            kind="homicide_debrief", title="Knife attack near the station", record_date=dt.date(2025, 3, 1),
            summary="Information sharing failed between the school and the police."))
        record_id = record.id
    app = create_app(db_url)
    client = TestClient(app, base_url="https://testserver")
    token = CSRF.search(client.get("/login").text).group(1)
    assert client.post("/login", data={"username": "force.reader", "password": PASSWORD, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    yield client, db_url.removeprefix("sqlite:///"), record_id
    app.state.factory.kw["bind"].dispose()


def _another_writer_can_write(path: str) -> bool:
    """Whether a second connection gets the write lock at once (no waiting)."""
    con = sqlite3.connect(path, timeout=0)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as e:
        assert "locked" in str(e)
        return False
    finally:
        con.close()


@pytest.mark.parametrize("page", ["search", "record"])
def test_a_page_that_reads_leaves_the_write_lock_free_while_it_is_drawn(sqlite_app, monkeypatch, page):
    client, path, record_id = sqlite_app
    probes = []
    # organisations and theme groups are read after the page's consultation was logged, while the
    # page is drawn: the moment an audit line flushed by the first query would hold the lock
    for name in ("organisations", "theme_groups"):
        original = getattr(record_pages, name)

        def probing(db, *args, _original=original, **kw):
            result = _original(db, *args, **kw)  # a query: it flushes whatever is pending
            probes.append(_another_writer_can_write(path))
            return result

        monkeypatch.setattr(record_pages, name, probing)
    url = "/records?q=knife" if page == "search" else f"/records/{record_id}"
    before = len(probes)
    assert client.get(url).status_code == 200
    assert len(probes) > before and all(probes[before:])
    assert _another_writer_can_write(path)


def test_warm_up_loads_the_model_and_the_embeddings(factory, monkeypatch):
    monkeypatch.setenv("THREADLINE_EMBEDDINGS", "off")
    assert semantic.warm_up(factory) is None
    monkeypatch.setenv("THREADLINE_EMBEDDINGS", "on")
    semantic.clear_cache()
    thread = semantic.warm_up(factory)
    thread.join(120)
    assert not thread.is_alive()
    assert semantic._model is not None
    with factory() as s:
        assert s.get_bind().url.render_as_string(hide_password=True) in semantic._cache
    semantic.clear_cache()
