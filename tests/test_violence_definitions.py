"""The shipped serious violence definitions, a partnership's own copy, and the outcome-22 rules."""

from __future__ import annotations

import pandas as pd
import pytest

from threadline.analyse.violence import definitions as D
from threadline.errors import InputError


@pytest.fixture(scope="module")
def defs():
    return D.load()


def test_shipped_definitions_cover_the_issue_categories(defs):
    names = [c.name for c in defs.categories]
    assert names == ["homicide", "attempted_homicide", "wounding_gbh", "robbery", "weapon_possession",
                     "knife_firearm_enabled"]
    assert (defs.youth_min_age, defs.youth_max_age) == (10, 24)
    assert defs.bands == {"under_18": (10, 17), "under_25": (10, 24)}
    assert defs.stage_outcomes["outcome_22"] == frozenset({22})


def test_incident_categories_by_code_type_and_marker(defs):
    inc = pd.DataFrame({
        "incident_type": ["robbery", "other_crime", "common_assault", "common_assault", "drugs", "robbery"],
        "ho_offence_code": ["34B", "5D", "105A", "105A", "92E", "34A"],
        "flags": ["", "", "knife", "", "knife", "firearm"],
    })
    assert D.incident_categories(inc, defs).tolist() == [
        "robbery", "wounding_gbh", "knife_firearm_enabled", "", "", "robbery"]


def test_case_categories(defs):
    cases = pd.DataFrame({"category": ["homicide", "attempted_homicide", "drug_related_death", "suicide"]})
    assert D.case_categories(cases, defs).tolist() == ["homicide", "attempted_homicide", "", ""]


def test_a_partnerships_own_definitions_are_checked(tmp_path):
    own = tmp_path / "sv.yaml"
    own.write_text("categories:\n  robbery:\n    ho_offence_codes: ['34B']\n    incident_types: [robbery]\n"
                   "youth:\n  min_age: 10\n  max_age: 17\n", encoding="utf-8")
    d = D.load(own)
    assert [c.name for c in d.categories] == ["robbery"] and d.youth_max_age == 17
    for body, words in [
        ("categories:\n  x:\n    ho_offence_codes: ['ZZ9']\n", "ZZ9"),
        ("categories:\n  x:\n    incident_types: [fisticuffs]\n", "fisticuffs"),
        ("categories:\n  x:\n    flags: [sword]\n", "sword"),
        ("categories: {}\n", "no categories"),
        ("categories: [\n", "not valid YAML"),
    ]:
        own.write_text(body, encoding="utf-8")
        with pytest.raises(InputError, match=words):
            D.load(own)
    with pytest.raises(InputError, match="no such"):
        D.load(tmp_path / "missing.yaml")


def test_youth_ages(defs):
    assert defs.with_youth(10, 17).youth_label == "aged 10-17"
    with pytest.raises(InputError):
        defs.with_youth(20, 17)
    ages = pd.Series([9, 10, 24, 25, None])
    assert D.is_youth(ages, defs).tolist() == [False, True, True, False, False]
    dob = pd.Series(["2000-06-15", None])
    at = pd.Series(["2018-06-14", "2018-06-14"])
    assert D.age_at(dob, at, pd.Series([None, 33])).tolist() == [17, 33]


def test_outcome22_eligibility_stops_after_a_formal_outcome(defs):
    rows = pd.DataFrame({
        "person_id": ["a", "a", "a", "b", "c", "d"],
        "occurred_at": pd.to_datetime(["2023-01-01", "2023-02-01", "2023-03-01", "2023-01-01", "2023-01-01",
                                       "2023-01-01"]),
        "age": [15, 15, 15, 18, 16, 16],
        "severity": [13.5, 13.5, 13.5, 13.5, 800.0, None],
        "outcome_code": [18, 8, 22, 22, 22, 22],
    })
    # a: eligible until (and including) the community resolution; not after it. b: too old.
    # c: robbery is not lower gravity. d: no severity, so not judged eligible.
    assert D.outcome22_eligible(rows, defs).tolist() == [True, True, False, False, False, False]
