"""Self-report links: single use, expiring, no account, answers land in the record, and a
PHQ-9 item 9 answer above 0 shows as an alert on the dashboard at once (the engine's
safety-item warning, from the re-assessment stored with the answers)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from conftest import login
from trdnav.clinic.store.models import AuditEvent, Patient, RecordVersion, StoredAssessment

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "records" / "01-two-ssri-failures.json"
ANSWERS = [1, 2, 1, 2, 1, 1, 0, 0, 1]  # item 9 (thoughts of self-harm) answered "several days"


def make_link(client: TestClient, csrf: str, hours: int = 72) -> tuple[int, str]:
    created = client.post("/patients/new", data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf})
    patient_id = int(created.headers["location"].rsplit("/", 1)[1])
    page = client.post(
        f"/patients/{patient_id}/self-report", data={"instrument": "phq9", "hours": str(hours), "csrf_token": csrf}
    )
    assert page.status_code == 200, page.text
    url = re.search(r'value="(https://testserver/r/[^"]+)"', page.text)
    assert url, "the link is shown once"
    return patient_id, url.group(1).removeprefix("https://testserver")


def answered(values: list[int]) -> dict[str, str]:
    return {f"item{n}": str(v) for n, v in enumerate(values, 1)}


def test_a_patient_answers_without_an_account_and_the_alert_shows_at_once(app: FastAPI, client: TestClient):
    patient_id, path = make_link(client, login(client))
    with TestClient(app, base_url="https://testserver") as phone:  # no session: the patient's phone
        form = phone.get(path)
        assert form.status_code == 200 and "Little interest or pleasure in doing things" in form.text
        done = phone.post(path, data=answered(ANSWERS))
        assert done.status_code == 200 and "Thank you" in done.text
        assert phone.get(path).status_code == 410  # single use
    with app.state.sessions() as session:
        record = json.loads(session.get(Patient, patient_id).record_json)
        assert record["scales"][-1]["items"] == ANSWERS
        latest = session.scalars(select(StoredAssessment).order_by(StoredAssessment.id.desc())).first()
        warnings = json.loads(latest.assessment_json)["warnings"]
        assert any(w["kind"] == "safety" and "item 9" in w["message"] for w in warnings)
        assert latest.record_version == 2
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    # the refused second visit reads nothing and leaves no row
    assert actions[-3:] == ["self_report_link", "self_report_open", "self_report_submit"]
    listing = client.get("/patients")
    assert "item 9" in listing.text  # the dashboard's alert column


def test_unanswered_questions_are_asked_again_and_nothing_is_saved(app: FastAPI, client: TestClient):
    patient_id, path = make_link(client, login(client))
    with TestClient(app, base_url="https://testserver") as phone:
        partial = phone.post(path, data=answered(ANSWERS[:7]))
        assert partial.status_code == 422 and "missing: 8, 9" in partial.text
        assert phone.get(path).status_code == 200  # still usable
    with app.state.sessions() as session:
        assert session.get(Patient, patient_id).version == 1


def test_an_expired_or_unknown_link_is_gone(app: FastAPI, client: TestClient):
    _, path = make_link(client, login(client))
    with app.state.sessions() as session:
        session.execute(text("UPDATE self_report_links SET expires_at = '2000-01-01 00:00:00+00'"))
        session.commit()
    with TestClient(app, base_url="https://testserver") as phone:
        assert phone.get(path).status_code == 410
        assert phone.get("/r/not-a-token").status_code == 410
        assert phone.post(path, data=answered(ANSWERS)).status_code == 410


def test_bad_link_requests_are_refused(app: FastAPI, client: TestClient):
    csrf = login(client)
    created = client.post("/patients/new", data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf})
    patient_id = int(created.headers["location"].rsplit("/", 1)[1])
    wrong = client.post(f"/patients/{patient_id}/self-report", data={"instrument": "beck", "csrf_token": csrf})
    assert wrong.status_code == 422 and "instrument" in wrong.text
    long = client.post(
        f"/patients/{patient_id}/self-report", data={"instrument": "phq9", "hours": "1000", "csrf_token": csrf}
    )
    assert long.status_code == 422 and "hours" in long.text


def test_a_self_report_that_lands_during_an_edit_wins_and_the_editor_is_told_who(app: FastAPI, client: TestClient):
    csrf = login(client)
    patient_id, path = make_link(client, csrf)
    form = client.get(f"/patients/{patient_id}/edit")
    assert 'name="version" value="1"' in form.text
    with TestClient(app, base_url="https://testserver") as phone:
        assert phone.post(path, data=answered(ANSWERS)).status_code == 200
    mine = EXAMPLE.read_text()
    lost = client.post(f"/patients/{patient_id}/edit", data={"record_json": mine, "version": "1", "csrf_token": csrf})
    assert lost.status_code == 409 and "the patient (self-report) saved this record" in lost.text
    with app.state.sessions() as session:
        assert json.loads(session.get(Patient, patient_id).record_json)["scales"][-1]["items"] == ANSWERS
    with app.state.sessions() as session:
        kept = session.scalars(select(RecordVersion).order_by(RecordVersion.version)).all()
        assert [(v.version, v.source) for v in kept] == [(1, "clin"), (2, "self-report")]
    page = client.get(f"/patients/{patient_id}")
    history = page.text.split('aria-label="Changes"', 1)[1]
    assert "self-report" in history and "self report submit: phq9 via link" in history


def test_a_late_reassessment_of_an_older_version_does_not_hide_the_alert(app: FastAPI, client: TestClient):
    """A re-assessment that read the record before the self-report landed is stored after it.
    The newest record version's assessment stays the latest: its item-9 alert must not vanish."""
    patient_id, path = make_link(client, login(client))
    with TestClient(app, base_url="https://testserver") as phone:
        assert phone.post(path, data=answered(ANSWERS)).status_code == 200
    with app.state.sessions() as session:
        first = session.scalars(
            select(StoredAssessment).where(StoredAssessment.record_version == 1).order_by(StoredAssessment.id)
        ).first()
        # what the slow re-assessment of version 1 stores, after the self-report's version 2
        late = StoredAssessment(
            patient_id=patient_id,
            record_version=1,
            as_of=first.as_of,
            engine_version=first.engine_version,
            kb_version=first.kb_version,
            assessment_json=first.assessment_json,
            summary_json=first.summary_json,
            created_by=first.created_by,
        )
        session.add(late)
        session.commit()
        assert "item 9" not in (first.summary_json or "")
    assert "item 9" in client.get("/patients").text
    assert "item 9" in client.get("/patients/table").text
    page = client.get(f"/patients/{patient_id}")
    assert "item 9" in page.text and "The record changed after the last assessment" not in page.text


def _edit_in_between(app: FastAPI, monkeypatch, times: int) -> list[int]:
    """A clinician's save lands while the patient's answers are being assessed (`times` times)."""
    from trdnav.clinic.routes import self_report

    original = self_report.assess_text
    calls = [0]

    def assess_then_someone_saves(kb, text, today):  # type: ignore[no-untyped-def]
        result = original(kb, text, today)
        calls[0] += 1
        if calls[0] <= times:
            with app.state.sessions() as other:
                patient = other.scalars(select(Patient)).one()
                record = json.loads(patient.record_json)
                record["patient"]["sex"] = "female" if calls[0] % 2 else "male"
                patient.record_json = json.dumps(record)
                other.commit()
        return result

    monkeypatch.setattr(self_report, "assess_text", assess_then_someone_saves)
    return calls


def test_answers_sent_while_a_clinician_saves_are_added_to_the_newer_record(
    app: FastAPI, client: TestClient, monkeypatch
):
    patient_id, path = make_link(client, login(client))
    calls = _edit_in_between(app, monkeypatch, times=1)
    with TestClient(app, base_url="https://testserver") as phone:
        done = phone.post(path, data=answered(ANSWERS))
        assert done.status_code == 200 and "Thank you" in done.text
    assert calls[0] == 2  # refused once by the version check, then saved on the newer record
    with app.state.sessions() as session:
        patient = session.get(Patient, patient_id)
        record = json.loads(patient.record_json)
        assert record["patient"]["sex"] == "female" and record["scales"][-1]["items"] == ANSWERS
        assert patient.version == 3


def test_answers_that_keep_colliding_are_kept_in_the_form_and_the_link_stays_usable(
    app: FastAPI, client: TestClient, monkeypatch
):
    patient_id, path = make_link(client, login(client))
    _edit_in_between(app, monkeypatch, times=99)
    with TestClient(app, base_url="https://testserver") as phone:
        busy = phone.post(path, data=answered(ANSWERS))
        assert busy.status_code == 503 and 'press "Send my answers" again' in busy.text
        assert busy.text.count("checked") == len(ANSWERS)  # the answers are still filled in
        assert "/patients" not in busy.text  # no link into the staff side
        assert phone.get(path).status_code == 200  # not used up
    with app.state.sessions() as session:
        assert all(
            s.get("items") != ANSWERS for s in json.loads(session.get(Patient, patient_id).record_json)["scales"]
        )
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "self_report_submit")).first() is None


def test_a_database_failure_on_a_self_report_logs_the_route_not_the_token(app: FastAPI, client: TestClient, caplog):
    from test_routes import FAIL_ASSESSMENT_INSERTS

    _, path = make_link(client, login(client))
    with app.state.engine.begin() as connection:
        for statement in FAIL_ASSESSMENT_INSERTS[app.state.engine.dialect.name]:
            connection.execute(text(statement))
    with TestClient(app, base_url="https://testserver") as phone, caplog.at_level("ERROR"):
        failed = phone.post(path, data=answered(ANSWERS))
        assert failed.status_code == 503 and "nothing was saved" in failed.text
        assert "/patients" not in failed.text
        assert phone.get(path).status_code == 200  # the link was not used up
    token = path.removeprefix("/r/")
    assert "POST /r/{token}" in caplog.text and token not in caplog.text
