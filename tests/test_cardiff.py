"""The Cardiff Model: areas where NHS assault data exceeds what police-recorded violence predicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from threadline.analyse.cardiff import MIN_NHS, RESIDENT_WEIGHT, nhs_only_hotspots


def field(seed: int, n: int = 200, nhs_per_police: float = 0.5) -> pd.DataFrame:
    """``n`` LSOAs where the NHS sees assaults in proportion to police records (they agree)."""
    rng = np.random.default_rng(seed)
    police = rng.poisson(rng.gamma(4, 5, n))
    return pd.DataFrame({
        "lsoa_code": [f"L{i:03d}" for i in range(n)],
        "population": rng.integers(1200, 2000, n),
        "police": police,
        "nhs": rng.poisson(nhs_per_police * police + 0.5),
    })


@pytest.mark.parametrize("seed", range(5))
def test_nothing_flagged_where_nhs_and_police_agree(seed):
    result = nhs_only_hotspots(field(seed))
    assert not result["nhs_only"].any()


@pytest.mark.parametrize("seed", range(5))
def test_nhs_only_hot_spot_flagged_where_nhs_far_exceeds_police_share(seed):
    frame = field(seed)
    frame.loc[0, ["police", "nhs"]] = [3, 30]  # the NHS sees ten times what police record
    frame.loc[1, ["police", "nhs"]] = [80, 42]  # both high, in proportion: a police hot spot too
    result = nhs_only_hotspots(frame)
    assert result["nhs_only"].tolist() == [True] + [False] * (len(frame) - 1)
    row = result.iloc[0]
    assert row["ratio"] > 5 and row["p"] < 1e-6
    assert result.iloc[1]["ratio"] == pytest.approx(1.2, abs=0.3)


def test_expected_count_is_the_nhs_total_times_the_blended_share():
    frame = pd.DataFrame({
        "lsoa_code": ["A", "B", "C", "D"],
        "population": [1000, 1000, 1000, 1000],
        "police": [10, 30, 60, 0],
        "nhs": [5, 15, 30, 0],
    })
    result = nhs_only_hotspots(frame)
    total = 50
    police_share = np.array([0.1, 0.3, 0.6, 0.0])
    resident_share = np.full(4, 0.25)
    expected = total * ((1 - RESIDENT_WEIGHT) * police_share + RESIDENT_WEIGHT * resident_share)
    np.testing.assert_allclose(result["expected_nhs"], expected)
    # An area no police record reaches still has an expectation from its residents.
    assert result.loc[3, "expected_nhs"] == pytest.approx(total * RESIDENT_WEIGHT * 0.25)
    assert result["ratio"].iloc[0] == pytest.approx(5 / expected[0])
    assert set(result.columns) >= {"expected_nhs", "ratio", "p", "nhs_only"}


def test_fewer_than_the_minimum_nhs_records_is_never_flagged():
    frame = field(1)
    frame.loc[0, ["population", "police", "nhs"]] = [30, 0, MIN_NHS - 1]  # tiny expectation, 2 records
    result = nhs_only_hotspots(frame)
    assert result.loc[0, "p"] < 0.01
    assert not result.loc[0, "nhs_only"]


def test_below_expectation_is_never_flagged():
    frame = field(2)
    frame.loc[0, ["police", "nhs"]] = [90, 3]
    result = nhs_only_hotspots(frame)
    assert not result.loc[0, "nhs_only"] and result.loc[0, "p"] > 0.9


def test_overdispersion_is_estimated_and_widens_the_tail():
    """Between-area variation beyond Poisson (a gamma factor per LSOA) raises the dispersion, and the
    same excess that is conclusive under a Poisson is then within the wider negative binomial tail."""
    poisson_field = field(4)
    poisson_field.loc[0, ["police", "nhs"]] = [3, 40]
    plain = nhs_only_hotspots(poisson_field)
    assert plain.attrs["dispersion"] < 1.5
    assert plain.loc[0, "nhs_only"]

    rng = np.random.default_rng(4)
    wobbly = field(4)
    wobbly["nhs"] = rng.poisson((0.5 * wobbly["police"] + 0.5) * rng.gamma(2, 0.5, len(wobbly)))
    wobbly.loc[0, ["police", "nhs"]] = [3, 40]
    wide = nhs_only_hotspots(wobbly)
    assert wide.attrs["dispersion"] > 3
    assert wide.loc[0, "p"] > 1000 * plain.loc[0, "p"]
    assert not wide.loc[0, "nhs_only"]
    wobbly.loc[0, "nhs"] = 80  # twice as far out: flagged even allowing for overdispersion
    assert nhs_only_hotspots(wobbly).loc[0, "nhs_only"]


def test_no_nhs_records_flags_nothing():
    frame = field(0).assign(nhs=0)
    result = nhs_only_hotspots(frame)
    assert not result["nhs_only"].any()
