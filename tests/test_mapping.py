"""Mapping files: a force's own export loads without code (renames, recodes, formats, ids)."""

from __future__ import annotations

import random
import shutil
from datetime import datetime

import pytest
import yaml
from conftest import EXAMPLES, count, metres_between, quarantine_rows, read_csv_dicts, write_csv

import threadline as tl
from threadline.ingest.mapping import Mapping


@pytest.fixture
def example(tmp_path):
    """The shipped example export and its mapping, copied so the rejects file is written in tmp_path."""
    csv_path = shutil.copy(EXAMPLES / "force-cases-export.csv", tmp_path / "force-cases-export.csv")
    yaml_path = shutil.copy(EXAMPLES / "force-cases-mapping.yaml", tmp_path / "force-cases-mapping.yaml")
    return tmp_path / csv_path.name, tmp_path / yaml_path.name


def test_example_export_imports_with_its_mapping(workspace, example):
    export, mapping = example
    r = tl.import_file(workspace, "cases", export, mapping=mapping)
    assert (r.rows_read, r.imported, r.quarantined) == (6, 4, 2)
    assert r.extra_columns == ["Team"]
    con = workspace.con
    rows = {
        row[0]: row
        for row in con.execute(
            "SELECT case_id, force, category, method, circumstance, location_type, flags, reported_at, "
            "occurred_from, occurred_to, victim_sex, victim_ethnicity, suspect_relationship, status, "
            "victim_age, substance, "
            "attributes->>'Team', latitude, longitude FROM cases"
        ).fetchall()
    }
    assert sorted(rows) == ["MCU/21/0001", "MCU/21/0002", "MCU/21/0003", "MCU/21/0004"]
    first = rows["MCU/21/0001"]
    assert first[1:17] == (
        "West Yorkshire",
        "homicide",
        "sharp_instrument",
        "quarrel_revenge_temper",
        "street",
        "knife;youth",
        datetime(2021, 4, 3, 23, 10),
        datetime(2021, 4, 3, 22, 30),
        datetime(2021, 4, 3, 22, 45),
        "male",
        "black",
        "friend_acquaintance",
        "charged",
        19,
        None,
        "MIT 1",
    )
    assert round(first[17], 2) == 53.80 and round(first[18], 2) == -1.55
    assert rows["MCU/21/0002"][2:4] == ("attempted_homicide", "strangulation")
    assert rows["MCU/21/0002"][6] == "domestic_abuse"  # DA recoded item by item
    assert rows["MCU/21/0003"][2] == "unexplained_death" and rows["MCU/21/0003"][15] == "GHB"
    assert rows["MCU/21/0004"][2:4] == ("drug_related_death", "poison_or_drugs")
    assert rows["MCU/21/0004"][13] == "closed_non_crime"
    # Bradford, not Leeds: the BNG positions were each converted
    assert metres_between(*rows["MCU/21/0002"][17:], *rows["MCU/21/0001"][17:]) > 10_000
    # the two bad rows: easting off the grid (row 6) and 31 February (row 7)
    q = quarantine_rows(con)
    assert [(row, field) for row, field, _ in q] == [(6, "easting"), (7, "reported_at")]
    assert "not a valid date-time (format %d/%m/%Y %H:%M)" in q[1][2]
    rejects = read_csv_dicts(export.with_name("force-cases-export.rejects.csv"))
    assert [(x["rejected_row"], x["rejected_fields"], x["Occurrence Ref"]) for x in rejects] == [
        ("6", "easting", "MCU/21/0005"),
        ("7", "reported_at", "MCU/21/0006"),
    ]
    # the raw quarantined row is the export's own columns
    assert con.execute(
        "SELECT DISTINCT raw->>'Date Reported' FROM quarantine WHERE source_row = 7"
    ).fetchone() == ("31/02/2021 14:00",)
    assert con.execute("SELECT mapping FROM imports").fetchone() == (str(mapping),)


def test_example_reimport_is_unchanged(workspace, example):
    export, mapping = example
    tl.import_file(workspace, "cases", export, mapping=mapping)
    r = tl.import_file(workspace, "cases", export, mapping=Mapping.load(mapping))
    assert (r.imported, r.updated, r.unchanged, r.quarantined) == (0, 0, 4, 2)
    assert count(workspace.con, "quarantine") == 2


def _mapping(tmp_path, data: dict, name: str = "m.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_mapping_reading_a_missing_column_is_a_clear_error(workspace, data_dir, tmp_path):
    path = write_csv(data_dir / "x.csv", ["Ref", "Type", "Reported"], [["a", "homicide", "2021-01-01"]])
    m = _mapping(
        tmp_path, {"columns": {"case_id": "Ref", "category": "Offence Type", "reported_at": "Reported"}}
    )
    with pytest.raises(tl.InputError) as info:
        tl.import_file(workspace, "cases", path, mapping=m)
    message = str(info.value)
    assert "'Offence Type'" in message and "'category'" in message and "Ref, Type, Reported" in message
    assert str(m) in message
    assert count(workspace.con, "imports") == 0


@pytest.mark.parametrize(
    "data",
    [
        {"columns": {"case_id": "Ref", "victim_agee": "Age"}},
        {"values": {"categroy": {"Murder": "homicide"}}},
        {"formats": {"reported": "%d/%m/%Y"}},
        {"replace": {"Force": [" Police$", ""]}},
        {"derive_id": {"incident_id": {"from": ["Ref"]}}},
    ],
    ids=["columns", "values", "formats", "replace", "derive_id"],
)
def test_mapping_naming_a_column_the_kind_lacks_is_an_error(workspace, data_dir, tmp_path, data):
    path = write_csv(
        data_dir / "x.csv", ["Ref", "Age", "category", "reported_at"], [["a", "30", "homicide", "2021-01-01"]]
    )
    m = _mapping(tmp_path, {"columns": {"case_id": "Ref"}, **data})
    with pytest.raises(tl.InputError, match="not cases column") as info:
        tl.import_file(workspace, "cases", path, mapping=m)
    assert str(m) in str(info.value)
    assert count(workspace.con, "imports") == 0


def test_mapping_may_name_easting_and_northing_for_kinds_with_places(workspace, data_dir, tmp_path):
    path = write_csv(
        data_dir / "x.csv",
        ["Ref", "category", "reported_at", "X", "Y"],
        [["a", "homicide", "2021-01-01", "429835", "433561"]],
    )
    m = _mapping(tmp_path, {"columns": {"case_id": "Ref", "easting": "X", "northing": "Y"}})
    assert tl.import_file(workspace, "cases", path, mapping=m).imported == 1
    lat, lon = workspace.con.execute("SELECT latitude, longitude FROM cases").fetchone()
    assert round(lat, 2) == 53.80 and round(lon, 2) == -1.55


def test_derive_id_reading_a_missing_column_is_an_error(workspace, data_dir, tmp_path):
    path = write_csv(data_dir / "x.csv", ["category", "reported_at"], [["homicide", "2021-01-01"]])
    m = _mapping(tmp_path, {"derive_id": {"case_id": {"from": ["category", "Location"]}}})
    with pytest.raises(tl.InputError, match="derive_id.case_id reads missing column.*Location"):
        tl.import_file(workspace, "cases", path, mapping=m)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colums": {"case_id": "Ref"}}, "unknown key.*colums"),
        ({"kind": "cases", "mapping": {}}, "unknown key.*mapping"),
        (["case_id"], "must be a YAML dictionary"),
        ({"columns": ["case_id"]}, "'columns' must be a dictionary"),
        ({"values": {"category": "homicide"}}, "values.category must be a dictionary"),
        ({"replace": {"force": " Police$"}}, r"replace.force must be \[pattern, replacement\]"),
        ({"derive_id": {"case_id": {"prefix": "x-"}}}, "derive_id.case_id needs 'from'"),
    ],
)
def test_bad_mapping_files_are_rejected(tmp_path, data, message):
    path = _mapping(tmp_path, data)
    with pytest.raises(tl.InputError, match=message) as info:
        Mapping.load(path)
    assert str(path) in str(info.value)


def test_unreadable_mapping_files(tmp_path):
    with pytest.raises(tl.InputError, match="no such mapping file"):
        Mapping.load(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: {case_id: [unclosed\n", encoding="utf-8")
    with pytest.raises(tl.InputError, match="not valid YAML"):
        Mapping.load(bad)


def test_mapping_for_another_kind_is_rejected(workspace, example):
    export, mapping = example
    with pytest.raises(tl.InputError, match="the mapping is for 'cases' but the import is 'persons'"):
        tl.import_file(workspace, "persons", export, mapping=mapping)
    with pytest.raises(tl.InputError, match="police-uk kind has its own mapping"):
        tl.import_file(workspace, "police-uk", export, mapping=mapping)
    assert count(workspace.con, "imports") == 0


def test_mapping_kind_may_be_spelt_with_underscore(workspace, data_dir, tmp_path):
    tl.import_file(workspace, "persons", write_csv(data_dir / "p.csv", ["person_id"], [["p1"]]))
    tl.import_file(
        workspace,
        "cases",
        write_csv(
            data_dir / "c.csv", ["case_id", "category", "reported_at"], [["c1", "homicide", "2021-01-01"]]
        ),
    )
    path = write_csv(data_dir / "cp.csv", ["Case", "Person", "Role"], [["c1", "p1", "Victim"]])
    m = _mapping(
        tmp_path,
        {"kind": "case_persons", "columns": {"case_id": "Case", "person_id": "Person", "role": "Role"}},
    )
    assert tl.import_file(workspace, "case-persons", path, mapping=m).imported == 1


ASB_HEADER = ["Month", "Location", "Type"]
ASB_ROWS = [
    ["2020-01", "On or near High Street", "ASB"],
    ["2020-01", "On or near High Street", "ASB"],  # identical: still two incidents
    ["2020-01", "On or near Park Road", "ASB"],
    ["2020-02", "On or near High Street", "ASB"],
    ["2020-02", "No Location", "ASB"],
]
ASB_MAPPING = {
    "kind": "incidents",
    "columns": {"occurred_at": "Month", "location_text": "Location", "incident_type": "Type"},
    "values": {"incident_type": {"ASB": "anti_social_behaviour"}},
    "formats": {"occurred_at": "%Y-%m"},
    "derive_id": {"incident_id": {"prefix": "asb-", "from": ["Month", "Location", "Type"]}},
}


def _ids(con):
    return sorted(r[0] for r in con.execute("SELECT incident_id FROM incidents").fetchall())


def test_derive_id_gives_distinct_stable_ids(workspace, data_dir, tmp_path):
    m = _mapping(tmp_path, ASB_MAPPING)
    path = write_csv(data_dir / "asb.csv", ASB_HEADER, ASB_ROWS)
    r = tl.import_file(workspace, "incidents", path, mapping=m)
    assert (r.imported, r.quarantined) == (5, 0)
    ids = _ids(workspace.con)
    assert len(set(ids)) == 5
    assert all(i.startswith("asb-") and len(i) == 4 + 16 for i in ids)
    # the same rows in another order, in another file, get the same ids: nothing new, nothing changed
    shuffled = ASB_ROWS[:]
    random.Random(3).shuffle(shuffled)
    assert shuffled != ASB_ROWS
    r2 = tl.import_file(
        workspace, "incidents", write_csv(data_dir / "asb2.csv", ASB_HEADER, shuffled), mapping=m
    )
    assert (r2.imported, r2.updated, r2.unchanged) == (0, 0, 5)
    assert _ids(workspace.con) == ids
    # a new row adds one id and leaves the others alone
    r3 = tl.import_file(
        workspace,
        "incidents",
        write_csv(data_dir / "asb3.csv", ASB_HEADER, [*ASB_ROWS, ["2020-03", "No Location", "ASB"]]),
        mapping=m,
    )
    assert (r3.imported, r3.unchanged) == (1, 5)
    assert set(ids) < set(_ids(workspace.con))


def test_derive_id_keeps_ids_the_file_has(workspace, data_dir, tmp_path):
    mapping = {**ASB_MAPPING, "columns": {**ASB_MAPPING["columns"], "incident_id": "Ref"}}
    m = _mapping(tmp_path, mapping)
    path = write_csv(data_dir / "x.csv", ["Ref", *ASB_HEADER], [["INC-1", *ASB_ROWS[0]], ["", *ASB_ROWS[1]]])
    tl.import_file(workspace, "incidents", path, mapping=m)
    ids = _ids(workspace.con)
    assert ids[0] == "INC-1" and ids[1].startswith("asb-")


def test_replace_recode_constants_and_formats(workspace, data_dir, tmp_path):
    m = _mapping(
        tmp_path,
        {
            "kind": "cases",
            "columns": {
                "case_id": "Ref",
                "force": "Force",
                "category": "Type",
                "reported_at": "When",
                "victim_age": "Age",
            },
            "replace": {
                "force": [" (Police|Constabulary)$", ""],
                "case_id": ["^MCU/([0-9]+)/([0-9]+)$", "mcu-\\2-\\1"],
                "victim_age": ["\\s*(years|yrs)$", ""],
            },
            "values": {"category": {"Murder": "homicide", "Sudden Death": "unexplained_death"}},
            "formats": {"reported_at": ["%d/%m/%Y %H:%M", "%d/%m/%Y"]},
            "constants": {"status": "open", "system": "Niche RMS"},
        },
    )
    path = write_csv(
        data_dir / "x.csv",
        ["Ref", "Force", "Type", "When", "Age"],
        [
            ["MCU/21/0001", "West Yorkshire Police", "  MURDER ", "03/04/2021 23:10", "19 years"],
            ["MCU/21/0002", "Humberside Constabulary", "sudden death", "04/04/2021", "7yrs"],
            ["MCU/21/0003", "Police Scotland", "Stabbing", "April 5 2021", "40"],
        ],
    )
    r = tl.import_file(workspace, "cases", path, mapping=m)
    assert (r.imported, r.quarantined) == (2, 1)
    got = sorted(
        workspace.con.execute(
            "SELECT case_id, force, category, reported_at, victim_age, status, "
            "attributes->>'system' FROM cases"
        ).fetchall()
    )
    assert got == [
        ("mcu-0001-21", "West Yorkshire", "homicide", datetime(2021, 4, 3, 23, 10), 19, "open", "Niche RMS"),
        ("mcu-0002-21", "Humberside", "unexplained_death", datetime(2021, 4, 4), 7, "open", "Niche RMS"),
    ]
    # a value with no recode entry passes through and validation names it; so does a date in no format given
    q = quarantine_rows(workspace.con)
    assert [(row, field) for row, field, _ in q] == [(4, "category"), (4, "reported_at")]
    assert "format %d/%m/%Y %H:%M or %d/%m/%Y" in q[1][2]
    assert workspace.con.execute(
        "SELECT DISTINCT value FROM quarantine WHERE field = 'category'"
    ).fetchone() == ("Stabbing",)


def test_empty_mapping_leaves_the_import_format_alone(workspace, data_dir):
    path = write_csv(data_dir / "p.csv", ["person_id", "sex"], [["p1", "Female"]])
    r = tl.import_file(workspace, "persons", path, mapping=Mapping())
    assert r.imported == 1
    assert workspace.con.execute("SELECT sex FROM persons").fetchone() == ("female",)
