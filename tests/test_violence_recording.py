"""Protected-characteristic recording: ethnicity codes, completeness, agreement, consistency, trends, alerts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from threadline.analyse.violence import recording
from threadline.analyse.violence.ethnicity import observed_codes, self_defined_codes, to_group5
from threadline.analyse.violence.recording import (
    FIELDS,
    completeness,
    completeness_alerts,
    completeness_trend,
    ethnicity_agreement,
    person_consistency,
)

# --------------------------------------------------------------------------------------------------
# Ethnicity codes
# --------------------------------------------------------------------------------------------------

SELF_DEFINED = {
    "W1": "white", "W2": "white", "W3": "white", "W9": "white",
    "M1": "mixed", "M2": "mixed", "M3": "mixed", "M9": "mixed",
    "A1": "asian", "A2": "asian", "A3": "asian", "A4": "asian", "A9": "asian",
    "B1": "black", "B2": "black", "B9": "black",
    "O2": "other", "O9": "other",
    "NS": "not_stated",
}
OBSERVED = {"IC1": "white", "IC2": "white", "IC3": "black", "IC4": "asian", "IC5": "asian", "IC6": "other",
            "IC9": "not_stated"}


def test_self_defined_table_is_the_18_plus_1_list():
    table = self_defined_codes()
    assert list(table.columns) == ["code", "label", "group5"]
    assert len(table) == 19 and table["code"].is_unique
    assert dict(zip(table["code"], table["group5"], strict=True)) == SELF_DEFINED
    labels = dict(zip(table["code"], table["label"], strict=True))
    assert labels["B1"].endswith("Caribbean") and labels["B2"].endswith("African")
    assert labels["A4"].endswith("Chinese") and labels["O2"].endswith("Arab")
    assert labels["W3"].endswith("Gypsy or Irish Traveller")


def test_observed_table_is_the_ic_list():
    table = observed_codes()
    assert len(table) == 7
    assert dict(zip(table["code"], table["group5"], strict=True)) == OBSERVED


def test_every_code_maps_to_its_group():
    codes = pd.Series(list(SELF_DEFINED))
    assert to_group5(codes).tolist() == list(SELF_DEFINED.values())
    obs = pd.Series(list(OBSERVED))
    assert to_group5(obs, kind="observed").tolist() == list(OBSERVED.values())


def test_mapping_trims_case_folds_and_leaves_blanks_missing():
    out = to_group5(pd.Series([" w1 ", "a4", "", None, np.nan, pd.NA], dtype="object"))
    assert out.tolist() == ["white", "asian", None, None, None, None]


@pytest.mark.parametrize("code", ["O1", "X7", "IC1"])
def test_unknown_self_defined_code_is_refused_by_name(code):
    with pytest.raises(ValueError, match=code):
        to_group5(pd.Series(["W1", code]))


def test_unknown_observed_code_is_refused():
    with pytest.raises(ValueError, match="IC7"):
        to_group5(pd.Series(["IC1", "IC7"]), kind="observed")
    with pytest.raises(ValueError, match="kind"):
        to_group5(pd.Series(["W1"]), kind="census")


# --------------------------------------------------------------------------------------------------
# Completeness on a hand-written frame
# --------------------------------------------------------------------------------------------------


def _hand_rows() -> pd.DataFrame:
    return pd.DataFrame({
        "incident_id": [1, 1, 2, 3, 4, 5],
        "person_id": ["a", "b", "a", "c", "b", "d"],
        "role": ["victim", "suspect", "victim", "victim", "suspect", "victim"],
        "occurred_at": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-01-20", "2024-02-03", "2024-02-10",
                                       "2024-02-11"]),
        "source_system": ["Niche", "Niche", "Niche", "Athena", "Athena", "Athena"],
        "recording_unit": ["Leeds District"] * 3 + ["Bradford District"] * 3,
        "age": [20, None, 22, 30, 999, np.nan],
        "sex": ["male", "male", "", "female", "unknown", "female"],
        "ethnicity_self_defined": ["W1", "NS", "W9", "", "B1", None],
        "ethnicity_observed": ["IC1", "IC3", "IC1", "IC9", "IC3", ""],
        "religion": ["christian", "not_stated", "", "muslim", "", ""],
    })


def _wilson_pct(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def test_completeness_overall_counts_by_hand():
    out = completeness(_hand_rows(), by=(), fields=("age", "sex", "ethnicity_self_defined", "religion"))
    got = out.set_index("field")[["n", "recorded", "informative"]].astype(int).to_dict("index")
    assert got == {
        "age": {"n": 6, "recorded": 4, "informative": 3},  # 20, 22, 30 and 999 (out of range)
        "sex": {"n": 6, "recorded": 5, "informative": 4},  # "unknown" is recorded, not informative
        "ethnicity_self_defined": {"n": 6, "recorded": 4, "informative": 3},  # NS recorded, not informative
        "religion": {"n": 6, "recorded": 3, "informative": 2},  # not_stated recorded, not informative
    }
    sex = out.set_index("field").loc["sex"]
    assert sex["pct_recorded"] == pytest.approx(500 / 6)
    lo, hi = _wilson_pct(5, 6)
    assert sex["recorded_low"] == pytest.approx(lo) and sex["recorded_high"] == pytest.approx(hi)


def test_completeness_by_month_and_role_by_hand():
    out = completeness(_hand_rows(), fields=("sex", "ethnicity_observed"))
    out = out.set_index(["month", "role", "field"])
    jan, feb = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    assert out.loc[(jan, "victim", "sex"), ["n", "recorded", "informative"]].tolist() == [2, 1, 1]
    assert out.loc[(feb, "victim", "sex"), ["n", "recorded", "informative"]].tolist() == [2, 2, 2]
    assert out.loc[(feb, "suspect", "sex"), ["n", "recorded", "informative"]].tolist() == [1, 1, 0]
    assert out.loc[(feb, "victim", "ethnicity_observed"), ["n", "recorded", "informative"]].tolist() == [2, 1, 0]
    assert out.loc[(jan, "victim", "sex"), "pct_recorded"] == pytest.approx(50.0)
    lo, hi = _wilson_pct(1, 2)
    assert out.loc[(jan, "victim", "sex"), "recorded_low"] == pytest.approx(lo)
    assert out.loc[(jan, "victim", "sex"), "recorded_high"] == pytest.approx(hi)


def test_field_absent_from_the_frame_is_not_collected_not_zero():
    out = completeness(_hand_rows(), by=("recording_unit",), fields=("sex", "disability")).set_index(
        ["recording_unit", "field"])
    dis = out.loc[("Leeds District", "disability")]
    assert not dis["collected"] and dis["n"] == 0 and dis["not_collected"] == 3
    assert pd.isna(dis["recorded"]) and math.isnan(dis["pct_recorded"])
    assert dis["note"] == recording.NOT_COLLECTED
    assert out.loc[("Leeds District", "sex"), "collected"]


def test_not_collected_by_one_source_is_left_out_of_the_rates():
    out = completeness(_hand_rows(), by=("source_system",), fields=("religion",),
                       not_collected={"Athena": ["religion"]}).set_index("source_system")
    assert not out.loc["Athena", "collected"] and out.loc["Athena", "note"] == recording.NOT_COLLECTED
    assert out.loc["Niche", ["n", "recorded", "informative"]].tolist() == [3, 2, 1]
    overall = completeness(_hand_rows(), by=(), fields=("religion",), not_collected={"Athena": ["religion"]})
    assert overall[["n", "not_collected", "recorded"]].iloc[0].tolist() == [3, 3, 2]


def test_fields_default_to_all_eight_characteristics():
    assert FIELDS == ("age", "sex", "ethnicity_self_defined", "ethnicity_observed", "disability", "religion",
                      "sexual_orientation", "gender_identity")
    assert completeness(_hand_rows(), by=())["field"].tolist() == list(FIELDS)


# --------------------------------------------------------------------------------------------------
# Agreement of self-defined and observed ethnicity
# --------------------------------------------------------------------------------------------------


def test_agreement_and_kappa_against_hand_computation():
    self_defined = ["W1", "W1", "W1", "W1", "B1", "B2", "B1", "M1", "A1", "A4", "NS", "W1", ""]
    observed = ["IC1", "IC1", "IC1", "IC3", "IC3", "IC3", "IC1", "IC3", "IC4", "IC5", "IC1", "IC9", "IC1"]
    rows = pd.DataFrame({"ethnicity_self_defined": self_defined, "ethnicity_observed": observed,
                         "role": ["victim"] * 7 + ["suspect"] * 6, "source_system": ["Niche"] * 13})
    a = ethnicity_agreement(rows)
    # The last three rows lack an informative value on one side.
    assert (a.n, a.agree) == (10, 7)
    assert a.pct_agree == pytest.approx(70.0)
    lo, hi = _wilson_pct(7, 10)
    assert (a.low, a.high) == (pytest.approx(lo), pytest.approx(hi))
    # Margins: self white 4, black 3, mixed 1, asian 2; observed white 4, black 4, asian 2.
    # p_e = (4*4 + 3*4 + 1*0 + 2*2) / 100 = 0.32; kappa = (0.7 - 0.32) / (1 - 0.32) = 19/34.
    assert a.kappa == pytest.approx(19 / 34)
    c = a.confusion
    assert c.loc["white", "white"] == 3 and c.loc["white", "black"] == 1
    assert c.loc["black", "black"] == 2 and c.loc["black", "white"] == 1
    assert c.loc["mixed", "black"] == 1 and c.loc["asian", "asian"] == 2
    assert int(c.to_numpy().sum()) == 10 and int(c["mixed"].sum()) == 0
    mixed = a.by_group.set_index("self_defined").loc["mixed"]
    assert (mixed["n"], mixed["agree"]) == (1, 0)
    by_role = a.by_role.set_index("role")
    assert by_role.loc["victim", ["n", "agree"]].tolist() == [7, 5]
    assert by_role.loc["suspect", ["n", "agree"]].tolist() == [3, 2]
    assert a.by_source.set_index("source_system").loc["Niche", "n"] == 10


def test_agreement_needs_both_columns():
    with pytest.raises(ValueError, match="ethnicity_observed"):
        ethnicity_agreement(pd.DataFrame({"ethnicity_self_defined": ["W1"]}))


# --------------------------------------------------------------------------------------------------
# Consistency of the same person across records
# --------------------------------------------------------------------------------------------------


def test_person_consistency_by_hand():
    rows = pd.DataFrame({
        "person_id": ["p1", "p1", "p1", "p2", "p2", "p3", "p4", "p4", "p5", "p5", "p6", "p6"],
        "occurred_at": pd.to_datetime([
            "2020-01-01", "2023-01-01", "2023-06-01",  # p1: ages 20 then 23 three years on: consistent
            "2020-06-01", "2020-06-01",  # p2: 30 and 31 on the same day: within one year
            "2021-01-01",
            "2021-01-01", "2021-02-01",
            "2020-01-01", "2022-01-01",  # p5: 20 then 25 two years on: three years out
            "2021-05-05", "2021-05-05",  # p6: 30 and 32 on the same day: two years out
        ]),
        "sex": ["male", "male", "not_stated", "male", "female", "female", "unknown", "female", "female", "female",
                "", ""],
        "ethnicity_self_defined": ["W1", "W9", "NS", "B1", "B1", "A1", "", "A2", "A1", "M3", None, None],
        "age": [20, 23, None, 30, 31, 40, None, 40, 20, 25, 30, 32],
    })
    out = person_consistency(rows).set_index("field")
    # sex: p1 (male, male), p2 (male, female) and p5 (female, female) have two informative rows; p4 has
    # one ("unknown" is not informative); only p2 conflicts.
    assert out.loc["sex", ["people", "conflicting", "rows_involved"]].tolist() == [3, 1, 2]
    assert out.loc["sex", "pct_conflicting"] == pytest.approx(100 / 3)
    # ethnicity: p1 (W1, W9) conflicts on the code only; p2 agrees; p5 (A1, M3) conflicts on the group too.
    eth = out.loc["ethnicity_self_defined"]
    assert [eth["people"], eth["conflicting"], eth["conflicting_group"]] == [3, 2, 1]
    # age: p1, p2, p5, p6 have two ages; p5 and p6 conflict.
    assert out.loc["age", ["people", "conflicting", "rows_involved"]].tolist() == [4, 2, 4]
    strict = person_consistency(rows, fields=("age",), age_tolerance=0).set_index("field")
    assert strict.loc["age", "conflicting"] == 3  # p2's 30 and 31 on the same day now conflict too
    loose = person_consistency(rows, fields=("age",), age_tolerance=3.5).set_index("field")
    assert loose.loc["age", "conflicting"] == 0
    assert "person_id" not in out.reset_index().columns


# --------------------------------------------------------------------------------------------------
# Generated data: trend and alerts
# --------------------------------------------------------------------------------------------------

UNITS = ("Leeds District", "Bradford District", "Calderdale District", "Kirklees District",
         "Wakefield District", "Sheffield District")
BASE_P = {"age": 0.95, "sex": 0.97, "ethnicity_self_defined": 0.85, "ethnicity_observed": 0.9,
          "disability": 0.6, "religion": 0.5, "sexual_orientation": 0.45, "gender_identity": 0.4}
VALUES = {"sex": ["male", "female", "unknown"], "ethnicity_self_defined": list(SELF_DEFINED),
          "ethnicity_observed": list(OBSERVED), "disability": ["yes", "no", "not_stated"],
          "religion": ["no_religion", "christian", "muslim", "not_stated"],
          "sexual_orientation": ["heterosexual", "gay_lesbian", "bisexual", "not_stated"],
          "gender_identity": ["same_as_sex_at_birth", "different", "not_stated"]}
FIRST_MONTH, N_MONTHS = pd.Timestamp("2022-04-01"), 24  # to March 2024


def make_rows(seed: int, per_month: int = 60, drop: tuple[str, str, str, float] | None = None) -> pd.DataFrame:
    """Incident-person rows; ``drop = (unit, field, from_month, p)`` plants a fall in completeness."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(FIRST_MONTH, periods=N_MONTHS, freq="MS")
    grid = pd.MultiIndex.from_product([UNITS, months, range(per_month)], names=["recording_unit", "month", "k"])
    rows = grid.to_frame(index=False).drop(columns="k")
    n = len(rows)
    rows["incident_id"] = np.arange(n)
    rows["person_id"] = np.arange(n)
    rows["role"] = rng.choice(["victim", "suspect"], n)
    rows["source_system"] = "Niche"
    rows["occurred_at"] = rows["month"] + pd.to_timedelta(rng.integers(0, 28, n), unit="D")
    for field, p in BASE_P.items():
        prob = np.full(n, p)
        if drop is not None and drop[1] == field:
            planted = (rows["recording_unit"] == drop[0]) & (rows["month"] >= pd.Timestamp(drop[2]))
            prob[planted.to_numpy()] = drop[3]
        recorded = rng.random(n) < prob
        if field == "age":
            rows[field] = np.where(recorded, rng.integers(10, 60, n), np.nan)
        else:
            rows[field] = np.where(recorded, rng.choice(VALUES[field], n), "")
    return rows.drop(columns="month")


PLANT = ("Leeds District", "ethnicity_self_defined", "2024-03-01", 0.5)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_alert_finds_the_planted_fall(seed):
    alerts = completeness_alerts(make_rows(seed, drop=PLANT))
    assert ("Leeds District", "ethnicity_self_defined") in set(zip(alerts["recording_unit"], alerts["field"],
                                                                    strict=True))
    assert len(alerts) <= 2  # at most one chance alert besides the planted one
    top = alerts.iloc[0]
    assert (top["recording_unit"], top["field"]) == PLANT[:2]  # largest fall first
    assert top["recent_n"] == 60 and top["baseline_n"] == 12 * 60
    assert top["recent_pct"] < top["lower_limit_pct"] < top["baseline_pct"]
    assert top["message"] == (f"Ethnicity (self-defined) recorded on {top['recent_pct']:.0f}% of people in "
                              f"Leeds District in March 2024, down from {top['baseline_pct']:.0f}% over the "
                              "previous 12 months")


def test_victims_only_are_described_as_victims():
    rows = make_rows(6, drop=PLANT)
    alerts = completeness_alerts(rows.loc[rows["role"] == "victim"], min_n=20)
    assert alerts.iloc[0]["message"].startswith("Ethnicity (self-defined) recorded on ")
    assert " of victims in Leeds District in March 2024, down from " in alerts.iloc[0]["message"]


def test_planted_fall_found_exactly_on_most_seeds():
    exact = 0
    for seed in range(10, 15):
        alerts = completeness_alerts(make_rows(seed, drop=PLANT))
        exact += set(zip(alerts["recording_unit"], alerts["field"], strict=True)) == {PLANT[:2]}
    assert exact >= 4


def test_no_false_alerts_on_most_clean_seeds():
    noisy = sum(not completeness_alerts(make_rows(seed)).empty for seed in range(100, 110))
    assert noisy <= 1


def test_alert_over_three_months_and_by_role_wording():
    rows = make_rows(7, drop=("Kirklees District", "religion", "2024-01-01", 0.2))
    alerts = completeness_alerts(rows, recent_months=3, by=("recording_unit", "role"))
    found = set(zip(alerts["recording_unit"], alerts["field"], strict=True))
    assert found == {("Kirklees District", "religion")}
    assert set(alerts["role"]) == {"victim", "suspect"}
    victim = alerts.loc[alerts["role"] == "victim"].iloc[0]
    assert victim["message"].startswith("Religion or belief recorded on ")
    assert " of victims in Kirklees District in January to March 2024, down from " in victim["message"]


def test_no_alert_before_the_fall_and_small_units_are_not_tested():
    rows = make_rows(8, drop=PLANT)
    assert completeness_alerts(rows, as_of="2024-02").empty
    assert completeness_alerts(rows, min_n=61).empty  # 60 rows a month: nothing is tested
    everything = completeness_alerts(rows, include_all=True)
    assert len(everything) == len(UNITS) * len(FIELDS)
    assert everything["p_adjusted"].ge(everything["p_value"]).all()


def test_informative_measure_sees_a_switch_to_not_stated():
    rows = make_rows(9)
    planted = (rows["recording_unit"] == "Wakefield District") & (rows["occurred_at"] >= "2024-03-01")
    rows.loc[planted & (rows.index % 2 == 0), "ethnicity_self_defined"] = "NS"
    recorded = completeness_alerts(rows)
    assert ("Wakefield District", "ethnicity_self_defined") not in set(
        zip(recorded["recording_unit"], recorded["field"], strict=True))
    informative = completeness_alerts(rows, measure="informative")
    assert ("Wakefield District", "ethnicity_self_defined") in set(
        zip(informative["recording_unit"], informative["field"], strict=True))
    assert "recorded with a stated value" in informative.iloc[0]["message"]


def test_trend_recovers_a_planted_slope():
    rng = np.random.default_rng(42)
    months = pd.date_range("2021-01-01", periods=36, freq="MS")
    frames = []
    for i, m in enumerate(months):
        p = 1 / (1 + math.exp(-(-0.5 + 0.6 * i / 12)))  # log-odds rise 0.6 a year
        rec = rng.random(200) < p
        frames.append(pd.DataFrame({"occurred_at": m + pd.Timedelta(days=3), "role": "victim",
                                    "religion": np.where(rec, "christian", "")}))
    rows = pd.concat(frames, ignore_index=True)
    trend = completeness_trend(rows, "religion")
    assert len(trend.monthly) == 36 and trend.monthly["n"].eq(200).all()
    s = trend.slopes.iloc[0]
    assert s["slope_low"] < 0.6 < s["slope_high"]
    assert s["slope_low"] > 0.3 and s["p_value"] < 1e-6
    assert s["odds_ratio"] == pytest.approx(math.exp(s["slope"]))
    assert s["dispersion"] >= 1.0
    last12 = completeness_trend(rows, "religion", months=12)
    assert len(last12.monthly) == 12


def test_trend_of_a_flat_or_complete_series():
    rows = make_rows(3)
    flat = completeness_trend(rows, "religion", by=("recording_unit",)).slopes
    assert len(flat) == len(UNITS)
    assert (flat["slope_low"] < 0).sum() >= 5 and (flat["slope_high"] > 0).sum() >= 5
    rows["sex"] = "male"
    full = completeness_trend(rows, "sex").slopes.iloc[0]
    assert math.isnan(full["slope"])  # nothing to fit: every row recorded
