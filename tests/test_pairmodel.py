"""The pair model: fitting recovers what generated the data, files round-trip, base rates move right."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from threadline.link.pairmodel import PairModel, evaluate

TRUE = {"intercept": -2.0, "near": 1.5, "same_mo": -1.0, "gap": 0.5}


def synthetic(n: int, seed: int = 0, intercept: float = TRUE["intercept"]):
    """Pairs from a known logistic model: returns features, labels and the true probabilities."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"near": rng.normal(0, 1, n), "same_mo": (rng.random(n) < 0.3).astype(float),
                      "gap": rng.uniform(0, 5, n)})
    eta = intercept + TRUE["near"] * X["near"] + TRUE["same_mo"] * X["same_mo"] + TRUE["gap"] * X["gap"]
    p = expit(eta.to_numpy())
    return X, (rng.random(n) < p).astype(int), p


def raw_linear(model: PairModel) -> dict[str, float]:
    """Coefficients of a linear-terms logistic model on the features' own scale, and the intercept."""
    out, shift = {}, 0.0
    for f in model.features:
        term = model.terms[f]
        out[f] = term["coef"][0] / term["sd"][0]
        shift += out[f] * term["mean"][0]
    out["intercept"] = model.intercept - shift
    return out


@pytest.fixture(scope="module")
def data():
    return synthetic(20_000)


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _ = data
    return {"linear": PairModel.fit(X, y, knots=0, C=1e8), "spline": PairModel.fit(X, y),
            "nb": PairModel.fit(X, y, kind="naive_bayes")}


def test_logistic_recovers_the_generating_coefficients(fitted):
    got = raw_linear(fitted["linear"])
    for name, value in TRUE.items():
        assert got[name] == pytest.approx(value, abs=0.12), name


def test_splines_do_no_harm_when_the_truth_is_linear(data, fitted):
    X, _, p = data
    model = fitted["spline"]
    assert model.terms["near"]["knots"] and not model.terms["same_mo"]["knots"]  # a 0/1 feature stays linear
    assert model.info["C"] > 0 and model.info["cv_log_loss"] is not None  # penalty chosen by cross-validation
    assert np.mean(np.abs(model.predict_proba(X) - p)) < 0.02


def test_contributions_plus_intercept_are_the_logit(data, fitted):
    X, _, _ = data
    X = X.head(500).copy()
    X.loc[X.index[:50], "near"] = np.nan
    for model in fitted.values():
        contrib = model.contributions(X)
        assert list(contrib.columns) == model.features and contrib.index.equals(X.index)
        assert np.allclose(model.intercept + contrib.sum(axis=1), logit(model.predict_proba(X)))


def test_logistic_contributions_are_relative_to_the_training_average(data, fitted):
    X, _, _ = data
    contrib = fitted["linear"].contributions(X)
    assert np.allclose(contrib.mean(), 0, atol=1e-9)  # centred: 0 = a pair at the training average
    near = contrib["near"].to_numpy()
    slope = np.polyfit(X["near"], near, 1)[0]
    assert slope == pytest.approx(raw_linear(fitted["linear"])["near"], rel=1e-9)


def test_json_round_trip_gives_identical_predictions(tmp_path, data, fitted):
    X, _, _ = data
    X = X.head(1000).copy()
    X.loc[X.index[::7], "gap"] = np.nan
    for name, model in fitted.items():
        path = model.save(tmp_path / f"{name}.json")
        text = path.read_text(encoding="utf-8")
        json.loads(text)  # plain JSON
        assert "NaN" not in text and "Infinity" not in text
        again = PairModel.load(path)
        assert again == model
        assert np.array_equal(again.predict_proba(X), model.predict_proba(X))
        assert np.array_equal(PairModel.from_dict(json.loads(json.dumps(model.to_dict()))).predict_proba(X),
                              model.predict_proba(X))


def test_loading_rejects_what_is_not_a_pair_model():
    with pytest.raises(ValueError, match="not a Threadline pair model"):
        PairModel.from_dict({"kind": "logistic", "features": []})
    with pytest.raises(ValueError, match="newer"):
        PairModel.from_dict({"format": "threadline.pairmodel", "version": 99, "kind": "logistic", "features": [],
                             "terms": {}})


def test_with_prior_shifts_the_log_odds_of_every_pair_by_the_same_amount(data, fitted):
    X, _, _ = data
    X = X.head(300)
    for model in fitted.values():
        moved = model.with_prior(0.001)
        assert moved.prior == 0.001 and model.prior == pytest.approx(model.train_rate)  # original untouched
        shift = logit(moved.predict_proba(X)) - logit(model.predict_proba(X))
        assert np.allclose(shift, logit(0.001) - logit(model.prior))
        assert moved.contributions(X).equals(model.contributions(X))
        assert np.allclose(moved.with_prior(model.prior).predict_proba(X), model.predict_proba(X))
    with pytest.raises(ValueError):
        fitted["linear"].with_prior(0.0)


def test_fit_with_prior_is_fit_then_with_prior(data):
    X, y, _ = data
    a = PairModel.fit(X, y, knots=0, C=1.0, prior=0.01)
    b = PairModel.fit(X, y, knots=0, C=1.0).with_prior(0.01)
    assert a.prior == 0.01 and a.intercept == pytest.approx(b.intercept)


def test_prior_correction_undoes_case_control_sampling():
    """King & Zeng: fit on all linked pairs and 20% of the unlinked, correct to the population rate."""
    X, y, _ = synthetic(200_000, seed=1, intercept=-5.0)
    population_rate = y.mean()
    rng = np.random.default_rng(2)
    keep = (y == 1) | (rng.random(len(y)) < 0.2)
    model = PairModel.fit(X[keep], y[keep], knots=0, C=1e8)
    assert model.train_rate > 3 * population_rate and abs(logit(model.train_rate)) > 1
    corrected = model.with_prior(population_rate)
    assert raw_linear(corrected)["intercept"] == pytest.approx(-5.0, abs=0.15)
    assert raw_linear(model)["intercept"] > -3.6  # uncorrected: far too likely to link
    assert corrected.predict_proba(X).mean() == pytest.approx(population_rate, rel=0.1)


def test_sample_weights_are_used():
    X, y, _ = synthetic(5000, seed=3)
    w = np.where(y == 1, 0.2, 1.0)
    model = PairModel.fit(X, y, knots=0, C=1e8, sample_weight=w)
    assert model.train_rate == pytest.approx(np.average(y, weights=w)) and model.info["weighted"]
    with pytest.raises(ValueError):
        PairModel.fit(X, y, sample_weight=-w)


def test_missing_values_in_logistic_regression():
    X, y, _ = synthetic(8000, seed=4)
    rng = np.random.default_rng(5)
    # "near" is unknown more often for linked pairs: unknown is itself evidence
    hide = rng.random(len(y)) < np.where(y == 1, 0.5, 0.1)
    X = X.assign(near=X["near"].mask(hide))
    model = PairModel.fit(X, y)
    term = model.terms["near"]
    assert term["missing_indicator"] and not model.terms["gap"]["missing_indicator"]
    assert term["coef"][-1] > 0  # unknown raises the odds, as it should here
    probe = pd.DataFrame({"near": [np.nan, 0.0], "same_mo": [0.0, 0.0], "gap": [np.nan, np.nan]})
    contrib = model.contributions(probe)
    assert np.isfinite(model.predict_proba(probe)).all()
    assert contrib["gap"].tolist() == [0.0, 0.0]  # never unknown in training: unknown = training average
    assert contrib.loc[0, "near"] != contrib.loc[1, "near"]


def test_naive_bayes_learns_weights_of_evidence(data, fitted):
    X, y, p = data
    nb = fitted["nb"]
    near = nb.terms["near"]
    assert near["levels"] is None and len(near["edges"]) == 14  # 15 quantile bins
    assert nb.terms["same_mo"]["levels"] == [0.0, 1.0]  # 0/1 feature keeps its values
    woe = np.asarray(near["woe"])
    assert woe[-1] > 1.0 > -1.0 > woe[0]  # larger "near", more linked (true slope 1.5)
    assert np.corrcoef(np.arange(len(woe)), woe)[0, 1] > 0.95
    mo = nb.terms["same_mo"]["woe"]
    assert mo[1] < 0 < mo[0]  # a match on this feature argues against a link (true coefficient -1)
    assert nb.info["calibrated"] and nb.scale > 0
    # calibrated: the mean prediction is the base rate; it ranks nearly as well as the true model
    assert nb.predict_proba(X).mean() == pytest.approx(y.mean(), abs=0.01)
    test_X, test_y, test_p = synthetic(5000, seed=9)
    assert evaluate(test_y, nb.predict_proba(test_X))["auc"] > evaluate(test_y, test_p)["auc"] - 0.02


def test_naive_bayes_without_calibration_is_porters_sum():
    X, y, _ = synthetic(3000, seed=6)
    nb = PairModel.fit(X, y, kind="naive_bayes", calibrate=False)
    assert nb.scale == 1.0 and nb.intercept == pytest.approx(logit(y.mean()))
    contrib = nb.contributions(X.head(5))
    for f in nb.features:  # each contribution is one bin's log Bayes factor
        assert set(np.round(contrib[f], 12)) <= set(np.round(nb.terms[f]["woe"], 12))


def test_naive_bayes_missing_bin_and_unseen_values():
    X, y, _ = synthetic(6000, seed=7)
    X = X.assign(same_mo=X["same_mo"].mask(np.random.default_rng(8).random(len(y)) < 0.2))
    nb = PairModel.fit(X, y, kind="naive_bayes")
    assert nb.terms["same_mo"]["missing_bin"] and not nb.terms["near"]["missing_bin"]
    assert len(nb.terms["same_mo"]["woe"]) == 3  # 0, 1 and missing
    probe = pd.DataFrame({"near": [np.nan, 100.0], "same_mo": [np.nan, 7.0], "gap": [2.0, -50.0]})
    contrib = nb.contributions(probe)
    assert contrib.loc[0, "near"] == 0.0  # unknown, never unknown in training: no evidence
    assert contrib.loc[0, "same_mo"] == pytest.approx(nb.scale * nb.terms["same_mo"]["woe"][2])
    assert contrib.loc[1, "same_mo"] == 0.0  # a level never seen: no evidence
    assert contrib.loc[1, "near"] == pytest.approx(nb.scale * nb.terms["near"]["woe"][-1])  # beyond the range: end bin
    assert contrib.loc[1, "gap"] == pytest.approx(nb.scale * nb.terms["gap"]["woe"][0])


def test_fit_checks_its_input(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="kind"):
        PairModel.fit(X, y, kind="forest")
    with pytest.raises(ValueError, match="both linked and unlinked"):
        PairModel.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="0/1"):
        PairModel.fit(X, np.full(len(X), 2))
    model = PairModel.fit(X.head(2000), y[:2000], features=["near", "gap"], knots=0, C=1.0)
    assert model.features == ["near", "gap"] and model.info["n_pairs"] == 2000
    with pytest.raises(KeyError, match="gap"):
        model.predict_proba(X[["near"]])
    default = PairModel.fit(X.assign(label=np.where(y == 1, "yes", "no")).head(2000), y[:2000], C=1.0)
    assert default.features == ["near", "same_mo", "gap"]  # numeric columns only


def test_evaluate():
    y = np.array([0, 0, 1, 1, 0, 1])
    perfect = evaluate(y, [0.1, 0.2, 0.8, 0.9, 0.3, 0.7])
    assert perfect == {"auc": 1.0, "average_precision": 1.0, "pairs": 6, "linked": 3}
    assert evaluate(y, [0.9, 0.8, 0.1, 0.2, 0.7, 0.3])["auc"] == 0.0
    assert evaluate([True, False], [0.2, 0.1])["auc"] == 1.0


def test_few_linked_pairs_still_fit():
    X, y, _ = synthetic(400, seed=10)
    few = np.zeros_like(y)
    few[np.flatnonzero(y)[:1]] = 1  # a single linked pair: no cross-validation possible
    for kind in ("logistic", "naive_bayes"):
        model = PairModel.fit(X, few, kind=kind)
        assert np.isfinite(model.predict_proba(X)).all()
    assert PairModel.fit(X, few).info["C"] == 1.0
    assert not PairModel.fit(X, few, kind="naive_bayes").info["calibrated"]


def test_a_feature_never_observed_in_training():
    X, y, _ = synthetic(2000, seed=11)
    X = X.assign(blank=np.nan)
    probe = X.head(3).assign(blank=[np.nan, 1.0, 0.0])
    for kind in ("logistic", "naive_bayes"):
        model = PairModel.fit(X, y, kind=kind)
        assert "blank" in model.features
        contrib = model.contributions(probe)
        assert np.isfinite(model.predict_proba(probe)).all()
        assert np.allclose(contrib["blank"], 0.0)  # nothing learnt, no evidence either way
