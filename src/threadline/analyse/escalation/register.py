"""Reading the register for escalation scores: what each person did, to whom, and when it was known.

The SQL stays here, so :mod:`scores` and :mod:`backtest` are pure functions of frames (the same
frames can come from Spark SQL for a national dataset).

- An **event** is a person's part as a suspect in an incident. It is *known* from its
  ``reported_at`` (else ``occurred_at``): a backtest at a date uses only events known by then.
  Homicides and near misses themselves are not events: a suspect of one is already managed by its
  investigation, and the lower-level incidents before one are what the ranking is for.
- A **dyad** event is a domestic-abuse incident (type ``domestic_abuse`` or flag
  ``domestic_abuse``) seen from the suspect-victim pair: one row per suspect and victim on it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from threadline.analyse.escalation.severity import gravity, violent

EVENT_COLUMNS = ["person_id", "event_id", "incident_type", "occurred_at", "known_at", "gravity", "domestic", "violent"]


def _flagged(flags: pd.Series, flag: str) -> pd.Series:
    return flags.fillna("").astype(str).str.split(";").apply(lambda f: flag in f)


def incidents(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every incident with its gravity, domestic marker and when it was known."""
    inc = con.execute("""
        SELECT incident_id AS event_id, incident_type, occurred_at, coalesce(reported_at, occurred_at) AS known_at,
               severity, ho_offence_code, flags
        FROM incidents""").df()
    inc = pd.concat([inc, gravity(inc)], axis=1)
    inc["domestic"] = inc["incident_type"].eq("domestic_abuse") | _flagged(inc["flags"], "domestic_abuse")
    inc["violent"] = violent(inc)
    return inc


def events(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suspect events and the victims of each event.

    Returns ``(events, victims)``: ``events`` has :data:`EVENT_COLUMNS`; ``victims`` has
    ``event_id, victim_id``.
    """
    inc = incidents(con)
    sus = con.execute("SELECT incident_id AS event_id, person_id FROM incident_persons WHERE role = 'suspect'").df()
    ev = sus.merge(inc, on="event_id")
    ev = ev[EVENT_COLUMNS].copy()
    ev["occurred_at"] = pd.to_datetime(ev["occurred_at"])
    ev["known_at"] = pd.to_datetime(ev["known_at"])
    victims = con.execute(
        "SELECT incident_id AS event_id, person_id AS victim_id FROM incident_persons WHERE role = 'victim'").df()
    return ev.sort_values(["known_at", "event_id", "person_id"], ignore_index=True), victims


def dyad_events(ev: pd.DataFrame, victims: pd.DataFrame) -> pd.DataFrame:
    """Domestic-abuse events per suspect-victim pair: :data:`EVENT_COLUMNS` plus ``victim_id`` and
    ``dyad_id`` (``suspect>victim``)."""
    dom = ev[ev["domestic"]]
    out = dom.merge(victims, on="event_id")
    out = out[out["victim_id"] != out["person_id"]]
    out = out.assign(dyad_id=out["person_id"] + ">" + out["victim_id"])
    return out.reset_index(drop=True)


def outcomes(con: duckdb.DuckDBPyConnection, categories: tuple[str, ...] = ("homicide", "attempted_homicide")
             ) -> pd.DataFrame:
    """Homicides and near misses with their suspects and victims: ``case_id, category, reported_at,
    person_id, party`` (``suspect`` or ``victim``), one row per case and person."""
    placeholders = ", ".join("?" for _ in categories)
    out = con.execute(f"""
        SELECT c.case_id, c.category, c.reported_at, cp.person_id, cp.role AS party
        FROM cases c JOIN case_persons cp USING (case_id)
        WHERE c.category IN ({placeholders}) AND cp.role IN ('suspect', 'victim')
        UNION
        SELECT case_id, category, reported_at, victim_person_id, 'victim' FROM cases
        WHERE category IN ({placeholders}) AND victim_person_id IS NOT NULL""", [*categories, *categories]).df()
    out["reported_at"] = pd.to_datetime(out["reported_at"])
    return out.sort_values(["reported_at", "case_id", "party", "person_id"], ignore_index=True)


def people(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``person_id, sex, ethnicity, date_of_birth`` of every person (for fairness tables)."""
    out = con.execute("SELECT person_id, sex, ethnicity, date_of_birth FROM persons").df()
    out["date_of_birth"] = pd.to_datetime(out["date_of_birth"])
    return out
