"""The database schema: the Alembic migrations build exactly what the SQLAlchemy models
describe (on SQLite and PostgreSQL), and rows from before a migration still read."""

from __future__ import annotations

import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from conftest import login
from trdnav.clinic.store.models import Base, StoredAssessment

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
