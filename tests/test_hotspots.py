"""Getis-Ord Gi* hot spots on a grid of areas: a planted cluster is found, a flat field is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from threadline.analyse.hotspots import K_NEIGHBOURS, Z_MIN, getis_ord_hotspots

CLUSTER = range(4, 8)  # rows and columns 4..7 of a 12 x 12 grid: 16 areas


def grid(seed: int, *, cluster: bool, n: int = 12, base: float = 1.0, high: float = 8.0) -> pd.DataFrame:
    """``n`` x ``n`` areas of equal population about 1 km apart; Poisson counts at ``base`` per area,
    and ``high`` in the 4 x 4 block :data:`CLUSTER` when ``cluster``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for j in range(n):
            inside = cluster and i in CLUSTER and j in CLUSTER
            rows.append({
                "area": f"A{i:02d}{j:02d}", "latitude": 53.0 + i * 0.01, "longitude": -1.5 + j * 0.016,
                "population": 1500, "count": int(rng.poisson(high if inside else base)), "i": i, "j": j,
                "inside": inside,
            })
    return pd.DataFrame(rows)


def near_cluster(i: int, j: int) -> bool:
    """In the planted block or touching it (Gi* smooths over neighbours, so an edge area can join)."""
    return CLUSTER.start - 1 <= i <= CLUSTER.stop and CLUSTER.start - 1 <= j <= CLUSTER.stop


@pytest.mark.parametrize("seed", range(5))
def test_planted_cluster_is_found(seed):
    result = getis_ord_hotspots(grid(seed, cluster=True))
    hot = result.hot
    flagged = set(zip(hot["i"], hot["j"], strict=True))
    # At least the block's core (the areas whose eight neighbours are all in the block) is found, and
    # nothing away from it.
    core = {(i, j) for i in (5, 6) for j in (5, 6)}
    assert core <= flagged, f"core not all flagged: {sorted(flagged)}"
    assert all(near_cluster(i, j) for i, j in flagged)
    assert (hot["z"] >= Z_MIN).all() and (hot["count"] > 0).all()
    # The hot list is ordered strongest first, and the block is far from the rest.
    assert hot["z"].is_monotonic_decreasing
    table = result.table
    assert table.loc[table["inside"], "z"].max() > table.loc[~table["inside"], "z"].max() + 1


@pytest.mark.parametrize("seed", range(5))
def test_flat_field_flags_nothing(seed):
    result = getis_ord_hotspots(grid(seed, cluster=False))
    assert not result.table["hot"].any()
    assert result.hot.empty


def sparse_field(seed: int, n: int = 37, mean: float = 0.07) -> pd.DataFrame:
    """A force-sized flat field as homicide-type cases really are: ~1,400 LSOAs, most with none."""
    rng = np.random.default_rng(seed)
    i, j = np.meshgrid(range(n), range(n), indexing="ij")
    return pd.DataFrame({"area": np.arange(n * n), "latitude": 53 + i.ravel() * 0.01,
                         "longitude": -1.5 + j.ravel() * 0.016, "population": rng.integers(1200, 2200, n * n),
                         "count": rng.poisson(mean, n * n)})


@pytest.mark.parametrize("seed", range(5))
def test_sparse_flat_field_flags_nothing(seed):
    frame = sparse_field(seed)
    assert (frame["count"] == 0).mean() > 0.9
    assert getis_ord_hotspots(frame).hot.empty


def test_z_scores_are_standard_normal_on_flat_fields():
    """Gi* z under randomisation has unit variance on a field with no pattern."""
    zs = np.concatenate([getis_ord_hotspots(grid(seed, cluster=False), permutations=99).table["z"]
                         for seed in range(8)])
    assert zs.std() == pytest.approx(1.0, abs=0.15)


def test_empty_neighbourhoods_are_not_significant():
    table = getis_ord_hotspots(sparse_field(0), permutations=99).table
    empty = table[(table["count"] == 0) & (table["z"] < 0)]
    assert (empty["p"] <= 0.05).mean() < 0.05


def test_rates_use_population_and_drop_areas_without_residents():
    frame = grid(0, cluster=False)
    frame.loc[0, "population"] = 0
    result = getis_ord_hotspots(frame, permutations=99)
    assert len(result.table) == len(frame) - 1
    first = result.table.iloc[0]
    assert first["rate"] == pytest.approx(first["count"] / 1500 * 100_000)


def test_too_few_areas_or_no_events_flag_nothing():
    small = grid(0, cluster=True).head(K_NEIGHBOURS)
    result = getis_ord_hotspots(small)
    assert not result.table["hot"].any() and (result.table["p"] == 1.0).all()
    empty = grid(0, cluster=False).assign(count=0)
    assert not getis_ord_hotspots(empty).table["hot"].any()


def test_same_seed_same_answer():
    frame = grid(3, cluster=True)
    a = getis_ord_hotspots(frame, seed=5).table
    b = getis_ord_hotspots(frame, seed=5).table
    pd.testing.assert_frame_equal(a, b)
