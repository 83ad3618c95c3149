"""Threadline: analysis of death investigations, near-miss homicides and serious violence.

The public Python API; the ``threadline`` command is a thin layer over it.

>>> import threadline as tl
>>> ws = tl.init_workspace("my-workspace", forces=["West Yorkshire"])   # doctest: +SKIP
>>> tl.import_file(ws, "cases", "cases.csv")                           # doctest: +SKIP
>>> tl.status(ws)                                                      # doctest: +SKIP
"""

__version__ = "0.1.0"

from threadline.errors import InputError, ThreadlineError, WorkspaceError  # noqa: E402
from threadline.ingest import ImportResult, Mapping, import_file, validate_frame  # noqa: E402
from threadline.workspace import Workspace, init_workspace, open_workspace  # noqa: E402

__all__ = [
    "ImportResult",
    "InputError",
    "Mapping",
    "ThreadlineError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "import_file",
    "init_workspace",
    "open_workspace",
    "validate_frame",
]
