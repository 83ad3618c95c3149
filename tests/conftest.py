"""Shared builders for the tests: small import files written in tmp_path, a workspace, snapshots."""

from __future__ import annotations

import csv
import math
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pytest

import threadline as tl
from threadline.workspace.schema import REGISTER_TABLES

pytest_plugins = ["learning_fixtures"]

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = REPO / "examples"
POLICE_UK_EXCERPT = FIXTURES / "police-uk-west-yorkshire-excerpt.csv"
FORCE = "West Yorkshire"

#: Every table a register holds: the register tables, their histories, quarantine and imports.
ALL_TABLES: tuple[str, ...] = (
    *REGISTER_TABLES,
    *(f"{t}_history" for t in REGISTER_TABLES),
    "quarantine",
    "imports",
)


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """Write a CSV exactly as given (``None`` is an empty field) and return its path."""
    path = Path(path)
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def read_csv_dicts(path: Path) -> list[dict[str, str]]:
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """Every row of ``table``, all columns as text, sorted: comparable across connections."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
    return sorted(con.execute(f"SELECT {select} FROM {table}").fetchall(), key=lambda r: [str(v) for v in r])


def register_snapshot(
    con: duckdb.DuckDBPyConnection, *, include_imports: bool = True
) -> dict[str, list[tuple]]:
    """Full sorted contents of every register, history and quarantine table (and the import log)."""
    tables = ALL_TABLES if include_imports else tuple(t for t in ALL_TABLES if t != "imports")
    return {t: table_rows(con, t) for t in tables}


def count(con: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE") -> int:
    return con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]


def quarantine_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(source_row, field, reason) of every quarantine row, sorted."""
    return sorted(
        con.execute("SELECT source_row, field, reason FROM quarantine").fetchall(),
        key=lambda r: (r[0] or 0, r[1] or "", r[2]),
    )


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


# Minimal valid rows of every kind, in the import format, that reference one another.
PERSONS_HEADER = ["person_id", "given_name", "family_name", "date_of_birth", "sex", "ethnicity", "postcode"]
PERSONS_ROWS = [
    ["p1", "Amira", "Khan", "1990-05-01", "female", "asian", "ls1  1ur"],
    ["p2", "Ben", "Walsh", "1985-11-30", "male", "white", "BD1 1AA"],
    ["p3", "Chidi", "Okafor", "2001-02-14", "male", "black", ""],
]
CASES_HEADER = [
    "case_id",
    "category",
    "reported_at",
    "occurred_from",
    "occurred_to",
    "latitude",
    "longitude",
    "lsoa_code",
    "method",
    "victim_person_id",
    "victim_age",
    "flags",
    "status",
    "narrative",
]
CASES_ROWS = [
    [
        "c1",
        "homicide",
        "2021-04-03T23:10",
        "2021-04-03T22:30",
        "2021-04-03T22:45",
        "53.7997",
        "-1.5492",
        "E01011365",
        "sharp_instrument",
        "p1",
        "31",
        "knife;youth",
        "charged",
        "Stabbed outside a takeaway",
    ],
    [
        "c2",
        "attempted_homicide",
        "2021-05-11 01:20",
        "2021-05-11 00:50",
        "",
        "53.7944",
        "-1.7542",
        "",
        "strangulation",
        "p2",
        "35",
        "domestic_abuse",
        "open",
        "",
    ],
    [
        "c3",
        "drug_related_death",
        "2021-08-20",
        "",
        "",
        "",
        "",
        "",
        "poison_or_drugs",
        "",
        "",
        "drugs",
        "",
        "",
    ],
]
CASE_PERSONS_HEADER = ["case_id", "person_id", "role"]
CASE_PERSONS_ROWS = [["c1", "p1", "victim"], ["c1", "p3", "suspect"], ["c2", "p2", "victim"]]
CASE_ENTITIES_HEADER = ["case_id", "entity_type", "entity_value"]
CASE_ENTITIES_ROWS = [
    ["c1", "vehicle", "YK6?"],
    ["c1", "weapon", "kitchen knife"],
    ["c2", "address", "1 High St"],
    ["c3", "drug_batch", "blue pills"],
]
INCIDENTS_HEADER = [
    "incident_id",
    "incident_type",
    "occurred_at",
    "reported_at",
    "latitude",
    "longitude",
    "severity",
    "outcome_code",
    "flags",
]
INCIDENTS_ROWS = [
    [
        "i1",
        "domestic_abuse",
        "2020-01-05T21:00",
        "2020-01-05T21:30",
        "53.8",
        "-1.55",
        "12.5",
        "1",
        "domestic_abuse",
    ],
    ["i2", "threats_to_kill", "2020-03-01", "", "", "", "", "", ""],
    ["i3", "anti_social_behaviour", "2020-06-01", "2020-06-02", "53.7", "-1.8", "", "", ""],
    ["i4", "wounding_gbh", "2020-09-01 02:00", "", "", "", "300", "22", "knife"],
]
INCIDENT_PERSONS_HEADER = ["incident_id", "person_id", "role"]
INCIDENT_PERSONS_ROWS = [["i1", "p1", "victim"], ["i1", "p3", "suspect"]]
PARTNER_HEADER = [
    "record_id",
    "agency",
    "record_type",
    "occurred_at",
    "location_text",
    "age",
    "sex",
    "assailant_count",
]
PARTNER_ROWS = [
    ["ed-1", "nhs_ed", "assault_attendance", "2020-02-02T03:00", "outside Revolution bar", "19", "male", "2"],
    ["ed-2", "nhs_ed", "assault_attendance", "2020-02-09T01:00", "", "", "", ""],
    ["yj-1", "youth_justice", "referral", "2020-03-01", "", "16", "female", ""],
]

#: kind -> (header, rows): one small valid file per kind, in load order.
VALID_FILES: dict[str, tuple[list[str], list[list[str]]]] = {
    "persons": (PERSONS_HEADER, PERSONS_ROWS),
    "cases": (CASES_HEADER, CASES_ROWS),
    "case-persons": (CASE_PERSONS_HEADER, CASE_PERSONS_ROWS),
    "case-entities": (CASE_ENTITIES_HEADER, CASE_ENTITIES_ROWS),
    "incidents": (INCIDENTS_HEADER, INCIDENTS_ROWS),
    "incident-persons": (INCIDENT_PERSONS_HEADER, INCIDENT_PERSONS_ROWS),
    "partner-records": (PARTNER_HEADER, PARTNER_ROWS),
}


def write_kind(
    folder: Path, kind: str, rows: list[list[str]] | None = None, *, name: str | None = None
) -> Path:
    header, default_rows = VALID_FILES[kind]
    return write_csv(Path(folder) / (name or f"{kind}.csv"), header, default_rows if rows is None else rows)


def load_all(ws: tl.Workspace, folder: Path) -> dict[str, tl.ImportResult]:
    """Write and import one valid file of every kind, in load order."""
    results = {}
    for kind in VALID_FILES:
        results[kind] = tl.import_file(ws, kind, write_kind(folder, kind))
    return results


@pytest.fixture(autouse=True)
def _no_workspace_env(monkeypatch):
    """No test may pick up a THREADLINE_WORKSPACE (or the test pause) from the caller's shell."""
    monkeypatch.delenv("THREADLINE_WORKSPACE", raising=False)
    monkeypatch.delenv("THREADLINE_TEST_PAUSE_BEFORE_COMMIT", raising=False)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def workspace(tmp_path):
    """A fresh single-force workspace (so ``force`` is filled by default)."""
    ws = tl.init_workspace(tmp_path / "ws", forces=[FORCE])
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def _loaded_template(tmp_path_factory) -> Path:
    """Built once: a closed workspace holding one valid file of every kind."""
    root = tmp_path_factory.mktemp("loaded-template")
    folder = root / "data"
    folder.mkdir()
    with tl.init_workspace(root / "ws", forces=[FORCE]) as ws:
        load_all(ws, folder)
    return root / "ws"


@pytest.fixture
def loaded(_loaded_template, tmp_path):
    """A workspace holding one valid file of every kind (a copy of one built once per session)."""
    shutil.copytree(_loaded_template, tmp_path / "ws")
    ws = tl.open_workspace(tmp_path / "ws")
    yield ws
    ws.close()
