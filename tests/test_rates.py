"""Counts compared with the exact conditional Poisson test, rates with exact (Garwood) intervals."""

from __future__ import annotations

import math

import pytest
from scipy.stats import binomtest

from threadline.analyse.rates import ALPHA, MIN_BASE_FOR_PERCENT, compare_counts, poisson_rate

# --------------------------------------------------------------------------------------------------
# compare_counts: the exact conditional test
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "base", "exposure_ratio"),
    [
        (12, 19, 1.0),
        (19, 12, 1.0),
        (3, 0, 1.0),
        (0, 5, 1.0),
        (30, 10, 1.0),
        (1, 10, 1.0),
        (25, 25, 1.0),
        (7, 3, 2.0),
        (4, 17, 0.5),
        (40, 22, 1.25),
        (150, 120, 1.0),
    ],
)
def test_p_value_is_the_exact_conditional_binomial_test(current, base, exposure_ratio):
    """Given n = current + base events, current ~ Binomial(n, r / (1 + r)) under equal rates."""
    expected = binomtest(current, current + base, exposure_ratio / (1 + exposure_ratio)).pvalue
    change = compare_counts(current, base, exposure_ratio)
    assert change.p_value == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert change.significant == (expected < ALPHA)


def test_known_p_values_by_hand():
    # 3 against 0: P(X = 3 or X = 0 | n = 3, p = 1/2) = 2 / 8
    assert compare_counts(3, 0).p_value == pytest.approx(0.25)
    # 0 against 5: 2 / 32
    assert compare_counts(0, 5).p_value == pytest.approx(0.0625)
    # 1 against 10: (1 + 11 + 11 + 1) / 2048
    assert compare_counts(1, 10).p_value == pytest.approx(24 / 2048)


def test_no_events_in_either_period_is_level_with_p_one():
    change = compare_counts(0, 0)
    assert (change.p_value, change.significant, change.direction, change.percent) == (1.0, False, "level", None)
    assert change.describe() == "unchanged at 0 cases"


def test_direction_and_difference():
    assert compare_counts(19, 12).direction == "up"
    assert compare_counts(12, 19).direction == "down"
    assert compare_counts(12, 12).direction == "level"
    assert compare_counts(19, 12).difference == 7
    # With twice the exposure, 20 against 10 is level.
    assert compare_counts(20, 10, exposure_ratio=2.0).direction == "level"


@pytest.mark.parametrize("base", range(0, MIN_BASE_FOR_PERCENT))
def test_no_percentage_on_a_base_under_ten(base):
    change = compare_counts(base * 2 + 1, base)
    assert change.percent is None
    # The words give the difference instead of a percentage.
    assert f"({change.difference:+d})" in change.describe()
    assert "%" not in change.describe()


def test_percentage_from_a_base_of_ten():
    assert MIN_BASE_FOR_PERCENT == 10
    assert compare_counts(15, 10).percent == pytest.approx(50.0)
    assert compare_counts(9, 12).percent == pytest.approx(-25.0)
    # Exposure-adjusted: 30 in twice the exposure against 10 is +50%.
    assert compare_counts(30, 10, exposure_ratio=2.0).percent == pytest.approx(50.0)
    assert "(+50%)" in compare_counts(15, 10).describe()


def test_describe_says_whether_more_than_chance():
    significant = compare_counts(30, 10)
    assert significant.significant
    assert significant.describe("homicides") == (
        f"up from 10 to 30 homicides (+200%), more than chance (p = {significant.p_value:.3f})"
    )
    chance = compare_counts(12, 10)
    assert not chance.significant
    assert chance.describe().startswith("up from 10 to 12 cases (+20%), within chance variation (p = ")
    assert compare_counts(2, 5).describe().startswith("down from 5 to 2 cases (-3), within chance")


def test_as_dict_round_trips_the_fields():
    d = compare_counts(19, 12).as_dict()
    assert set(d) == {"current", "base", "difference", "percent", "p_value", "significant", "direction"}
    assert (d["current"], d["base"], d["difference"]) == (19, 12, 7)


# --------------------------------------------------------------------------------------------------
# poisson_rate: exact Garwood intervals
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "lower", "upper"),
    [
        # Published exact 95% Poisson limits (e.g. Garwood 1936; the ONS/PHE tables).
        (0, 0.0, 3.689),
        (1, 0.0253, 5.572),
        (2, 0.2422, 7.225),
        (5, 1.623, 11.67),
        (10, 4.795, 18.39),
        (20, 12.22, 30.89),
    ],
)
def test_garwood_interval_against_known_values(events, lower, upper):
    # per == population: the rate is per unit of exposure, so the limits are the count limits.
    r = poisson_rate(events, 1.0, per=1)
    assert r.rate == pytest.approx(events)
    assert r.lower == pytest.approx(lower, abs=5e-4 if lower < 1 else 5e-3)
    assert r.upper == pytest.approx(upper, abs=5e-3)


def test_rate_scales_to_per_hundred_thousand():
    r = poisson_rate(10, 500_000)
    assert r.per == 100_000
    assert r.rate == pytest.approx(2.0)
    assert r.lower == pytest.approx(4.795 / 5, abs=1e-3)
    assert r.upper == pytest.approx(18.39 / 5, abs=1e-2)
    assert r.lower < r.rate < r.upper


def test_zero_events_have_a_zero_lower_limit_and_a_positive_upper():
    r = poisson_rate(0, 100_000)
    assert (r.rate, r.lower) == (0.0, 0.0)
    assert r.upper == pytest.approx(3.689, abs=1e-3)


def test_fractional_events_from_annualising_are_accepted():
    """The report annualises rolling counts (events * 12 / months): the interval still holds."""
    r = poisson_rate(7.5, 100_000)
    assert r.rate == pytest.approx(7.5)
    assert poisson_rate(7, 100_000).upper < r.upper < poisson_rate(8, 100_000).upper


@pytest.mark.parametrize("population", [0, None, -5])
def test_no_population_no_rate(population):
    r = poisson_rate(4, population)
    assert (r.rate, r.lower, r.upper) == (None, None, None)
    assert r.events == 4


def test_wider_confidence_gives_a_wider_interval():
    r95 = poisson_rate(10, 100_000)
    r99 = poisson_rate(10, 100_000, confidence=0.99)
    assert r99.lower < r95.lower and r99.upper > r95.upper
    assert all(math.isfinite(v) for v in (r99.lower, r99.upper))
