"""Workspaces: create, open, settings, the default location, schema upgrades and refusals."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import duckdb
import pytest
from conftest import FORCE, count, register_snapshot, write_csv

import threadline as tl
from threadline.ingest.kinds import KINDS
from threadline.workspace import DB_NAME, SCHEMA_VERSION, default_workspace_path
from threadline.workspace.config import CONFIG_NAME, WorkspaceConfig
from threadline.workspace.schema import REGISTER_TABLES, migrate, schema_version


def test_init_creates_database_and_settings(tmp_path):
    folder = tmp_path / "deep" / "ws"
    with tl.init_workspace(
        folder, forces=["Norfolk", " Suffolk "], quarter="financial", name="Eastern"
    ) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        assert ws.upgraded_from is None
        assert ws.db_path == folder / DB_NAME
        assert ws.config.default_force is None  # two forces: files must say which
    assert (folder / DB_NAME).is_file()
    settings = tomllib.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
    assert settings == {
        "workspace": {"name": "Eastern", "forces": ["Norfolk", "Suffolk"], "quarter": "financial"},
        "violence": {"youth_min_age": 10, "youth_max_age": 24, "suppress_below": 5},
    }
    with tl.open_workspace(folder) as ws:
        assert ws.config.forces == ["Norfolk", "Suffolk"]
        assert ws.config.quarter == "financial"
        assert ws.config.name == "Eastern"
        for table in REGISTER_TABLES:
            assert count(ws.con, table) == 0


def test_init_defaults_calendar_quarters_and_single_force_default(tmp_path):
    with tl.init_workspace(tmp_path / "ws", forces=[FORCE]) as ws:
        assert ws.config.quarter == "calendar"
        assert ws.config.default_force == FORCE
        assert ws.config.name == f"{FORCE} register"


def test_invalid_quarter_is_a_clear_workspace_error_and_creates_nothing(tmp_path):
    with pytest.raises(tl.WorkspaceError, match="quarter must be one of calendar, financial, not 'fiscal'"):
        tl.init_workspace(tmp_path / "ws", quarter="fiscal")
    assert not (tmp_path / "ws").exists()


def test_invalid_quarter_in_hand_edited_settings_is_refused(tmp_path):
    tl.init_workspace(tmp_path / "ws").close()
    (tmp_path / "ws" / CONFIG_NAME).write_text('[workspace]\nquarter = "weekly"\n', encoding="utf-8")
    with pytest.raises(tl.WorkspaceError, match="quarter must be one of"):
        tl.open_workspace(tmp_path / "ws")


def test_unknown_setting_is_refused(tmp_path):
    tl.init_workspace(tmp_path / "ws").close()
    (tmp_path / "ws" / CONFIG_NAME).write_text('[workspace]\nforse = "Kent"\n', encoding="utf-8")
    with pytest.raises(tl.WorkspaceError, match="unknown setting.*forse"):
        tl.open_workspace(tmp_path / "ws")


def test_reinit_on_existing_workspace_errors_and_keeps_it(tmp_path, data_dir):
    folder = tmp_path / "ws"
    with tl.init_workspace(folder, forces=[FORCE]) as ws:
        tl.import_file(ws, "persons", write_csv(data_dir / "persons.csv", ["person_id"], [["p1"]]))
    settings_before = (folder / CONFIG_NAME).read_text(encoding="utf-8")
    with pytest.raises(tl.WorkspaceError, match="already holds a workspace"):
        tl.init_workspace(folder, forces=["Kent"], quarter="financial")
    assert (folder / CONFIG_NAME).read_text(encoding="utf-8") == settings_before
    with tl.open_workspace(folder) as ws:
        assert count(ws.con, "persons") == 1
    # exist_ok opens it and leaves its settings alone
    with tl.init_workspace(folder, forces=["Kent"], exist_ok=True) as ws:
        assert ws.config.forces == [FORCE]
        assert count(ws.con, "persons") == 1


def test_init_on_a_file_is_refused(tmp_path):
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    with pytest.raises(tl.WorkspaceError, match="is a file, not a folder"):
        tl.init_workspace(target)


def test_workspace_and_files_in_folders_with_apostrophes(tmp_path):
    folder = tmp_path / "o'brien" / "ws"
    with tl.init_workspace(folder, forces=[FORCE]) as ws:
        path = write_csv(tmp_path / "o'brien" / "it's.csv", ["person_id"], [["p1"]])
        assert tl.import_file(ws, "persons", path).imported == 1
    with tl.open_workspace(folder) as ws:
        assert count(ws.con, "persons") == 1


def test_open_missing_workspace_names_threadline_init(tmp_path):
    with pytest.raises(tl.WorkspaceError) as info:
        tl.open_workspace(tmp_path / "nowhere")
    message = str(info.value)
    assert "threadline init" in message
    assert str(tmp_path / "nowhere") in message
    assert not (tmp_path / "nowhere").exists()  # opening never creates


def test_workspace_env_var_is_the_default(tmp_path, monkeypatch):
    folder = tmp_path / "from-env"
    monkeypatch.setenv("THREADLINE_WORKSPACE", str(folder))
    assert default_workspace_path() == folder
    with tl.init_workspace(forces=[FORCE]) as ws:
        assert ws.path == folder
    assert (folder / DB_NAME).exists()
    with tl.open_workspace() as ws:
        assert ws.path == folder
        assert ws.config.forces == [FORCE]


def test_default_without_env_is_workspace_in_current_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert default_workspace_path().as_posix() == "workspace"
    with pytest.raises(tl.WorkspaceError, match="threadline init workspace"):
        tl.open_workspace()


def _make_v1_workspace(folder):
    """A workspace as Threadline with schema version 1 left it, holding one person and one case."""
    folder.mkdir()
    con = duckdb.connect(str(folder / DB_NAME))
    assert migrate(con, target=1) == (0, 1)
    prov = "1, 'old.csv', 'abc123', 2, TIMESTAMP '2020-01-01 00:00'"
    con.execute(
        "INSERT INTO imports (import_id, kind, source_name, source_sha256, started_at) "
        "VALUES (nextval('import_seq'), 'persons', 'old.csv', 'abc123', TIMESTAMP '2020-01-01 00:00')"
    )
    con.execute(
        "INSERT INTO persons (person_id, given_name, family_name, date_of_birth, sex, attributes, row_hash, "
        f"import_id, source_name, source_sha256, source_row, imported_at) VALUES ('p1', 'Ann', 'Lee', "
        f"DATE '1970-01-02', 'female', NULL, 'h1', {prov})"
    )
    con.execute(
        "INSERT INTO cases (case_id, force, category, reported_at, flags, victim_person_id, attributes, "
        "row_hash, import_id, source_name, source_sha256, source_row, imported_at) "
        "VALUES ('c1', 'Kent', 'homicide', "
        f"TIMESTAMP '2019-06-01 10:00', 'alcohol;knife', 'p1', '{{\"Team\": \"MIT\"}}', 'h2', {prov})"
    )
    assert schema_version(con) == 1
    assert (
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'case_flags'"
        ).fetchone()[0]
        == 0
    )
    con.close()
    WorkspaceConfig(forces=["Kent"]).save(folder)


def test_old_schema_is_upgraded_in_place_with_data_intact(tmp_path):
    folder = tmp_path / "old"
    _make_v1_workspace(folder)
    with tl.open_workspace(folder) as ws:
        assert ws.upgraded_from == 1
        assert ws.schema_version == SCHEMA_VERSION
        assert ws.con.execute(
            "SELECT person_id, given_name, date_of_birth::VARCHAR FROM persons"
        ).fetchall() == [("p1", "Ann", "1970-01-02")]
        assert ws.con.execute(
            "SELECT case_id, category, reported_at::VARCHAR, attributes->>'Team' FROM cases"
        ).fetchall() == [("c1", "homicide", "2019-06-01 10:00:00", "MIT")]
        # v2 views work on the upgraded data
        assert sorted(ws.con.execute("SELECT case_id, flag FROM case_flags").fetchall()) == [
            ("c1", "alcohol"),
            ("c1", "knife"),
        ]
        assert ws.con.execute("SELECT count(*) FROM quarantine_summary").fetchone()[0] == 0
    # a second open finds nothing to upgrade
    with tl.open_workspace(folder) as ws:
        assert ws.upgraded_from is None
        assert ws.schema_version == SCHEMA_VERSION


def test_old_schema_upgraded_workspace_accepts_imports(tmp_path, data_dir):
    folder = tmp_path / "old"
    _make_v1_workspace(folder)
    path = write_csv(
        data_dir / "cases.csv",
        ["case_id", "category", "reported_at", "victim_person_id"],
        [["c2", "suicide", "2020-01-01", "p1"]],
    )
    with tl.open_workspace(folder) as ws:
        result = tl.import_file(ws, "cases", path)
        assert (result.imported, result.quarantined) == (1, 0)
        assert result.import_id == 2  # the import log goes on from the old workspace's
        assert ws.con.execute("SELECT force FROM cases WHERE case_id = 'c2'").fetchone() == ("Kent",)


def test_upgrade_of_read_only_open_also_upgrades(tmp_path):
    folder = tmp_path / "old"
    _make_v1_workspace(folder)
    with tl.open_workspace(folder, read_only=True) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        assert ws.con.execute("SELECT count(*) FROM case_flags").fetchone()[0] == 2
        with pytest.raises(duckdb.Error):
            ws.con.execute("DELETE FROM cases")


def _bump_version(folder, version):
    con = duckdb.connect(str(folder / DB_NAME))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    con.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_newer_schema_is_refused(tmp_path, read_only):
    folder = tmp_path / "ws"
    tl.init_workspace(folder).close()
    _bump_version(folder, SCHEMA_VERSION + 1)
    with pytest.raises(tl.WorkspaceError, match="newer") as info:
        tl.open_workspace(folder, read_only=read_only)
    assert f"schema version {SCHEMA_VERSION + 1}" in str(info.value)
    # refused, not touched: the version is still the newer one, and the file is not left locked
    con = duckdb.connect(str(folder / DB_NAME))
    assert schema_version(con) == SCHEMA_VERSION + 1
    con.close()


def test_not_a_database_is_a_workspace_error(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(tl.WorkspaceError, match="threadline.duckdb"):
        tl.open_workspace(folder)


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_every_declared_column_exists_with_its_sql_type(workspace, kind):
    for table in (kind.table, f"{kind.table}_history"):
        described = {r[0]: r[1] for r in workspace.con.execute(f"DESCRIBE {table}").fetchall()}
        for field in kind.fields:
            assert field.name in described, f"{table}.{field.name} missing"
            assert described[field.name] == field.sql_type, f"{table}.{field.name}: {described[field.name]}"
        for common in (
            "attributes",
            "row_hash",
            "import_id",
            "source_name",
            "source_sha256",
            "source_row",
            "imported_at",
        ):
            assert common in described
    history = {r[0] for r in workspace.con.execute(f"DESCRIBE {kind.table}_history").fetchall()}
    assert {"superseded_at", "superseded_by"} <= history


def test_schema_after_upgrade_equals_schema_of_new_workspace(tmp_path):
    old = tmp_path / "old"
    _make_v1_workspace(old)
    tl.init_workspace(tmp_path / "new").close()

    def schema(folder):
        con = duckdb.connect(str(folder / DB_NAME), read_only=True)
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "ORDER BY ALL"
        ).fetchall()
        con.close()
        return rows

    tl.open_workspace(old).close()
    assert schema(old) == schema(tmp_path / "new")


def test_a_second_process_gets_a_clear_error(workspace):
    code = (
        "import sys, threadline as tl\n"
        "try:\n"
        f"    tl.open_workspace({str(workspace.path)!r})\n"
        "except tl.WorkspaceError as exc:\n"
        "    print(exc); sys.exit(7)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 7, proc.stderr
    assert "in use by another Threadline process" in proc.stdout


def test_closed_workspace_can_be_reopened_with_same_contents(loaded):
    before = register_snapshot(loaded.con)
    loaded.close()
    with tl.open_workspace(loaded.path) as ws:
        assert register_snapshot(ws.con) == before


def test_a_failed_init_leaves_nothing_behind(tmp_path, monkeypatch):
    import threadline.workspace.workspace as module

    def broken(con, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "migrate", broken)
    target = tmp_path / "new-ws"
    with pytest.raises(RuntimeError):
        module.init_workspace(target, forces=["West Yorkshire"])
    assert not target.exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("keep me")
    with pytest.raises(RuntimeError):
        module.init_workspace(existing)
    assert sorted(p.name for p in existing.iterdir()) == ["notes.txt"]
