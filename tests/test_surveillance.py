"""People and premises at more deaths than expected (threadline.link.surveillance).

Unit tests of the statistical pieces on hand-made numbers, then the whole method on a synthetic
force whose truth is known (seed 21, not used while the method was developed: see
docs/surveillance.md for the figures over other seeds).
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import threadline as tl
from threadline.ingest.folder import import_folder
from threadline.link import surveillance as V
from threadline.synth import synthesise

# --------------------------------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------------------------------


def test_poisson_upper_tail_is_exact():
    # P(X >= 5) for X ~ Poisson(2), summed by hand
    by_hand = 1.0 - sum(math.exp(-2.0) * 2.0**k / math.factorial(k) for k in range(5))
    assert V.upper_tail_p(5, 2.0) == pytest.approx(by_hand, rel=1e-12)
    assert by_hand == pytest.approx(0.052653, abs=1e-6)
    assert V.upper_tail_p(0, 2.0) == 1.0
    assert np.isnan(V.upper_tail_p(3, np.nan))


def test_negative_binomial_has_the_stated_mean_and_variance_and_a_heavier_tail():
    mu, phi = 6.0, 2.5
    size, prob = mu / (phi - 1.0), 1.0 / phi
    mean, var = stats.nbinom.stats(size, prob, moments="mv")
    assert mean == pytest.approx(mu) and var == pytest.approx(phi * mu)
    assert V.upper_tail_p(12, mu, phi) == pytest.approx(stats.nbinom.sf(11, size, prob))
    assert V.upper_tail_p(12, mu, phi) > V.upper_tail_p(12, mu, 1.0)
    # phi <= 1 is Poisson
    assert V.upper_tail_p(12, mu, 0.7) == pytest.approx(stats.poisson.sf(11, mu))


def test_binomial_and_fisher_agree_with_scipy():
    for k, n, p0 in ((20, 21, 0.41), (3, 10, 0.5), (0, 4, 0.2), (7, 7, 0.9)):
        assert V.binomial_upper_p(k, n, p0) == pytest.approx(
            stats.binomtest(k, n, p0, alternative="greater").pvalue, rel=1e-9)
    a, b = np.array([0.01, 0.5, 0.2]), np.array([0.03, 0.9, np.nan])
    got = V.fisher_combine(a, b)
    for i in range(2):
        assert got[i] == pytest.approx(stats.combine_pvalues([a[i], b[i]], method="fisher").pvalue)
    assert got[2] == pytest.approx(0.2)  # a NaN is left out of its row


def test_benjamini_hochberg_textbook_example_and_nans():
    # sorted 0.005, 0.01, 0.03, 0.04 -> times 4/rank 0.02, 0.02, 0.04, 0.04 (then the running minimum)
    q = V.bh_qvalues([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(q[:4], [0.02, 0.04, 0.04, 0.02])
    assert np.isnan(q[4])
    assert np.all(np.isnan(V.bh_qvalues([np.nan, np.nan])))


def test_dispersion_is_one_for_poisson_counts_and_large_for_overdispersed_ones():
    rng = np.random.default_rng(5)
    mu = np.full(400, 8.0)
    assert 1.0 <= V.dispersion(rng.poisson(mu), mu) < 1.3
    over = rng.negative_binomial(8.0 / 3.0, 1.0 / 4.0, size=400)  # mean 8, variance 32 (phi = 4)
    assert V.dispersion(over, mu) > 2.5
    # one wild value barely moves the winsorised estimate
    spiked = rng.poisson(mu)
    spiked[0] = 80
    assert V.dispersion(spiked, mu) < 1.3
    # groups of four whose means (medians) are estimated from themselves: still about 1 for Poisson counts
    counts = rng.poisson(np.repeat(rng.uniform(1, 12, size=100), 4)).astype(float)
    groups = np.repeat(np.arange(100), 4)
    assert 1.0 <= V.dispersion(counts, groups=groups) < 1.3
    assert V.dispersion([3, 1], [2.0, 2.0]) == 1.0  # too few to estimate


def test_cusum_crosses_when_the_rate_doubles_and_not_before():
    # a year at the expected 0.5 a month with nothing observed, then 2 a month (four times expected):
    # each such month adds 2 log 2 - 0.5 = 0.886, so the sixth crosses log(99) = 4.595
    expected = np.full(24, 0.5)
    observed = np.r_[np.zeros(12), np.full(12, 2.0)]
    path, first = V.poisson_cusum(observed, expected)
    assert first == 12 + 5
    assert path[:12].max() == 0.0
    assert path[16] < V.CUSUM_H <= path[17]
    # at the expected rate, one death every other month, it never signals
    steady = np.tile([1.0, 0.0], 30)
    assert V.poisson_cusum(steady, np.full(60, 0.5))[1] == -1


def test_peer_expectation_leave_one_out_with_fallbacks():
    frame = pd.DataFrame({
        "observed": [2.0, 4.0, 6.0, 10.0, 3.0],
        "exposure": [1.0, 1.0, 1.0, 1.0, 1.0],
        "group": ["a", "a", "a", "b", "c"],
        "stratum": ["s", "s", "s", "s", "t"],
        "night": [1, 2, 3, 4, 0],
    })
    got = V.peer_expectation(frame)
    np.testing.assert_allclose(got["expected"][:3], [5.0, 4.0, 3.0])  # mean of the other two
    assert list(got["basis"][:4]) == ["group", "group", "group", "stratum"] and pd.isna(got["basis"][4])
    assert got["expected"][3] == pytest.approx(4.0)  # group b has nobody else: stratum s stands in
    assert np.isnan(got["expected"][4])  # alone in its stratum: not tested
    assert got["inflation"][0] == pytest.approx(1.5)  # 1 + E_i / (sum of the two peers' E)


def test_peer_expectation_scales_with_exposure():
    # visiting professionals: the same share of very different volumes
    frame = pd.DataFrame({"observed": [8.0, 16.0, 4.0, 30.0], "exposure": [10.0, 20.0, 5.0, 20.0],
                          "group": "v", "stratum": "v"})
    got = V.peer_expectation(frame)
    assert got["expected"][1] == pytest.approx(20.0 * (8 + 4 + 30) / (10 + 5 + 20))
    assert got["expected"][3] == pytest.approx(20.0 * 28 / 35)


def _presence(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["person_id", "case_id", "role", "reported_at", "category", "location_type",
                                        "lsoa_code", "premises"])
    frame["reported_at"] = pd.to_datetime(frame["reported_at"])
    frame["hour"] = frame["reported_at"].dt.hour
    frame["month"] = frame["reported_at"].dt.to_period("M")
    frame["premises_key"] = V._premises_key(frame["premises"])
    frame["la"] = "E08000035"
    return frame


def _at(rng, hour_from: int, hour_to: int) -> pd.Timestamp:
    """A random time in 2020-2024 between ``hour_from`` and ``hour_to`` (exclusive)."""
    return pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 1800)),
                                                     hours=int(rng.integers(hour_from, hour_to)))


def _ward(rng, n_by_nurse, night_only=(), start="2020-01-01"):
    """Night nurses of one hospital with the given counts; those in ``night_only`` at 00:00-05:59."""
    rows, k = [], 0
    base = pd.Timestamp(start)
    for person, n in n_by_nurse.items():
        for _ in range(n):
            day = base + pd.Timedelta(days=int(rng.integers(0, 1800)))
            hour = int(rng.integers(0, 6)) if person in night_only else int(rng.choice([20, 21, 22, 23, 0, 1, 2,
                                                                                         3, 4, 5, 6, 7]))
            rows.append((person, f"C{k:05d}", "professional", day + pd.Timedelta(hours=hour), "unexplained_death",
                         "hospital", "E01011111", "Northgate Hospital"))
            k += 1
    return rows


def test_a_nurse_at_three_times_her_peers_nights_is_flagged_with_her_night_cases():
    rng = np.random.default_rng(3)
    rows = _ward(rng, {"N1": 6, "N2": 5, "N3": 7, "N4": 6, "N5": 6, "X": 20}, night_only={"X"})
    # the bad nurse's 20 cases are all at 00:00-05:59; add some day staff and a community paramedic
    rows += [(f"D{i}", f"E{i:03d}{j}", "professional", pd.Timestamp("2021-03-01 10:00") + pd.Timedelta(days=40 * j),
              "unexplained_death", "hospital", "E01011111", "Northgate Hospital") for i in range(4) for j in range(4)]
    presence = _presence(rows)
    persons = V.surveil_persons(presence, alpha=0.05)
    x = persons.set_index("entity_id").loc["X"]
    assert x["flagged"] and x["band"] == "night" and x["coverage"] == "resident"
    assert x["expected"] == pytest.approx(6.0)
    assert x["observed"] == 20 and x["ratio"] == pytest.approx(20 / 6)
    assert set(x["excess_case_ids"]) == set(x["case_ids"])  # all of them at night
    assert "present at 20 deaths, 6.0 expected for peers at Northgate Hospital on nights" in x["reason"]
    assert not persons.set_index("entity_id").loc[["N1", "N2", "N3", "N4", "N5", "D0"], "flagged"].any()
    assert persons.iloc[0]["entity_id"] == "X"  # flagged first, by evidence
    assert x["evidence"] == pytest.approx((20 - 6) * (1 - x["q_value"]))


def test_a_visiting_gp_is_compared_with_visiting_gps_scaled_to_their_homes():
    rng = np.random.default_rng(8)
    rows, k = [], 0
    # ten care homes of very different sizes; each GP covers three and attends 80% of their daytime deaths,
    # each home has day staff on one in four of its daytime deaths
    sizes = [4, 6, 8, 10, 12, 14, 16, 20, 26, 30, 5, 9]
    for h, size in enumerate(sizes):
        for _ in range(size):
            at = _at(rng, 9, 17)
            case = f"C{k:05d}"
            k += 1
            home = f"Home {h} Care Home"
            rows.append((f"S{h}-{int(rng.integers(0, 4))}", case, "professional", at, "unexplained_death", "care_home",
                         f"E0101{h:04d}", home))
            if rng.random() < 0.8:
                rows.append((f"GP{h // 3}", case, "professional", at, "unexplained_death", "care_home",
                             f"E0101{h:04d}", home))
    persons = V.surveil_persons(_presence(rows)).set_index("entity_id")
    gps = persons.loc[[f"GP{i}" for i in range(4)]]
    assert (gps["coverage"] == "visiting").all() and (gps["band"] == "day").all()
    assert not gps["flagged"].any()
    # the busiest GP has the most deaths but a ratio near one
    busiest = gps["observed"].idxmax()
    assert gps.loc[busiest, "ratio"] < 1.5


def test_members_of_the_public_are_tested_on_places_not_deaths():
    rows = []
    # 300 reporting persons with one death each
    for i in range(300):
        rows.append((f"R{i}", f"C{i:04d}", "reporting_person", f"2021-01-01 {i % 24:02d}:00", "unexplained_death",
                     "dwelling_victim", f"E01{i:06d}", None))
    # a hostel support worker: four deaths at one hostel (same LSOA, location "other")
    rows += [("HOSTEL", f"H{j}", "reporting_person", f"2022-0{j + 1}-03 08:00", "unexplained_death", "other",
              "E01999999", None) for j in range(4)]
    # a man at four deaths in four places
    rows += [("MAN", f"M{j}", "reporting_person", f"2022-0{j + 1}-10 07:00", "drug_related_death", "dwelling_other",
              f"E0188888{j}", None) for j in range(4)]
    persons = V.surveil_persons(_presence(rows)).set_index("entity_id")
    assert persons.loc["MAN", "flagged"] and persons.loc["MAN", "observed"] == 4
    assert not persons.loc["HOSTEL", "flagged"] and persons.loc["HOSTEL", "observed"] == 1
    assert "all at one place" in persons.loc["HOSTEL", "reason"]
    assert not persons.drop(index=["MAN"])["flagged"].any()


def test_a_group_too_small_and_an_empty_register(tmp_path):
    rows = [("A", "C1", "professional", "2021-01-01 03:00", "unexplained_death", "custody_or_prison", "E01000001",
             "HMP Nowhere"),
            ("A", "C2", "professional", "2021-02-01 04:00", "unexplained_death", "custody_or_prison", "E01000001",
             "HMP Nowhere")]
    persons = V.surveil_persons(_presence(rows))
    assert np.isnan(persons.loc[0, "expected"]) and np.isnan(persons.loc[0, "p_value"])
    assert not persons.loc[0, "flagged"]
    assert "too few comparable people" in persons.loc[0, "reason"]
    with tl.init_workspace(tmp_path / "ws", forces=["West Yorkshire"]) as ws:
        result = V.surveil(ws.con)
    assert result.persons.empty and result.premises.empty
    assert {"entity_id", "flagged", "evidence", "case_ids", "excess_case_ids"} <= set(result.persons.columns)
    assert result.flagged().empty


def test_premises_night_concentration():
    rng = np.random.default_rng(11)
    rows, k = [], 0
    for h in range(8):
        n_night_extra = 15 if h == 0 else 0
        for _ in range(40):
            at = _at(rng, 0, 24)
            rows.append((f"Hospital {h}", f"C{k:05d}", at, "unexplained_death", "hospital", "E01000001"))
            k += 1
        for _ in range(n_night_extra):
            at = _at(rng, 0, 6)
            rows.append((f"Hospital {h}", f"C{k:05d}", at, "unexplained_death", "hospital", "E01000001"))
            k += 1
    pc = pd.DataFrame(rows, columns=["premises", "case_id", "reported_at", "category", "location_type", "lsoa_code"])
    pc["hour"] = pc["reported_at"].dt.hour
    pc["month"] = pc["reported_at"].dt.to_period("M")
    pc["premises_key"] = V._premises_key(pc["premises"])
    prem = V.surveil_premises(pc).set_index("entity_id")
    assert prem.loc["Hospital 0", "flagged"] and prem.loc["Hospital 0", "pattern"].startswith("night")
    assert prem.loc["Hospital 0", "night_cases"] == 28 and prem.loc["Hospital 0", "p_night"] < 0.001
    assert not prem.drop(index="Hospital 0")["flagged"].any()
    # the excess is the night deaths (here also narrowed to the last 12 months, which by chance hold 18 of 55
    # against 18% elsewhere: p = 0.006, significant on its own)
    excess = pc[pc["case_id"].isin(prem.loc["Hospital 0", "excess_case_ids"])]
    assert (excess["hour"] < 6).all() and len(excess) >= 5
    assert "28 between 00:00 and 06:00 (51% vs 28% at other hospital premises" in prem.loc["Hospital 0", "reason"]


# --------------------------------------------------------------------------------------------------
# A synthetic force with a planted professional (seed 21)
# --------------------------------------------------------------------------------------------------

SEED = 21


@pytest.fixture(scope="module")
def force(tmp_path_factory) -> tuple[Path, V.SurveillanceResult]:
    root = tmp_path_factory.mktemp("surveillance-force")
    synthesise(root / "synth", years=5, seed=SEED, end=datetime.date(2024, 12, 31))
    with tl.init_workspace(root / "ws", forces=["West Yorkshire"]) as ws:
        import_folder(ws, root / "synth")
        result = V.surveil(ws.con)
    return root / "synth" / "truth", result


@pytest.mark.slow
def test_the_planted_professional_is_the_top_flagged_professional(force):
    truth, result = force
    prof = pd.read_csv(truth / "professionals.csv")
    planted = prof.loc[prof["planted"] == "yes", "person_id"].item()
    flagged = result.persons[result.persons["flagged"] & (result.persons["role"] == "professional")]
    assert planted in set(flagged["entity_id"])
    top = flagged.sort_values("evidence", ascending=False).iloc[0]
    assert top["entity_id"] == planted
    # its excess cases are members of the planted series
    series = pd.read_csv(truth / "series.csv")
    members = set(series.loc[(series["kind"] == "professional") & (series["role_in_truth"] == "member"), "case_id"])
    assert set(top["excess_case_ids"]) <= members and len(top["excess_case_ids"]) >= 0.8 * len(members)
    assert pd.notna(top["cusum_signal_date"]) and top["cusum_signal_date"] <= top["last_at"] + pd.offsets.MonthEnd(0)


@pytest.mark.slow
def test_no_care_home_gp_is_flagged_and_few_false_flags(force):
    truth, result = force
    prof = pd.read_csv(truth / "professionals.csv")
    gps = set(prof.loc[prof["role_description"] == "care home GP", "person_id"])
    flagged = result.persons[result.persons["flagged"]]
    assert not (set(flagged["entity_id"]) & gps)
    # the decoy cases of the busiest GP (high_volume_professional) are in no flagged professional's excess
    series = pd.read_csv(truth / "series.csv")
    decoys = set(series.loc[(series["shares"] == "high_volume_professional"), "case_id"])
    excess = {c for ids in flagged["excess_case_ids"] for c in ids}
    assert not (decoys & excess)
    # the visiting GPs were recognised as such
    gp_rows = result.persons[result.persons["entity_id"].isin(gps)]
    assert (gp_rows["coverage"] == "visiting").mean() >= 0.9
    planted = set(prof.loc[prof["planted"] == "yes", "person_id"])
    false_flags = flagged[(flagged["role"] == "professional") & ~flagged["entity_id"].isin(planted)]
    assert len(false_flags) <= 2, false_flags[["entity_id", "reason"]].to_string()


@pytest.mark.slow
def test_the_shared_man_is_flagged_and_the_hostel_worker_is_not(force):
    truth, result = force
    summary = pd.read_csv(truth / "series_summary.csv")
    shared_man = summary.loc[summary["kind"] == "shared_person", "key_person_id"].item()
    persons = result.persons.set_index("entity_id")
    assert persons.loc[shared_man, "flagged"]
    # the hostel support worker (the shared-person series' repeated_person decoy) reports several deaths at one place
    series = pd.read_csv(truth / "series.csv")
    hostel_cases = set(series.loc[series["shares"] == "repeated_person", "case_id"])
    holders = persons[[bool(set(c) & hostel_cases) and len(set(c)) >= 2 for c in persons["case_ids"]]]
    assert len(holders) >= 1
    assert not holders["flagged"].any()


@pytest.mark.slow
def test_premises_flags_are_few(force):
    truth, result = force
    prof = pd.read_csv(truth / "professionals.csv")
    hospital = prof.loc[prof["planted"] == "yes", "facility"].item()
    others = result.premises[result.premises["flagged"] & (result.premises["entity_id"] != hospital)]
    assert len(others) <= 1, others[["entity_id", "reason"]].to_string()
    assert result.premises["q_value"].notna().all()
