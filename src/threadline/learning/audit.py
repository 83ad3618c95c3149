"""The audit log, after the Data Protection Act 2018 s.62 ("logging"): every collection,
alteration, consultation, disclosure, combination and erasure of personal data is logged with who,
when, what, from where and, where one is asked, why.

The application only ever inserts: the migrations add database triggers refusing UPDATE and DELETE
on ``audit_log`` (SQLite ``RAISE(ABORT)``, PostgreSQL a trigger function), so not even a bug in the
app can rewrite history. Administrators export it with :func:`export_rows` (itself audited).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.learning.db import at_commit
from threadline.learning.models import AuditEvent, User
from threadline.learning.vocab import AUDIT_ACTIONS


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where: a signed-in user and their address (``"cli"`` from the command)."""
    user: User
    ip: str | None = None


def log(session: Session, actor: Actor | None, action: str, object_type: str = "", object_id: object = "",
        detail: str = "", query: str = "", justification: str = "", username: str | None = None,
        ip: str | None = None) -> AuditEvent:
    """Append one event to the audit log in the caller's transaction (it commits or rolls back with
    the work it describes).

    A consultation (a page or search that only reads) is written when the transaction commits
    (:func:`~threadline.learning.db.at_commit`) rather than at the request's first query: on SQLite
    the first write takes the one write lock until commit, and every page writes its consultation,
    so it would otherwise hold every other request's writes while it reads and draws the page.
    A query later in the same transaction does not see that line yet; every other action's line
    is there at once."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    user = actor.user if actor else None
    event = AuditEvent(
        user_id=user.id if user else None,
        username=user.username if user else (username or ""),
        organisation=user.organisation.name if user and user.organisation else "",
        ip=actor.ip if actor else ip,
        action=action, object_type=object_type, object_id=str(object_id or ""),
        detail=detail[:4000], query=query[:2000], justification=justification[:2000],
    )
    if action == "consult":
        at_commit(session, lambda: session.add(event))
    else:
        session.add(event)
    return event


AUDIT_COLUMNS = ("id", "at", "username", "organisation", "ip", "action", "object_type", "object_id",
                 "detail", "query", "justification")


def export_rows(session: Session, actor: Actor, start: dt.date | None = None,
                end: dt.date | None = None) -> list[dict]:
    """The audit log (between ``start`` and ``end`` inclusive, when given) as dicts; the export is
    logged as a disclosure."""
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if start:
        stmt = stmt.where(AuditEvent.at >= dt.datetime.combine(start, dt.time()))
    if end:
        stmt = stmt.where(AuditEvent.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    rows = [{c: getattr(e, c) for c in AUDIT_COLUMNS} for e in session.scalars(stmt)]
    log(session, actor, "disclose", "audit_log", detail=f"exported {len(rows)} audit events "
        f"({start or 'start'} to {end or 'now'})")
    return rows
