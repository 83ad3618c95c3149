"""Mapping files: load a force's own export without writing code.

A mapping is a small YAML file (``docs/importing.md`` documents every key; an example ships in
``threadline/ingest/mappings/``)::

    kind: cases                      # optional: the import kind it is for
    columns:                         # import column: column in your file
      case_id: "Occurrence Ref"
      category: "Investigation Type"
    constants:                       # import column: value for every row
      force: Norfolk
    values:                          # import column: {your value: import value}
      method:
        Sharp instrument: sharp_instrument
        Stabbing: sharp_instrument
    formats:                         # import column: strptime format(s) tried in order
      reported_at: ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
    replace:                         # import column: [regex, replacement]
      force: [" Police$", ""]
    derive_id:                       # make an id where your file has none
      incident_id: {prefix: "asb-", from: [Month, Location, "Crime type"]}

Recoding compares values case-insensitively and ignoring surrounding spaces; for a list column
(``flags``) each item is recoded on its own, so ``Knife, Youth`` needs entries for Knife and Youth. A value with no
entry passes through unchanged, so an unexpected value is reported by validation, not hidden.
Everything a mapping does is a SQL expression over the raw text, so it runs at DuckDB speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from threadline.errors import InputError

_KEYS = {"kind", "columns", "constants", "values", "formats", "replace", "derive_id", "description"}


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class Mapping:
    """A parsed mapping file. An empty mapping leaves a file in the import format as it is."""

    kind: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    formats: dict[str, list[str]] = field(default_factory=dict)
    replace: dict[str, tuple[str, str]] = field(default_factory=dict)
    derive_id: dict[str, dict] = field(default_factory=dict)
    source: str | None = None

    @classmethod
    def load(cls, path: Path | str) -> Mapping:
        path = Path(path)
        if not path.exists():
            raise InputError("no such mapping file", file=path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(f"not valid YAML ({str(exc).splitlines()[0]})", file=path) from None
        return cls.from_dict(data or {}, source=str(path))

    @classmethod
    def from_dict(cls, data: dict, source: str | None = None) -> Mapping:
        where = source or "mapping"
        if not isinstance(data, dict):
            raise InputError("a mapping must be a YAML dictionary", file=where)
        unknown = set(data) - _KEYS
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_KEYS))}",
                             file=where)

        def table(name: str) -> dict:
            value = data.get(name) or {}
            if not isinstance(value, dict):
                raise InputError(f"{name!r} must be a dictionary", file=where)
            return value

        values = {}
        for col, recode in table("values").items():
            if not isinstance(recode, dict):
                raise InputError(f"values.{col} must be a dictionary of old: new", file=where)
            values[col] = {str(k).strip().lower(): "" if v is None else str(v) for k, v in recode.items()}
        formats = {}
        for col, fmts in table("formats").items():
            formats[col] = [fmts] if isinstance(fmts, str) else [str(f) for f in fmts]
        replace = {}
        for col, pair in table("replace").items():
            if not (isinstance(pair, list) and len(pair) == 2):
                raise InputError(f"replace.{col} must be [pattern, replacement]", file=where)
            replace[col] = (str(pair[0]), str(pair[1]))
        derive = {}
        for col, spec in table("derive_id").items():
            if not isinstance(spec, dict) or not spec.get("from"):
                raise InputError(f"derive_id.{col} needs 'from': [columns]", file=where)
            derive[col] = {"prefix": str(spec.get("prefix", "")), "from": [str(c) for c in spec["from"]]}
        return cls(
            kind=data.get("kind"),
            columns={str(k): str(v) for k, v in table("columns").items()},
            constants={str(k): "" if v is None else str(v) for k, v in table("constants").items()},
            values=values,
            formats=formats,
            replace=replace,
            derive_id=derive,
            source=source,
        )

    def select_sql(self, raw_columns: list[str], wanted: tuple[str, ...], raw_table: str = "_raw",
                   list_columns: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
        """SQL selecting the import columns (text) from ``raw_table``, and the extra columns kept.

        The result has one VARCHAR column per name in ``wanted`` that the file or mapping
        provides, ``_row``, and ``_extra_<name>`` for every raw column no import column uses.
        """
        present = set(raw_columns)
        for target, src in self.columns.items():
            if src not in present:
                raise InputError(
                    f"the mapping reads column {src!r} for {target!r}, but the file has no such column "
                    f"(it has: {', '.join(raw_columns)})", file=self.source or "mapping")
        used: set[str] = set()
        exprs: list[str] = []
        provided: set[str] = set()
        for target in wanted:
            expr = None
            if target in self.constants:
                expr = lit(self.constants[target])
            elif target in self.columns:
                expr = q(self.columns[target])
                used.add(self.columns[target])
            elif target in present:
                expr = q(target)
                used.add(target)
            if target in self.derive_id:
                spec = self.derive_id[target]
                missing = [c for c in spec["from"] if c not in present]
                if missing:
                    raise InputError(f"derive_id.{target} reads missing column(s) {', '.join(missing)}",
                                     file=self.source or "mapping")
                parts = ", ".join(f"coalesce({q(c)}, '')" for c in spec["from"])
                occurrence = f"row_number() OVER (PARTITION BY {', '.join(q(c) for c in spec['from'])} ORDER BY _row)"
                derived = (f"{lit(spec['prefix'])} || left(md5(concat_ws('|', {parts}, {occurrence}::VARCHAR)), 16)")
                expr = derived if expr is None else f"coalesce(nullif(trim({expr}), ''), {derived})"
            if expr is None:
                continue
            if target in self.replace:
                pattern, repl = self.replace[target]
                expr = f"regexp_replace({expr}, {lit(pattern)}, {lit(repl)})"
            if target in self.values:
                if target in list_columns:  # recode each item of a list such as "Knife, Youth"
                    item = self._recode("x", self.values[target], trim_else=True)
                    expr = f"array_to_string([{item} FOR x IN string_split_regex({expr}, '[;,|]')], ';')"
                else:
                    expr = self._recode(expr, self.values[target])
            exprs.append(f"{expr} AS {q(target)}")
            provided.add(target)
        extras = [c for c in raw_columns if c not in used and c not in provided and c != "_row"]
        exprs += [f"{q(c)} AS {q('_extra_' + c)}" for c in extras]
        # Constants for columns outside the import format are kept as extra attributes.
        for name, value in self.constants.items():
            if name not in wanted and name not in extras:
                exprs.append(f"{lit(value)} AS {q('_extra_' + name)}")
                extras.append(name)
        exprs.append("_row")
        return f"SELECT {', '.join(exprs)} FROM {raw_table}", extras

    @staticmethod
    def _recode(expr: str, recode: dict[str, str], trim_else: bool = False) -> str:
        cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in recode.items())
        other = f"trim({expr})" if trim_else else expr
        return f"(CASE lower(trim({expr})) {cases} ELSE {other} END)"


BUILTIN_DIR = Path(__file__).parent / "mappings"


def builtin_mapping(name: str) -> Mapping:
    """A mapping shipped with Threadline (e.g. ``police-uk``)."""
    return Mapping.load(BUILTIN_DIR / f"{name}.yaml")
