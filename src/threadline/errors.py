"""Errors a user can act on. The command prints them as one line, never a traceback."""

from __future__ import annotations

from pathlib import Path


class ThreadlineError(Exception):
    """Base class: a problem the user can fix (bad input, wrong workspace, missing file)."""


class WorkspaceError(ThreadlineError):
    """The workspace is missing, damaged, or made by a newer Threadline."""


class InputError(ThreadlineError):
    """An input file or argument is not what it claims to be.

    ``file``, ``row`` and ``field`` say where, when known; ``row`` counts the header as row 1, as
    a spreadsheet does, so the first data row is row 2.
    """

    def __init__(self, message: str, *, file: str | Path | None = None, row: int | None = None,
                 field: str | None = None):
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        where = []
        if self.file:
            where.append(self.file)
        if row is not None:
            where.append(f"row {row}")
        if field:
            where.append(f"field {field!r}")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")
