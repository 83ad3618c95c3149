"""Emerging trends: the quarterly Farrington expectation and Benjamini-Hochberg across series."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from threadline.analyse import trends
from threadline.analyse.trends import (
    MAX_BASELINE,
    MIN_BASELINE,
    MIN_OBSERVED,
    Exceedance,
    benjamini_hochberg,
    expected_count,
    flag_series,
)


def seasons_ending(n: int, last_season: int = 4) -> np.ndarray:
    """Quarter-of-year of ``n`` consecutive quarters ending with ``last_season``."""
    return np.array([(last_season - 1 - (n - 1 - i)) % 4 + 1 for i in range(n)])


def test_seasons_helper():
    assert seasons_ending(6, 4).tolist() == [3, 4, 1, 2, 3, 4]
    assert seasons_ending(3, 1).tolist() == [3, 4, 1]


# --------------------------------------------------------------------------------------------------
# expected_count
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("level", [4.0, 20.0])
def test_stable_poisson_level_is_recovered(seed, level):
    rng = np.random.default_rng(seed)
    history = rng.poisson(level, MAX_BASELINE)
    seasons = seasons_ending(MAX_BASELINE)
    r = expected_count(history, seasons, 1, observed=int(level))
    assert r is not None and r.baseline_quarters == MAX_BASELINE
    # The expectation is the level within sampling error of a mean of 20 quarters, plus the
    # seasonal terms' own noise (5 quarters per season): well inside 3 standard errors of 5 points.
    assert r.expected == pytest.approx(level, abs=3 * np.sqrt(level / 5))
    assert r.threshold > r.expected
    assert r.dispersion >= 1.0


def test_constant_history_gives_the_poisson_threshold_and_tail():
    history = np.full(MAX_BASELINE, 20)
    r = expected_count(history, seasons_ending(MAX_BASELINE), 1, observed=35)
    assert r.expected == pytest.approx(20.0, rel=1e-6)
    assert r.dispersion == 1.0 and not r.trend
    assert r.threshold == stats.poisson.ppf(1 - trends.ALPHA, 20.0)
    assert r.p_value == pytest.approx(stats.poisson.sf(34, 20.0), rel=1e-6)
    assert r.score == pytest.approx((35 - 20) / (r.threshold - 20))
    assert r.score > 1  # above threshold
    level = expected_count(history, seasons_ending(MAX_BASELINE), 1, observed=20)
    assert level.score == pytest.approx(0.0, abs=1e-6) and level.p_value > 0.4


def test_seasonal_pattern_is_followed():
    """Summer (Q3) counts four times winter's: the expectation follows the current season."""
    pattern = {1: 10, 2: 20, 3: 40, 4: 20}
    seasons = seasons_ending(MAX_BASELINE)
    history = np.array([pattern[s] for s in seasons])
    for season, level in pattern.items():
        r = expected_count(history, seasons, season, observed=level)
        assert r.expected == pytest.approx(level, rel=0.01), season
        assert not r.trend
    # A Q3-sized count is unremarkable in Q3 and far above expectation in Q1.
    in_summer = expected_count(history, seasons, 3, observed=40)
    in_winter = expected_count(history, seasons, 1, observed=40)
    assert in_summer.p_value > 0.4 and in_winter.p_value < 1e-6


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_noisy_seasonal_pattern_is_followed(seed):
    rng = np.random.default_rng(seed)
    pattern = {1: 8.0, 2: 16.0, 3: 32.0, 4: 16.0}
    seasons = seasons_ending(MAX_BASELINE)
    history = rng.poisson([pattern[s] for s in seasons])
    summer = expected_count(history, seasons, 3, observed=30).expected
    winter = expected_count(history, seasons, 1, observed=30).expected
    assert summer > 2 * winter
    assert summer == pytest.approx(32, abs=3 * np.sqrt(32 / 5))
    assert winter == pytest.approx(8, abs=3 * np.sqrt(8 / 5))


def test_fewer_than_eight_baseline_quarters_is_not_assessed():
    assert MIN_BASELINE == 8
    for n in range(MIN_BASELINE):
        assert expected_count(np.full(n, 5), seasons_ending(n), 1, observed=9) is None
    assert expected_count(np.full(8, 5), seasons_ending(8), 1, observed=9) is not None


def test_only_the_last_twenty_quarters_are_used():
    old = np.full(12, 100)  # five years before, a much higher level: outside the baseline
    recent = np.full(MAX_BASELINE, 10)
    history = np.concatenate([old, recent])
    r = expected_count(history, seasons_ending(len(history)), 1, observed=10)
    assert r.baseline_quarters == MAX_BASELINE
    assert r.expected == pytest.approx(10.0, rel=1e-6)


def test_rising_trend_is_not_extrapolated_beyond_the_data():
    """A steep significant rise would predict above every baseline count: the trend is dropped."""
    t = np.arange(MAX_BASELINE)
    history = np.round(5 * 1.15**t).astype(int)  # 5 ... 71
    r = expected_count(history, seasons_ending(MAX_BASELINE), 1, observed=history[-1])
    assert not r.trend
    assert r.expected <= history.max()


def test_falling_trend_within_the_data_is_kept():
    t = np.arange(MAX_BASELINE)
    history = np.round(60 * 0.93**t).astype(int)  # 60 ... 15
    r = expected_count(history, seasons_ending(MAX_BASELINE), 1, observed=15)
    assert r.trend
    assert r.expected < history[-4:].mean()  # below even the last year: the fall continues
    assert r.expected <= history.max()


def test_past_outbreak_is_down_weighted():
    """One earlier quarter at five times the level must not raise the expectation much."""
    rng = np.random.default_rng(7)
    history = rng.poisson(10, MAX_BASELINE)
    history[6] = 60
    r = expected_count(history, seasons_ending(MAX_BASELINE), 4, observed=10)
    naive_mean = history.mean()
    assert r.expected < naive_mean
    assert r.expected == pytest.approx(10, abs=3.5)


def test_overdispersed_history_widens_the_threshold():
    rng = np.random.default_rng(3)
    history = rng.negative_binomial(2, 2 / (2 + 20), MAX_BASELINE)  # mean 20, variance 220
    r = expected_count(history, seasons_ending(MAX_BASELINE), 1, observed=30)
    assert r.dispersion > 1.5
    assert r.threshold > stats.poisson.ppf(1 - trends.ALPHA, r.expected)


def test_all_zero_history():
    zeros = np.zeros(12, int)
    quiet = expected_count(zeros, seasons_ending(12), 1, observed=0)
    assert (quiet.expected, quiet.p_value, quiet.score) == (0.0, 1.0, 0.0)
    loud = expected_count(zeros, seasons_ending(12), 1, observed=3)
    assert loud.expected == 0.0 and loud.p_value == 0.0 and loud.score == np.inf


def test_baseline_missing_a_season_fits_a_level():
    """Eight quarters that skip one season (not consecutive) still give an expectation."""
    seasons = np.array([1, 2, 3, 1, 2, 3, 1, 2])
    r = expected_count(np.full(8, 6), seasons, 4, observed=6)
    assert r.expected == pytest.approx(6.0, rel=1e-6)


def test_exceedance_as_dict():
    r = expected_count(np.full(12, 5), seasons_ending(12), 1, observed=5)
    assert set(r.as_dict()) == {"observed", "expected", "threshold", "score", "p_value", "dispersion", "trend",
                                "baseline_quarters"}


# --------------------------------------------------------------------------------------------------
# Benjamini-Hochberg and flag_series
# --------------------------------------------------------------------------------------------------


def test_benjamini_hochberg_hand_worked_example():
    """m = 5, q = 0.05: thresholds 0.01, 0.02, 0.03, 0.04, 0.05 against the sorted p-values
    0.001, 0.025, 0.03, 0.039, 0.5. The second (0.025 > 0.02) fails its own threshold, but the
    largest rank that passes is the fourth (0.039 <= 0.04), so the four smallest are discoveries."""
    p = np.array([0.5, 0.03, 0.001, 0.039, 0.025])
    assert benjamini_hochberg(p, 0.05).tolist() == [False, True, True, True, True]
    # Raise the third and fourth above their thresholds and only the smallest survives.
    p2 = np.array([0.5, 0.031, 0.001, 0.041, 0.025])
    assert benjamini_hochberg(p2, 0.05).tolist() == [False, False, True, False, False]
    # Bonferroni would have kept only 0.001 (< 0.01) in the first case too: BH is less strict.


def test_benjamini_hochberg_edges():
    assert benjamini_hochberg(np.array([]), 0.05).tolist() == []
    assert benjamini_hochberg(np.array([0.2, 0.9]), 0.05).tolist() == [False, False]
    assert benjamini_hochberg(np.array([0.05]), 0.05).tolist() == [True]
    assert benjamini_hochberg(np.array([0.01, 0.01, 0.01]), 0.01).tolist() == [True, True, True]


@pytest.mark.parametrize("seed", range(5))
def test_benjamini_hochberg_agrees_with_statsmodels(seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 1, 80), rng.uniform(0, 0.002, 20)])
    rng.shuffle(p)
    expected = multipletests(p, alpha=0.05, method="fdr_bh")[0]
    assert benjamini_hochberg(p, 0.05).tolist() == expected.tolist()


def _ex(observed: int, expected: float, p: float) -> Exceedance:
    return Exceedance(observed, expected, expected + 3, (observed - expected) / 3, p, 1.0, False, 20)


def test_flag_series_needs_a_discovery_enough_events_and_a_rise():
    results = [
        _ex(9, 2.0, 1e-5),  # flagged
        None,  # not assessed: ignored, never flagged
        _ex(2, 0.1, 1e-6),  # too few events to flag, however improbable
        _ex(3, 0.2, 1e-4),  # exactly the minimum: flagged
        _ex(4, 6.0, 1e-6),  # below expectation: never a rise
        _ex(8, 6.0, 0.3),  # within chance
    ]
    assert MIN_OBSERVED == 3
    assert flag_series(results).tolist() == [True, False, False, True, False, False]


def test_flag_series_controls_across_series():
    """One p of 0.004 is a discovery alone but not among 100 series with nothing else going on."""
    alone = [_ex(10, 3.0, 0.004)]
    assert flag_series(alone).tolist() == [True]
    crowd = alone + [_ex(3, 3.0, 0.6)] * 99
    assert not flag_series(crowd).any()
    assert flag_series([None, None]).tolist() == [False, False]


# --------------------------------------------------------------------------------------------------
# The report's use: quarters before the register starts are not zero counts
# --------------------------------------------------------------------------------------------------


def test_quarters_before_the_register_starts_are_no_data_not_zeros():
    """A register that starts in 2022 holds 11 baseline quarters for 2024Q4, not 20 with 9 empty ones.

    Counted as zeros, the empty quarters halve the expectation and a steady series is "emerging"."""
    import pandas as pd

    from threadline.report.findings import emerging
    from threadline.report.period import quarter_period

    rows = []
    for year in (2022, 2023, 2024):
        for q in (1, 2, 3, 4):
            n = 9 if (year, q) == (2024, 4) else 6
            day = pd.Timestamp(year=year, month=3 * q - 1, day=10)
            rows += [{"category": "suicide", "reported_at": day, "quarter": f"{year}Q{q}", "flags": None,
                      "la_code": "E08000035", "la_name": "Leeds"}] * n
    cases = pd.DataFrame(rows)
    period = quarter_period("2024Q4")
    flagged, method = emerging(cases, period, ("suicide",), data_start=date(2022, 1, 1))
    assert flagged == [] and method["series_tested"] == 2  # force-wide and Leeds
    phantom, _ = emerging(cases, period, ("suicide",))  # no start given: 2019Q4-2021Q4 counted as zeros
    assert {e["area"] for e in phantom} == {"force", "Leeds"}
    assert all(e["expected"] < 4 for e in phantom)
