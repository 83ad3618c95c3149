"""The FastAPI application: ``create_app`` wires the database, security middleware, sign-in and
the routers (``pages``, ``admin``, ``api``).

Run it with ``threadline serve`` (uvicorn). Swagger UI at ``/docs`` is off: it loads its
scripts from a CDN, which the content security policy (and an offline police network) refuses;
the OpenAPI schema is at ``/openapi.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from threadline.learning import records, semantic
from threadline.learning.db import open_database, transaction
from threadline.learning.errors import AuthFailed, Forbidden, Invalid, NotFound
from threadline.learning.users import authenticate
from threadline.web import deps, security
from threadline.web.deps import DB, LoginRequired, render

STATIC = Path(__file__).with_name("static")
MAX_BODY = 25 * 1024 * 1024  # a 20 MB document and its form


class _Guard:
    """Pure ASGI middleware: refuse bodies over :data:`MAX_BODY` (413) and add the security
    headers of :mod:`threadline.web.security` to every response."""

    def __init__(self, app, secure: bool):
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security.HEADERS.items()]
        if secure:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length and length.isdigit() and int(length) > MAX_BODY:
            response = PlainTextResponse("the upload is too large (25 MB at most)", status_code=413)
            return await response(scope, receive, self._wrap(send, scope))
        return await self.app(scope, receive, self._wrap(send, scope))

    def _wrap(self, send, scope):
        static = scope["path"].startswith("/static/")

        async def wrapped(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k for k, _ in headers}
                headers += [h for h in self.headers if h[0] not in names]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)
        return wrapped


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error(request: Request, status: int, message: str):
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", status_code=status, status=status, message=message,
                  user=getattr(request.state, "user_view", None))


def create_app(database_url: str | None = None, *, secure_cookies: bool = True, migrate: bool = True,
               warm_up: bool = False) -> FastAPI:
    """The web application over the learning database at ``database_url`` (default:
    ``THREADLINE_DATABASE_URL`` or the SQLite file); the schema is brought up to date first.
    ``warm_up``: load the sentence model and the embeddings in the background straight away (the
    server does; tests need not pay for it)."""
    factory = open_database(database_url, migrate=migrate)
    semantic.limit_blas_threads()  # requests run side by side already: no BLAS threads on top
    with transaction(factory) as s:
        records.ensure_taxonomy(s)
    if warm_up:
        semantic.warm_up(factory)

    app = FastAPI(title="Threadline learning repository", version="1", docs_url=None, redoc_url=None,
                  description="Debriefs, reviews and recommendations tracked until the learning is implemented.")
    app.state.factory = factory
    app.state.secure_cookies = secure_cookies
    app.add_middleware(_Guard, secure=secure_cookies)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        if _wants_json(request):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return _error(request, 404, str(exc))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return _error(request, 403, str(exc))

    @app.exception_handler(Invalid)
    async def _invalid(request: Request, exc: Invalid):
        return _error(request, 400, str(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            # type, place and message only: the input may be bytes (not JSON) and is not echoed back
            errors = [{k: e[k] for k in ("type", "loc", "msg") if k in e} for e in exc.errors()]
            return JSONResponse({"detail": errors}, status_code=422)
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) + f": {e['msg']}" for e in exc.errors())
        return _error(request, 422, f"the form was not complete: {fields}")

    @app.get("/health", include_in_schema=False)
    def health(db: DB):
        db.execute(__import__("sqlalchemy").text("SELECT 1"))
        return {"status": "ok"}

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = "/"):
        token = request.cookies.get(security.LOGIN_CSRF_COOKIE) or security.new_token()
        response = render(request, "login.html", csrf_token=token, next=_safe_next(next), error=None)
        _set_cookie(app, response, security.LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response

    @app.post("/login", include_in_schema=False)
    def login(request: Request, db: DB, username: Annotated[str, Form(max_length=200)] = "",
              password: Annotated[str, Form(max_length=1000)] = "",
              csrf_token: Annotated[str, Form(max_length=200)] = "", next: Annotated[str, Form()] = "/"):
        if not security.tokens_match(csrf_token, request.cookies.get(security.LOGIN_CSRF_COOKIE)):
            raise HTTPException(403, "the sign-in form expired: reload the page and try again")
        try:
            account = authenticate(db, username, password, deps.client_ip(request))
        except AuthFailed as e:
            return render(request, "login.html", status_code=401, csrf_token=csrf_token, next=_safe_next(next),
                          error=str(e), username=username)
        token = security.start_session(db, account, deps.client_ip(request))
        response = RedirectResponse(_safe_next(next), status_code=303)
        _set_cookie(app, response, security.COOKIE, token)
        response.delete_cookie(security.LOGIN_CSRF_COOKIE, path="/")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, db: DB, actor: deps.CurrentActor):
        from threadline.learning import audit

        security.end_session(db, request.cookies.get(security.COOKIE))
        audit.log(db, actor, "logout", "user", actor.user.id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(security.COOKIE, path="/")
        return response

    from threadline.web import admin, api, pages

    app.include_router(pages.router)
    app.include_router(admin.router)
    app.include_router(api.router)
    return app


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no ``//host`` or scheme): an open redirect would aid phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _set_cookie(app: FastAPI, response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=app.state.secure_cookies, httponly=True,
                        samesite="strict")
