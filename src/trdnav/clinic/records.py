"""Checking, assessing and storing a record: the one path every change to a patient takes
(an import, an edit, a self-report), so each is assessed with the engine and stored the same way."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.orm import Session

from trdnav.clinic.store.models import Patient, StoredAssessment
from trdnav.clinic.views import dump_assessment
from trdnav.knowledge.loader import KnowledgeBase
from trdnav.record.errors import RecordError


def assess_text(kb: KnowledgeBase, text: str, today: dt.date) -> tuple[str, str, list[str]]:
    """Parse and assess a record given as JSON text: (patient id, Assessment JSON, problems)."""
    from trdnav.engine import assess
    from trdnav.record.parse import parse_text

    try:
        record = parse_text(text)
        result = assess(record, kb, as_of=today)
    except RecordError as exc:
        return "", "", [str(p) for p in exc.problems]
    return record.patient.id, dump_assessment(result), []


def store_assessment(session: Session, patient: Patient, assessment_json: str, user_id: int, today: dt.date) -> None:
    data = json.loads(assessment_json)
    session.add(
        StoredAssessment(
            patient_id=patient.id,
            record_version=patient.version,
            as_of=today,
            engine_version=data["engine_version"],
            kb_version=data["kb_version"],
            assessment_json=assessment_json,
            created_by=user_id,
        )
    )
