"""The near-repeat benchmark still runs (on a small synthetic file): a benchmark that rots is no measurement."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_nearrepeat  # noqa: E402


def test_nearrepeat_benchmark_runs_and_compares_with_the_nrc(tmp_path, capsys):
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({
        "X": rng.uniform(0, 3000, n),
        "Y": rng.uniform(0, 3000, n),
        "date": np.datetime_as_string(np.datetime64("2016-01-01") + rng.integers(0, 90, n).astype("timedelta64[D]")),
    })
    frame.loc[3, "date"] = ""  # as in the real file: one burglary has no date
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)

    figures = bench_nearrepeat.run(path, permutations=19)
    assert figures["events"] == n - 1 and figures["permutations"] == 19 and figures["seconds"] > 0
    assert [f["nrc_s"] for f in figures["nrc"]] == [534, 110]
    assert all(f["ours_same_settings_s"] > 0 for f in figures["nrc"])
    out = capsys.readouterr().out
    for fragment in ("events        399", "permutations  19", "space bands", "seconds", "8 min 54 s", "12,334 events",
                     "99 iterations", "1 min 50 s", "11,701 events", "per pair-permutation", "on this data",
                     "1 without a date"):
        assert fragment in out, fragment
