"""Named dependencies: the database session, the logged-in user, the admin role, CSRF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from trdnav.clinic.security import same_token, token_hash
from trdnav.clinic.store.db import as_utc
from trdnav.clinic.store.models import LoginSession, User


class LoginRequired(Exception):
    """Raised for a request without a valid session; the app redirects to the login page."""


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def login_session(request: Request, session: Session) -> LoginSession | None:
    """The cookie's login, if it is still open and younger than the session limit."""
    token = request.session.get("login")
    if not isinstance(token, str):
        return None
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if login is None or login.ended_at is not None:
        return None
    hours = request.app.state.settings.session_hours
    return login if dt.datetime.now(dt.UTC) - as_utc(login.created_at) < dt.timedelta(hours=hours) else None


def current_user(request: Request, session: SessionDep) -> User:
    login = login_session(request, session)
    user = session.get(User, login.user_id) if login is not None else None
    if user is None or not user.active:
        request.session.clear()
        raise LoginRequired
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="This page is for administrators.")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


async def verify_csrf(request: Request) -> None:
    """Every form post carries the session's CSRF token."""
    form = await request.form()
    if not same_token(request.session.get("csrf"), form.get("csrf_token")):
        raise HTTPException(status_code=403, detail="The form expired or did not come from this site: reload the page.")


CsrfChecked = Depends(verify_csrf)
