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


def test_report_benchmark_helpers_run_on_a_small_force(tmp_path, capsys):
    import bench_report

    places = bench_report.force_places()
    assert len(places) > 1300 and places["lsoa_code"].str.startswith("E01").all()
    assert places[["latitude", "longitude"]].notna().all().all()

    csv = tmp_path / "incidents.csv"
    bench_import.make_incidents_csv(csv, 500, places=places, bad_share=0.0)
    import pandas as pd

    rows = pd.read_csv(csv)
    assert set(rows["lsoa_code"]) <= set(places["lsoa_code"])
    assert rows["latitude"].between(53.4, 54.1).all() and rows["longitude"].between(-2.3, -1.0).all()

    ticks = iter([0.0, 1.0, 3.5, 4.0])
    timer = bench_report.StageTimer(clock=lambda: next(ticks))
    timer("a")
    timer("b")
    timer("c")
    timer.stop()
    assert timer.stages == [("a", 1.0), ("b", 2.5), ("c", 0.5)] and timer.total == 4.0
    assert "total" in timer.table()

    figures = bench_report.run(years=1, scale=0.03, incidents=2_000, pdf=False)
    assert figures["setup"]["incidents"] >= 2_000
    assert {"reading cases", "emerging trends", "areas and hot spots", "charts and HTML"} <= set(figures["stages"])
    assert "PDF" not in figures["stages"]
    assert figures["report_s"] > 0
    out = capsys.readouterr().out
    assert "report stage" in out and "target" in out


def test_violence_coverage_benchmark_checks_every_quantity_on_a_small_force(tmp_path):
    import bench_violence

    rows = bench_violence.one_seed(31, years=3, scale=0.2, work=tmp_path)
    quantities = [r["quantity"] for r in rows]
    assert len(rows) == 15 and len(set(quantities)) == 15
    assert "outcome 22 rate ratio after training" in quantities and "programme risk difference (CEM)" in quantities
    prog = {r["quantity"]: r for r in rows if r["quantity"].startswith("programme")}
    assert len(prog) == 2 and len({r["truth"] for r in prog.values()}) == 2  # population and sample truths
    for r in rows:
        assert r["truth"] == r["truth"] and r["low"] <= r["high"], r  # a truth to check, and a real interval
    # Planted disproportionality is visible: Black young people's suspect RRI is well above 1 in truth.
    black = next(r for r in rows if r["quantity"] == "RRI suspects black")
    assert black["truth"] > 2


def test_escalation_benchmark_ranks_the_planted_chains_of_a_small_force(tmp_path):
    import bench_escalation

    row = bench_escalation.one_seed(41, years=3, scale=0.2, work=tmp_path)
    n = row["chains_in_backtest"]
    assert n >= 1  # the small force plants at least three chains; one or more end inside the backtest
    for lst in ("people", "dyads"):
        for method in ("model", "most_incidents", "most_recent"):
            assert 0 <= row[f"planted_top25_{lst}_{method}"] <= n
    assert row["recall25_dyads_suspect_model"][1] > 0
    assert isinstance(row["fairness_flags"], str)
