"""The Home Office homicide return (issue 9): one test per validation rule against the planted errors in
tests/data/homicide-return, a clean case, the layout, changes since the last return, reconciliation with
the register, CSV and XLSX writing, the command line, and a synthetic force."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import threadline as tl
from threadline.cli import app
from threadline.errors import InputError
from threadline.ingest.folder import import_folder
from threadline.returns import homicide_index as hi
from threadline.returns.layout import RETURN_COLUMNS, SUSPECT_COLUMNS, parse_band
from threadline.returns.rules import RULES, validate
from threadline.synth import synthesise

DATA = Path(__file__).resolve().parent / "data" / "homicide-return"
DOCS = Path(__file__).resolve().parents[1] / "docs"
FORCE = "West Yorkshire"
START, END = date(2024, 4, 1), date(2025, 4, 1)  # the return for 2024-04-01 to 2025-03-31
runner = CliRunner()


def _load_planted(path: Path) -> Path:
    with tl.init_workspace(path, forces=[FORCE]) as ws:
        for kind, name in (
            ("persons", "persons.csv"),
            ("cases", "planted-errors.csv"),
            ("case-persons", "case-persons.csv"),
        ):
            result = tl.import_file(ws, kind, DATA / name)
            assert result.quarantined == 0, (name, result.reasons)
    return path


@pytest.fixture(scope="module")
def planted_ws(tmp_path_factory) -> Path:
    """A closed workspace holding the planted-errors register."""
    return _load_planted(tmp_path_factory.mktemp("homicide-return") / "ws")


@pytest.fixture(scope="module")
def result(planted_ws) -> hi.ReturnResult:
    with tl.open_workspace(planted_ws, read_only=True) as ws:
        return hi.build_return(ws.con, START, END)


def _by_case(res: hi.ReturnResult) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in res.problems:
        out.setdefault(p.case_id, set()).add(p.rule)
    return out


def assert_catches(res: hi.ReturnResult, rule: str, case_id: str, field: str) -> None:
    """``rule`` finds the planted error in ``case_id`` (naming the case and the field), and nothing else:
    no other case breaks it and the planted case breaks no other rule."""
    found = [p for p in res.problems if p.rule == rule]
    assert {p.case_id for p in found} == {case_id}, found
    assert _by_case(res)[case_id] == {rule}, _by_case(res)[case_id]
    for p in found:
        assert p.field == field
        assert p.message.startswith(f"case {case_id}: ") and field.split("_")[0] in p.message


# --- one test per rule --------------------------------------------------------------------------------------


def test_rule_hi01_charged_without_suspect(result):
    assert_catches(result, "HI01", "H01", "suspects")


def test_rule_hi02_age_outside_band(result):
    assert_catches(result, "HI02", "H02", "victim_age_band_recorded")
    (p,) = [p for p in result.problems if p.rule == "HI02"]
    assert "52" in p.message and "25 to 34" in p.message and "45 to 54" in p.message


def test_rule_hi03_victim_age_missing(result):
    assert_catches(result, "HI03", "H03", "victim_age")
    assert {p.severity for p in result.problems if p.rule == "HI03"} == {"warning"}


def test_rule_hi04_method_unknown_when_closed(result):
    assert_catches(result, "HI04", "H04", "method")


def test_rule_hi05_not_applicable_on_homicide(result):
    assert_catches(result, "HI05", "H05", "circumstance")


def test_rule_hi06_no_suspect_but_suspect_recorded(result):
    assert_catches(result, "HI06", "H06", "suspect_relationship")


def test_rule_hi07_relationship_without_suspect(result):
    assert_catches(result, "HI07", "H07", "suspect_relationship")
    assert {p.severity for p in result.problems if p.rule == "HI07"} == {"warning"}


def test_rule_hi08_suspect_under_ten_charged(result):
    assert_catches(result, "HI08", "H08", "suspect_age")
    (p,) = [p for p in result.problems if p.rule == "HI08"]
    assert "S08" in p.message and " 9 " in p.message


def test_rule_hi09_domestic_abuse_stranger(result):
    assert_catches(result, "HI09", "H09", "circumstance")


def test_rule_hi10_convicted_without_outcome(result):
    assert_catches(result, "HI10", "H10", "court_outcome")


def test_rule_hi11_court_outcome_not_a_code(result):
    assert_catches(result, "HI11", "H11", "court_outcome")
    assert "'guilty'" in next(p.message for p in result.problems if p.rule == "HI11")


def test_rule_hi12_outcome_contradicts_status(result):
    assert_catches(result, "HI12", "H12", "court_outcome")


# --- the planted file, clean cases and the rules as a whole ----------------------------------------------


def test_every_rule_has_one_planted_case_and_is_documented():
    planted = pd.read_csv(DATA / "planted-errors.csv", dtype=str, keep_default_na=False)
    rules = [r for r in planted["planted_rule"] if r]
    assert sorted(rules) == sorted(r.id for r in RULES)
    assert 8 <= len(RULES) <= 12
    doc = (DOCS / "homicide-return.md").read_text(encoding="utf-8")
    source = Path(__file__).read_text(encoding="utf-8")
    for rule in RULES:
        row = re.search(rf"^\| `{rule.id}` .*$", doc, re.M)
        assert row, f"{rule.id} missing from docs/homicide-return.md"
        node = re.search(r"`tests/test_homicide_return\.py::(test_\w+)`", row.group(0))
        assert node and re.search(rf"^def {node.group(1)}\(", source, re.M), f"{rule.id}: no test named in the docs"
        assert rule.severity in row.group(0) and rule.name in row.group(0)


def test_clean_cases_yield_no_problems(result):
    by_case = _by_case(result)
    assert "H00" not in by_case and "H13" not in by_case
    clean = result.rows[result.rows["case_id"].isin(["H00", "H13"])]
    assert validate(clean, result.suspects) == []
    assert len(result.problems) == 12  # one planted error per rule, nothing else


def test_validate_takes_plain_rows_without_a_suspects_sheet():
    row = {
        "case_id": "Z1",
        "status": "charged",
        "suspects": 1,
        "principal_suspect_id": "P9",
        "principal_suspect_age": 8,
        "method": "sharp_instrument",
        "victim_age": 30,
        "court_outcome": "awaiting",
    }
    assert [p.rule for p in validate([row])] == ["HI08"]
    assert validate([{**row, "principal_suspect_age": 10}]) == []


def test_parse_band_reads_the_usual_spellings():
    assert parse_band("25 to 34") == (25, 34)
    assert parse_band("25-34") == (25, 34)
    assert parse_band("under 1") == (0, 0)
    assert parse_band("75 and over") == (75, 200)
    assert parse_band("75+") == (75, 200)
    assert parse_band("adult") is None


# --- the rows ------------------------------------------------------------------------------------------------


def test_rows_follow_the_layout(result):
    rows = result.rows.set_index("case_id")
    assert list(result.rows.columns) == list(RETURN_COLUMNS)
    assert list(result.suspects.columns) == list(SUSPECT_COLUMNS)
    assert sorted(rows.index) == [f"H{i:02d}" for i in range(14)]  # homicides only, reported in the period
    assert rows.loc["H13", "victim_age"] == 63 and rows.loc["H13", "victim_age_band"] == "55 to 64"  # from the DOB
    assert rows.loc["H00", "alcohol_involved"] == "yes" and rows.loc["H00", "drugs_involved"] == "no"
    assert rows.loc["H03", "drugs_involved"] == "yes"
    assert (rows.loc["H00", "court_outcome"], rows.loc["H00", "court_outcome_source"]) == (
        "convicted_murder",
        "recorded",
    )
    assert (rows.loc["H01", "court_outcome"], rows.loc["H01", "court_outcome_source"]) == ("awaiting", "derived")
    assert rows.loc["H10", "suspects"] == 2 and rows.loc["H10", "principal_suspect_id"] == "S10"
    assert rows.loc["H00", "principal_suspect_age"] == 36 and rows.loc["H00", "offence_date"] == date(2024, 4, 20)
    h10 = result.suspects[result.suspects["case_id"] == "H10"]
    assert list(h10["person_id"]) == ["S10", "S10B"] and list(h10["principal"]) == ["yes", "no"]


def test_an_empty_period_is_an_error(planted_ws):
    with tl.open_workspace(planted_ws, read_only=True) as ws, pytest.raises(InputError, match="empty"):
        hi.build_return(ws, END, START)


# --- reconciliation ------------------------------------------------------------------------------------------


def test_reconciliation_counts_the_register_and_explains_exclusions(result):
    rec = result.reconciliation
    hom = rec[rec["category"] == "homicide"]
    assert hom["in_register"].sum() == hom["in_return"].sum() == len(result.rows) == 14
    assert (hom["difference"] == 0).all()
    assert dict(zip(hom["status"], hom["in_register"], strict=True)) == {
        "charged": 3,
        "convicted": 2,
        "no_further_action": 1,
        "open": 8,
    }
    other = rec[rec["category"].isin(["attempted_homicide", "suicide"])]
    assert list(other["in_register"]) == [1, 1] and list(other["in_return"]) == [0, 0]
    assert all(e.startswith("excluded:") for e in other["explanation"])
    total = rec.iloc[-1]
    assert (total["category"], total["in_register"], total["in_return"], total["difference"]) == ("all", 16, 14, 2)
    assert "X03" not in set(result.rows["case_id"])  # recorded after the period


def test_reconciliation_names_homicides_missing_from_the_return(planted_ws, result):
    with tl.open_workspace(planted_ws, read_only=True) as ws:
        rec = hi.reconcile(ws.con, START, END, result.rows[result.rows["case_id"] != "H04"])
    nfa = rec[(rec["category"] == "homicide") & (rec["status"] == "no_further_action")].iloc[0]
    assert nfa["difference"] == 1 and "H04" in nfa["explanation"]


# --- changes since the last return ---------------------------------------------------------------------------


def test_changes_since_a_modified_return(result, tmp_path):
    hi.write_return(result, tmp_path / "last.csv")
    current = result.rows.copy()
    current.loc[current["case_id"] == "H10", "court_outcome"] = "convicted_murder"
    current.loc[current["case_id"] == "H01", "suspects"] = 1
    current = current[current["case_id"] != "H02"]
    current = pd.concat([current, result.rows[result.rows["case_id"] == "H00"].assign(case_id="H99")])
    changes = hi.changes_since(tmp_path / "last.csv", current)
    got = {(r.case_id, r.change, r.field, r.old, r.new) for r in changes.itertuples()}
    assert got == {
        ("H99", "new", "", "", ""),
        ("H02", "removed", "", "", ""),
        ("H10", "changed", "court_outcome", "", "convicted_murder"),
        ("H01", "changed", "suspects", "0", "1"),
    }


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_unchanged_return_has_no_changes(result, tmp_path, suffix):
    (path, *_) = hi.write_return(result, tmp_path / f"last{suffix}")
    assert hi.changes_since(path, result).empty


def test_changes_since_rejects_a_missing_or_foreign_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        hi.changes_since(tmp_path / "nope.xlsx", pd.DataFrame({"case_id": []}))
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a homicide return"):
        hi.changes_since(tmp_path / "other.csv", pd.DataFrame({"case_id": []}))


# --- writing ------------------------------------------------------------------------------------------------


EVIL = '=HYPERLINK("http://evil.example","click")'


def _with_formula(result: hi.ReturnResult) -> hi.ReturnResult:
    rows = result.rows.copy()
    rows.loc[rows["case_id"] == "H11", "court_outcome"] = EVIL
    return hi.ReturnResult(
        result.start, result.end, rows, result.suspects, validate(rows, result.suspects), result.reconciliation
    )


def test_write_csv_one_file_per_sheet_formulas_neutralised(result, tmp_path):
    written = hi.write_return(_with_formula(result), tmp_path / "out" / "hi-2024.csv")
    assert [p.name for p in written] == [
        "hi-2024.csv",
        "hi-2024-suspects.csv",
        "hi-2024-problems.csv",
        "hi-2024-changes.csv",
        "hi-2024-reconciliation.csv",
    ]
    rows = pd.read_csv(written[0], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(rows.columns) == list(RETURN_COLUMNS) and len(rows) == 14
    assert rows.set_index("case_id").loc["H11", "court_outcome"] == "'" + EVIL
    problems = pd.read_csv(written[2], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(problems["rule"]) == {r.id for r in RULES}
    assert pd.read_csv(written[1], encoding="utf-8-sig").shape[0] == len(result.suspects)


def test_write_xlsx_sheets_layout_and_formulas_neutralised(result, tmp_path):
    (path,) = hi.write_return(_with_formula(result), tmp_path / "hi-2024.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["return", "suspects", "problems", "changes", "reconciliation", "layout"]
    ws = wb["return"]
    header = [c.value for c in ws[1]]
    assert header == list(RETURN_COLUMNS)
    cells = {r[0].value: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)}
    evil = cells["H11"]["court_outcome"]
    assert evil.value == "'" + EVIL and evil.data_type == "s"
    assert not any(c.data_type == "f" for s in wb.worksheets for row in s.iter_rows() for c in row)
    assert cells["H00"]["victim_age"].value == 34 and cells["H00"]["offence_date"].value.date() == date(2024, 4, 20)
    layout = pd.read_excel(path, sheet_name="layout")
    assert list(layout[layout["sheet"] == "return"]["field"]) == list(RETURN_COLUMNS)
    assert layout["description"].notna().all()


def test_write_rejects_other_formats(result, tmp_path):
    with pytest.raises(InputError, match=r"\.csv or \.xlsx"):
        hi.write_return(result, tmp_path / "out.json")


# --- the command line ---------------------------------------------------------------------------------------


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(res, *fragments: str) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output
    for f in fragments:
        assert f in lines[0]


def test_cli_writes_the_return_and_prints_a_summary(planted_ws, tmp_path):
    out = tmp_path / "hi.xlsx"
    res = run("return", "homicide-index", "--from", "2024-04-01", "--to", "2025-03-31", "--out", out, "-w", planted_ws)
    assert res.exit_code == 0, res.output
    assert "14 homicide(s)" in res.output and "HI01" in res.output and "Reconciliation" in res.output
    assert out.is_file()
    res = run(
        "return",
        "homicide-index",
        "--from",
        "2024-04-01",
        "--to",
        "2025-03-31",
        "--out",
        tmp_path / "again.csv",
        "--previous",
        out,
        "-w",
        planted_ws,
    )
    assert res.exit_code == 0, res.output
    assert "0 new, 0 removed, 0 changed" in res.output
    assert (tmp_path / "again-changes.csv").is_file()


def test_cli_strict_exits_1_on_errors(planted_ws, tmp_path):
    res = run(
        "return",
        "homicide-index",
        "--from",
        "2024-04-01",
        "--to",
        "2025-03-31",
        "--out",
        tmp_path / "hi.csv",
        "--strict",
        "-w",
        planted_ws,
    )
    assert res.exit_code == 1, res.output
    assert "error-level problem" in res.output


def test_cli_bad_previous_path_is_a_one_line_error(planted_ws, tmp_path):
    res = run(
        "return",
        "homicide-index",
        "--from",
        "2024-04-01",
        "--to",
        "2025-03-31",
        "--out",
        tmp_path / "hi.csv",
        "--previous",
        tmp_path / "missing.xlsx",
        "-w",
        planted_ws,
    )
    assert_one_line_error(res, "missing.xlsx", "no such file")
    assert not (tmp_path / "hi.csv").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--from", "2024-13-01", "--to", "2025-03-31", "--out", "x.csv"], "--from"),
        (["--from", "2024-04-01", "--to", "2024-03-31", "--out", "x.csv"], "before"),
        (["--from", "2024-04-01", "--to", "2025-03-31", "--out", "x.json"], ".csv or .xlsx"),
    ],
)
def test_cli_bad_input_is_a_one_line_error(planted_ws, tmp_path, args, fragment):
    args = [a if a != "x.csv" and a != "x.json" else tmp_path / a for a in args]
    assert_one_line_error(run("return", "homicide-index", *args, "-w", planted_ws), fragment)


# --- a synthetic force --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_ws(tmp_path_factory) -> Path:
    """One year of a fifth-scale synthetic West Yorkshire: persons, cases and case-persons only."""
    root = tmp_path_factory.mktemp("homicide-return-synth")
    synthesise(
        root / "synth",
        years=1,
        seed=5,
        end=date(2024, 12, 31),
        population_scale=0.2,
        plant_series=False,
        plant_emerging=False,
        plant_nhs_hotspot=False,
        plant_violence=False,
    )
    for name in list((root / "synth").glob("*.csv")):
        if name.stem not in ("persons", "cases", "case-persons"):
            name.unlink()
    with tl.init_workspace(root / "ws", forces=[FORCE]) as ws:
        import_folder(ws, root / "synth")
    return root / "ws"


def test_synthetic_force_return_has_every_register_homicide(synthetic_ws):
    with tl.open_workspace(synthetic_ws, read_only=True) as ws:
        res = hi.build_return(ws, date(2024, 1, 1), date(2025, 1, 1))
        homicides = ws.con.execute(
            "SELECT count(*) FROM cases WHERE category = 'homicide' AND reported_at >= "
            "'2024-01-01' AND reported_at < '2025-01-01'"
        ).fetchone()[0]
    assert homicides > 0 and len(res.rows) == homicides
    assert res.rows["case_id"].is_unique
    total = res.reconciliation.iloc[-1]
    hom = res.reconciliation[res.reconciliation["category"] == "homicide"]
    assert (hom["difference"] == 0).all() and total["in_return"] == homicides
    assert res.suspects["case_id"].isin(res.rows["case_id"]).all()
    assert (res.rows["suspects"] == res.rows["case_id"].map(res.suspects["case_id"].value_counts()).fillna(0)).all()
