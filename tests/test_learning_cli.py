"""``threadline learning ...`` on a SQLite file, through Typer's test runner."""

from __future__ import annotations

import datetime as dt

from learning_fixtures import PARTNER_ORG, make_people
from typer.testing import CliRunner

from threadline.cli.learning_cmd import app
from threadline.learning import recommendations as recs
from threadline.learning import records
from threadline.learning.db import open_database, transaction

runner = CliRunner()
SECRET = "Restricted review of a custody death"


def _db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    result = runner.invoke(app, ["init", "--database", url])
    assert result.exit_code == 0, result.output
    assert "themes loaded" in result.output
    with transaction(open_database(url)) as s:
        p = make_people(s)
        fc = p.actor("force_contributor")
        r = records.create_record(s, fc, records.RecordFields(
            kind="homicide_debrief", title="=cmd|' /C calc'!A0", record_date=dt.date(2024, 3, 1),
            themes=["weapons"], review_date=dt.date(2024, 5, 1)))
        recs.add_recommendation(s, fc, r.id, recs.RecommendationFields(
            action="Share exclusion lists weekly", owner_organisation=PARTNER_ORG, due_date=dt.date(2024, 4, 1)))
        records.create_record(s, fc, records.RecordFields(
            kind="organisational_review", title=SECRET, record_date=dt.date(2024, 2, 1), restricted=True))
    return url


def test_commands(tmp_path):
    url = _db(tmp_path)
    assert runner.invoke(app, ["init", "--database", url]).output.count("0 new themes") == 1  # idempotent

    out = tmp_path / "recs.csv"
    result = runner.invoke(app, ["export", "records", "--format", "csv", "--as", "partner.admin", "--out", str(out),
                                 "--database", url])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert "'=cmd" in text and SECRET not in text

    xlsx = tmp_path / "recs.xlsx"
    result = runner.invoke(app, ["export", "recommendations", "--format", "xlsx", "--as", "force.reader",
                                 "--out", str(xlsx), "--database", url])
    assert result.exit_code == 0 and xlsx.read_bytes()[:2] == b"PK"

    pack = tmp_path / "pack.pdf"
    result = runner.invoke(app, ["governance-pack", "--from", "2024-01-01", "--to", "2024-06-30", "--as",
                                 "partner.admin", "--out", str(pack), "--database", url])
    assert result.exit_code == 0, result.output
    assert pack.read_bytes().startswith(b"%PDF")
    html = tmp_path / "pack.html"
    runner.invoke(app, ["governance-pack", "--from", "2024-01-01", "--to", "2024-06-30", "--as",
                        "force.reader", "--out", str(html), "--database", url])
    assert "Organisational review" in html.read_text() and "OFFICIAL-SENSITIVE" in html.read_text()
    runner.invoke(app, ["governance-pack", "--from", "2024-01-01", "--to", "2024-06-30", "--as",
                        "partner.admin", "--out", str(html), "--database", url])
    assert "Organisational review" not in html.read_text()  # the restricted record is not counted

    result = runner.invoke(app, ["digest", "--on", "2024-06-03", "--out", str(tmp_path / "digest"),
                                 "--database", url])
    assert result.exit_code == 0 and "1 new message," in result.output
    assert len(list((tmp_path / "digest").glob("*.txt"))) == 1
    result = runner.invoke(app, ["digest", "--on", "2024-06-04", "--database", url])
    assert "0 new messages" in result.output

    result = runner.invoke(app, ["review-queue", "--as", "force.reviewer", "--on", "2024-06-01", "--database", url])
    assert result.exit_code == 0 and "1 record due for review" in result.output

    audit_csv = tmp_path / "audit.csv"
    result = runner.invoke(app, ["audit-export", "--as", "force.admin", "--out", str(audit_csv), "--database", url])
    assert result.exit_code == 0, result.output
    assert "governance pack 2024-01-01 to 2024-06-30" in audit_csv.read_text(encoding="utf-8-sig")


def test_bad_input_is_one_line(tmp_path):
    url = _db(tmp_path)
    cases = [
        ["audit-export", "--as", "force.reader", "--out", str(tmp_path / "a.csv")],  # not an administrator
        ["export", "records", "--as", "nobody", "--out", str(tmp_path / "x.csv")],
        ["export", "records", "--format", "pdf", "--as", "force.reader", "--out", str(tmp_path / "x.pdf")],
        ["export", "things", "--as", "force.reader", "--out", str(tmp_path / "x.csv")],
        ["governance-pack", "--from", "2024-13-01", "--to", "2024-06-30", "--as", "force.reader", "--out",
         str(tmp_path / "p.html")],
        ["governance-pack", "--from", "2024-07-01", "--to", "2024-06-30", "--as", "force.reader", "--out",
         str(tmp_path / "p.html")],
        ["governance-pack", "--from", "2024-01-01", "--to", "2024-06-30", "--as", "force.reader", "--out",
         str(tmp_path / "p.docx")],
    ]
    for args in cases:
        result = runner.invoke(app, [*args, "--database", url])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and "error:" in result.output
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    result = runner.invoke(app, ["review-queue", "--as", "x", "--database", empty])
    assert result.exit_code == 2 and "learning init" in result.output
