"""Administration pages on SQLite and PostgreSQL: users, organisations, themes, the audit log."""

from __future__ import annotations

import csv
import io

from learning_fixtures import PARTNER_ORG, PASSWORD
from sqlalchemy import select
from test_web_security import post_form, sign_in, web  # noqa: F401  (the fixture)

from threadline.learning.export import formula_safe as neutralise
from threadline.learning.models import AuditEvent, Organisation, Theme, User


def test_only_administrators_reach_the_admin_pages(web):  # noqa: F811
    for who in ("force_reader", "force_contributor", "force_reviewer"):
        c = web.client(who)
        for path in ("/admin/users", "/admin/themes", "/admin/audit", "/admin/audit.csv"):
            assert c.get(path).status_code == 403, (who, path)
        assert post_form(c, "/admin/organisations", {"name": "Rogue", "kind": "other"}).status_code == 403
        assert post_form(c, f"/admin/users/{web.people.force_admin.id}/disable").status_code == 403
    admin = web.client("partner_admin")  # an administrator of a partner is an administrator
    assert admin.get("/admin/users").status_code == 200


def test_administrator_manages_users_and_organisations(web):  # noqa: F811
    admin = web.client("force_admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "partner.reader" in page.text and PARTNER_ORG in page.text
    assert post_form(admin, "/admin/organisations", {"name": "Leeds Youth Justice Service",
                                                     "kind": "youth_justice"}).status_code == 303
    r = post_form(admin, "/admin/users", {"username": "yjs.worker", "display_name": "Sam Patel",
                                          "organisation": "Leeds Youth Justice Service", "role": "contributor",
                                          "password": "a long enough password"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/users?done=user_created"
    assert "User created." in admin.get(r.headers["location"]).text
    short = post_form(admin, "/admin/users", {"username": "yjs.two", "organisation": "Leeds Youth Justice Service",
                                              "password": "short"})
    assert short.status_code == 400 and "at least 12" in short.text
    unknown = post_form(admin, "/admin/users", {"username": "x.y", "organisation": "Nowhere",
                                                "password": "a long enough password"})
    assert unknown.status_code == 400 and "unknown organisation" in unknown.text
    assert sign_in(web.client(), "yjs.worker", "a long enough password").status_code == 303
    with web.factory() as s:
        u = s.scalar(select(User).where(User.username == "yjs.worker"))
        assert u.role == "contributor" and u.organisation.kind == "youth_justice"
        uid = u.id
    assert post_form(admin, f"/admin/users/{uid}/role", {"role": "reviewer"}).status_code == 303
    assert post_form(admin, f"/admin/users/{uid}/password", {"password": "another long password"}).status_code == 303
    assert sign_in(web.client(), "yjs.worker", "a long enough password").status_code == 401
    assert sign_in(web.client(), "yjs.worker", "another long password").status_code == 303
    assert post_form(admin, f"/admin/users/{web.people.force_admin.id}/disable").status_code == 400  # not oneself
    with web.factory() as s:
        details = [e.detail for e in s.scalars(select(AuditEvent).where(AuditEvent.username == "force.admin"))]
        assert s.scalar(select(Organisation).where(Organisation.name == "Leeds Youth Justice Service"))
    assert any("added organisation" in d for d in details)
    assert any("created user yjs.worker" in d for d in details)
    assert any("contributor -> reviewer" in d for d in details)
    assert any(d == "password changed" for d in details)


def test_unlock_after_lockout(web):  # noqa: F811
    for _ in range(5):
        sign_in(web.client(), "partner.reader", "wrong password again")
    assert sign_in(web.client(), "partner.reader").status_code == 401
    admin = web.client("force_admin")
    assert "locked" in admin.get("/admin/users").text
    assert post_form(admin, f"/admin/users/{web.people.partner_reader.id}/unlock").status_code == 303
    assert sign_in(web.client(), "partner.reader", PASSWORD).status_code == 303


def test_themes_added_renamed_and_retired(web):  # noqa: F811
    admin = web.client("force_admin")
    assert post_form(admin, "/admin/themes", {"code": "cuckooing-risk", "name": "Cuckooing",
                                              "group": "Exploitation"}).status_code == 303
    assert post_form(admin, "/admin/themes", {"code": "cuckooing-risk", "name": "Cuckooing of vulnerable adults",
                                              "group": "Exploitation", "active": "no"}).status_code == 303
    assert post_form(admin, "/admin/themes", {"code": "Bad Code!", "name": "x"}).status_code == 400
    page = admin.get("/admin/themes").text
    assert "Cuckooing of vulnerable adults" in page and "retired" in page
    with web.factory() as s:
        t = s.scalar(select(Theme).where(Theme.code == "cuckooing-risk"))
        assert t.name == "Cuckooing of vulnerable adults" and not t.active
        assert [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_type == "theme"))] == [
            "collect", "alter"]


def test_audit_log_viewer_filters_and_is_itself_audited(web):  # noqa: F811
    reader = web.client("force_reader")
    reader.get("/api/v1/records", params={"q": "knife crime"})
    admin = web.client("force_admin")
    page = admin.get("/admin/audit", params={"username": "force.reader", "action": "consult"})
    assert page.status_code == 200 and "knife crime" in page.text
    assert "force.admin" not in page.text.split("<tbody>")[1]
    assert admin.get("/admin/audit", params={"action": "nonsense"}).status_code == 400
    empty = admin.get("/admin/audit", params={"date_from": "2001-01-01", "date_to": "2001-01-02"})
    assert "No events match" in empty.text
    by_object = admin.get("/admin/audit", params={"object_type": "user",
                                                  "object_id": str(web.people.force_reader.id)})
    assert "login" in by_object.text
    with web.factory() as s:
        viewed = s.scalars(select(AuditEvent).where(AuditEvent.object_type == "audit_log")).all()
    assert viewed and viewed[0].action == "consult" and "username=force.reader" in viewed[0].query


def test_audit_export_is_csv_neutralised_and_audited(web):  # noqa: F811
    reader = web.client("force_reader")
    reader.get("/api/v1/records", params={"q": "@SUM(1+1)*cmd|' /C calc'!A0"})
    admin = web.client("force_admin")
    r = admin.get("/admin/audit.csv")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {"at", "username", "ip", "action", "object_type", "object_id", "query"} <= set(rows[0])
    assert any(row["query"] == "'@SUM(1+1)*cmd|' /C calc'!A0" for row in rows)
    with web.factory() as s:
        export = s.scalars(select(AuditEvent).where(AuditEvent.action == "disclose",
                                                    AuditEvent.object_type == "audit_log")).one()
    assert export.username == "force.admin" and "exported" in export.detail
    assert admin.get("/admin/audit.csv", params={"date_from": "2001-01-01", "date_to": "2001-01-02"}).text.count(
        "\n") == 1


def test_neutralise():
    assert [neutralise(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "plain", None, 3)] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "plain", "", "3"]
