"""Writing the homicide return: CSV files (one a sheet) or one XLSX workbook (a sheet each and a
``layout`` sheet describing every field).

Every text cell a spreadsheet could take for a formula (starting ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) gets a leading single quote, with the helper the learning exports use
(:func:`threadline.learning.export.neutralise`, after the OWASP guidance on CSV injection): a victim's
name or a narrative typed as ``=HYPERLINK(...)`` is shown as text, never run.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.errors import InputError
from threadline.returns.layout import COURT_OUTCOMES, RETURN_LAYOUT, SUSPECT_LAYOUT

#: Sheet name -> the suffix of its CSV file (``<stem><suffix>.csv``), in workbook order.
SHEETS: dict[str, str] = {
    "return": "",
    "suspects": "-suspects",
    "problems": "-problems",
    "changes": "-changes",
    "reconciliation": "-reconciliation",
}


def _plain(value: object) -> object:
    """A pandas or NumPy value as plain Python (missing is ``None``)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _safe(value: object) -> object:
    from threadline.learning.export import neutralise

    return neutralise(_plain(value))


def _sheets(result) -> dict[str, pd.DataFrame]:
    return {
        "return": result.rows,
        "suspects": result.suspects,
        "problems": result.problems_frame,
        "changes": result.changes,
        "reconciliation": result.reconciliation,
    }


def layout_frame() -> pd.DataFrame:
    """The documented layout: every field of the return and suspects sheets, and the court outcome codes."""
    rows = [{"sheet": "return", "field": c, "description": d, "source": s} for c, d, s in RETURN_LAYOUT]
    rows += [{"sheet": "suspects", "field": c, "description": d, "source": s} for c, d, s in SUSPECT_LAYOUT]
    rows += [
        {"sheet": "court_outcome code", "field": k, "description": v, "source": ""} for k, v in COURT_OUTCOMES.items()
    ]
    return pd.DataFrame(rows, columns=["sheet", "field", "description", "source"])


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel reads the accents
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([_safe(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            writer.writerow([_safe(v) for v in row])


def _write_sheet(wb, title: str, frame: pd.DataFrame, marking: str) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    ws.append([_safe(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False, name=None):
        ws.append([_safe(v) for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even if it looks like a formula
            elif isinstance(cell.value, (dt.date, dt.datetime)):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    for i, col in enumerate(frame.columns, start=1):
        width = max([len(str(col)), *(len(str(v)) for v in frame[col].head(200))], default=8)
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(max(width + 2, 8), 60)
    ws.oddHeader.center.text = marking
    ws.oddFooter.center.text = marking


def write_return(result, out_path: Path | str) -> list[Path]:
    """Write the return to ``out_path``: ``FILE.xlsx`` (sheets return, suspects, problems, changes,
    reconciliation and layout) or ``FILE.csv`` (``FILE.csv``, ``FILE-suspects.csv``, ``FILE-problems.csv``,
    ``FILE-changes.csv``, ``FILE-reconciliation.csv``). Returns the files written."""
    out = Path(out_path)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"the return must be written to a .csv or .xlsx file, not {out.name!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    sheets = _sheets(result)
    if suffix == ".csv":
        written = []
        for name, tail in SHEETS.items():
            path = out.with_name(f"{out.stem}{tail}.csv")
            _write_csv(sheets[name], path)
            written.append(path)
        return written
    from openpyxl import Workbook

    from threadline.learning.export import MARKING

    wb = Workbook()
    wb.remove(wb.active)
    for name in SHEETS:
        _write_sheet(wb, name, sheets[name], MARKING)
    _write_sheet(wb, "layout", layout_frame(), MARKING)
    tmp = out.with_name(out.name + ".part")
    wb.save(tmp)
    tmp.replace(out)
    return [out]
