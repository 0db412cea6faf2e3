"""Checking, assessing and storing a record: the one path every change to a patient takes
(an import, an edit, a self-report), so each is assessed with the engine and stored the same way."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from trdnav.clinic import audit
from trdnav.clinic.store.models import Patient, RecordVersion, StoredAssessment, User
from trdnav.clinic.views import dump_assessment, summary, summary_to_json
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
            summary_json=summary_to_json(summary(assessment_json)),
            created_by=user_id,
        )
    )


def keep_version(session: Session, patient: Patient, source: str) -> None:
    """Keep the record as just saved (after the flush that set its version): every version
    stays readable, so a change can be shown as a diff. Commits with the change."""
    session.add(
        RecordVersion(
            patient_id=patient.id,
            version=patient.version,
            record_json=patient.record_json,
            saved_by=patient.updated_by,
            source=source,
        )
    )


LOCAL_ID_MAX = 100  # the patients table's column


def id_problems(session: Session, local_id: str, patient_id: int | None = None) -> list[str]:
    """What the clinic needs of a record's patient.id beyond the record format: it fits the
    column and no other patient here has it."""
    if len(local_id) > LOCAL_ID_MAX:
        return [f"patient.id: got {len(local_id)} characters; expected at most {LOCAL_ID_MAX}"]
    clash = select(Patient).where(Patient.local_id == local_id)
    if patient_id is not None:
        clash = clash.where(Patient.id != patient_id)
    if session.scalar(clash) is not None:
        return [f"patient.id: got {local_id!r}; expected an id no other patient here has"]
    return []


@dataclass(frozen=True)
class Refused:
    """Why a change was not saved: problems in the record, or someone else's save in between."""

    problems: tuple[str, ...] = ()
    conflict: str | None = None


def save_change(
    request: Request, session: Session, patient: Patient, user: User, text: str, version: int, detail: str
) -> Refused | None:
    """Check, assess and save a new text of a patient's record, read at `version`. Returns
    None when saved, or why not (nothing is saved then)."""
    if version != patient.version:
        return Refused(conflict=conflict_message(session, patient))
    today = dt.date.today()
    local_id, assessment, problems = assess_text(request.app.state.kb, text, today)
    if not problems:
        problems = id_problems(session, local_id, patient.id)
    if problems:
        return Refused(problems=tuple(problems))
    patient.local_id = local_id
    patient.record_json = text
    patient.updated_by = user.id
    patient.updated_at = dt.datetime.now(dt.UTC)
    try:
        session.flush()  # the version check: fails if another save landed since this one read
    except StaleDataError:
        session.rollback()
        current = session.get(Patient, patient.id)
        assert current is not None
        return Refused(conflict=conflict_message(session, current))
    keep_version(session, patient, user.username)
    store_assessment(session, patient, assessment, user.id, today)
    audit.record(session, request, user, "update", patient.id, f"{detail}; record version {patient.version}")
    session.commit()
    return None


def conflict_message(session: Session, patient: Patient) -> str:
    # the audit trail names who saved last: a clinician, or the patient through a self-report link
    last = audit.changes(session, patient.id, limit=1)
    if last and last[0].action == "self_report_submit":
        who = "the patient (self-report)"
    else:
        editor = session.get(User, patient.updated_by)
        who = editor.username if editor else "someone"
    return (
        f"{who} saved this record at {patient.updated_at:%Y-%m-%d %H:%M} UTC while you were editing "
        f"(now version {patient.version}). What you entered is kept below."
    )
