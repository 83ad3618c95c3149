"""The crimelinkage benchmark still runs (Threadline's side, on a subset): a benchmark that rots is no measurement."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_crimelinkage  # noqa: E402

needs_data = pytest.mark.skipif(not (bench_crimelinkage.DATA / "crimelinkage_crimes.csv").exists(),
                                reason="the crimelinkage reference data is not available")


@needs_data
def test_benchmark_runs_without_the_peer(capsys):
    figures = bench_crimelinkage.run(peer=False, seeds=(0, 1), max_crimes=400, repeat=1)
    assert figures["crimes"] == 400 and figures["linked"] > 100 and figures["unlinked"] > 5_000
    table = figures["auc"]["threadline"]
    assert set(table) == {"pairs", "crimes"}
    for scheme in table.values():
        assert set(scheme) == set(bench_crimelinkage.THREADLINE_MODELS)
        for cell in scheme.values():
            assert len(cell["auc"]) == 2 and 0.7 < cell["auc_mean"] <= 1.0
    speed = figures["speed"]["threadline"]
    assert speed["all_pairs"]["pairs"] == 400 * 399 // 2 and speed["pairs"]["pairs_per_s"] > 10_000
    assert "peer" not in figures["speed"] and "target_met" not in figures
    out = capsys.readouterr().out
    assert "crimelinkage example data" in out and "fictitious but realistic" in out
    assert "peer skipped" in out and "pairs/s" in out and "held-out ROC AUC" in out


def test_splits_are_shared_and_disjoint():
    import pandas as pd

    from threadline.link import crimelinkage as cl

    if not (bench_crimelinkage.DATA / "crimelinkage_crimes.csv").exists():
        pytest.skip("the crimelinkage reference data is not available")
    crimes, offenders = bench_crimelinkage.load(max_crimes=300)
    pairs = cl.make_pairs(crimes, offenders)
    splits = bench_crimelinkage.make_splits(pairs, crimes, offenders, seeds=(0, 1))
    again = bench_crimelinkage.make_splits(pairs, crimes, offenders, seeds=(0, 1))
    assert splits == again  # fixed seeds: the peer and Threadline get the same rows every run
    for run in splits["pairs"]:
        assert not set(run["train"]) & set(run["test"]) and len(run["train"]) + len(run["test"]) == len(pairs)
    for run in splits["crimes"]:
        train = pd.concat([pairs.iloc[run["train"]]["i1"], pairs.iloc[run["train"]]["i2"]])
        test = pd.concat([pairs.iloc[run["test"]]["i1"], pairs.iloc[run["test"]]["i2"]])
        assert not set(train) & set(test)  # no crime on both sides
