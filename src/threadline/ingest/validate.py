"""Row validation, expressed as SQL so that a million rows validate at DuckDB speed.

:func:`checked_sql` turns a :class:`~threadline.ingest.kinds.Kind` into one SELECT that types
every column and collects, per row, a list of errors ``{field, value, reason}``. A row with no
errors is loaded; a row with any goes to quarantine with every reason, not just the first.
:func:`validate_frame` runs the same SQL on a pandas DataFrame, for tests and notebooks.

Checks: required values present; values of the declared type; allowed values; numeric ranges;
dates not in the future nor before 1900; ``occurred_from <= occurred_to`` and
``occurred_from <= reported_at``; latitude and longitude together and inside the UK; LSOA codes
well-formed; keys unique within the file; references to known cases, persons and incidents.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from threadline.ingest import kinds as K
from threadline.ingest.geo import fill_from_bng
from threadline.ingest.mapping import lit, q

#: A box around the United Kingdom, Channel Islands and Isle of Man (WGS84). Points outside are
#: rejected; points inside but offshore are not detected (that needs boundaries, not a box).
UK_BOUNDS = {"lat_min": 49.8, "lat_max": 60.95, "lon_min": -8.7, "lon_max": 1.8}
LSOA_PATTERN = r"^[EW]01[0-9]{6}$"
#: A time of day followed by a UTC offset (Z, +01, +0100, +01:00); only after a time, so that the
#: "-03" ending a plain date is never taken for an offset.
_TZ_SUFFIX = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"


def norm_token(expr: str) -> str:
    """Normalise a categorical value: trimmed, lower case, spaces, hyphens and slashes to '_'."""
    return f"regexp_replace(lower(trim({expr})), '[\\s\\-/]+', '_', 'g')"


def _text(col: str) -> str:
    return f"nullif(trim({q(col)}), '')"


def _raw(col: str) -> str:
    """The raw text of ``col`` as carried beside the typed columns in the checking query."""
    return _text("_raw_" + col)


def _timestamp(col: str, formats: list[str]) -> str:
    t = _text(col)
    tried = [f"try_strptime({t}, {lit(f)})" for f in formats]
    # DuckDB reads an offset only after seconds: 23:10Z is given as 23:10:00Z.
    with_seconds = f"regexp_replace({t}, '([T ][0-9]{{2}}:[0-9]{{2}})([Z+-])', '\\1:00\\2')"
    iso = (
        f"CASE WHEN regexp_matches({t}, '{_TZ_SUFFIX}') "
        f"THEN timezone('Europe/London', TRY_CAST({with_seconds} AS TIMESTAMPTZ)) ELSE TRY_CAST({t} AS TIMESTAMP) END"
    )
    return f"coalesce({', '.join([*tried, iso])})"


def typed_expr(f: K.Field, formats: list[str]) -> str:
    """The SQL giving ``f``'s typed value (NULL where missing or invalid)."""
    t = _text(f.name)
    if f.type in (K.INT,):  # only whole numbers: a plain cast would round '3.5' to 4
        d = f"TRY_CAST({t} AS DOUBLE)"
        return f"CASE WHEN {d} = floor({d}) THEN TRY_CAST({d} AS INTEGER) END"
    if f.type in (K.FLOAT, K.LAT, K.LON):  # 'NaN' and 'inf' are not numbers a register can use
        d = f"TRY_CAST({t} AS DOUBLE)"
        return f"CASE WHEN isfinite({d}) THEN {d} END"
    if f.type == K.TIMESTAMP:
        return _timestamp(f.name, formats)
    if f.type == K.DATE:
        return f"CAST({_timestamp(f.name, formats)} AS DATE)"
    if f.type == K.ENUM:
        if all(v == v.lower() for v in f.values):
            allowed = ", ".join(lit(v) for v in f.values)
            return f"CASE WHEN {norm_token(t)} IN ({allowed}) THEN {norm_token(t)} END"
        # Codes such as W1 or IC3: matched in any case, stored as the list spells them.
        whens = " ".join(f"WHEN {lit(v.lower())} THEN {lit(v)}" for v in f.values)
        return f"CASE {norm_token(t)} {whens} END"
    if f.type == K.FLAGS:
        tokens = f"[{norm_token('x')} FOR x IN string_split_regex({t}, '[;,|]') IF trim(x) <> '']"
        return f"nullif(array_to_string(list_sort(list_distinct({tokens})), ';'), '')"
    if f.type == K.TEXT and f.name == "postcode":
        return f"upper(regexp_replace({t}, '\\s+', ' ', 'g'))"
    return t


def _err(cond: str, field: str, value: str, reason: str, field_sql: str | None = None) -> str:
    """``field_sql``: an expression naming the field, when which one is at fault depends on the row."""
    return f"CASE WHEN {cond} THEN {{'field': {field_sql or lit(field)}, 'value': {value}, 'reason': {reason}}} END"


def error_exprs(kind: K.Kind, present: set[str], formats: dict[str, list[str]] | None = None) -> list[str]:
    """One SQL expression per check, each NULL or an error struct. ``present``: columns given."""
    out: list[str] = []
    for f in kind.fields:
        raw = _raw(f.name)
        typed = f"_t.{q(f.name)}"
        if f.name not in present:
            continue
        if f.required:
            out.append(_err(f"{raw} IS NULL", f.name, "NULL", lit("missing (required)")))
        if f.type in (K.INT, K.FLOAT, K.LAT, K.LON):
            noun = "a whole number" if f.type == K.INT else "a number"
            out.append(_err(f"{raw} IS NOT NULL AND {typed} IS NULL", f.name, raw, lit(f"not {noun}")))
            if f.minimum is not None or f.maximum is not None:
                lo = "-inf" if f.minimum is None else f"{f.minimum:g}"
                hi = "inf" if f.maximum is None else f"{f.maximum:g}"
                conds = []
                if f.minimum is not None:
                    conds.append(f"{typed} < {f.minimum}")
                if f.maximum is not None:
                    conds.append(f"{typed} > {f.maximum}")
                out.append(_err(" OR ".join(conds), f.name, raw, lit(f"out of range ({lo} to {hi})")))
        elif f.type in (K.TIMESTAMP, K.DATE):
            noun = "date" if f.type == K.DATE else "date-time"
            fmts = (formats or {}).get(f.name)
            expected = f"format {' or '.join(fmts)}" if fmts else "ISO 8601, e.g. 2024-03-05T22:41"
            out.append(_err(f"{raw} IS NOT NULL AND {typed} IS NULL", f.name, raw,
                            lit(f"not a valid {noun} ({expected})")))
            out.append(_err(f"{typed} > now()::TIMESTAMP + INTERVAL 1 DAY", f.name, raw, lit("in the future")))
            out.append(_err(f"{typed} < TIMESTAMP '1900-01-01'", f.name, raw, lit("before 1900")))
        elif f.type == K.ENUM:
            allowed = ", ".join(f.values)
            out.append(_err(f"{raw} IS NOT NULL AND {typed} IS NULL", f.name, raw,
                            lit(f"not an allowed value (allowed: {allowed})")))
        elif f.type == K.FLAGS:
            allowed_list = "[" + ", ".join(lit(v) for v in f.values) + "]"
            bad = (f"[{norm_token('x')} FOR x IN string_split_regex({raw}, '[;,|]') "
                   f"IF trim(x) <> '' AND NOT list_contains({allowed_list}, {norm_token('x')})]")
            out.append(_err(f"{raw} IS NOT NULL AND len({bad}) > 0", f.name, raw,
                            f"'unknown flag(s) ' || array_to_string({bad}, ', ') || "
                            f"{lit(' (allowed: ' + ', '.join(f.values) + ')')}"))
        elif f.type == K.ID:
            out.append(_err(f"regexp_matches({raw}, '[\\x00-\\x1f]') OR length({raw}) > 200", f.name, raw,
                            lit("not a usable id (control characters, or longer than 200)")))
        if f.name == "lsoa_code":
            out.append(_err(f"{raw} IS NOT NULL AND NOT regexp_matches(upper({raw}), '{LSOA_PATTERN}')",
                            f.name, raw, lit("not an LSOA code (E01 or W01 and six digits)")))
    names = set(kind.columns)
    if {"occurred_from", "occurred_to"} <= present:
        out.append(_err("_t.occurred_from > _t.occurred_to", "occurred_to", _raw("occurred_to"),
                        "'before occurred_from (' || _t.occurred_from::VARCHAR || ')'"))
    if {"occurred_from", "reported_at"} <= present:
        out.append(_err("_t.occurred_from > _t.reported_at", "occurred_from", _raw("occurred_from"),
                        "'after reported_at (' || _t.reported_at::VARCHAR || ')'"))
    if {"occurred_at", "reported_at"} <= present:
        out.append(_err("_t.occurred_at > _t.reported_at", "occurred_at", _raw("occurred_at"),
                        "'after reported_at (' || _t.reported_at::VARCHAR || ')'"))
    if {"latitude", "longitude"} <= names:
        lat, lon = "_t.latitude", "_t.longitude"
        # Each names the coordinate to fix: the one missing, or the one outside the UK.
        out.append(_err(f"({lat} IS NULL) <> ({lon} IS NULL)", "latitude",
                        f"coalesce({lat}::VARCHAR, '') || ',' || coalesce({lon}::VARCHAR, '')",
                        lit("latitude and longitude must be given together"),
                        field_sql=f"CASE WHEN {lat} IS NULL THEN 'latitude' ELSE 'longitude' END"))
        b = UK_BOUNDS
        lat_ok = f"{lat} BETWEEN {b['lat_min']} AND {b['lat_max']}"
        lon_ok = f"{lon} BETWEEN {b['lon_min']} AND {b['lon_max']}"
        out.append(_err(
            f"{lat} IS NOT NULL AND {lon} IS NOT NULL AND NOT ({lat_ok} AND {lon_ok})",
            "latitude", f"{lat}::VARCHAR || ',' || {lon}::VARCHAR",
            lit("coordinates outside the UK (WGS84 latitude, longitude expected)"),
            field_sql=f"CASE WHEN {lat_ok} THEN 'longitude' ELSE 'latitude' END"))
        if kind.accepts_bng and "easting" in present:
            out.append(_err(f"{_raw('easting')} IS NOT NULL AND {lat} IS NULL", "easting",
                            f"{_raw('easting')} || ',' || coalesce({_raw('northing')}, '')",
                            lit("easting/northing not a British National Grid position")))
    return out


@dataclass
class CheckPlan:
    """The SQL that types and checks the mapped table, and what it needs."""

    sql: str
    present: set[str]


def checked_sql(kind: K.Kind, present: set[str], formats: dict[str, list[str]], extras: list[str],
                source: str = "_mapped") -> CheckPlan:
    """SELECT producing typed columns, ``attributes``, ``row_hash``, ``_row`` and ``_errors``."""
    typed_cols = []
    for f in kind.fields:
        expr = typed_expr(f, formats.get(f.name, [])) if f.name in present else f"NULL::{f.sql_type}"
        if f.name == "lsoa_code" and f.name in present:
            expr = f"upper({expr})"
        typed_cols.append(f"CAST({expr} AS {f.sql_type}) AS {q(f.name)}")
    if extras:
        pairs = ", ".join(f"{lit(c)}, {q('_extra_' + c)}" for c in extras)
        attributes = f"json_object({pairs})"
    else:
        attributes = "NULL::JSON"
    passthrough = ", ".join(f"{q(c)} AS {q('_raw_' + c)}" for c in sorted(present)) if present else ""
    base = (f"SELECT {', '.join(typed_cols)}, {attributes} AS attributes, _row"
            f"{', ' + passthrough if passthrough else ''} FROM {source}")
    key = ", ".join(f"_t.{q(k)}" for k in kind.key)
    dup = _err("_dup_rank > 1", kind.key[0], f"concat_ws(' / ', {key})",
               "'duplicate key in this file (first at row ' || _dup_first::VARCHAR || ')'")
    checks = [*error_exprs(kind, present, formats), dup]
    joins, ref_checks = [], []
    for i, ref in enumerate(kind.references):
        if ref.column not in present:
            continue
        alias = f"_ref{i}"
        joins.append(f"LEFT JOIN (SELECT DISTINCT {q(ref.target)} AS v FROM {ref.table}) {alias} "
                     f"ON {alias}.v = _t.{q(ref.column)}")
        ref_checks.append(_err(f"_t.{q(ref.column)} IS NOT NULL AND {alias}.v IS NULL", ref.column,
                               f"_t.{q(ref.column)}",
                               lit(f"unknown {ref.target} (not in {ref.table}; import {ref.table} first)")))
    checks += ref_checks
    errors = f"[e FOR e IN [{', '.join(checks)}] IF e IS NOT NULL]"
    hashed = ", ".join(f"coalesce(_t.{q(c)}::VARCHAR, '\\N')" for c in kind.columns if kind.field(c).since == 1)
    # Later columns join the hash only when set (concat_ws skips NULLs), so a row without them keeps
    # the hash it had before they existed, and re-importing an old file changes nothing.
    later = "".join(f", {lit(c + '=')} || _t.{q(c)}::VARCHAR" for c in kind.columns if kind.field(c).since > 1)
    cols = ", ".join(f"_t.{q(c)}" for c in kind.columns)
    sql = f"""
        WITH _base AS ({base}),
        _t AS (
            SELECT *, row_number() OVER (PARTITION BY {', '.join(q(k) for k in kind.key)} ORDER BY _row) AS _dup_rank,
                   min(_row) OVER (PARTITION BY {', '.join(q(k) for k in kind.key)}) AS _dup_first
            FROM _base
        )
        SELECT {cols}, _t.attributes,
               md5(concat_ws(chr(31), {hashed}, coalesce(_t.attributes::VARCHAR, '\\N'){later})) AS row_hash,
               _t._row, {errors} AS _errors
        FROM _t {' '.join(joins)}
    """
    return CheckPlan(sql, present)


def validate_frame(kind_name: str, frame: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate ``frame`` (text columns in the import format) as ``kind_name``.

    Returns ``(accepted, rejected)``: accepted rows typed, and one rejected row per error with
    ``row``, ``field``, ``value`` and ``reason``. References are checked against ``con``'s tables;
    with no connection, an empty in-memory register is used, so every reference is unknown.
    """
    from threadline.workspace.schema import migrate

    kind = K.get_kind(kind_name)
    own = con is None
    if own:
        con = duckdb.connect()
        migrate(con)
    frame = frame.astype(object).where(frame.notna(), None).copy()
    frame["_row"] = range(2, len(frame) + 2)
    con.register("_frame_in", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE _mapped AS SELECT * FROM _frame_in")
    con.unregister("_frame_in")
    present = set(frame.columns) & set(kind.columns)
    if kind.accepts_bng and {"easting", "northing"} <= set(frame.columns):
        fill_from_bng(con, "_mapped")
        present |= {"easting", "northing", "latitude", "longitude"}
    plan = checked_sql(kind, present, {}, [])
    result = con.execute(plan.sql).df()
    ok = result[result["_errors"].map(len) == 0].drop(columns=["_errors"]).sort_values("_row")
    bad_rows = result[result["_errors"].map(len) > 0]
    rejected = pd.DataFrame(
        [
            {"row": r, "field": e["field"], "value": e["value"], "reason": e["reason"]}
            for r, errs in zip(bad_rows["_row"], bad_rows["_errors"], strict=True)
            for e in errs
        ],
        columns=["row", "field", "value", "reason"],
    ).sort_values(["row", "field"]).reset_index(drop=True)
    if own:
        con.close()
    return ok.reset_index(drop=True), rejected
