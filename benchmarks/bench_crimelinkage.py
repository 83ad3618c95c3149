"""Benchmark: crime series linkage on the crimelinkage example data, beside crimeserieslinkage 1.1.0.

The data are the example data of the R package crimelinkage (M. D. Porter and B. J. Reich): 490
burglaries, described by their authors as fictitious but realistic. Training pairs are built as the
package's vignette builds them (``set.seed(1); makePairs(thres=365, m=40)``: 255 linked, 10,932
unlinked pairs, reproduced exactly), and Porter's pair features are computed for every pair.

In one run, on the same pairs and the same train/test splits, this prints

- the held-out ROC AUC (mean +/- sd over 5 random 70/30 splits, seeds 0-4) of Threadline's pair
  model (logistic regression and naive Bayes, :mod:`threadline.link.pairmodel`) on Threadline's
  features, and of the peer, the PyPI package ``crimeserieslinkage`` 1.1.0 (a Python port of
  crimelinkage), its naive Bayes and a scikit-learn logistic regression on its own features;
- pairs compared per second (feature computation) by each, on the training pairs and on all
  119,805 pairs of the 490 crimes, and the ratios.

Two split schemes: ``pairs`` (pairs drawn at random, stratified by label, as the vignette and the
peer's documentation split; a crime can be in training and test pairs) and ``crimes`` (crime groups,
i.e. offenders and their co-offenders, drawn at random: 30% of the groups' crimes held out, test
pairs have both crimes held out, pairs across the two sides are dropped; stricter, fewer test pairs).

Settings are fixed a priori or chosen inside each training split, never on test pairs: Threadline
logistic: restricted cubic splines with 4 knots at Harrell's quantiles, L2 penalty chosen by 5-fold
cross-validation (log loss) within the training pairs; Threadline naive Bayes: 15 quantile bins,
df = 10 (the vignette's settings), Platt scaling on cross-fitted training scores. Peer naive
Bayes: its ``naiveBayes(df=10, nbins=15)`` with its default weights (the vignette's settings);
peer logistic: scikit-learn ``LogisticRegression`` (C = 1) on its standardised features. No one's
models are weighted by series size except the peer's naive Bayes (its default).

The peer needs numpy < 2.4 and must not become a Threadline dependency, so it runs in its own
virtual environment (created once, cached in ``benchmarks/.peer-venv``) in a subprocess that reads
the same pairs and splits from a temporary directory and writes its scores and timings as JSON.

Run: ``python benchmarks/bench_crimelinkage.py [--no-peer] [--no-peer-all-pairs] [--peer-gb]``.
Target: a higher AUC than the peer's and at least 50 times its speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.link import crimelinkage as cl
from threadline.link.pairmodel import PairModel, evaluate

DATA = Path(os.environ.get("THREADLINE_BENCHMARK_DATA", "/work/shared/data/benchmarks"))
PEER_VENV = Path(os.environ.get("THREADLINE_PEER_VENV", Path(__file__).resolve().parent / ".peer-venv"))
PEER_PACKAGES = ("crimeserieslinkage==1.1.0", "numpy<2.4", "pandas", "scikit-learn")
SEEDS = (0, 1, 2, 3, 4)
TEST_SHARE = 0.3
TARGET_SPEEDUP = 50.0
DATA_NOTE = ("on the crimelinkage example data (490 burglaries; fictitious but realistic, Porter & Reich, "
             "R package crimelinkage)")

#: Threadline's models in the benchmark: label -> (kind, options). "linear" is an ablation (no splines).
THREADLINE_MODELS = {
    "logistic": ("logistic", {}),
    "naive Bayes": ("naive_bayes", {}),
    "logistic, linear terms (ablation)": ("logistic", {"knots": 0}),
}

# The peer's side, run with the peer venv's Python. argv[1] = work directory with crimes.csv,
# pairs.csv, splits.json, options.json; writes peer.json there.
PEER_SCRIPT = r'''
import json, sys, time, warnings
from itertools import combinations
from pathlib import Path
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
import crimeserieslinkage as csl
from importlib.metadata import version
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline

work = Path(sys.argv[1])
opts = json.loads((work / "options.json").read_text())
compare = getattr(csl, "compare\u0421rimes")  # the name has a Cyrillic "С"
crimes = pd.read_csv(work / "crimes.csv")
crimes["DT.FROM"] = pd.to_datetime(crimes["DT.FROM"]); crimes["DT.TO"] = pd.to_datetime(crimes["DT.TO"])
pairs = pd.read_csv(work / "pairs.csv")
varlist = {"spatial": ["X", "Y"], "temporal": ["DT.FROM", "DT.TO"], "categorical": ["MO1", "MO2", "MO3"]}
var = ["spatial", "temporal", "tod", "dow", "MO1", "MO2", "MO3"]

t = time.perf_counter()
E = compare(pairs[["i1", "i2", "wt"]], crimes, varlist)
feature_s = time.perf_counter() - t
out = {"version": version("crimeserieslinkage"), "numpy": np.__version__, "pairs": len(pairs),
       "feature_s": feature_s, "scores": {}}
if opts.get("all_pairs"):
    ids = list(crimes["crimeID"].astype(str))
    every = pd.DataFrame(list(combinations(ids, 2)), columns=["i1", "i2"])
    t = time.perf_counter()
    compare(every, crimes, varlist)
    out["all_pairs"] = len(every)
    out["all_pairs_s"] = time.perf_counter() - t

Y = pd.DataFrame({"Y": pairs["linked"].astype(int)})
D = pd.concat([E, Y], axis=1)
numeric = E[var].astype(float).to_numpy()
y = Y["Y"].to_numpy()
splits = json.loads((work / "splits.json").read_text())
for scheme, runs in splits.items():
    for run in runs:
        tr, te = np.array(run["train"]), np.array(run["test"])
        s = {}
        nb = csl.naiveBayes(D.iloc[tr], var, df=10, nbins=15)
        s["naive Bayes"] = list(map(float, csl.predictnaiveBayes(nb, D.iloc[te][var], var=var)))
        lr = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)).fit(numeric[tr], y[tr])
        s["logistic"] = list(map(float, lr.predict_proba(numeric[te])[:, 1]))
        if opts.get("gb"):
            np.random.seed(run["seed"])  # its grid search shuffles folds with the global generator
            gb = csl.GBC(pd.DataFrame(numeric[tr], columns=var), y[tr], 50, 251, 50)
            s["gradient boosting"] = list(map(float, gb.predict_proba(numeric[te])[:, 1]))
        out["scores"].setdefault(scheme, []).append(s)
(work / "peer.json").write_text(json.dumps(out))
'''


# ---------------------------------------------------------------------------------------------
# data, features, splits
# ---------------------------------------------------------------------------------------------


def load(data: Path = DATA, max_crimes: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    crimes, offenders = cl.load_example(data)
    if max_crimes is not None:
        crimes = crimes.iloc[:max_crimes].reset_index(drop=True)
    return crimes, offenders


def make_splits(pairs: pd.DataFrame, crimes: pd.DataFrame, offenders: pd.DataFrame, seeds=SEEDS,
                test_share: float = TEST_SHARE) -> dict[str, list[dict]]:
    """Train/test row positions of ``pairs`` for each seed, for both split schemes (:func:`cl.split_pairs`)."""
    splits: dict[str, list[dict]] = {"pairs": [], "crimes": []}
    for by, runs in splits.items():
        for seed in seeds:
            train, test = cl.split_pairs(pairs, crimes, offenders, by=by, seed=seed, test_share=test_share)
            runs.append({"seed": int(seed), "train": [int(i) for i in train], "test": [int(i) for i in test]})
    return splits


def threadline_scores(features: pd.DataFrame, y: np.ndarray, splits: dict) -> dict:
    """Held-out scores of each Threadline model for every split, and the fitting time."""
    out: dict[str, list[dict]] = {}
    fit_s = 0.0
    for scheme, runs in splits.items():
        for run in runs:
            tr, te = np.asarray(run["train"]), np.asarray(run["test"])
            scores = {}
            for label, (kind, opts) in THREADLINE_MODELS.items():
                t = time.perf_counter()
                model = PairModel.fit(features.iloc[tr], y[tr], kind=kind, features=cl.FEATURES, seed=run["seed"],
                                      **opts)
                fit_s += time.perf_counter() - t
                scores[label] = model.predict_proba(features.iloc[te])
            out.setdefault(scheme, []).append(scores)
    return {"scores": out, "fit_s": fit_s}


def summarise(scores: dict, y: np.ndarray, splits: dict) -> dict[str, dict[str, dict]]:
    """AUC and average precision per scheme and model: mean, sd and the per-split values."""
    table: dict[str, dict[str, dict]] = {}
    for scheme, runs in splits.items():
        for run, s in zip(runs, scores.get(scheme, []), strict=False):
            yt = y[np.asarray(run["test"])]
            for label, sc in s.items():
                e = evaluate(yt, sc)
                cell = table.setdefault(scheme, {}).setdefault(label, {"auc": [], "average_precision": [],
                                                                       "test_pairs": [], "test_linked": []})
                cell["auc"].append(e["auc"])
                cell["average_precision"].append(e["average_precision"])
                cell["test_pairs"].append(e["pairs"])
                cell["test_linked"].append(e["linked"])
    for models in table.values():
        for cell in models.values():
            for key in ("auc", "average_precision"):
                v = np.asarray(cell[key])
                cell[key + "_mean"] = float(v.mean())
                cell[key + "_sd"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return table


# ---------------------------------------------------------------------------------------------
# the peer
# ---------------------------------------------------------------------------------------------


def peer_python(venv_dir: Path = PEER_VENV, log=print) -> Path | None:
    """The peer venv's Python, creating the venv and installing the peer once (None if that fails)."""
    python = venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = venv_dir / ".threadline-peer-installed"
    wanted = " ".join(PEER_PACKAGES)
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8").strip() == wanted:
        return python
    try:
        if not python.exists():
            log(f"creating the peer's virtual environment in {venv_dir} (once)")
            venv.EnvBuilder(with_pip=True, clear=False).create(venv_dir)
        log(f"installing into it: {wanted}")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True,
                       capture_output=True, text=True, timeout=1800)
        subprocess.run([str(python), "-c", "import crimeserieslinkage"], check=True, capture_output=True, text=True,
                       timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        log(f"PEER NOT AVAILABLE: could not install {wanted} ({detail.strip().splitlines()[-1] if detail else exc})")
        return None
    stamp.write_text(wanted + "\n", encoding="utf-8")
    return python


def run_peer(python: Path, crimes: pd.DataFrame, pairs: pd.DataFrame, splits: dict, *, all_pairs: bool = True,
             gb: bool = False, timeout: float = 3600) -> dict:
    """Run crimeserieslinkage in its venv on the same pairs and splits; its scores and timings."""
    with tempfile.TemporaryDirectory(prefix="threadline-peer-") as tmp:
        work = Path(tmp)
        out = crimes.copy()
        for col in ("DT.FROM", "DT.TO"):
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d %H:%M:%S")
        out.to_csv(work / "crimes.csv", index=False)
        pairs.rename(columns={"weight": "wt"})[["i1", "i2", "wt", "linked"]].to_csv(work / "pairs.csv", index=False)
        (work / "splits.json").write_text(json.dumps(splits), encoding="utf-8")
        (work / "options.json").write_text(json.dumps({"all_pairs": all_pairs, "gb": gb}), encoding="utf-8")
        (work / "peer.py").write_text(PEER_SCRIPT, encoding="utf-8")
        proc = subprocess.run([str(python), str(work / "peer.py"), str(work)], capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"the peer failed:\n{proc.stderr[-3000:]}")
        result = json.loads((work / "peer.json").read_text(encoding="utf-8"))
    result["scores"] = {k: [{m: np.asarray(v) for m, v in s.items()} for s in runs]
                        for k, runs in result["scores"].items()}
    return result


# ---------------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------------


def _fmt_auc(cell: dict) -> str:
    return f"{cell['auc_mean']:.3f} +/- {cell['auc_sd']:.3f}"


def run(data: Path = DATA, *, peer: bool = True, peer_all_pairs: bool = True, peer_gb: bool = False,
        seeds=SEEDS, max_crimes: int | None = None, repeat: int = 5) -> dict:
    """Run the benchmark, print its figures, return them."""
    t_all = time.perf_counter()
    crimes, offenders = load(data, max_crimes)
    pairs = cl.make_pairs(crimes, offenders, thres=365, m=40, seed=1)
    n_linked = int(pairs["linked"].sum())
    y = pairs["linked"].to_numpy()
    features = cl.compare_crimes(crimes, pairs)
    splits = make_splits(pairs, crimes, offenders, seeds=seeds)

    print(f"Crime series linkage {DATA_NOTE}.")
    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"crimes {len(crimes):,}; pairs from makePairs(thres=365, m=40, seed=1): {n_linked:,} linked, "
          f"{len(pairs) - n_linked:,} unlinked (published: 255 and 10,932)")
    print(f"splits: {len(seeds)} random 70/30 splits (seeds {', '.join(map(str, seeds))}), the same for both tools; "
          "settings fixed a priori or chosen by cross-validation inside each training split")

    speed = {"pairs": cl.pairs_per_second(crimes, pairs[["i1", "i2"]], repeat=repeat),
             "all_pairs": cl.time_all_pairs(crimes, repeat=max(1, repeat // 2))}
    ours = threadline_scores(features, y, splits)
    table = {"threadline": summarise(ours["scores"], y, splits)}

    peer_result = None
    if peer:
        python = peer_python()
        if python is not None:
            try:
                peer_result = run_peer(python, crimes, pairs, splits, all_pairs=peer_all_pairs, gb=peer_gb)
                table["peer"] = summarise(peer_result["scores"], y, splits)
            except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
                print(f"PEER FAILED, its figures are missing: {exc}")
    else:
        print("peer skipped (--no-peer)")

    for scheme, title in (("pairs", "split by pairs (as the peer and the vignette)"),
                          ("crimes", "split by crime groups (offenders held out; stricter)")):
        cells = table["threadline"].get(scheme, {})
        if not cells:
            continue
        first = next(iter(cells.values()))
        print(f"\nheld-out ROC AUC, mean +/- sd over {len(first['auc'])} splits, {title}; test pairs per split "
              f"~{int(np.mean(first['test_pairs'])):,} ({np.mean(first['test_linked']):.0f} linked)")
        for label, cell in cells.items():
            print(f"  Threadline {label:<36} {_fmt_auc(cell)}   (average precision "
                  f"{cell['average_precision_mean']:.3f})")
        for label, cell in table.get("peer", {}).get(scheme, {}).items():
            print(f"  crimeserieslinkage {label:<28} {_fmt_auc(cell)}   (average precision "
                  f"{cell['average_precision_mean']:.3f})")
        for ours_label, peer_label in (("logistic", "logistic"), ("naive Bayes", "naive Bayes")):
            peer_cell = table.get("peer", {}).get(scheme, {}).get(peer_label)
            if peer_cell is None or ours_label not in cells:
                continue
            diff = np.asarray(cells[ours_label]["auc"]) - np.asarray(peer_cell["auc"])
            table.setdefault("paired", {}).setdefault(scheme, {})[ours_label] = [float(d) for d in diff]
            sd = diff.std(ddof=1) if len(diff) > 1 else 0.0
            print(f"  paired, same splits: Threadline {ours_label} - peer {peer_label}: {diff.mean():+.3f} "
                  f"+/- {sd:.3f}, higher in {int((diff > 0).sum())} of {len(diff)}")

    print(f"\npairs compared per second (feature computation) {DATA_NOTE}:")
    p, a = speed["pairs"], speed["all_pairs"]
    print(f"  Threadline          {p['pairs']:>7,} training pairs in {p['seconds']:.4f} s = {p['pairs_per_s']:>12,.0f} "
          f"pairs/s (best of {repeat})")
    print(f"  Threadline          {a['pairs']:>7,} (all pairs)   in {a['seconds']:.4f} s = {a['pairs_per_s']:>12,.0f} "
          "pairs/s")
    figures = {"crimes": len(crimes), "linked": n_linked, "unlinked": len(pairs) - n_linked, "auc": table,
               "speed": {"threadline": speed}, "fit_s": ours["fit_s"]}
    if peer_result is not None:
        peer_speed = {"pairs": {"pairs": peer_result["pairs"], "seconds": peer_result["feature_s"],
                                "pairs_per_s": peer_result["pairs"] / peer_result["feature_s"]}}
        print(f"  crimeserieslinkage  {peer_result['pairs']:>7,} training pairs in {peer_result['feature_s']:.2f} s = "
              f"{peer_speed['pairs']['pairs_per_s']:>12,.0f} pairs/s (one run; version {peer_result['version']}, "
              f"numpy {peer_result['numpy']})")
        if "all_pairs_s" in peer_result:
            peer_speed["all_pairs"] = {"pairs": peer_result["all_pairs"], "seconds": peer_result["all_pairs_s"],
                                       "pairs_per_s": peer_result["all_pairs"] / peer_result["all_pairs_s"]}
            print(f"  crimeserieslinkage  {peer_result['all_pairs']:>7,} (all pairs)   in "
                  f"{peer_result['all_pairs_s']:.2f} s = {peer_speed['all_pairs']['pairs_per_s']:>12,.0f} pairs/s")
        figures["speed"]["peer"] = peer_speed
        ratios = {k: speed[k]["pairs_per_s"] / v["pairs_per_s"] for k, v in peer_speed.items()}
        figures["speed_ratio"] = ratios
        print("  ratio (Threadline / peer): "
              + ", ".join(f"{k.replace('_', ' ')} {r:,.0f}x" for k, r in ratios.items()))

        best_peer = max(c["auc_mean"] for c in table["peer"]["pairs"].values())
        best_ours = max(c["auc_mean"] for label, c in table["threadline"]["pairs"].items() if "ablation" not in label)
        auc_ok = best_ours > best_peer
        speed_ok = min(ratios.values()) >= TARGET_SPEEDUP
        figures["target_met"] = {"auc": auc_ok, "speed": speed_ok}
        print(f"\ntarget: higher AUC than the peer's (best, split by pairs: Threadline {best_ours:.3f} vs peer "
              f"{best_peer:.3f}: {'met' if auc_ok else 'NOT met'}) and at least {TARGET_SPEEDUP:.0f}x its speed "
              f"(lowest ratio {min(ratios.values()):,.0f}x: {'met' if speed_ok else 'NOT met'})")
        strict = table["peer"].get("crimes")
        if strict:
            strict_peer = max(c["auc_mean"] for c in strict.values())
            strict_ours = max(c["auc_mean"] for label, c in table["threadline"]["crimes"].items()
                              if "ablation" not in label)
            figures["target_met"]["auc_split_by_crimes"] = strict_ours > strict_peer
            print(f"  split by crime groups: Threadline {strict_ours:.3f} vs peer {strict_peer:.3f} (best of each; "
                  "the paired differences above say whether a gap is more than split-to-split noise)")
    print(f"(Threadline model fitting, all splits and models: {ours['fit_s']:.1f} s; "
          f"whole benchmark {time.perf_counter() - t_all:.0f} s)")
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--no-peer", action="store_true", help="Threadline's figures only")
    parser.add_argument("--no-peer-all-pairs", action="store_true", help="skip the peer's 120k-pair timing (~30 s)")
    parser.add_argument("--peer-gb", action="store_true", help="also the peer's gradient boosting (slow)")
    args = parser.parse_args(argv)
    run(args.data, peer=not args.no_peer, peer_all_pairs=not args.no_peer_all_pairs, peer_gb=args.peer_gb)


if __name__ == "__main__":
    sys.exit(main())
