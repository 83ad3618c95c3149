"""Rank the register's people and domestic-abuse dyads at a date: the Python API of
``threadline escalation rank``.

>>> with tl.open_workspace("ws", read_only=True) as ws:              # doctest: +SKIP
...     top = rank_people(ws.con, "2025-06-30", top=25)

A date means the end of that day. The frames carry ids, counts, scores and reasons, never names.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd

from threadline.analyse.escalation import register, scores
from threadline.analyse.escalation.layout import DYAD_COLUMNS, RANKING_COLUMNS
from threadline.analyse.escalation.reasons import reasons

__all__ = ["DYAD_COLUMNS", "RANKING_COLUMNS", "end_of_day", "rank_dyads", "rank_people"]

def end_of_day(day: date | datetime | str) -> pd.Timestamp:
    """The last second of ``day`` (a date) or the timestamp itself."""
    t = pd.Timestamp(day)
    if isinstance(day, datetime) or (isinstance(day, str) and len(day) > 10):
        return t
    return t.normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def _finish(ranked: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    ranked = ranked.copy()
    ranked.insert(0, "as_of", as_of.date().isoformat())
    ranked["reasons"] = reasons(ranked).to_numpy()
    return ranked


def rank_people(con: duckdb.DuckDBPyConnection, as_of, top: int | None = None,
                settings: scores.Settings = scores.DEFAULT) -> pd.DataFrame:
    """Every person with harm as a suspect in the year to ``as_of``, highest score first; all of
    :data:`scores.FEATURE_COLUMNS` plus ``as_of``, ``rank`` and ``reasons``."""
    t = end_of_day(as_of)
    events, victims = register.events(con)
    return _finish(scores.rank(scores.features(events, victims, t, settings=settings), top), t)


def rank_dyads(con: duckdb.DuckDBPyConnection, as_of, top: int | None = None,
               settings: scores.Settings = scores.DEFAULT) -> pd.DataFrame:
    """Every domestic-abuse dyad (suspect and victim) with harm in the year to ``as_of``."""
    t = end_of_day(as_of)
    events, victims = register.events(con)
    dyads = register.dyad_events(events, victims)
    ranked = scores.rank(scores.features(dyads, victims, t, key="dyad_id", settings=settings), top)
    parts = ranked["dyad_id"].str.split(">", n=1, expand=True) if len(ranked) else pd.DataFrame(columns=[0, 1])
    ranked.insert(2, "suspect_person_id", parts[0].to_numpy())
    ranked.insert(3, "victim_person_id", parts[1].to_numpy())
    return _finish(ranked, t)
