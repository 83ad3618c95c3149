"""The server-rendered pages of the learning repository, on SQLite and PostgreSQL: every page
renders, the record → recommendation → evidence → verified journey works through the forms, and
a partner never reaches a restricted record by search, URL, export or document link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from learning_fixtures import OTHER_ORG, PARTNER_ORG, PASSWORD, make_people
from sqlalchemy import select

from threadline.learning.models import AuditEvent, LearningRecord, Recommendation
from threadline.web.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(db_url, factory):
    application = create_app(db_url)
    with factory() as s, s.begin():
        make_people(s)
    return application


def sign_in(app, username: str) -> tuple[TestClient, str]:
    """A client signed in as ``username`` and its session's CSRF token."""
    client = TestClient(app, base_url="https://testserver")
    token = CSRF.search(client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/records")
    return client, CSRF.search(page.text).group(1)


def post(client, token, url, data=None, files=None, follow=False):
    return client.post(url, data={"csrf_token": token, **(data or {})}, files=files, follow_redirects=follow)


def new_record(client, token, **kw) -> int:
    data = {"kind": "homicide_debrief", "title": "Fatal stabbing outside a takeaway", "record_date": "2025-03-01",
            "summary": "A 17-year-old was stabbed after a dispute that began on social media."} | kw
    r = post(client, token, "/records", data)
    assert r.status_code == 303, r.text
    return int(re.search(r"/records/(\d+)", r.headers["location"]).group(1))


def test_every_page_renders_for_a_reader(app):
    writer, wt = sign_in(app, "force.contributor")
    rid = new_record(writer, wt)
    post(writer, wt, f"/records/{rid}/recommendations", {"action": "Brief all response officers on retaliation risk",
                                                         "owner": "user:force.reader", "due_date": "2025-01-01"})
    client, _ = sign_in(app, "force.reader")
    rec_id = int(re.search(r"/recommendations/(\d+)", client.get(f"/records/{rid}").text).group(1))
    for url in ["/", "/records", "/records?q=stabbing", "/records?q=knife+attack&mode=semantic",
                f"/records/{rid}", "/recommendations", "/recommendations?overdue=1&mine=1",
                f"/recommendations/{rec_id}",
                "/lessons", "/governance", "/review"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:500])
        assert "OFFICIAL-SENSITIVE" in r.text
        assert "style=" not in r.text and "<script" not in r.text  # the CSP forbids them
    dash = client.get("/").text
    assert "Brief all response officers" in dash and "overdue" in dash  # due 2025-01-01
    # a reader sees no editing controls, and the server refuses the forms anyway
    page = client.get(f"/records/{rid}").text
    assert "Add a recommendation" not in page and "Delete this record" not in page
    assert client.get("/records/new").status_code == 403
    assert client.get(f"/records/{rid}/edit").status_code == 403


def test_create_record_then_find_it_edit_it_and_task_it_out(app, factory):
    client, token = sign_in(app, "force.contributor")
    assert "Record a debrief" in client.get("/records/new").text
    # invalid input: the form comes back with the message and what was typed
    r = post(client, token, "/records", {"kind": "homicide_debrief", "title": "", "record_date": "2025-03-01",
                                         "summary": "kept text"})
    assert r.status_code == 400 and "needs a title" in r.text and "kept text" in r.text
    r = post(client, token, "/records", {"kind": "homicide_debrief", "title": "x", "record_date": "01/03/2025"})
    assert r.status_code == 400 and "not a date" in r.text
    rid = new_record(client, token, title="Near miss: strangulation disclosed to a GP", kind="near_miss_debrief",
                     summary="Non-fatal strangulation was disclosed twice but never shared with the police.",
                     then="detail")
    page = client.get("/records?q=strangulation")
    assert f"/records/{rid}" in page.text and "<mark>" in page.text
    assert "done=created" not in page.text
    # the full form
    r = post(client, token, f"/records/{rid}", {
        "kind": "near_miss_debrief", "title": "Near miss: strangulation disclosed to a GP", "record_date": "2025-03-01",
        "incident_date": "2025-02-20", "stage": "complete", "summary": "Disclosed twice.", "findings": "No referral.",
        "confidentiality": "official_sensitive", "organisations_involved": [PARTNER_ORG, OTHER_ORG],
        "themes": ["non-fatal-strangulation", "information-sharing"], "tags": "GP, disclosure",
        "case_ids": "WY-2025-0001", "review_date": "2031-03-01"})
    assert r.status_code == 303 and r.headers["location"] == f"/records/{rid}?done=saved"
    page = client.get(r.headers["location"]).text
    assert "Your changes were saved" in page and "Non-fatal strangulation" in page and "WY-2025-0001" in page
    r = post(client, token, f"/records/{rid}", {"kind": "near_miss_debrief", "title": "t", "record_date": "2025-03-01",
                                                "themes": ["no-such-theme"], "findings": "kept findings"})
    assert r.status_code == 400 and "unknown theme" in r.text and "kept findings" in r.text
    assert client.get("/records?theme=non-fatal-strangulation").text.count(f"/records/{rid}\"") == 1
    with factory() as s:
        assert s.get(LearningRecord, rid).title == "Near miss: strangulation disclosed to a GP"
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "consult", AuditEvent.object_type == "search",
                                                 AuditEvent.query == "strangulation")) is not None


def test_recommendation_to_verified_with_evidence(app, factory):
    client, token = sign_in(app, "force.contributor")
    rid = new_record(client, token)
    r = post(client, token, f"/records/{rid}/recommendations", {"action": "", "owner": "org:" + PARTNER_ORG})
    assert r.status_code == 400 and "needs an action" in r.text
    r = post(client, token, f"/records/{rid}/recommendations", {
        "action": "Share school exclusion lists with the neighbourhood team weekly",
        "owner": "user:partner.contributor", "due_date": "2030-06-01", "themes": ["school-exclusion"]})
    assert r.status_code == 303
    with factory() as s:
        rec = s.scalar(select(Recommendation).where(Recommendation.record_id == rid))
        rec_id = rec.id
        assert rec.owner_user.username == "partner.contributor"
    partner, ptoken = sign_in(app, "partner.contributor")
    assert "Share school exclusion lists" in partner.get("/recommendations?mine=1").text
    # implemented needs evidence
    r = post(partner, ptoken, f"/recommendations/{rec_id}/status", {"status": "implemented"})
    assert r.status_code == 400 and "evidence" in r.text
    r = post(partner, ptoken, f"/recommendations/{rec_id}/status", {"status": "accepted", "note": "agreed at board"})
    assert r.status_code == 303
    r = post(partner, ptoken, f"/recommendations/{rec_id}/documents",
             files={"file": ("minutes.txt", b"Lists now shared every Monday.", "text/plain")})
    assert r.status_code == 303
    r = post(partner, ptoken, f"/recommendations/{rec_id}/status",
             {"status": "implemented", "evidence": "Weekly list shared since May", "back": "record"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/records/{rid}?done=status")
    # the partner may not verify its own work; the force's reviewer does
    page = partner.get(f"/recommendations/{rec_id}").text
    assert 'value="verified"' not in page
    r = post(partner, ptoken, f"/recommendations/{rec_id}/status", {"status": "verified"})
    assert r.status_code == 403
    reviewer, rtoken = sign_in(app, "force.reviewer")
    assert 'value="verified"' in reviewer.get(f"/recommendations/{rec_id}").text
    r = post(reviewer, rtoken, f"/recommendations/{rec_id}/status", {"status": "verified", "note": "checked"})
    assert r.status_code == 303
    page = reviewer.get(f"/recommendations/{rec_id}?done=status").text
    assert "Verified" in page and "minutes.txt" in page and "Weekly list shared since May" in page
    assert "agreed at board" in page  # the history
    with factory() as s:
        assert s.get(Recommendation, rec_id).status == "verified"


def test_partner_cannot_reach_a_restricted_record(app):
    force, token = sign_in(app, "force.contributor")
    rid = new_record(force, token, title="Domestic homicide review: coercive control", kind="domestic_homicide_review",
                     summary="Coercive control by the perpetrator was known to three agencies.", restricted="1",
                     shared_with=[OTHER_ORG])
    r = post(force, token, f"/records/{rid}/documents",
             files={"file": ("chronology.txt", b"Combined chronology: coercive control", "text/plain")})
    assert r.status_code == 303
    r = post(force, token, f"/records/{rid}/recommendations",
             {"action": "Ask about coercive control at every contact", "owner": "org:" + OTHER_ORG})
    assert r.status_code == 303
    page = force.get(f"/records/{rid}").text
    doc_id = int(re.search(r"/documents/(\d+)", page).group(1))
    rec_id = int(re.search(r"/recommendations/(\d+)", page).group(1))
    assert force.get(f"/documents/{doc_id}").status_code == 200
    assert "coercive" in force.get("/export/records.csv").text.lower()

    partner, _ = sign_in(app, "partner.admin")
    assert f"/records/{rid}" not in partner.get("/records?q=coercive").text
    assert f"/records/{rid}" not in partner.get("/records?q=controlling+behaviour+by+a+partner&mode=semantic").text
    assert f"/records/{rid}" not in partner.get("/records").text
    assert partner.get(f"/records/{rid}").status_code == 404
    assert partner.get(f"/records/{rid}").text == partner.get("/records/999999").text.replace("999999", str(rid))
    assert partner.get(f"/documents/{doc_id}").status_code == 404
    assert partner.get(f"/recommendations/{rec_id}").status_code == 404
    assert "Ask about coercive control" not in partner.get("/recommendations").text
    assert "Ask about coercive control" not in partner.get("/").text
    for name in ("records.csv", "recommendations.csv"):
        assert "coercive" not in partner.get(f"/export/{name}").text.lower()
    assert partner.get("/export/records.xlsx").status_code == 200

    shared, _ = sign_in(app, "other.reader")  # the organisation it is shared with
    assert f"/records/{rid}" in shared.get("/records?q=coercive").text
    assert shared.get(f"/records/{rid}").status_code == 200


def test_document_download_and_upload_checks(app):
    client, token = sign_in(app, "force.contributor")
    rid = new_record(client, token)
    r = post(client, token, f"/records/{rid}/documents",
             files={"file": ("evil.html", b"<script>alert(1)</script>", "text/html")})
    assert r.status_code == 400 and "only PDF, DOCX and text" in r.text
    r = post(client, token, f"/records/{rid}/documents", files={"file": ("fake.pdf", b"MZ\x90\x00", "application/pdf")})
    assert r.status_code == 400 and "not a PDF" in r.text
    r = post(client, token, f"/records/{rid}/documents",
             files={"file": ("big.txt", b"a" * (21 * 1024 * 1024), "text/plain")})
    assert r.status_code in (400, 413)
    r = post(client, token, f"/records/{rid}/documents",
             files={"file": ("debrief notes.txt", "Notes — the debrief".encode(), "text/plain")})
    assert r.status_code == 303
    doc_id = int(re.search(r"/documents/(\d+)", client.get(f"/records/{rid}").text).group(1))
    r = client.get(f"/documents/{doc_id}")
    assert r.status_code == 200 and r.content == "Notes — the debrief".encode()
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_csrf_missing_or_wrong_is_refused(app):
    client, token = sign_in(app, "force.contributor")
    data = {"kind": "homicide_debrief", "title": "t", "record_date": "2025-03-01"}
    assert client.post("/records", data=data, follow_redirects=False).status_code == 403
    assert client.post("/records", data={**data, "csrf_token": "wrong"}, follow_redirects=False).status_code == 403
    rid = new_record(client, token)
    assert client.post(f"/records/{rid}/delete", data={"justification": "duplicate"}).status_code == 403
    assert client.get(f"/records/{rid}").status_code == 200


def test_delete_and_retention_review(app, factory):
    client, token = sign_in(app, "force.contributor")
    rid = new_record(client, token)
    old = new_record(client, token, title="Old debrief", record_date="2015-01-10")
    assert post(client, token, f"/records/{rid}/delete", {"justification": "duplicate entry"}).status_code == 403
    reviewer, rtoken = sign_in(app, "force.reviewer")
    assert "Delete this record" in reviewer.get(f"/records/{rid}").text
    r = post(reviewer, rtoken, f"/records/{rid}/delete", {"justification": "no"})
    assert r.status_code == 400 and "say why" in r.text
    r = post(reviewer, rtoken, f"/records/{rid}/delete", {"justification": "duplicate entry of record 2"})
    assert r.status_code == 303 and r.headers["location"] == "/records?done=deleted"
    assert reviewer.get(f"/records/{rid}").status_code == 404
    page = reviewer.get("/review").text
    assert "Old debrief" in page  # reviewed at 6 years: due in 2021
    r = post(reviewer, rtoken, f"/records/{old}/review", {"decision": "retain", "next_review": "2020-01-01",
                                                          "justification": "linked to a live case"})
    assert r.status_code == 400 and "future" in r.text
    nxt = (dt.date.today() + dt.timedelta(days=365)).isoformat()
    r = post(reviewer, rtoken, f"/records/{old}/review", {"decision": "retain", "next_review": nxt,
                                                          "justification": "linked to a live case"})
    assert r.status_code == 303
    assert "Old debrief" not in reviewer.get("/review").text
    with factory() as s:
        erase = s.scalar(select(AuditEvent).where(AuditEvent.action == "erase"))
        assert erase.justification == "duplicate entry of record 2"


def test_governance_pack_and_exports_are_audited(app, factory):
    client, token = sign_in(app, "force.contributor")
    rid = new_record(client, token, title="Serious violence debrief: =HYPERLINK formula",
                     kind="serious_violence_debrief")
    post(client, token, f"/records/{rid}/recommendations",
         {"action": "=cmd|' /C calc'!A0", "owner": "org:" + PARTNER_ORG})
    r = client.get("/governance?start=2025-01-01&end=2025-12-31")
    assert r.status_code == 200 and "Governance pack" in r.text
    assert client.get("/governance?start=2025-12-31&end=2025-01-01").status_code == 400
    r = client.get("/governance.pdf?start=2025-01-01&end=2025-12-31")
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and "attachment" in r.headers["content-disposition"]
    r = client.get("/export/recommendations.csv?kind=serious_violence_debrief")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert "'=cmd" in r.text
    assert client.get("/export/records.xlsx").content.startswith(b"PK")
    assert client.get("/export/passwords.csv").status_code == 404
    with factory() as s:
        kinds = [e.object_type for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "disclose"))]
    assert kinds.count("governance_pack") == 2 and kinds.count("export") == 2
