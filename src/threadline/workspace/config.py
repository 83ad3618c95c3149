"""``threadline.toml``: the workspace's settings, readable and editable by hand."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from threadline import vocab
from threadline.errors import WorkspaceError

CONFIG_NAME = "threadline.toml"


@dataclass
class WorkspaceConfig:
    """Settings of one workspace.

    Attributes
    ----------
    name:
        A label for reports, e.g. "West Yorkshire Police death investigations".
    forces:
        The force, or the forces of a collaboration (e.g. Norfolk and Suffolk), whose data the
        workspace holds. With exactly one force, import files may omit the ``force`` column.
    quarter:
        ``calendar`` (2025Q1 = Jan-Mar) or ``financial`` (FY2025Q1 = Apr-Jun 2025).
    """

    name: str = "Threadline workspace"
    forces: list[str] = field(default_factory=list)
    quarter: str = "calendar"

    def __post_init__(self) -> None:
        if self.quarter not in vocab.QUARTER_CONVENTIONS:
            raise WorkspaceError(
                f"{CONFIG_NAME}: quarter must be one of {', '.join(vocab.QUARTER_CONVENTIONS)}, "
                f"not {self.quarter!r}"
            )
        self.forces = [f.strip() for f in self.forces if f and f.strip()]

    @property
    def default_force(self) -> str | None:
        return self.forces[0] if len(self.forces) == 1 else None

    def to_toml(self) -> str:
        body = {"workspace": {"name": self.name, "forces": self.forces, "quarter": self.quarter}}
        header = "# Threadline workspace settings (docs/workspace.md).\n"
        return header + tomli_w.dumps(body)

    def save(self, folder: Path) -> None:
        (folder / CONFIG_NAME).write_text(self.to_toml(), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> WorkspaceConfig:
        path = folder / CONFIG_NAME
        if not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise WorkspaceError(f"{path}: not valid TOML ({exc})") from None
        ws = data.get("workspace", {})
        unknown = set(ws) - {"name", "forces", "quarter"}
        if unknown:
            raise WorkspaceError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
        forces = ws.get("forces", [])
        if isinstance(forces, str):
            forces = [forces]
        return cls(name=ws.get("name", cls.name), forces=list(forces), quarter=ws.get("quarter", "calendar"))
