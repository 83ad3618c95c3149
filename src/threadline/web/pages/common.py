"""What the page modules share: parsing form values, the confirmation messages, auditing reads."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.learning.audit import Actor
from threadline.learning.errors import Invalid
from threadline.learning.models import Organisation, Theme, User
from threadline.web.deps import TEMPLATES, client_ip

#: Confirmations shown after a redirect (``?done=<key>``): fixed texts, never echoed input.
DONE = {
    "created": "The record was saved. Add the detail when you have it.",
    "saved": "Your changes were saved.",
    "deleted": "The record was deleted. The reason is kept in the audit log.",
    "document": "The document was attached.",
    "recommendation": "The recommendation was added.",
    "status": "The recommendation was updated.",
    "evidence": "The evidence was attached.",
    "retained": "The record is retained until its next review.",
}

PAGE_SIZE = 20


def reader(request: Request, user: User) -> Actor:
    """The actor for auditing a read (GET routes have a user, not a CSRF-checked actor)."""
    return Actor(user, client_ip(request))


def done_message(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def redirect(path: str, done: str | None = None, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(path + (f"?{urlencode({'done': done})}" if done else "") + anchor, status_code=303)


def parse_date(value: str | None, label: str) -> dt.date | None:
    """A date from an ``<input type=date>`` (YYYY-MM-DD), or None when blank."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{label}: {value!r} is not a date (use YYYY-MM-DD)") from None


def parse_int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def split_list(text: str | None) -> list[str]:
    """Tags or case ids typed one per line or separated by commas."""
    return [p.strip() for p in (text or "").replace("\n", ",").split(",") if p.strip()]


def organisations(db: Session) -> list[Organisation]:
    return list(db.scalars(select(Organisation).order_by(Organisation.name)))


def theme_groups(db: Session, include: list[str] | None = None) -> list[tuple[str, list[Theme]]]:
    """Active themes (and any retired ones in ``include``, so an edit keeps them), by group."""
    groups: dict[str, list[Theme]] = {}
    keep = set(include or [])
    for t in db.scalars(select(Theme).order_by(Theme.group, Theme.name)):
        if t.active or t.code in keep:
            groups.setdefault(t.group or "Other", []).append(t)
    return list(groups.items())


def query_without(request: Request, *names: str) -> str:
    """The current query string without ``names`` (for pager and export links)."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in names and v])


def day(value) -> str:
    """``3 Mar 2025``: the way dates are read aloud in a briefing (GOV.UK style)."""
    if not value:
        return ""
    return f"{value.day} {value.strftime('%b %Y')}" if isinstance(value, dt.date) else str(value)


def when(value) -> str:
    """``3 Mar 2025 14:05`` for a timestamp (stored in UTC)."""
    return f"{value.day} {value.strftime('%b %Y %H:%M')}" if value else ""


TEMPLATES.env.filters.update(day=day, when=when)
