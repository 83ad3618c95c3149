"""The records a linkage run compares, and the keys (people, things) they share.

Two temporary DuckDB tables are built on the workspace connection:

- ``_lk_rec``: one row per record (a case, or an incident): ``rid``, position on the British
  National Grid in metres (``x``, ``y``), time in days (``t``), ``hour``, ``dow`` and the
  attributes compared (category, method, circumstance, location type, normalised substance,
  victim age and sex, relationship, flags, narrative).
- ``_lk_keys``: one row per (record, key): the people connected to it (``kind`` ``person`` or
  ``professional``, with the role) and the things recorded on it (``identifier`` for phones,
  online accounts, addresses and full registrations; ``premises``; ``batch``; ``vehicle_area``,
  the two area letters of a partial registration, used only to find candidate pairs), with ``n``,
  the number of records holding the key, and ``weight``, how rare that makes it.

Nothing here writes to the register.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from threadline.ingest.geo import wgs84_to_bng
from threadline.link import entities as E

#: Values that say nothing about similarity (unknown, not applicable, other).
UNINFORMATIVE = ("unknown", "not_applicable", "other", "")

CASE_SQL = """
SELECT case_id AS rid, category, reported_at AS event_at, latitude, longitude, lsoa_code, location_type, method,
       circumstance, substance, victim_age, victim_sex, suspect_relationship AS relationship, flags, narrative
FROM cases
"""

INCIDENT_SQL = """
SELECT incident_id AS rid, incident_type AS category, occurred_at AS event_at, latitude, longitude, lsoa_code,
       NULL::VARCHAR AS location_type, NULL::VARCHAR AS method, NULL::VARCHAR AS circumstance,
       NULL::VARCHAR AS substance, NULL::INTEGER AS victim_age, NULL::VARCHAR AS victim_sex,
       NULL::VARCHAR AS relationship, flags, narrative
FROM incidents
"""


def idf_weight(n: np.ndarray | pd.Series, total: int) -> np.ndarray:
    """How much sharing a key held by ``n`` of ``total`` records says, 1 for a key on two records.

    Inverse document frequency (Sparck Jones 1972), scaled so a key shared by just the two records
    of a pair weighs 1 and a key on every record weighs 0: ``log(total / n) / log(total / 2)``. A
    care-home GP at 200 of 10,000 deaths weighs 0.46; a man at 6 of them weighs 0.87.
    """
    n = np.maximum(np.asarray(n, dtype=float), 2.0)
    total = max(int(total), 3)
    return np.clip(np.log(total / n) / math.log(total / 2), 0.0, 1.0)


def build(con: duckdb.DuckDBPyConnection, records: str = "cases") -> int:
    """Build ``_lk_rec`` and ``_lk_keys`` for ``records`` (``cases`` or ``incidents``). Returns the record count."""
    if records not in ("cases", "incidents"):
        raise ValueError(f"records must be cases or incidents, not {records!r}")
    rec = con.execute(CASE_SQL if records == "cases" else INCIDENT_SQL).df()
    x, y = wgs84_to_bng(rec["latitude"].to_numpy(dtype=float), rec["longitude"].to_numpy(dtype=float))
    at = pd.to_datetime(rec["event_at"])
    frame = pd.DataFrame({
        "rid": rec["rid"].astype(str),
        "category": rec["category"],
        "event_at": at,
        "x": x,
        "y": y,
        "t": (at - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy() / 86400.0,
        "hour": at.dt.hour + at.dt.minute / 60.0,
        "dow": at.dt.day_of_week,
        "lsoa_code": rec["lsoa_code"],
        "location_type": _informative(rec["location_type"]),
        "method": _informative(rec["method"]),
        "circumstance": _informative(rec["circumstance"]),
        "substance": rec["substance"],
        "substance_key": [E.substance_key(s) or None for s in rec["substance"]],
        "victim_age": rec["victim_age"].astype("Float64"),
        "victim_sex": rec["victim_sex"].where(rec["victim_sex"].isin(["male", "female"])),
        "relationship": _informative(rec["relationship"]),
        "flags": rec["flags"].fillna(""),
        "narrative": rec["narrative"].fillna(""),
        "latitude": rec["latitude"],
        "longitude": rec["longitude"],
    })
    for col in ("rid", "category", "lsoa_code", "location_type", "method", "circumstance", "substance",
                "substance_key", "victim_sex", "relationship", "flags", "narrative"):
        frame[col] = frame[col].astype("string")  # VARCHAR in DuckDB even when every value is missing
    con.register("_lk_rec_df", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE _lk_rec AS SELECT * FROM _lk_rec_df")
    con.unregister("_lk_rec_df")
    keys = _case_keys(con) if records == "cases" else _incident_keys(con)
    total = len(frame)
    if len(keys):
        n = keys.groupby(["kind", "key"])["rid"].transform("nunique")
        keys["n"] = n.astype(int)
        keys["weight"] = idf_weight(keys["n"], total)
    else:
        keys = pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             (("rid", str), ("kind", str), ("key", str), ("role", str), ("label", str), ("n", int),
                              ("weight", float))})
    con.register("_lk_keys_df", keys)
    # explicit types: an empty frame's object columns would otherwise arrive as INTEGER (pandas 2)
    con.execute("""CREATE OR REPLACE TEMP TABLE _lk_keys AS
                   SELECT rid::VARCHAR AS rid, kind::VARCHAR AS kind, key::VARCHAR AS key, role::VARCHAR AS role,
                          label::VARCHAR AS label, n::BIGINT AS n, weight::DOUBLE AS weight FROM _lk_keys_df""")
    con.unregister("_lk_keys_df")
    return total


def _informative(s: pd.Series) -> pd.Series:
    return s.where(~s.fillna("").isin(UNINFORMATIVE))


def _case_keys(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    people = con.execute(
        """SELECT DISTINCT case_id AS rid,
                  CASE WHEN role = 'professional' THEN 'professional' ELSE 'person' END AS kind,
                  person_id AS key, role, person_id AS label
           FROM case_persons"""
    ).df()
    ents = con.execute("SELECT case_id AS rid, entity_type, entity_value FROM case_entities").df()
    return pd.concat([people, entity_key_rows(ents)], ignore_index=True)


def _incident_keys(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """SELECT DISTINCT incident_id AS rid, 'person' AS kind, person_id AS key, role, person_id AS label
           FROM incident_persons"""
    ).df()


def entity_key_rows(ents: pd.DataFrame) -> pd.DataFrame:
    """Key rows (rid, kind, key, role, label) for a table of recorded things (rid, entity_type, entity_value)."""
    if ents.empty:
        return pd.DataFrame(columns=["rid", "kind", "key", "role", "label"])
    ents = ents.copy()
    ents["key"] = E.entity_keys(ents["entity_type"], ents["entity_value"])
    kind = ents["entity_type"].map({"phone": "identifier", "online_account": "identifier", "address": "identifier",
                                    "vehicle": "identifier", "premises": "premises", "drug_batch": "batch"})
    ents["kind"] = kind
    rows = [ents.loc[kind.notna() & (ents["key"] != ""), ["rid", "kind", "key", "entity_type", "entity_value"]]]
    vehicles = ents[ents["entity_type"] == "vehicle"]
    fronts = pd.Series([E.plate_front(v) for v in vehicles["entity_value"]], index=vehicles.index, dtype=object)
    partial = vehicles[fronts.notna()].assign(kind="vehicle_area", key=fronts.dropna().str[:2])
    rows.append(partial[["rid", "kind", "key", "entity_type", "entity_value"]])
    out = pd.concat(rows, ignore_index=True).rename(columns={"entity_type": "role", "entity_value": "label"})
    return out.drop_duplicates(["rid", "kind", "key"])
