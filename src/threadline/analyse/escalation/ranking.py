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

__all__ = ["DYAD_COLUMNS", "RANKING_COLUMNS", "end_of_day", "latest_known", "rank_dyads", "rank_people", "standing"]

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


def _frames(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    events, victims = register.events(con)
    return events, victims, register.dyad_events(events, victims)


def _people(frames, t: pd.Timestamp, top: int | None, settings: scores.Settings) -> pd.DataFrame:
    events, victims, dyads = frames
    return scores.rank(scores.people_features(events, victims, dyads, t, settings=settings), top)


def _dyads(frames, t: pd.Timestamp, top: int | None, settings: scores.Settings) -> pd.DataFrame:
    _, victims, dyads = frames
    ranked = scores.rank(scores.features(dyads, victims, t, key="dyad_id", settings=settings), top)
    parts = ranked["dyad_id"].str.split(">", n=1, expand=True) if len(ranked) else pd.DataFrame(columns=[0, 1])
    ranked.insert(2, "suspect_person_id", parts[0].to_numpy())
    ranked.insert(3, "victim_person_id", parts[1].to_numpy())
    return ranked


def rank_people(con: duckdb.DuckDBPyConnection, as_of, top: int | None = None,
                settings: scores.Settings = scores.PEOPLE) -> pd.DataFrame:
    """Every person with violent harm as a suspect in the year to ``as_of``, highest score first
    (:func:`scores.people_features`); all of :data:`scores.FEATURE_COLUMNS`, ``dyad_score``, ``as_of``,
    ``rank`` and ``reasons``."""
    t = end_of_day(as_of)
    return _finish(_people(_frames(con), t, top, settings), t)


def rank_dyads(con: duckdb.DuckDBPyConnection, as_of, top: int | None = None,
               settings: scores.Settings = scores.DEFAULT) -> pd.DataFrame:
    """Every domestic-abuse dyad (suspect and victim) with harm in the year to ``as_of``."""
    t = end_of_day(as_of)
    return _finish(_dyads(_frames(con), t, top, settings), t)


def latest_known(con: duckdb.DuckDBPyConnection) -> pd.Timestamp | None:
    """The last day an incident was reported in the register (the default date of :func:`standing`)."""
    day = con.execute("SELECT max(coalesce(reported_at, occurred_at)) FROM incidents").fetchone()[0]
    return None if day is None else pd.Timestamp(day).normalize()


def standing(con: duckdb.DuckDBPyConnection, person_id: str, as_of) -> dict:
    """Where one person stands at ``as_of``: their row of the people list (or None when they have no
    violent harm in the year), the number ranked, and their dyads as suspect, each with its rank
    among all dyads and its reasons. What ``threadline person show`` prints under the timeline."""
    t, frames = end_of_day(as_of), _frames(con)  # the register read once for both lists
    people = _people(frames, t, None, scores.PEOPLE)
    dyads = _dyads(frames, t, None, scores.DEFAULT)
    mine = _finish(people[people["person_id"] == person_id], t)  # reasons for this person's rows only
    theirs = _finish(dyads[dyads["suspect_person_id"] == person_id], t)
    return {"as_of": t.date().isoformat(), "people_ranked": len(people),
            "person": None if mine.empty else mine.iloc[0].to_dict(),
            "dyads_ranked": len(dyads), "dyads": theirs.to_dict("records")}
