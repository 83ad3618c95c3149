"""Interrupted time series (segmented quasi-Poisson regression, Bernal, Cummins and Gasparrini 2017)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from threadline.analyse.violence.its import MIN_MONTHS_EACH_SIDE, interrupted_time_series

MONTHS = pd.period_range("2022-01", periods=36, freq="M")
CHANGE = "2023-07-01"  # month 18 of 0..35


def _simulate(rng, p_before=0.08, p_after=0.16, months=MONTHS, change_at=18):
    n = rng.integers(40, 81, len(months))
    p = np.where(np.arange(len(months)) >= change_at, p_after, p_before)
    return pd.DataFrame({"month": months.astype(str), "events": rng.binomial(n, p), "exposure": n})


def _exact(level=2.0, slope=1.0, trend=1.01, base=0.1, seasonal_amp=0.0, exposure=1000.0):
    """A noiseless series built from the model itself (non-integer 'events' are fine for the fit)."""
    t = np.arange(36, dtype=float)
    since = np.where(t >= 18, t - 18, 0.0)
    post = (t >= 18).astype(float)
    moy = np.array([m.month for m in MONTHS], dtype=float)
    log_rate = (np.log(base) + t * np.log(trend) + post * np.log(level) + since * np.log(slope)
                + seasonal_amp * np.sin(2 * np.pi * moy / 12))
    return pd.DataFrame({"month": MONTHS.to_timestamp(), "events": exposure * np.exp(log_rate),
                         "exposure": exposure})


# --------------------------------------------------------------------------------------------------
# Calibration on simulated data
# --------------------------------------------------------------------------------------------------


def test_step_only_interval_covers_the_true_rate_ratio():
    """Binomial events out of 40-80 a month, share 8% then 16% (true rate ratio 2) from month 18."""
    rng = np.random.default_rng(20230701)
    covered, estimates = 0, []
    for _ in range(200):
        r = interrupted_time_series(_simulate(rng), CHANGE, step_only=True)
        covered += r.level_low <= 2.0 <= r.level_high
        estimates.append(np.log(r.level_change_rr))
    assert covered / 200 >= 0.85
    # Not covering by being uselessly wide: the estimate centres on the truth.
    assert np.exp(np.median(estimates)) == pytest.approx(2.0, rel=0.1)


def test_no_change_interval_covers_one_most_of_the_time():
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(200):
        r = interrupted_time_series(_simulate(rng, p_after=0.08), CHANGE, step_only=True)
        covered += r.level_low <= 1.0 <= r.level_high
    assert covered / 200 >= 0.9


def test_step_is_usually_detected_with_a_level_only_model():
    """Power: with an 8% -> 16% step the level change is significant in most simulations."""
    rng = np.random.default_rng(11)
    hits = sum(interrupted_time_series(_simulate(rng), CHANGE, step_only=True).level_p < 0.05 for _ in range(50))
    assert hits >= 25


# --------------------------------------------------------------------------------------------------
# The model recovers what it was built from
# --------------------------------------------------------------------------------------------------


def test_noiseless_series_recovers_level_slope_and_trend():
    r = interrupted_time_series(_exact(level=2.0, slope=1.02, trend=1.01), CHANGE)
    assert r.level_change_rr == pytest.approx(2.0, rel=1e-6)
    assert r.slope_change_rr == pytest.approx(1.02, rel=1e-6)
    assert r.pre_trend_rr == pytest.approx(1.01, rel=1e-6)
    # Last month is 17 months after the change month.
    assert r.relative_change_at_end == pytest.approx(2.0 * 1.02 ** 17, rel=1e-6)
    s = r.series
    assert list(s.columns[:4]) == ["month", "observed_rate", "fitted_rate", "counterfactual_rate"]
    before = s[~s["post"]]
    np.testing.assert_allclose(before["fitted_rate"], before["counterfactual_rate"], rtol=1e-9)
    np.testing.assert_allclose(s["fitted_rate"], s["observed_rate"], rtol=1e-6)
    after = s[s["post"]]
    np.testing.assert_allclose(after["fitted_rate"] / after["counterfactual_rate"],
                               2.0 * 1.02 ** np.arange(18), rtol=1e-6)


def test_seasonal_terms_absorb_a_seasonal_pattern():
    data = _exact(level=1.5, trend=1.0, seasonal_amp=0.4)
    with_season = interrupted_time_series(data, CHANGE, step_only=True, seasonal=True)
    assert with_season.level_change_rr == pytest.approx(1.5, rel=1e-6)
    assert with_season.seasonal and "time of year" in with_season.summary()
    without = interrupted_time_series(data, CHANGE, step_only=True)
    assert without.dispersion > 1  # the unmodelled season shows up as overdispersion


def test_step_only_has_no_slope_and_end_change_equals_level():
    rng = np.random.default_rng(3)
    r = interrupted_time_series(_simulate(rng), CHANGE, step_only=True)
    assert r.slope_change_rr is None and r.slope_p is None
    assert r.relative_change_at_end == pytest.approx(r.level_change_rr)
    assert (r.end_low, r.end_high) == pytest.approx((r.level_low, r.level_high))


def test_dispersion_is_pearson_over_df_floored_at_one():
    rng = np.random.default_rng(5)
    # Overdispersed: the monthly share itself varies (beta-binomial).
    n = np.full(36, 200)
    p = rng.beta(4, 30, 36)
    data = pd.DataFrame({"month": MONTHS.astype(str), "events": rng.binomial(n, p), "exposure": n})
    r = interrupted_time_series(data, CHANGE, step_only=True)
    t = np.arange(36.0)
    X = np.column_stack([np.ones(36), t, (t >= 18).astype(float)])
    ref = sm.GLM(data["events"].to_numpy(), X, family=sm.families.Poisson(), offset=np.log(n)).fit()
    assert r.dispersion == pytest.approx(ref.pearson_chi2 / ref.df_resid, rel=1e-6)
    assert r.dispersion > 1.5
    se = np.sqrt(np.asarray(ref.cov_params())[2, 2] * r.dispersion)
    assert r.level_high == pytest.approx(np.exp(ref.params[2] + 1.959964 * se), rel=1e-4)
    # Underdispersed (a constant share): the floor keeps the scale at 1.
    flat = pd.DataFrame({"month": MONTHS.astype(str), "events": 20, "exposure": 100})
    assert interrupted_time_series(flat, CHANGE, step_only=True).dispersion == 1.0


def test_counts_model_without_exposure():
    rng = np.random.default_rng(9)
    data = pd.DataFrame({"month": MONTHS.astype(str),
                         "events": rng.poisson(np.where(np.arange(36) >= 18, 30, 10))})
    for r in (interrupted_time_series(data, CHANGE, step_only=True),
              interrupted_time_series(data.assign(exposure=5), CHANGE, exposure=None, step_only=True)):
        assert r.kind == "count"
        assert 2.0 < r.level_change_rr < 4.5
        assert "a month" in r.summary()


def test_month_formats_and_order_do_not_matter():
    rng = np.random.default_rng(1)
    data = _simulate(rng)
    as_str = interrupted_time_series(data, CHANGE, step_only=True)
    as_dates = data.assign(month=[date(p.year, p.month, 1) for p in MONTHS])
    shuffled = as_dates.sample(frac=1.0, random_state=0)
    for other, change in ((as_dates, date(2023, 7, 15)), (shuffled, "2023-07")):
        r = interrupted_time_series(other, change, step_only=True)
        assert r.level_change_rr == pytest.approx(as_str.level_change_rr)
        assert r.months_before == 18 and r.months_after == 18


def test_months_without_exposure_are_left_out():
    rng = np.random.default_rng(2)
    data = _simulate(rng)
    data.loc[[0, 30], ["events", "exposure"]] = 0
    r = interrupted_time_series(data, CHANGE, step_only=True)
    assert (r.months_before, r.months_after) == (17, 17)
    assert len(r.series) == 34


# --------------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["2022-03-01", "2024-11-01", "2021-01-01", "2025-06-01"])
def test_refuses_with_too_few_months_either_side(change):
    data = _simulate(np.random.default_rng(0))
    with pytest.raises(ValueError, match=f"at least {MIN_MONTHS_EACH_SIDE} months on each side"):
        interrupted_time_series(data, change)


def test_three_months_each_side_is_enough():
    data = _simulate(np.random.default_rng(0)).iloc[15:21]
    r = interrupted_time_series(data, CHANGE, step_only=True)
    assert (r.months_before, r.months_after) == (3, 3)


def test_refuses_without_events():
    data = _simulate(np.random.default_rng(0)).assign(events=0)
    with pytest.raises(ValueError, match="no events in any month"):
        interrupted_time_series(data, CHANGE)
    one_side = _simulate(np.random.default_rng(0))
    one_side.loc[:17, "events"] = 0
    with pytest.raises(ValueError, match="no events in the months before"):
        interrupted_time_series(one_side, CHANGE)


def test_refuses_bad_input():
    data = _simulate(np.random.default_rng(0))
    with pytest.raises(ValueError, match="once"):
        interrupted_time_series(pd.concat([data, data.iloc[:1]]), CHANGE)
    with pytest.raises(ValueError, match="columns"):
        interrupted_time_series(data.rename(columns={"events": "n"}), CHANGE)
    with pytest.raises(ValueError, match="negative"):
        interrupted_time_series(data.assign(events=-1), CHANGE)
    bad = data.copy()
    bad.loc[3, "exposure"] = 0
    bad.loc[3, "events"] = 2
    with pytest.raises(ValueError, match="without exposure"):
        interrupted_time_series(bad, CHANGE)


# --------------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------------


def test_summary_states_the_numbers():
    r = interrupted_time_series(_simulate(np.random.default_rng(4)), CHANGE, step_only=True)
    text = r.summary("the share of eligible cases given outcome 22", "training", on="2023-07-01")
    assert text.startswith("After training on 1 July 2023 the share of eligible cases given outcome 22 ")
    assert f"about {100 * r.rate_before:.0f}%" in text or f"about {100 * r.rate_before:.1f}%" in text
    assert f"about {100 * r.rate_after:.0f}%" in text
    assert f"rate ratio {r.level_change_rr:.2g}" in text
    assert f"95% interval {r.level_low:.2g} to {r.level_high:.2g}" in text
    assert "18 months before" in text and "cannot separate training" in text
    full = interrupted_time_series(_simulate(np.random.default_rng(4)), CHANGE).summary(intervention="training")
    assert "month-on-month trend" in full and "times what the earlier trend predicted" in full
    assert r.as_dict()["change_month"] == "2023-07"


def test_summary_says_fell_and_chance():
    data = _exact(level=0.5, trend=1.0)
    data["events"] = np.round(data["events"])
    r = interrupted_time_series(data, CHANGE, step_only=True)
    assert " fell from about 10% " in r.summary() and "more than chance" in r.summary()
    rng = np.random.default_rng(8)
    flat = interrupted_time_series(_simulate(rng, p_after=0.08), CHANGE, step_only=True)
    if flat.level_p >= 0.05:
        assert "could be chance" in flat.summary()
