"""Benchmark: series detection at force scale and at 1,000,000 incidents.

1. A five-year West Yorkshire-sized synthetic force (about 10,500 death investigations): the whole
   ``series detect`` run (records, blocking, features, scoring, grouping, surveillance), stage by
   stage, with how many candidate pairs blocking kept out of all possible pairs.
2. 1,000,000 incidents in real West Yorkshire LSOAs over five years, each with a short narrative:
   the same pipeline with the incident blocking (``Blocking.for_incidents``), not stored. No
   all-pairs loop: the pairs compared and the pairs per second are printed.

Target (issue 5): a force's five years in seconds; a million incidents on one machine.
Run: ``make bench`` or ``python benchmarks/bench_series.py [--incidents 1000000] [--years 5]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from bench_import import make_incidents_csv  # noqa: E402
from bench_report import force_places  # noqa: E402

import threadline as tl  # noqa: E402
from threadline.ingest.folder import import_folder  # noqa: E402
from threadline.link.detect import detect_series  # noqa: E402

_WHAT = ["man shouting and threatening", "two males fighting", "woman assaulted by partner", "youths throwing stones",
         "shop staff threatened with knife", "house broken into overnight", "car window smashed", "bike stolen",
         "male acting suspiciously", "group selling drugs", "concern for welfare of elderly man", "robbery of phone"]
_WHERE = ["outside the shop", "on the park", "at the bus station", "in the flats", "near the school", "at the pub",
          "on the estate", "at the address"]


def add_narratives(csv: Path, seed: int = 3) -> None:
    """Give every incident a short narrative (what + where + a detail), as control-room logs read."""
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    n = len(frame)
    what = np.array(_WHAT)[rng.integers(0, len(_WHAT), n)]
    where = np.array(_WHERE)[rng.integers(0, len(_WHERE), n)]
    detail = np.char.add("suspect wearing ", np.array(["grey hoodie", "black jacket", "red top", "balaclava",
                                                        "tracksuit", "hi-vis"])[rng.integers(0, 6, n)])
    frame["narrative"] = pd.Series(what).str.cat([pd.Series(where), pd.Series(detail)], sep=" ").to_numpy()
    frame.to_csv(csv, index=False)


def _print_run(title: str, run, seconds: float, n_records: int) -> None:
    all_pairs = n_records * (n_records - 1) // 2
    print(f"{title}: {n_records:,} records, {run.n_candidate_pairs:,} candidate pairs compared "
          f"({run.n_candidate_pairs / max(all_pairs, 1):.4%} of all {all_pairs:,} pairs), "
          f"{len(run.pairs):,} scored 0.05 or more, {len(run.series):,} candidate series")
    for stage, s in run.seconds.items():
        print(f"  {stage:<16} {s:8.2f} s")
    rate = run.n_candidate_pairs / max(run.seconds.get("features", 0.0) + run.seconds.get("scoring", 0.0), 1e-9)
    print(f"  {'total':<16} {seconds:8.2f} s   ({rate:,.0f} pairs compared and scored per second)")


def run(*, incidents: int = 1_000_000, years: int = 5, seed: int = 1) -> dict:
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="threadline-bench-series-") as tmp:
        root = Path(tmp)
        from threadline.synth import synthesise

        summary = synthesise(root / "synth", years=years, seed=seed, end=date(2024, 12, 31))
        ws = tl.init_workspace(root / "ws", forces=["West Yorkshire"])
        import_folder(ws, summary.out_dir)
        t = time.perf_counter()
        force_run = detect_series(ws)
        figures["force_s"] = time.perf_counter() - t
        figures["force_cases"] = force_run.n_records
        _print_run(f"five-year synthetic force (seed {seed})", force_run, figures["force_s"], force_run.n_records)
        ws.close()
        if incidents:
            print()
            csv = root / "incidents.csv"
            make_incidents_csv(csv, incidents, places=force_places(), bad_share=0.0)
            add_narratives(csv)
            inc = tl.init_workspace(root / "inc", forces=["West Yorkshire"])
            tl.import_file(inc, "incidents", csv)
            t = time.perf_counter()
            inc_run = detect_series(inc, records="incidents", surveillance=False, store=False)
            figures["incidents_s"] = time.perf_counter() - t
            figures["incidents_pairs"] = inc_run.n_candidate_pairs
            _print_run(f"{incidents:,} incidents (blocking: within 250 m and 7 days, or same type within 500 m "
                       "and 14 days)", inc_run, figures["incidents_s"], inc_run.n_records)
            inc.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    run(incidents=args.incidents, years=args.years)


if __name__ == "__main__":
    main()
