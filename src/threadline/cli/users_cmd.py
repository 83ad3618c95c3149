"""``threadline users``: the learning repository's accounts from the command line (the first
administrator, and a way back in when every administrator is locked out)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from threadline.cli.common import console, friendly
from threadline.cli.serve_cmd import DatabaseOpt
from threadline.errors import ThreadlineError

app = typer.Typer(help="Users of the learning repository (threadline serve).", no_args_is_help=True)

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line "
                                             "of standard input instead of asking.")]


@contextmanager
def _session(database: str | None) -> Iterator:
    from threadline.learning.db import open_database, transaction

    factory = open_database(database)
    with transaction(factory) as s:
        yield s
    factory.kw["bind"].dispose()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise ThreadlineError("no password on standard input")
        return line.rstrip("\r\n")
    return typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)


def _user(s, username: str):
    from sqlalchemy import select

    from threadline.learning.models import User

    user = s.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise ThreadlineError(f"no user {username!r}")
    return user


def _log(s, action: str, user, detail: str) -> None:
    from threadline.learning import audit

    audit.log(s, None, action, "user", user.id, detail=detail, username="cli", ip="cli")


@app.command("create-admin")
@friendly
def create_admin(
    username: Annotated[str, typer.Option(help="User name of the administrator.")],
    organisation: Annotated[str, typer.Option(help="Their organisation (made if new).")],
    organisation_kind: Annotated[str, typer.Option(help="Kind of a new organisation.")] = "police",
    display_name: Annotated[str, typer.Option(help="Full name.")] = "",
    password_stdin: PasswordStdin = False,
    database: DatabaseOpt = None,
) -> None:
    """Make the database (or bring it up to date), load the theme taxonomy and add an administrator."""
    from threadline.learning import records, users

    password = _password(password_stdin)
    with _session(database) as s:
        added = records.ensure_taxonomy(s)
        user = users.create_user(s, None, username, password, organisation, "administrator",
                                 display_name=display_name, organisation_kind=organisation_kind)
        name = user.username
    console.print(f"Administrator [bold]{name}[/] created ({organisation}); {added} themes loaded. "
                  "Next: threadline serve")


@app.command("add")
@friendly
def add(
    username: Annotated[str, typer.Option(help="User name.")],
    organisation: Annotated[str, typer.Option(help="Their organisation (made if new).")],
    role: Annotated[str, typer.Option(help="reader, contributor, reviewer or administrator.")] = "reader",
    organisation_kind: Annotated[str, typer.Option(help="Kind of a new organisation.")] = "other",
    display_name: Annotated[str, typer.Option(help="Full name.")] = "",
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    password_stdin: PasswordStdin = False,
    database: DatabaseOpt = None,
) -> None:
    """Add a user."""
    from threadline.learning import users

    password = _password(password_stdin)
    with _session(database) as s:
        user = users.create_user(s, None, username, password, organisation, role, display_name=display_name,
                                 email=email, organisation_kind=organisation_kind)
        name = user.username
    console.print(f"User [bold]{name}[/] added ({role}, {organisation}).")


@app.command("list")
@friendly
def list_users(database: DatabaseOpt = None) -> None:
    """List the users, their organisation, role and state."""
    from sqlalchemy import select

    from threadline.learning.models import User, utcnow

    table = Table("user name", "name", "organisation", "role", "state", "last sign-in")
    with _session(database) as s:
        now = utcnow()
        for u in s.scalars(select(User).order_by(User.username)):
            state = ("disabled" if not u.active else "locked" if u.locked_until and u.locked_until > now
                     else "active")
            table.add_row(u.username, u.display_name, u.organisation.name, u.role, state,
                          u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never")
    console.print(table)


@app.command("unlock")
@friendly
def unlock(username: Annotated[str, typer.Argument(help="User name.")], database: DatabaseOpt = None) -> None:
    """Unlock an account locked after repeated failed sign-ins."""
    with _session(database) as s:
        user = _user(s, username)
        user.failed_logins = 0
        user.locked_until = None
        _log(s, "alter", user, f"account {user.username} unlocked from the command line")
    console.print(f"{username} unlocked.")


@app.command("set-password")
@friendly
def set_password(username: Annotated[str, typer.Argument(help="User name.")], password_stdin: PasswordStdin = False,
                 database: DatabaseOpt = None) -> None:
    """Set a user's password (and unlock the account); their sessions end."""
    from threadline.learning import users
    from threadline.web import security

    password = _password(password_stdin)
    with _session(database) as s:
        user = _user(s, username)
        user.password_hash = users.hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        security.end_user_sessions(s, user.id)
        _log(s, "alter", user, f"password of {user.username} set from the command line")
    console.print(f"Password of {username} changed; their sessions were ended.")
