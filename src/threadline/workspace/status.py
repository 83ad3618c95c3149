"""What the register holds: the numbers ``threadline status`` prints."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from threadline.quarters import quarter_sql
from threadline.workspace.schema import REGISTER_TABLES
from threadline.workspace.workspace import Workspace


@dataclass
class Status:
    """A snapshot of the register.

    Attributes
    ----------
    tables: rows per register table (and its history table).
    cases_by_quarter: quarters as rows, categories as columns, case counts as values.
    quarantine: quarantined rows per import kind and field, with the most common reason.
    imports: the most recent imports, newest first.
    """

    path: str
    schema_version: int
    forces: list[str]
    quarter_convention: str
    tables: pd.DataFrame
    cases_by_quarter: pd.DataFrame
    quarantine: pd.DataFrame
    imports: pd.DataFrame

    @property
    def quarantined_rows(self) -> int:
        return int(self.quarantine["rows"].sum()) if not self.quarantine.empty else 0


def status(ws: Workspace, *, last_imports: int = 10, last_quarters: int = 8) -> Status:
    """Summarise the register in ``ws``."""
    con = ws.con
    rows = []
    for table in REGISTER_TABLES:
        n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        h = con.execute(f"SELECT count(*) FROM {table}_history").fetchone()[0]
        rows.append({"table": table, "rows": int(n), "superseded_versions": int(h)})
    tables = pd.DataFrame(rows)
    qexpr = quarter_sql("reported_at", ws.config.quarter)
    counts = con.execute(
        f"SELECT {qexpr} AS quarter, category, count(*) AS n FROM cases GROUP BY ALL"
    ).df()
    if counts.empty:
        by_quarter = pd.DataFrame()
    else:
        by_quarter = counts.pivot_table(index="quarter", columns="category", values="n", fill_value=0,
                                        aggfunc="sum")
        by_quarter = by_quarter.sort_index().tail(last_quarters)
        from threadline.vocab import CATEGORIES

        by_quarter = by_quarter[[c for c in CATEGORIES if c in by_quarter.columns]]
        by_quarter["all"] = by_quarter.sum(axis=1)
    quarantine = con.execute(
        """SELECT kind, field, count(*) AS rows, count(DISTINCT source_sha256 || source_row::VARCHAR) AS source_rows,
                  mode(reason) AS most_common_reason
           FROM quarantine GROUP BY ALL ORDER BY rows DESC"""
    ).df()
    imports = con.execute(
        f"""SELECT import_id, kind, source_name, finished_at, rows_read, imported, updated, unchanged, quarantined
            FROM imports ORDER BY import_id DESC LIMIT {int(last_imports)}"""
    ).df()
    return Status(str(ws.path), ws.schema_version, ws.config.forces, ws.config.quarter, tables, by_quarter,
                  quarantine, imports)
