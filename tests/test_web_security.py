"""One test (or more) for each security point of the learning repository (issue 7), through the web
application on SQLite and PostgreSQL: passwords, sign-in throttling and lockout, session cookies and
timeouts, CSRF on every unsafe route, authorisation on every route, no record reachable by guessing
its id, security headers, uploads and downloads, exports, the audit log and open redirects.

The route tests enumerate ``app.routes``, so a route added later is covered without editing them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from learning_fixtures import FORCE_ORG, OTHER_ORG, PARTNER_ORG, PASSWORD, People
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from threadline.learning import recommendations as recs
from threadline.learning import records
from threadline.learning.audit import Actor
from threadline.learning.models import AuditEvent, User, WebSession, utcnow
from threadline.web import security
from threadline.web.app import create_app

TEMPLATES = Path(__file__).parents[1] / "src" / "threadline" / "web" / "templates"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC = {"/login", "/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
ID_PARAM = re.compile(r"\{(\w+)\}")


# --- helpers shared with the other tests of the web app ------------------------------------------

@dataclass
class Web:
    app: object
    factory: object
    people: People

    def client(self, who: str | None = None) -> TestClient:
        """A browser (HTTPS, so Secure cookies are sent back), signed in as ``who`` if given."""
        c = TestClient(self.app, base_url="https://testserver")
        if who:
            sign_in(c, getattr(self.people, who).username)
        return c


def login_token(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next: str = "/"):
    """Sign in through the form as a browser does; stores the session's CSRF token on the client."""
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": login_token(client),
                                    "next": next}, follow_redirects=False)
    if r.status_code == 303:
        client.headers["X-CSRF-Token"] = client.get("/api/v1/me").json()["csrf_token"]
    return r


def csrf(client: TestClient) -> str:
    return client.headers["X-CSRF-Token"]


def post_form(client: TestClient, url: str, data: dict | None = None, files=None):
    """A form POST carrying the session's CSRF token in the form (not the header), as a page does."""
    token = client.headers.pop("X-CSRF-Token", None)
    try:
        return client.post(url, data={**(data or {}), "csrf_token": token or ""}, files=files,
                           follow_redirects=False)
    finally:
        if token:
            client.headers["X-CSRF-Token"] = token


def fields(**kw) -> records.RecordFields:
    base = dict(kind="homicide_debrief", title="Fatal stabbing outside a takeaway", record_date=dt.date(2025, 3, 1),
                summary="A 17-year-old was stabbed after a dispute that began on social media.",
                themes=["weapons"], organisations=[PARTNER_ORG])
    base.update(kw)
    return records.RecordFields(**base)


@dataclass
class Secret:
    record_id: int
    recommendation_id: int
    document_id: int
    open_record_id: int
    open_recommendation_id: int
    open_document_id: int


def make_secret(web: Web) -> Secret:
    """A restricted force record shared only with the NHS trust (never the council), with a
    recommendation and a document, beside an open record with the same."""
    with web.factory() as s, s.begin():
        actor = Actor(s.merge(web.people.force_contributor), "127.0.0.1")
        secret = records.create_record(s, actor, fields(
            title="Domestic homicide review: strangulation zebracrossing", kind="domestic_homicide_review",
            summary="Non-fatal strangulation zebracrossing had been disclosed twice", restricted=True,
            shared_with=[OTHER_ORG], organisations=[]))
        rec = recs.add_recommendation(s, actor, secret.id, recs.RecommendationFields(
            action="Train call handlers on zebracrossing strangulation", owner_organisation=FORCE_ORG))
        doc = records.add_document(s, actor, secret.id, "notes.txt", b"zebracrossing notes")
        public = records.create_record(s, actor, fields())
        open_rec = recs.add_recommendation(s, actor, public.id, recs.RecommendationFields(
            action="Share exclusion lists weekly", owner_organisation=PARTNER_ORG))
        open_doc = records.add_document(s, actor, public.id, "open.txt", b"open notes")
        return Secret(secret.id, rec.id, doc.id, public.id, open_rec.id, open_doc.id)


@pytest.fixture
def web(db_url, factory, people) -> Web:
    app = create_app(db_url)
    yield Web(app, factory, people)
    app.state.factory.kw["bind"].dispose()


def routes(app, methods: set[str] | None = None):
    """(method, path) of every route of the app (not the static files), through included routers."""
    def walk(rs, prefix=""):
        for r in rs:
            if isinstance(r, APIRoute):
                for m in sorted(r.methods):
                    if methods is None or m in methods:
                        yield m, prefix + r.path
            elif hasattr(r, "original_router"):  # FastAPI >= 0.160 keeps included routers lazily
                yield from walk(r.original_router.routes, prefix + r.include_context.prefix)
            elif hasattr(r, "routes") and not hasattr(r, "app"):
                yield from walk(r.routes, prefix + getattr(r, "path", ""))
    return list(walk(app.routes))


def fill(path: str, ids: dict[str, int], default: int = 1) -> str:
    def sub(m):
        name = m.group(1)
        if name == "name":
            return "records.csv"
        return str(ids.get(name, default))
    return ID_PARAM.sub(sub, path)


# --- passwords ------------------------------------------------------------------------------------

def test_passwords_are_hashed_with_argon2id(web):
    with web.factory() as s:
        hashes = list(s.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$v=19$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)


# --- sign-in throttling ---------------------------------------------------------------------------

def test_account_locks_after_five_failures_and_an_administrator_unlocks_it(web):
    c = web.client()
    for _ in range(5):
        r = sign_in(c, "force.reader", "not the password at all")
        assert r.status_code == 401 and "not recognised" in r.text
    r = sign_in(c, "force.reader")  # the right password, but the account is locked now
    assert r.status_code == 401 and "locked" in r.text
    with web.factory() as s:
        assert s.scalar(select(User.locked_until).where(User.username == "force.reader")) > utcnow()
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "lockout")) is not None
    admin = web.client("force_admin")
    assert post_form(admin, f"/admin/users/{web.people.force_reader.id}/unlock").status_code == 303
    assert sign_in(web.client(), "force.reader").status_code == 303


def test_sign_in_is_rate_limited_per_address(web):
    c = web.client()
    for i in range(20):  # failures for many names, from one address
        assert sign_in(c, f"guess{i}", "wrong password here").status_code == 401
    r = sign_in(c, "force.admin")  # even the right password is refused from this address now
    assert r.status_code == 401 and "too many" in r.text
    with web.factory() as s:
        assert s.scalar(select(User.locked_until).where(User.username == "force.admin")) is None


# --- session cookies and timeouts -----------------------------------------------------------------

def test_session_cookie_is_secure_httponly_samesite_strict(web):
    c = web.client()
    login_cookie = c.get("/login").headers["set-cookie"]
    r = sign_in(c, "force.reader")
    cookies = r.headers.get_list("set-cookie")
    session = next(h for h in cookies if h.startswith(security.COOKIE + "="))
    for header in (session, login_cookie):
        parts = {p.strip().lower() for p in header.split(";")}
        assert "secure" in parts and "httponly" in parts and "samesite=strict" in parts and "path=/" in parts
    assert "max-age" not in session.lower() and "expires" not in session.lower()  # a browser-session cookie


def _age_session(web, client, **delta):
    token = client.cookies.get(security.COOKIE)
    with web.factory() as s, s.begin():
        ws = s.get(WebSession, security.token_hash(token))
        for name, ago in delta.items():
            setattr(ws, name, utcnow() - ago)


def test_session_ends_after_30_minutes_idle(web):
    c = web.client("force_reader")
    _age_session(web, c, last_seen_at=dt.timedelta(minutes=29))
    assert c.get("/api/v1/me").status_code == 200  # still alive, and its idle clock restarts
    _age_session(web, c, last_seen_at=dt.timedelta(minutes=31))
    assert c.get("/api/v1/me").status_code == 401
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_session_ends_8_hours_after_sign_in_however_busy(web):
    c = web.client("force_reader")
    _age_session(web, c, created_at=dt.timedelta(hours=8, minutes=1), last_seen_at=dt.timedelta(seconds=5))
    assert c.get("/api/v1/me").status_code == 401
    with web.factory() as s:
        assert s.scalar(select(WebSession).where(WebSession.user_id == web.people.force_reader.id)) is None


def test_sign_out_ends_the_session_on_the_server(web):
    c = web.client("force_reader")
    token = c.cookies.get(security.COOKIE)
    r = post_form(c, "/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    replay = web.client()
    replay.cookies.set(security.COOKIE, token)
    assert replay.get("/api/v1/me").status_code == 401  # the old cookie is dead, not merely forgotten


def test_disabling_a_user_ends_their_sessions_at_once(web):
    reader = web.client("force_reader")
    assert reader.get("/api/v1/me").status_code == 200
    admin = web.client("force_admin")
    assert post_form(admin, f"/admin/users/{web.people.force_reader.id}/disable").status_code == 303
    assert reader.get("/api/v1/me").status_code == 401
    assert sign_in(web.client(), "force.reader").status_code == 401
    assert post_form(admin, f"/admin/users/{web.people.force_reader.id}/enable").status_code == 303
    assert sign_in(web.client(), "force.reader").status_code == 303


def test_session_token_is_new_at_every_sign_in(web):
    c = web.client()
    c.cookies.set(security.COOKIE, "attacker-chosen-token-value")  # session fixation attempt
    first = sign_in(c, "force.reader").cookies.get(security.COOKIE)
    assert first and first != "attacker-chosen-token-value" and len(first) >= 40
    second = sign_in(web.client(), "force.reader").cookies.get(security.COOKIE)
    assert second and second != first
    with web.factory() as s:
        ids = set(s.scalars(select(WebSession.id)))
    assert security.token_hash("attacker-chosen-token-value") not in ids
    assert security.token_hash(first) in ids and first not in ids  # only the hash is stored


# --- CSRF -----------------------------------------------------------------------------------------

def test_every_unsafe_route_refuses_a_missing_or_wrong_csrf_token(web):
    secret = make_secret(web)
    ids = {"record_id": secret.open_record_id, "rec_id": secret.open_recommendation_id,
           "recommendation_id": secret.open_recommendation_id, "attachment_id": secret.open_document_id,
           "user_id": web.people.force_reader.id}
    c = web.client("force_admin")
    token = c.headers.pop("X-CSRF-Token")
    # one character changed, never to itself: a random token starts with "x" one time in 64
    wrong_first = ("y" if token[0] == "x" else "x") + token[1:]
    wrong_last = token[:-1] + ("y" if token[-1] == "x" else "x")
    assert token not in (wrong_first, wrong_last)
    unsafe = [(m, p) for m, p in routes(web.app, UNSAFE) if p != "/login"]
    assert len(unsafe) >= 10, unsafe
    for method, path in unsafe:
        url = fill(path, ids)
        if path.startswith("/api/"):
            missing = c.request(method, url, json={})
            wrong = c.request(method, url, json={}, headers={"X-CSRF-Token": wrong_first})
        else:
            missing = c.request(method, url, data={"title": "x"}, follow_redirects=False)
            wrong = c.request(method, url, data={"title": "x", "csrf_token": wrong_last},
                              follow_redirects=False)
        assert missing.status_code == 403, (method, path, missing.status_code)
        assert wrong.status_code == 403, (method, path, wrong.status_code)
    c.headers["X-CSRF-Token"] = token
    assert c.get("/api/v1/me").status_code == 200  # the session itself is still good
    with web.factory() as s:  # and nothing was changed by the refused requests
        assert s.get(User, web.people.force_reader.id).active


def test_sign_in_form_refuses_a_missing_csrf_token(web):
    c = web.client()
    r = c.post("/login", data={"username": "force.reader", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and security.COOKIE not in r.cookies


# --- authorisation on every route -----------------------------------------------------------------

def test_every_route_needs_a_signed_in_user(web):
    secret = make_secret(web)
    ids = {"record_id": secret.open_record_id, "rec_id": secret.open_recommendation_id,
           "recommendation_id": secret.open_recommendation_id, "attachment_id": secret.open_document_id,
           "user_id": web.people.force_reader.id}
    c = web.client()
    checked = 0
    for method, path in routes(web.app):
        if path in PUBLIC:
            continue
        r = c.request(method, fill(path, ids), follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json() == {"detail": "sign in first"}
        else:
            assert r.status_code == 303, (method, path, r.status_code)
            assert r.headers["location"].startswith("/login?next="), (method, path)
        checked += 1
    assert checked >= 20


def test_roles_are_checked_on_the_server(web):
    secret = make_secret(web)
    reader = web.client("force_reader")
    r = reader.post("/api/v1/records", json={"kind": "other", "title": "x", "record_date": "2025-01-01"})
    assert r.status_code == 403
    for path in ("/admin/users", "/admin/themes", "/admin/audit", "/admin/audit.csv"):
        assert reader.get(path).status_code == 403, path
    partner = web.client("partner_contributor")  # sees the open record, may not edit it
    assert partner.patch(f"/api/v1/records/{secret.open_record_id}", json={"title": "changed"}).status_code == 403
    assert post_form(partner, f"/records/{secret.open_record_id}/delete",
                     {"justification": "because I can"}).status_code == 403


# --- no record reachable by guessing its id -------------------------------------------------------

JSON_BODIES = {
    "PATCH /api/v1/records/{record_id}": {"title": "guessed"},
    "POST /api/v1/records/{record_id}/recommendations": {"action": "x", "owner_organisation": PARTNER_ORG},
    "POST /api/v1/recommendations/{recommendation_id}/status": {"status": "accepted"},
}
FORM = {"kind": "other", "title": "guessed", "record_date": "2025-01-01", "justification": "guessing ids here",
        "action": "do something", "owner_organisation": PARTNER_ORG, "status": "accepted", "note": "x",
        "decision": "retain", "next_review": "2040-01-01", "evidence": "done"}


def _normal(body: str) -> str:
    """The answer with the id in its message blanked ("no learning record 12" -> "... N")."""
    return re.sub(r"\b(record|recommendation|document) \d+", r"\1 N", body)


def test_a_restricted_record_is_not_reachable_by_guessing_its_id(web):
    secret = make_secret(web)
    hidden = {"record_id": secret.record_id, "rec_id": secret.recommendation_id,
              "recommendation_id": secret.recommendation_id, "attachment_id": secret.document_id}
    missing = {k: 987_654 for k in hidden}
    partner = web.client("partner_admin")  # an administrator, but of an organisation not shared with
    checked = 0
    for method, path in routes(web.app):
        names = set(ID_PARAM.findall(path))
        if not names & set(hidden) or path.startswith("/admin/"):
            continue
        answers = []
        for ids in (hidden, missing):
            url = fill(path, ids)
            if path.startswith("/api/"):
                r = partner.request(method, url, json=JSON_BODIES.get(f"{method} {path}"))
            elif method == "GET":
                r = partner.get(url, follow_redirects=False)
            else:
                r = post_form(partner, url, FORM, files={"file": ("a.txt", b"guess", "text/plain")})
            answers.append(r)
        a, b = answers
        assert a.status_code == 404, (method, path, a.status_code, a.text[:300])
        assert b.status_code == 404, (method, path, b.status_code)
        assert _normal(a.text) == _normal(b.text), (method, path)
        checked += 1
    assert checked >= 8
    with web.factory() as s:  # nothing was changed, nothing disclosed
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.username == "partner.admin",
                                                    AuditEvent.object_id == str(secret.record_id))) is None


def test_a_partner_never_finds_or_exports_a_restricted_record(web):
    secret = make_secret(web)
    partner = web.client("partner_admin")
    shared = web.client("other_reader")  # the NHS trust the record is shared with
    title = "Domestic homicide review: strangulation zebracrossing"
    assert title in shared.get("/records", params={"q": "zebracrossing"}).text
    assert [h["id"] for h in shared.get("/api/v1/records", params={"q": "zebracrossing"}).json()["hits"]] == [
        secret.record_id]
    page = partner.get("/records", params={"q": "zebracrossing"}).text
    assert title not in page and f"/records/{secret.record_id}\"" not in page
    for mode in ("text", "semantic"):
        found = partner.get("/api/v1/records", params={"q": "zebracrossing strangulation", "mode": mode}).json()
        assert secret.record_id not in [h["id"] for h in found["hits"]], mode
    assert secret.record_id not in [h["id"] for h in partner.get(
        f"/api/v1/records/{secret.open_record_id}/similar", params={"limit": 20}).json()]
    assert secret.recommendation_id not in [r["id"] for r in partner.get("/api/v1/recommendations").json()]
    for url in ("/export/records.csv", "/export/recommendations.csv", "/", "/recommendations"):
        r = partner.get(url)
        assert r.status_code == 200, url
        assert "zebracrossing" not in r.text, url
    xlsx = partner.get("/export/records.xlsx")
    assert xlsx.status_code == 200 and b"zebracrossing" not in _xlsx_text(xlsx.content).encode()


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row)


# --- security headers -----------------------------------------------------------------------------

def test_security_headers_on_pages_api_and_errors(web):
    c = web.client("force_reader")
    for r in (web.client().get("/login"), c.get("/"), c.get("/api/v1/me"), c.get("/records/987654"),
              c.get("/api/v1/records/987654")):
        csp = r.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" in r.headers


def test_templates_have_no_inline_script_or_style(web):
    """The CSP forbids them, so they would silently not work: none may exist."""
    bad = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)
    offenders = [f"{p.name}: {m.group(0)}" for p in TEMPLATES.glob("*.html") for m in bad.finditer(p.read_text())]
    assert offenders == []


# --- uploads and downloads ------------------------------------------------------------------------

def test_uploads_are_checked_for_size_and_type(web):
    secret = make_secret(web)
    c = web.client("force_contributor")
    url = f"/records/{secret.open_record_id}/documents"
    too_big = post_form(c, url, files={"file": ("big.txt", b"a" * (26 * 1024 * 1024), "text/plain")})
    assert too_big.status_code == 413
    over_limit = post_form(c, url, files={"file": ("big.txt", b"a" * (20 * 1024 * 1024 + 10), "text/plain")})
    assert over_limit.status_code == 400 and "limit" in over_limit.text
    for name, data, why in [
        ("run.exe", b"MZ\x90\x00", "only PDF, DOCX and text"),
        ("page.html", b"<html><script>alert(1)</script></html>", "only PDF, DOCX and text"),
        ("report.pdf", b"<html><script>alert(1)</script></html>", "not a PDF"),
        ("review.docx", b"%PDF-1.4 not a zip", "not a Word document"),
        ("notes.txt", b"\x00\x01binary", "binary"),
    ]:
        r = post_form(c, url, files={"file": (name, data, "application/pdf")})
        assert r.status_code == 400, name
        assert why in r.text, name
    with web.factory() as s:
        assert s.scalar(text("SELECT count(*) FROM attachments")) == 2  # only make_secret's two


def test_documents_are_downloads_never_inline(web):
    secret = make_secret(web)
    c = web.client("force_contributor")
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    assert post_form(c, f"/records/{secret.open_record_id}/documents",
                     files={"file": ("evil.txt", html, "text/html")}).status_code == 303
    with web.factory() as s:
        doc_id = s.scalar(text("SELECT max(id) FROM attachments"))
    r = c.get(f"/documents/{doc_id}")
    assert r.status_code == 200 and r.content == html
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"] or "default-src 'none'" in r.headers[
        "content-security-policy"]


# --- exports --------------------------------------------------------------------------------------

def test_exports_neutralise_spreadsheet_formulas(web):
    with web.factory() as s, s.begin():
        records.create_record(s, Actor(s.merge(web.people.force_contributor)), fields(
            title='=HYPERLINK("http://evil.example","click")', summary="+1+1", tags=["@SUM(A1)", "-2"]))
    c = web.client("force_reader")
    body = c.get("/export/records.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    xlsx = _xlsx_text(c.get("/export/records.xlsx").content).splitlines()
    assert not any(v.startswith(("=", "+", "@")) for v in xlsx)
    admin = web.client("force_admin")
    admin.get("/api/v1/records", params={"q": '=HYPERLINK("http://evil.example","x")'})  # audited with its query
    audit_rows = list(csv.reader(io.StringIO(admin.get("/admin/audit.csv").content.decode("utf-8-sig"))))
    assert any(cell.startswith("'=HYPERLINK") for row in audit_rows for cell in row)
    assert not any(cell.startswith(("=", "+", "@")) for row in audit_rows[1:] for cell in row)


# --- the audit log --------------------------------------------------------------------------------

def test_audit_log_records_collection_alteration_consultation_disclosure_and_erasure(web):
    secret = make_secret(web)
    c = web.client("force_reviewer")
    made = c.post("/api/v1/records", json={"kind": "near_miss_debrief", "title": "Near miss on the canal path",
                                           "record_date": "2025-05-01"})
    assert made.status_code == 201
    new_id = made.json()["id"]
    assert c.patch(f"/api/v1/records/{new_id}", json={"summary": "A man was pulled from the canal"}).status_code == 200
    assert c.get(f"/records/{new_id}").status_code == 200
    assert c.get("/records", params={"q": "canal towpath"}).status_code == 200
    assert c.get("/api/v1/records", params={"q": "canal"}).status_code == 200
    assert c.get("/export/records.csv").status_code == 200
    assert c.get(f"/documents/{secret.open_document_id}").status_code == 200
    r = post_form(c, f"/records/{new_id}/delete", {"justification": "entered twice by mistake"})
    assert r.status_code == 303
    with web.factory() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.username == "force.reviewer")
                                .order_by(AuditEvent.id)))
    by = {}
    for e in events:
        by.setdefault(e.action, []).append(e)
        assert e.at is not None and e.ip == "testclient" and e.organisation == FORCE_ORG
    assert any(e.object_type == "record" and e.object_id == str(new_id) for e in by["collect"])
    assert any(e.object_id == str(new_id) and "summary" in e.detail for e in by["alter"])
    assert any(e.object_type == "record" and e.object_id == str(new_id) for e in by["consult"])
    assert any(e.query == "canal towpath" for e in by["consult"])  # a search, with its query
    assert any(e.query == "canal" for e in by["consult"])
    assert any(e.object_type == "document" and e.object_id == str(secret.open_document_id)
               for e in by["disclose"])
    assert len(by["disclose"]) >= 2  # the export and the download
    erase = by["erase"][0]
    assert erase.object_id == str(new_id) and erase.justification == "entered twice by mistake"
    assert "login" in by


def test_audit_log_is_append_only(web):
    web.client("force_reader")  # a sign-in writes an audit line
    with web.factory() as s:
        assert s.scalar(text("SELECT count(*) FROM audit_log")) > 0
    for sql in ("UPDATE audit_log SET username = 'someone else'", "DELETE FROM audit_log"):
        with web.factory() as s, pytest.raises(DBAPIError):
            s.execute(text(sql))
            s.commit()
    with web.factory() as s, pytest.raises(DBAPIError):
        s.execute(update(AuditEvent).values(detail="rewritten"))
        s.commit()


# --- open redirect --------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/", "/\\evil.com", "http:/evil.com",
                                    "javascript:alert(1)"])
def test_sign_in_never_redirects_off_the_site(web, target):
    c = web.client()
    form = c.get("/login", params={"next": target}).text
    assert "evil" not in form and "javascript:" not in form
    r = sign_in(c, "force.reader", next=target)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_sign_in_returns_to_a_page_of_the_site(web):
    r = sign_in(web.client(), "force.reader", next="/records?q=knife")
    assert r.headers["location"] == "/records?q=knife"
