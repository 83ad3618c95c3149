"""Import a whole folder of import-format files (``persons.csv``, ``cases.csv``, ...)."""

from __future__ import annotations

from pathlib import Path

from threadline.errors import InputError
from threadline.ingest.kinds import LOAD_ORDER
from threadline.ingest.load import ImportResult, Progress, import_file
from threadline.workspace import Workspace

SUFFIXES = (".csv", ".xlsx", ".parquet")


def find_kind_files(folder: Path) -> list[tuple[str, Path]]:
    """``(kind, path)`` for each ``<kind>.<csv|xlsx|parquet>`` in ``folder``, in load order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", file=folder)
    found = []
    for kind in LOAD_ORDER:
        for stem in dict.fromkeys((kind, kind.replace("-", "_"))):  # once each, in order
            for suffix in SUFFIXES:
                path = folder / f"{stem}{suffix}"
                if path.exists():
                    found.append((kind, path))
    return found


def import_folder(ws: Workspace, folder: Path | str, *, progress: Progress | None = None,
                  source: str | None = None) -> list[ImportResult]:
    """Import each kind file in ``folder`` in the order references need (persons before cases)."""
    results = []
    for kind, path in find_kind_files(Path(folder)):
        if progress:
            progress(f"{kind}: {path.name}")
        results.append(import_file(ws, kind, path, source=source))
    return results
