"""The workspace: a folder holding the analytical register (``threadline.duckdb``) and its
settings (``threadline.toml``). See ``docs/workspace.md``."""

from threadline.workspace.config import WorkspaceConfig
from threadline.workspace.schema import SCHEMA_VERSION
from threadline.workspace.workspace import (
    DB_NAME,
    Workspace,
    default_workspace_path,
    init_workspace,
    open_workspace,
)

__all__ = [
    "DB_NAME",
    "SCHEMA_VERSION",
    "Workspace",
    "WorkspaceConfig",
    "default_workspace_path",
    "init_workspace",
    "open_workspace",
]
