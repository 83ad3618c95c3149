"""Benchmark: the near-repeat (Knox) test on all Chicago residential burglaries of 2016.

Runs :func:`threadline.analyse.nearrepeat.knox_test` on the 11,701 burglaries shipped with the R
package NearRepeat (W. Steenbeek; City of Chicago open data), with the R vignette's bands (0, 0.1,
200, 400, 600 m; 0, 7, 14, 21 days) and 999 permutations, and prints the time beside the Near
Repeat Calculator's published timings: 8 min 54 s for 12,334 events (Chicago burglary 2014) with
99 iterations, and 1 min 50 s for these 11,701 events with 19. It also times this data with
the NRC's own band settings for both published runs. The figures are on this data, on this
machine; the NRC's are on the machine its authors used, so compare orders of magnitude.

Run: ``make bench`` or ``python benchmarks/bench_nearrepeat.py [--permutations 999]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from threadline.analyse.nearrepeat import knox_test, nrc_breaks, nrc_time_breaks, read_events

DATA = Path(os.environ.get("THREADLINE_BENCHMARK_DATA", "/work/shared/data/benchmarks")) / "nearrepeat_chicago_be.csv"
SPACE_BANDS = (0, 0.1, 200, 400, 600)
TIME_BANDS = (0, 7, 14, 21)

#: The NRC's published timings: (label, seconds, events, iterations run, space breaks, time breaks).
NRC_RUNS = (
    ("NRC 1.3, Chicago burglary 2014, 1 band of 200 m x 1 of 7 days", 8 * 60 + 54, 12_334, 99,
     nrc_breaks(200, 1), nrc_time_breaks(7, 1)),
    ("NRC 1.3, Chicago burglary 2016, 3 bands of 100 m x 2 of 2 days", 1 * 60 + 50, 11_701, 19,
     nrc_breaks(100, 3), nrc_time_breaks(2, 2)),
)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _ns_per_pair_permutation(seconds: float, events: int, permutations: int) -> float:
    """Time per (pair of events x permutation) of the whole problem: comparable across data sizes."""
    return seconds / (_pairs(events) * permutations) * 1e9


def _mmss(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s" if seconds >= 60 else f"{seconds:.2f} s"


def run(path: str | Path = DATA, *, permutations: int = 999, nrc_settings: bool = True, seed: int = 2016
        ) -> dict[str, object]:
    """Time the Knox test on ``path`` (x ``X``, y ``Y``, ``date``) and compare with the NRC's timings."""
    path = Path(path)
    t = time.perf_counter()
    events = read_events(path, x="X", y="Y", date="date")
    read_s = time.perf_counter() - t
    n = len(events)
    knox_test(events.x[:50], events.y[:50], events.days[:50], SPACE_BANDS, TIME_BANDS, permutations=2)  # warm up

    t = time.perf_counter()
    result = knox_test(events.x, events.y, events.days, SPACE_BANDS, TIME_BANDS, permutations=permutations, seed=seed)
    seconds = time.perf_counter() - t
    ours_ns = _ns_per_pair_permutation(seconds, n, permutations)

    rows = n + events.skipped
    print(f"data: {path.name}: {rows:,} rows, {n:,} events used"
          + (f" ({events.skipped:,} without a date or location left out, as R's NearRepeat does)" if events.skipped
             else "") + f"; read in {read_s:.2f} s")
    print(f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}".replace("  ", " "))
    print(f"events        {n:,}")
    print(f"pairs         {_pairs(n):,}")
    print(f"permutations  {permutations:,}")
    print(f"space bands   {', '.join(result.space_labels)} (Manhattan)")
    print(f"time bands    {', '.join(result.time_labels)} days")
    print(f"seconds       {seconds:.2f}  ({ours_ns:.4f} ns per pair-permutation)")
    print(f"Threadline: {_mmss(seconds)} for {n:,} events with {permutations:,} permutations, on this data "
          "(Chicago residential burglary 2016, from R NearRepeat).")

    figures: dict[str, object] = {"events": n, "permutations": permutations, "seconds": seconds,
                                  "ns_per_pair_permutation": ours_ns, "nrc": []}
    for label, nrc_s, nrc_n, nrc_perm, sds, tds in NRC_RUNS:
        nrc_ns = _ns_per_pair_permutation(nrc_s, nrc_n, nrc_perm)
        line = (f"{label}: published {_mmss(nrc_s)} for {nrc_n:,} events with {nrc_perm} iterations "
                f"= {nrc_ns:.1f} ns per pair-permutation; Threadline is {nrc_ns / ours_ns:,.0f}x faster per "
                f"pair-permutation")
        same = None
        if nrc_settings:
            t = time.perf_counter()
            knox_test(events.x, events.y, events.days, sds, tds, permutations=nrc_perm, seed=seed, precision="float32")
            same = time.perf_counter() - t
            line += (f"; with the NRC's settings ({nrc_perm} iterations, its bands) on this data Threadline takes "
                     f"{_mmss(same)}")
        print(line)
        figures["nrc"].append({"label": label, "nrc_s": nrc_s, "nrc_ns": nrc_ns, "ours_same_settings_s": same})
    print("(NRC timings are as published, on its authors' machine; Threadline's are on this machine and this data.)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    run(args.data, permutations=args.permutations)


if __name__ == "__main__":
    main()
