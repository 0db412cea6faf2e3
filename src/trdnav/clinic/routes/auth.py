"""Log in and out. The signed cookie (HTTPS-only, SameSite=strict) holds a login token whose
hash the login_sessions table keeps; logging out ends that row."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from trdnav.clinic import audit
from trdnav.clinic.app import templates
from trdnav.clinic.deps import CsrfChecked, SessionDep, login_session
from trdnav.clinic.security import new_csrf_token, new_token, spend_a_verification, token_hash, verify_password
from trdnav.clinic.store.models import AuditEvent, LoginSession, User

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


# password guessing: this many unsuccessful logins for one account within LOCK_MINUTES lock it
# for the rest of that window (counted from the audit table, so it holds across restarts)
MAX_FAILURES = 10
LOCK_MINUTES = 15


def _locked(session: Session, username: str) -> bool:
    """Each attempt is audited and committed before its password is checked, so guesses sent
    in parallel count each other: an attempt still in flight counts as unsuccessful."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=LOCK_MINUTES)

    def count(action: str) -> int:
        query = select(func.count()).select_from(AuditEvent)
        query = query.where(AuditEvent.action == action, AuditEvent.username == username, AuditEvent.at >= since)
        return session.scalar(query) or 0

    # this attempt is among the attempts: locked when MAX_FAILURES others did not succeed
    return count("login_attempt") - count("login") > MAX_FAILURES


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    audit.record(session, request, None, "login_attempt", username=username[:100])
    session.commit()
    if _locked(session, username[:100]):
        audit.record(session, request, None, "login_locked", username=username[:100])
        session.commit()
        message = f"Too many failed attempts for this account: try again in {LOCK_MINUTES} minutes."
        context = {"csrf": csrf_token(request), "error": message}
        return templates.TemplateResponse(request, "login.html.j2", context, status_code=429)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        spend_a_verification(password)  # as slow as a wrong password: names do not leak by timing
    if user is None or not user.active or not verify_password(user.password_hash, password):
        audit.record(session, request, None, "login_failed", username=username[:100])
        session.commit()
        context = {"csrf": csrf_token(request), "error": "Unknown user name or wrong password."}
        return templates.TemplateResponse(request, "login.html.j2", context, status_code=401)
    # logins that ended or expired are of no more use (the audit table keeps who logged in
    # and out): clear them so the table stays small
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(hours=request.app.state.settings.session_hours)
    session.execute(
        delete(LoginSession).where(or_(LoginSession.ended_at.is_not(None), LoginSession.created_at < expired))
    )
    token = new_token()
    session.add(LoginSession(token_hash=token_hash(token), user_id=user.id))
    request.session.clear()
    request.session["login"] = token
    request.session["csrf"] = new_csrf_token()
    audit.record(session, request, user, "login")
    session.commit()
    return RedirectResponse("/patients", status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep) -> Response:
    login = login_session(request, session)
    user = session.get(User, login.user_id) if login is not None else None
    if login is not None and user is not None:
        login.ended_at = dt.datetime.now(dt.UTC)  # a copy of the cookie stops working too
        audit.record(session, request, user, "logout")
        session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
