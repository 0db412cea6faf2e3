"""Creating accounts (`trdnav users add`): the only way accounts are made."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trdnav.clinic.security import hash_password
from trdnav.clinic.store.models import User

ROLES = ("clinician", "admin")


def add_user(session: Session, username: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise ValueError(f"role: got {role!r}; expected one of {', '.join(ROLES)}")
    if not username.strip() or len(username) > 100:
        raise ValueError("username: expected 1 to 100 characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"username: {username!r} is taken")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.commit()
    return user
