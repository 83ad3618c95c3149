"""The ``threadline`` command: exit codes, one-line errors, the workspace option and what it prints."""

from __future__ import annotations

import re
import shutil
import tomllib

import pytest
import typer
from conftest import (
    CASES_HEADER,
    EXAMPLES,
    POLICE_UK_EXCERPT,
    REPO,
    VALID_FILES,
    count,
    write_csv,
    write_kind,
)
from typer.testing import CliRunner

import threadline as tl
from threadline.cli import app

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def assert_one_line_error(result, code: int = 2, *fragments: str) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error:"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture
def ws_path(tmp_path):
    path = tmp_path / "ws"
    result = run("init", path, "-f", "West Yorkshire")
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def folder(tmp_path):
    """A folder of import files, one per kind, as ``synth`` writes them."""
    data = tmp_path / "export"
    data.mkdir()
    for kind in VALID_FILES:
        write_kind(data, kind)
    return data


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"threadline {tl.__version__}"


def test_no_arguments_shows_help():
    result = run()
    assert "import-folder" in result.output and "init" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------------------
# init
# --------------------------------------------------------------------------------------------------


def test_init_creates_a_workspace(tmp_path):
    path = tmp_path / "new"
    result = run(
        "init", path, "-f", "Norfolk", "-f", "Suffolk", "--quarter", "financial", "--name", "Eastern"
    )
    assert result.exit_code == 0, result.output
    assert "Created workspace" in result.output
    assert (path / "threadline.duckdb").is_file()
    settings = tomllib.loads((path / "threadline.toml").read_text(encoding="utf-8"))["workspace"]
    assert settings == {"name": "Eastern", "forces": ["Norfolk", "Suffolk"], "quarter": "financial"}


def test_init_with_a_bad_quarter_is_a_one_line_error(tmp_path):
    result = run("init", tmp_path / "new", "--quarter", "monthly")
    assert_one_line_error(result, 2, "quarter must be one of calendar, financial", "'monthly'")
    assert not (tmp_path / "new").exists()


def test_init_twice_is_an_error(ws_path):
    assert_one_line_error(run("init", ws_path), 2, "already holds a workspace")


def test_init_uses_workspace_option_and_environment(tmp_path):
    assert run("init", "-w", tmp_path / "by-option").exit_code == 0
    assert (tmp_path / "by-option" / "threadline.duckdb").exists()
    assert run("init", env={"THREADLINE_WORKSPACE": str(tmp_path / "by-env")}).exit_code == 0
    assert (tmp_path / "by-env" / "threadline.duckdb").exists()


# --------------------------------------------------------------------------------------------------
# status
# --------------------------------------------------------------------------------------------------


def test_status_of_an_empty_workspace(ws_path):
    result = run("status", "-w", ws_path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "schema" in out and "West Yorkshire" in out and "calendar quarters" in out
    assert "Rows per table" in out
    for table in (
        "persons",
        "cases",
        "case_persons",
        "case_entities",
        "incidents",
        "incident_persons",
        "partner_records",
    ):
        assert re.search(rf"│ {table}\s+│\s+0\s+│", out), table
    assert "No cases yet." in out
    assert "Quarantine: empty." in out
    assert "No imports yet." in out


def test_status_after_imports(ws_path, folder, tmp_path):
    assert run("import-folder", folder, "-w", ws_path).exit_code == 0
    bad = write_csv(
        tmp_path / "more.csv",
        CASES_HEADER[:3],
        [["c9", "murder", "2021-07-01"], ["c8", "homicide", "2021-07-02"]],
    )
    assert run("import", "cases", bad, "-w", ws_path).exit_code == 0
    out = run("status", "-w", ws_path).output
    # rows per table
    assert re.search(r"│ cases\s+│\s+4\s+│", out)
    assert re.search(r"│ persons\s+│\s+3\s+│", out)
    assert re.search(r"│ case_entities\s+│\s+4\s+│", out)
    # cases per category per quarter (c1 2021Q2, c2 2021Q2, c3 2021Q3, c8 2021Q3)
    assert "Cases per category per quarter" in out
    assert "2021Q2" in out and "2021Q3" in out
    assert re.search(r"│ homicide\s+│\s+1\s+│\s+1\s+│", out), out
    assert re.search(r"│ all\s+│\s+2\s+│\s+2\s+│", out), out
    # quarantine and the last imports
    assert "Quarantined: 1 problem(s)" in out
    assert "category" in out and "not an allowed value" in out
    assert "Last imports" in out
    for name in ("more.csv", "persons.csv", "partner-records.csv"):
        assert name in out


def test_status_in_financial_quarters(tmp_path, folder):
    path = tmp_path / "fy"
    run("init", path, "-f", "West Yorkshire", "--quarter", "financial")
    run("import-folder", folder, "-w", path)
    out = run("status", "-w", path).output
    assert "financial quarters" in out
    assert "FY2021Q1" in out and "FY2021Q2" in out  # April-June and July-September 2021


def test_status_of_a_missing_workspace_names_init(tmp_path):
    assert_one_line_error(run("status", "-w", tmp_path / "nowhere"), 2, "threadline init")


def test_status_reports_an_upgrade(tmp_path):
    import duckdb

    from threadline.workspace.config import WorkspaceConfig
    from threadline.workspace.schema import SCHEMA_VERSION, migrate

    path = tmp_path / "old"
    path.mkdir()
    con = duckdb.connect(str(path / "threadline.duckdb"))
    migrate(con, target=1)
    con.close()
    WorkspaceConfig().save(path)
    result = run("status", "-w", path)
    assert result.exit_code == 0, result.output
    assert f"Upgraded the workspace from schema 1 to {SCHEMA_VERSION}" in result.output


def test_workspace_from_environment_and_default_folder(ws_path, tmp_path, monkeypatch):
    result = run("status", env={"THREADLINE_WORKSPACE": str(ws_path)})
    assert result.exit_code == 0 and str(ws_path) in result.output
    # the option wins over the environment
    result = run("status", "-w", tmp_path / "other", env={"THREADLINE_WORKSPACE": str(ws_path)})
    assert_one_line_error(result, 2, str(tmp_path / "other"))
    # neither: ./workspace
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run("status"), 2, "no workspace at workspace")
    shutil.copytree(ws_path, tmp_path / "workspace")
    assert run("status").exit_code == 0


# --------------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------------


def test_import_in_load_order(ws_path, folder):
    for kind in VALID_FILES:
        result = run("import", kind, folder / f"{kind}.csv", "-w", ws_path)
        assert result.exit_code == 0, result.output
        assert "Import summary" in result.output and f"{kind}.csv" in result.output
    with tl.open_workspace(ws_path) as ws:
        assert count(ws.con, "case_persons") == 3
        assert count(ws.con, "partner_records") == 3


def test_import_several_files_with_env_workspace(ws_path, tmp_path):
    a = write_csv(tmp_path / "a.csv", ["person_id"], [["p1"], ["p2"]])
    b = write_csv(tmp_path / "b.csv", ["person_id"], [["p2"], ["p3"]])
    result = run("import", "persons", a, b, env={"THREADLINE_WORKSPACE": str(ws_path)})
    assert result.exit_code == 0, result.output
    assert re.search(r"a\.csv\s+│\s+persons\s+│\s+2\s+│\s+2\s+│\s+0\s+│\s+0\s+│\s+0", result.output), (
        result.output
    )
    assert re.search(r"b\.csv\s+│\s+persons\s+│\s+2\s+│\s+1\s+│\s+0\s+│\s+1\s+│\s+0", result.output), (
        result.output
    )


def test_import_with_some_bad_rows_exits_0_and_reports_reasons(ws_path, tmp_path):
    path = write_csv(
        tmp_path / "cases.csv",
        CASES_HEADER[:3],
        [["c1", "homicide", "2021-01-01"], ["c2", "murder", "2021-01-01"]],
    )
    result = run("import", "cases", path, "-w", ws_path)
    assert result.exit_code == 0, result.output
    assert "1 row(s) quarantined" in result.output
    assert "category: not an allowed value" in result.output
    assert str(tmp_path / "cases.rejects.csv") in result.output
    assert (tmp_path / "cases.rejects.csv").exists()


def test_import_with_nothing_importable_exits_1(ws_path, tmp_path):
    path = write_csv(tmp_path / "cases.csv", CASES_HEADER[:3], [["c1", "murder", "2021-01-01"]])
    result = run("import", "cases", path, "-w", ws_path)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output


def test_import_strict_with_a_bad_row_exits_1_and_imports_nothing(ws_path, tmp_path):
    path = write_csv(
        tmp_path / "cases.csv",
        CASES_HEADER[:3],
        [["c1", "homicide", "2021-01-01"], ["c2", "murder", "2021-01-01"]],
    )
    result = run("import", "cases", path, "--strict", "-w", ws_path)
    assert result.exit_code == 1, result.output
    assert "error:" in result.output and "--strict" in result.output
    assert "Traceback" not in result.output
    with tl.open_workspace(ws_path) as ws:
        assert count(ws.con, "cases") == 0
        assert count(ws.con, "imports") == 0


def test_reimport_is_unchanged(ws_path, folder):
    run("import", "persons", folder / "persons.csv", "-w", ws_path)
    result = run("import", "persons", folder / "persons.csv", "-w", ws_path)
    assert result.exit_code == 0  # nothing new, but every row was accepted
    assert re.search(r"persons\.csv\s+│\s+persons\s+│\s+3\s+│\s+0\s+│\s+0\s+│\s+3\s+│\s+0", result.output)


@pytest.mark.parametrize(
    ("content", "kind", "fragment"),
    [
        (b"", "cases", "the file is empty"),
        (b"case_id,category,reported_at\n", "cases", "header but no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, "cases", "binary file"),
        (
            ("\n".join([",".join(CASES_HEADER), "c1,homicide,2021-01-01" + "," * 11])).encode(),
            "persons",
            "not a persons file",
        ),
        (b"person_id\np1\n", "victims", "unknown import kind 'victims'"),
    ],
)
def test_unusable_file_exits_2_with_one_line(ws_path, tmp_path, content, kind, fragment):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    assert_one_line_error(run("import", kind, path, "-w", ws_path), 2, fragment)
    with tl.open_workspace(ws_path) as ws:
        assert count(ws.con, "imports") == 0


def test_missing_file_exits_2(ws_path, tmp_path):
    assert_one_line_error(run("import", "cases", tmp_path / "absent.csv", "-w", ws_path), 2, "no such file")


def test_import_with_mapping(ws_path, tmp_path):
    export = shutil.copy(EXAMPLES / "force-cases-export.csv", tmp_path / "export.csv")
    mapping = shutil.copy(EXAMPLES / "force-cases-mapping.yaml", tmp_path / "mapping.yaml")
    result = run("import", "cases", export, "--mapping", mapping, "-w", ws_path)
    assert result.exit_code == 0, result.output
    assert re.search(r"export\.csv\s+│\s+cases\s+│\s+6\s+│\s+4\s+│", result.output), result.output
    assert "2 row(s) quarantined" in result.output
    assert (tmp_path / "export.rejects.csv").exists()
    # a mapping that reads a column the file lacks: one line, exit 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  case_id: Reference\n", encoding="utf-8")
    assert_one_line_error(run("import", "cases", export, "-m", bad, "-w", ws_path), 2, "'Reference'")


def test_import_police_uk(ws_path):
    result = run("import", "police-uk", POLICE_UK_EXCERPT, "-w", ws_path)
    assert result.exit_code == 0, result.output
    assert re.search(r"police-uk\s+│\s+309\s+│\s+309\s+│", result.output), result.output


def test_source_name_option(ws_path, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["person_id"], [["p1"]])
    assert run("import", "persons", path, "--source", "Niche RMS weekly", "-w", ws_path).exit_code == 0
    with tl.open_workspace(ws_path) as ws:
        assert ws.con.execute("SELECT source_name FROM persons").fetchone() == ("Niche RMS weekly",)


def test_unexpected_error_is_one_line_with_exit_3(ws_path, tmp_path, monkeypatch):
    from threadline.cli import import_cmd

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_cmd, "import_file", broken)
    monkeypatch.delenv("THREADLINE_DEBUG", raising=False)
    result = run("import", "persons", write_csv(tmp_path / "p.csv", ["person_id"], [["p1"]]), "-w", ws_path)
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert "internal error: RuntimeError: disk on fire" in result.output
    assert "THREADLINE_DEBUG=1" in result.output


# --------------------------------------------------------------------------------------------------
# import-folder
# --------------------------------------------------------------------------------------------------


def test_import_folder(ws_path, folder):
    result = run("import-folder", folder, "-w", ws_path)
    assert result.exit_code == 0, result.output
    for kind, (_header, rows) in VALID_FILES.items():
        assert re.search(
            rf"{kind}\.csv\s+│\s+{kind}\s+│\s+{len(rows)}\s+│\s+{len(rows)}\s+│", result.output
        ), kind
    with tl.open_workspace(ws_path) as ws:
        for kind, (_header, rows) in VALID_FILES.items():
            assert count(ws.con, tl.ingest.KINDS[kind].table) == len(rows)
        # each file once, in load order
        assert [
            r[0] for r in ws.con.execute("SELECT kind FROM imports ORDER BY import_id").fetchall()
        ] == list(VALID_FILES)


def test_import_folder_with_underscore_names_and_xlsx(ws_path, tmp_path):
    import pandas as pd

    data = tmp_path / "mixed"
    data.mkdir()
    header, rows = VALID_FILES["persons"]
    pd.DataFrame(rows, columns=header).to_excel(data / "persons.xlsx", index=False)
    write_kind(data, "cases")
    write_kind(data, "case-persons", name="case_persons.csv")
    write_csv(data / "notes.csv", ["x"], [["ignored"]])
    result = run("import-folder", data, "-w", ws_path)
    assert result.exit_code == 0, result.output
    with tl.open_workspace(ws_path) as ws:
        assert (
            count(ws.con, "persons") == 3
            and count(ws.con, "cases") == 3
            and count(ws.con, "case_persons") == 3
        )
        assert count(ws.con, "imports") == 3


def test_import_folder_without_kind_files_exits_1(ws_path, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("import-folder", empty, "-w", ws_path)
    assert result.exit_code == 1
    assert "no <kind>.csv files found" in result.output


def test_import_folder_where_a_file_imports_nothing_exits_1(ws_path, folder):
    write_kind(folder, "incidents", [["i1", "not_a_type", "2020-01-01", "", "", "", "", "", ""]])
    result = run("import-folder", folder, "-w", ws_path)
    assert result.exit_code == 1, result.output
    assert "incidents.csv: 1 row(s) quarantined" in result.output
    with tl.open_workspace(ws_path) as ws:
        assert count(ws.con, "cases") == 3  # the other files imported


def test_import_folder_on_a_file_exits_2(ws_path, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["person_id"], [["p1"]])
    assert_one_line_error(run("import-folder", path, "-w", ws_path), 2, "not a folder")


def test_import_folder_with_an_unusable_file_exits_2(ws_path, folder):
    (folder / "cases.csv").write_bytes(b"")
    assert_one_line_error(run("import-folder", folder, "-w", ws_path), 2, "cases.csv", "the file is empty")


# --------------------------------------------------------------------------------------------------
# docs/cli.md documents every command
# --------------------------------------------------------------------------------------------------


def test_every_command_is_documented():
    names = sorted(typer.main.get_command(app).commands)
    assert {"init", "status", "import", "import-folder"} <= set(names)
    doc = REPO / "docs" / "cli.md"
    text = doc.read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip().strip("`") for line in text.splitlines() if line.startswith("#")]
    for name in names:
        documented = (
            any(h in (name, f"threadline {name}") for h in headings)
            or f"`threadline {name}`" in text
            or re.search(rf"`threadline {re.escape(name)}[ `]", text) is not None
        )
        assert documented, f"command {name!r} is not documented in docs/cli.md"


def test_an_unusable_file_among_several_is_reported_and_the_others_import(ws_path, tmp_path):
    good = write_csv(tmp_path / "good.csv", ["person_id"], [["p1"], ["p2"]])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    later = write_csv(tmp_path / "later.csv", ["person_id"], [["p3"]])
    result = run("import", "persons", good, empty, later, "-w", ws_path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "empty.csv" in result.output and "error:" in result.output
    assert re.search(r"good\.csv\s+│\s+persons\s+│\s+2\s+│\s+2", result.output), result.output
    assert re.search(r"later\.csv\s+│\s+persons\s+│\s+1\s+│\s+1", result.output), result.output
    with tl.open_workspace(ws_path) as ws:
        assert ws.con.execute("SELECT count(*) FROM persons").fetchone()[0] == 3
