"""Clinic app fixtures: the same tests run on SQLite and on a real PostgreSQL server.

PostgreSQL: a fresh database on 127.0.0.1:5432 (trust auth) per test, dropped after. When no
server answers, those tests skip, unless TRDNAV_REQUIRE_POSTGRES=1 (set by .ci/run, which
starts a server), when they fail.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from trdnav.clinic.app import create_app
from trdnav.clinic.settings import Settings
from trdnav.clinic.users import add_user

PG = "host=127.0.0.1 port=5432 dbname=test"
PASSWORD = "correct horse battery"


def _postgres_database() -> Iterator[str]:
    import psycopg

    name = f"trdnav_t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("TRDNAV_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required and did not answer: {exc}")
        pytest.skip(f"no PostgreSQL server at 127.0.0.1:5432 ({exc})")
    try:
        yield f"postgresql+psycopg://127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clinic.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database alone, for what only PostgreSQL does."""
    yield from _postgres_database()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, secret_key="k" * 48)
    application = create_app(settings)
    with application.state.sessions() as session:
        add_user(session, "clin", PASSWORD, "clinician")
        add_user(session, "boss", PASSWORD, "admin")
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # https: the session cookie is Secure, so a client over plain http would never send it back
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def login(client: TestClient, username: str = "clin", password: str = PASSWORD) -> str:
    """Log in; returns the session's CSRF token for later form posts."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/patients/new").text)
