"""Named dependencies: the database session, the logged-in user, the admin role, CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from trdnav.clinic.security import same_token
from trdnav.clinic.store.models import User


class LoginRequired(Exception):
    """Raised for a request without a valid session; the app redirects to the login page."""


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def current_user(request: Request, session: SessionDep) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
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
    if not same_token(request.session.get("csrf"), form.get("csrf_token")):  # type: ignore[arg-type]
        raise HTTPException(status_code=403, detail="The form expired or did not come from this site: reload the page.")


CsrfChecked = Depends(verify_csrf)
