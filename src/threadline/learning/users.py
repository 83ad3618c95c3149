"""Users, organisations and signing in.

Passwords are hashed with Argon2id (RFC 9106; the OWASP Password Storage Cheat Sheet's first
choice) through argon2-cffi. Signing in is rate limited per address and per user name, and an
account locks after repeated failures (NCSC password guidance: throttle and lock rather than force
complex rules). Every attempt is logged in ``login_attempts`` and the audit log.
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from threadline.learning import audit
from threadline.learning.audit import Actor
from threadline.learning.errors import AuthFailed, Invalid
from threadline.learning.models import LoginAttempt, Organisation, User, utcnow
from threadline.learning.vocab import ORGANISATION_KINDS, ROLES

HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)
MIN_PASSWORD = 12
LOCK_AFTER = 5                       # failures in a row lock the account …
LOCK_FOR = dt.timedelta(minutes=15)  # … for this long
RATE_WINDOW = dt.timedelta(minutes=5)
RATE_PER_IP = 20                     # attempts from one address in the window
_DUMMY_HASH = HASHER.hash("not a real password, used to even out timing")


def hash_password(password: str) -> str:
    check_password(password)
    return HASHER.hash(password)


def check_password(password: str) -> None:
    """NCSC guidance: length over complexity; refuse the short and the obvious."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password needs at least {MIN_PASSWORD} characters")
    if password.lower() in {"password1234", "123456789012", "qwertyuiopas", "threadline123"}:
        raise Invalid("that password is too common")


def get_or_create_organisation(session: Session, name: str, kind: str = "other") -> Organisation:
    name = name.strip()
    if not name:
        raise Invalid("an organisation needs a name")
    if kind not in ORGANISATION_KINDS:
        raise Invalid(f"unknown organisation kind {kind!r} (one of {', '.join(ORGANISATION_KINDS)})")
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        session.add(org)
        session.flush()
    return org


def create_user(session: Session, actor: Actor | None, username: str, password: str, organisation: str,
                role: str = "reader", display_name: str = "", email: str | None = None,
                organisation_kind: str = "other") -> User:
    """Make a user (``actor`` is None only for the first administrator, made from the command)."""
    username = username.strip().lower()
    if not username or len(username) > 100 or not all(c.isalnum() or c in "._-@" for c in username):
        raise Invalid("a user name is letters, digits and . _ - @ only")
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if session.scalar(select(User).where(User.username == username)):
        raise Invalid(f"user {username!r} already exists")
    org = get_or_create_organisation(session, organisation, organisation_kind)
    user = User(username=username, display_name=display_name or username, email=email,
                organisation=org, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.log(session, actor, "collect", "user", user.id, detail=f"created user {username} ({role}, {org.name})",
              username="cli" if actor is None else None)
    return user


def authenticate(session: Session, username: str, password: str, ip: str | None) -> User:
    """The user, if the name and password match and neither the account nor the address is
    throttled; else :class:`AuthFailed` with one message for every failure (no user enumeration).

    The caller commits the session on failure too: the attempt, the failure count and the audit
    lines must survive the refusal."""
    username = (username or "").strip().lower()
    now = utcnow()
    recent_from_ip = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.ip == ip, LoginAttempt.at >= now - RATE_WINDOW, LoginAttempt.success.is_(False)))
    attempt = LoginAttempt(username=username[:100], ip=ip, at=now, success=False)
    session.add(attempt)
    if recent_from_ip >= RATE_PER_IP:
        audit.log(session, None, "login_failed", "user", detail="rate limited (too many attempts from this address)",
                  username=username[:100], ip=ip)
        raise AuthFailed("too many sign-in attempts from this address: wait a few minutes")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        _verify(_DUMMY_HASH, password)
        audit.log(session, None, "login_failed", "user", detail="unknown user name", username=username[:100],
                  ip=ip)
        raise AuthFailed("user name or password not recognised")
    if user.locked_until and user.locked_until > now:
        audit.log(session, Actor(user, ip), "login_failed", "user", user.id, detail="account locked")
        raise AuthFailed("this account is locked after repeated failures: try again later or ask an administrator")
    if not user.active or not _verify(user.password_hash, password):
        user.failed_logins += 1
        detail = "account disabled" if not user.active else f"wrong password ({user.failed_logins} in a row)"
        audit.log(session, Actor(user, ip), "login_failed", "user", user.id, detail=detail)
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + LOCK_FOR
            audit.log(session, Actor(user, ip), "lockout", "user", user.id,
                      detail=f"locked for {LOCK_FOR} after {user.failed_logins} failures")
        raise AuthFailed("user name or password not recognised")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    attempt.success = True
    audit.log(session, Actor(user, ip), "login", "user", user.id)
    return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, actor: Actor, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.log(session, actor, "alter", "user", user.id, detail="password changed")


def unlock(session: Session, actor: Actor, user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    audit.log(session, actor, "alter", "user", user.id, detail="account unlocked")
