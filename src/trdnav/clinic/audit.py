"""Every read and write of patient data leaves a row in the append-only audit table."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from trdnav.clinic.store.models import AuditEvent, User


def record(
    session: Session,
    request: Request,
    user: User | None,
    action: str,
    patient_id: int | None = None,
    detail: str = "",
    username: str | None = None,
) -> None:
    """Add the audit row to the session: it commits with the change it describes."""
    session.add(
        AuditEvent(
            user_id=user.id if user else None,
            username=user.username if user else (username or ""),
            action=action,
            patient_id=patient_id,
            detail=detail[:500],
            client=request.client.host if request.client else "",
        )
    )


# the actions that changed a patient's record or its assessments (reads are left out)
CHANGES = ("create", "update", "assess", "self_report_link", "self_report_submit")


def changes(session: Session, patient_id: int, limit: int = 50) -> list[AuditEvent]:
    """A patient's changes, newest first: who, when and what, from the audit table."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.patient_id == patient_id, AuditEvent.action.in_(CHANGES))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
