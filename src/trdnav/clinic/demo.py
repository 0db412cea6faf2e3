"""`trdnav serve --demo`: the bundled example records as patients, and a demo account."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from trdnav.clinic.records import assess_text, keep_version, store_assessment
from trdnav.clinic.store.models import Patient, User
from trdnav.clinic.users import add_user

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "records"


def load_demo(app: FastAPI) -> str | None:
    """Add the examples (once) and a 'demo' clinician; return its new password, or None if it exists."""
    import datetime as dt

    from trdnav.record.parse import parse_text

    with app.state.sessions() as session:
        if session.scalar(select(User).where(User.username == "demo")) is not None:
            return None
        password = secrets.token_urlsafe(12)
        user = add_user(session, "demo", password, "clinician")
        for path in sorted(EXAMPLES.glob("*.json")):
            text = path.read_text(encoding="utf-8")
            record = parse_text(text)
            if session.scalar(select(Patient).where(Patient.local_id == record.patient.id)) is not None:
                continue
            _, result, _ = assess_text(app.state.kb, text, dt.date.today())
            patient = Patient(local_id=record.patient.id, record_json=text, created_by=user.id, updated_by=user.id)
            session.add(patient)
            session.flush()
            keep_version(session, patient, user.username)
            store_assessment(session, patient, result, user.id, dt.date.today())
        session.commit()
        return password
