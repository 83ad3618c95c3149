"""The needs assessment's volumes for one local authority: partner records (ED, ambulance, youth
justice) count in an area only when located there, as given or by matching their free-text place;
the rest are counted apart as "not located", never silently dropped nor added to every area."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from threadline.analyse.violence import definitions as D
from threadline.analyse.violence import places
from threadline.report.areas import lsoa_table
from threadline.report.svna import PARTNER_SOURCES, Scope, locate_partners, volumes
from threadline.report.svna_html import render_html

START, END = date(2023, 1, 1), date(2024, 12, 31)
LEEDS, BRADFORD = "E08000035", "E08000032"
ED, AMB, YJS = (PARTNER_SOURCES[a][0] for a in ("nhs_ed", "ambulance", "youth_justice"))


def _lsoas(la_code: str) -> list[str]:
    t = lsoa_table()
    return sorted(t.loc[t["la_code"] == la_code, "lsoa_code"])[:2]


A1, A2 = _lsoas(LEEDS)
B1, _B2 = _lsoas(BRADFORD)


@pytest.fixture(scope="module")
def gazetteer() -> places.Gazetteer:
    """Streets and premises known from located police records: two in area A, one in area B."""
    return places.build_gazetteer(pd.DataFrame({
        "location_text": ["On or near Levens Garth", "On or near Gilbert Mount", "On or near Manningham Lane",
                          "On or near Manningham Lane"],
        "lsoa_code": [A1, A2, B1, B1]}))


def _partners() -> pd.DataFrame:
    """(agency, record_type, when, location text, LSOA as given); what each should count as is noted."""
    rows = [
        # emergency department: 3 given in A, 2 given in B, 2 matchable into A, 1 into B, 3 unlocatable
        ("nhs_ed", "assault_attendance", "2024-03-01", "Levens Garth", A1),
        ("nhs_ed", "assault_attendance", "2024-04-01", None, A2),
        ("nhs_ed", "assault_attendance", "2023-05-01", "somewhere", A1),  # previous twelve months
        ("nhs_ed", "assault_attendance", "2024-06-01", None, B1),
        ("nhs_ed", "assault_attendance", "2024-07-01", "Manningham Lane", B1),
        ("nhs_ed", "assault_attendance", "2024-08-01", "outside the shops on Levens Garth", None),
        ("nhs_ed", "assault_attendance", "2024-09-01", "in The Globe on Gilbert Mount", ""),  # empty = missing
        ("nhs_ed", "assault_attendance", "2024-10-01", "Manningham Ln", None),
        ("nhs_ed", "assault_attendance", "2024-10-02", "park", None),
        ("nhs_ed", "assault_attendance", "2024-10-03", None, None),
        ("nhs_ed", "assault_attendance", "2023-10-04", "town centre", None),  # previous twelve months
        # ambulance: assaults 2 given in A, 1 in B, 1 matchable into A, 1 unlocatable; overdoses never count
        ("ambulance", "assault", "2024-01-05", None, A1),
        ("ambulance", "assault", "2024-02-05", None, A2),
        ("ambulance", "assault", "2024-02-06", None, B1),
        ("ambulance", "assault", "2024-03-05", "Levens Garth", None),
        ("ambulance", "assault", "2024-03-06", "home address", None),
        ("ambulance", "overdose", "2024-04-05", None, A1),
        ("ambulance", "overdose", "2024-04-06", "Levens Garth", None),
        ("ambulance", "overdose", "2024-04-07", "not known", None),
        # youth justice: 1 given in A, 2 in B, 1 matchable into A, 2 unlocatable
        ("youth_justice", "referral_order", "2024-05-05", None, A2),
        ("youth_justice", "referral_order", "2024-05-06", None, B1),
        ("youth_justice", "referral_order", "2024-05-07", None, B1),
        ("youth_justice", "youth_caution", "2024-06-05", "Gilbert Mount", None),
        ("youth_justice", "youth_caution", "2024-06-06", None, None),
        ("youth_justice", "youth_caution", "2024-06-07", "no fixed abode", ""),
        # an LSOA the lookup does not know is not located either
        ("youth_justice", "youth_caution", "2024-06-08", None, "E01999999"),
        # another agency is never matched nor counted
        ("la_safeguarding", "referral", "2024-06-09", "Levens Garth", None),
    ]
    frame = pd.DataFrame(rows, columns=["agency", "record_type", "occurred_at", "location_text", "lsoa_code"])
    return frame.assign(record_id=[f"R{i}" for i in range(len(frame))],
                        occurred_at=pd.to_datetime(frame["occurred_at"]), weapon=None)


def _inv() -> pd.DataFrame:
    """Two police serious violence involvements (the police side is not under test here)."""
    return pd.DataFrame({"source": ["incident", "incident"], "record_id": ["I1", "I2"],
                         "occurred_at": pd.to_datetime(["2024-02-01", "2023-02-01"]), "age": [17, 40],
                         "sv_category": ["robbery", "wounding_gbh"], "la_code": [LEEDS, LEEDS],
                         "lsoa_code": [A1, A1]})


def _scope(la_code: str | None, suppress_below: int = 1) -> Scope:
    return Scope(la_code=la_code, la_name={LEEDS: "Leeds", BRADFORD: "Bradford", None: "West Yorkshire"}[la_code],
                 start=START, end=END, defs=D.load(), suppress_below=suppress_below)


def _totals(v: dict) -> dict[str, int]:
    return {k: sum(vals) for k, vals in v["monthly"].items()}


def test_locate_partners_keeps_given_places_and_matches_the_rest(gazetteer):
    located, matched = locate_partners(_partners(), gazetteer)
    by_id = located.set_index("record_id")
    assert by_id.loc["R0", ["lsoa_code", "la_code", "located"]].tolist() == [A1, LEEDS, "given"]
    assert by_id.loc["R5", ["lsoa_code", "la_code", "located"]].tolist() == [A1, LEEDS, "matched"]
    assert by_id.loc["R6", ["lsoa_code", "la_code", "located"]].tolist() == [A2, LEEDS, "matched"]
    assert by_id.loc["R7", ["lsoa_code", "la_code", "located"]].tolist() == [B1, BRADFORD, "matched"]
    assert by_id.loc["R8", "located"] is None and pd.isna(by_id.loc["R8", "la_code"])
    assert by_id.loc["R24", "located"] is None and pd.isna(by_id.loc["R24", "lsoa_code"])  # "" is missing
    assert by_id.loc["R25", "located"] == "given" and pd.isna(by_id.loc["R25", "la_code"])  # unknown LSOA
    assert by_id.loc["R26", "located"] is None  # other agencies are not matched
    # the match result is aligned with the records tried
    assert set(matched.index) <= set(located.index)
    assert located.loc[matched.index[matched["method"] != "none"], "located"].eq("matched").all()


def test_area_volumes_count_own_and_matched_records_and_report_the_unlocated(gazetteer):
    located, _ = locate_partners(_partners(), gazetteer)
    a = volumes(_inv(), located, _scope(LEEDS))
    totals = _totals(a)
    # own (given) plus matched into A; nothing from B, nothing unlocated
    assert totals[ED] == 3 + 2
    assert totals[AMB] == 2 + 1
    assert totals[YJS] == 1 + 1
    assert a["not_located"] == {ED: 3, AMB: 1, YJS: 3}
    assert a["not_located_counted"] is False
    rows = {c["source"]: c for c in a["changes"]}
    assert rows[ED]["last_12_months"] == 4 and rows[ED]["previous_12_months"] == 1
    assert rows[ED]["not_located"] == 2 and rows[ED]["not_located_previous"] == 1
    assert rows[YJS]["not_located"] == 3 and rows[YJS]["not_located_previous"] == 0
    assert "not_located" not in rows["Police: serious violence"]

    b = _totals(volumes(_inv(), located, _scope(BRADFORD)))
    assert (b[ED], b[AMB], b[YJS]) == (2 + 1, 1, 2)

    force = volumes(_inv(), located, _scope(None))
    f = _totals(force)
    # without an area every record counts, located or not, as before
    assert (f[ED], f[AMB], f[YJS]) == (11, 5, 7)
    assert force["not_located"] == a["not_located"] and force["not_located_counted"] is True
    # the areas and the not located partition the force
    for label in (ED, AMB, YJS):
        assert totals[label] + b[label] + a["not_located"][label] == f[label], label


def test_not_located_counts_are_suppressed_when_small(gazetteer):
    located, _ = locate_partners(_partners(), gazetteer)
    v = volumes(_inv(), located, _scope(LEEDS, suppress_below=3))
    assert v["not_located"] == {ED: 3, AMB: None, YJS: 3}
    rows = {c["source"]: c for c in v["changes"]}
    assert rows[ED]["not_located"] is None and rows[ED]["not_located_previous"] is None  # 2 and 1
    assert rows[YJS]["not_located"] == 3 and rows[YJS]["not_located_previous"] == 0


def test_the_report_shows_the_not_located_counts(gazetteer):
    located, _ = locate_partners(_partners(), gazetteer)
    scope = _scope(LEEDS, suppress_below=3)
    f = {"volumes": volumes(_inv(), located, scope), "area": {"la_code": LEEDS, "la_name": "Leeds"},
         "period": {"label": scope.label}}
    html = render_html(_minimal_findings(f), "t")
    assert "Not located in any area" in html
    assert f"{AMB} [c]" in html and f"{ED} 3" in html
    assert "not counted in Leeds" in html


def _minimal_findings(f: dict) -> dict:
    """The other sections, empty, so that the page renders around the volumes."""
    return {**f, "threadline_version": "0", "generated_at": "2025-01-01T00:00:00", "workspace": "t",
            "definitions": {"source": "test", "youth": "aged 10-24", "categories": ["Robbery"]},
            "suppress_below": 3,
            "where_when": {"hotspots": [], "lsoas_assessed": 0, "method": "", "day_hour": [[0] * 24] * 7,
                           "peak_times": [], "night_share": None, "weekend_share": None},
            "who": {r: {"people": 0, "youth": 0, "repeat_people": 0, "repeat_share": None, "age_bands": {},
                        "sex": {}, "group5": {}} for r in ("victim", "suspect")} | {"victim_and_suspect": 0},
            "partners": {"available": False, "note": "none"},
            "disproportionality": {"youth": "aged 10-24", "method": "katz", "areas": [LEEDS], "roles": {},
                                   "stage_area": LEEDS, "stages": [], "population_source": "test"},
            "recording": {"available": False},
            "outcome22": {"outcome_22": 0, "crimes_with_outcome": 0, "eligible": 0, "eligible_given": 0,
                          "eligible_not_given": 0, "by": {k: [] for k in ("group5", "age_band", "la_name",
                                                                           "incident_type")}}}
