"""Run every Threadline benchmark and print its figures (``make bench``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_crimelinkage  # noqa: E402
import bench_import  # noqa: E402
import bench_nearrepeat  # noqa: E402
import bench_person_linkage  # noqa: E402
import bench_report  # noqa: E402
import bench_series  # noqa: E402


def main() -> None:
    print("== import: 1,000,000 incident rows from CSV ==")
    bench_import.run(1_000_000)
    print()
    print("== quarterly report: five-year full-size force plus 1,000,000 incidents ==")
    bench_report.run()
    print()
    print("== near-repeat (Knox) test: 11,701 Chicago burglaries, 999 permutations ==")
    if bench_nearrepeat.DATA.exists():
        bench_nearrepeat.run()
    else:
        print(f"skipped: {bench_nearrepeat.DATA} not found (set THREADLINE_BENCHMARK_DATA to its folder)")
    print()
    print("== series detection: five-year force, and 1,000,000 incidents ==")
    bench_series.run()
    print()
    print("== person linkage: FEBRL 3/4, synthetic partner data, 1,000,000 records; recordlinkage ECM beside ==")
    bench_person_linkage.run()
    print()
    print("== crime linkage: crimelinkage example data, Threadline vs crimeserieslinkage, same splits ==")
    if bench_crimelinkage.DATA.exists():
        bench_crimelinkage.run()
    else:
        print(f"skipped: {bench_crimelinkage.DATA} not found (set THREADLINE_BENCHMARK_DATA to its folder)")


if __name__ == "__main__":
    main()
