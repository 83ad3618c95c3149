"""``threadline.toml``: the workspace's settings, readable and editable by hand."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from threadline import vocab
from threadline.errors import WorkspaceError

CONFIG_NAME = "threadline.toml"

#: The ``[violence]`` settings and their defaults.
VIOLENCE_DEFAULTS: dict[str, int] = {"youth_min_age": 10, "youth_max_age": 24, "suppress_below": 5}


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
    youth_min_age, youth_max_age:
        ``[violence]``: the ages counted as youth in serious youth violence analyses (default 10-24,
        the Serious Violence Duty's young people; 10-17 for the Youth Justice Board's children).
    suppress_below:
        ``[violence]``: counts from 1 to this minus one are suppressed in published outputs
        (small-cell disclosure control); 0 turns suppression off.
    """

    name: str = "Threadline workspace"
    forces: list[str] = field(default_factory=list)
    quarter: str = "calendar"
    youth_min_age: int = VIOLENCE_DEFAULTS["youth_min_age"]
    youth_max_age: int = VIOLENCE_DEFAULTS["youth_max_age"]
    suppress_below: int = VIOLENCE_DEFAULTS["suppress_below"]

    def __post_init__(self) -> None:
        if self.quarter not in vocab.QUARTER_CONVENTIONS:
            raise WorkspaceError(
                f"{CONFIG_NAME}: quarter must be one of {', '.join(vocab.QUARTER_CONVENTIONS)}, "
                f"not {self.quarter!r}"
            )
        self.forces = [f.strip() for f in self.forces if f and f.strip()]
        for key in VIOLENCE_DEFAULTS:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise WorkspaceError(f"{CONFIG_NAME}: [violence] {key} must be a whole number, not {value!r}")
        if not 0 <= self.youth_min_age <= self.youth_max_age <= 120:
            raise WorkspaceError(
                f"{CONFIG_NAME}: [violence] youth ages must satisfy 0 <= youth_min_age <= youth_max_age <= 120, "
                f"not {self.youth_min_age}-{self.youth_max_age}"
            )
        if self.suppress_below < 0:
            raise WorkspaceError(
                f"{CONFIG_NAME}: [violence] suppress_below must be 0 or more, not {self.suppress_below}"
            )

    @property
    def default_force(self) -> str | None:
        return self.forces[0] if len(self.forces) == 1 else None

    def to_toml(self) -> str:
        body = {
            "workspace": {"name": self.name, "forces": self.forces, "quarter": self.quarter},
            "violence": {key: getattr(self, key) for key in VIOLENCE_DEFAULTS},
        }
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
        sections = set(data) - {"workspace", "violence"}
        if sections:
            raise WorkspaceError(f"{path}: unknown section(s) {', '.join(sorted(sections))} "
                                 "(the sections are [workspace] and [violence])")
        ws = data.get("workspace", {})
        unknown = set(ws) - {"name", "forces", "quarter"}
        if unknown:
            raise WorkspaceError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
        violence = data.get("violence", {})
        if not isinstance(violence, dict):
            raise WorkspaceError(f"{path}: [violence] must be a table of settings")
        unknown = set(violence) - set(VIOLENCE_DEFAULTS)
        if unknown:
            raise WorkspaceError(f"{path}: unknown [violence] setting(s) {', '.join(sorted(unknown))}")
        forces = ws.get("forces", [])
        if isinstance(forces, str):
            forces = [forces]
        try:
            return cls(name=ws.get("name", cls.name), forces=list(forces), quarter=ws.get("quarter", "calendar"),
                       **{k: violence.get(k, v) for k, v in VIOLENCE_DEFAULTS.items()})
        except WorkspaceError as exc:
            raise WorkspaceError(f"{path}: {str(exc).removeprefix(CONFIG_NAME + ': ')}") from None
