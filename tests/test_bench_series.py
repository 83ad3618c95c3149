"""The series benchmark still runs (on a small size): a benchmark that rots is no measurement."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_series_benchmark_runs_on_a_small_force(capsys):
    import bench_series

    figures = bench_series.run(incidents=3_000, years=1)
    assert figures["force_cases"] > 500 and figures["force_s"] > 0
    assert figures["incidents_pairs"] > 0
    out = capsys.readouterr().out
    assert "candidate pairs compared" in out and "pairs compared and scored per second" in out
