"""The audit log, for administrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from trdnav.clinic import audit
from trdnav.clinic.app import templates
from trdnav.clinic.deps import AdminUser, SessionDep
from trdnav.clinic.routes.auth import csrf_token
from trdnav.clinic.store.models import AuditEvent

router = APIRouter(prefix="/admin")


@router.get("/audit")
def audit_log(request: Request, session: SessionDep, user: AdminUser) -> Response:
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)).all()
    audit.record(session, request, user, "read_audit")
    session.commit()
    context = {"user": user, "csrf": csrf_token(request), "events": events}
    return templates.TemplateResponse(request, "audit.html.j2", context)
