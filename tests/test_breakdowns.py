"""Homicide Index breakdowns (ONS age bands, shares of recorded values, flags) and completeness."""

from __future__ import annotations

import pandas as pd
import pytest

from threadline import vocab
from threadline.analyse import breakdowns, quality
from threadline.analyse.breakdowns import AGE_BANDS, FIELDS, age_band, all_breakdowns, breakdown, flag_counts

# --------------------------------------------------------------------------------------------------
# ONS age bands
# --------------------------------------------------------------------------------------------------


def test_age_bands_are_the_ons_homicide_bands_in_order():
    assert [b[0] for b in AGE_BANDS] == [
        "under 1", "1 to 4", "5 to 15", "16 to 24", "25 to 34", "35 to 44", "45 to 54", "55 to 64",
        "65 to 74", "75 and over",
    ]
    # Contiguous, no gaps or overlaps, from birth.
    assert AGE_BANDS[0][1] == 0
    for (_, _, hi), (_, lo, _) in zip(AGE_BANDS, AGE_BANDS[1:], strict=False):
        assert lo == hi + 1


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "under 1"), (1, "1 to 4"), (4, "1 to 4"), (5, "5 to 15"), (15, "5 to 15"), (16, "16 to 24"),
        (24, "16 to 24"), (25, "25 to 34"), (34, "25 to 34"), (35, "35 to 44"), (44, "35 to 44"),
        (45, "45 to 54"), (54, "45 to 54"), (55, "55 to 64"), (64, "55 to 64"), (65, "65 to 74"),
        (74, "65 to 74"), (75, "75 and over"), (103, "75 and over"),
    ],
)
def test_age_band_edges(age, band):
    assert age_band(pd.Series([age])).iloc[0] == band


def test_missing_or_unreadable_ages_stay_missing():
    bands = age_band(pd.Series([None, "n/a", 30.0, pd.NA], dtype="object"))
    assert bands.isna().tolist() == [True, True, False, True]
    assert bands.iloc[2] == "25 to 34"


# --------------------------------------------------------------------------------------------------
# breakdown, flags, derived fields
# --------------------------------------------------------------------------------------------------


def cases_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "method": ["sharp_instrument", "sharp_instrument", "strangulation", None, "hitting_kicking",
                   "sharp_instrument"],
        "circumstance": ["quarrel_revenge_temper", None, "domestic_abuse", None, None, "gang_related"],
        "suspect_relationship": ["stranger", "stranger", "partner_ex_partner", None, "no_suspect", None],
        "victim_age": [19, 23, 41, None, 80, 0],
        "victim_sex": ["male", "male", "female", None, "male", "unknown"],
        "victim_ethnicity": ["white", "black", "white", "not_stated", None, "asian"],
        "location_type": ["street", "street", "dwelling_victim", None, "street", "dwelling_other"],
        "status": ["charged", "open", "convicted", None, "no_further_action", "open"],
        "flags": ["knife;youth", "knife", "domestic_abuse;vawg", None, "", "knife;gang"],
    })


def test_breakdown_counts_in_vocabulary_order_with_shares_of_recorded():
    rows = breakdown(breakdowns.with_derived(cases_frame()), "method")
    assert rows == [
        {"value": "sharp_instrument", "count": 3, "share": 3 / 5},
        {"value": "hitting_kicking", "count": 1, "share": 1 / 5},
        {"value": "strangulation", "count": 1, "share": 1 / 5},
        {"value": "not recorded", "count": 1, "share": None},
    ]
    order = [r["value"] for r in rows[:-1]]
    assert order == sorted(order, key=vocab.METHODS.index)


def test_unknown_is_a_value_and_missing_is_not_recorded():
    rows = {r["value"]: r for r in breakdown(cases_frame(), "victim_sex")}
    assert rows["male"]["count"] == 3 and rows["male"]["share"] == pytest.approx(3 / 5)
    assert rows["unknown"]["count"] == 1
    assert rows["not recorded"] == {"value": "not recorded", "count": 1, "share": None}
    assert "female" in rows and rows["female"]["count"] == 1


def test_age_band_breakdown_and_solved():
    frame = breakdowns.with_derived(cases_frame())
    ages = {r["value"]: r["count"] for r in breakdown(frame, "age_band")}
    assert ages == {"under 1": 1, "16 to 24": 2, "35 to 44": 1, "75 and over": 1, "not recorded": 1}
    solved = {r["value"]: r["count"] for r in breakdown(frame, "solved")}
    assert solved == {"solved": 2, "not solved": 3, "not recorded": 1}


def test_flag_counts_count_each_flag_a_case_carries():
    rows = {r["value"]: r for r in flag_counts(cases_frame())}
    assert rows["knife"]["count"] == 3 and rows["knife"]["share"] == pytest.approx(3 / 6)
    assert {k: v["count"] for k, v in rows.items()} == {
        "domestic_abuse": 1, "knife": 3, "gang": 1, "vawg": 1, "youth": 1}


def test_all_breakdowns_has_every_field_and_flags():
    out = all_breakdowns(cases_frame())
    assert set(out) == {*FIELDS, "flags"}
    for field, (title, _) in FIELDS.items():
        assert out[field]["title"] == title
        assert sum(r["count"] for r in out[field]["rows"]) == len(cases_frame()), field


def test_empty_frame_gives_no_rows():
    empty = cases_frame().iloc[0:0]
    assert breakdown(breakdowns.with_derived(empty), "method") == []
    assert flag_counts(empty) == []


# --------------------------------------------------------------------------------------------------
# Data quality: completeness
# --------------------------------------------------------------------------------------------------


def test_completeness_counts_unknown_and_not_stated_as_not_recorded():
    frame = cases_frame().assign(latitude=[53.8, None, 53.7, None, 53.9, 53.8],
                                 lsoa_code=["E01", "E02", None, None, "E03", "E04"])
    got = quality.completeness(frame)
    assert got["victim_ethnicity"] == pytest.approx(4 / 6)  # one missing, one not_stated
    assert got["victim_sex"] == pytest.approx(4 / 6)  # one missing, one unknown
    assert got["latitude"] == pytest.approx(4 / 6)
    assert got["status"] == pytest.approx(5 / 6)
    assert set(got) == set(quality.KEY_FIELDS)
    assert all(v is None for v in quality.completeness(frame.iloc[0:0]).values())
