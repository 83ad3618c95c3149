"""Areas and populations: LSOAs, local authorities (Community Safety Partnership areas) and forces.

The shipped table ``reference/lsoa-2011.csv.gz`` (ONS 2011 Census residents; ONS LSOA to police
force area lookup; see ``reference/REFERENCE-LICENCE.md``) gives every LSOA in England and Wales
its local authority, force and residents. Rates use these 2011 residents: a newer census table
can replace them once imported.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

import duckdb
import pandas as pd


@lru_cache(maxsize=1)
def lsoa_table() -> pd.DataFrame:
    """Every LSOA: ``lsoa_code, lsoa_name, la_code, la_name, police_force, population, hectares``."""
    with (files("threadline") / "reference" / "lsoa-2011.csv.gz").open("rb") as fh:
        return pd.read_csv(fh, compression="gzip")


def force_key(name: str) -> str:
    """Comparable force name: "West Yorkshire Police" and "west yorkshire" are one force."""
    name = re.sub(r"\b(police service|police|constabulary)\b", "", str(name).lower())
    return re.sub(r"[^a-z]+", " ", name).strip()


def register_areas(con: duckdb.DuckDBPyConnection) -> None:
    """Make the LSOA table available to SQL as ``_areas``."""
    con.register("_areas", lsoa_table())


def force_lsoas(forces: list[str], con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """The LSOAs of ``forces``. For a force the lookup does not know, the LSOAs found in the
    register's cases and incidents stand in (said in the report's notes)."""
    table = lsoa_table()
    keys = {force_key(f) for f in forces}
    mine = table[table["police_force"].map(force_key).isin(keys)]
    if mine.empty and con is not None:
        seen = con.execute(
            "SELECT DISTINCT lsoa_code FROM cases WHERE lsoa_code IS NOT NULL "
            "UNION SELECT DISTINCT lsoa_code FROM incidents WHERE lsoa_code IS NOT NULL"
        ).df()
        mine = table[table["lsoa_code"].isin(seen["lsoa_code"])]
    return mine.reset_index(drop=True)


def lsoa_positions(con: duckdb.DuckDBPyConnection, lsoas: pd.DataFrame) -> pd.DataFrame:
    """An approximate position for each LSOA: the mean of the located records in the register
    there (cases, incidents, partner records). No boundary file is shipped, so this is what maps
    and neighbour weights use; LSOAs with no located record have no position."""
    pos = con.execute(
        """SELECT lsoa_code, avg(latitude) AS latitude, avg(longitude) AS longitude, count(*) AS located
           FROM (SELECT lsoa_code, latitude, longitude FROM cases
                 UNION ALL SELECT lsoa_code, latitude, longitude FROM incidents
                 UNION ALL SELECT lsoa_code, latitude, longitude FROM partner_records)
           WHERE lsoa_code IS NOT NULL AND latitude IS NOT NULL GROUP BY lsoa_code"""
    ).df()
    return lsoas.merge(pos, on="lsoa_code", how="left")
