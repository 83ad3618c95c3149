"""Administration pages: users, organisations, themes and the audit log (administrators only).

Every route asks :func:`threadline.learning.access.require` for ``admin`` on the server, so a
reader who types ``/admin/users`` gets 403, whatever the navigation shows. Disabling a user ends
their sessions at once (:func:`threadline.web.security.end_user_sessions`); so does a password
reset. Every change is written to the audit log, and so is reading or exporting the audit log
itself (a disclosure of who looked at what).

The audit export is CSV with spreadsheet formulas neutralised (OWASP "CSV Injection"): a cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so
a spreadsheet shows it as text instead of running it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from threadline.learning import access, audit, records, users
from threadline.learning.errors import Invalid, NotFound
from threadline.learning.export import formula_safe
from threadline.learning.models import AuditEvent, Organisation, Theme, User, utcnow
from threadline.learning.vocab import AUDIT_ACTIONS, ORGANISATION_KINDS, ROLES
from threadline.web import security
from threadline.web.deps import DB, CurrentActor, render

router = APIRouter(prefix="/admin", include_in_schema=False)

AUDIT_PAGE = 200

#: Messages shown after a change (the redirect carries only the key, never free text).
DONE = {
    "user_created": "User created.",
    "user_disabled": "User disabled and signed out everywhere.",
    "user_enabled": "User enabled.",
    "user_unlocked": "Account unlocked.",
    "password_reset": "Password reset; the user was signed out everywhere.",
    "role_changed": "Role changed.",
    "organisation_added": "Organisation added.",
    "theme_saved": "Theme saved.",
}


def _admin(actor) -> None:
    access.require(actor.user, "admin")


def _user(db, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _done(path: str, key: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={key}", status_code=303)


def _users_page(request: Request, db, status_code: int = 200, error: str | None = None, form: dict | None = None):
    people = list(db.scalars(select(User).order_by(User.username)))
    orgs = list(db.scalars(select(Organisation).order_by(Organisation.name)))
    counts = dict(db.execute(select(User.organisation_id, func.count()).group_by(User.organisation_id)).all())
    return render(request, "admin_users.html", status_code=status_code, people=people, organisations=orgs,
                  counts=counts, ORGANISATION_KINDS=ORGANISATION_KINDS, now=utcnow(),
                  error=error, form=form or {}, done=DONE.get(request.query_params.get("done", "")))


@router.get("/users")
def users_page(request: Request, db: DB, actor: CurrentActor):
    _admin(actor)
    return _users_page(request, db)


@router.post("/users")
def create_user(request: Request, db: DB, actor: CurrentActor,
                username: Annotated[str, Form(max_length=100)], password: Annotated[str, Form(max_length=1000)],
                organisation: Annotated[str, Form(max_length=200)],
                role: Annotated[str, Form(max_length=20)] = "reader",
                display_name: Annotated[str, Form(max_length=200)] = "",
                email: Annotated[str, Form(max_length=200)] = ""):
    _admin(actor)
    if not db.scalar(select(Organisation).where(Organisation.name == organisation.strip())):
        return _users_page(request, db, 400, f"unknown organisation {organisation!r}: add it first",
                           form={"username": username, "display_name": display_name, "email": email})
    try:
        users.create_user(db, actor, username, password, organisation, role, display_name=display_name.strip(),
                          email=email.strip() or None)
    except Invalid as e:
        db.rollback()
        return _users_page(request, db, 400, str(e), form={"username": username, "display_name": display_name,
                                                            "email": email, "organisation": organisation,
                                                            "role": role})
    return _done("/admin/users", "user_created")


@router.post("/users/{user_id}/disable")
def disable_user(db: DB, actor: CurrentActor, user_id: int):
    _admin(actor)
    user = _user(db, user_id)
    if user.id == actor.user.id:
        raise Invalid("you cannot disable your own account")
    user.active = False
    security.end_user_sessions(db, user.id)
    audit.log(db, actor, "alter", "user", user.id, detail=f"disabled {user.username}; sessions ended")
    return _done("/admin/users", "user_disabled")


@router.post("/users/{user_id}/enable")
def enable_user(db: DB, actor: CurrentActor, user_id: int):
    _admin(actor)
    user = _user(db, user_id)
    user.active = True
    audit.log(db, actor, "alter", "user", user.id, detail=f"enabled {user.username}")
    return _done("/admin/users", "user_enabled")


@router.post("/users/{user_id}/unlock")
def unlock_user(db: DB, actor: CurrentActor, user_id: int):
    _admin(actor)
    users.unlock(db, actor, _user(db, user_id))
    return _done("/admin/users", "user_unlocked")


@router.post("/users/{user_id}/role")
def change_role(db: DB, actor: CurrentActor, user_id: int, role: Annotated[str, Form(max_length=20)]):
    _admin(actor)
    user = _user(db, user_id)
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if user.id == actor.user.id and role != "administrator":
        raise Invalid("you cannot take away your own administrator role")
    old, user.role = user.role, role
    security.end_user_sessions(db, user.id)
    audit.log(db, actor, "alter", "user", user.id, detail=f"role of {user.username}: {old} -> {role}")
    return _done("/admin/users", "role_changed")


@router.post("/users/{user_id}/password")
def reset_password(db: DB, actor: CurrentActor, user_id: int, password: Annotated[str, Form(max_length=1000)]):
    _admin(actor)
    user = _user(db, user_id)
    users.set_password(db, actor, user, password)
    security.end_user_sessions(db, user.id)
    return _done("/admin/users", "password_reset")


@router.post("/organisations")
def add_organisation(request: Request, db: DB, actor: CurrentActor, name: Annotated[str, Form(max_length=200)],
                     kind: Annotated[str, Form(max_length=40)] = "other"):
    _admin(actor)
    if db.scalar(select(Organisation).where(Organisation.name == name.strip())):
        return _users_page(request, db, 400, f"{name.strip()} is already an organisation")
    org = users.get_or_create_organisation(db, name, kind)
    audit.log(db, actor, "collect", "organisation", org.id, detail=f"added organisation {org.name} ({org.kind})")
    return _done("/admin/users", "organisation_added")


@router.get("/themes")
def themes_page(request: Request, db: DB, actor: CurrentActor):
    _admin(actor)
    themes = list(db.scalars(select(Theme).order_by(Theme.group, Theme.name)))
    return render(request, "admin_themes.html", themes=themes, done=DONE.get(request.query_params.get("done", "")))


@router.post("/themes")
def save_theme(db: DB, actor: CurrentActor, code: Annotated[str, Form(max_length=80)],
               name: Annotated[str, Form(max_length=200)], group: Annotated[str, Form(max_length=120)] = "",
               description: Annotated[str, Form(max_length=4000)] = "",
               active: Annotated[str, Form(max_length=5)] = "yes"):
    _admin(actor)
    records.save_theme(db, actor, code, name, group, description, active=active in ("yes", "on", "true", "1"))
    return _done("/admin/themes", "theme_saved")


def _audit_query(username: str, action: str, object_type: str, object_id: str, date_from: dt.date | None,
                 date_to: dt.date | None):
    stmt = select(AuditEvent)
    if username:
        stmt = stmt.where(AuditEvent.username == username.strip().lower())
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type.strip())
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id.strip())
    if date_from:
        stmt = stmt.where(AuditEvent.at >= dt.datetime.combine(date_from, dt.time()))
    if date_to:
        stmt = stmt.where(AuditEvent.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()))
    return stmt


def _describe(**filters) -> str:
    return "; ".join(f"{k}={v}" for k, v in filters.items() if v) or "no filter"


@router.get("/audit")
def audit_page(request: Request, db: DB, actor: CurrentActor,
               username: Annotated[str, Query(max_length=100)] = "",
               action: Annotated[str, Query(max_length=20)] = "",
               object_type: Annotated[str, Query(max_length=40)] = "",
               object_id: Annotated[str, Query(max_length=40)] = "",
               date_from: dt.date | None = None, date_to: dt.date | None = None,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    _admin(actor)
    if action and action not in AUDIT_ACTIONS:
        raise Invalid(f"unknown audit action {action!r}")
    stmt = _audit_query(username, action, object_type, object_id, date_from, date_to)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    events = list(db.scalars(stmt.order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE).offset((page - 1) * AUDIT_PAGE)))
    described = _describe(username=username, action=action, object_type=object_type, object_id=object_id,
                          date_from=date_from, date_to=date_to)
    audit.log(db, actor, "consult", "audit_log", detail=f"viewed {len(events)} of {total} audit events",
              query=described)
    params = {"username": username, "action": action, "object_type": object_type, "object_id": object_id,
              "date_from": date_from or "", "date_to": date_to or ""}
    return render(request, "admin_audit.html", events=events, total=total, page=page, page_size=AUDIT_PAGE,
                  filters=params, AUDIT_ACTIONS=AUDIT_ACTIONS,
                  query_string=urlencode({k: v for k, v in params.items() if v}))


@router.get("/audit.csv")
def audit_csv(db: DB, actor: CurrentActor, date_from: dt.date | None = None, date_to: dt.date | None = None):
    """The audit log between two dates as CSV (the export is itself logged as a disclosure)."""
    _admin(actor)
    rows = audit.export_rows(db, actor, date_from, date_to)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(audit.AUDIT_COLUMNS)
    for row in rows:
        writer.writerow([formula_safe(row[c]) for c in audit.AUDIT_COLUMNS])
    name = f"threadline-audit-{date_from or 'start'}-to-{date_to or dt.date.today()}.csv"
    return Response(out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff"})
