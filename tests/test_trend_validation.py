"""Validation of the emerging-trend detector on synthetic forces with known truth.

1. False alarms: forces synthesised with no planted rise and no planted series (nothing to find),
   several seeds, each assessed as the report would for each of its last eight quarters. The share
   of tested series flagged must be at most the documented bound (docs/report.md: at most 1 false
   alarm per 100 series tested on average).
2. Detection: a five-year full-size force with the generator's default planted rise; the planted
   category and local authority (``truth/emerging.csv``) must be flagged in its quarter.

The detector is :func:`threadline.report.findings.emerging`, called as ``build_findings`` calls it,
on the cases the generator wrote (joined to local authorities, labelled by quarter), without an
import: ``tests/test_report.py`` checks that the counts ``build_findings`` gives it reconcile with
the register. Run with ``-s`` (or ``-rP``) to see the measured figures.
"""

from __future__ import annotations

import inspect
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from threadline import vocab
from threadline.report.areas import lsoa_table
from threadline.report.findings import emerging
from threadline.report.period import quarter_period
from threadline.synth import synthesise

pytestmark = pytest.mark.slow

END = date(2024, 12, 31)
#: The documented bound: false alarms per series tested, on average.
FALSE_ALARM_BOUND = 1 / 100
NULL_SEEDS = (1, 2, 3, 4)
NULL_SCALE = 0.25
QUARTERS_PER_FORCE = 8
DETECTION_SEEDS = (1, 2)
DETECTION_SCALE = 1.0

_SWITCHES = ("plant_series", "plant_emerging", "plant_nhs_hotspot")
_MISSING = [s for s in _SWITCHES if s not in inspect.signature(synthesise).parameters]
needs_switches = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"threadline.synth.synthesise has no {', '.join(_MISSING)} switch: a force without the planted "
    "rise and series cannot be made, so false alarms cannot be told from planted signals",
)


def cases_frame(folder: Path) -> pd.DataFrame:
    """The generator's cases as ``build_findings`` hands them to ``emerging``: with the local
    authority of their LSOA and their calendar quarter of report."""
    cases = pd.read_csv(folder / "cases.csv", usecols=["case_id", "category", "reported_at", "lsoa_code", "flags"],
                        dtype=str, keep_default_na=False, na_values=[""])
    cases["reported_at"] = pd.to_datetime(cases["reported_at"])
    cases = cases.merge(lsoa_table()[["lsoa_code", "la_code", "la_name"]], on="lsoa_code", how="left")
    ts = cases["reported_at"].dt
    cases["quarter"] = ts.year.astype(str) + "Q" + ts.quarter.astype(str)
    return cases


def assess(cases: pd.DataFrame, quarter: str) -> tuple[list[dict], dict]:
    data_start = cases["reported_at"].min().date()
    return emerging(cases, quarter_period(quarter), vocab.CATEGORIES, data_start=data_start)


# --------------------------------------------------------------------------------------------------
# False alarms
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def null_runs(tmp_path_factory) -> list[dict]:
    runs = []
    for seed in NULL_SEEDS:
        folder = tmp_path_factory.mktemp(f"null-{seed}")
        synthesise(folder, years=5, seed=seed, end=END, population_scale=NULL_SCALE,
                   plant_series=False, plant_emerging=False, plant_nhs_hotspot=False)
        assert len(pd.read_csv(folder / "truth" / "emerging.csv")) == 0
        cases = cases_frame(folder)
        for quarter in sorted(cases["quarter"].unique())[-QUARTERS_PER_FORCE:]:
            flagged, method = assess(cases, quarter)
            runs.append({"seed": seed, "quarter": quarter, "tested": method["series_tested"],
                         "flagged": len(flagged), "alarms": [e["description"] for e in flagged]})
    return runs


@needs_switches
def test_false_alarm_rate_is_within_the_documented_bound(null_runs):
    tested = sum(r["tested"] for r in null_runs)
    flagged = sum(r["flagged"] for r in null_runs)
    rate = flagged / tested
    print(f"\nfalse alarms: {flagged} of {tested} series tested ({rate:.2%}; bound {FALSE_ALARM_BOUND:.0%}) over "
          f"{len(null_runs)} quarterly assessments of {len(NULL_SEEDS)} forces (scale {NULL_SCALE}, 5 years, "
          f"last {QUARTERS_PER_FORCE} quarters each); {flagged / len(null_runs):.2f} per report")
    for seed in NULL_SEEDS:
        mine = [r for r in null_runs if r["seed"] == seed]
        print(f"  seed {seed}: {sum(r['flagged'] for r in mine)} of {sum(r['tested'] for r in mine)}")
    for r in null_runs:
        for alarm in r["alarms"]:
            print(f"    seed {r['seed']} {r['quarter']}: {alarm}")
    # Every report tests each category force-wide and in each district, and each flag.
    assert all(r["tested"] >= 40 for r in null_runs)
    assert rate <= FALSE_ALARM_BOUND, f"{flagged} false alarms in {tested} series ({rate:.2%})"


# --------------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------------


@needs_switches
@pytest.mark.parametrize("seed", DETECTION_SEEDS)
def test_planted_rise_is_flagged_in_its_quarter(tmp_path, seed):
    synthesise(tmp_path, years=5, seed=seed, end=END, population_scale=DETECTION_SCALE)
    truth = pd.read_csv(tmp_path / "truth" / "emerging.csv")
    assert len(truth) == 1
    planted = truth.iloc[0]
    cases = cases_frame(tmp_path)
    flagged, method = assess(cases, planted["quarter"])
    assert method["quarter"] == planted["quarter"]
    hits = [e for e in flagged if e["category"] == planted["category"] and e["area_code"] == planted["la_code"]]
    found = hits[0] if hits else None
    print(f"\ndetection, seed {seed}: planted {planted['category']} in {planted['la_name']} {planted['quarter']} "
          f"({planted['observed_in_quarter']} observed, {planted['expected_without_plant']} expected without the "
          f"plant): {'flagged, score ' + format(found['score'], '.2f') + ', p ' + format(found['p_value'], '.1e') if found else 'NOT flagged'}; "  # noqa: E501
          f"{len(flagged)} series flagged of {method['series_tested']}")
    assert found is not None, f"planted rise not flagged; flagged: {[e['description'] for e in flagged]}"
    assert found["observed"] == planted["observed_in_quarter"]
    assert found["area"] == planted["la_name"] and found["quarter"] == planted["quarter"]
    assert found["observed"] > found["threshold"]
