"""Importing files: every kind, every quarantine rule, rejects files, re-imports, formats, refusals."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest
from conftest import (
    CASES_HEADER,
    CASES_ROWS,
    FORCE,
    INCIDENTS_HEADER,
    VALID_FILES,
    count,
    load_all,
    metres_between,
    quarantine_rows,
    read_csv_dicts,
    register_snapshot,
    write_csv,
    write_kind,
)

import threadline as tl
from threadline.ingest import LOAD_ORDER, StrictImportError
from threadline.ingest.kinds import KINDS

# --------------------------------------------------------------------------------------------------
# Happy path
# --------------------------------------------------------------------------------------------------


def test_valid_files_cover_every_kind_in_load_order():
    assert tuple(VALID_FILES) == LOAD_ORDER
    assert set(LOAD_ORDER) == set(KINDS)


def test_every_kind_imports_in_load_order(workspace, data_dir):
    results = load_all(workspace, data_dir)
    con = workspace.con
    for kind, (_header, rows) in VALID_FILES.items():
        r = results[kind]
        assert (r.rows_read, r.imported, r.updated, r.unchanged, r.quarantined) == (
            len(rows),
            len(rows),
            0,
            0,
            0,
        ), kind
        assert r.rejects_path is None
        table = KINDS[kind].table
        assert count(con, table) == len(rows)
        # provenance: the import, the file and the spreadsheet row of every record
        assert sorted(con.execute(f"SELECT source_row FROM {table}").fetchall()) == [
            (n,) for n in range(2, len(rows) + 2)
        ]
        assert con.execute(
            f"SELECT DISTINCT import_id, source_name, source_sha256 FROM {table}"
        ).fetchall() == [(r.import_id, f"{kind}.csv", r.sha256)]
    assert count(con, "quarantine") == 0
    log = con.execute(
        "SELECT kind, rows_read, imported, quarantined, finished_at IS NOT NULL FROM imports "
        "ORDER BY import_id"
    ).fetchall()
    assert log == [(k, len(rows), len(rows), 0, True) for k, (_h, rows) in VALID_FILES.items()]


def test_imported_values_are_typed_and_normalised(loaded):
    con = loaded.con
    assert con.execute("SELECT postcode, date_of_birth FROM persons WHERE person_id = 'p1'").fetchone() == (
        "LS1 1UR",
        date(1990, 5, 1),
    )
    c1 = con.execute(
        "SELECT force, reported_at, occurred_from, latitude, victim_age, flags, lsoa_code "
        "FROM cases WHERE case_id = 'c1'"
    ).fetchone()
    assert c1 == (
        FORCE,
        datetime(2021, 4, 3, 23, 10),
        datetime(2021, 4, 3, 22, 30),
        53.7997,
        31,
        "knife;youth",
        "E01011365",
    )
    assert con.execute(
        "SELECT reported_at, occurred_to, latitude, flags FROM cases WHERE case_id = 'c3'"
    ).fetchone() == (datetime(2021, 8, 20), None, None, "drugs")
    assert con.execute(
        "SELECT severity, outcome_code FROM incidents WHERE incident_id = 'i4'"
    ).fetchone() == (300.0, 22)
    assert con.execute("SELECT count(*) FROM incidents WHERE force = ?", [FORCE]).fetchone()[0] == 4
    assert con.execute(
        "SELECT age, assailant_count FROM partner_records WHERE record_id = 'ed-1'"
    ).fetchone() == (19, 2)


def test_enum_values_normalise_case_spaces_and_hyphens(workspace, data_dir):
    path = write_csv(
        data_dir / "cases.csv",
        ["case_id", "category", "reported_at", "method", "flags", "status"],
        [
            [
                "a",
                " Attempted Homicide ",
                "2021-01-01",
                "Sharp-Instrument",
                "Knife, YOUTH;knife",
                "No Further Action",
            ],
            [
                "b",
                "DRUG-related death",
                "2021-01-01",
                "Poison or-Drugs",
                "county lines|gang",
                "closed-non-crime",
            ],
        ],
    )
    r = tl.import_file(workspace, "cases", path)
    assert (r.imported, r.quarantined) == (2, 0)
    assert sorted(
        workspace.con.execute("SELECT case_id, category, method, flags, status FROM cases").fetchall()
    ) == [
        ("a", "attempted_homicide", "sharp_instrument", "knife;youth", "no_further_action"),
        ("b", "drug_related_death", "poison_or_drugs", "county_lines;gang", "closed_non_crime"),
    ]


# --------------------------------------------------------------------------------------------------
# Quarantine: one rule at a time
# --------------------------------------------------------------------------------------------------

GOOD_CASE = dict(
    zip(
        CASES_HEADER,
        [
            "cX",
            "homicide",
            "2021-04-03T23:10",
            "2021-04-03T22:30",
            "2021-04-03T22:45",
            "53.8",
            "-1.55",
            "E01011365",
            "sharp_instrument",
            "",
            "30",
            "knife",
            "open",
            "text",
        ],
        strict=True,
    )
)
GOOD_INCIDENT = dict(
    zip(
        INCIDENTS_HEADER,
        ["iX", "common_assault", "2020-05-01T10:00", "2020-05-01T11:00", "53.8", "-1.55", "10", "5", ""],
        strict=True,
    )
)


def _case(case_id: str, /, **changes) -> list[str]:
    row = {**GOOD_CASE, "case_id": case_id, **changes}
    return [row[c] for c in CASES_HEADER]


def _incident(incident_id: str, /, **changes) -> list[str]:
    row = {**GOOD_INCIDENT, "incident_id": incident_id, **changes}
    return [row[c] for c in INCIDENTS_HEADER]


#: (id, kind, changes to one good row, field named, words in the reason)
RULES = [
    ("missing-required", "cases", {"category": "  "}, "category", "missing (required)"),
    ("missing-required-id", "cases", {"case_id": ""}, "case_id", "missing (required)"),
    ("bad-enum", "cases", {"method": "gun"}, "method", "not an allowed value (allowed: sharp_instrument"),
    ("bad-flag", "cases", {"flags": "knife;gun"}, "flags", "unknown flag(s) gun"),
    ("bad-int", "cases", {"victim_age": "thirty"}, "victim_age", "not a whole number"),
    ("fractional-int", "cases", {"victim_age": "30.5"}, "victim_age", "not a whole number"),
    ("bad-float", "incidents", {"severity": "high"}, "severity", "not a number"),
    ("not-finite-float", "incidents", {"severity": "inf"}, "severity", "not a number"),
    ("out-of-range-high", "cases", {"victim_age": "121"}, "victim_age", "out of range (0 to 120)"),
    ("out-of-range-low", "incidents", {"severity": "-0.5"}, "severity", "out of range (0 to inf)"),
    ("out-of-range-code", "incidents", {"outcome_code": "23"}, "outcome_code", "out of range (0 to 22)"),
    ("bad-timestamp", "cases", {"reported_at": "2021-02-30 10:00"}, "reported_at", "not a valid date-time"),
    (
        "bad-timestamp-text",
        "incidents",
        {"occurred_at": "last Tuesday"},
        "occurred_at",
        "not a valid date-time",
    ),
    ("future-date", "cases", {"reported_at": "2999-01-01"}, "reported_at", "in the future"),
    (
        "before-1900",
        "cases",
        {"occurred_from": "1850-01-01", "occurred_to": ""},
        "occurred_from",
        "before 1900",
    ),
    (
        "from-after-to",
        "cases",
        {"occurred_from": "2021-04-03T22:50"},
        "occurred_to",
        "before occurred_from (2021-04-03 22:50:00)",
    ),
    (
        "from-after-reported",
        "cases",
        {"occurred_to": "", "occurred_from": "2021-04-04T01:00"},
        "occurred_from",
        "after reported_at (2021-04-03 23:10:00)",
    ),
    (
        "occurred-after-reported",
        "incidents",
        {"occurred_at": "2020-05-02"},
        "occurred_at",
        "after reported_at",
    ),
    # the coordinate rules name the coordinate to fix: the one missing, or the one outside the UK
    (
        "lat-without-lon",
        "cases",
        {"longitude": ""},
        "longitude",
        "latitude and longitude must be given together",
    ),
    (
        "lon-without-lat",
        "incidents",
        {"latitude": " "},
        "latitude",
        "latitude and longitude must be given together",
    ),
    (
        "outside-uk",
        "cases",
        {"latitude": "40.71", "longitude": "-74.0"},
        "latitude",
        "coordinates outside the UK",
    ),
    ("lon-outside-uk", "cases", {"longitude": "4.9"}, "longitude", "coordinates outside the UK"),
    (
        "swapped-lat-lon",
        "incidents",
        {"latitude": "-1.55", "longitude": "53.8"},
        "latitude",
        "coordinates outside the UK",
    ),
    ("bad-lsoa", "cases", {"lsoa_code": "E0101136"}, "lsoa_code", "not an LSOA code"),
    ("bad-lsoa-prefix", "cases", {"lsoa_code": "S01006506"}, "lsoa_code", "not an LSOA code"),
    ("control-char-id", "cases", {"case_id": "c\x01"}, "case_id", "not a usable id"),
]


@pytest.mark.parametrize(
    ("kind", "changes", "field", "reason"), [r[1:] for r in RULES], ids=[r[0] for r in RULES]
)
def test_each_rule_quarantines_the_row_naming_file_row_and_field(
    workspace, data_dir, kind, changes, field, reason
):
    make, header = (_case, CASES_HEADER) if kind == "cases" else (_incident, INCIDENTS_HEADER)
    rows = [make("ok1"), make("ok2"), make("bad", **changes), make("ok3")]
    path = write_csv(data_dir / f"{kind}.csv", header, rows)
    r = tl.import_file(workspace, kind, path)
    assert (r.rows_read, r.imported, r.quarantined) == (4, 3, 1), r.reasons
    table = KINDS[kind].table
    id_col = KINDS[kind].key[0]
    assert sorted(x[0] for x in workspace.con.execute(f"SELECT {id_col} FROM {table}").fetchall()) == [
        "ok1",
        "ok2",
        "ok3",
    ]
    # one quarantine row for the one problem: spreadsheet row 4 (header 1, first data row 2)
    q = quarantine_rows(workspace.con)
    assert len(q) == 1, q
    assert q[0][:2] == (4, field)
    assert reason in q[0][2]
    assert workspace.con.execute("SELECT source_name, kind, import_id FROM quarantine").fetchone() == (
        f"{kind}.csv",
        kind,
        r.import_id,
    )
    assert sum(r.reasons.values()) == 1 and field in next(iter(r.reasons))
    # the rejects file beside the input names the row, the field and the reason, with the row as given
    assert r.rejects_path == data_dir / f"{kind}.rejects.csv"
    rejects = read_csv_dicts(r.rejects_path)
    assert len(rejects) == 1
    assert rejects[0]["rejected_row"] == "4"
    assert rejects[0]["rejected_fields"] == field
    assert reason in rejects[0]["rejected_reasons"]
    assert [rejects[0][c] for c in header] == rows[2]


def test_duplicate_key_in_file_quarantines_the_later_row(workspace, data_dir):
    path = write_csv(
        data_dir / "cases.csv", CASES_HEADER, [_case("a"), _case("b"), _case("a", method="fall")]
    )
    r = tl.import_file(workspace, "cases", path)
    assert (r.imported, r.quarantined) == (2, 1)
    assert quarantine_rows(workspace.con) == [(4, "case_id", "duplicate key in this file (first at row 2)")]
    assert workspace.con.execute("SELECT method FROM cases WHERE case_id = 'a'").fetchone() == (
        "sharp_instrument",
    )


def test_duplicate_composite_key_in_file(loaded, data_dir):
    path = write_csv(
        data_dir / "cp.csv",
        ["case_id", "person_id", "role"],
        [["c2", "p1", "witness"], ["c2", "p1", "suspect"], ["c2", "p1", "Witness"]],
    )
    r = tl.import_file(loaded, "case-persons", path)
    assert (r.imported, r.quarantined) == (2, 1)
    assert quarantine_rows(loaded.con) == [(4, "case_id", "duplicate key in this file (first at row 2)")]


def test_every_problem_of_a_row_is_a_quarantine_row(workspace, data_dir):
    path = write_csv(
        data_dir / "cases.csv",
        CASES_HEADER,
        [_case("ok"), _case("bad", category="murder", victim_age="200", lsoa_code="nope", flags="gun")],
    )
    r = tl.import_file(workspace, "cases", path)
    assert (r.imported, r.quarantined) == (1, 1)  # one row quarantined ...
    fields = [f for _row, f, _reason in quarantine_rows(workspace.con)]
    assert sorted(fields) == ["category", "flags", "lsoa_code", "victim_age"]  # ... with four problems
    raws = workspace.con.execute("SELECT DISTINCT raw FROM quarantine").fetchall()
    assert len(raws) == 1
    raw = json.loads(raws[0][0])
    assert raw["case_id"] == "bad" and raw["category"] == "murder" and raw["victim_age"] == "200"
    assert raw["_row"] == 3
    assert workspace.con.execute(
        "SELECT DISTINCT value FROM quarantine WHERE field = 'category'"
    ).fetchone() == ("murder",)
    rejects = read_csv_dicts(r.rejects_path)
    assert rejects[0]["rejected_fields"] == "category; flags; lsoa_code; victim_age"
    assert rejects[0]["rejected_reasons"].count(": ") >= 4
    summary = workspace.con.execute("SELECT field, rows FROM quarantine_summary ORDER BY field").fetchall()
    assert summary == [("category", 1), ("flags", 1), ("lsoa_code", 1), ("victim_age", 1)]


def test_unknown_person_reference_until_persons_are_imported(workspace, data_dir):
    cp = write_kind(data_dir, "case-persons")
    write_kind(data_dir, "cases", [r[:9] + [""] + r[10:] for r in CASES_ROWS])  # no victim refs yet
    tl.import_file(workspace, "cases", data_dir / "cases.csv")
    r = tl.import_file(workspace, "case-persons", cp)
    assert (r.imported, r.quarantined) == (0, 3)
    assert {(f, reason) for _row, f, reason in quarantine_rows(workspace.con)} == {
        ("person_id", "unknown person_id (not in persons; import persons first)")
    }
    assert sorted(x[0] for x in quarantine_rows(workspace.con)) == [2, 3, 4]
    # persons first, then the same file imports whole
    tl.import_file(workspace, "persons", write_kind(data_dir, "persons"))
    r = tl.import_file(workspace, "case-persons", cp)
    assert (r.imported, r.quarantined) == (3, 0)
    assert not (data_dir / "case-persons.rejects.csv").exists()  # a stale rejects file is removed


def test_unknown_victim_person_of_a_case(workspace, data_dir):
    tl.import_file(workspace, "persons", write_kind(data_dir, "persons"))
    path = write_csv(
        data_dir / "cases.csv",
        CASES_HEADER,
        [_case("a", victim_person_id="p1"), _case("b", victim_person_id="p404")],
    )
    r = tl.import_file(workspace, "cases", path)
    assert (r.imported, r.quarantined) == (1, 1)
    assert quarantine_rows(workspace.con) == [
        (3, "victim_person_id", "unknown person_id (not in persons; import persons first)")
    ]


@pytest.mark.parametrize("kind", ["case-persons", "case-entities"])
def test_unknown_case_reference(loaded, data_dir, kind):
    header, rows = VALID_FILES[kind]
    bad = [*rows[0]]
    bad[0] = "c404"
    path = write_csv(data_dir / "more.csv", header, [bad, rows[0]])
    r = tl.import_file(loaded, kind, path)
    assert (r.imported, r.unchanged, r.quarantined) == (0, 1, 1)
    assert quarantine_rows(loaded.con) == [
        (2, "case_id", "unknown case_id (not in cases; import cases first)")
    ]


def test_unknown_incident_reference(loaded, data_dir):
    path = write_csv(
        data_dir / "ip.csv",
        ["incident_id", "person_id", "role"],
        [["i2", "p2", "witness"], ["i999", "p2", "witness"]],
    )
    r = tl.import_file(loaded, "incident-persons", path)
    assert (r.imported, r.quarantined) == (1, 1)
    assert quarantine_rows(loaded.con) == [
        (3, "incident_id", "unknown incident_id (not in incidents; import incidents first)")
    ]


def test_row_numbers_count_records_not_lines(workspace, data_dir):
    path = data_dir / "cases.csv"
    path.write_text(
        "case_id,category,reported_at,narrative\n"
        'a,homicide,2021-01-01,"line one\nline two\nline three"\n'
        "b,bogus,2021-01-01,x\n"
        'c,homicide,2021-01-01,"x\ny"\n'
        "d,homicide,2021-01-01,too,many\n"
        "e,homicide,2021-01-01,fine\n",
        encoding="utf-8",
    )
    r = tl.import_file(workspace, "cases", path)
    assert (r.rows_read, r.imported, r.quarantined) == (5, 3, 2)
    assert [(row, f) for row, f, _ in quarantine_rows(workspace.con)] == [(3, "category"), (5, "(row)")]
    assert sorted(workspace.con.execute("SELECT case_id, source_row FROM cases").fetchall()) == [
        ("a", 2),
        ("c", 4),
        ("e", 6),
    ]
    assert workspace.con.execute("SELECT narrative FROM cases WHERE case_id = 'a'").fetchone() == (
        "line one\nline two\nline three",
    )


# --------------------------------------------------------------------------------------------------
# Rejects files, extra columns
# --------------------------------------------------------------------------------------------------


def test_rejects_file_fixed_and_reimported(workspace, data_dir):
    rows = [_case("a"), _case("b", category="murder"), _case("c"), _case("d", victim_age="-3")]
    header = [*CASES_HEADER, "team"]
    rows = [[*row, f"team-{i}"] for i, row in enumerate(rows)]
    r = tl.import_file(workspace, "cases", write_csv(data_dir / "cases.csv", header, rows))
    assert (r.imported, r.quarantined) == (2, 2)
    rejects = read_csv_dicts(r.rejects_path)
    assert list(rejects[0]) == ["rejected_row", "rejected_fields", "rejected_reasons", *header]
    assert [(x["rejected_row"], x["rejected_fields"], x["case_id"]) for x in rejects] == [
        ("3", "category", "b"),
        ("5", "victim_age", "d"),
    ]
    # fix the rejects file in place, as a user would, and import it
    rejects[0]["category"] = "homicide"
    rejects[1]["victim_age"] = "3"
    fixed = write_csv(data_dir / "cases.rejects.csv", list(rejects[0]), [list(x.values()) for x in rejects])
    r2 = tl.import_file(workspace, "cases", fixed)
    assert (r2.imported, r2.updated, r2.quarantined) == (2, 0, 0)
    assert r2.extra_columns == ["team"]  # the rejected_* columns are not kept as attributes
    con = workspace.con
    assert sorted(
        con.execute("SELECT case_id, category, victim_age, attributes->>'team' FROM cases").fetchall()
    ) == [
        ("a", "homicide", 30, "team-0"),
        ("b", "homicide", 30, "team-1"),
        ("c", "homicide", 30, "team-2"),
        ("d", "homicide", 3, "team-3"),
    ]
    assert (
        con.execute("SELECT count(*) FROM cases WHERE json_keys(attributes) <> ['team']").fetchone()[0] == 0
    )


def test_extra_columns_are_kept_in_attributes_not_rejected(workspace, data_dir):
    path = write_csv(
        data_dir / "persons.csv",
        ["person_id", "Warning Markers", "nickname", "given_name"],
        [["p1", "VIOLENT", "Gaz", "Gary"], ["p2", "", "", "Ann"]],
    )
    r = tl.import_file(workspace, "persons", path)
    assert (r.imported, r.quarantined) == (2, 0)
    assert r.extra_columns == ["Warning Markers", "nickname"]
    got = dict(workspace.con.execute("SELECT person_id, attributes FROM persons").fetchall())
    assert json.loads(got["p1"]) == {"Warning Markers": "VIOLENT", "nickname": "Gaz"}
    assert json.loads(got["p2"]) == {"Warning Markers": None, "nickname": None}


# --------------------------------------------------------------------------------------------------
# Re-import: idempotent; changes go to history
# --------------------------------------------------------------------------------------------------


def test_reimporting_the_same_files_changes_nothing(workspace, data_dir):
    load_all(workspace, data_dir)
    bad = write_csv(data_dir / "more-cases.csv", CASES_HEADER, [_case("m1"), _case("m2", category="murder")])
    tl.import_file(workspace, "cases", bad)
    before = register_snapshot(workspace.con, include_imports=False)
    assert before["quarantine"] and before["cases"]
    imports_before = count(workspace.con, "imports")
    for kind, (_header, rows) in VALID_FILES.items():
        r = tl.import_file(workspace, kind, data_dir / f"{kind}.csv")
        assert (r.imported, r.updated, r.unchanged, r.quarantined) == (0, 0, len(rows), 0), kind
    r = tl.import_file(workspace, "cases", bad)
    assert (r.imported, r.updated, r.unchanged, r.quarantined) == (0, 0, 1, 1)
    assert register_snapshot(workspace.con, include_imports=False) == before
    assert count(workspace.con, "imports") == imports_before + len(VALID_FILES) + 1


def test_changed_row_updates_the_record_and_keeps_the_old_version(workspace, data_dir):
    first = tl.import_file(
        workspace, "cases", write_csv(data_dir / "v1.csv", CASES_HEADER, [_case("a"), _case("b")])
    )
    old = workspace.con.execute("SELECT * FROM cases WHERE case_id = 'b'").fetchone()
    second = tl.import_file(
        workspace,
        "cases",
        write_csv(
            data_dir / "v2.csv",
            CASES_HEADER,
            [_case("a"), _case("b", status="charged", narrative="suspect charged"), _case("c")],
        ),
    )
    assert (second.imported, second.updated, second.unchanged, second.quarantined) == (1, 1, 1, 0)
    con = workspace.con
    assert con.execute(
        "SELECT status, narrative, import_id, source_name FROM cases WHERE case_id = 'b'"
    ).fetchone() == ("charged", "suspect charged", second.import_id, "v2.csv")
    assert con.execute("SELECT import_id FROM cases WHERE case_id = 'a'").fetchone() == (first.import_id,)
    assert count(con, "cases") == 3
    history = con.execute("SELECT * EXCLUDE (superseded_at, superseded_by) FROM cases_history").fetchall()
    assert history == [old]
    assert con.execute("SELECT superseded_by, superseded_at IS NOT NULL FROM cases_history").fetchall() == [
        (second.import_id, True)
    ]
    # changing it back is another update, and the history keeps both earlier versions
    third = tl.import_file(workspace, "cases", data_dir / "v1.csv")
    assert (third.updated, third.unchanged) == (1, 1)
    assert con.execute("SELECT status FROM cases WHERE case_id = 'b'").fetchone() == ("open",)
    assert con.execute(
        "SELECT status, superseded_by FROM cases_history ORDER BY superseded_by"
    ).fetchall() == [("open", second.import_id), ("charged", third.import_id)]
    log = con.execute(
        "SELECT imported, updated, unchanged FROM imports WHERE import_id = ?", [second.import_id]
    ).fetchone()
    assert log == (1, 1, 1)


def test_change_in_extra_column_is_an_update(workspace, data_dir):
    tl.import_file(workspace, "persons", write_csv(data_dir / "a.csv", ["person_id", "team"], [["p1", "A"]]))
    r = tl.import_file(
        workspace, "persons", write_csv(data_dir / "b.csv", ["person_id", "team"], [["p1", "B"]])
    )
    assert (r.updated, r.unchanged) == (1, 0)
    assert workspace.con.execute("SELECT attributes->>'team' FROM persons_history").fetchone() == ("A",)


# --------------------------------------------------------------------------------------------------
# Encodings, delimiters, formats
# --------------------------------------------------------------------------------------------------

NARRATIVE = "Café owner said “he’s gone” – £20 taken, €5 left"


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("cp1252", ","),
        ("utf-8", ";"),
        ("cp1252", ";"),
        ("utf-8", "\t"),
        ("utf-8", "|"),
    ],
    ids=["utf8", "utf8-bom", "cp1252", "semicolon", "cp1252-semicolon", "tab", "pipe"],
)
def test_encodings_and_delimiters(workspace, data_dir, encoding, delimiter):
    header = ["case_id", "category", "reported_at", "flags", "narrative"]
    rows = [
        ["a", "homicide", "2021-01-01", "knife,youth", NARRATIVE],
        ["b", "suicide", "2021-02-01", "", "plain; text, with separators"],
    ]
    path = write_csv(data_dir / "cases.csv", header, rows, encoding=encoding, delimiter=delimiter)
    r = tl.import_file(workspace, "cases", path)
    assert (r.imported, r.quarantined, r.extra_columns) == (2, 0, [])
    assert r.encoding == ("cp1252" if encoding == "cp1252" else "utf-8")
    assert sorted(workspace.con.execute("SELECT case_id, flags, narrative FROM cases").fetchall()) == [
        ("a", "knife;youth", NARRATIVE),
        ("b", None, "plain; text, with separators"),
    ]


def test_xlsx_import(workspace, data_dir):
    frame = pd.DataFrame(
        {
            "case_id": ["x1", "x2", "x3"],
            "category": ["homicide", "Suicide", "murder"],
            "reported_at": [datetime(2021, 1, 1, 9, 30), datetime(2021, 2, 1), datetime(2021, 3, 1)],
            "victim_age": [30, None, 40],
            "latitude": [53.8, None, None],
            "longitude": [-1.55, None, None],
            "Team": ["MIT 1", "MIT 2", None],
        }
    )
    path = data_dir / "cases.xlsx"
    frame.to_excel(path, index=False)
    r = tl.import_file(workspace, "cases", path)
    assert (r.file_format, r.rows_read, r.imported, r.quarantined) == ("xlsx", 3, 2, 1)
    assert quarantine_rows(workspace.con)[0][:2] == (4, "category")
    got = sorted(
        workspace.con.execute(
            "SELECT case_id, category, reported_at, victim_age, latitude, attributes->>'Team' FROM cases"
        ).fetchall()
    )
    assert got == [
        ("x1", "homicide", datetime(2021, 1, 1, 9, 30), 30, 53.8, "MIT 1"),
        ("x2", "suicide", datetime(2021, 2, 1), None, None, "MIT 2"),
    ]
    assert (data_dir / "cases.rejects.csv").exists()


def test_parquet_import(workspace, data_dir):
    frame = pd.DataFrame(
        {
            "incident_id": ["i1", "i2"],
            "incident_type": ["robbery", "common_assault"],
            "occurred_at": pd.to_datetime(["2020-01-01 10:00", "2020-06-30 23:59"]),
            "severity": [799.6, None],
            "outcome_code": pd.array([3, None], dtype="Int64"),
        }
    )
    path = data_dir / "incidents.parquet"
    frame.to_parquet(path)
    r = tl.import_file(workspace, "incidents", path)
    assert (r.file_format, r.imported, r.quarantined) == ("parquet", 2, 0)
    assert sorted(
        workspace.con.execute(
            "SELECT incident_id, occurred_at, severity, outcome_code, force FROM incidents"
        ).fetchall()
    ) == [
        ("i1", datetime(2020, 1, 1, 10), 799.6, 3, FORCE),
        ("i2", datetime(2020, 6, 30, 23, 59), None, None, FORCE),
    ]


def test_ragged_row_is_quarantined_with_its_row_number(workspace, data_dir):
    path = data_dir / "persons.csv"
    path.write_text(
        "person_id,given_name,family_name\np1,Ann,Lee\np2,Bob,Ray,EXTRA\np3,Cy,Fox\np4,Di\n", encoding="utf-8"
    )
    r = tl.import_file(workspace, "persons", path)
    assert (r.rows_read, r.imported, r.quarantined) == (4, 2, 2)
    assert sorted(x[0] for x in workspace.con.execute("SELECT person_id FROM persons").fetchall()) == [
        "p1",
        "p3",
    ]
    q = workspace.con.execute(
        "SELECT source_row, field, value, reason, raw->>'raw_line' FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert [(row, field) for row, field, *_ in q] == [(3, "(row)"), (5, "(row)")]
    assert "too many columns" in q[0][3] and "p2,Bob,Ray,EXTRA" in q[0][4]
    assert "missing columns" in q[1][3]
    rejects = read_csv_dicts(r.rejects_path)
    assert [x["rejected_row"] for x in rejects] == ["3", "5"]
    assert "p2,Bob,Ray,EXTRA" in rejects[0]["rejected_raw"]
    # importing the same file again changes nothing, quarantine included
    before = register_snapshot(workspace.con, include_imports=False)
    again = tl.import_file(workspace, "persons", path)
    assert (again.imported, again.unchanged, again.quarantined) == (0, 2, 2)
    assert register_snapshot(workspace.con, include_imports=False) == before


# --------------------------------------------------------------------------------------------------
# Files that are not what they claim: one InputError, the workspace untouched
# --------------------------------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
UNUSABLE = [
    ("empty", b"", "cases", "the file is empty"),
    ("header-only", b"case_id,category,reported_at\n", "cases", "header but no data rows"),
    ("binary", bytes(range(256)) * 4, "cases", "binary file"),
    ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "cases", "old binary Excel (.xls)"),
    ("png-as-csv", PNG + b"\x00" * 64, "cases", "binary file"),
    ("damaged-xlsx", b"PK\x03\x04" + b"garbage" * 50, "cases", "not a readable XLSX"),
    ("damaged-parquet", b"PAR1" + b"garbage" * 50, "incidents", "not a readable Parquet"),
    (
        "cases-as-persons",
        ",".join(CASES_HEADER).encode() + b"\nc1,homicide,2021-01-01" + b"," * 11 + b"\n",
        "persons",
        "not a persons file",
    ),
    (
        "missing-required-column",
        b"case_id,category\nc1,homicide\n",
        "cases",
        "missing required column(s) reported_at for cases",
    ),
    (
        "duplicate-header",
        b"case_id,category,category,reported_at\nc1,homicide,homicide,2021-01-01\n",
        "cases",
        "names column 'category' twice",
    ),
    (
        "prose",
        b"Dear analyst, please find attached the figures you asked for last week.\n"
        b"Kind regards from the performance team\n",
        "cases",
        "not a cases file",
    ),
]


@pytest.mark.parametrize(
    ("content", "kind", "message"), [u[1:] for u in UNUSABLE], ids=[u[0] for u in UNUSABLE]
)
def test_unusable_file_is_one_input_error_and_changes_nothing(loaded, data_dir, content, kind, message):
    path = data_dir / "upload.csv"
    path.write_bytes(content)
    before = register_snapshot(loaded.con)
    with pytest.raises(tl.InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        tl.import_file(loaded, kind, path)
    assert str(path) in str(info.value)
    assert register_snapshot(loaded.con) == before
    assert not (data_dir / "upload.rejects.csv").exists()
    # the connection is still usable for the next import
    r = tl.import_file(loaded, "persons", write_csv(data_dir / "p.csv", ["person_id"], [["p9"]]))
    assert r.imported == 1


def test_xlsx_with_a_repeated_header_is_refused(loaded, data_dir):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["case_id", "category", "reported_at", "category"])
    sheet.append(["x1", "homicide", "2021-01-01", "suicide"])
    book.save(data_dir / "cases.xlsx")
    before = register_snapshot(loaded.con)
    with pytest.raises(tl.InputError, match="names column 'category' twice"):
        tl.import_file(loaded, "cases", data_dir / "cases.xlsx")
    assert register_snapshot(loaded.con) == before


def test_missing_file_and_folder_are_input_errors(workspace, data_dir):
    with pytest.raises(tl.InputError, match="no such file"):
        tl.import_file(workspace, "cases", data_dir / "nope.csv")
    with pytest.raises(tl.InputError, match="folder, not a file"):
        tl.import_file(workspace, "cases", data_dir)
    with pytest.raises(tl.InputError, match="unknown import kind 'victims'"):
        tl.import_file(workspace, "victims", write_kind(data_dir, "persons"))


def test_kind_accepts_underscore_spelling(loaded, data_dir):
    path = write_csv(
        data_dir / "x.csv", ["case_id", "entity_type", "entity_value"], [["c3", "phone", "07700"]]
    )
    assert tl.import_file(loaded, "case_entities", path).imported == 1


def test_strict_with_a_bad_row_imports_nothing(loaded, data_dir):
    before = register_snapshot(loaded.con)
    path = write_csv(data_dir / "cases.csv", CASES_HEADER, [_case("s1"), _case("s2", category="murder")])
    with pytest.raises(StrictImportError) as info:
        tl.import_file(loaded, "cases", path, strict=True)
    assert isinstance(info.value, tl.ThreadlineError)
    assert info.value.result.quarantined == 1
    assert "--strict" in str(info.value) and "nothing was imported" in str(info.value)
    assert register_snapshot(loaded.con) == before
    assert read_csv_dicts(data_dir / "cases.rejects.csv")[0]["rejected_row"] == "3"
    # strict with good rows imports normally
    good = write_csv(data_dir / "good.csv", CASES_HEADER, [_case("s1")])
    assert tl.import_file(loaded, "cases", good, strict=True).imported == 1


def test_strict_counts_unreadable_rows(workspace, data_dir):
    path = data_dir / "p.csv"
    path.write_text("person_id,given_name\np1,Ann\np2,Bob,extra\n", encoding="utf-8")
    with pytest.raises(StrictImportError):
        tl.import_file(workspace, "persons", path, strict=True)
    assert count(workspace.con, "persons") == 0


# --------------------------------------------------------------------------------------------------
# Force default, grid references, time zones
# --------------------------------------------------------------------------------------------------


def test_single_force_default_fills_force_when_column_absent(workspace, data_dir):
    tl.import_file(
        workspace,
        "cases",
        write_csv(
            data_dir / "a.csv", ["case_id", "category", "reported_at"], [["a", "homicide", "2021-01-01"]]
        ),
    )
    # a file that says its force keeps it
    tl.import_file(
        workspace,
        "cases",
        write_csv(
            data_dir / "b.csv",
            ["case_id", "force", "category", "reported_at"],
            [["b", "Humberside", "homicide", "2021-01-01"]],
        ),
    )
    assert sorted(workspace.con.execute("SELECT case_id, force FROM cases").fetchall()) == [
        ("a", FORCE),
        ("b", "Humberside"),
    ]


def test_collaboration_workspace_needs_a_force_column(tmp_path, data_dir):
    with tl.init_workspace(tmp_path / "ws", forces=["Norfolk", "Suffolk"]) as ws:
        path = write_csv(
            data_dir / "a.csv", ["case_id", "category", "reported_at"], [["a", "homicide", "2021-01-01"]]
        )
        with pytest.raises(tl.InputError, match="missing required column.*force"):
            tl.import_file(ws, "cases", path)
        path = write_csv(
            data_dir / "b.csv",
            ["case_id", "force", "category", "reported_at"],
            [["a", "Norfolk", "homicide", "2021-01-01"], ["b", "", "homicide", "2021-01-01"]],
        )
        r = tl.import_file(ws, "cases", path)
        assert (r.imported, r.quarantined) == (1, 1)
        assert quarantine_rows(ws.con) == [(3, "force", "missing (required)")]


# Ordnance Survey's worked example (grid reference TR 143 599): ETRS89 51.297880 N, 1.072628 E,
# as published with Geo::Coordinates::OSGB / OSTN02. ETRS89 and WGS84 differ by well under a metre here.
OS_REFERENCE = (614300, 159900, 51.297880, 1.072628)


def test_british_national_grid_is_converted(workspace, data_dir):
    e, n, lat, lon = OS_REFERENCE
    path = write_csv(
        data_dir / "cases.csv",
        ["case_id", "category", "reported_at", "easting", "northing"],
        [
            ["leeds", "homicide", "2021-01-01", "429835", "433561"],
            ["kent", "homicide", "2021-01-01", str(e), str(n)],
            ["none", "homicide", "2021-01-01", "", ""],
            ["sea", "homicide", "2021-01-01", "999999", "433000"],
        ],
    )
    r = tl.import_file(workspace, "cases", path)
    assert (r.imported, r.quarantined) == (3, 1)
    got = {
        k: (la, lo)
        for k, la, lo in workspace.con.execute("SELECT case_id, latitude, longitude FROM cases").fetchall()
    }
    assert round(got["leeds"][0], 2) == 53.80 and round(got["leeds"][1], 2) == -1.55
    assert metres_between(*got["leeds"], 53.7997, -1.5492) < 400  # Leeds Town Hall, a few streets away
    assert metres_between(*got["kent"], lat, lon) < 50
    assert got["none"] == (None, None)
    assert quarantine_rows(workspace.con) == [
        (5, "easting", "easting/northing not a British National Grid position")
    ]
    # easting/northing are not kept as extra attributes: they became latitude/longitude
    assert workspace.con.execute("SELECT attributes FROM cases WHERE case_id = 'kent'").fetchone() == (None,)


def test_given_latitude_wins_over_grid_reference(workspace, data_dir):
    path = write_csv(
        data_dir / "i.csv",
        ["incident_id", "incident_type", "occurred_at", "latitude", "longitude", "easting", "northing"],
        [["i1", "robbery", "2020-01-01", "53.5", "-1.1", "429835", "433561"]],
    )
    tl.import_file(workspace, "incidents", path)
    assert workspace.con.execute("SELECT latitude, longitude FROM incidents").fetchone() == (53.5, -1.1)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("2021-01-15T12:00:00Z", datetime(2021, 1, 15, 12, 0)),  # GMT: UTC is local time
        ("2021-07-15T12:00:00Z", datetime(2021, 7, 15, 13, 0)),  # BST: one hour ahead
        ("2021-07-15T12:00Z", datetime(2021, 7, 15, 13, 0)),  # no seconds
        ("2021-07-15T12:00:00.250Z", datetime(2021, 7, 15, 13, 0, 0, 250000)),
        ("2021-07-15T14:00:00+02:00", datetime(2021, 7, 15, 13, 0)),
        ("2021-01-15T09:30:00-0500", datetime(2021, 1, 15, 14, 30)),
        ("2021-01-15T13:00+01:00", datetime(2021, 1, 15, 12, 0)),
        ("2021-01-15 13:00:00+01", datetime(2021, 1, 15, 12, 0)),
        ("2021-03-28T00:30:00Z", datetime(2021, 3, 28, 0, 30)),  # just before the clocks go forward
        ("2021-03-28T01:30:00Z", datetime(2021, 3, 28, 2, 30)),  # just after
        ("2021-07-15T12:00", datetime(2021, 7, 15, 12, 0)),  # no offset: already local
        ("2021-07-15", datetime(2021, 7, 15)),
    ],
)
def test_iso_timestamps_with_offsets_become_uk_local_time(workspace, data_dir, text, local):
    path = write_csv(
        data_dir / "i.csv", ["incident_id", "incident_type", "occurred_at"], [["i1", "robbery", text]]
    )
    r = tl.import_file(workspace, "incidents", path)
    assert (r.imported, r.quarantined) == (1, 0), r.reasons
    assert workspace.con.execute("SELECT occurred_at FROM incidents").fetchone() == (local,)


@pytest.mark.parametrize("name", ["_row", "_extra_notes", "_raw_case_id"])
def test_a_reserved_column_name_is_a_clear_error(workspace, tmp_path, name):
    path = write_csv(tmp_path / "persons.csv", ["person_id", name], [["p1", "x"]])
    before = register_snapshot(workspace.con)
    with pytest.raises(tl.InputError, match="reserves"):
        tl.import_file(workspace, "persons", path)
    assert register_snapshot(workspace.con) == before


def test_a_late_byte_that_is_neither_utf8_nor_cp1252_is_a_clear_error(workspace, tmp_path):
    path = tmp_path / "persons.csv"
    body = b"person_id,given_name\n" + b"".join(b"p%d,Ann\n" % i for i in range(200_000))
    path.write_bytes(body + b"p_bad,\xe9\x81\n")  # 0xe9 forces cp1252; 0x81 is undefined there
    assert path.stat().st_size > (1 << 20)
    with pytest.raises(tl.InputError, match="neither UTF-8 nor Windows-1252"):
        tl.import_file(workspace, "persons", path)
