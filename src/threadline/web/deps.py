"""Per-request dependencies: the database session, the signed-in user, CSRF, page rendering.

Every route that touches data takes ``user = Depends(deps.user)`` (GET) or
``actor = Depends(deps.actor)`` (anything that changes or discloses data): both resolve the session
cookie on the server, and ``actor`` also checks the CSRF token of unsafe methods. There is no route
that reads a record without a user, and the services check what that user may see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from threadline.learning.audit import Actor
from threadline.learning.models import User
from threadline.learning.vocab import CONFIDENTIALITY, KINDS, ROLES, STAGES, STATUSES
from threadline.web import security

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TEMPLATES.env.globals.update(KINDS=KINDS, STATUSES=STATUSES, ROLES=ROLES, CONFIDENTIALITY=CONFIDENTIALITY,
                             STAGES=STAGES)


class LoginRequired(Exception):
    """No live session: pages redirect to the sign-in form, the API answers 401."""


def get_db(request: Request) -> Iterator[Session]:
    """A session per request: committed when the route returns (before the response is sent, so a
    client never sees success for work that was not saved), rolled back on any error."""
    with request.app.state.factory() as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


DB = Annotated[Session, Depends(get_db, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def user(request: Request, db: DB) -> User:
    """The signed-in user (the session cookie resolved on the server), or :class:`LoginRequired`."""
    ws = security.resolve_session(db, request.cookies.get(security.COOKIE))
    if ws is None:
        db.commit()  # keep the removal of an expired session: the error below rolls back otherwise
        raise LoginRequired()
    request.state.user = ws.user
    request.state.csrf_token = ws.csrf_token
    # what the page frame shows, kept apart from the ORM object: an error page is drawn after the
    # database session rolled back and closed, when the user object can no longer be read
    request.state.user_view = SimpleNamespace(
        id=ws.user.id, username=ws.user.username, display_name=ws.user.display_name, role=ws.user.role,
        organisation=SimpleNamespace(id=ws.user.organisation.id, name=ws.user.organisation.name))
    return ws.user


async def csrf_checked_user(request: Request, current: Annotated[User, Depends(user)]) -> User:
    """:func:`user`, and for POST/PUT/PATCH/DELETE the session's CSRF token, from the
    ``X-CSRF-Token`` header or the ``csrf_token`` form field; 403 when missing or wrong."""
    if request.method not in security.SAFE_METHODS:
        given = request.headers.get("x-csrf-token")
        if given is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            given = (await request.form()).get("csrf_token")
        if not security.tokens_match(given, request.state.csrf_token):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    return current


def actor(request: Request, current: Annotated[User, Depends(csrf_checked_user)]) -> Actor:
    """Who is acting, from where: for every route that changes or discloses data."""
    return Actor(current, client_ip(request))


CurrentUser = Annotated[User, Depends(user)]
CurrentActor = Annotated[Actor, Depends(actor)]


def render(request: Request, name: str, status_code: int = 200, **context):
    """A page from ``templates/``; every page gets the user, their CSRF token and the vocabularies."""
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
