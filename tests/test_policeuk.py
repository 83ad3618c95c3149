"""The data.police.uk street-level format, any force, imported as incidents with the built-in mapping."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from conftest import POLICE_UK_EXCERPT, count, register_snapshot, write_csv

import threadline as tl
from threadline import vocab

FULL_MONTH = Path("/work/shared/data/police-uk/2016-07-west-yorkshire-street.csv")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def excerpt_rows():
    return _rows(POLICE_UK_EXCERPT)


@pytest.fixture
def imported(workspace):
    result = tl.import_file(workspace, "police-uk", POLICE_UK_EXCERPT)
    return workspace, result


def test_every_row_of_the_excerpt_imports(imported, excerpt_rows):
    ws, r = imported
    assert len(excerpt_rows) == 309
    assert (r.kind, r.rows_read, r.imported, r.quarantined) == (
        "police-uk",
        len(excerpt_rows),
        len(excerpt_rows),
        0,
    )
    assert count(ws.con, "incidents") == len(excerpt_rows)
    assert count(ws.con, "quarantine") == 0
    assert ws.con.execute("SELECT kind FROM imports").fetchone() == ("police-uk",)


def test_crime_ids_are_kept_and_asb_rows_get_distinct_ids(imported, excerpt_rows):
    ws, _ = imported
    ids = [r[0] for r in ws.con.execute("SELECT incident_id FROM incidents").fetchall()]
    assert len(set(ids)) == len(excerpt_rows)
    crime_ids = {r["Crime ID"] for r in excerpt_rows if r["Crime ID"]}
    assert crime_ids <= set(ids)
    derived = set(ids) - crime_ids
    asb = [r for r in excerpt_rows if not r["Crime ID"]]
    assert len(derived) == len(asb) == 82
    assert all(re.fullmatch(r"pu-[0-9a-f]{16}", i) for i in derived)
    # identical "No Location" rows (three per month in this excerpt) are still distinct incidents
    no_location = Counter(r["Month"] for r in asb if r["Location"] == "No Location" and not r["Latitude"])
    assert max(no_location.values()) >= 3
    n = ws.con.execute(
        "SELECT count(DISTINCT incident_id) FROM incidents WHERE location_text = 'No Location'"
    ).fetchone()[0]
    assert n == sum(1 for r in excerpt_rows if r["Location"] == "No Location") == 19


def test_reimport_is_all_unchanged(imported, excerpt_rows):
    ws, _ = imported
    before = register_snapshot(ws.con, include_imports=False)
    again = tl.import_file(ws, "police-uk", POLICE_UK_EXCERPT)
    assert (again.imported, again.updated, again.unchanged, again.quarantined) == (0, 0, len(excerpt_rows), 0)
    assert register_snapshot(ws.con, include_imports=False) == before


def test_asb_ids_are_stable_when_the_file_is_reordered(imported, excerpt_rows, data_dir):
    ws, _ = imported
    reordered = write_csv(
        data_dir / "reordered.csv", list(excerpt_rows[0]), [list(r.values()) for r in reversed(excerpt_rows)]
    )
    again = tl.import_file(ws, "police-uk", reordered)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, len(excerpt_rows))


def test_force_and_incident_types(imported, excerpt_rows):
    ws, _ = imported
    assert ws.con.execute("SELECT DISTINCT force FROM incidents").fetchall() == [("West Yorkshire",)]
    types = dict(ws.con.execute("SELECT incident_type, count(*) FROM incidents GROUP BY 1").fetchall())
    expected = Counter(r["Crime type"].lower().replace("-", "_").replace(" ", "_") for r in excerpt_rows)
    assert types == dict(expected)
    assert set(types) <= set(vocab.INCIDENT_TYPES)
    assert types["anti_social_behaviour"] == 82
    assert types["violence_and_sexual_offences"] == 72


def test_occurred_at_is_the_first_of_the_month(imported, excerpt_rows):
    ws, _ = imported
    got = dict(
        ws.con.execute(
            "SELECT incident_id, occurred_at FROM incidents WHERE incident_id NOT LIKE 'pu-%'"
        ).fetchall()
    )
    for row in excerpt_rows:
        if row["Crime ID"]:
            assert got[row["Crime ID"]] == datetime.strptime(row["Month"], "%Y-%m")
    months = ws.con.execute("SELECT DISTINCT occurred_at FROM incidents ORDER BY 1").fetchall()
    assert months == [(datetime(2016, 7, 1),), (datetime(2017, 7, 1),), (datetime(2018, 7, 1),)]


def test_severity_weights(imported):
    ws, _ = imported
    severity = dict(
        ws.con.execute("SELECT incident_type, any_value(severity) FROM incidents GROUP BY 1").fetchall()
    )
    assert severity["violence_and_sexual_offences"] == 279.2
    assert severity["anti_social_behaviour"] is None
    assert severity["burglary"] == 380.2
    assert ws.con.execute(
        "SELECT count(DISTINCT severity) FROM incidents WHERE incident_type = 'violence_and_sexual_offences'"
    ).fetchone() == (1,)
    assert ws.con.execute(
        "SELECT count(*) FROM incidents WHERE severity IS NULL AND incident_type <> 'anti_social_behaviour'"
    ).fetchone() == (0,)


def test_places_outcomes_and_attributes(imported, excerpt_rows):
    ws, _ = imported
    first = excerpt_rows[0]
    row = ws.con.execute(
        "SELECT latitude, longitude, lsoa_code, location_text, outcome, attributes FROM incidents "
        "WHERE incident_id = ?",
        [first["Crime ID"]],
    ).fetchone()
    assert row[:5] == (
        float(first["Latitude"]),
        float(first["Longitude"]),
        first["LSOA code"],
        first["Location"],
        first["Last outcome category"],
    )
    attributes = json.loads(row[5])
    assert attributes["LSOA name"] == first["LSOA name"] == "Bradford 013A"
    assert attributes["time_precision"] == "month"
    assert ws.con.execute(
        "SELECT count(*) FROM incidents WHERE attributes->>'time_precision' = 'month'"
    ).fetchone() == (len(excerpt_rows),)
    # rows with no location have no coordinates, not zeros
    assert ws.con.execute("SELECT count(*) FROM incidents WHERE latitude IS NULL").fetchone() == (
        sum(1 for r in excerpt_rows if not r["Latitude"]),
    )


def test_other_forces_names_lose_their_suffix(workspace, excerpt_rows, data_dir):
    header = list(excerpt_rows[0])
    rows = []
    for i, force in enumerate(
        [
            "Kent Police",
            "Durham Constabulary",
            "Police Service of Northern Ireland",
            "Metropolitan Police Service",
        ]
    ):
        row = dict(excerpt_rows[i])
        row["Falls within"] = force
        rows.append(list(row.values()))
    r = tl.import_file(workspace, "police-uk", write_csv(data_dir / "mixed.csv", header, rows))
    assert r.imported == 4
    assert sorted(x[0] for x in workspace.con.execute("SELECT force FROM incidents").fetchall()) == [
        "Durham",
        "Kent",
        "Metropolitan",
        "Police Service of Northern Ireland",
    ]


@pytest.mark.skipif(not FULL_MONTH.exists(), reason="the full data.police.uk month is not available")
def test_a_full_real_month_imports_whole(workspace):
    r = tl.import_file(workspace, "police-uk", FULL_MONTH)
    assert (r.rows_read, r.imported, r.quarantined) == (27_176, 27_176, 0)
    assert count(workspace.con, "incidents") == 27_176
    assert count(workspace.con, "quarantine") == 0
    assert workspace.con.execute(
        "SELECT count(DISTINCT incident_id), min(occurred_at), max(occurred_at) FROM incidents"
    ).fetchone() == (27_176, datetime(2016, 7, 1), datetime(2016, 7, 1))
