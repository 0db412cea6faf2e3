"""Log in and out. Sessions are signed cookies (HTTPS-only, SameSite=strict)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trdnav.clinic import audit
from trdnav.clinic.app import templates
from trdnav.clinic.deps import CsrfChecked, SessionDep
from trdnav.clinic.security import new_csrf_token, verify_password
from trdnav.clinic.store.models import AuditEvent, User

router = APIRouter()


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return str(token)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/patients", status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html.j2", {"csrf": csrf_token(request), "error": None})


# password guessing: this many failed logins for one account within LOCK_MINUTES locks it for
# the rest of that window (counted from the audit table, so it holds across restarts)
MAX_FAILURES = 10
LOCK_MINUTES = 15


def _locked(session: Session, username: str) -> bool:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=LOCK_MINUTES)
    failures = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "login_failed", AuditEvent.username == username, AuditEvent.at >= since)
    )
    return (failures or 0) >= MAX_FAILURES


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    if _locked(session, username[:100]):
        audit.record(session, request, None, "login_locked", username=username[:100])
        session.commit()
        message = f"Too many failed attempts for this account: try again in {LOCK_MINUTES} minutes."
        context = {"csrf": csrf_token(request), "error": message}
        return templates.TemplateResponse(request, "login.html.j2", context, status_code=429)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        audit.record(session, request, None, "login_failed", username=username[:100])
        session.commit()
        context = {"csrf": csrf_token(request), "error": "Unknown user name or wrong password."}
        return templates.TemplateResponse(request, "login.html.j2", context, status_code=401)
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["csrf"] = new_csrf_token()
    audit.record(session, request, user, "login")
    session.commit()
    return RedirectResponse("/patients", status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep) -> Response:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is not None:
        audit.record(session, request, user, "logout")
        session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
