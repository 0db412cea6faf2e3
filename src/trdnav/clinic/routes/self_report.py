"""Self-report links: a clinician makes a single-use, expiring link; the patient opens it on a
phone without an account and answers the form; the answers land in the record, which is
re-assessed at once, so a safety-item answer shows as an alert on the dashboard straight away.

The public form needs no CSRF token: the link's own token is the secret, and it works once.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from trdnav.clinic import audit
from trdnav.clinic.app import templates
from trdnav.clinic.deps import CsrfChecked, CurrentUser, SessionDep, current_user
from trdnav.clinic.records import assess_text, keep_version, store_assessment
from trdnav.clinic.routes.auth import csrf_token
from trdnav.clinic.security import new_token, token_hash
from trdnav.clinic.store.db import as_utc
from trdnav.clinic.store.models import Patient, SelfReportLink
from trdnav.knowledge.schema import Scale

MAX_HOURS = 14 * 24
# tries to add a patient's answers when clinicians' saves keep landing in between
SAVE_ATTEMPTS = 3

clinician = APIRouter(prefix="/patients", dependencies=[Depends(current_user)])
public = APIRouter(prefix="/r")


def forms(request: Request) -> dict[str, Scale]:
    """The scales whose form wording the knowledge base holds."""
    return {s.id: s for s in request.app.state.kb.scales.scales if s.questionnaire is not None}


@clinician.post("/{patient_id}/self-report", dependencies=[CsrfChecked])
def make_link(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    patient_id: int,
    instrument: Annotated[str, Form()],
    hours: Annotated[int, Form()] = 72,
) -> Response:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise HTTPException(status_code=404, detail="No such patient.")
    if instrument not in forms(request):
        raise HTTPException(status_code=422, detail=f"instrument: expected one of {', '.join(forms(request))}")
    if not 1 <= hours <= MAX_HOURS:
        raise HTTPException(status_code=422, detail=f"hours: expected 1 to {MAX_HOURS}")
    token = new_token()
    now = dt.datetime.now(dt.UTC)
    link = SelfReportLink(
        token_hash=token_hash(token),
        patient_id=patient.id,
        instrument=instrument,
        created_by=user.id,
        expires_at=now + dt.timedelta(hours=hours),
    )
    session.add(link)
    session.flush()
    audit.record(session, request, user, "self_report_link", patient.id, f"{instrument}, link {link.id}, {hours} h")
    session.commit()
    context = {
        "user": user,
        "csrf": csrf_token(request),
        "patient": patient,
        "url": (request.app.state.settings.public_url or str(request.base_url).rstrip("/")) + f"/r/{token}",
        "link": link,
    }
    return templates.TemplateResponse(request, "self_report_link.html.j2", context)


def _open_link(session: Session, token: str) -> SelfReportLink:
    link = session.scalar(select(SelfReportLink).where(SelfReportLink.token_hash == token_hash(token)))
    now = dt.datetime.now(dt.UTC)
    if link is None or link.used_at is not None or as_utc(link.expires_at) < now:
        raise HTTPException(
            status_code=410, detail="This link has expired or was already used. Ask your clinic for a new one."
        )
    return link


@public.get("/{token}")
def show_form(request: Request, session: SessionDep, token: str) -> Response:
    link = _open_link(session, token)
    audit.record(session, request, None, "self_report_open", link.patient_id, f"link {link.id}", "self-report")
    session.commit()
    scale = forms(request)[link.instrument]
    return templates.TemplateResponse(request, "self_report_form.html.j2", {"scale": scale, "missing": []})


@public.post("/{token}")
async def submit(request: Request, session: SessionDep, token: str) -> Response:
    link = _open_link(session, token)
    scale = forms(request)[link.instrument]
    assert scale.questionnaire is not None
    form = await request.form()
    questionnaire = scale.questionnaire
    answers = [str(form.get(f"item{n}", "")) for n in range(1, scale.items + 1)]
    missing = [
        n for n, value in enumerate(answers, 1) if value not in {str(a.value) for a in questionnaire.answers_for(n)}
    ]
    if missing:
        context = {"scale": scale, "missing": missing, "given": answers}
        return templates.TemplateResponse(request, "self_report_form.html.j2", context, status_code=422)
    # a clinician's save may land between reading the record and writing it back: the version
    # check then refuses this write, and the answers are added to the newer record instead
    for _ in range(SAVE_ATTEMPTS):
        try:
            return _save_answers(request, session, link, scale, answers)
        except StaleDataError:
            session.rollback()  # the link's claim goes too: it stays usable
            link = _open_link(session, token)
    context = {"scale": scale, "missing": [], "given": answers, "retry": True}
    return templates.TemplateResponse(request, "self_report_form.html.j2", context, status_code=503)


def _save_answers(
    request: Request, session: Session, link: SelfReportLink, scale: Scale, answers: list[str]
) -> Response:
    today = dt.date.today()
    patient = session.get(Patient, link.patient_id)
    assert patient is not None
    record = json.loads(patient.record_json)
    record.setdefault("scales", []).append(
        {"instrument": scale.id, "date": today.isoformat(), "items": [int(v) for v in answers]}
    )
    text = json.dumps(record, ensure_ascii=False)
    _, assessment, problems = assess_text(request.app.state.kb, text, today)
    if problems:
        # the record as it stands cannot take the answers: nothing is saved, the link stays usable
        raise HTTPException(status_code=422, detail="Your answers could not be saved; please tell your clinic.")
    # single use, even against two submissions at once: only one update finds the link unused
    claimed = session.execute(
        update(SelfReportLink)
        .where(SelfReportLink.id == link.id, SelfReportLink.used_at.is_(None))
        .values(used_at=dt.datetime.now(dt.UTC))
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise HTTPException(status_code=410, detail="This link was already used.")
    patient.record_json = text
    patient.updated_by = link.created_by
    patient.updated_at = dt.datetime.now(dt.UTC)
    session.flush()  # the version check: raises StaleDataError when a save landed since the read
    keep_version(session, patient, "self-report")
    store_assessment(session, patient, assessment, link.created_by, today)
    audit.record(
        session, request, None, "self_report_submit", patient.id, f"{scale.id} via link {link.id}", "self-report"
    )
    session.commit()
    return templates.TemplateResponse(request, "self_report_done.html.j2", {"scale": scale})
