"""Crime-linkage pair features and training pairs, checked against crimelinkage's published outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from threadline.link import crimelinkage as cl
from threadline.link.pairmodel import PairModel, evaluate

DATA = Path(os.environ.get("THREADLINE_BENCHMARK_DATA", "/work/shared/data/benchmarks"))
needs_data = pytest.mark.skipif(not (DATA / "crimelinkage_published_outputs.json").exists(),
                                reason="the crimelinkage reference data is not available")


# ---------------------------------------------------------------------------------------------
# expected differences of uncertain times
# ---------------------------------------------------------------------------------------------


def brute_force(a1, l1, a2, l2, distance, n=600):
    x = a1 + l1 * (np.arange(n) + 0.5) / n
    y = a2 + l2 * (np.arange(n) + 0.5) / n
    return distance(x[:, None] - y[None, :]).mean()


def test_expected_abs_diff_by_hand():
    assert cl.expected_abs_diff(0, 0, 5, 0) == 5  # two known times
    assert cl.expected_abs_diff(0, 2, 10, 4) == pytest.approx(11)  # no overlap: the midpoints
    assert cl.expected_abs_diff(0, 1, 0, 1) == pytest.approx(1 / 3)  # two uniforms on one interval
    assert cl.expected_abs_diff(0, 2, 1, 0) == pytest.approx(0.5)  # a point in the middle of an interval
    assert cl.expected_abs_diff(1, 0, 0, 2) == pytest.approx(0.5)  # the same, the other way round
    assert cl.expected_abs_diff(3, 0, 3, 4) == pytest.approx(2)  # a point at the start of an interval


def test_expected_abs_diff_matches_brute_force():
    rng = np.random.default_rng(0)
    a1, a2 = rng.uniform(0, 10, (2, 200))
    l1, l2 = rng.uniform(0, 5, (2, 200)) * rng.choice([0.0, 1.0], (2, 200))
    got = cl.expected_abs_diff(a1, l1, a2, l2)
    want = [brute_force(*args, np.abs) for args in zip(a1, l1, a2, l2, strict=True)]
    assert np.max(np.abs(got - want)) < 1e-5
    assert np.allclose(got, cl.expected_abs_diff(a2, l2, a1, l1))  # symmetric


@pytest.mark.parametrize("period", [24.0, 7.0])
def test_expected_circular_diff_matches_brute_force(period):
    rng = np.random.default_rng(1)
    n = 80
    a1, a2 = rng.uniform(0, period, (2, n))
    scale = rng.choice([0.0, 1e-6, 0.05, 0.5, 0.99], (2, n))
    l1, l2 = rng.uniform(0, period, (2, n)) * scale
    got = cl.expected_circular_diff(a1, l1, a2, l2, period)

    def circ(z):
        r = np.mod(z, period)
        return np.minimum(r, period - r)

    want = np.array([brute_force(*args, circ) for args in zip(a1, l1, a2, l2, strict=True)])
    assert np.max(np.abs(got - want)) < 1e-4 * period
    assert ((got >= 0) & (got <= period / 2)).all()


def test_expected_circular_diff_by_hand():
    assert cl.expected_circular_diff(23, 0, 1, 0, 24) == pytest.approx(2)  # across midnight
    assert cl.expected_circular_diff(0, 0, 12, 0, 24) == pytest.approx(12)
    assert cl.expected_circular_diff(5, 0, 0, 24, 24) == pytest.approx(6)  # a whole day: uniform, P/4
    assert cl.expected_circular_diff(0, 30, 3, 1, 24) == 6  # longer than a period: P/4, as Porter's code
    # a point against an interval of half a day starting there: mean distance over [0, 12] is 6
    assert cl.expected_circular_diff(0, 0, 0, 12, 24) == pytest.approx(6)
    # shifting both by whole periods changes nothing
    assert cl.expected_circular_diff(1, 3, 20, 5, 24) == pytest.approx(cl.expected_circular_diff(25, 3, 44, 5, 24))


# ---------------------------------------------------------------------------------------------
# R's random numbers
# ---------------------------------------------------------------------------------------------


def test_r_random_numbers():
    r = cl.RRandom(1)  # set.seed(1); runif(5)
    assert np.allclose(r.unif(5), [0.2655087, 0.3721239, 0.5728534, 0.9082078, 0.2016819], atol=5e-8)
    # set.seed(1); sample.int(10, 5, replace = TRUE) with R < 3.6 ("Rounding"): 3 4 6 10 3
    assert (cl.RRandom(1).sample_replace(10, 5) + 1).tolist() == [3, 4, 6, 10, 3]
    draws = cl.RRandom(2).sample_prob_noreplace(np.array([0.1, 0.5, 0.2, 0.2]), 4)
    assert sorted(draws.tolist()) == [0, 1, 2, 3]  # without replacement: a permutation


# ---------------------------------------------------------------------------------------------
# the crimelinkage example data
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published() -> dict:
    return json.loads((DATA / "crimelinkage_published_outputs.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def example():
    crimes, offenders = cl.load_example(DATA)
    pairs = cl.make_pairs(crimes, offenders, thres=365, m=40, seed=1)
    return crimes, offenders, pairs, cl.compare_crimes(crimes, pairs)


@needs_data
def test_series_data_matches_the_vignette(example, published):
    crimes, offenders, _, _ = example
    series = cl.series_data(crimes, offenders)
    lengths = series["offenderID"].value_counts().value_counts().sort_index()
    assert {str(k): int(v) for k, v in lengths.items()} == published["series_length_distribution_table_nCrimes"]
    co = series["crimeID"].value_counts().value_counts().sort_index()
    assert {str(k): int(v) for k, v in co.items()} == published["co_offenders_per_crime_table_nCO"]
    groups = cl.crime_groups(series)
    assert groups.min() == 1 and len(set(groups)) == 289
    # a crime group never splits an offender or a crime
    frame = series.assign(g=groups)
    assert frame.groupby("offenderID")["g"].nunique().max() == 1 and frame.groupby("crimeID")["g"].nunique().max() == 1


@needs_data
def test_make_pairs_reproduces_the_published_counts_exactly(example, published):
    _, _, pairs, _ = example
    counts = pairs["type"].value_counts()
    assert counts["linked"] == published["makePairs_thres365_m40_seed1"]["linked"] == 255
    assert counts["unlinked"] == published["makePairs_thres365_m40_seed1"]["unlinked"] == 10_932
    assert (pairs["i1"] < pairs["i2"]).all() and not pairs.duplicated(["i1", "i2"]).any()
    linked = pairs[pairs["type"] == "linked"]
    assert linked["weight"].between(0, 1).all() and linked["weight"].sum() <= 59  # at most 1 per series of 2+
    assert (pairs.loc[pairs["type"] == "unlinked", "weight"] == 1).all()
    other = cl.make_pairs(*example[:2], rng="numpy", seed=1)  # NumPy's generator: another sample, same design
    assert (other["type"] == "linked").sum() == 255 and 10_000 < (other["type"] == "unlinked").sum() < 11_600


@needs_data
def test_features_have_the_documented_ranges(example):
    crimes, _, pairs, features = example
    assert list(features.columns) == ["i1", "i2", *cl.FEATURES] and features.index.equals(pairs.index)
    assert features["spatial"].between(0, 40).all()
    assert features["tod"].between(0, 12).all() and features["dow"].between(0, 3.5).all()
    # E|X - Y| lies between the gap between the midpoints and that plus half the two intervals' lengths
    c = crimes.set_index("crimeID")
    start1, start2 = c.loc[pairs["i1"], "DT.FROM"].to_numpy(), c.loc[pairs["i2"], "DT.FROM"].to_numpy()
    len1 = (c.loc[pairs["i1"], "DT.TO"].to_numpy() - start1) / np.timedelta64(1, "D")
    len2 = (c.loc[pairs["i2"], "DT.TO"].to_numpy() - start2) / np.timedelta64(1, "D")
    gap = np.abs((start1 - start2) / np.timedelta64(1, "D") + (len1 - len2) / 2)
    temporal = features["temporal"].to_numpy()
    assert (temporal >= gap - 1e-9).all() and (temporal <= gap + (len1 + len2) / 2 + 1e-9).all()
    assert gap.max() <= 365  # makePairs kept pairs at most a year apart (midpoints)
    for mo in ("MO1", "MO2", "MO3"):
        values = features[mo]
        assert set(values.dropna().unique()) <= {0.0, 1.0}
        unknown = c.loc[pairs["i1"], mo].isna().to_numpy() | c.loc[pairs["i2"], mo].isna().to_numpy()
        assert (values.isna().to_numpy() == unknown).all()
    r_style = cl.compare_crimes(crimes, pairs, categorical_na="crimelinkage")
    assert r_style["MO2"].notna().all()
    swapped = cl.compare_crimes(crimes, pairs.rename(columns={"i1": "i2", "i2": "i1"}))
    assert np.allclose(swapped[cl.FEATURES].fillna(-1), features[cl.FEATURES].fillna(-1))  # symmetric


@needs_data
def test_vignette_logistic_regression_is_reproduced(example, published):
    """The vignette's split (set.seed(3)) and its weighted glm on the variables step() kept."""
    crimes, _, pairs, _ = example
    features = cl.compare_crimes(crimes, pairs, categorical_na="crimelinkage")
    train = cl.RRandom(3).sample_prob_replace(np.array([0.7, 0.3]), len(pairs)) == 0
    assert train.sum() - 1 == 7900  # "glm training df = 7900"
    chosen = ["spatial", "temporal", "tod", "MO1"]
    model = PairModel.fit(features[train], pairs.loc[train, "linked"], features=chosen, knots=0, C=1e10,
                          sample_weight=pairs.loc[train, "weight"])
    want = published["stepwise_logistic_selected"]
    shift = 0.0
    for f in chosen:
        coef = model.terms[f]["coef"][0] / model.terms[f]["sd"][0]
        shift += coef * model.terms[f]["mean"][0]
        assert coef == pytest.approx(want[f], rel=1e-3, abs=1e-5), f
    assert model.intercept - shift == pytest.approx(want["(Intercept)"], abs=1e-3)


@needs_data
def test_held_out_auc(example):
    """Held-out AUC over 5 random 70/30 splits, by pairs (as the peer and the vignette) and by crime groups.

    Floors: by pairs, 0.90 for logistic regression (Tonkin et al. 2011 report AUC 0.903 for
    residential burglary; the peer's logistic regression measured 0.91 with this design) and 0.88
    for naive Bayes (the peer's measured 0.883); by crime groups (offenders never in both training
    and test: stricter, ~1,000 test pairs) 0.85. This implementation measures about 0.94, 0.92 and
    0.88-0.89 (docs/linkage-model.md).
    """
    crimes, offenders, pairs, features = example
    y = pairs["linked"].to_numpy()
    auc: dict[tuple[str, str], list[float]] = {}
    for scheme in ("pairs", "crimes"):
        for seed in range(5):
            train, test = cl.split_pairs(pairs, crimes, offenders, by=scheme, seed=seed)
            assert y[test].sum() >= 20 and not set(train) & set(test)
            for kind in ("logistic", "naive_bayes"):
                model = PairModel.fit(features.iloc[train], y[train], kind=kind, features=cl.FEATURES)
                scores = model.predict_proba(features.iloc[test])
                auc.setdefault((scheme, kind), []).append(evaluate(y[test], scores)["auc"])
    mean = {k: float(np.mean(v)) for k, v in auc.items()}
    assert mean[("pairs", "logistic")] > 0.90, mean
    assert mean[("pairs", "naive_bayes")] > 0.88, mean
    assert mean[("crimes", "logistic")] > 0.85 and mean[("crimes", "naive_bayes")] > 0.85, mean


@needs_data
def test_features_are_fast(example):
    crimes, _, pairs, _ = example
    every = cl.time_all_pairs(crimes, repeat=2)
    assert every["pairs"] == 490 * 489 // 2
    # ~1,000,000 pairs/s measured; the floor (20x the peer's ~5,000) leaves room for a slow machine
    assert every["pairs_per_s"] > 100_000, every
    assert cl.pairs_per_second(crimes, pairs[["i1", "i2"]], repeat=2)["pairs"] == len(pairs)


def test_compare_crimes_small_table():
    crimes = pd.DataFrame({
        "crimeID": ["a", "b", "c"], "X": [0.0, 3000.0, 0.0], "Y": [0.0, 4000.0, 0.0],
        "MO1": [1, 1, 2], "MO2": ["x", None, "x"], "MO3": ["p", "q", "p"],
        "DT.FROM": pd.to_datetime(["2020-01-06 23:00", "2020-01-07 01:00", "2020-01-13 23:00"]),
        "DT.TO": pd.to_datetime(["2020-01-06 23:00", "2020-01-07 01:00", "2020-01-14 01:00"]),
    })
    pairs = pd.DataFrame({"i1": ["a", "a", "b"], "i2": ["b", "c", "c"]})
    f = cl.compare_crimes(crimes, pairs)
    assert f["spatial"].tolist() == [5.0, 0.0, 5.0]
    assert f.loc[0, "temporal"] == pytest.approx(2 / 24) and f.loc[0, "tod"] == pytest.approx(2.0)
    assert f.loc[1, "temporal"] == pytest.approx(7 + 1 / 24)  # a week later, over two hours
    # a known time against the two hours starting at the same time of day, a week later: 1 hour on average
    assert f.loc[1, "tod"] == pytest.approx(1.0) and f.loc[1, "dow"] == pytest.approx(1 / 24)
    assert f["MO1"].tolist() == [1.0, 0.0, 0.0] and np.isnan(f.loc[0, "MO2"]) and f.loc[1, "MO2"] == 1.0
    with pytest.raises(KeyError, match="zz"):
        cl.compare_crimes(crimes, pd.DataFrame({"i1": ["a"], "i2": ["zz"]}))
