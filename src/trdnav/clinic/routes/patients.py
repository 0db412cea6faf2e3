"""Patients: list, import, view, edit (optimistic locking), assess, report, export.

Every route needs a logged-in user (the router's dependency) and writes an audit row for each
read or write of patient data. Clinical work is the engine's: a route parses, calls `assess`,
stores what it returns, and renders stored results.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trdnav import __version__
from trdnav.clinic import audit
from trdnav.clinic.app import templates
from trdnav.clinic.deps import CsrfChecked, CurrentUser, SessionDep, current_user
from trdnav.clinic.records import assess_text, id_problems, keep_version, save_change, store_assessment
from trdnav.clinic.routes.auth import csrf_token
from trdnav.clinic.store.models import Patient, RecordVersion, StoredAssessment, User
from trdnav.clinic.views import Summary, readable_assessment, record_entries, summary, summary_from_json

router = APIRouter(prefix="/patients", dependencies=[Depends(current_user)])


# "Latest" is the assessment of the newest record version, not the last row stored: a
# re-assessment that read the record before a self-report saved a new version is stored after
# it, and must not hide the newer version's assessment (and its item-9 alert).
_NEWEST_FIRST = (StoredAssessment.record_version.desc(), StoredAssessment.id.desc())


def _latest(session: Session, patient_id: int) -> StoredAssessment | None:
    return session.scalar(
        select(StoredAssessment).where(StoredAssessment.patient_id == patient_id).order_by(*_NEWEST_FIRST).limit(1)
    )


def _patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise HTTPException(status_code=404, detail="No such patient.")
    return patient


def _assess(request: Request, text: str) -> tuple[str, str, list[str]]:
    return assess_text(request.app.state.kb, text, dt.date.today())


def _store(session: Session, patient: Patient, text: str, user: User) -> None:
    store_assessment(session, patient, text, user.id, dt.date.today())


def _rows(session: Session) -> list[tuple[Patient, Summary | None]]:
    """Each patient with the summary of their latest assessment, in one query."""
    ranked = select(
        StoredAssessment.patient_id,
        StoredAssessment.id,
        func.row_number().over(partition_by=StoredAssessment.patient_id, order_by=_NEWEST_FIRST).label("rank"),
    ).subquery()
    latest = select(ranked.c.patient_id, ranked.c.id).where(ranked.c.rank == 1).subquery()
    query = (
        select(Patient, StoredAssessment.id, StoredAssessment.summary_json)
        .outerjoin(latest, latest.c.patient_id == Patient.id)
        .outerjoin(StoredAssessment, StoredAssessment.id == latest.c.id)
        .order_by(Patient.local_id)
    )
    rows: list[tuple[Patient, Summary | None]] = []
    for patient, assessment_id, stored in session.execute(query):
        if assessment_id is None:
            rows.append((patient, None))
        elif stored is not None:
            rows.append((patient, summary_from_json(stored)))
        else:  # stored before the summary column: read the Assessment itself
            text = session.scalar(select(StoredAssessment.assessment_json).where(StoredAssessment.id == assessment_id))
            rows.append((patient, summary(text) if text is not None else None))
    return rows


@router.get("")
def patient_list(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    rows = _rows(session)
    audit.record(session, request, user, "list_patients", detail=f"{len(rows)} patients")
    session.commit()
    return templates.TemplateResponse(
        request, "patients.html.j2", {"user": user, "csrf": csrf_token(request), "rows": rows}
    )


@router.get("/table")
def patient_table(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """The list's table alone, for the dashboard's periodic refresh (htmx)."""
    rows = _rows(session)
    audit.record(session, request, user, "list_patients", detail=f"{len(rows)} patients (refresh)")
    session.commit()
    return templates.TemplateResponse(request, "patients_table.html.j2", {"rows": rows})


@router.get("/new")
def new_patient(request: Request, user: CurrentUser) -> Response:
    context = {"user": user, "csrf": csrf_token(request), "text": "", "problems": []}
    return templates.TemplateResponse(request, "import.html.j2", context)


@router.post("/new", dependencies=[CsrfChecked])
def import_patient(
    request: Request, session: SessionDep, user: CurrentUser, record_json: Annotated[str, Form()]
) -> Response:
    local_id, assessment, problems = _assess(request, record_json)
    if not problems:
        problems = id_problems(session, local_id)
    if problems:
        # nothing is saved; the text comes back as it was sent
        context = {"user": user, "csrf": csrf_token(request), "text": record_json, "problems": problems}
        return templates.TemplateResponse(request, "import.html.j2", context, status_code=422)
    patient = Patient(local_id=local_id, record_json=record_json, created_by=user.id, updated_by=user.id)
    session.add(patient)
    session.flush()
    keep_version(session, patient, user.username)
    _store(session, patient, assessment, user)
    audit.record(session, request, user, "create", patient.id, "record imported and assessed")
    session.commit()
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


@router.get("/{patient_id}")
def patient_page(request: Request, session: SessionDep, user: CurrentUser, patient_id: int) -> Response:
    patient = _patient(session, patient_id)
    latest = _latest(session, patient.id)
    notices = []
    if latest is None:
        notices.append("Not assessed yet.")
    else:
        if latest.record_version != patient.version:
            notices.append("The record changed after the last assessment: re-assess.")
        if latest.kb_version != request.app.state.kb.kb_version or latest.engine_version != __version__:
            notices.append(
                f"The knowledge base or engine moved (assessed with {latest.kb_version} / {latest.engine_version}): "
                "re-assess."
            )
    assessment = readable_assessment(latest.assessment_json) if latest else None
    if latest is not None and assessment is None:
        notices.append(
            f"The stored assessment (engine {latest.engine_version}) cannot be shown by this version: re-assess."
        )
    audit.record(session, request, user, "read", patient.id)
    session.commit()
    context = {
        "user": user,
        "csrf": csrf_token(request),
        "patient": patient,
        "latest": latest,
        "a": assessment,
        "notices": notices,
        "forms": [s for s in request.app.state.kb.scales.scales if s.questionnaire is not None],
        "record_entries": record_entries(patient.record_json),
        "changes": audit.changes(session, patient.id),
        "versions": session.scalars(
            select(RecordVersion).where(RecordVersion.patient_id == patient.id).order_by(RecordVersion.version.desc())
        ).all(),
    }
    return templates.TemplateResponse(request, "patient.html.j2", context)


@router.post("/{patient_id}/assess", dependencies=[CsrfChecked])
def reassess(request: Request, session: SessionDep, user: CurrentUser, patient_id: int) -> Response:
    patient = _patient(session, patient_id)
    _, assessment, problems = _assess(request, patient.record_json)
    if problems:
        raise HTTPException(status_code=422, detail="The record cannot be assessed: " + "; ".join(problems))
    _store(session, patient, assessment, user)
    audit.record(session, request, user, "assess", patient.id)
    session.commit()
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


@router.get("/{patient_id}/edit")
def edit_page(request: Request, session: SessionDep, user: CurrentUser, patient_id: int) -> Response:
    patient = _patient(session, patient_id)
    audit.record(session, request, user, "read", patient.id, "edit form")
    session.commit()
    context = {
        "user": user,
        "csrf": csrf_token(request),
        "patient": patient,
        "text": _pretty(patient.record_json),
        "version": patient.version,
        "problems": [],
        "conflict": None,
    }
    return templates.TemplateResponse(request, "edit.html.j2", context)


@router.post("/{patient_id}/edit", dependencies=[CsrfChecked])
def save_record(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    patient_id: int,
    record_json: Annotated[str, Form()],
    version: Annotated[int, Form()],
) -> Response:
    patient = _patient(session, patient_id)
    refused = save_change(request, session, patient, user, record_json, version, "record edited")
    if refused is None:
        return RedirectResponse(f"/patients/{patient.id}", status_code=303)
    # the user's text comes back untouched: nothing typed is lost
    patient = _patient(session, patient_id)
    if refused.conflict:
        # the page shows the record as it now stands: that is a read of patient data
        audit.record(session, request, user, "read", patient.id, "current record shown beside a refused save")
        session.commit()
    context = {
        "user": user,
        "csrf": csrf_token(request),
        "patient": patient,
        "text": record_json,
        "version": version if refused.conflict is None else patient.version,
        "problems": refused.problems,
        "conflict": refused.conflict,
        "current": _pretty(patient.record_json) if refused.conflict else None,
    }
    return templates.TemplateResponse(request, "edit.html.j2", context, status_code=409 if refused.conflict else 422)


def _pretty(text: str) -> str:
    return json.dumps(json.loads(text), indent=2, ensure_ascii=False)


def _version(session: Session, patient_id: int, version: int) -> RecordVersion | None:
    query = select(RecordVersion).where(RecordVersion.patient_id == patient_id, RecordVersion.version == version)
    return session.scalar(query)


@router.get("/{patient_id}/versions/{version}")
def record_version(request: Request, session: SessionDep, user: CurrentUser, patient_id: int, version: int) -> Response:
    """One saved version of the record, and what changed from the version before it."""
    patient = _patient(session, patient_id)
    shown = _version(session, patient.id, version)
    if shown is None:
        raise HTTPException(status_code=404, detail="No such version of this record.")
    before = session.scalar(
        select(RecordVersion)
        .where(RecordVersion.patient_id == patient.id, RecordVersion.version < version)
        .order_by(RecordVersion.version.desc())
        .limit(1)
    )
    diff = []
    if before is not None:
        diff = list(
            difflib.unified_diff(
                _pretty(before.record_json).splitlines(),
                _pretty(shown.record_json).splitlines(),
                f"version {before.version}",
                f"version {shown.version}",
                lineterm="",
            )
        )
    audit.record(session, request, user, "read", patient.id, f"record version {version}")
    session.commit()
    context = {
        "user": user,
        "patient": patient,
        "shown": shown,
        "before": before,
        "diff": diff,
        "text": _pretty(shown.record_json),
    }
    return templates.TemplateResponse(request, "version.html.j2", context)


def _attachment(filename: str) -> dict[str, str]:
    """A download's name (RFC 6266): the record's id may hold any character, so a plain-ASCII
    fallback with no quotes, and the exact name percent-encoded for browsers that read it."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"}


@router.get("/{patient_id}/record.json")
def export_record(request: Request, session: SessionDep, user: CurrentUser, patient_id: int) -> Response:
    patient = _patient(session, patient_id)
    audit.record(session, request, user, "export", patient.id, "native JSON record")
    session.commit()
    headers = _attachment(f"{patient.local_id}.json")
    return Response(patient.record_json, media_type="application/json", headers=headers)


@router.get("/{patient_id}/report.{kind}")
def report(request: Request, session: SessionDep, user: CurrentUser, patient_id: int, kind: str) -> Response:
    """The report of the latest stored Assessment (HTML or PDF; the same template)."""
    from trdnav.report.html import render_html, render_pdf

    if kind not in ("html", "pdf"):
        raise HTTPException(status_code=404, detail="Reports are .html or .pdf.")
    patient = _patient(session, patient_id)
    latest = _latest(session, patient.id)
    if latest is None:
        raise HTTPException(status_code=404, detail="Not assessed yet.")
    assessment = readable_assessment(latest.assessment_json)
    if assessment is None:
        raise HTTPException(
            status_code=409,
            detail=f"The stored assessment (engine {latest.engine_version}) cannot be read by this version: re-assess.",
        )
    audit.record(session, request, user, f"report_{kind}", patient.id, f"assessment {latest.id}")
    session.commit()
    if kind == "html":
        return HTMLResponse(render_html(assessment))
    headers = _attachment(f"{patient.local_id}-report.pdf")
    return Response(render_pdf(assessment), media_type="application/pdf", headers=headers)
