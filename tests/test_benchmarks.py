"""The benchmarks still run (on a small size): a benchmark that rots is no measurement."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_import  # noqa: E402


def test_import_benchmark_runs_and_checks_its_own_counts(capsys):
    figures = bench_import.run(5_000)
    assert figures["rows"] == 5_000
    assert figures["import_s"] > 0 and figures["plain_s"] > 0
    out = capsys.readouterr().out
    assert "rows/s" in out and "validation costs" in out
