"""Positions: British National Grid to WGS84.

Forces' systems often hold easting/northing (EPSG:27700). Threadline stores WGS84 latitude and
longitude (EPSG:4326), converting with PROJ through pyproj. Without the OSTN15 grid file, PROJ
uses the Helmert transformation, accurate to about 2 metres (Ordnance Survey, "A guide to
coordinate systems in Great Britain", section 6.6), which is well inside the precision a crime
location carries (data.police.uk snaps points to anonymised map points).
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import duckdb
import numpy as np
import pandas as pd

from threadline.ingest.mapping import q

#: Valid British National Grid extent in metres (Ordnance Survey).
BNG_EASTING = (0.0, 700_000.0)
BNG_NORTHING = (0.0, 1_300_000.0)


@lru_cache(maxsize=1)
def _transformer():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def bng_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays of easting/northing (metres) to (latitude, longitude) in degrees.

    Points outside the grid's extent come back as NaN.
    """
    e = np.asarray(easting, dtype=float)
    n = np.asarray(northing, dtype=float)
    ok = (e >= BNG_EASTING[0]) & (e <= BNG_EASTING[1]) & (n >= BNG_NORTHING[0]) & (n <= BNG_NORTHING[1])
    lat = np.full(e.shape, np.nan)
    lon = np.full(e.shape, np.nan)
    if ok.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lon[ok], lat[ok] = _transformer().transform(e[ok], n[ok])
    return lat, lon


def fill_from_bng(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Where ``table`` has easting/northing but no latitude/longitude, fill them. Returns count."""
    cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    if not {"easting", "northing"} <= cols:
        return 0
    for c in ("latitude", "longitude"):
        if c not in cols:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {c} VARCHAR")
    rows = con.execute(
        f"""SELECT _row, TRY_CAST(trim(easting) AS DOUBLE) AS e, TRY_CAST(trim(northing) AS DOUBLE) AS n
            FROM {table}
            WHERE nullif(trim(latitude), '') IS NULL AND nullif(trim(longitude), '') IS NULL
              AND nullif(trim(easting), '') IS NOT NULL"""
    ).df()
    rows = rows.dropna()
    if rows.empty:
        return 0
    lat, lon = bng_to_wgs84(rows["e"].to_numpy(), rows["n"].to_numpy())
    good = ~np.isnan(lat)
    conv = pd.DataFrame({"_row": rows["_row"].to_numpy()[good],
                         "lat": np.round(lat[good], 7).astype(str), "lon": np.round(lon[good], 7).astype(str)})
    con.register("_bng", conv)
    con.execute(f"UPDATE {table} SET latitude = b.lat, longitude = b.lon FROM _bng b WHERE {table}._row = b._row")
    con.unregister("_bng")
    return int(good.sum())


__all__ = ["bng_to_wgs84", "fill_from_bng", "q"]


@lru_cache(maxsize=1)
def _to_bng():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def wgs84_to_bng(latitude: np.ndarray, longitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays of latitude/longitude (degrees) to British National Grid (easting, northing) in metres.

    Used where distances matter (series linkage): metres on the grid are within 0.04% of true
    distance across England and Wales (Ordnance Survey, "A guide to coordinate systems in Great
    Britain", scale factor of the Transverse Mercator projection). Missing positions stay NaN.
    """
    lat = np.asarray(latitude, dtype=float)
    lon = np.asarray(longitude, dtype=float)
    e = np.full(lat.shape, np.nan)
    n = np.full(lat.shape, np.nan)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if ok.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e[ok], n[ok] = _to_bng().transform(lon[ok], lat[ok])
    return e, n
