"""The JSON API (/api/v1) on SQLite and PostgreSQL: the same services, rules and audit as the pages."""

from __future__ import annotations

from learning_fixtures import FORCE_ORG, PARTNER_ORG
from sqlalchemy import select
from test_web_security import make_secret, web  # noqa: F401  (the fixture)

from threadline.learning.models import AuditEvent


def test_me_gives_the_user_and_the_csrf_token(web):  # noqa: F811
    c = web.client("partner_contributor")
    me = c.get("/api/v1/me").json()
    assert me["username"] == "partner.contributor" and me["organisation"] == PARTNER_ORG
    assert me["role"] == "contributor" and len(me["csrf_token"]) > 20
    assert me["csrf_token"] == c.headers["X-CSRF-Token"]


def test_create_read_update_search_and_track_through_the_api(web):  # noqa: F811
    c = web.client("force_contributor")
    made = c.post("/api/v1/records", json={
        "kind": "serious_violence_debrief", "title": "Machete attack at a bus station", "record_date": "2025-04-02",
        "summary": "Two groups met by arrangement on social media.", "themes": ["weapons"],
        "organisations": [PARTNER_ORG], "tags": ["bus station"], "case_ids": ["C-123"]})
    assert made.status_code == 201, made.text
    rec = made.json()
    assert rec["owner_organisation"] == FORCE_ORG and rec["themes"] == ["weapons"] and rec["stage"] == "initial"
    assert rec["review_date"] == "2031-04-02"  # MoPI: six years
    rid = rec["id"]

    patched = c.patch(f"/api/v1/records/{rid}", json={"stage": "complete", "findings": "No joint tasking."})
    assert patched.status_code == 200
    assert patched.json()["stage"] == "complete" and patched.json()["title"] == "Machete attack at a bus station"
    assert c.patch(f"/api/v1/records/{rid}", json={"title": None}).status_code == 400

    assert c.get(f"/api/v1/records/{rid}").json()["findings"] == "No joint tasking."
    hits = c.get("/api/v1/records", params={"q": "machete", "kind": "serious_violence_debrief"}).json()
    assert hits["total"] == 1 and hits["hits"][0]["id"] == rid
    assert "<mark>" in c.get("/api/v1/records", params={"q": "arrangement"}).json()["hits"][0]["snippet"]
    assert c.get("/api/v1/records", params={"q": "machete", "kind": "near_miss_debrief"}).json()["total"] == 0
    assert c.get("/api/v1/records", params={"q": "machete", "date_from": "2026-01-01"}).json()["total"] == 0

    task = c.post(f"/api/v1/records/{rid}/recommendations", json={
        "action": "Joint tasking meeting after every serious violence debrief", "owner_organisation": PARTNER_ORG,
        "owner_username": "partner.contributor", "due_date": "2025-07-01"})
    assert task.status_code == 201, task.text
    tid = task.json()["id"]
    assert task.json()["status"] == "proposed" and task.json()["overdue"] is True

    partner = web.client("partner_contributor")
    mine = partner.get("/api/v1/recommendations", params={"mine": True}).json()
    assert [r["id"] for r in mine] == [tid]
    bad = partner.post(f"/api/v1/recommendations/{tid}/status", json={"status": "implemented"})
    assert bad.status_code == 400 and "cannot go from" in bad.json()["detail"]
    assert partner.post(f"/api/v1/recommendations/{tid}/status", json={"status": "accepted"}).status_code == 200
    no_evidence = partner.post(f"/api/v1/recommendations/{tid}/status", json={"status": "implemented"})
    assert no_evidence.status_code == 400 and "evidence" in no_evidence.json()["detail"]
    done = partner.post(f"/api/v1/recommendations/{tid}/status",
                        json={"status": "implemented", "evidence": "Meetings held since May"})
    assert done.status_code == 200 and done.json()["status"] == "implemented"
    refused = partner.post(f"/api/v1/recommendations/{tid}/status", json={"status": "verified"})
    assert refused.status_code == 403  # the implementer does not verify its own work
    reviewer = web.client("force_reviewer")
    assert reviewer.post(f"/api/v1/recommendations/{tid}/status", json={"status": "verified"}).json()[
        "status"] == "verified"
    assert [r["id"] for r in reviewer.get("/api/v1/recommendations", params={"status": "verified"}).json()] == [tid]
    assert reviewer.get("/api/v1/recommendations", params={"status": "open"}).json() == []

    with web.factory() as s:
        actions = [(e.username, e.action, e.object_type) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("force.contributor", "collect", "record") in actions
    assert ("force.contributor", "alter", "record") in actions
    assert ("force.contributor", "consult", "record") in actions
    assert ("force.contributor", "consult", "search") in actions
    assert ("partner.contributor", "consult", "recommendation") in actions
    assert ("force.reviewer", "alter", "recommendation") in actions


def test_similar_records_never_include_the_record_or_hidden_ones(web):  # noqa: F811
    secret = make_secret(web)
    c = web.client("partner_reader")
    similar = c.get(f"/api/v1/records/{secret.open_record_id}/similar", params={"limit": 10})
    assert similar.status_code == 200
    ids = [h["id"] for h in similar.json()]
    assert secret.open_record_id not in ids and secret.record_id not in ids
    assert c.get(f"/api/v1/records/{secret.record_id}/similar").status_code == 404


def test_errors_are_json(web):  # noqa: F811
    secret = make_secret(web)
    c = web.client("partner_admin")
    for url in (f"/api/v1/records/{secret.record_id}", "/api/v1/records/987654"):
        r = c.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
        assert r.json()["detail"].startswith("no learning record")
    r = c.post("/api/v1/records", json={"kind": "not a kind", "title": "", "record_date": "yesterday"})
    assert r.status_code == 422 and {e["loc"][-1] for e in r.json()["detail"]} >= {"kind", "title", "record_date"}
    assert c.post("/api/v1/records", json={"kind": "other", "title": "x", "record_date": "2025-01-01",
                                           "sneaky": 1}).status_code == 422
    assert c.post("/api/v1/records", json={"kind": "other", "title": "x", "record_date": "2025-01-01",
                                           "themes": ["no-such-theme"]}).json()["detail"].startswith("unknown theme")
    assert c.get("/api/v1/records/0").status_code == 422
    assert c.get("/api/v1/records/99999999999999999999").status_code == 422
    assert web.client().get("/api/v1/me").json() == {"detail": "sign in first"}


def test_openapi_schema_describes_every_api_route(web):  # noqa: F811
    schema = web.client().get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) == {"/api/v1/me", "/api/v1/records", "/api/v1/records/{record_id}",
                          "/api/v1/records/{record_id}/similar", "/api/v1/recommendations",
                          "/api/v1/records/{record_id}/recommendations",
                          "/api/v1/recommendations/{recommendation_id}/status"}
    assert set(paths["/api/v1/records/{record_id}"]) == {"get", "patch"}
    for name in ("RecordIn", "RecordPatch", "RecordOut", "RecommendationIn", "RecommendationOut", "StatusIn",
                 "SearchOut", "HitOut", "MeOut"):
        assert name in schema["components"]["schemas"], name
    assert web.client().get("/docs").status_code == 404  # Swagger UI would load scripts from a CDN
