"""Candidate pairs without comparing every record with every other (blocking).

Comparing all pairs of 10,000 cases is 50 million comparisons, and of 1,000,000 incidents half a
million million. Record linkage practice (Christen, *Data Matching*, 2012, ch. 4) is to compare only
the pairs that could plausibly match, found with cheap keys. Threadline takes the union of:

1. **Shared keys**: pairs holding the same person (in any role, except two victims), identifier,
   premises, batch marking or registration area (:mod:`threadline.link.records`). A key held by
   more than ``max_key_records`` records (a hospital, a GP at hundreds of deaths) makes no pairs:
   such concentrations are the business of :mod:`threadline.link.surveillance`.
2. **Near in space and time**: pairs within ``metres`` and ``days`` of each other, for each tier of
   :class:`Blocking`. Records are put in a three-dimensional grid (cells ``metres`` wide,
   ``days`` long) and each is compared only with the 27 cells around its own, in one DuckDB hash
   join; the exact distance and time are then checked.

Everything is SQL on DuckDB, so the same statements run on a bigger DuckDB or, for a national
dataset, on Spark SQL (see ``docs/series.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb


@dataclass(frozen=True)
class Blocking:
    """Which pairs to compare.

    ``tiers``: (metres, days, attribute) windows; with an attribute, only records that share that
    attribute's (informative) value are paired, which lets the window stay long (two years) without
    pairing every death in a city centre with every other. ``max_key_records``: see the module doc.
    """

    tiers: tuple[tuple[float, float, str | None], ...] = (
        (3000.0, 30.0, None),
        (3000.0, 730.0, "method"),
        (3000.0, 730.0, "circumstance"),
        (3000.0, 730.0, "substance_key"),
        (3000.0, 730.0, "relationship"),
    )
    max_key_records: int = 60
    key_kinds: tuple[str, ...] = field(default=("person", "identifier", "premises", "batch", "vehicle_area"))

    @classmethod
    def for_incidents(cls) -> Blocking:
        """Tighter windows for the far denser incident data (about 100 times as many records as cases)."""
        return cls(tiers=((250.0, 7.0, None), (500.0, 14.0, "category")), max_key_records=40)


def candidate_pairs(con: duckdb.DuckDBPyConnection, blocking: Blocking | None = None) -> int:
    """Build temp table ``_lk_pairs(a, b, via)`` from ``_lk_rec``/``_lk_keys``; ``a < b``. Returns its size.

    ``via`` lists why the pair was compared (``key:person``, ``near:3000m/730d``, ...).
    """
    b = blocking or Blocking()
    parts = []
    kinds = ", ".join(f"'{k}'" for k in b.key_kinds)
    parts.append(
        f"""SELECT ka.rid AS a, kb.rid AS b, 'key:' || ka.kind AS via
            FROM _lk_keys ka JOIN _lk_keys kb ON ka.kind = kb.kind AND ka.key = kb.key AND ka.rid < kb.rid
            WHERE ka.kind IN ({kinds}) AND ka.n <= {int(b.max_key_records)}
              AND NOT (ka.role = 'victim' AND kb.role = 'victim')"""
    )
    for i, (metres, days, attribute) in enumerate(b.tiers):
        m, d = float(metres), float(days)
        attr = attribute or "NULL"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _lk_grid{i} AS
                SELECT rid, x, y, t, {attr}::VARCHAR AS attr, floor(x / {m})::BIGINT AS cx,
                       floor(y / {m})::BIGINT AS cy, floor(t / {d})::BIGINT AS ct
                FROM _lk_rec WHERE x IS NOT NULL AND y IS NOT NULL AND t IS NOT NULL
                  {f"AND {attribute} IS NOT NULL" if attribute else ""}"""
        )
        label = f"near:{m:g}m/{d:g}d" + (f"/{attribute}" if attribute else "")
        parts.append(
            f"""SELECT g.rid AS a, h.rid AS b, '{label}' AS via
                FROM (SELECT g.*, g.cx + o.dx AS nx, g.cy + o.dy AS ny, g.ct + o.dt AS nt
                      FROM _lk_grid{i} g,
                           (SELECT * FROM range(-1, 2) dx(dx), range(-1, 2) dy(dy), range(-1, 2) dt(dt)) o) g
                JOIN _lk_grid{i} h ON h.cx = g.nx AND h.cy = g.ny AND h.ct = g.nt
                                  AND h.attr IS NOT DISTINCT FROM g.attr
                WHERE g.rid < h.rid AND abs(g.t - h.t) <= {d}
                  AND (g.x - h.x) * (g.x - h.x) + (g.y - h.y) * (g.y - h.y) <= {m * m}"""
        )
    union = "\nUNION ALL\n".join(parts)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _lk_pairs AS
            SELECT a, b, string_agg(DISTINCT via, ' ' ORDER BY via) AS via FROM ({union}) GROUP BY a, b"""
    )
    for i in range(len(b.tiers)):
        con.execute(f"DROP TABLE IF EXISTS _lk_grid{i}")
    return con.execute("SELECT count(*) FROM _lk_pairs").fetchone()[0]
