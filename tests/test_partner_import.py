"""Partner extracts: `threadline import partner-records FILE --agency ...` with the shipped example mappings."""

from __future__ import annotations

import shutil

from conftest import EXAMPLES, FORCE
from typer.testing import CliRunner

import threadline as tl
from threadline.cli.app import app

runner = CliRunner()


def _copy_examples(tmp_path):
    for name in ("ed-istv-extract.csv", "ed-istv-mapping.yaml", "youth-justice-extract.csv",
                 "youth-justice-mapping.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


def test_ed_istv_extract_imports_with_its_agency_and_no_names(tmp_path):
    ex = _copy_examples(tmp_path)
    with tl.init_workspace(tmp_path / "ws", forces=[FORCE]) as ws:
        r = tl.import_file(ws, "partner-records", ex / "ed-istv-extract.csv", mapping=ex / "ed-istv-mapping.yaml",
                           agency="nhs_ed")
        assert (r.imported, r.quarantined) == (39, 1)  # row 9 has 31/02/2024
        assert r.reasons.most_common(1)[0][0].startswith("occurred_at")
        rows = ws.con.execute(
            "SELECT agency, record_type, count(*), count(given_name), count(date_of_birth), count(weapon), "
            "count(assailant_count), min(occurred_at) FROM partner_records GROUP BY ALL").fetchall()
        assert len(rows) == 1
        agency, record_type, n, names, dobs, weapons, assailants, first = rows[0]
        assert (agency, record_type, n, names, dobs, weapons) == ("nhs_ed", "assault_attendance", 39, 0, 0, 39)
        assert 0 < assailants < 39  # "Unknown" becomes missing, not a bad row
        assert first.year == 2024
        again = tl.import_file(ws, "partner-records", ex / "ed-istv-extract.csv",
                               mapping=ex / "ed-istv-mapping.yaml", agency="nhs_ed")
        assert (again.imported, again.unchanged) == (0, 39)  # re-importing changes nothing


def test_youth_justice_extract_is_identifiable_and_keyed_by_agency(tmp_path):
    ex = _copy_examples(tmp_path)
    with tl.init_workspace(tmp_path / "ws", forces=[FORCE]) as ws:
        r = tl.import_file(ws, "partner-records", ex / "youth-justice-extract.csv",
                           mapping=ex / "youth-justice-mapping.yaml", agency="youth_justice")
        assert (r.imported, r.quarantined) == (30, 0)
        row = ws.con.execute("SELECT count(*), count(given_name), count(date_of_birth), min(agency), "
                             "count(DISTINCT sex) FROM partner_records").fetchone()
        assert row == (30, 30, 30, "youth_justice", 2)


def test_agency_option_is_checked_in_one_line(tmp_path):
    ex = _copy_examples(tmp_path)
    path = str(tmp_path / "ws")
    tl.init_workspace(path, forces=[FORCE]).close()
    bad = runner.invoke(app, ["import", "partner-records", str(ex / "ed-istv-extract.csv"), "--mapping",
                              str(ex / "ed-istv-mapping.yaml"), "--agency", "nhs", "-w", path])
    assert bad.exit_code == 2 and "unknown agency 'nhs'" in bad.output and "Traceback" not in bad.output
    wrong = runner.invoke(app, ["import", "cases", str(ex / "ed-istv-extract.csv"), "--agency", "nhs_ed", "-w", path])
    assert wrong.exit_code == 2 and "--agency is for partner-records" in wrong.output
    ok = runner.invoke(app, ["import", "partner-records", str(ex / "ed-istv-extract.csv"), "--mapping",
                             str(ex / "ed-istv-mapping.yaml"), "--agency", "nhs_ed", "-w", path])
    assert ok.exit_code == 0, ok.output
