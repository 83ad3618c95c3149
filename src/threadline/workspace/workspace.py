"""Create and open workspaces.

DuckDB is the embedded analytical store: one file, no server, columnar and fast for a force's
data on a laptop, and its SQL is close enough to Spark SQL that the same queries scale out.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from threadline.errors import WorkspaceError
from threadline.workspace.config import CONFIG_NAME, WorkspaceConfig
from threadline.workspace.schema import SCHEMA_VERSION, migrate, schema_version

DB_NAME = "threadline.duckdb"
ENV_VAR = "THREADLINE_WORKSPACE"


def default_workspace_path() -> Path:
    """``$THREADLINE_WORKSPACE`` if set, else ``./workspace``."""
    return Path(os.environ.get(ENV_VAR) or "workspace")


@dataclass
class Workspace:
    """An open workspace: its folder, settings and a DuckDB connection.

    Use as a context manager, or call :meth:`close`. Only one process may write to a workspace
    at a time (DuckDB's file lock); a second gets a clear :class:`WorkspaceError`.
    """

    path: Path
    config: WorkspaceConfig
    con: duckdb.DuckDBPyConnection
    upgraded_from: int | None = None

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def schema_version(self) -> int:
        return schema_version(self.con)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _connect(db: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise WorkspaceError(f"{db} is in use by another Threadline process; try again when it ends") from None
        raise WorkspaceError(f"{db}: cannot open ({text.splitlines()[0]})") from None
    except duckdb.Error as exc:
        raise WorkspaceError(f"{db}: not a Threadline workspace database ({str(exc).splitlines()[0]})") from None
    # Spill to the workspace folder rather than /tmp, so big imports fit on the same disk.
    tmp = (db.parent / ".tmp").as_posix().replace("'", "''")  # a folder such as /home/o'brien
    con.execute(f"SET temp_directory = '{tmp}'")
    return con


def init_workspace(
    path: Path | str | None = None,
    *,
    name: str | None = None,
    forces: list[str] | None = None,
    quarter: str = "calendar",
    exist_ok: bool = False,
) -> Workspace:
    """Create a workspace folder with an empty register at the current schema version.

    Raises :class:`WorkspaceError` if a workspace is already there (unless ``exist_ok``, which
    opens it and leaves its settings alone).
    """
    folder = Path(path) if path is not None else default_workspace_path()
    if (folder / DB_NAME).exists():
        if exist_ok:
            return open_workspace(folder)
        raise WorkspaceError(f"{folder} already holds a workspace; open it, or choose another folder")
    if folder.exists() and not folder.is_dir():
        raise WorkspaceError(f"{folder} is a file, not a folder")
    config = WorkspaceConfig(
        name=name or (f"{', '.join(forces)} register" if forces else "Threadline workspace"),
        forces=list(forces or []),
        quarter=quarter,
    )
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        config.save(folder)
        con = _connect(folder / DB_NAME)
        migrate(con)
    except BaseException:
        # Leave nothing half-made behind: a folder we created goes, else only our two files.
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for name in (CONFIG_NAME, DB_NAME, DB_NAME + ".wal"):
                (folder / name).unlink(missing_ok=True)
        raise
    return Workspace(folder, config, con)


def open_workspace(path: Path | str | None = None, *, read_only: bool = False) -> Workspace:
    """Open an existing workspace, upgrading an older schema in place.

    Raises :class:`WorkspaceError` when there is no workspace at ``path`` or it was made by a
    newer Threadline.
    """
    folder = Path(path) if path is not None else default_workspace_path()
    db = folder / DB_NAME
    if not db.exists():
        raise WorkspaceError(
            f"no workspace at {folder} (no {DB_NAME}); create one with: threadline init {folder}"
        )
    config = WorkspaceConfig.load(folder)
    if read_only:
        con = _connect(db, read_only=True)
        version = schema_version(con)
        if version != SCHEMA_VERSION:
            con.close()
            if version > SCHEMA_VERSION:
                probe = _connect(db, read_only=True)
                try:
                    migrate(probe)  # raises the newer-version error
                finally:
                    probe.close()  # else the file stays attached read-only in this process
            con = _connect(db)
            migrate(con)
            con.close()
            con = _connect(db, read_only=True)
        return Workspace(folder, config, con)
    con = _connect(db)
    try:
        before, after = migrate(con)
    except Exception:
        con.close()
        raise
    return Workspace(folder, config, con, upgraded_from=before if after != before else None)


__all__ = ["DB_NAME", "CONFIG_NAME", "Workspace", "init_workspace", "open_workspace"]
