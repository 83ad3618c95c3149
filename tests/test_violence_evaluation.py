"""Evaluating an intervention: cohort building, matching (PSM, CEM), balance, effects, MDE, Maryland SMS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from threadline.analyse.violence.evaluation import (
    Design,
    balance_table,
    build_cohort,
    coarsened_exact_match,
    difference_in_differences,
    estimate_effect,
    evaluate,
    maryland_level,
    minimum_detectable_effect,
    propensity_match,
)

# --------------------------------------------------------------------------------------------------
# build_cohort on a hand-made example
# --------------------------------------------------------------------------------------------------


def _tiny():
    persons = pd.DataFrame({
        "person_id": ["A", "B", "C", "D", "E", "G"],
        "date_of_birth": pd.to_datetime(["2008-06-15", "2007-01-01", "2006-03-10", "2009-12-31", "2005-01-01",
                                         "2008-01-01"]),
        "sex": ["M", "F", "M", "F", "M", "M"],
    })
    participants = pd.DataFrame({"person_id": ["A", "B", "G"],
                                 "start_date": pd.to_datetime(["2023-03-10", "2023-05-20", "2024-01-15"])})
    ev = [
        # A, index 2023-03-10: lookback [2022-03-10, 2023-03-10), history [2021-03-10, 2023-03-10)
        ("A", "2022-04-01 10:00", "suspect", True),    # prior_sv, prior_any
        ("A", "2022-03-10 00:30", "Suspect", True),    # on the lookback boundary: counted
        ("A", "2021-05-01", "suspect", False),         # prior_any
        ("A", "2021-03-10", "suspect", False),         # on the history boundary: counted
        ("A", "2021-02-01", "suspect", True),          # too early for anything
        ("A", "2022-12-01", "victim", False),          # prior_victim
        ("A", "2023-03-10 15:00", "suspect", True),    # index day: neither before nor after
        ("A", "2023-08-01", "suspect", True),          # follow-up: post
        # B, index 2023-05-20
        ("B", "2023-05-19", "suspect", False),         # prior_any
        ("B", "2024-05-20", "suspect", True),          # last day of follow-up: post
        # C, a comparison at 2023-03-01 and 2023-05-01
        ("C", "2022-01-15", "suspect", False),
        ("C", "2023-04-01", "suspect", True),
        ("C", "2021-06-01", "victim", False),
        # D: eligible only at 2023-05-01
        ("D", "2020-01-01", "suspect", True),
        ("D", "2023-04-15", "suspect", False),
        # E: only ever a victim
        ("E", "2022-06-01", "victim", False),
        # F: not in persons, last event in the data
        ("F", "2024-06-30", "suspect", False),
    ]
    events = pd.DataFrame(ev, columns=["person_id", "occurred_at", "role", "serious_violence"])
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], format="ISO8601")
    return events, persons, participants


def test_build_cohort_counts_by_hand():
    events, persons, participants = _tiny()
    cohort = build_cohort(events, persons, participants)
    got = cohort.set_index(["person_id", "index_date"])
    expected = {
        # (person, index date): treated, age, sex, prior_sv_12m, prior_any_24m, prior_victim_24m, pre, post
        ("A", "2023-03-10"): (True, 14, "M", 2, 4, 1, 1, 1),
        ("B", "2023-05-20"): (True, 16, "F", 0, 1, 0, 0, 1),
        ("C", "2023-03-01"): (False, 16, "M", 0, 1, 1, 0, 1),
        ("C", "2023-05-01"): (False, 17, "M", 1, 2, 1, 1, 0),
        ("D", "2023-05-01"): (False, 13, "F", 0, 1, 0, 0, 0),
    }
    assert len(cohort) == len(expected)
    cols = ["treated", "age", "sex", "prior_sv_12m", "prior_any_24m", "prior_victim_24m", "pre", "post"]
    for (pid, day), values in expected.items():
        row = got.loc[(pid, pd.Timestamp(day))]
        assert tuple(row[c] for c in cols) == values, (pid, day)
    # G started too recently (follow-up would end 2025-01-15, after the last event 2024-06-30); the
    # comparison rows at G's start month (C and D at 2024-01-01) are dropped for the same reason.
    assert cohort.attrs["participants_without_follow_up"] == 1
    assert cohort.attrs["comparison_rows_without_follow_up"] == 2
    assert cohort.attrs["participants"] == 3
    assert cohort.attrs["last_event_date"] == "2024-06-30"


def test_build_cohort_any_role_admits_victims():
    events, persons, participants = _tiny()
    cohort = build_cohort(events, persons, participants, candidates="any_role")
    e_rows = cohort[cohort["person_id"] == "E"]
    assert sorted(e_rows["index_date"].dt.strftime("%Y-%m-%d")) == ["2023-03-01", "2023-05-01"]
    assert (e_rows["prior_victim_24m"] == 1).all() and (e_rows["prior_any_24m"] == 0).all()
    with pytest.raises(ValueError, match="candidates"):
        build_cohort(events, persons, participants, candidates="everyone")


def test_build_cohort_windows_follow_parameters():
    events, persons, participants = _tiny()
    cohort = build_cohort(events, persons, participants, follow_up_months=3, lookback_months=24)
    a = cohort[cohort["person_id"] == "A"].iloc[0]
    assert a["prior_sv_12m"] == 2  # the 2021-02-01 incident is still outside 24 months of 2023-03-10
    assert a["post"] == 0  # 2023-08-01 is after a 3-month follow-up
    b = cohort[cohort["person_id"] == "B"].iloc[0]
    assert b["post"] == 0
    # With a 3-month follow-up G (2024-01-15 + 3 months <= 2024-06-30) is kept.
    assert "G" in set(cohort["person_id"]) and cohort.attrs["participants_without_follow_up"] == 0


def test_build_cohort_refuses_participants_missing_from_persons():
    events, persons, participants = _tiny()
    extra = pd.concat([participants, pd.DataFrame({"person_id": ["Z9", "Q1"],
                                                   "start_date": pd.to_datetime(["2023-01-01"] * 2)})])
    with pytest.raises(ValueError, match=r"2 participant\(s\) not in persons: Q1, Z9"):
        build_cohort(events, persons, extra)
    with pytest.raises(ValueError, match="missing column"):
        build_cohort(events.drop(columns="role"), persons, participants)


# --------------------------------------------------------------------------------------------------
# Simulated evaluation with selection on observed history and a planted effect
# --------------------------------------------------------------------------------------------------


def simulate(seed: int, n: int = 3000):
    """Latent risk z drives both the recorded history and the outcome; the programme picks people on
    their recorded history only; the programme removes each participant's outcome with probability 0.4,
    so the effect on the treated is -0.4 * P(outcome without the programme)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    prior_any = np.minimum(rng.poisson(np.exp(0.4 + 0.5 * z)), 8)
    prior_sv = np.minimum(rng.binomial(prior_any, expit(-1.0 + 0.5 * z)), 4)
    treated = rng.random(n) < expit(-3.2 + 0.7 * prior_sv + 0.25 * prior_any)
    p0 = expit(-1.6 + 0.9 * z)
    y0 = rng.random(n) < p0
    post = np.where(treated, y0 & (rng.random(n) >= 0.4), y0).astype(int)
    cohort = pd.DataFrame({
        "person_id": np.arange(n), "treated": treated, "index_date": pd.Timestamp("2023-01-01"),
        "age": rng.integers(12, 25, n), "sex": rng.choice(["M", "F"], n, p=[0.75, 0.25]),
        "prior_sv_12m": prior_sv, "prior_any_24m": prior_any, "prior_victim_24m": rng.poisson(0.5, n),
        "pre": (prior_sv > 0).astype(int), "post": post,
    })
    return cohort, -0.4 * p0


def _truth(att_i, rows):
    return float(att_i[rows.index[rows["treated"].to_numpy()]].mean())


def test_cem_covers_the_true_effect_and_the_naive_comparison_does_not():
    cem_cover = naive_cover = 0
    psm_errors = []
    seeds = range(40)
    for seed in seeds:
        cohort, att_i = simulate(seed)
        m = coarsened_exact_match(cohort, {"prior_sv_12m": None, "prior_any_24m": None})
        e = estimate_effect(m)
        cem_cover += e.rd_low <= _truth(att_i, m.rows) <= e.rd_high
        naive = estimate_effect(cohort)
        naive_cover += naive.rd_low <= _truth(att_i, cohort) <= naive.rd_high
        if seed < 10:
            p = propensity_match(cohort, ["prior_sv_12m", "prior_any_24m"], exact=(), seed=seed)
            psm_errors.append(estimate_effect(p).risk_difference - _truth(att_i, p.rows))
    assert cem_cover / len(seeds) >= 0.85
    # Participants were chosen for their (risky) history: the naive difference is biased towards zero.
    assert naive_cover / len(seeds) <= 0.5
    assert naive_cover < cem_cover
    assert abs(np.mean(psm_errors)) < 0.03
    assert max(abs(x) for x in psm_errors) < 0.12


def test_matching_brings_smd_below_a_tenth():
    cohort, _ = simulate(1)
    covs = ["prior_sv_12m", "prior_any_24m", "sex", "age"]
    for matched in (propensity_match(cohort, covs), coarsened_exact_match(cohort, {"prior_sv_12m": None,
                                                                                   "prior_any_24m": None,
                                                                                   "sex": None, "age": [16, 20]})):
        table = balance_table(matched.data, covs, weights=matched.data["weight"])
        hist = table[table["covariate"].isin(["prior_sv_12m", "prior_any_24m"])]
        assert (hist["smd_before"].abs() > 0.3).all()  # selection on history made the groups differ
        assert (hist["smd_after"].abs() < 0.1).all(), matched.method
        assert table["balanced"].all()
        pd.testing.assert_frame_equal(matched.balance(), table)
    exact = coarsened_exact_match(cohort, {"prior_sv_12m": None, "prior_any_24m": None})
    after = balance_table(exact.data, ["prior_sv_12m", "prior_any_24m"], weights="weight")
    np.testing.assert_allclose(after["smd_after"], 0.0, atol=1e-12)  # exact strata: identical means


def test_balance_table_by_hand():
    cohort = pd.DataFrame({"treated": [True, True, False, False, False, False],
                           "x": [2.0, 4.0, 0.0, 2.0, 0.0, 2.0],
                           "sex": ["M", "F", "M", "M", "M", "F"]})
    table = balance_table(cohort, ["x", "sex"], weights=[1, 1, 0, 1, 0, 1])
    x = table[table["covariate"] == "x"].iloc[0]
    # Before: treated mean 3 (var 1), comparison mean 1 (var 1); pooled sd 1 -> SMD 2.
    assert (x["treated_before"], x["comparison_before"], x["smd_before"]) == pytest.approx((3.0, 1.0, 2.0))
    assert x["variance_ratio_before"] == pytest.approx(1.0)
    # After: comparison rows of weight 1 are x = 2, 2 -> mean 2, SMD (3 - 2) / 1.
    assert (x["comparison_after"], x["smd_after"]) == pytest.approx((2.0, 1.0))
    assert np.isnan(x["variance_ratio_after"])  # no variance left in the comparison group
    assert not x["balanced"]
    m = table[(table["covariate"] == "sex") & (table["level"] == "M")].iloc[0]
    # Proportion male: treated 1/2, comparison 3/4 before, 1/2 after.
    assert (m["treated_before"], m["comparison_before"], m["comparison_after"]) == pytest.approx((0.5, 0.75, 0.5))
    assert m["smd_after"] == 0 and m["balanced"]
    unweighted = balance_table(cohort, ["x"])
    assert unweighted["smd_after"].isna().all() and not unweighted["balanced"].iloc[0]


# --------------------------------------------------------------------------------------------------
# Matching mechanics
# --------------------------------------------------------------------------------------------------


def test_cem_weights_by_hand():
    cohort = pd.DataFrame({
        "person_id": list("abcdefghij"),
        "treated": [True, True, True, False, False, False, False, False, True, False],
        "k": [0, 0, 1, 0, 1, 1, 1, 2, 5, 2],
        "post": [0, 1, 0, 1, 0, 1, 1, 0, 0, 0],
    })
    m = coarsened_exact_match(cohort, {"k": [1, 2]})  # bins: k < 1, 1 <= k < 2, k >= 2
    w = dict(zip(m.data["person_id"], m.data["weight"], strict=True))
    # Strata: {k<1}: t=a,b c=d; {1}: t=c c=e,f,g; {>=2}: t=i c=h,j.  All three have both groups.
    # N_t = 4, N_c = 6: comparison weight (n_t_s / n_c_s) * (6 / 4).
    assert w["d"] == pytest.approx(2 / 1 * 1.5)
    assert w["e"] == w["f"] == w["g"] == pytest.approx(1 / 3 * 1.5)
    assert w["h"] == w["j"] == pytest.approx(1 / 2 * 1.5)
    assert all(w[p] == 1 for p in "abci")
    exact = coarsened_exact_match(cohort, {"k": None})  # k = 5 has no comparison: i dropped
    assert exact.n_treated_matched == 3 and exact.data.set_index("person_id").loc["i", "weight"] == 0
    assert exact.data.set_index("person_id").loc["h", "weight"] == 0
    assert "1 participant(s)" in exact.notes[0]
    # The weighted comparison risk is the treated-distribution average of the stratum risks.
    e = estimate_effect(m)
    assert e.risk_comparison == pytest.approx((2 * 1 + 1 * (2 / 3) + 1 * 0) / 4)
    assert e.risk_treated == pytest.approx(1 / 4)


def test_propensity_match_rules():
    cohort, _ = simulate(3, n=1500)
    # The same comparison people at a second index date (risk-set rows): each may be used only once.
    comp = cohort[~cohort["treated"]].assign(index_date=pd.Timestamp("2023-02-01"))
    both = pd.concat([cohort, comp], ignore_index=True)
    m = propensity_match(both, ["prior_sv_12m", "prior_any_24m", "age"], ratio=2, exact=("sex",), seed=4)
    rows = m.rows
    comp_rows = rows[~rows["treated"]]
    assert comp_rows["person_id"].is_unique
    for _, group in rows.groupby("match_id"):
        t = group[group["treated"]]
        c = group[~group["treated"]]
        assert len(t) == 1 and 1 <= len(c) <= 2
        assert (c["sex"] == t["sex"].iloc[0]).all()
        assert (np.abs(c["propensity_logit"] - t["propensity_logit"].iloc[0]) <= m.caliper_width).all()
        np.testing.assert_allclose(c["weight"], 1 / len(c))
    assert m.n_treated_matched == rows["treated"].sum() and m.n_comparison_matched == len(comp_rows)
    # A tighter caliper matches no more participants.
    tight = propensity_match(both, ["prior_sv_12m", "prior_any_24m", "age"], caliper=0.001, seed=4)
    assert tight.n_treated_matched <= propensity_match(both, ["prior_sv_12m", "prior_any_24m", "age"],
                                                       seed=4).n_treated_matched
    with pytest.raises(ValueError, match="ratio"):
        propensity_match(cohort, ["age"], ratio=0)
    with pytest.raises(ValueError, match="missing values"):
        propensity_match(cohort.assign(age=np.nan), ["age"])


# --------------------------------------------------------------------------------------------------
# Effects, MDE, Maryland
# --------------------------------------------------------------------------------------------------


def test_unmatched_effect_is_the_two_sample_difference_with_hc1():
    cohort = pd.DataFrame({"person_id": range(10), "treated": [True] * 4 + [False] * 6,
                           "post": [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]})
    e = estimate_effect(cohort)
    p_t, p_c = 0.5, 1 / 6
    assert (e.risk_treated, e.risk_comparison, e.risk_difference) == pytest.approx((p_t, p_c, p_t - p_c))
    hc0 = p_t * (1 - p_t) / 4 + p_c * (1 - p_c) / 6
    se = np.sqrt(hc0 * 10 / 8)  # HC1 = HC0 * n / (n - k)
    assert e.rd_high - e.rd_low == pytest.approx(2 * 1.959964 * se, rel=1e-5)
    assert e.risk_ratio == pytest.approx(3.0)
    assert e.rr_low < 3.0 < e.rr_high
    assert e.se_method == "HC1 robust"


def test_difference_in_differences_by_hand():
    cohort = pd.DataFrame({"person_id": range(8), "treated": [True] * 4 + [False] * 4,
                           "pre": [1, 1, 1, 0, 1, 0, 0, 0], "post": [0, 1, 0, 0, 1, 1, 0, 0]})
    d = difference_in_differences(cohort)
    # Treated 0.75 -> 0.25 (-0.5); comparison 0.25 -> 0.5 (+0.25); DiD -0.75.
    assert (d.estimate, d.change_treated, d.change_comparison) == pytest.approx((-0.75, -0.5, 0.25))
    assert d.low < d.estimate < d.high
    assert difference_in_differences(cohort.drop(columns="pre")) is None


def test_minimum_detectable_effect_by_hand():
    # (1.959964 + 0.841621) * sqrt(0.2 * 0.8 * (1/100 + 1/200)) = 2.801585 * 0.0489898
    assert minimum_detectable_effect(100, 200, 0.2) == pytest.approx(0.137249, abs=1e-5)
    assert minimum_detectable_effect(100, 200, 0.2, power=0.9) > minimum_detectable_effect(100, 200, 0.2)
    assert minimum_detectable_effect(400, 800, 0.2) == pytest.approx(0.137249 / 2, abs=1e-5)
    with pytest.raises(ValueError):
        minimum_detectable_effect(0, 10, 0.2)
    with pytest.raises(ValueError):
        minimum_detectable_effect(10, 10, 1.2)


@pytest.mark.parametrize(("design", "level"), [
    ({}, 1),
    ({"has_before_period": True}, 2),
    ({"has_comparison": True}, 2),
    ({"has_comparison": True, "matched": True, "balanced": True}, 2),
    ({"has_comparison": True, "has_before_period": True}, 3),
    ({"has_comparison": True, "has_before_period": True, "matched": True, "balanced": False}, 3),
    ({"has_comparison": True, "has_before_period": True, "matched": True, "balanced": True}, 4),
    ({"has_comparison": True, "has_before_period": True, "randomised": True}, 5),
    ({"has_comparison": True, "randomised": True}, 5),
])
def test_maryland_level_rules(design, level):
    got, words = maryland_level(design)
    assert got == level
    assert words.startswith(f"Level {level} of 5 on the Maryland Scientific Methods Scale: ")
    assert maryland_level(Design(**design)) == (got, words)


# --------------------------------------------------------------------------------------------------
# The whole evaluation
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["psm", "cem"])
def test_evaluate_bundles_and_words(method):
    cohort, _ = simulate(5)
    r = evaluate(cohort, method, covariates=["prior_sv_12m", "prior_any_24m", "sex"],
                 bins={"prior_sv_12m": None, "prior_any_24m": None, "sex": None})
    assert r.counts["participants"] == int(cohort["treated"].sum())
    assert r.counts["participants_matched"] + r.counts["participants_unmatched"] == r.counts["participants"]
    assert "pre" in set(r.balance["covariate"])
    assert r.did is not None and r.naive is not None
    assert r.maryland[0] == (4 if r.balanced else 3)
    text = r.summary(programme="the mentoring programme")
    e = r.effect
    assert f"{100 * e.risk_treated:.0f}% of matched participants" in text
    assert f"{100 * e.risk_difference:+.1f} percentage points" in text
    assert "Maryland Scientific Methods Scale" in text and "not recorded" in text
    if e.p_value >= 0.05:
        assert f"about {100 * r.mde:.0f} percentage points" in text and "could be chance" in text
    else:
        assert "more than chance" in text


def test_evaluate_says_significant_and_refuses_bad_method():
    cohort, _ = simulate(6, n=6000)
    cohort.loc[cohort["treated"], "post"] = 0  # a (too) good programme
    r = evaluate(cohort, "cem", covariates=["prior_sv_12m", "prior_any_24m"])
    assert r.effect.p_value < 0.001 and "lower than the comparison group's by more than chance" in r.summary()
    with pytest.raises(ValueError, match="method"):
        evaluate(cohort, "ols")
    with pytest.raises(ValueError, match="both participants"):
        evaluate(cohort.assign(treated=False), "psm")


def test_evaluate_from_build_cohort_end_to_end():
    """Simulated incident records through build_cohort and evaluate."""
    rng = np.random.default_rng(12)
    n = 600
    ids = [f"P{i:04d}" for i in range(n)]
    z = rng.normal(size=n)
    rows = []
    for pid, zi in zip(ids, z, strict=True):
        for _ in range(rng.poisson(np.exp(0.8 + 0.5 * zi))):
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 5 * 365)))
            role = "suspect" if rng.random() < 0.7 else "victim"
            rows.append((pid, day, role, bool(rng.random() < expit(-1 + 0.5 * zi))))
    events = pd.DataFrame(rows, columns=["person_id", "occurred_at", "role", "serious_violence"])
    persons = pd.DataFrame({"person_id": ids, "sex": rng.choice(["M", "F"], n),
                            "date_of_birth": pd.Timestamp("2006-01-01")
                            + pd.to_timedelta(rng.integers(0, 2000, n), unit="D")})
    chosen = rng.choice(n, 60, replace=False)
    participants = pd.DataFrame({"person_id": [ids[i] for i in chosen],
                                 "start_date": pd.Timestamp("2022-01-01")
                                 + pd.to_timedelta(rng.integers(0, 700, 60), unit="D")})
    cohort = build_cohort(events, persons, participants)
    assert cohort.attrs["participants"] == 60
    assert cohort["treated"].sum() + cohort.attrs["participants_without_follow_up"] == 60
    comp = cohort[~cohort["treated"]]
    assert (comp["prior_any_24m"] > 0).all()  # comparison rows were suspects in the history window
    assert set(comp["person_id"]).isdisjoint(participants["person_id"])
    assert set(comp["index_date"].dt.day) == {1}
    r = evaluate(cohort, "psm")
    assert r.counts["participants_without_follow_up"] == cohort.attrs["participants_without_follow_up"]
    assert f"{r.counts['participants_without_follow_up']} started too recently" in r.summary() or \
        r.counts["participants_without_follow_up"] == 0
