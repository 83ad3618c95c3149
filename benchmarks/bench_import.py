"""Benchmark: import 1,000,000 incident rows from CSV.

Prints rows per second for a full Threadline import (read, type, validate every field, check
keys, quarantine, upsert with history, provenance) into a fresh workspace, then for a re-import
of the same file (every row compared, nothing changed), and, side by side in the same run, a
plain DuckDB ``CREATE TABLE AS SELECT * FROM read_csv(...)`` of the same file: the floor for
reading the bytes with no checks at all. The ratio is the price of validation.

Run: ``make bench`` or ``python benchmarks/bench_import.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from threadline import import_file, init_workspace
from threadline.vocab import FLAGS, INCIDENT_TYPES


def make_incidents_csv(path: Path, rows: int, seed: int = 7, bad_share: float = 0.001,
                       places: pd.DataFrame | None = None) -> int:
    """Write ``rows`` incident rows in the import format; ``bad_share`` of them are invalid.

    ``places`` (``lsoa_code``, ``latitude``, ``longitude``, optional ``weight``): real LSOAs to
    put the incidents in, each within about 300 m of its LSOA's centre; without it, made-up codes
    and positions anywhere in a box round West Yorkshire.
    """
    rng = np.random.default_rng(seed)
    start = np.datetime64("2020-01-01T00:00")
    minutes = rng.integers(0, 5 * 365 * 24 * 60, rows)
    occurred = start + minutes.astype("timedelta64[m]")
    reported = occurred + rng.integers(0, 72 * 60, rows).astype("timedelta64[m]")
    flags = np.array(["", "", "", *FLAGS])[rng.integers(0, len(FLAGS) + 3, rows)]
    frame = pd.DataFrame({
        "incident_id": [f"INC{i:08d}" for i in range(rows)],
        "force": "West Yorkshire",
        "incident_type": np.array(INCIDENT_TYPES)[rng.integers(0, len(INCIDENT_TYPES), rows)],
        "occurred_at": np.datetime_as_string(occurred, unit="m"),
        "reported_at": np.datetime_as_string(reported, unit="m"),
        **_positions(rng, rows, places),
        "location_text": "On or near High Street",
        "severity": np.round(rng.gamma(2.0, 60.0, rows), 1),
        "ho_offence_code": "8N",
        "outcome": "",
        "outcome_code": rng.integers(0, 23, rows),
        "flags": flags,
        "narrative": "",
    })
    bad = rng.random(rows) < bad_share
    frame.loc[bad, "incident_type"] = "not_a_type"
    frame.to_csv(path, index=False)
    return int(bad.sum())


def _positions(rng: np.random.Generator, rows: int, places: pd.DataFrame | None) -> dict[str, object]:
    if places is None:
        return {
            "latitude": np.round(rng.uniform(53.55, 53.95, rows), 6),
            "longitude": np.round(rng.uniform(-2.1, -1.2, rows), 6),
            "lsoa_code": [f"E0101{n:04d}" for n in rng.integers(0, 9999, rows)],
        }
    weight = places["weight"].to_numpy(float) if "weight" in places else np.ones(len(places))
    pick = rng.choice(len(places), size=rows, p=weight / weight.sum())
    lat = places["latitude"].to_numpy(float)[pick] + rng.normal(0, 0.0027, rows)  # ~300 m
    lon = places["longitude"].to_numpy(float)[pick] + rng.normal(0, 0.0045, rows)
    return {"latitude": np.round(lat, 6), "longitude": np.round(lon, 6),
            "lsoa_code": places["lsoa_code"].to_numpy(object)[pick]}


def run(rows: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="threadline-bench-"))
    try:
        csv = tmp / "incidents.csv"
        t = time.perf_counter()
        n_bad = make_incidents_csv(csv, rows)
        print(f"generated {rows:,} rows ({csv.stat().st_size / 1e6:.0f} MB, {n_bad:,} invalid) "
              f"in {time.perf_counter() - t:.1f} s")

        con = duckdb.connect(str(tmp / "plain.duckdb"))
        t = time.perf_counter()
        con.execute("CREATE TABLE incidents AS SELECT * FROM read_csv(?, all_varchar=true)", [str(csv)])
        plain = time.perf_counter() - t
        con.close()

        ws = init_workspace(tmp / "ws", forces=["West Yorkshire"])
        t = time.perf_counter()
        first = import_file(ws, "incidents", csv)
        full = time.perf_counter() - t
        t = time.perf_counter()
        again = import_file(ws, "incidents", csv)
        reimport = time.perf_counter() - t
        ws.close()
        assert first.imported == rows - n_bad and first.quarantined == n_bad, first
        assert again.unchanged == rows - n_bad and again.imported == 0, again

        print(f"{'what':<48}{'seconds':>10}{'rows/s':>14}")
        for label, secs in (
            ("Threadline import (validated, fresh workspace)", full),
            ("Threadline re-import (all rows unchanged)", reimport),
            ("DuckDB read_csv, no validation (floor)", plain),
        ):
            print(f"{label:<48}{secs:>10.2f}{rows / secs:>14,.0f}")
        print(f"validation costs {full / plain:.1f}x the plain DuckDB read")
        return {"rows": rows, "import_s": full, "reimport_s": reimport, "plain_s": plain}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    run(parser.parse_args().rows)


if __name__ == "__main__":
    main()
