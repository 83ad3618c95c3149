"""Benchmark: do the serious youth violence analyses recover what the synthetic force planted?

For each of 20 seeds (101-120 by default: none of them was used to build or tune the methods; the
tests use other seeds) it synthesises a five-year West Yorkshire-sized force with
``threadline.synth.synthesise`` (planted racial disproportionality, an outcome-22 rise after a
training date and a programme that cuts its participants' serious violence), imports it with the
synthetic census table, and runs the same functions the commands run:

- the force-level relative rate index (RRI) against White for victims and for suspects of serious
  youth violence, for the Asian, Black, Mixed and Other groups (Katz intervals), and the RRI of the
  arrested share of suspects;
- the outcome-22 level change after training (interrupted time series, step model);
- the programme's effect on the risk of being a serious violence suspect in 12 months (coarsened
  exact matching), against the population ATT: the effect expected over the random selection of
  participants (``population_att_risk_difference``), which is what the printed interval estimates.
  It is also checked, for comparison, against this sample's own expected effect
  (``expected_att_risk_difference``: -q x the participants' removable share), which moves with who
  happened to be chosen: a sample with more participants who would have offended has both a larger
  sample effect and a higher treated risk, so the estimate's error against it is larger than the
  interval allows (about x1.3 on tuning seeds 1-6).

Each interval is checked against the truth in ``truth/`` (expected values computed by the generator
from its own probabilities). It prints each seed's estimates and, at the end, the coverage of each
quantity and of all RRIs together, against the issue's bar of 90%.

Run: ``python benchmarks/bench_violence.py [--seeds 20] [--first-seed 101] [--years 5] [--scale 1.0]``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
from seeds import main_over_seeds

from threadline import init_workspace, open_workspace
from threadline.analyse.violence import definitions as D
from threadline.analyse.violence import disproportionality, outcome22, population, register
from threadline.analyse.violence.programme import evaluate_programme
from threadline.ingest.folder import import_folder
from threadline.synth import synthesise

END = date(2024, 12, 31)
GROUPS = ("asian", "black", "mixed", "other")
BAR = 0.90


def one_seed(seed: int, years: int, scale: float, work: Path) -> list[dict]:
    """Every checked quantity of one synthetic force: estimate, interval, truth, covered."""
    out = work / f"synth-{seed}"
    ws_dir = work / f"ws-{seed}"
    synthesise(out, years=years, seed=seed, end=END, population_scale=scale)
    init_workspace(ws_dir).close()
    rows: list[dict] = []
    with open_workspace(ws_dir) as ws:
        import_folder(ws, out)
        population.import_population(ws, out / "population.csv")
        defs = D.load()
        start = date(END.year - years + 1, 1, 1)
        inv = register.involvements(ws.con, defs, start, END)
        people = register.youth_people(inv, defs)
        people = people[people["area"] == "force"]
        pop = population.workspace_population(ws.con)
        denom = population.population_for(pop, defs.youth_min_age, defs.youth_max_age)
        denom = denom.groupby("group5", as_index=False)["population"].sum()
        truth = pd.read_csv(out / "truth" / "disproportionality.csv")
        truth = truth[truth["area"] == "force"]
        for role, measure in (("victim", "victims"), ("suspect", "suspects")):
            counts = people[people["role"] == role].groupby("group5").size().rename("count").reset_index()
            table = disproportionality.rate_table(counts, denom).set_index("group5")
            t = truth[truth["measure"] == measure].set_index("group5")
            for g in GROUPS:
                r = table.loc[g]
                rows.append({"seed": seed, "quantity": f"RRI {measure} {g}", "estimate": r["rri"],
                             "low": r["rri_low"], "high": r["rri_high"], "truth": t.loc[g, "rri"]})
        suspects = people[people["role"] == "suspect"]
        st = disproportionality.stage_table(suspects, denom, stages=("suspect", "arrested"))
        st = st[st["stage"] == "arrested"].set_index("group5")
        t = truth[truth["measure"] == "arrested"].set_index("group5")
        for g in GROUPS:
            r = st.loc[g]
            rows.append({"seed": seed, "quantity": f"RRI arrested share {g}", "estimate": r["of_suspects_rri"],
                         "low": r["of_suspects_rri_low"], "high": r["of_suspects_rri_high"],
                         "truth": t.loc[g, "of_suspects_rri"]})
        o22_truth = pd.read_csv(out / "truth" / "outcome22.csv").iloc[0]
        elig = outcome22.with_eligibility(register.suspect_rows(ws.con), defs)
        change = outcome22.training_change(elig, date.fromisoformat(o22_truth["training_date"]))
        rows.append({"seed": seed, "quantity": "outcome 22 rate ratio after training",
                     "estimate": change.result.level_change_rr, "low": change.result.level_low,
                     "high": change.result.level_high, "truth": float(o22_truth["rate_ratio"])})
        iv_truth = pd.read_csv(out / "truth" / "intervention.csv").iloc[0]
        result = evaluate_programme(ws, out / "participants.csv", follow_up=int(iv_truth["follow_up_months"]),
                                    method="cem")
        e = result.effect
        rows.append({"seed": seed, "quantity": "programme risk difference (CEM)", "estimate": e.risk_difference,
                     "low": e.rd_low, "high": e.rd_high, "truth": float(iv_truth["population_att_risk_difference"])})
        rows.append({"seed": seed, "quantity": "programme risk difference (CEM) against this sample's effect",
                     "estimate": e.risk_difference, "low": e.rd_low, "high": e.rd_high,
                     "truth": float(iv_truth["expected_att_risk_difference"])})
    for r in rows:
        r["covered"] = bool(r["low"] <= r["truth"] <= r["high"])
    return rows


def run(seeds: int = 20, first_seed: int = 101, years: int = 5, scale: float = 1.0) -> pd.DataFrame:
    work = Path(tempfile.mkdtemp(prefix="tl-bench-violence-"))
    results: list[dict] = []
    try:
        for seed in range(first_seed, first_seed + seeds):
            t0 = time.perf_counter()
            rows = one_seed(seed, years, scale, work)
            results.extend(rows)
            missed = [r["quantity"] for r in rows if not r["covered"]]
            print(f"seed {seed}: {len(rows) - len(missed)}/{len(rows)} intervals cover the truth "
                  f"({time.perf_counter() - t0:.0f} s){'; missed: ' + ', '.join(missed) if missed else ''}",
                  flush=True)
            shutil.rmtree(work / f"synth-{seed}", ignore_errors=True)
            shutil.rmtree(work / f"ws-{seed}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    frame = pd.DataFrame(results)
    summary = frame.groupby("quantity", sort=False).agg(
        seeds=("covered", "size"), covered=("covered", "sum"), truth=("truth", "mean"),
        mean_estimate=("estimate", "mean"))
    summary["coverage"] = summary["covered"] / summary["seeds"]
    pd.set_option("display.width", 160)
    print()
    print(summary.round(3).to_string())
    rri = frame[frame["quantity"].str.startswith("RRI")]
    pooled = rri["covered"].mean()
    print()
    print(f"All relative rate indices together: {rri['covered'].sum()}/{len(rri)} = {pooled:.1%} cover the truth "
          f"(bar {BAR:.0%})")
    for q in ("outcome 22 rate ratio after training", "programme risk difference (CEM)",
              "programme risk difference (CEM) against this sample's effect"):
        s = summary.loc[q]
        print(f"{q}: {int(s['covered'])}/{int(s['seeds'])} = {s['coverage']:.0%} (bar {BAR:.0%})")
    below = summary[(summary["coverage"] < BAR) & ~summary.index.str.endswith("sample's effect")]
    print(f"Quantities below {BAR:.0%} on their own: {len(below)} of {len(summary)}"
          + (f" ({', '.join(below.index)})" if len(below) else ""))
    return frame


def main(argv: list[str] | None = None) -> None:
    main_over_seeds(run, __doc__.splitlines()[0], 20, 101, argv)

if __name__ == "__main__":
    sys.exit(main())
