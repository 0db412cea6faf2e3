"""The app factory: settings in, a FastAPI app out. Nothing happens at import time."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.sessions import SessionMiddleware

from trdnav.clinic.deps import LoginRequired
from trdnav.clinic.limits import BodyLimit
from trdnav.clinic.settings import Settings
from trdnav.clinic.store.db import make_engine, migrate, session_factory

HERE = Path(__file__).parent
log = logging.getLogger("trdnav.clinic")
# every template is HTML: escape everything (Jinja's default guess goes by the file extension
# and would leave *.html.j2 unescaped, letting record text such as a drug name into the page)
templates = Jinja2Templates(env=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True))

# defence in depth: scripts only from the app itself (htmx is vendored), no framing by other
# sites, and no referrer, so a self-report link's token never leaves in a Referer header
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",
}


def create_app(settings: Settings) -> FastAPI:
    from trdnav.clinic.routes import admin, auth, entries, patients, self_report
    from trdnav.knowledge.loader import load_kb

    engine = make_engine(settings.database_url)
    migrate(engine)
    app = FastAPI(title="trdnav clinic", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.kb = load_kb()
    app.add_middleware(BodyLimit)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="trdnav_session",
        max_age=settings.session_hours * 3600,
        same_site="strict",
        https_only=settings.secure_cookies,
    )

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if request.url.path.startswith(("/patients", "/admin", "/r/")):
            response.headers["Cache-Control"] = "no-store"  # patient data stays out of caches
        return response

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(auth.router)
    app.include_router(patients.router)
    app.include_router(entries.router)
    app.include_router(admin.router)
    app.include_router(self_report.clinician)
    app.include_router(self_report.public)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        # deny by default: every patient page needs a session
        if request.headers.get("HX-Request"):
            # an htmx refresh after the session ended: move the whole page, not the fragment
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        if request.method == "GET":
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse("Log in first.", status_code=401)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        context = {"status": exc.status_code, "message": exc.detail, "public": _public(request)}
        return templates.TemplateResponse(request, "error.html.j2", context, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # a form field of the wrong type (a tampered hidden field): name it, never a traceback
        named = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        message = f"The request was not understood ({named}); nothing was saved. Reload the page and try again."
        context = {"status": 422, "message": message, "public": _public(request)}
        return templates.TemplateResponse(request, "error.html.j2", context, status_code=422)

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> Response:
        # the request's session is rolled back as it closes: a failed change leaves nothing behind
        # the route's template, not the path: a self-report path holds the link's secret token
        log.error("database error on %s %s: %s", request.method, _route(request), type(exc).__name__)
        message = (
            "The database could not complete this request, so nothing was saved. "
            "Go back: what you typed is still in the form. Try again, or tell your administrator if it recurs."
        )
        context = {"status": 503, "message": message, "public": _public(request)}
        return templates.TemplateResponse(request, "error.html.j2", context, status_code=503)

    def _route(request: Request) -> str:
        route = request.scope.get("route")
        return getattr(route, "path", "(no route)")

    def _public(request: Request) -> bool:
        # a patient's self-report pages: no links into the staff side
        return _route(request).startswith("/r/")

    @app.get("/healthz", include_in_schema=False)
    def _health() -> dict[str, str]:
        return {"status": "ok"}

    return app
