"""Import a file into the register: read, map, validate, quarantine, upsert, in one transaction.

The steps (``docs/importing.md``):

1. read the file into text columns (:mod:`~threadline.ingest.readers`);
2. apply the mapping (:mod:`~threadline.ingest.mapping`) and convert British National Grid;
3. type and check every row (:mod:`~threadline.ingest.validate`);
4. in ONE DuckDB transaction: log the import, copy superseded rows to ``<table>_history``,
   insert new and changed rows, unchanged rows untouched, and add bad rows to ``quarantine``;
5. after the commit, write the rejects CSV beside the input.

A crash or ``kill -9`` before the commit leaves the workspace exactly as it was (DuckDB's
write-ahead log replays only committed transactions); after it, the import is whole.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from threadline import __version__
from threadline.errors import InputError, ThreadlineError
from threadline.ingest import kinds as K
from threadline.ingest.geo import fill_from_bng
from threadline.ingest.mapping import Mapping, builtin_mapping, lit, q
from threadline.ingest.readers import RawFile, read_into
from threadline.ingest.validate import checked_sql
from threadline.workspace import Workspace
from threadline.workspace.transaction import atomic

#: Columns of a rejects file that an import of it ignores, so a fixed rejects file re-imports.
REJECT_COLUMNS = ("rejected_row", "rejected_fields", "rejected_reasons")
Progress = Callable[[str], None]


class StrictImportError(ThreadlineError):
    """``--strict`` and at least one bad row: nothing was imported."""

    def __init__(self, result: ImportResult):
        self.result = result
        super().__init__(
            f"{result.path}: {result.quarantined} bad row(s) and --strict, so nothing was imported; "
            f"reasons in {result.rejects_path}"
        )


@dataclass
class ImportResult:
    """What one import did."""

    kind: str
    path: Path
    source_name: str
    sha256: str
    import_id: int | None = None
    file_format: str = ""
    encoding: str | None = None
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    rejects_path: Path | None = None
    reasons: Counter = field(default_factory=Counter)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.imported + self.updated + self.unchanged

    @property
    def nothing_imported(self) -> bool:
        return self.accepted == 0


def _resolve_kind(kind_name: str, mapping: Mapping | None) -> tuple[K.Kind, Mapping]:
    if kind_name.strip().lower() in ("police-uk", "police_uk", "policeuk"):
        if mapping is not None:
            raise InputError("the police-uk kind has its own mapping; use 'incidents' with --mapping instead")
        return K.INCIDENTS, builtin_mapping("police-uk")
    kind = K.get_kind(kind_name)
    mapping = mapping or Mapping()
    if mapping.kind and K.get_kind(mapping.kind).name != kind.name:
        raise InputError(f"the mapping is for {mapping.kind!r} but the import is {kind.name!r}",
                         file=mapping.source)
    return kind, mapping


def import_file(
    ws: Workspace,
    kind_name: str,
    path: Path | str,
    *,
    mapping: Mapping | Path | str | None = None,
    source: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    agency: str | None = None,
) -> ImportResult:
    """Import ``path`` as ``kind_name`` into the workspace ``ws``.

    Parameters
    ----------
    ws: an open :class:`~threadline.workspace.Workspace`.
    kind_name: an import kind (``cases``, ``persons``, ... or ``police-uk``).
    path: a CSV, XLSX or Parquet file.
    mapping: a :class:`Mapping` or the path of a mapping YAML.
    source: a name for the data source (default: the file name); kept as provenance.
    strict: if any row is bad, import nothing and raise :class:`StrictImportError`.
    progress: called with the name of each stage as it starts.
    agency: for ``partner-records``, the agency every row comes from (``nhs_ed``, ``ambulance``,
        ``la_safeguarding``, ``youth_justice``, ``probation``, ``other``); it overrides any agency
        column or mapping constant, as a partner's extract rarely names its own agency.

    Returns an :class:`ImportResult`. Raises :class:`InputError` when the file is not what it
    claims to be (empty, binary, wrong kind, missing required columns).
    """
    step = progress or (lambda _stage: None)
    path = Path(path)
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = Mapping.load(mapping)
    kind, mapping = _resolve_kind(kind_name, mapping)
    if agency is not None:
        mapping = _with_agency(kind, mapping, agency)
    con = ws.con
    step("reading")
    raw = read_into(con, path)
    result = ImportResult(kind.name if kind_name != "police-uk" else "police-uk", path,
                          source or path.name, raw.sha256, file_format=raw.file_format,
                          encoding=raw.encoding, rows_read=raw.rows + len(raw.unreadable))
    if result.rows_read == 0:
        raise InputError("the file has a header but no data rows", file=path)
    step("mapping")
    present, extras = _map(con, kind, mapping, raw, ws.config.default_force)
    result.extra_columns = extras
    step("checking")
    plan = checked_sql(kind, present, mapping.formats, extras)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _checked AS {plan.sql}")
    bad = con.execute("SELECT count(*) FROM _checked WHERE len(_errors) > 0").fetchone()[0]
    result.quarantined = bad + len(raw.unreadable)
    reasons = con.execute(
        "SELECT e.field || ': ' || e.reason, count(*) FROM "
        "(SELECT unnest(_errors) AS e FROM _checked WHERE len(_errors) > 0) GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    result.reasons = Counter({r: n for r, n in reasons})
    for _row, reason, _text in raw.unreadable:
        result.reasons[f"(row): {reason.split(':')[0]}"] += 1
    if strict and result.quarantined:
        result.rejects_path = _write_rejects(con, ws, raw, kind)
        _cleanup(con)
        raise StrictImportError(result)
    step("loading")
    _load(con, ws, kind, raw, result, mapping)
    step("writing rejects")
    result.rejects_path = _write_rejects(con, ws, raw, kind) if result.quarantined else _clear_rejects(path)
    _cleanup(con)
    return result


def _with_agency(kind: K.Kind, mapping: Mapping, agency: str) -> Mapping:
    from threadline.vocab import AGENCIES

    if kind.name != "partner-records":
        raise InputError(f"--agency is for partner-records imports, not {kind.name}")
    if agency not in AGENCIES:
        raise InputError(f"unknown agency {agency!r}; the agencies are {', '.join(AGENCIES)}", field="agency")
    columns = {k: v for k, v in mapping.columns.items() if k != "agency"}
    return Mapping(**{**mapping.__dict__, "columns": columns, "constants": {**mapping.constants, "agency": agency}})


def _map(con, kind: K.Kind, mapping: Mapping, raw: RawFile, default_force: str | None
         ) -> tuple[set[str], list[str]]:
    raw_cols = [c for c in raw.columns if c not in REJECT_COLUMNS and c != "rejected_raw"]
    wanted = kind.columns + (("easting", "northing") if kind.accepts_bng else ())
    # A misspelt import column would otherwise be ignored silently (its data kept only as attributes).
    targets = {*mapping.columns, *mapping.values, *mapping.formats, *mapping.replace, *mapping.derive_id}
    unknown = sorted(targets - set(wanted))
    if unknown:
        raise InputError(f"the mapping names {', '.join(map(repr, unknown))}, not {kind.name} column(s); "
                         f"the {kind.name} columns are {', '.join(wanted)}", file=mapping.source or "mapping")
    if "force" in kind.columns and default_force and "force" not in raw_cols and "force" not in mapping.columns \
            and "force" not in mapping.constants:
        mapping = Mapping(**{**mapping.__dict__, "constants": {**mapping.constants, "force": default_force}})
    lists = frozenset(f.name for f in kind.fields if f.type == K.FLAGS)
    sql, extras = mapping.select_sql(raw_cols, wanted, list_columns=lists)
    provided = {c for c in wanted if c in raw_cols or c in mapping.columns or c in mapping.constants
                or c in mapping.derive_id}
    missing = [c for c in kind.required if c not in provided]
    if missing:
        found = [c for c in kind.columns if c in raw_cols or c in mapping.columns]
        if not found:
            raise InputError(
                f"this is not a {kind.name} file: none of its columns ({', '.join(kind.columns[:6])}, ...) "
                f"were found; the file has {', '.join(raw.columns[:8])}{' ...' if len(raw.columns) > 8 else ''}. "
                "Check the kind, or rename columns with --mapping", file=raw.path, row=1)
        raise InputError(f"missing required column(s) {', '.join(missing)} for {kind.name}", file=raw.path, row=1)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _mapped AS {sql}")
    present = provided & set(kind.columns)
    if kind.accepts_bng and {"easting", "northing"} <= provided:
        fill_from_bng(con, "_mapped")
        present |= {"easting", "northing", "latitude", "longitude"}
    return present, extras


def _load(con, ws: Workspace, kind: K.Kind, raw: RawFile, result: ImportResult, mapping: Mapping) -> None:
    table = kind.table
    key_join = " AND ".join(f"e.{q(k)} = c.{q(k)}" for k in kind.key)
    cols = [*kind.columns, "attributes", "row_hash"]
    col_list = ", ".join(q(c) for c in cols)
    with atomic(con):
        import_id = con.execute("SELECT nextval('import_seq')").fetchone()[0]
        result.import_id = int(import_id)
        con.execute(
            "INSERT INTO imports (import_id, kind, source_name, source_path, source_sha256, mapping, "
            "started_at, threadline_version) VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
            [import_id, result.kind, result.source_name, str(raw.path.resolve()), raw.sha256,
             mapping.source, __version__],
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _good AS
                SELECT c.*, e.rowid AS _old_rowid, e.row_hash AS _old_hash
                FROM (SELECT * FROM _checked WHERE len(_errors) = 0) c
                LEFT JOIN {table} e ON {key_join}"""
        )
        counts = con.execute(
            "SELECT count(*) FILTER (_old_hash IS NULL), "
            "count(*) FILTER (_old_hash IS NOT NULL AND _old_hash <> row_hash), "
            "count(*) FILTER (_old_hash = row_hash) FROM _good"
        ).fetchone()
        result.imported, result.updated, result.unchanged = (int(x) for x in counts)
        if result.updated:
            changed = "SELECT _old_rowid FROM _good WHERE _old_hash <> row_hash"
            con.execute(
                f"INSERT INTO {table}_history BY NAME SELECT *, now()::TIMESTAMP AS superseded_at, "
                f"{import_id} AS superseded_by FROM {table} WHERE rowid IN ({changed})"
            )
            con.execute(f"DELETE FROM {table} WHERE rowid IN ({changed})")
        if result.imported or result.updated:
            con.execute(
                f"""INSERT INTO {table} ({col_list}, import_id, source_name, source_sha256, source_row, imported_at)
                    SELECT {col_list}, {import_id}, {lit(result.source_name)}, {lit(raw.sha256)}, _row,
                           now()::TIMESTAMP
                    FROM _good WHERE _old_hash IS NULL OR _old_hash <> row_hash"""
            )
        if result.quarantined:
            _quarantine(con, kind, raw, result, import_id)
        con.execute(
            "UPDATE imports SET finished_at = now()::TIMESTAMP, rows_read = ?, imported = ?, updated = ?, "
            "unchanged = ?, quarantined = ? WHERE import_id = ?",
            [result.rows_read, result.imported, result.updated, result.unchanged, result.quarantined, import_id],
        )
        if os.environ.get("THREADLINE_TEST_PAUSE_BEFORE_COMMIT"):
            _pause_for_test()


def _pause_for_test() -> None:
    """Hold the transaction open so a test can SIGKILL the process at its worst moment."""
    import time

    marker = os.environ["THREADLINE_TEST_PAUSE_BEFORE_COMMIT"]
    Path(marker).write_text("ready")
    time.sleep(60)


def _quarantine(con, kind: K.Kind, raw: RawFile, result: ImportResult, import_id: int) -> None:
    new_only = ("WHERE NOT EXISTS (SELECT 1 FROM quarantine x WHERE x.source_sha256 = n.source_sha256 "
                "AND x.kind = n.kind AND x.source_row IS NOT DISTINCT FROM n.source_row "
                "AND x.field IS NOT DISTINCT FROM n.field AND x.reason = n.reason)")
    con.execute(
        f"""INSERT INTO quarantine
            SELECT * FROM (
                SELECT {import_id} AS import_id, {lit(result.kind)} AS kind, {lit(result.source_name)} AS source_name,
                       {lit(raw.sha256)} AS source_sha256, b._row AS source_row, b.e.field AS field,
                       b.e.value AS value, b.e.reason AS reason, to_json(r) AS raw, now()::TIMESTAMP AS quarantined_at
                FROM (SELECT _row, unnest(_errors) AS e FROM _checked WHERE len(_errors) > 0) b
                JOIN _raw r ON r._row = b._row
            ) n {new_only}"""
    )
    for row, reason, text in raw.unreadable:
        con.execute(
            f"""INSERT INTO quarantine SELECT * FROM (
                SELECT ? AS import_id, ? AS kind, ? AS source_name, ? AS source_sha256, ? AS source_row,
                       '(row)' AS field, ? AS value, ? AS reason, to_json({{'raw_line': ?}}) AS raw,
                       now()::TIMESTAMP AS quarantined_at) n {new_only}""",
            [import_id, result.kind, result.source_name, raw.sha256, row, text[:500], reason, text],
        )


def rejects_path_for(path: Path) -> Path:
    """``cases.csv`` -> ``cases.rejects.csv`` beside it."""
    return path.with_name(f"{path.stem}.rejects.csv")


def _write_rejects(con, ws: Workspace, raw: RawFile, kind: K.Kind) -> Path:
    rows = con.execute(
        """SELECT r.*, string_agg(DISTINCT e.field, '; ' ORDER BY e.field) AS fields,
                  string_agg(e.field || ': ' || e.reason, '; ') AS reasons
           FROM (SELECT _row, unnest(_errors) AS e FROM _checked WHERE len(_errors) > 0) b
           JOIN _raw r ON r._row = b._row GROUP BY ALL ORDER BY r._row"""
    ).fetchall()
    data_cols = [c for c in raw.columns if c not in REJECT_COLUMNS and c != "rejected_raw"]
    records = [(r[-3], r[-2], r[-1], {c: v for c, v in zip(raw.columns, r[:-3], strict=False)}) for r in rows]
    records += [(row, "(row)", reason, {"rejected_raw": text}) for row, reason, text in raw.unreadable]
    records.sort(key=lambda x: x[0])
    header = [*REJECT_COLUMNS, *data_cols] + (["rejected_raw"] if raw.unreadable else [])
    target = rejects_path_for(raw.path)
    try:
        return _write_csv(target, header, records)
    except OSError:
        folder = ws.path / "rejects"
        folder.mkdir(exist_ok=True)
        return _write_csv(folder / target.name, header, records)


def _write_csv(target: Path, header: list[str], records) -> Path:
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row, fields, reasons, values in records:
            writer.writerow([row, fields, reasons, *[values.get(c) for c in header[3:]]])
    tmp.replace(target)
    return target


def _clear_rejects(path: Path) -> None:
    """A stale rejects file from an earlier run would mislead: remove it when all rows pass."""
    with contextlib.suppress(OSError):
        rejects_path_for(path).unlink(missing_ok=True)
    return None


def _cleanup(con) -> None:
    for t in ("_raw", "_mapped", "_checked", "_good", "_rejects", "_rejects_scan"):
        con.execute(f"DROP TABLE IF EXISTS {t}")

