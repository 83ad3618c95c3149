"""Sessions, CSRF and security headers of the web application.

- **Sessions** are server-side (``web_sessions``): the browser holds only a random token
  (``secrets.token_urlsafe(32)``) in a ``Secure; HttpOnly; SameSite=Strict`` cookie and the
  database holds its SHA-256, so a stolen database does not yield live cookies. A session ends after
  :data:`IDLE_TIMEOUT` without use or :data:`ABSOLUTE_TIMEOUT` after sign-in, whichever comes first
  (OWASP Session Management Cheat Sheet), and at once on sign-out or when the user is disabled.
- **CSRF**: the synchroniser-token pattern (OWASP CSRF Prevention Cheat Sheet). Each session has
  its own token; every POST, PUT, PATCH and DELETE must carry it, as the ``csrf_token`` form field
  or the ``X-CSRF-Token`` header, or is refused with 403. The sign-in form, before any session,
  uses a double-submit cookie. ``SameSite=Strict`` is a second line.
- **Headers** on every response: a Content-Security-Policy with no inline script or style and
  ``frame-ancestors 'none'``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``X-Frame-Options: DENY``, ``Cache-Control: no-store`` on pages (sensitive data stays out of
  caches), ``Strict-Transport-Security`` when cookies are Secure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from threadline.learning.db import at_commit
from threadline.learning.models import User, WebSession, utcnow

COOKIE = "tl_session"
LOGIN_CSRF_COOKIE = "tl_login_csrf"
IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=8)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(db: Session, user: User, ip: str | None) -> str:
    """Open a session for ``user``; returns the cookie token (only its hash is stored)."""
    token = new_token()
    db.add(WebSession(id=token_hash(token), user_id=user.id, csrf_token=new_token(), ip=ip))
    return token


def resolve_session(db: Session, token: str | None, now: dt.datetime | None = None) -> WebSession | None:
    """The live session of ``token``, its idle clock restarted; None (and the row removed) when
    missing, expired or its user disabled."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    ws = db.scalar(select(WebSession).where(WebSession.id == token_hash(token)))
    if ws is None:
        return None
    if (now - ws.last_seen_at > IDLE_TIMEOUT or now - ws.created_at > ABSOLUTE_TIMEOUT
            or not ws.user.active):
        db.delete(ws)
        return None
    if now - ws.last_seen_at > dt.timedelta(seconds=60):  # spare a write on every request
        # written at commit, so the request does not hold SQLite's write lock while it works
        at_commit(db, lambda: setattr(ws, "last_seen_at", now))
    return ws


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(WebSession).where(WebSession.id == token_hash(token)))


def end_user_sessions(db: Session, user_id: int) -> None:
    """Sign a user out everywhere (password change, disabling)."""
    db.execute(delete(WebSession).where(WebSession.user_id == user_id))


def tokens_match(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))
