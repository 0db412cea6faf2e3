"""The database schema: the Alembic migrations build exactly what the SQLAlchemy models
describe (on SQLite and PostgreSQL), and rows from before a migration still read."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text, update

from conftest import login
from trdnav.clinic.store.db import make_engine
from trdnav.clinic.store.models import Base, RecordVersion, StoredAssessment

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "records" / "01-two-ssri-failures.json"


def test_the_migrations_build_what_the_models_describe(app: FastAPI):
    with app.state.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_list_reads_a_stored_summary_and_an_assessment_stored_before_summaries(app: FastAPI, client: TestClient):
    csrf = login(client)
    for n in (1, 2):
        record = json.loads(EXAMPLE.read_text())
        record["patient"]["id"] = f"p{n}"
        created = client.post("/patients/new", data={"record_json": json.dumps(record), "csrf_token": csrf})
        assert created.status_code == 303
    with app.state.sessions() as session:
        stored = session.scalars(select(StoredAssessment).order_by(StoredAssessment.id)).all()
        assert all(s.summary_json for s in stored)
        summaries = [json.loads(s.summary_json) for s in stored]
        # as a row stored by a version before migration 0003 would be
        session.execute(update(StoredAssessment).where(StoredAssessment.id == stored[1].id).values(summary_json=None))
        session.commit()
    listing = client.get("/patients")
    rows = listing.text.split("<tr>")[2:]
    assert len(rows) == 2
    for row, expected in zip(rows, summaries, strict=True):
        assert expected["verdicts"] in row and expected["stages"] in row
        assert expected["latest_score"].split(" (")[0] in row
    assert summaries[0] == summaries[1]


def test_every_saved_version_is_kept_and_shown_as_a_diff(app: FastAPI, client: TestClient):
    csrf = login(client)
    created = client.post("/patients/new", data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf})
    patient_id = int(created.headers["location"].rsplit("/", 1)[1])
    added = client.post(
        f"/patients/{patient_id}/add/conditions",
        data={"csrf_token": csrf, "version": "1", "name": "hypertension"},
    )
    assert added.status_code == 303
    client.post(f"/patients/{patient_id}/assess", data={"csrf_token": csrf})  # no new version
    with app.state.sessions() as session:
        kept = session.scalars(select(RecordVersion).order_by(RecordVersion.version)).all()
        assert [(v.version, v.source) for v in kept] == [(1, "clin"), (2, "clin")]
        assert kept[0].record_json == EXAMPLE.read_text()
        assert json.loads(kept[1].record_json)["conditions"][-1] == {"name": "hypertension"}
    page = client.get(f"/patients/{patient_id}/versions/2")
    assert page.status_code == 200
    diff = html.unescape(page.text.split('class="diff"', 1)[1].split("</pre>", 1)[0])
    assert re.search(r'<span class="added">\+\s+"name": "hypertension"</span>', diff)
    # nothing of version 1 was lost: a removed line could only be a bracket re-punctuated
    removed = re.findall(r'<span class="removed">-(.*?)</span>', diff)
    assert all(line.strip() in ("}", "]", "},", "],") for line in removed)
    first = client.get(f"/patients/{patient_id}/versions/1")
    assert "nothing to compare it with" in first.text
    assert client.get(f"/patients/{patient_id}/versions/9").status_code == 404
    listing = client.get(f"/patients/{patient_id}")
    assert f'href="/patients/{patient_id}/versions/2"' in listing.text


def test_kept_versions_cannot_be_changed_or_deleted(app: FastAPI, client: TestClient):
    csrf = login(client)
    client.post("/patients/new", data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf})
    for statement in ("UPDATE record_versions SET record_json = '{}'", "DELETE FROM record_versions"):
        with pytest.raises(Exception, match="append-only"), app.state.engine.begin() as connection:
            connection.execute(text(statement))


# the ways round a row trigger: TRUNCATE (PostgreSQL), INSERT OR REPLACE (SQLite)
BYPASSES = {
    "postgresql": ["TRUNCATE {table}", "TRUNCATE {table} CASCADE"],
    "sqlite": ["INSERT OR REPLACE INTO {table} SELECT * FROM {table}", "REPLACE INTO {table} SELECT * FROM {table}"],
}


@pytest.mark.parametrize("table", ["audit_events", "record_versions"])
def test_the_append_only_tables_refuse_truncate_and_replace(app: FastAPI, client: TestClient, table: str):
    csrf = login(client)
    client.post("/patients/new", data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf})
    with app.state.engine.connect() as connection:
        before = connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
    for statement in BYPASSES[app.state.engine.dialect.name]:
        with pytest.raises(Exception, match="append-only"), app.state.engine.begin() as connection:
            connection.execute(text(statement.format(table=table)))
    with app.state.engine.connect() as connection:
        assert connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all() == before


def test_the_migrations_go_down_to_nothing_and_up_again(app: FastAPI):
    from alembic import command
    from alembic.config import Config

    from trdnav.clinic.store import db

    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    with app.state.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    with app.state.engine.connect() as connection:
        left = set(connection.dialect.get_table_names(connection)) - {"alembic_version"}
    assert left == set()
    db.migrate(app.state.engine)
    with app.state.engine.connect() as connection:
        assert set(connection.dialect.get_table_names(connection)) >= set(Base.metadata.tables)


def test_upgrading_keeps_each_existing_record_as_its_first_version(tmp_path: Path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from trdnav.clinic.store import db

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, active, created_at) "
                "VALUES (1, 'old-user', 'x', 'clinician', 1, '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO patients (id, local_id, record_json, version, created_at, created_by, updated_at, "
                "updated_by) VALUES (1, 'p1', '{\"patient\": {}}', 3, '2026-01-01', 1, '2026-01-02', 1)"
            )
        )
    db.migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT patient_id, version, record_json, source FROM record_versions")).all()
    assert rows == [(1, 3, '{"patient": {}}', "old-user")]


def test_postgresql_hands_back_utc_whatever_zone_the_server_is_set_to(postgres_url: str):
    """Times are shown labelled UTC; a database set to a local zone must not shift them."""
    name = postgres_url.rsplit("/", 1)[1]
    plain = create_engine(postgres_url)
    with plain.connect() as connection:
        connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'America/New_York'"))
        connection.commit()
    plain.dispose()  # the setting applies to new connections
    with plain.connect() as connection:  # a plain connection now gets local times
        assert connection.scalar(text("SHOW timezone")) == "America/New_York"
    plain.dispose()
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.scalar(text("SHOW timezone")) == "UTC"
        stamp = connection.scalar(text("SELECT TIMESTAMPTZ '2026-01-01 12:00:00+00'"))
    engine.dispose()
    assert stamp.utcoffset().total_seconds() == 0 and stamp.hour == 12


def test_an_assessment_stored_by_an_engine_of_another_shape_asks_to_reassess(app: FastAPI, client: TestClient):
    """After an upgrade whose Assessment has another shape, the stored one cannot be read: the
    page says so and asks to re-assess (no 500), and re-assessing shows it again."""
    csrf = login(client)
    created = client.post("/patients/new", data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf})
    patient_id = int(created.headers["location"].rsplit("/", 1)[1])
    with app.state.sessions() as session:
        stored = session.scalars(select(StoredAssessment)).one()
        data = json.loads(stored.assessment_json)
        del data["next_steps"]["options"][0]["fit"]  # a field this engine needs, missing
        session.execute(
            update(StoredAssessment)
            .where(StoredAssessment.id == stored.id)
            .values(assessment_json=json.dumps(data), engine_version="0.0.1")
        )
        session.commit()
    page = client.get(f"/patients/{patient_id}")
    assert page.status_code == 200
    assert "The stored assessment (engine 0.0.1) cannot be shown by this version: re-assess." in page.text
    assert client.get(f"/patients/{patient_id}/report.pdf").status_code == 409
    assert client.post(f"/patients/{patient_id}/assess", data={"csrf_token": csrf}).status_code == 303
    again = client.get(f"/patients/{patient_id}")
    assert "cannot be shown" not in again.text and "Download the PDF report" in again.text
