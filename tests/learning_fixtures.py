"""Fixtures for the learning repository's tests: a fresh, migrated database per test, on SQLite
and on the machine's PostgreSQL (127.0.0.1:5432; `.ci/run` and `make test` start it).

Each run migrates one template per backend, then copies it per test (a file copy for SQLite,
``CREATE DATABASE … TEMPLATE`` for PostgreSQL), so a test costs milliseconds, not a migration.
Set ``THREADLINE_TEST_PG_URL`` to use another server; set it to ``skip`` to run SQLite only.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
from dataclasses import dataclass
from unittest import mock

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from threadline.learning import records, users
from threadline.learning.audit import Actor
from threadline.learning.db import make_engine, upgrade
from threadline.learning.models import User

PG_ADMIN_URL = os.environ.get("THREADLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"
_counter = itertools.count()
_templates: dict[str, str] = {}


def _pg_admin():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


def _pg_template() -> str:
    if "pg" not in _templates:
        name = f"tl_template_{os.getpid()}"
        admin = _pg_admin()
        with admin.connect() as con:
            con.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            con.execute(text(f"CREATE DATABASE {name}"))
        engine = make_engine(_pg_url(name))
        upgrade(engine)
        engine.dispose()
        admin.dispose()
        _templates["pg"] = name
    return _templates["pg"]


def _sqlite_template(tmp_path_factory) -> str:
    if "sqlite" not in _templates:
        path = tmp_path_factory.mktemp("learning-template") / "template.sqlite"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as con:
            con.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _templates["sqlite"] = str(path)
    return _templates["sqlite"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, tmp_path_factory):
    """URL of a fresh, migrated learning database (each test runs once per backend)."""
    if request.param == "sqlite":
        path = tmp_path / "learning.sqlite"
        shutil.copy(_sqlite_template(tmp_path_factory), path)
        yield f"sqlite:///{path}"
        return
    if PG_ADMIN_URL == "skip":
        pytest.skip("PostgreSQL tests switched off (THREADLINE_TEST_PG_URL=skip)")
    name = f"tl_test_{os.getpid()}_{next(_counter)}"
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f"CREATE DATABASE {name} TEMPLATE {_pg_template()}"))
    yield _pg_url(name)
    with admin.connect() as con:
        con.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def factory(db_url):
    engine = make_engine(db_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@dataclass
class People:
    """A force and a partner: the users every access test needs, by role and organisation."""
    force_admin: User
    force_reviewer: User
    force_contributor: User
    force_reader: User
    partner_admin: User
    partner_contributor: User
    partner_reader: User
    other_reader: User  # a second partner, never shared with

    def actor(self, name: str, ip: str = "127.0.0.1") -> Actor:
        return Actor(getattr(self, name), ip)


FORCE_ORG = "West Yorkshire Police"
PARTNER_ORG = "Leeds City Council"
OTHER_ORG = "Leeds Teaching Hospitals NHS Trust"


@functools.cache
def _real_hash(password: str) -> str:
    """One real argon2id hash per password for the whole run: hashing costs about 0.2 s by design,
    and every test seeds eight users, so the seed reuses the hash (signing in still verifies it)."""
    return users.HASHER.hash(password)


def _cached_hash(password: str) -> str:
    users.check_password(password)
    return _real_hash(password)


def make_people(session: Session) -> People:
    """Seed the taxonomy, three organisations and their users (password :data:`PASSWORD`)."""
    records.ensure_taxonomy(session)
    made = {}
    with mock.patch.object(users, "hash_password", _cached_hash):
        _add_people(session, made)
    return People(**made)


def _add_people(session: Session, made: dict) -> None:
    for name, role, org, kind in [
        ("force_admin", "administrator", FORCE_ORG, "police"),
        ("force_reviewer", "reviewer", FORCE_ORG, "police"),
        ("force_contributor", "contributor", FORCE_ORG, "police"),
        ("force_reader", "reader", FORCE_ORG, "police"),
        ("partner_admin", "administrator", PARTNER_ORG, "local_authority"),
        ("partner_contributor", "contributor", PARTNER_ORG, "local_authority"),
        ("partner_reader", "reader", PARTNER_ORG, "local_authority"),
        ("other_reader", "reader", OTHER_ORG, "nhs"),
    ]:
        made[name] = users.create_user(session, None, name.replace("_", "."), PASSWORD, org, role,
                                       display_name=name.replace("_", " ").title(), organisation_kind=kind)


@pytest.fixture
def people(factory) -> People:
    with factory() as s, s.begin():
        return make_people(s)
