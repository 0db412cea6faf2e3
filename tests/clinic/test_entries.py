"""Record entries through forms: each add or remove is checked, assessed, version-checked,
stored and audited like an edit; a bad value names its field and keeps what was typed."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import login
from trdnav.clinic.forms import FORMS, entry, fields, form_values
from trdnav.clinic.store.models import AuditEvent, Patient

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "records" / "01-two-ssri-failures.json"


def new_patient(client: TestClient) -> tuple[int, str]:
    csrf = login(client)
    created = client.post("/patients/new", data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf})
    return int(created.headers["location"].rsplit("/", 1)[1]), csrf


def record(app: FastAPI, patient_id: int) -> tuple[dict, int]:
    with app.state.sessions() as session:
        patient = session.get(Patient, patient_id)
        return json.loads(patient.record_json), patient.version


def test_form_fields_come_from_the_record_format():
    kinds = {f.name: f.kind for f in fields(FORMS["episodes"].model)}
    assert kinds["start"] == "date" and kinds["diagnosis"] == "choice" and kinds["psychotic_features"] == "yesno"
    trial = {f.name: f for f in fields(FORMS["trials"].model)}
    assert "doses" not in trial  # dose changes have their own form
    assert trial["treatment"].required and "sertraline" not in trial["treatment"].choices
    assert {f.name: f.kind for f in fields(FORMS["scales"].model)}["items"] == "list"


def test_list_fields_keep_commas_in_text_and_digits_in_ids():
    """Text lists go one per line (a side effect may hold a comma) and stay text (a trial id
    "7" is not the number 7); number lists take commas or spaces; both read back as shown."""
    trial = fields(FORMS["trials"].model)
    sent = {"side_effects": "nausea, mild\n\nsweating ", "base_trials": "7\nt2"}
    values = entry(trial, sent)
    assert values["side_effects"] == ["nausea, mild", "sweating"]
    assert values["base_trials"] == ["7", "t2"]
    shown = form_values(trial, values)
    assert entry(trial, shown) == values
    scale = fields(FORMS["scales"].model)
    assert entry(scale, {"items": "2, 2 1,0"})["items"] == [2, 2, 1, 0]
    assert form_values(scale, {"items": [2, 1]})["items"] == "2, 1"


def test_adding_a_trial_a_dose_change_and_a_scale_score(app: FastAPI, client: TestClient):
    patient_id, csrf = new_patient(client)
    page = client.get(f"/patients/{patient_id}/add/trials")
    assert page.status_code == 200 and 'name="treatment"' in page.text
    added = client.post(
        f"/patients/{patient_id}/add/trials",
        data={"csrf_token": csrf, "version": "1", "id": "t3", "treatment": "bupropion", "start": "2025-07-07",
              "adherence": "good"},
    )  # fmt: skip
    assert added.status_code == 303, added.text
    dose = client.post(
        f"/patients/{patient_id}/add/doses",
        data={"csrf_token": csrf, "version": "2", "parent": "t3", "date": "2025-07-07", "dose": "150"},
    )
    assert dose.status_code == 303, dose.text
    score = client.post(
        f"/patients/{patient_id}/add/scales",
        data={"csrf_token": csrf, "version": "3", "instrument": "phq9", "date": "2025-08-04",
              "items": "2,2,1,1,1,1,1,1,0"},
    )  # fmt: skip
    assert score.status_code == 303, score.text
    data, version = record(app, patient_id)
    assert version == 4
    assert data["trials"][-1] == {
        "id": "t3", "treatment": "bupropion", "start": "2025-07-07", "adherence": "good",
        "doses": [{"date": "2025-07-07", "dose": 150}],
    }  # fmt: skip
    assert data["scales"][-1]["items"] == [2, 2, 1, 1, 1, 1, 1, 1, 0]
    with app.state.sessions() as session:
        details = list(session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "update")))
    assert [d.split(";")[0] for d in details] == ["treatment trial added", "dose change added", "scale score added"]


def test_a_bad_entry_names_the_field_and_keeps_what_was_typed(app: FastAPI, client: TestClient):
    patient_id, csrf = new_patient(client)
    bad = client.post(
        f"/patients/{patient_id}/add/trials",
        data={"csrf_token": csrf, "version": "1", "id": "t3", "treatment": "bupropin", "start": "2025-07-07"},
    )
    assert bad.status_code == 422
    # the problem is shown next to its field, and only that field is marked
    treatment = bad.text.split('name="treatment"', 1)[1].split("</label>", 1)[0]
    assert 'aria-invalid="true"' in treatment and "did you mean" in treatment and 'class="field-error"' in treatment
    assert bad.text.count('aria-invalid="true"') == 1 and "Fix the fields marked below" in bad.text
    assert 'value="bupropin"' in bad.text
    assert record(app, patient_id)[1] == 1
    orphan = client.post(
        f"/patients/{patient_id}/add/tms_sessions", data={"csrf_token": csrf, "version": "1", "date": "2025-07-07"}
    )
    assert orphan.status_code == 422 and "tms_courses: choose one of none recorded" in orphan.text


def test_a_bad_value_in_a_nested_entry_is_shown_next_to_its_field(app: FastAPI, client: TestClient):
    patient_id, csrf = new_patient(client)
    client.post(
        f"/patients/{patient_id}/add/trials",
        data={"csrf_token": csrf, "version": "1", "id": "t3", "treatment": "bupropion", "start": "2025-07-07"},
    )
    bad = client.post(
        f"/patients/{patient_id}/add/doses",
        data={"csrf_token": csrf, "version": "2", "parent": "t3", "date": "2025-07-07", "dose": "-150"},
    )
    assert bad.status_code == 422
    dose = bad.text.split('name="dose"', 1)[1].split("</label>", 1)[0]
    assert 'aria-invalid="true"' in dose and 'class="field-error"' in dose and "-150" in bad.text
    assert record(app, patient_id)[1] == 2


def test_a_stale_form_is_refused_and_an_entry_can_be_removed(app: FastAPI, client: TestClient):
    patient_id, csrf = new_patient(client)
    client.post(
        f"/patients/{patient_id}/add/medications", data={"csrf_token": csrf, "version": "1", "drug": "ibuprofen"}
    )
    stale = client.post(
        f"/patients/{patient_id}/add/medications", data={"csrf_token": csrf, "version": "1", "drug": "omeprazole"}
    )
    assert stale.status_code == 409 and "What you entered is kept below" in stale.text
    assert 'value="omeprazole"' in stale.text
    data, version = record(app, patient_id)
    assert [m["drug"] for m in data["medications"]] == ["ibuprofen"] and version == 2
    removed = client.post(f"/patients/{patient_id}/remove/medications/0", data={"csrf_token": csrf, "version": "2"})
    assert removed.status_code == 303
    assert record(app, patient_id)[0]["medications"] == []
    assert client.get(f"/patients/{patient_id}/add/nothing").status_code == 404


def test_an_empty_form_field_named_like_a_dict_method_stays_empty(client: TestClient):
    # regression: a field called "items" rendered Jinja's fallback to dict.items, which a browser
    # then posted back (found by the end-to-end test)
    patient_id, _ = new_patient(client)
    page = client.get(f"/patients/{patient_id}/add/scales")
    assert 'name="items" value=""' in page.text
    assert "built-in method" not in page.text


def test_an_entry_is_edited_in_place_keeping_what_its_form_does_not_show(app: FastAPI, client: TestClient):
    patient_id, csrf = new_patient(client)
    before, _ = record(app, patient_id)
    trial = before["trials"][0]
    assert trial.get("doses"), "the example's first trial has dose changes"
    page = client.get(f"/patients/{patient_id}/edit/trials/0")
    assert page.status_code == 200 and f'value="{trial["treatment"]}"' in page.text
    assert f'value="{trial["stop"]}"' in page.text and f'action="/patients/{patient_id}/edit/trials/0"' in page.text
    values = {"csrf_token": csrf, "version": "1", "id": trial["id"], "treatment": trial["treatment"]}
    values |= {"start": trial["start"], "stop": "2025-04-21", "adherence": "partial"}
    saved = client.post(f"/patients/{patient_id}/edit/trials/0", data=values)
    assert saved.status_code == 303, saved.text
    after, version = record(app, patient_id)
    assert version == 2 and after["trials"][0]["stop"] == "2025-04-21" and after["trials"][0]["adherence"] == "partial"
    assert after["trials"][0]["doses"] == trial["doses"]  # not on the form, kept
    assert after["trials"][1:] == before["trials"][1:]
    with app.state.sessions() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last.action == "update" and "trials[0] edited" in last.detail


def test_a_bad_edit_is_shown_at_its_field_and_a_stale_one_is_refused(app: FastAPI, client: TestClient):
    patient_id, csrf = new_patient(client)
    before, _ = record(app, patient_id)
    trial = before["trials"][0]
    blanked = {"csrf_token": csrf, "version": "1", "id": trial["id"], "treatment": "", "start": trial["start"]}
    bad = client.post(f"/patients/{patient_id}/edit/trials/0", data=blanked)
    assert bad.status_code == 422
    treatment = bad.text.split('name="treatment"', 1)[1].split("</label>", 1)[0]
    assert 'aria-invalid="true"' in treatment and "this required field" in treatment
    assert record(app, patient_id) == (before, 1)
    client.post(f"/patients/{patient_id}/assess", data={"csrf_token": csrf})  # does not change the record
    good = blanked | {"treatment": trial["treatment"]}
    assert client.post(f"/patients/{patient_id}/edit/trials/0", data=good).status_code == 303
    stale = client.post(f"/patients/{patient_id}/edit/trials/0", data=good | {"stop": "2025-05-05"})
    assert stale.status_code == 409 and "What you entered is kept below" in stale.text
    assert 'value="2025-05-05"' in stale.text
    assert client.get(f"/patients/{patient_id}/edit/trials/99").status_code == 404
    assert client.get(f"/patients/{patient_id}/edit/doses/0").status_code == 404  # nested: not by index


def test_a_tms_course_its_screen_thresholds_and_sessions_through_forms(app: FastAPI, client: TestClient):
    patient_id, csrf = new_patient(client)
    form = client.get(f"/patients/{patient_id}/add/tms_courses")
    protocols = form.text.split('name="protocol"', 1)[1].split("</select>", 1)[0]
    assert "<option >standard-10hz</option>" in protocols.replace("<option selected>", "<option >")
    assert 'name="head"' not in form.text and 'name="sessions"' not in form.text  # nested: own forms

    def post(url: str, **values: str) -> None:
        response = client.post(url, data={"csrf_token": csrf, "version": str(record(app, patient_id)[1])} | values)
        assert response.status_code == 303, response.text

    post(f"/patients/{patient_id}/add/tms_courses", id="c1", protocol="standard-10hz", start="2025-09-01")
    screen = client.get(f"/patients/{patient_id}/add/tms_screen")
    assert "<option >seizure_history</option>" in screen.text.replace("<option selected>", "<option >")
    post(f"/patients/{patient_id}/add/tms_screen", parent="c1", item="seizure_history", answer="no")
    post(f"/patients/{patient_id}/add/motor_thresholds", parent="c1", date="2025-09-01", output_pct="55", method="emg")
    post(f"/patients/{patient_id}/add/tms_sessions", parent="c1", date="2025-09-01", intensity_pct_mt="120")
    post(f"/patients/{patient_id}/add/tms_sessions", parent="c1", date="2025-09-02", intensity_pct_mt="120")
    course = record(app, patient_id)[0]["tms_courses"][0]
    assert course["screen"] == [{"item": "seizure_history", "answer": "no"}]
    assert course["motor_thresholds"][0]["output_pct"] == 55 and len(course["sessions"]) == 2

    page = client.get(f"/patients/{patient_id}")
    sessions = page.text.split('aria-label="tms sessions"', 1)[1].split("</ul>", 1)[0]
    assert "date 2025-09-02" in sessions and "/edit/tms_sessions/0/1" in sessions

    # a nested entry edited in place (its parent cannot change there) and one removed
    edit = client.get(f"/patients/{patient_id}/edit/tms_sessions/0/1")
    assert 'value="2025-09-02"' in edit.text and 'name="parent"' not in edit.text
    post(f"/patients/{patient_id}/edit/tms_sessions/0/1", date="2025-09-02", intensity_pct_mt="120", pulses="3000")
    post(f"/patients/{patient_id}/remove/motor_thresholds/0/0")
    course = record(app, patient_id)[0]["tms_courses"][0]
    assert course["sessions"][1] == {"date": "2025-09-02", "intensity_pct_mt": 120, "pulses": 3000}
    assert course["sessions"][0]["date"] == "2025-09-01" and course["motor_thresholds"] == []

    bad = client.post(
        f"/patients/{patient_id}/edit/tms_sessions/0/0",
        data={"csrf_token": csrf, "version": str(record(app, patient_id)[1]), "date": "2025-09-01", "pulses": "-1"},
    )
    assert bad.status_code == 422
    pulses = bad.text.split('name="pulses"', 1)[1].split("</label>", 1)[0]
    assert 'aria-invalid="true"' in pulses
    assert client.get(f"/patients/{patient_id}/edit/tms_sessions/5/0").status_code == 404
    assert client.get(f"/patients/{patient_id}/edit/tms_sessions/0").status_code == 404  # needs its course


def test_a_courses_head_measurements_and_coil_depths_are_fields_of_its_form(app: FastAPI, client: TestClient):
    patient_id, csrf = new_patient(client)
    form = client.get(f"/patients/{patient_id}/add/tms_courses")
    assert 'name="head.tragus_tragus"' in form.text and 'name="depth.target_mm"' in form.text
    course = {"csrf_token": csrf, "id": "c1", "protocol": "standard-10hz", "start": "2025-09-01"}
    head = {"head.tragus_tragus": "36", "head.nasion_inion": "38", "head.circumference": "60"}
    half = client.post(
        f"/patients/{patient_id}/add/tms_courses", data=course | {"version": "1", "head.tragus_tragus": "36"}
    )
    assert half.status_code == 422  # an object half filled: its missing fields are named at the fields
    missing = half.text.split('name="head.nasion_inion"', 1)[1].split("</label>", 1)[0]
    assert 'aria-invalid="true"' in missing and "this required field" in missing
    saved = client.post(f"/patients/{patient_id}/add/tms_courses", data=course | {"version": "1"} | head)
    assert saved.status_code == 303, saved.text
    entry = record(app, patient_id)[0]["tms_courses"][0]
    assert entry["head"] == {"tragus_tragus": 36, "nasion_inion": 38, "circumference": 60}
    assert "depth" not in entry  # nothing typed, nothing made
    edit = client.get(f"/patients/{patient_id}/edit/tms_courses/0")
    assert 'name="head.circumference" value="60"' in edit.text
    cleared = course | {"version": "2", "depth.motor_mm": "14", "depth.target_mm": "17"}
    assert client.post(f"/patients/{patient_id}/edit/tms_courses/0", data=cleared).status_code == 303
    entry = record(app, patient_id)[0]["tms_courses"][0]
    assert "head" not in entry and entry["depth"] == {"motor_mm": 14, "target_mm": 17}
