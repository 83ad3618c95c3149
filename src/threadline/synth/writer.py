"""Writing the import files and the truth files: UTF-8 CSV, header exactly the kind's columns.

Every value is turned into text here, so the files are byte-identical for the same seed and
arguments: timestamps as ``2024-03-05T22:41:00``, dates as ``2024-03-05``, coordinates with six
decimals, missing values as the empty string, flags ``;``-separated, ``\\n`` line endings.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.ingest.kinds import KINDS

_IS_STR = np.frompyfunc(lambda v: isinstance(v, str), 1, 1)


def text(values, fmt: str | None = None) -> np.ndarray:
    """Values as text: NaN/None as '', floats by ``fmt`` (default: shortest), ints without decimals."""
    arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    kind = arr.dtype.kind
    if kind in "iub":
        return arr.astype(str).astype(object)
    if kind == "f":
        out = np.empty(len(arr), dtype=object)
        ok = ~np.isnan(arr)
        if fmt is not None:
            out[ok] = [fmt.format(v) for v in arr[ok]]
        else:
            out[ok] = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in arr[ok]]
        out[~ok] = ""
        return out
    out = arr.astype(object).copy()
    missing = pd.isna(out)
    out[missing] = ""
    if pd.api.types.infer_dtype(out, skipna=True) not in ("string", "empty"):
        other = ~_IS_STR(out).astype(bool)
        out[other] = [str(v) for v in out[other]]
    return out


def write_csv(path: Path, frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> int:
    """Write ``frame[columns]`` (all as text) to ``path``; return the number of rows.

    Minimal quoting (a field is quoted only when it holds a comma, quote or line break), ``\\n``
    line endings, UTF-8 without a byte-order mark.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(frame)
    cols = [text(frame[c]) if c in frame else np.full(n, "", dtype=object) for c in columns]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(list(columns))
        w.writerows(zip(*cols, strict=True))
    return n


def write_kind(out_dir: Path, kind: str, frame: pd.DataFrame) -> int:
    """Write one import file, ``<kind>.csv``, with exactly the kind's columns in order."""
    return write_csv(Path(out_dir) / f"{kind}.csv", frame, KINDS[kind].columns)
