"""Errors of the learning repository; the web app maps them to HTTP statuses, the command to one line."""

from __future__ import annotations

from threadline.errors import ThreadlineError


class NotFound(ThreadlineError):
    """No such object, or one the user may not see: the two are never told apart (no record is
    reachable, or its existence confirmed, by guessing its id)."""


class Forbidden(ThreadlineError):
    """The user may see the object but their role or organisation may not do this to it."""


class Invalid(ThreadlineError):
    """The values given are not acceptable (a missing title, an unknown status, a bad file)."""


class AuthFailed(ThreadlineError):
    """Sign-in refused: wrong name or password, a locked account, or too many attempts."""
