"""Engine, sessions and migrations. Migrations run to head when the app starts."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

HERE = Path(__file__).parent


def make_engine(url: str) -> Engine:
    connect_args = {}
    if make_url(url).get_backend_name() == "postgresql":
        # times are shown labelled UTC: a server or database set to a local zone would otherwise
        # hand back local times
        connect_args["options"] = "-c timezone=UTC"
    else:
        _private_sqlite_file(url)
    # hide_parameters: a database error's message would otherwise carry the record it was saving
    engine = create_engine(url, future=True, hide_parameters=True, connect_args=connect_args)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            # foreign keys are off by default in SQLite
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # INSERT OR REPLACE deletes the row it replaces; only with recursive triggers on does
            # that delete meet the append-only tables' DELETE triggers
            cursor.execute("PRAGMA recursive_triggers=ON")
            cursor.close()

    return engine


def _private_sqlite_file(url: str) -> None:
    """Make a new SQLite database file readable by its owner only (it holds patient records;
    SQLite would create it with the umask's usual 0644). Its journal files take the same mode."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def as_utc(when: dt.datetime) -> dt.datetime:
    """A stored time, aware: SQLite gives naive datetimes back; they were stored in UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def migrate(engine: Engine) -> None:
    """Bring the database to the latest schema (Alembic `upgrade head`)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def sessions(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session
