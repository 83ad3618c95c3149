"""What changed since the last homicide return: new cases, removed cases, and per case each field that
changed, old value to new.

The last return is a file this export wrote (``<stem>.csv``, or the ``return`` sheet of the XLSX) or a
frame. Values are compared as the text a spreadsheet shows (dates as ``YYYY-MM-DD``, whole numbers
without ``.0``, the single quote that neutralised a formula removed), so a CSV and an XLSX of the same
return compare equal. Only the columns both returns have are compared.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from threadline.errors import InputError
from threadline.returns.layout import CHANGE_COLUMNS, RETURN_COLUMNS

SHEET = "return"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: object) -> str:
    """A value as the text a spreadsheet shows, for comparing a return with one read back from a file."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        text = text[1:]
    return text


def read_return(path: Path | str) -> pd.DataFrame:
    """A return this export wrote, all cells as text: ``<stem>.csv`` or the ``return`` sheet of an XLSX."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file (give the last return's .csv or .xlsx)", file=path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            try:
                ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
                values = list(ws.iter_rows(values_only=True))
            finally:
                wb.close()
            if not values:
                raise InputError("the workbook's return sheet is empty", file=path)
            header = [cell_text(h) for h in values[0]]
            frame = pd.DataFrame([[cell_text(v) for v in row] for row in values[1:]], columns=header)
        else:
            raise InputError("the last return must be a .csv or .xlsx file this export wrote", file=path)
    except InputError:
        raise
    except Exception as exc:  # a damaged or foreign file: one line, never a traceback
        raise InputError(f"cannot read it as a return ({type(exc).__name__}: {exc})", file=path) from None
    if "case_id" not in frame.columns:
        raise InputError("this is not a homicide return: it has no case_id column", file=path)
    return frame


def _frame(value) -> pd.DataFrame:
    if isinstance(value, (str, Path)):
        return read_return(value)
    if hasattr(value, "rows") and isinstance(value.rows, pd.DataFrame):
        return value.rows
    if isinstance(value, pd.DataFrame):
        return value
    raise TypeError(f"expected a return file, a ReturnResult or a DataFrame, not {type(value).__name__}")


def changes_since(previous, current) -> pd.DataFrame:
    """The changes from the ``previous`` return (a file path, a frame or a ReturnResult) to ``current``
    (a frame or a ReturnResult): one row per new case (``change`` = ``new``), removed case
    (``removed``) and changed field (``changed``, with ``old`` and ``new``), in case order."""
    old, new = _frame(previous), _frame(current)
    fields = [c for c in RETURN_COLUMNS if c != "case_id" and c in old.columns and c in new.columns]
    fields += [c for c in new.columns if c not in RETURN_COLUMNS and c in old.columns and c != "case_id"]

    def keyed(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
        return {cell_text(r["case_id"]): {f: cell_text(r.get(f)) for f in fields} for r in frame.to_dict("records")}

    before, after = keyed(old), keyed(new)
    out = []
    for case_id in sorted(set(before) | set(after)):
        if case_id not in before:
            out.append({"case_id": case_id, "change": "new", "field": "", "old": "", "new": ""})
        elif case_id not in after:
            out.append({"case_id": case_id, "change": "removed", "field": "", "old": "", "new": ""})
        else:
            for f in fields:
                if before[case_id][f] != after[case_id][f]:
                    out.append(
                        {
                            "case_id": case_id,
                            "change": "changed",
                            "field": f,
                            "old": before[case_id][f],
                            "new": after[case_id][f],
                        }
                    )
    return pd.DataFrame(out, columns=list(CHANGE_COLUMNS))


def summary(changes: pd.DataFrame) -> dict[str, int]:
    """Counts: new cases, removed cases, changed cases and changed fields."""
    c = changes["change"] if len(changes) else pd.Series(dtype=str)
    return {
        "new": int((c == "new").sum()),
        "removed": int((c == "removed").sum()),
        "changed_cases": int(changes.loc[c == "changed", "case_id"].nunique()) if len(changes) else 0,
        "changed_fields": int((c == "changed").sum()),
    }
