"""Tracking: the dashboard, recurring lessons, the governance pack and the weekly digest, on
SQLite and PostgreSQL, against hand-built data whose answers are known."""

from __future__ import annotations

import datetime as dt
import subprocess

from learning_fixtures import FORCE_ORG, PARTNER_ORG, make_people
from sqlalchemy import func, select

from threadline.learning import digest, governance, records, recurring, tracking
from threadline.learning import recommendations as recs
from threadline.learning.models import OutboxMessage

ON = dt.date(2024, 6, 1)
SECRET = "Restricted review of a custody death"


def _build(s):
    """Records A (2023, info sharing), B (2024, weapons) and C (2022, restricted to the force).

    rec1 A→partner proposed, due 2024-01-01 (overdue); rec2 A→force accepted, due 2024-12-01;
    rec3 A→force verified; rec4 B→partner not accepted; rec5 B→partner in progress, due
    2024-03-01, own theme school-exclusion (overdue); rec6 C→force proposed, due 2023-01-01 (overdue).
    """
    p = make_people(s)
    fc = p.actor("force_contributor")
    a = records.create_record(s, fc, records.RecordFields(
        kind="homicide_debrief", title="Stabbing near a school", record_date=dt.date(2023, 5, 2),
        themes=["information-sharing"]))
    b = records.create_record(s, fc, records.RecordFields(
        kind="serious_violence_debrief", title="Machete attack at a party", record_date=dt.date(2024, 2, 2),
        themes=["weapons"]))
    c = records.create_record(s, fc, records.RecordFields(
        kind="organisational_review", title=SECRET, record_date=dt.date(2022, 8, 9),
        themes=["information-sharing"], restricted=True))

    def add(record, action, org, due=None, themes=()):
        return recs.add_recommendation(s, fc, record.id, recs.RecommendationFields(
            action=action, owner_organisation=org, due_date=due, themes=list(themes)))

    r1 = add(a, "Share school exclusion lists with the neighbourhood policing team every week", PARTNER_ORG,
             dt.date(2024, 1, 1))
    r2 = add(a, "Review the DASH risk assessment training for call handlers", FORCE_ORG, dt.date(2024, 12, 1))
    recs.set_status(s, fc, r2.id, "accepted")
    r3 = add(a, "Audit firearms licensing checks", FORCE_ORG, dt.date(2024, 2, 1))
    recs.set_status(s, fc, r3.id, "accepted")
    recs.set_status(s, fc, r3.id, "implemented", evidence="Audit done in March", on=dt.date(2024, 3, 10))
    recs.set_status(s, p.actor("force_reviewer"), r3.id, "verified", on=dt.date(2024, 4, 2))
    r4 = add(b, "Fund a knife arch for every secondary school", PARTNER_ORG, dt.date(2024, 5, 1))
    recs.set_status(s, p.actor("partner_contributor"), r4.id, "not_accepted", reason="No budget this year")
    r5 = add(b, "Neighbourhood policing team to receive school exclusion lists every week", PARTNER_ORG,
             dt.date(2024, 3, 1), themes=["school-exclusion"])
    recs.set_status(s, p.actor("partner_contributor"), r5.id, "in_progress")
    r6 = add(c, "Ensure custody records are shared with the health provider", FORCE_ORG, dt.date(2023, 1, 1))
    return p, (r1, r2, r3, r4, r5, r6)


def test_dashboard_numbers(factory):
    with factory() as s, s.begin():
        p, (r1, r2, r3, r4, r5, r6) = _build(s)
        d = tracking.dashboard(s, p.force_reader, ON)
        assert d.totals == {"proposed": 2, "accepted": 1, "in_progress": 1, "implemented": 0, "verified": 1,
                            "not_accepted": 1, "open": 4, "overdue": 3, "total": 6}
        orgs = {r.organisation: (r.open, r.overdue, r.implemented, r.verified, r.not_accepted, r.total)
                for r in d.by_organisation}
        assert orgs == {PARTNER_ORG: (2, 2, 0, 0, 1, 3), FORCE_ORG: (2, 1, 0, 1, 0, 3)}
        themes = {r.theme_code: (r.open, r.overdue, r.verified, r.not_accepted, r.total) for r in d.by_theme}
        # rec5 has its own theme, so it counts there and not under its record's "weapons"
        assert themes == {"information-sharing": (3, 2, 1, 0, 4), "weapons": (0, 0, 0, 1, 1),
                          "school-exclusion": (1, 1, 0, 0, 1)}
        assert [r.id for r in d.overdue] == [r6.id, r1.id, r5.id]  # oldest due first

        # a partner never counts the restricted record's recommendation
        dp = tracking.dashboard(s, p.partner_admin, ON)
        assert dp.totals["total"] == 5 and dp.totals["overdue"] == 2 and dp.totals["proposed"] == 1
        assert [r.id for r in dp.overdue] == [r1.id, r5.id]
        assert {r.theme_code: r.total for r in dp.by_theme}["information-sharing"] == 3

        lst = tracking.recommendation_list
        assert [r.id for r in lst(s, p.force_reader, overdue=True, on=ON)] == [r6.id, r1.id, r5.id]
        assert [r.id for r in lst(s, p.partner_reader, overdue=True, on=ON)] == [r1.id, r5.id]
        assert {r.id for r in lst(s, p.force_reader, status="open")} == {r1.id, r2.id, r5.id, r6.id}
        assert [r.id for r in lst(s, p.force_reader, theme="weapons")] == [r4.id]
        assert {r.id for r in lst(s, p.force_reader, theme="information-sharing")} == {r1.id, r2.id, r3.id, r6.id}
        partner_id = p.partner_admin.organisation_id
        assert {r.id for r in lst(s, p.force_reader, organisation_id=partner_id)} == {r1.id, r4.id, r5.id}
        assert [r.id for r in lst(s, p.force_reader, status="verified")] == [r3.id]
        assert [r.id for r in lst(s, p.force_reader, limit=2, offset=1)] == [r1.id, r3.id]


def test_recurring_themes_and_repeated_recommendations(factory):
    with factory() as s, s.begin():
        p, (r1, _r2, _r3, _r4, r5, _r6) = _build(s)
        rows = recurring.recurring_themes(s, p.force_reader, on=ON)
        by = {r.code: r for r in rows}
        info = by["information-sharing"]
        assert (info.records, info.years, info.first_seen, info.last_seen) == (
            2, [2022, 2023], dt.date(2022, 8, 9), dt.date(2023, 5, 2))
        assert (info.recommendations, info.open, info.implemented, info.verified, info.not_accepted) == (4, 3, 1, 1, 0)
        assert info.recurring_not_implemented and info.score == 6
        assert rows[0].code == "information-sharing"  # what keeps being learned and not implemented first
        # school-exclusion is on a recommendation of record B: B counts as a record with that theme
        assert by["school-exclusion"].records == 1 and not by["weapons"].recurring_not_implemented
        # the partner does not see record C: information sharing is then one year, not recurring
        pinfo = {r.code: r for r in recurring.recurring_themes(s, p.partner_admin, on=ON)}["information-sharing"]
        assert pinfo.years == [2023] and not pinfo.recurring_not_implemented
        # a period
        assert {r.code for r in recurring.recurring_themes(s, p.force_reader, start=dt.date(2024, 1, 1))} == {
            "weapons", "school-exclusion"}

        groups = recurring.similar_recommendations(s, p.force_reader)
        assert len(groups) == 1
        assert {r.id for r in groups[0].recommendations} == {r1.id, r5.id}
        assert groups[0].records == 2 and groups[0].years == [2023, 2024]
        assert groups[0].summary == "recommended 2 times in 2 years"

        svg = recurring.chart_svg(rows)
        assert svg.startswith("<svg") and "<title>" in svg
        low = svg.lower()
        assert "<script" not in low and "style=" not in low and "<style" not in low and "javascript:" not in low
        assert "<svg" in recurring.chart_svg([])


def test_governance_pack(factory, tmp_path):
    with factory() as s, s.begin():
        p, _ = _build(s)
        html = governance.pack_html(s, p.force_reader, dt.date(2024, 1, 1), dt.date(2024, 6, 30), on=ON)
        assert html.count("OFFICIAL-SENSITIVE") >= 3 and "<script" not in html.lower()
        assert "Force Reader (West Yorkshire Police)" in html
        assert "No budget this year" in html and "Machete attack at a party" in html
        assert SECRET in html  # its overdue action is listed for the force
        partner = governance.pack_html(s, p.partner_admin, dt.date(2022, 1, 1), dt.date(2024, 6, 30), on=ON)
        assert SECRET not in partner and "custody records" not in partner
        assert "Partner Admin (Leeds City Council)" in partner
        pdf = governance.pack_pdf(s, p.force_reader, dt.date(2024, 1, 1), dt.date(2024, 6, 30), on=ON)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = [pg for pg in text.split("\f") if pg.strip()]
    assert pages and all(pg.strip().startswith("OFFICIAL-SENSITIVE") for pg in pages)
    assert all(pg.count("OFFICIAL-SENSITIVE") >= 2 for pg in pages)  # top and bottom of every page
    assert "Learning governance pack" in text


def test_digest_is_once_per_week(factory, tmp_path):
    with factory() as s, s.begin():
        p, (r1, _r2, _r3, _r4, r5, r6) = _build(s)
        owner = p.partner_contributor
        recs.edit_recommendation(s, p.actor("force_contributor"), r1.id, recs.RecommendationFields(
            action=r1.action, owner_organisation=PARTNER_ORG, owner_username=owner.username, due_date=r1.due_date))
        first = digest.write_digest(s, ON, tmp_path / "out")
        # rec1 → its named owner; rec5 (no owner) → partner reviewers/administrators; rec6 → force's
        assert {m.recipient for m in first} == {"partner.contributor", "partner.admin", "force.admin",
                                                "force.reviewer"}
        body = {m.recipient: m.body for m in first}
        assert f"Recommendation {r1.id}," in body["partner.contributor"]
        assert f"Recommendation {r5.id}," not in body["partner.contributor"]
        assert f"Recommendation {r5.id}," in body["partner.admin"] and SECRET not in body["partner.admin"]
        assert f"Recommendation {r6.id}," in body["force.admin"]
        assert all(m.subject.startswith("[OFFICIAL-SENSITIVE]") for m in first)
        files = sorted(f.name for f in (tmp_path / "out").iterdir())
        assert files == ["2024-W22-force.admin.txt", "2024-W22-force.reviewer.txt", "2024-W22-partner.admin.txt",
                         "2024-W22-partner.contributor.txt"]
        assert digest.write_digest(s, ON + dt.timedelta(days=1), tmp_path / "out") == []  # same ISO week
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 4
        assert len(digest.write_digest(s, ON + dt.timedelta(days=7))) == 4  # next week, again
