"""One write to the workspace: everything or nothing, even if the process is killed mid-way.

Every change Threadline makes to the register (an import, a schema upgrade, a series detection
run) goes through :func:`atomic`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def atomic(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the body in one DuckDB transaction whose COMMIT is a checkpoint, never a write-ahead-log write.

    Why not a plain ``BEGIN ... COMMIT``: DuckDB (1.5.5, measured here) can make a large import
    partly visible after a crash. A bulk append is written to the database file before COMMIT, and
    the commit then logs pointers to it (``ROW_GROUP_DATA`` entries). A process killed while that log
    is being written leaves a torn log whose replay, on the next open, restores the appended rows but
    not the rest of the transaction. Threadline's SIGKILL test caught it: a 200,000-row import killed
    at COMMIT left the new incidents in place with no ``imports`` or ``quarantine`` rows, in about
    1 kill in 20 aimed at the commit (DuckDB pull request #25931, "Fix uncommitted data recovered
    accidentally", was open at the time of writing).

    A checkpoint, by contrast, moves the database to its new state by writing one header block, so a
    kill leaves the file before or after the change, never between. A zero ``checkpoint_threshold``
    makes DuckDB want to checkpoint at every commit, and a zero ``auto_checkpoint_skip_wal_threshold``
    makes it skip the log write when it does (DuckDB's ``DuckTransactionManager::CommitTransaction``).
    Both settings are restored afterwards. The cost is one checkpoint per write, about the time the
    checkpoint on closing the workspace would have taken anyway. ``tests/test_atomic.py`` kills
    imports at random moments and checks the workspace is as before or as after.
    """
    con.execute("SET checkpoint_threshold = '0B'")
    con.execute("SET auto_checkpoint_skip_wal_threshold = 0")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute("RESET checkpoint_threshold")
        con.execute("RESET auto_checkpoint_skip_wal_threshold")
