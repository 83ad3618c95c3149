"""Read an import file (CSV, XLSX or Parquet) into a DuckDB table of text columns.

Every value arrives as text so that validation, not the reader, decides what is wrong with a
value and can say so row by row. Each row keeps ``_row``, its row number as a spreadsheet shows
it (the header is row 1, the first data row row 2).

CSV: any delimiter (DuckDB's sniffer), UTF-8 with or without BOM, or Windows-1252 (converted to
UTF-8 first, since DuckDB's reader only decodes UTF-8 and Latin-1, which differ from cp1252 in
the curly quotes and euro sign an Excel export carries). Rows with the wrong number of fields are
not dropped: DuckDB's ``store_rejects`` hands them back with their row, and they are quarantined.
"""

from __future__ import annotations

import codecs
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from threadline.errors import InputError

CHUNK = 1 << 20


@dataclass
class RawFile:
    """What the reader found: the table it filled and facts about the file."""

    path: Path
    sha256: str
    file_format: str  # csv, xlsx, parquet
    encoding: str | None
    columns: list[str]
    rows: int
    #: Rows the CSV parser could not read: (row, reason, raw text).
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sniff_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the file's first bytes, not its name."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head:
        raise InputError("the file is empty", file=path)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError("this is an old binary Excel (.xls) file; save it as .xlsx or CSV", file=path)
    if b"\x00" in head:
        raise InputError("this is a binary file, not CSV, XLSX or Parquet", file=path)
    return "csv"


def detect_encoding(path: Path) -> str:
    """``utf-8`` (BOM or not) if the whole file decodes as UTF-8, else ``cp1252``."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    decoder = codecs.getincrementaldecoder("cp1252")()
    offset = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
                offset += len(chunk)
    except UnicodeDecodeError as exc:
        raise InputError(f"the file is neither UTF-8 nor Windows-1252 text (byte {offset + exc.start:,})",
                         file=path) from None
    return "cp1252"


def _transcode(path: Path, encoding: str, tmpdir: Path) -> Path:
    out = tmpdir / (path.stem + ".utf8.csv")
    with path.open("r", encoding=encoding, newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(CHUNK):
            dst.write(chunk)
    return out


def _clean_columns(columns: list[str], path: Path) -> list[str]:
    cleaned = [str(c).strip().lstrip("\ufeff") for c in columns]
    seen: set[str] = set()
    for name in cleaned:
        if name in seen and name:
            raise InputError(f"the header names column {name!r} twice", file=path, row=1)
        if name == "_row" or name.startswith(("_extra_", "_raw_")):
            raise InputError(f"the header uses {name!r}, a name Threadline reserves; rename that column",
                             file=path, row=1)
        seen.add(name)
    return cleaned


def read_into(con: duckdb.DuckDBPyConnection, path: Path, table: str = "_raw") -> RawFile:
    """Load ``path`` into temporary table ``table`` (all VARCHAR plus ``_row``)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", file=path)
    if path.is_dir():
        raise InputError("this is a folder, not a file", file=path)
    fmt = sniff_format(path)
    digest = sha256_of(path)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    if fmt == "csv":
        return _read_csv(con, path, table, digest)
    if fmt == "xlsx":
        frame = _read_xlsx(path)
    else:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
            raise InputError(f"not a readable Parquet file ({exc})", file=path) from None
    return _from_frame(con, path, table, digest, fmt, frame)


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, engine="openpyxl")
        # pandas renames a repeated header (category, category.1): check the header as written.
        header = pd.read_excel(path, sheet_name=0, header=None, nrows=1, dtype=str, engine="openpyxl")
    except Exception as exc:
        raise InputError(f"not a readable XLSX workbook ({exc})", file=path) from None
    if not header.empty:
        _clean_columns([str(c) for c in header.iloc[0] if isinstance(c, str)], path)
    return frame


def _from_frame(con, path: Path, table: str, digest: str, fmt: str, frame: pd.DataFrame) -> RawFile:
    columns = _clean_columns([str(c) for c in frame.columns], path)
    if not columns or all(c.startswith("Unnamed") for c in columns):
        raise InputError("the first sheet or table has no header row", file=path)
    text = pd.DataFrame(
        {
            c: frame.iloc[:, i].map(_as_text, na_action="ignore").astype(object).where(frame.iloc[:, i].notna(), None)
            for i, c in enumerate(columns)
        }
    )
    text["_row"] = np.arange(2, len(text) + 2, dtype=np.int64)
    con.register("_frame", text)
    select = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
    con.execute(f'CREATE TEMP TABLE {table} AS SELECT {select}, _row::INTEGER AS _row FROM _frame')
    con.unregister("_frame")
    return RawFile(path, digest, fmt, None, columns, len(text))


def _as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _csv_header(con, source: Path, width: int) -> list[str] | None:
    """The first record of a CSV as written, or None if it cannot be read the same way."""
    try:
        first = con.execute(
            "SELECT * FROM read_csv(?, header = false, all_varchar = true, null_padding = true) LIMIT 1",
            [str(source)],
        ).fetchone()
    except duckdb.Error:
        return None
    if first is None or len(first) != width:
        return None
    return ["" if v is None else v for v in first]


def _read_csv(con, path: Path, table: str, digest: str) -> RawFile:
    encoding = detect_encoding(path)
    with tempfile.TemporaryDirectory(prefix="threadline-") as tmp:
        source = path if encoding == "utf-8" else _transcode(path, encoding, Path(tmp))
        options = (
            "all_varchar = true, header = true, store_rejects = true, "
            "rejects_table = '_rejects', rejects_scan = '_rejects_scan', "
            "null_padding = false, max_line_size = 10000000"
        )
        try:
            con.execute("DROP TABLE IF EXISTS _rejects")
            con.execute("DROP TABLE IF EXISTS _rejects_scan")
            con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, {options})", [str(source)]
            )
        except duckdb.Error as exc:
            raise InputError(f"not a readable CSV file ({str(exc).splitlines()[0]})", file=path) from None
        found = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        # DuckDB renames a repeated header (category, category_1): check the header as written.
        _clean_columns(_csv_header(con, source, len(found)) or found, path)
    columns = _clean_columns(found, path)
    for old, new in zip(found, columns, strict=True):
        if old != new:
            con.execute(f'ALTER TABLE {table} RENAME COLUMN "{old}" TO "{new}"')
    n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    rejects = con.execute(
        "SELECT line, error_type, csv_line, error_message FROM _rejects ORDER BY line"
    ).fetchall()
    unreadable = [(int(line), f"{etype.lower()}: {msg}", raw) for line, etype, raw, msg in rejects]
    # Rows as a spreadsheet numbers them. DuckDB keeps insertion order, so rowid follows the file;
    # rows it could not parse are skipped there and are accounted for here.
    con.execute(f"ALTER TABLE {table} ADD COLUMN _row INTEGER")
    if not unreadable:
        con.execute(f"UPDATE {table} SET _row = rowid + 2")
    else:
        bad = np.array(sorted({r[0] for r in unreadable}), dtype=np.int64)
        all_rows = np.arange(2, n + len(bad) + 2, dtype=np.int64)
        good = np.setdiff1d(all_rows, bad, assume_unique=True)[:n]
        con.register("_rowmap", pd.DataFrame({"rid": np.arange(n, dtype=np.int64), "r": good}))
        con.execute(f"UPDATE {table} SET _row = m.r FROM _rowmap m WHERE {table}.rowid = m.rid")
        con.unregister("_rowmap")
    if len(columns) == 1 and n > 0 and columns[0].count(" ") > 3:
        raise InputError("the file does not look like a table (one column, no delimiter found)", file=path)
    return RawFile(path, digest, "csv", encoding, columns, n, unreadable)
