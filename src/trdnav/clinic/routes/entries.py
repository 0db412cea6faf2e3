"""Adding, editing and removing record entries through forms (episodes, trials, dose changes, scale
scores, co-medications, conditions, genotypes, TMS sessions). Each change goes through the
same save path as an edit: checked, assessed, version-checked, stored, audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from trdnav.clinic import audit
from trdnav.clinic.app import templates
from trdnav.clinic.deps import CsrfChecked, CurrentUser, SessionDep, current_user
from trdnav.clinic.forms import FORMS, EntryForm, edited, entry, fields, form_values, with_kb_choices
from trdnav.clinic.records import Refused, save_change
from trdnav.clinic.routes.auth import csrf_token
from trdnav.clinic.routes.patients import _patient
from trdnav.clinic.store.models import Patient, User

router = APIRouter(prefix="/patients", dependencies=[Depends(current_user)])


def _form(collection: str) -> EntryForm:
    if collection not in FORMS:
        raise HTTPException(status_code=404, detail=f"No form for {collection!r}.")
    return FORMS[collection]


def _parents(record: dict[str, Any], form: EntryForm) -> list[str]:
    return [str(e.get("id")) for e in record.get(form.parent or "", [])]


def _page(request: Request, user: Any, patient: Patient, form: EntryForm, **extra: Any) -> dict[str, Any]:
    record = json.loads(patient.record_json)
    return {
        "user": user,
        "csrf": csrf_token(request),
        "patient": patient,
        "form": form,
        "specs": with_kb_choices(fields(form.model), form, request.app.state.kb),
        "parents": _parents(record, form),
        "values": {},
        "problems": (),
        "field_problems": {},
        "conflict": None,
        "editing": False,
        "version": patient.version,
        "action": f"/patients/{patient.id}/add/{form.collection}",
        "heading": f"Add: {form.title.lower()} for {patient.local_id}",
        **extra,
    }


def by_field(problems: tuple[str, ...], where: str, form: EntryForm) -> tuple[dict[str, list[str]], list[str]]:
    """Split the record's problems into those of the entry's own form fields (shown next to
    each field, without the path) and the rest (shown above the form)."""
    names = {spec.name for spec in fields(form.model)}
    inline: dict[str, list[str]] = {}
    general = []
    for problem in problems:
        path, _, message = problem.partition(": ")
        name = path.removeprefix(where + ".")
        if path.startswith(where + ".") and name in names:
            inline.setdefault(name, []).append(message)
        else:
            general.append(problem)
    return inline, general


def _version(posted: object) -> int:
    """The record version the form was read at (a hidden field)."""
    if isinstance(posted, str) and posted.isascii() and posted.isdigit():
        return int(posted)
    raise HTTPException(status_code=422, detail="version: expected the version the form was read at; reload the page.")


@router.get("/{patient_id}/add/{collection}")
def add_form(request: Request, session: SessionDep, user: CurrentUser, patient_id: int, collection: str) -> Response:
    form = _form(collection)
    patient = _patient(session, patient_id)
    # the form lists the record's own entries (e.g. its trials, for a dose change): a read
    audit.record(session, request, user, "read", patient.id, f"{collection} entry form")
    session.commit()
    return templates.TemplateResponse(request, "entry.html.j2", _page(request, user, patient, form))


@router.post("/{patient_id}/add/{collection}", dependencies=[CsrfChecked])
async def add_entry(
    request: Request, session: SessionDep, user: CurrentUser, patient_id: int, collection: str
) -> Response:
    form = _form(collection)
    patient = _patient(session, patient_id)
    posted = {k: str(v) for k, v in (await request.form()).items()}
    record = json.loads(patient.record_json)
    new = entry(fields(form.model), posted)
    if form.parent is None:
        record.setdefault(collection, []).append(new)
        where = f"{collection}[{len(record[collection]) - 1}]"  # the new entry's path in problems
    else:
        owner = next((e for e in record.get(form.parent, []) if str(e.get("id")) == posted.get("parent")), None)
        if owner is None:
            problems = (f"{form.parent}: choose one of {', '.join(_parents(record, form)) or 'none recorded'}",)
            page = _page(request, user, patient, form, values=posted, problems=problems)
            return templates.TemplateResponse(request, "entry.html.j2", page, status_code=422)
        assert form.parent_key is not None
        owner.setdefault(form.parent_key, []).append(new)
        at = record[form.parent].index(owner)
        where = f"{form.parent}[{at}].{form.parent_key}[{len(owner[form.parent_key]) - 1}]"
    version = _version(posted.get("version"))
    text = json.dumps(record, ensure_ascii=False)
    refused = save_change(request, session, patient, user, text, version, f"{form.title.lower()} added")
    if refused is None:
        return RedirectResponse(f"/patients/{patient.id}", status_code=303)
    return _refused(request, session, user, patient_id, form, where, posted, version, refused)


@dataclass(frozen=True)
class Located:
    """An existing entry: its form, the list holding it, its index there and its path in the
    record (as problems name it)."""

    form: EntryForm
    entries: list[Any]
    index: int
    where: str
    url: str  # the entry's address in the app's edit and remove routes


def _locate(record: dict[str, Any], collection: str, index: int, owner: int | None) -> Located:
    """A top-level entry (owner None) or one inside its parent's list; 404 when there is none."""
    form = FORMS.get(collection)
    if form is None or (form.parent is None) != (owner is None):
        raise HTTPException(status_code=404, detail="No such entry.")
    if form.parent is None:
        entries, where, url = record.get(collection) or [], f"{collection}[{index}]", f"{collection}/{index}"
    else:
        assert owner is not None and form.parent_key is not None
        owners = record.get(form.parent) or []
        if not 0 <= owner < len(owners):
            raise HTTPException(status_code=404, detail="No such entry.")
        entries = owners[owner].get(form.parent_key) or []
        where = f"{form.parent}[{owner}].{form.parent_key}[{index}]"
        url = f"{collection}/{owner}/{index}"
    if not 0 <= index < len(entries):
        raise HTTPException(status_code=404, detail="No such entry.")
    return Located(form, entries, index, where, url)


def _editing(at: Located, patient: Patient) -> dict[str, Any]:
    """What turns the entry page into the edit form of an existing entry."""
    heading = f"Edit: {at.form.title.lower()} for {patient.local_id}"
    return {"action": f"/patients/{patient.id}/edit/{at.url}", "heading": heading, "editing": True}


def _refused(
    request: Request,
    session: Session,
    user: User,
    patient_id: int,
    form: EntryForm,
    where: str,
    posted: dict[str, str],
    version: int,
    refused: Refused,
    at: Located | None = None,
) -> Response:
    """The form again after a refused add or edit: what was typed, each problem at its field,
    and on a conflict the current version to save against."""
    patient = _patient(session, patient_id)
    inline, general = by_field(refused.problems, where, form)
    page = _page(
        request, user, patient, form, values=posted, problems=general, field_problems=inline,
        conflict=refused.conflict, version=version if refused.conflict is None else patient.version,
        **(_editing(at, patient) if at else {}),
    )  # fmt: skip
    return templates.TemplateResponse(request, "entry.html.j2", page, status_code=409 if refused.conflict else 422)


@router.get("/{patient_id}/edit/{collection}/{index}")
@router.get("/{patient_id}/edit/{collection}/{owner}/{index}")
def edit_form(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    patient_id: int,
    collection: str,
    index: int,
    owner: int | None = None,
) -> Response:
    patient = _patient(session, patient_id)
    at = _locate(json.loads(patient.record_json), collection, index, owner)
    audit.record(session, request, user, "read", patient.id, f"{at.where} edit form")
    session.commit()
    values = form_values(fields(at.form.model), at.entries[index])
    page = _page(request, user, patient, at.form, values=values, **_editing(at, patient))
    return templates.TemplateResponse(request, "entry.html.j2", page)


@router.post("/{patient_id}/edit/{collection}/{index}", dependencies=[CsrfChecked])
@router.post("/{patient_id}/edit/{collection}/{owner}/{index}", dependencies=[CsrfChecked])
async def edit_entry(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    patient_id: int,
    collection: str,
    index: int,
    owner: int | None = None,
) -> Response:
    patient = _patient(session, patient_id)
    record = json.loads(patient.record_json)
    at = _locate(record, collection, index, owner)
    posted = {k: str(v) for k, v in (await request.form()).items()}
    at.entries[index] = edited(fields(at.form.model), at.entries[index], posted)
    version = _version(posted.get("version"))
    text = json.dumps(record, ensure_ascii=False)
    refused = save_change(request, session, patient, user, text, version, f"{at.where} edited")
    if refused is None:
        return RedirectResponse(f"/patients/{patient.id}", status_code=303)
    return _refused(request, session, user, patient_id, at.form, at.where, posted, version, refused, at)


@router.post("/{patient_id}/remove/{collection}/{index}", dependencies=[CsrfChecked])
@router.post("/{patient_id}/remove/{collection}/{owner}/{index}", dependencies=[CsrfChecked])
async def remove_entry(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    patient_id: int,
    collection: str,
    index: int,
    owner: int | None = None,
) -> Response:
    patient = _patient(session, patient_id)
    record = json.loads(patient.record_json)
    at = _locate(record, collection, index, owner)
    removed = at.entries.pop(index)
    version = _version((await request.form()).get("version"))
    text = json.dumps(record, ensure_ascii=False)
    label = next((removed[k] for k in ("id", "drug", "name", "gene", "item", "date") if removed.get(k)), index)
    detail = f"{collection} entry {label} removed" + (f" ({at.where})" if owner is not None else "")
    refused = save_change(request, session, patient, user, text, version, detail)
    if refused is not None:
        detail = refused.conflict or "; ".join(refused.problems)
        raise HTTPException(status_code=409 if refused.conflict else 422, detail=f"Not removed: {detail}")
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)
