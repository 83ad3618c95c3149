"""The near-repeat (Knox) test against the published R NearRepeat and Near Repeat Calculator outputs.

Observed tables are deterministic and must match exactly. Knox ratios and p-values come from
permutations with a different random number generator from R's or the NRC's, so they can only
agree within Monte Carlo error. The tolerances treat the published figure and ours as two
independent Monte Carlo estimates of the same quantity, with ``n_pub`` and ``n`` permutations:

- p-value: each is (k + 1) / (n + 1) with k ~ Binomial(n, p), standard error sqrt(p(1-p)/n); we
  allow 4 standard errors of the difference, sqrt(p(1-p)/n_pub + p(1-p)/n), plus each estimator's
  granularity 1/(n+1) (a p-value beyond every permutation reads 1/(n+1), not 0).
- Knox ratio: compared as the mean permuted count it implies (observed / ratio), whose standard
  error is sigma/sqrt(n), sigma the spread of the permuted counts (from our 999 permutations); 4
  standard errors of the difference, plus the rounding of the published ratio (the NRC prints 3
  decimals).
- median Knox ratio: the sample median's standard error is about sqrt(pi/2) sigma/sqrt(n); 4 of
  the difference, plus 1 for the median of whole counts landing on the next integer.

Four standard errors make a false failure rare (about 6 in 100,000 per cell for a normal error),
while a wrong implementation (wrong band edges, wrong permutation) misses by far more.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threadline.analyse import nearrepeat as nr
from threadline.analyse.nearrepeat import (
    band_labels,
    check_bands,
    knox_test,
    nrc_breaks,
    nrc_time_breaks,
    parse_bands,
    read_events,
)
from threadline.errors import InputError

DATA = Path("/work/shared/data/benchmarks")
needs_data = pytest.mark.skipif(not (DATA / "nearrepeat_published_outputs.json").exists(),
                                reason="the reference data in /work/shared/data/benchmarks is not available")
INF = math.inf


@pytest.fixture(scope="module")
def published() -> dict:
    return json.loads((DATA / "nearrepeat_published_outputs.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def month1() -> pd.DataFrame:
    """The R vignette's data: Chicago burglaries before 2016-02-01 (970 events)."""
    frame = pd.read_csv(DATA / "nearrepeat_chicago_be.csv")
    return frame[frame["date"] < "2016-02-01"]


def _floats(table) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in table])


def assert_within_monte_carlo(result: nr.KnoxResult, pub: dict, n_pub: int, *, ratio_decimals: int | None,
                              median: bool = True) -> None:
    """Published Knox ratios (mean, median) and p-values agree with ours within Monte Carlo error."""
    n = result.permutations
    obs = result.observed.astype(float)
    sims = result.simulated
    sigma = np.maximum(sims.std(axis=0), 1 / math.sqrt(n))

    p = result.pvalues
    p_pub = _floats(pub["pvalues"])
    p_tol = 4 * np.sqrt(p * (1 - p) * (1 / n_pub + 1 / n)) + 1 / (n_pub + 1) + 1 / (n + 1)
    bad = np.abs(p_pub - p) > p_tol
    assert not bad.any(), f"p-values off at {np.argwhere(bad).tolist()}: ours {p[bad]}, published {p_pub[bad]}"

    some = obs > 0
    ratio_pub = _floats(pub["knox_ratio"])
    mean_pub = np.where(some, obs / np.where(ratio_pub > 0, ratio_pub, np.nan), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rounding = obs * 0.5 * 10.0**-ratio_decimals / ratio_pub**2 if ratio_decimals else 1e-6 * mean_pub
    mean_tol = 4 * sigma * math.sqrt(1 / n_pub + 1 / n) + rounding
    mean = sims.mean(axis=0)
    bad = some & ~(np.abs(mean_pub - mean) <= mean_tol)
    assert not bad.any(), f"ratios off at {np.argwhere(bad).tolist()}: {result.knox_ratio[bad]} vs {ratio_pub[bad]}"
    # Where nothing was observed the ratio is 0 (or undefined when no permutation had a pair either).
    assert np.all(ratio_pub[~some] == 0)
    assert np.all((result.knox_ratio[~some] == 0) | np.isnan(result.knox_ratio[~some]))

    if median:
        med_pub = obs / _floats(pub["knox_ratio_median"])
        med_tol = 4 * math.sqrt(math.pi / 2) * sigma * math.sqrt(1 / n_pub + 1 / n) + 1
        med = np.median(sims, axis=0)
        bad = some & ~(np.abs(med_pub - med) <= med_tol)
        assert not bad.any(), f"median ratios off at {np.argwhere(bad).tolist()}"


# ---------------------------------------------------------------------------------------------
# Published outputs


@needs_data
def test_r_vignette_month1_observed_exactly_and_ratios_and_pvalues_within_monte_carlo_error(month1, published):
    pub = published["R_NearRepeat_vignette_month1"]
    assert len(month1) == 970
    result = knox_test(month1["X"], month1["Y"], pd.to_datetime(month1["date"]).to_numpy(),
                       [0, 0.1, 200, 400, 600], [0, 7, 14, 21], permutations=999, seed=9489)
    assert list(result.space_labels) == pub["rows"] and list(result.time_labels) == pub["cols"]
    np.testing.assert_array_equal(result.observed, np.array(pub["observed"]))
    assert_within_monte_carlo(result, pub, 999, ratio_decimals=None)
    # The published conclusion holds: repeats and near repeats within 200 m in the first week.
    assert result.pvalues[0, 0] <= 0.001 and result.pvalues[1, 0] <= 0.001
    assert (result.pvalues[2:, :] > 0.05).all()


@needs_data
def test_r_vignette_call_reads_the_same_from_the_file(published, tmp_path, month1):
    path = tmp_path / "month1.csv"
    month1.to_csv(path, index=False)
    events = read_events(path, x="X", y="Y", date="date")
    result = knox_test(events.x, events.y, events.days, [0, 0.1, 200, 400, 600], [0, 7, 14, 21],
                       permutations=19, seed=1)
    np.testing.assert_array_equal(result.observed, np.array(published["R_NearRepeat_vignette_month1"]["observed"]))


@needs_data
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_nrc_burglary_month1_observed_exactly_and_within_monte_carlo_error(published, precision):
    pub = published["NRC_be_month1"]
    events = read_events(DATA / "chicago_be_month1.csv", x="1", y="2", date="3", header=False)
    assert len(events) == 970
    breaks = pub["equivalent_R_breaks_for_contents"]
    sds = [float(b) for b in breaks["sds"]]
    tds = [float(b) for b in breaks["tds"]]
    # The NRC's "same location" is distance 0: a break of 1 (as the R vignette) or 0.01 counts the same here.
    assert nrc_breaks(100, 3) == (0, 0.01, 100, 200, 300, INF) and nrc_time_breaks(7, 3) == tuple(tds)
    for space in (sds, nrc_breaks(100, 3)):
        result = knox_test(events.x, events.y, events.days, space, tds, permutations=999, seed=831,
                           precision=precision)
        np.testing.assert_array_equal(result.observed, np.array(pub["observed"]))
    # 20 iterations asked for, 19 run: p-values are in twentieths.
    assert_within_monte_carlo(result, pub, 19, ratio_decimals=3, median=False)
    assert result.n_pairs == 970 * 969 // 2 == result.observed.sum()


@needs_data
def test_nrc_arson_observed_exactly_in_single_precision_and_within_monte_carlo_error(published):
    pub = published["NRC_arson"]
    events = read_events(DATA / "chicago_arson.csv", x="1", y="2", date="3", header=False)
    assert len(events) == 522
    sds, tds = nrc_breaks(200, 3), nrc_time_breaks(1, 3)
    result = knox_test(events.x, events.y, events.days, sds, tds, permutations=999, seed=63, precision="float32")
    np.testing.assert_array_equal(result.observed, np.array(pub["observed"]))
    assert_within_monte_carlo(result, pub, 99, ratio_decimals=3, median=False)
    # In double precision one pair 399.96 m apart stays below 400 m; single precision rounds it to 400.
    double = knox_test(events.x, events.y, events.days, sds, tds, permutations=2, seed=63)
    diff = double.observed - result.observed
    assert diff[2, 3] == 1 and diff[3, 3] == -1 and np.abs(diff).sum() == 2


def nrc_verbose(path: Path) -> dict[tuple[int, int], dict]:
    """Per cell of an NRC verbose file: its permuted counts ("Expected"), observed, mean, p-value and ratio."""
    cells, cell, key = {}, None, None
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith("Row ") and " Column " in line:
            r, c = line.split()[1], line.split()[3]
            cell = cells.setdefault((int(r) - 1, int(c) - 1), {"expected": []})
            key = "expected"
        elif cell is None:
            continue
        elif line.startswith(("Expected,", ",")) and key == "expected":
            cell["expected"] += [int(v) for v in line.split(",")[1:] if v.strip()]
        elif line.startswith(("Observed,", "Mean,", "P value,", "Obs over Mean Exp,")):
            name, value = line.split(",", 1)
            cell[name] = float(value)
            key = None
        elif line.startswith("SOURCE DATA"):
            break
    return cells


@needs_data
@pytest.mark.parametrize(
    ("verbose", "data", "sds", "tds", "iterations"),
    [
        ("chicago_be_month1_NRverbose_2019-09-23_143005.csv", "chicago_be_month1.csv", nrc_breaks(100, 3),
         nrc_time_breaks(7, 3), 19),
        ("chicago_arson_NRverbose_2019-09-23_145637.csv", "chicago_arson.csv", nrc_breaks(200, 3),
         nrc_time_breaks(1, 3), 99),
    ],
    ids=["burglary", "arson"],
)
def test_nrc_verbose_files_every_cell(verbose, data, sds, tds, iterations):
    """The NRC's verbose file lists every permuted count: same observed, same definitions, same null mean."""
    cells = nrc_verbose(DATA / verbose)
    events = read_events(DATA / data, x="1", y="2", date="3", header=False)
    result = knox_test(events.x, events.y, events.days, sds, tds, permutations=999, seed=2019, precision="float32")
    assert set(cells) == {(r, c) for r in range(5) for c in range(4)}
    n = result.permutations
    for (r, c), cell in cells.items():
        expected = np.array(cell["expected"])
        assert len(expected) == iterations  # one fewer than asked for
        assert cell["Observed"] == result.observed[r, c]
        # Its p-value and ratio are NearRepeat's definitions, applied to its own permutations.
        assert cell["P value"] == pytest.approx((np.sum(expected >= cell["Observed"]) + 1) / (iterations + 1))
        assert cell["Mean"] == pytest.approx(expected.mean())
        if cell["Mean"]:
            assert cell["Obs over Mean Exp"] == pytest.approx(cell["Observed"] / cell["Mean"])
        # Its null mean agrees with ours within Monte Carlo error (4 standard errors of the difference).
        sigma = max(result.simulated[:, r, c].std(), 1 / math.sqrt(n))
        ours = result.simulated[:, r, c].mean()
        assert abs(cell["Mean"] - ours) <= 4 * sigma * math.sqrt(1 / iterations + 1 / n) + 1e-9, (r, c)
        # And so does its spread (loosely: 19 draws estimate a standard deviation to within ~50%).
        if sigma > 1:
            assert 0.35 < expected.std(ddof=1) / result.simulated[:, r, c].std(ddof=1) < 1.8, (r, c)


@needs_data
def test_nrc_iteration_counts_give_its_p_value_grid(published):
    """Run as many iterations as the NRC actually ran: our p-values fall on its grid (k/20, k/100)."""
    events = read_events(DATA / "chicago_arson.csv", x="1", y="2", date="3", header=False)
    result = knox_test(events.x, events.y, events.days, nrc_breaks(200, 3), nrc_time_breaks(1, 3),
                       permutations=99, seed=5, precision="float32")
    grid = result.pvalues * 100
    np.testing.assert_allclose(grid, np.round(grid), atol=1e-9)
    assert result.pvalues.min() == pytest.approx(0.01)


# ---------------------------------------------------------------------------------------------
# Against a brute-force count


def brute_force(x, y, days, sds, tds, permutations, seed, distance="manhattan"):
    """Every pair, every permutation, no tricks: the definition of the test."""
    x, y, days = np.asarray(x, float), np.asarray(y, float), np.asarray(days, np.int64)
    i, j = np.triu_indices(len(days), 1)
    dx, dy = np.abs(x[i] - x[j]), np.abs(y[i] - y[j])
    dist = dx + dy if distance == "manhattan" else np.sqrt(dx * dx + dy * dy)

    def table(t):
        gap = np.abs(t[i] - t[j])
        s = np.searchsorted(sds, dist, side="right") - 1
        k = np.searchsorted(tds, gap, side="right") - 1
        ok = (s >= 0) & (s < len(sds) - 1) & (k >= 0) & (k < len(tds) - 1)
        out = np.zeros((len(sds) - 1, len(tds) - 1), dtype=np.int64)
        np.add.at(out, (s[ok], k[ok]), 1)
        return out

    rng = np.random.default_rng(seed)
    return table(days), np.array([table(rng.permutation(days)) for _ in range(permutations)])


def small_events(n=60, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, n) * 10.0  # a grid: ties in distance and repeat locations
    y = rng.integers(0, 30, n) * 10.0
    days = rng.integers(0, 40, n)
    return x, y, days


BAND_CASES = [
    ([0, 0.1, 50, 100], [0, 3, 7]),
    ([0, 0.1, 50, 100, INF], [0, 3, 7, INF]),
    ([10, 50, 120, INF], [1, 3, 7]),  # first breaks above 0: the closest pairs are outside the table
    ([0, INF], [0, 2, INF]),
    ([0, 40, 80], [2.5, 7.5, INF]),  # fractional day breaks
]


@pytest.mark.parametrize("distance", ["manhattan", "euclidean"])
@pytest.mark.parametrize(("sds", "tds"), BAND_CASES)
def test_every_table_equals_a_brute_force_count(sds, tds, distance):
    x, y, days = small_events()
    result = knox_test(x, y, days, sds, tds, permutations=30, seed=11, distance=distance)
    observed, simulated = brute_force(x, y, days, sds, tds, 30, 11, distance)
    np.testing.assert_array_equal(result.observed, observed)
    np.testing.assert_array_equal(result.simulated, simulated)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_allclose(result.knox_ratio, observed / simulated.mean(axis=0))
        np.testing.assert_allclose(result.knox_ratio_median, observed / np.median(simulated, axis=0))
    np.testing.assert_allclose(result.pvalues, ((simulated >= observed).sum(axis=0) + 1) / 31)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 25),
    seed=st.integers(0, 2**16),
    cuts=st.lists(st.integers(1, 60), min_size=1, max_size=4, unique=True),
    tcuts=st.lists(st.integers(1, 15), min_size=1, max_size=3, unique=True),
    open_space=st.booleans(),
    open_time=st.booleans(),
)
def test_property_matches_brute_force_and_counts_every_pair_once(n, seed, cuts, tcuts, open_space, open_time):
    rng = np.random.default_rng(seed)
    x, y, days = rng.integers(0, 40, n).astype(float), rng.integers(0, 40, n).astype(float), rng.integers(0, 20, n)
    sds = [0, *sorted(cuts)] + ([INF] if open_space else [])
    tds = [0, *sorted(tcuts)] + ([INF] if open_time else [])
    result = knox_test(x, y, days, sds, tds, permutations=5, seed=seed)
    observed, simulated = brute_force(x, y, days, sds, tds, 5, seed)
    np.testing.assert_array_equal(result.observed, observed)
    np.testing.assert_array_equal(result.simulated, simulated)
    if open_space and open_time:  # bands from 0 to Inf both ways hold every pair exactly once
        assert result.observed.sum() == n * (n - 1) // 2
        assert (result.simulated.sum(axis=(1, 2)) == n * (n - 1) // 2).all()


# ---------------------------------------------------------------------------------------------
# Properties


def test_row_order_does_not_change_the_observed_table_and_barely_the_inference():
    x, y, days = small_events(200, seed=8)
    sds, tds = [0, 0.1, 50, 100, INF], [0, 3, 7, INF]
    a = knox_test(x, y, days, sds, tds, permutations=199, seed=1)
    order = np.random.default_rng(2).permutation(len(days))
    b = knox_test(x[order], y[order], days[order], sds, tds, permutations=199, seed=1)
    np.testing.assert_array_equal(a.observed, b.observed)
    assert np.abs(a.pvalues - b.pvalues).max() < 4 * math.sqrt(0.25 * 2 / 199) + 2 / 200
    # Swapping x and y (a reflection) keeps every distance, so every table is identical.
    c = knox_test(y, x, days, sds, tds, permutations=199, seed=1)
    np.testing.assert_array_equal(a.simulated, c.simulated)


def test_pvalues_are_in_range_and_each_seed_gives_its_own_result():
    x, y, days = small_events(80)
    a = knox_test(x, y, days, [0, 30, 90], [0, 5, 10], permutations=49, seed=7)
    b = knox_test(x, y, days, [0, 30, 90], [0, 5, 10], permutations=49, seed=7)
    c = knox_test(x, y, days, [0, 30, 90], [0, 5, 10], permutations=49, seed=8)
    assert ((a.pvalues >= 1 / 50) & (a.pvalues <= 1)).all()
    np.testing.assert_array_equal(a.simulated, b.simulated)
    np.testing.assert_array_equal(a.pvalues, b.pvalues)
    assert not np.array_equal(a.simulated, c.simulated)
    assert a.seed == 7 and a.permutations == 49 and a.n_events == 80 and a.distance == "manhattan"


def test_batch_size_does_not_change_the_result(monkeypatch):
    x, y, days = small_events(120)
    a = knox_test(x, y, days, [0, 30, 90, INF], [0, 5, 10], permutations=25, seed=4)
    monkeypatch.setattr(nr, "BATCH_ELEMENTS", 1)
    b = knox_test(x, y, days, [0, 30, 90, INF], [0, 5, 10], permutations=25, seed=4)
    np.testing.assert_array_equal(a.simulated, b.simulated)


def test_long_date_spans_use_a_search_instead_of_a_table(monkeypatch):
    x, y, days = small_events(50)
    a = knox_test(x, y, days, [0, 30, 90], [0, 5, 10, INF], permutations=10, seed=4)
    monkeypatch.setattr(nr, "LUT_MAX", 0)
    b = knox_test(x, y, days, [0, 30, 90], [0, 5, 10, INF], permutations=10, seed=4)
    np.testing.assert_array_equal(a.simulated, b.simulated)


def test_dates_and_day_numbers_give_the_same_result_and_progress_is_reported():
    x, y, days = small_events(40)
    dates = np.datetime64("2020-02-20") + days.astype("timedelta64[D]")
    seen = []
    a = knox_test(x, y, dates, [0, 50], [0, 3], permutations=20, seed=2, progress=lambda d, t: seen.append((d, t)))
    b = knox_test(x, y, days + 18000, [0, 50], [0, 3], permutations=20, seed=2)
    np.testing.assert_array_equal(a.simulated, b.simulated)
    assert seen[-1] == (20, 20)
    with pytest.raises(InputError, match="whole days"):
        knox_test(x, y, days + 0.5, [0, 50], [0, 3], permutations=20)


def test_a_clustered_pattern_is_found_and_a_random_one_is_not():
    rng = np.random.default_rng(12)
    n = 300
    x, y, days = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.integers(0, 365, n)
    # Each of 60 events gets a near repeat: 50 m away, 2 days later.
    x2, y2, d2 = x[:60] + 30, y[:60] + 20, days[:60] + 2
    planted = knox_test(np.r_[x, x2], np.r_[y, y2], np.r_[days, d2], [0, 100, 1000], [0, 7, 30],
                        permutations=199, seed=1)
    assert planted.pvalues[0, 0] == pytest.approx(1 / 200) and planted.knox_ratio[0, 0] > 5
    random = knox_test(x, y, days, [0, 100, 1000], [0, 7, 30], permutations=199, seed=1)
    assert random.pvalues[1, 0] > 0.01


def test_labels_tables_and_csv_layouts(tmp_path):
    assert band_labels([0, 0.1, 200, INF]) == ["[0,0.1)", "[0.1,200)", "[200,Inf)"]
    assert band_labels([0, 1e6]) == ["[0,1000000)"]
    x, y, days = small_events(50)
    r = knox_test(x, y, days, [0, 0.1, 50, INF], [0, 7, 14], permutations=9, seed=1)
    assert r.table("observed").loc["[0.1,50)", "[7,14)"] == r.observed[1, 1]
    long = r.to_frame("long")
    assert len(long) == 3 * 2 and list(long.columns[:2]) == ["space_band", "time_band"]
    assert long["observed"].sum() == r.observed.sum()
    assert (long["space_to"].iloc[-1], long["time_from"].iloc[-1]) == (INF, 7)
    wide = r.to_frame("wide")
    assert wide.shape == (3, 1 + 4 * 2) and "p_value [7,14)" in wide.columns
    back = pd.read_csv(r.to_csv(tmp_path / "k.csv"))
    np.testing.assert_allclose(back["p_value"], r.pvalues.ravel())
    with pytest.raises(ValueError):
        r.to_frame("tall")


@pytest.mark.parametrize(
    ("breaks", "message"),
    [
        ([0, 200, 100], "increase"),
        ([0, 100, 100], "increase"),
        ([5], "at least two"),
        ([-1, 10], "start at 0"),
        ([0, INF, 300], "finite"),
        ([0, float("nan")], "finite"),
    ],
)
def test_bad_bands_are_input_errors(breaks, message):
    with pytest.raises(InputError, match=message):
        check_bands(breaks, "space bands")
    x, y, days = small_events(10)
    with pytest.raises(InputError, match=message):
        knox_test(x, y, days, breaks, [0, 7], permutations=9)


def test_parse_bands():
    assert parse_bands("0, 0.1,200,400,600", "--space-bands") == (0, 0.1, 200, 400, 600)
    assert parse_bands("0,7,inf", "--time-bands") == (0, 7, INF)
    with pytest.raises(InputError, match=r"--space-bands '0,1o0': '1o0' is not a number"):
        parse_bands("0,1o0", "--space-bands")


def test_too_few_events_and_other_bad_arguments():
    with pytest.raises(InputError, match="at least 2 events"):
        knox_test([1.0], [1.0], [3], [0, 10], [0, 7])
    with pytest.raises(InputError, match="distance"):
        knox_test([1.0, 2], [1.0, 2], [3, 4], [0, 10], [0, 7], distance="chebyshev")
    with pytest.raises(InputError, match="permutations"):
        knox_test([1.0, 2], [1.0, 2], [3, 4], [0, 10], [0, 7], permutations=1)
    with pytest.raises(InputError, match="finite"):
        knox_test([1.0, np.nan], [1.0, 2], [3, 4], [0, 10], [0, 7])


# ---------------------------------------------------------------------------------------------
# Reading files


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_events_with_and_without_a_header(tmp_path):
    f = write(tmp_path / "e.csv", "X,Y,Date\n1,2,2016-01-01\n3,4,2016-01-03T23:59:00\n\n5,6,2016-01-05 08:00\n")
    e = read_events(f, x="X", y="Y", date="date")  # column names match regardless of case
    assert len(e) == 3 and e.days.tolist() == [16801, 16803, 16805] and e.x.tolist() == [1, 3, 5]
    assert str(e.first_day) == "2016-01-01" and e.skipped == 0
    g = write(tmp_path / "g.csv", "1,2,2016-01-01\n3,4,2016-01-03\n")
    assert read_events(g, x="1", y="2", date="3", header=False).y.tolist() == [2, 4]


def test_empty_values_are_left_out_and_listed_or_refused(tmp_path):
    f = write(tmp_path / "e.csv", "X,Y,date\n1,2,2016-01-01\n3,,2016-01-03\n5,6,\n7,8,2016-01-09\n")
    e = read_events(f, x="X", y="Y", date="date")
    assert len(e) == 2 and e.skipped_rows == (3, 4)
    with pytest.raises(InputError) as err:
        read_events(f, x="X", y="Y", date="date", skip_missing=False)
    assert (err.value.row, err.value.field) == (3, "Y")


@pytest.mark.parametrize(
    ("text", "kwargs", "row", "field", "message"),
    [
        ("X,Y,date\n1,2,2016-01-01\n", {"x": "east"}, 1, "east", "no such column"),
        ("X,Y,date\n1,2,2016-01-01\n3,4,2016-02-30\n", {}, 3, "date", "not a date"),
        ("X,Y,date\n1,2,2016-01-01\n3,4,01/02/2016\n", {}, 3, "date", "not a date"),
        ("X,Y,date\n1,2,2016-01-01\n3,4,2016-01-02\n3,4x,2016-01-02\n", {}, 4, "Y", "not a number"),
        ("X,Y,date\n1,2,2016-01-01\ninf,4,2016-01-02\n", {}, 3, "X", "not a number"),
    ],
)
def test_bad_files_name_the_file_row_and_field(tmp_path, text, kwargs, row, field, message):
    f = write(tmp_path / "bad.csv", text)
    with pytest.raises(InputError, match=message) as err:
        read_events(f, **({"x": "X", "y": "Y", "date": "date"} | kwargs))
    assert (err.value.file, err.value.row, err.value.field) == (str(f), row, field)


def test_bad_files_without_a_header(tmp_path):
    f = write(tmp_path / "bad.csv", "1,2,2016-01-01\n3,4,2016-13-01\n")
    with pytest.raises(InputError) as err:
        read_events(f, x="1", y="2", date="3", header=False)
    assert (err.value.row, err.value.field) == (2, "column 3")
    with pytest.raises(InputError, match="no column 4"):
        read_events(f, x="1", y="2", date="4", header=False)
    with pytest.raises(InputError, match="by number"):
        read_events(f, x="X", y="2", date="3", header=False)
    with pytest.raises(InputError, match="no such file"):
        read_events(tmp_path / "missing.csv", x="1", y="2", date="3")


# ---------------------------------------------------------------------------------------------
# The command


def _cli(*args):
    from typer.testing import CliRunner

    from threadline.cli import app

    return CliRunner().invoke(app, ["nearrepeat", *[str(a) for a in args]])


@pytest.fixture
def events_csv(tmp_path) -> Path:
    x, y, days = small_events(80)
    dates = np.datetime64("2021-03-01") + days.astype("timedelta64[D]")
    frame = pd.DataFrame({"east": x, "north": y, "when": np.datetime_as_string(dates)})
    frame.loc[5, "north"] = np.nan  # one event without a location
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    return path


def test_cli_prints_the_tables_and_writes_the_csv(events_csv, tmp_path):
    out = tmp_path / "knox.csv"
    result = _cli(events_csv, "--x", "east", "--y", "north", "--date", "when", "--space-bands", "0,0.1,50,100",
                  "--time-bands", "0,7,14", "--permutations", "99", "--seed", "3", "--out", out)
    assert result.exit_code == 0, result.output
    text = result.output
    for fragment in ("Observed pairs", "Knox ratio (observed / mean", "median", "p-value", "[0,0.1)", "[0.1,50)",
                     "[7,14)", "79 events", "seed 3", "1 left out", "row 7", "manhattan"):
        assert fragment in text, fragment
    frame = pd.read_csv(out)
    assert len(frame) == 3 * 2 and frame["p_value"].between(0.01, 1).all()
    events = read_events(events_csv, x="east", y="north", date="when")
    expected = knox_test(events.x, events.y, events.days, [0, 0.1, 50, 100], [0, 7, 14], permutations=99, seed=3)
    np.testing.assert_array_equal(frame["observed"], expected.observed.ravel())
    np.testing.assert_allclose(frame["p_value"], expected.pvalues.ravel())


def test_cli_wide_layout_euclidean_and_no_header(tmp_path):
    x, y, days = small_events(30)
    path = tmp_path / "plain.csv"
    pd.DataFrame({"a": x, "b": y, "c": [f"2020-01-{1 + d % 28:02d}" for d in days]}).to_csv(path, index=False,
                                                                                         header=False)
    out = tmp_path / "wide.csv"
    result = _cli(path, "--no-header", "--x", "1", "--y", "2", "--date", "3", "--space-bands", "0,100,Inf",
                  "--time-bands", "0,3,Inf", "--permutations", "19", "--distance", "euclidean", "--layout", "wide",
                  "--out", out)
    assert result.exit_code == 0, result.output
    assert "[100,Inf)" in result.output and "euclidean" in result.output and "seed " in result.output
    wide = pd.read_csv(out)
    assert list(wide["space_band"]) == ["[0,100)", "[100,Inf)"]
    assert wide.filter(like="observed").to_numpy().sum() == 30 * 29 // 2


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return lines[0]


def test_cli_bad_date_is_one_line_naming_file_row_and_field(tmp_path):
    path = write(tmp_path / "bad.csv", "X,Y,date\n1,2,2016-01-01\n3,4,2016-01-02\n5,6,31/01/2016\n")
    line = _one_line_error(_cli(path, "--x", "X", "--y", "Y", "--date", "date", "--space-bands", "0,100",
                                "--time-bands", "0,7", "--seed", "1"))
    assert "bad.csv" in line and "row 4" in line and "'date'" in line and "not a date" in line


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--x", "east"], "field 'east': no such column"),
        (["--space-bands", "0,200,100"], "--space-bands must increase"),
        (["--time-bands", "0,a"], "--time-bands"),
        (["--distance", "crow"], "--distance"),
        (["--permutations", "1"], "--permutations"),
    ],
)
def test_cli_bad_arguments_are_one_line_errors(tmp_path, args, fragment):
    path = write(tmp_path / "e.csv", "X,Y,date\n1,2,2016-01-01\n3,4,2016-01-02\n")
    base = {"--x": "X", "--y": "Y", "--date": "date", "--space-bands": "0,100", "--time-bands": "0,7"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    line = _one_line_error(_cli(path, *[v for kv in base.items() for v in kv]))
    assert fragment in line, line


def test_cli_one_event_is_too_few(tmp_path):
    path = write(tmp_path / "one.csv", "X,Y,date\n1,2,2016-01-01\n")
    line = _one_line_error(_cli(path, "--x", "X", "--y", "Y", "--date", "date", "--space-bands", "0,100",
                                "--time-bands", "0,7"))
    assert "at least 2 events" in line and "one.csv" in line
