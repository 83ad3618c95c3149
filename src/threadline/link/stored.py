"""Reading a stored series run back: for ``series show``, ``series export`` and the quarterly report."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from threadline.link.detect import latest_run


def run_info(con: duckdb.DuckDBPyConnection, run_id: int | None = None) -> dict:
    """The run's row of ``series_runs`` as a dict (the latest run by default)."""
    rid = latest_run(con, run_id)
    frame = con.execute("SELECT * FROM series_runs WHERE run_id = ?", [rid]).df()
    return frame.iloc[0].to_dict()


def series_table(con: duckdb.DuckDBPyConnection, run_id: int | None = None, top: int | None = None) -> pd.DataFrame:
    """The run's candidate series in rank order."""
    rid = latest_run(con, run_id)
    limit = f"LIMIT {int(top)}" if top else ""
    return con.execute(f"SELECT * FROM series WHERE run_id = ? ORDER BY rank {limit}", [rid]).df()


def members_table(con: duckdb.DuckDBPyConnection, run_id: int | None = None, series_id: str | None = None
                  ) -> pd.DataFrame:
    """Members of the run's series (of one series if given), with each case's category, date and place."""
    rid = latest_run(con, run_id)
    where = "AND m.series_id = ?" if series_id else ""
    params = [rid, series_id] if series_id else [rid]
    return con.execute(
        f"""SELECT m.series_id, m.case_id, m.score, m.reason, c.category, c.reported_at, c.latitude, c.longitude,
                   c.lsoa_code, c.location_type, c.method, c.substance, c.victim_age, c.victim_sex
            FROM series_members m LEFT JOIN cases c ON c.case_id = m.case_id
            WHERE m.run_id = ? {where} ORDER BY m.series_id, m.score DESC, m.case_id""",
        params,
    ).df()


def export(con: duckdb.DuckDBPyConnection, pairs_csv: Path | str | None, series_csv: Path | str | None,
           run_id: int | None = None) -> dict[str, int]:
    """Write the run's pairs (``case_a, case_b, score, reasons``; every pair scored 0.05 or more) and/or its
    series memberships (``case_id, series_id, score, kind``). Returns rows written per file."""
    rid = latest_run(con, run_id)
    written = {}
    if pairs_csv:
        pairs = con.execute(
            "SELECT case_a, case_b, round(score, 6) AS score, reasons FROM series_pairs WHERE run_id = ? "
            "ORDER BY score DESC, case_a, case_b", [rid]).df()
        Path(pairs_csv).parent.mkdir(parents=True, exist_ok=True)
        pairs.to_csv(pairs_csv, index=False)
        written[str(pairs_csv)] = len(pairs)
    if series_csv:
        members = con.execute(
            """SELECT m.case_id, m.series_id, round(s.score, 6) AS score, s.kind
               FROM series_members m JOIN series s ON s.run_id = m.run_id AND s.series_id = m.series_id
               WHERE m.run_id = ? ORDER BY s.rank, m.case_id""", [rid]).df()
        Path(series_csv).parent.mkdir(parents=True, exist_ok=True)
        members.to_csv(series_csv, index=False)
        written[str(series_csv)] = len(members)
    return written
