"""Relative rate indices, rates and stage tables checked against hand computation and by simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta, binom, poisson

from threadline.analyse.violence.disproportionality import (
    RRI,
    rate_per,
    rate_table,
    relative_rate_index,
    stage_table,
)

Z = 1.959964  # the 97.5% point of the standard normal, written out


# --------------------------------------------------------------------------------------------------
# relative_rate_index: Katz
# --------------------------------------------------------------------------------------------------


def test_katz_matches_the_formula_by_hand():
    a, n_a, b, n_b = 30, 2_000, 45, 20_000
    rri = (30 / 2_000) / (45 / 20_000)
    se = math.sqrt(1 / 30 - 1 / 2_000 + 1 / 45 - 1 / 20_000)
    res = relative_rate_index(a, n_a, b, n_b)
    assert isinstance(res, RRI)
    assert res.rri == pytest.approx(6.666667, abs=1e-6)
    assert res.rri == pytest.approx(rri, rel=1e-12)
    assert res.low == pytest.approx(rri * math.exp(-Z * se), rel=1e-6)
    assert res.high == pytest.approx(rri * math.exp(Z * se), rel=1e-6)
    assert res.method == "katz" and res.note is None
    # a 90% interval is narrower, by the 95% point of the normal (1.644854)
    res90 = relative_rate_index(a, n_a, b, n_b, alpha=0.10)
    assert res90.low == pytest.approx(rri * math.exp(-1.644854 * se), rel=1e-6)


def test_katz_zero_cell_uses_haldane_anscombe_and_says_so():
    res = relative_rate_index(0, 500, 20, 10_000)
    a, n_a, b, n_b = 0.5, 501, 20.5, 10_001  # 0.5 added to events and non-events of both groups
    rri = (a / n_a) / (b / n_b)
    se = math.sqrt(1 / a - 1 / n_a + 1 / b - 1 / n_b)
    assert res.rri == pytest.approx(rri, rel=1e-9)
    assert res.low == pytest.approx(rri * math.exp(-Z * se), rel=1e-6)
    assert res.high == pytest.approx(rri * math.exp(Z * se), rel=1e-6)
    assert "Haldane" in res.note and "a" in res.note
    # the reference group without events: finite, corrected, noted
    res_b = relative_rate_index(7, 500, 0, 10_000)
    assert math.isfinite(res_b.high) and res_b.low > 1 and "b = 0" in res_b.note


def test_no_events_anywhere_gives_no_ratio():
    for method in ("katz", "exact"):
        res = relative_rate_index(0, 100, 0, 1_000, method=method)
        assert math.isnan(res.rri) and res.low == 0 and res.high == math.inf
        assert "undefined" in res.note


# --------------------------------------------------------------------------------------------------
# relative_rate_index: exact conditional
# --------------------------------------------------------------------------------------------------


def test_exact_matches_clopper_pearson_by_hand():
    a, n_a, b, n_b = 30, 2_000, 45, 20_000
    m = a + b
    pi_low = beta.ppf(0.025, a, m - a + 1)
    pi_high = beta.ppf(0.975, a + 1, m - a)
    # the Clopper-Pearson limits are where the binomial tails hold 2.5% each
    assert binom.sf(a - 1, m, pi_low) == pytest.approx(0.025, abs=1e-9)
    assert binom.cdf(a, m, pi_high) == pytest.approx(0.025, abs=1e-9)
    res = relative_rate_index(a, n_a, b, n_b, method="exact")
    assert res.rri == pytest.approx(20 / 3, rel=1e-12)
    assert res.low == pytest.approx(pi_low * n_b / ((1 - pi_low) * n_a), rel=1e-9)
    assert res.high == pytest.approx(pi_high * n_b / ((1 - pi_high) * n_a), rel=1e-9)
    assert res.method == "exact"


def test_exact_zero_cells_have_closed_forms():
    # a = 0: pi_high = 1 - (alpha/2)^(1/m); b = 0: pi_low = (alpha/2)^(1/m)
    res = relative_rate_index(0, 1_000, 12, 4_000, method="exact")
    pi_high = 1 - 0.025 ** (1 / 12)
    assert res.rri == 0 and res.low == 0
    assert res.high == pytest.approx(pi_high * 4_000 / ((1 - pi_high) * 1_000), rel=1e-9)
    res = relative_rate_index(9, 1_000, 0, 4_000, method="exact")
    pi_low = 0.025 ** (1 / 9)
    assert res.rri == math.inf and res.high == math.inf
    assert res.low == pytest.approx(pi_low * 4_000 / ((1 - pi_low) * 1_000), rel=1e-9)
    assert "b = 0" in res.note


# --------------------------------------------------------------------------------------------------
# coverage by simulation
# --------------------------------------------------------------------------------------------------


def _coverage(method: str, draw: str, seed: int, n: int = 400) -> float:
    rng = np.random.default_rng(seed)
    n_a, n_b, p_a, p_b = 2_000, 20_000, 0.015, 0.00225
    true = p_a / p_b
    if draw == "binomial":
        a_s, b_s = rng.binomial(n_a, p_a, n), rng.binomial(n_b, p_b, n)
    else:
        a_s, b_s = rng.poisson(n_a * p_a, n), rng.poisson(n_b * p_b, n)
    hits = 0
    for a, b in zip(a_s, b_s, strict=True):
        res = relative_rate_index(int(a), n_a, int(b), n_b, method=method)
        hits += res.low <= true <= res.high
    return hits / n


@pytest.mark.parametrize(("method", "draw"), [("katz", "binomial"), ("exact", "poisson"), ("exact", "binomial")])
def test_interval_covers_the_true_ratio_about_95_percent(method, draw):
    cover = _coverage(method, draw, seed=20240801)
    assert 0.92 <= cover <= 0.98, cover


def test_coverage_check_can_fail():
    # the same simulation with a 50% interval must fall well outside the 95% band
    rng = np.random.default_rng(7)
    a_s, b_s = rng.binomial(2_000, 0.015, 400), rng.binomial(20_000, 0.00225, 400)
    hits = 0
    for a, b in zip(a_s, b_s, strict=True):
        res = relative_rate_index(int(a), 2_000, int(b), 20_000, alpha=0.5)
        hits += res.low <= 20 / 3 <= res.high
    assert hits / 400 < 0.7


# --------------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((-1, 100, 5, 100), {}, "negative"),
        ((5, 100, -2, 100), {}, "negative"),
        ((101, 100, 5, 100), {}, "more events than people"),
        ((5, 100, 101, 100), {}, "more events than people"),
        ((5, 0, 5, 100), {}, "positive"),
        ((5, 100, 5, 0), {}, "positive"),
        ((5, 100, 5, 100), {"method": "wald"}, "method"),
        ((5, 100, 5, 100), {"alpha": 1.5}, "alpha"),
        ((math.nan, 100, 5, 100), {}, "finite"),
    ],
)
def test_bad_inputs_raise(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        relative_rate_index(*args, **kwargs)


def test_rate_per_is_garwood():
    rate, low, high = rate_per(12, 8_000, per=1_000)
    assert rate == pytest.approx(1.5)
    # the Garwood limits are where the Poisson tails hold 2.5% each
    assert poisson.sf(11, low * 8) == pytest.approx(0.025, abs=1e-9)
    assert poisson.cdf(12, high * 8) == pytest.approx(0.025, abs=1e-9)
    rate, low, high = rate_per(0, 2_000)
    assert rate == 0 and low == 0 and high == pytest.approx(-math.log(0.025) / 2, rel=1e-9)  # 1.8444 per 1,000
    with pytest.raises(ValueError, match="population"):
        rate_per(3, 0)
    with pytest.raises(ValueError, match="negative"):
        rate_per(-3, 100)


# --------------------------------------------------------------------------------------------------
# rate_table
# --------------------------------------------------------------------------------------------------

GROUPS = ["asian", "black", "mixed", "white", "other"]


def _population(areas=("A",)):
    pops = {"asian": 3_000, "black": 2_000, "mixed": 1_000, "white": 20_000, "other": 500}
    return pd.DataFrame([{"area": a, "group5": g, "population": pops[g]} for a in areas for g in GROUPS])


def test_rate_table_fills_absent_groups_with_zero_and_matches_hand():
    counts = pd.DataFrame({"area": ["A", "A", "A"], "group5": ["black", "white", "white"], "count": [30, 40, 5]})
    out = rate_table(counts, _population(), by=["area"])
    assert list(out["group5"]) == GROUPS  # Home Office order
    assert list(out.columns) == ["area", "group5", "count", "population", "rate", "rate_low", "rate_high", "rri",
                                 "rri_low", "rri_high", "method", "note"]
    row = out.set_index("group5")
    assert row.loc["white", "count"] == 45  # duplicate keys added up
    for g in ("asian", "mixed", "other"):
        assert row.loc[g, "count"] == 0 and row.loc[g, "rate"] == 0
        assert "Haldane" in row.loc[g, "note"]
    assert row.loc["black", "rate"] == pytest.approx(15.0)
    se = math.sqrt(1 / 30 - 1 / 2_000 + 1 / 45 - 1 / 20_000)
    assert row.loc["black", "rri"] == pytest.approx(20 / 3)
    assert row.loc["black", "rri_low"] == pytest.approx(20 / 3 * math.exp(-Z * se), rel=1e-6)
    assert row.loc["white", "rri"] == 1 and math.isnan(row.loc["white", "rri_low"])
    assert row.loc["white", "note"] == "reference group"


def test_rate_table_without_reference_events_computes_no_rri():
    counts = pd.DataFrame({"area": ["A", "A", "B"], "group5": ["black", "white", "black"], "count": [6, 10, 4]})
    out = rate_table(counts, _population(("A", "B")), by=["area"], method="exact")
    b = out[out["area"] == "B"].set_index("group5")
    assert b["rri"].isna().all()
    assert b.loc["black", "rate"] == pytest.approx(2.0)  # the rate is still there
    assert "no events" in b.loc["black", "note"] and "white" in b.loc["black", "note"]
    a = out[out["area"] == "A"].set_index("group5")
    assert a.loc["black", "rri"] == pytest.approx((6 / 2_000) / (10 / 20_000))
    assert (out["method"] == "exact").all()


def test_rate_table_keeps_groups_without_population():
    counts = pd.DataFrame({"group5": ["black", "white", "not_stated"], "count": [3, 9, 4]})
    out = rate_table(counts, _population().drop(columns="area"))
    ns = out.set_index("group5").loc["not_stated"]
    assert ns["count"] == 4 and math.isnan(ns["rate"]) and math.isnan(ns["rri"])
    assert "no population" in ns["note"]
    assert out["group5"].iloc[-1] == "not_stated"


def test_rate_table_rejects_missing_columns_and_negative_counts():
    with pytest.raises(ValueError, match="count"):
        rate_table(pd.DataFrame({"group5": ["white"], "n": [3]}), _population().drop(columns="area"))
    with pytest.raises(ValueError, match="negative"):
        rate_table(pd.DataFrame({"group5": ["white"], "count": [-3]}), _population().drop(columns="area"))


# --------------------------------------------------------------------------------------------------
# stage_table
# --------------------------------------------------------------------------------------------------


def _people(group, suspects, arrested, charged, area="A"):
    rows = []
    for n in range(suspects):
        rows.append({"area": area, "group5": group, "suspect": True, "arrested": n < arrested, "charged": n < charged,
                     "out_of_court": False, "outcome_22": None})
    return rows


def test_stage_table_rates_and_shares_of_suspects():
    people = pd.DataFrame(_people("black", 40, 20, 10) + _people("white", 100, 30, 12))
    pop = _population().drop(columns="area")
    out = stage_table(people.drop(columns="area"), pop, stages=("suspect", "arrested", "charged", "outcome_22"))
    assert list(out.columns[:14]) == ["stage", "group5", "count", "population", "rate", "rate_low", "rate_high", "rri",
                                      "rri_low", "rri_high", "of_suspects", "of_suspects_rri", "of_suspects_rri_low",
                                      "of_suspects_rri_high"]
    arr = out[out["stage"] == "arrested"].set_index("group5")
    assert arr.loc["black", "count"] == 20 and arr.loc["black", "rate"] == pytest.approx(10.0)
    assert arr.loc["black", "rri"] == pytest.approx((20 / 2_000) / (30 / 20_000))
    assert arr.loc["black", "of_suspects"] == pytest.approx(0.5)
    assert arr.loc["white", "of_suspects"] == pytest.approx(0.3)
    se = math.sqrt(1 / 20 - 1 / 40 + 1 / 30 - 1 / 100)
    assert arr.loc["black", "of_suspects_rri"] == pytest.approx(0.5 / 0.3)
    assert arr.loc["black", "of_suspects_rri_low"] == pytest.approx(0.5 / 0.3 * math.exp(-Z * se), rel=1e-6)
    assert arr.loc["black", "of_suspects_rri_high"] == pytest.approx(0.5 / 0.3 * math.exp(Z * se), rel=1e-6)
    assert arr.loc["white", "of_suspects_rri"] == 1
    # groups with no suspects have no share
    assert math.isnan(arr.loc["asian", "of_suspects"]) and arr.loc["asian", "count"] == 0
    # the base stage is all of the suspects, with no ratio of shares
    sus = out[out["stage"] == "suspect"].set_index("group5")
    assert sus.loc["black", "of_suspects"] == 1 and math.isnan(sus.loc["black", "of_suspects_rri"])
    ch = out[out["stage"] == "charged"].set_index("group5")
    assert ch.loc["black", "of_suspects"] == pytest.approx(0.25)
    assert ch.loc["white", "of_suspects"] == pytest.approx(0.12)
    # missing stage values count as False
    o22 = out[out["stage"] == "outcome_22"].set_index("group5")
    assert o22.loc["black", "count"] == 0 and "no events" in o22.loc["black", "of_suspects_note"]


def test_stage_table_by_area():
    people = pd.DataFrame(_people("black", 10, 5, 2, "A") + _people("white", 20, 4, 1, "A")
                          + _people("black", 8, 8, 3, "B") + _people("white", 30, 15, 5, "B"))
    out = stage_table(people, _population(("A", "B")), stages=("suspect", "arrested", "charged"), by=["area"])
    assert len(out) == 3 * 2 * 5
    b = out[(out["stage"] == "arrested") & (out["area"] == "B")].set_index("group5")
    assert b.loc["black", "of_suspects"] == 1.0 and b.loc["white", "of_suspects"] == 0.5
    assert b.loc["black", "of_suspects_rri"] == pytest.approx(2.0)


def test_stage_table_rejects_later_stage_without_suspicion():
    people = pd.DataFrame(_people("black", 3, 1, 0))
    people.loc[0, "suspect"] = False
    with pytest.raises(ValueError, match="later stage"):
        stage_table(people, _population(), stages=("suspect", "arrested"), by=["area"])
