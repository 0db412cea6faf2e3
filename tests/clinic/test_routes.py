"""The clinic app over HTTP, on SQLite and on PostgreSQL: login, deny by default, import,
assess, report, export, edit with optimistic locking, CSRF, roles, and the audit trail."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update

from conftest import PASSWORD, csrf_of, login
from trdnav.clinic.store.models import AuditEvent, LoginSession, Patient, StoredAssessment

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "records" / "01-two-ssri-failures.json"


def actions(app: FastAPI) -> list[str]:
    with app.state.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def count(app: FastAPI, model: type) -> int:
    with app.state.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def imported(client: TestClient, csrf: str, path: Path | None = EXAMPLE, text: str | None = None) -> int:
    body = text if text is not None else (path or EXAMPLE).read_text()
    response = client.post("/patients/new", data={"record_json": body, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def all_routes(app: FastAPI) -> list:
    """Every route, including those of included routers (held behind a wrapper)."""
    found = []
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        found += list(inner.routes) if inner is not None else [route]
    return found


def test_every_patient_route_refuses_an_unauthenticated_request(app: FastAPI, client: TestClient):
    checked = 0
    for route in all_routes(app):
        path = getattr(route, "path", "")
        if not path.startswith(("/patients", "/admin")):
            continue
        url = path.replace("{patient_id}", "1").replace("{kind}", "pdf")
        for method in sorted(getattr(route, "methods", ())):
            response = client.request(method, url, data={"csrf_token": "x"})
            if method == "GET":
                assert (response.status_code, response.headers.get("location")) == (303, "/login"), url
            else:
                assert response.status_code == 401, (method, url)
            checked += 1
    assert checked >= 10
    assert count(app, AuditEvent) == 0  # nothing was read


def test_login_with_a_wrong_password_is_refused_and_audited(app: FastAPI, client: TestClient):
    page = client.get("/login")
    response = client.post("/login", data={"username": "clin", "password": "nope", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 401 and "wrong password" in response.text
    assert actions(app) == ["login_attempt", "login_failed"]


def test_the_session_cookie_is_secure_httponly_and_strict(client: TestClient):
    page = client.get("/login")
    response = client.post("/login", data={"username": "clin", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_import_assess_view_report_export(app: FastAPI, client: TestClient):
    csrf = login(client)
    patient_id = imported(client, csrf)
    page = client.get(f"/patients/{patient_id}")
    assert page.status_code == 200
    assert "example-01" in page.text and "TRD verdicts" in page.text and "trd" in page.text
    listing = client.get("/patients")
    assert "example-01" in listing.text and "sforzini2022: trd" in listing.text
    pdf = client.get(f"/patients/{patient_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = client.get(f"/patients/{patient_id}/report.html")
    assert html.status_code == 200 and "Sources" in html.text
    exported = client.get(f"/patients/{patient_id}/record.json")
    assert json.loads(exported.text) == json.loads(EXAMPLE.read_text())
    with app.state.sessions() as session:
        stored = session.scalars(select(StoredAssessment)).one()
        assert stored.kb_version == app.state.kb.kb_version and stored.record_version == 1
    assert actions(app) == [
        "login_attempt", "login", "create", "read", "list_patients", "report_pdf", "report_html", "export",
    ]  # fmt: skip


def test_a_bad_record_is_not_saved_and_comes_back_unchanged(app: FastAPI, client: TestClient):
    csrf = login(client)
    record = json.loads(EXAMPLE.read_text())
    record["trials"][0]["treatment"] = "sertralin"
    sent = json.dumps(record)
    response = client.post("/patients/new", data={"record_json": sent, "csrf_token": csrf})
    assert response.status_code == 422
    assert "trials[0].treatment" in response.text and "did you mean" in response.text
    assert sent in html.unescape(response.text)  # the text, as sent
    assert count(app, Patient) == 0
    broken = client.post("/patients/new", data={"record_json": "{not json", "csrf_token": csrf})
    assert broken.status_code == 422 and "valid JSON" in broken.text


def test_a_second_patient_with_the_same_id_is_refused(app: FastAPI, client: TestClient):
    csrf = login(client)
    imported(client, csrf)
    again = client.post("/patients/new", data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf})
    assert again.status_code == 422 and "no other patient here has" in again.text
    assert count(app, Patient) == 1


def test_a_patient_id_longer_than_the_column_is_refused_by_name(app: FastAPI, client: TestClient):
    csrf = login(client)
    record = json.loads(EXAMPLE.read_text())
    record["patient"]["id"] = "p" * 101
    response = client.post("/patients/new", data={"record_json": json.dumps(record), "csrf_token": csrf})
    assert response.status_code == 422 and "patient.id: got 101 characters; expected at most 100" in response.text
    assert count(app, Patient) == 0


def test_downloads_are_named_safely_whatever_the_patient_id_holds(app: FastAPI, client: TestClient):
    csrf = login(client)
    record = json.loads(EXAMPLE.read_text())
    record["patient"]["id"] = 'Zoë "x"; filename=evil.exe'
    created = client.post("/patients/new", data={"record_json": json.dumps(record), "csrf_token": csrf})
    patient_id = int(created.headers["location"].rsplit("/", 1)[1])
    for path, name in (("record.json", ".json"), ("report.pdf", "-report.pdf")):
        response = client.get(f"/patients/{patient_id}/{path}")
        assert response.status_code == 200
        disposition = response.headers["content-disposition"]
        fallback = "Zo___x___filename_evil.exe" + name
        assert disposition == (
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''Zo%C3%AB%20%22x%22%3B%20filename%3Devil.exe{name}"
        )


def test_concurrent_edits_the_loser_is_told_and_loses_nothing(app: FastAPI, client: TestClient):
    csrf = login(client)
    patient_id = imported(client, csrf)
    form = client.get(f"/patients/{patient_id}/edit")
    assert 'name="version" value="1"' in form.text
    first = json.loads(EXAMPLE.read_text())
    first["screens"] = []
    saved = client.post(
        f"/patients/{patient_id}/edit", data={"record_json": json.dumps(first), "version": "1", "csrf_token": csrf}
    )
    assert saved.status_code == 303
    second = json.loads(EXAMPLE.read_text())
    second["labs"] = []
    mine = json.dumps(second)
    lost = client.post(f"/patients/{patient_id}/edit", data={"record_json": mine, "version": "1", "csrf_token": csrf})
    assert lost.status_code == 409
    assert "saved this record" in lost.text and "What you entered is kept below" in lost.text
    assert mine in html.unescape(lost.text)
    with app.state.sessions() as session:
        patient = session.get(Patient, patient_id)
        assert patient.version == 2 and json.loads(patient.record_json)["screens"] == []
        assert session.scalar(select(func.count()).select_from(StoredAssessment)) == 2
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    # the refused page shows the current record: audited as a read
    assert (last.action, last.detail) == ("read", "current record shown beside a refused save")


def test_the_page_asks_to_reassess_when_the_knowledge_base_moved(app: FastAPI, client: TestClient):
    csrf = login(client)
    patient_id = imported(client, csrf)
    with app.state.sessions() as session:
        session.execute(text("UPDATE assessments SET kb_version = 'older'"))
        session.commit()
    page = client.get(f"/patients/{patient_id}")
    assert "The knowledge base or engine moved (assessed with older" in page.text
    client.post(f"/patients/{patient_id}/assess", data={"csrf_token": csrf})
    assert "moved" not in client.get(f"/patients/{patient_id}").text


def test_a_form_without_the_csrf_token_is_refused(app: FastAPI, client: TestClient):
    login(client)
    response = client.post("/patients/new", data={"record_json": EXAMPLE.read_text()})
    assert response.status_code == 403
    assert count(app, Patient) == 0


def test_only_an_admin_sees_the_audit_log(app: FastAPI, client: TestClient):
    login(client)
    assert client.get("/admin/audit").status_code == 403
    client.cookies.clear()
    login(client, "boss")
    page = client.get("/admin/audit")
    assert page.status_code == 200 and "login" in page.text


def test_the_audit_table_is_append_only(app: FastAPI, client: TestClient):
    login(client)
    with app.state.engine.connect() as connection:
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(Exception, match="append-only"), connection.begin():
                connection.execute(text(statement))
    assert actions(app) == ["login_attempt", "login"]


def test_logout_ends_the_session(client: TestClient):
    csrf = login(client)
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/patients").status_code == 303


def test_a_copy_of_the_cookie_stops_working_at_logout(app: FastAPI, client: TestClient):
    csrf = login(client)
    copied = client.cookies.get("trdnav_session")
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as other:
        other.cookies.set("trdnav_session", copied)
        assert other.get("/patients").status_code == 200  # the same login, from elsewhere
        client.post("/logout", data={"csrf_token": csrf})
        assert other.get("/patients").status_code == 303  # ended on the server, not only here


def test_a_login_older_than_the_session_limit_is_refused(app: FastAPI, client: TestClient):
    login(client)
    assert client.get("/patients").status_code == 200
    with app.state.sessions() as session:
        hours = app.state.settings.session_hours + 1
        session.execute(update(LoginSession).values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)))
        session.commit()
    assert client.get("/patients").status_code == 303
    # the next login clears ended and expired logins; only the new one is left
    csrf = login(client)
    client.post("/logout", data={"csrf_token": csrf})
    login(client)
    with app.state.sessions() as session:
        rows = session.scalars(select(LoginSession)).all()
        assert len(rows) == 1 and rows[0].ended_at is None


def test_a_forged_csrf_token_of_any_text_is_refused_not_an_error(client: TestClient):
    login(client)
    for forged in ("é" * 43, "\u202e" + "x" * 42, ""):
        response = client.post("/logout", data={"csrf_token": forged})
        assert response.status_code == 403, forged


def test_the_dashboard_table_refreshes_alone_and_is_audited(app: FastAPI, client: TestClient):
    csrf = login(client)
    patient_id = imported(client, csrf)
    page = client.get("/patients")
    assert 'hx-get="/patients/table"' in page.text and 'hx-trigger="every 60s"' in page.text
    # the script is served from the app itself: no CDN
    script = page.text.split('<script src="', 1)[1].split('"', 1)[0]
    assert script.startswith("/static/") and client.get(script).status_code == 200
    fragment = client.get("/patients/table", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<table id="patients"') and "<html" not in fragment.text
    assert f'href="/patients/{patient_id}"' in fragment.text
    assert actions(app)[-1] == "list_patients"
    with app.state.sessions() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None and "(refresh)" in (last.detail or "")


def test_a_refresh_after_the_session_ended_moves_the_whole_page_to_login(client: TestClient):
    response = client.get("/patients/table", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"
    assert "<table" not in response.text


def test_the_patient_page_shows_each_change_with_its_author_and_time(app: FastAPI, client: TestClient):
    csrf = login(client)
    patient_id = imported(client, csrf)
    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, "boss")
    changed = json.loads(EXAMPLE.read_text())
    changed["screens"] = []
    saved = client.post(
        f"/patients/{patient_id}/edit", data={"record_json": json.dumps(changed), "version": "1", "csrf_token": csrf}
    )
    assert saved.status_code == 303
    page = client.get(f"/patients/{patient_id}")
    rows = page.text.split('aria-label="Changes"', 1)[1].split("</table>", 1)[0].split("<tr>")[2:]
    # newest first; reads (this page view included) are not changes
    assert "boss" in rows[0] and "update: record edited; record version 2" in rows[0]
    assert "clin" in rows[1] and "create: record imported and assessed" in rows[1]
    assert len(rows) == 2
    with app.state.sessions() as session:
        times = [e.at for e in session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["create", "update"])))]
    assert all(f"{t:%Y-%m-%d %H:%M}" in page.text for t in times)


def test_every_patient_read_and_write_adds_an_audit_row(app: FastAPI, client: TestClient):
    """Walks every route that touches patient data; a new route without a line here fails."""
    csrf = login(client)
    pid = imported(client, csrf)
    record = json.loads(EXAMPLE.read_text())

    def version() -> str:
        with app.state.sessions() as session:
            return str(session.get(Patient, pid).version)

    def link() -> httpx2.Response:
        return client.post(f"/patients/{pid}/self-report", data={"instrument": "phq9", "csrf_token": csrf})

    token_path = link().text.split('value="https://testserver/r/', 1)[1].split('"', 1)[0]
    requests = {
        ("GET", "/patients"): lambda: client.get("/patients"),
        ("GET", "/patients/table"): lambda: client.get("/patients/table"),
        ("POST", "/patients/new"): lambda: client.post(
            "/patients/new",
            data={
                "record_json": json.dumps(record | {"patient": record["patient"] | {"id": "other"}}),
                "csrf_token": csrf,
            },
        ),
        ("GET", "/patients/{patient_id}"): lambda: client.get(f"/patients/{pid}"),
        ("POST", "/patients/{patient_id}/assess"): lambda: client.post(
            f"/patients/{pid}/assess", data={"csrf_token": csrf}
        ),
        ("GET", "/patients/{patient_id}/edit"): lambda: client.get(f"/patients/{pid}/edit"),
        ("POST", "/patients/{patient_id}/edit"): lambda: client.post(
            f"/patients/{pid}/edit", data={"record_json": json.dumps(record), "version": version(), "csrf_token": csrf}
        ),
        ("GET", "/patients/{patient_id}/versions/{version}"): lambda: client.get(f"/patients/{pid}/versions/1"),
        ("GET", "/patients/{patient_id}/record.json"): lambda: client.get(f"/patients/{pid}/record.json"),
        ("GET", "/patients/{patient_id}/report.{kind}"): lambda: client.get(f"/patients/{pid}/report.html"),
        ("GET", "/patients/{patient_id}/add/{collection}"): lambda: client.get(f"/patients/{pid}/add/conditions"),
        ("POST", "/patients/{patient_id}/add/{collection}"): lambda: client.post(
            f"/patients/{pid}/add/conditions",
            data={"name": "hypertension", "version": version(), "csrf_token": csrf},
        ),
        ("GET", "/patients/{patient_id}/edit/{collection}/{index}"): lambda: client.get(
            f"/patients/{pid}/edit/conditions/0"
        ),
        ("POST", "/patients/{patient_id}/edit/{collection}/{index}"): lambda: client.post(
            f"/patients/{pid}/edit/conditions/0",
            data={"name": "hypertension", "status": "active", "version": version(), "csrf_token": csrf},
        ),
        ("GET", "/patients/{patient_id}/edit/{collection}/{owner}/{index}"): lambda: client.get(
            f"/patients/{pid}/edit/doses/0/1"
        ),
        ("POST", "/patients/{patient_id}/edit/{collection}/{owner}/{index}"): lambda: client.post(
            f"/patients/{pid}/edit/doses/0/1",
            data={"date": "2025-02-03", "dose": "100", "unit": "mg/day", "version": version(), "csrf_token": csrf},
        ),
        ("POST", "/patients/{patient_id}/remove/{collection}/{owner}/{index}"): lambda: client.post(
            f"/patients/{pid}/remove/doses/0/1", data={"version": version(), "csrf_token": csrf}
        ),
        ("POST", "/patients/{patient_id}/remove/{collection}/{index}"): lambda: client.post(
            f"/patients/{pid}/remove/conditions/0", data={"version": version(), "csrf_token": csrf}
        ),
        ("POST", "/patients/{patient_id}/self-report"): link,
        ("GET", "/r/{token}"): lambda: client.get(f"/r/{token_path}"),
        ("POST", "/r/{token}"): lambda: client.post(f"/r/{token_path}", data={f"item{n}": "1" for n in range(1, 10)}),
    }
    # pages that show or take no patient data
    exempt = {("GET", "/patients/new"), ("GET", "/"), ("GET", "/login"), ("GET", "/healthz"), ("GET", "/admin/audit")}
    exempt |= {("POST", "/login"), ("POST", "/logout")}  # audited as logins, tested above
    routes = {(m, r.path) for r in all_routes(app) for m in getattr(r, "methods", ()) if m != "HEAD"}
    assert routes - exempt == set(requests), "every route that touches patient data has a request here"
    for (method, path), send in requests.items():
        with app.state.sessions() as session:
            before = session.scalar(select(func.max(AuditEvent.id))) or 0
        assert send().status_code < 400, (method, path)
        with app.state.sessions() as session:
            rows = session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
        assert rows, f"{method} {path} left no audit row"
        assert all(r.patient_id is not None or r.action == "list_patients" for r in rows), (method, path)


FAIL_ASSESSMENT_INSERTS = {
    "sqlite": [
        "CREATE TRIGGER fail_insert BEFORE INSERT ON assessments BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk trouble'; END $$",
        "CREATE TRIGGER fail_insert BEFORE INSERT ON assessments FOR EACH ROW EXECUTE FUNCTION fail_insert()",
    ],
}


def test_a_database_failure_mid_write_rolls_back_the_whole_change(app: FastAPI, client: TestClient):
    csrf = login(client)
    patient_id = imported(client, csrf)
    before = actions(app)
    # a real failure inside the save: the record row is updated, then storing its assessment fails
    with app.state.engine.begin() as connection:
        for statement in FAIL_ASSESSMENT_INSERTS[app.state.engine.dialect.name]:
            connection.execute(text(statement))
    changed = json.loads(EXAMPLE.read_text())
    changed["patient"]["sex"] = "female"
    response = client.post(
        f"/patients/{patient_id}/edit", data={"record_json": json.dumps(changed), "version": "1", "csrf_token": csrf}
    )
    assert response.status_code == 503 and "nothing was saved" in response.text
    assert "Traceback" not in response.text and "female" not in response.text
    with app.state.sessions() as session:
        patient = session.get(Patient, patient_id)
        assert patient.version == 1 and patient.record_json == EXAMPLE.read_text()
        assert session.scalar(select(func.count()).select_from(StoredAssessment)) == 1
    assert actions(app) == before  # no audit row for a change that did not happen


XSS = "<script>alert(1)</script>"


def test_record_text_is_escaped_on_every_page(app: FastAPI, client: TestClient):
    """Patient-controlled text (a co-medication or condition name) never becomes markup."""
    csrf = login(client)
    record = json.loads(EXAMPLE.read_text())
    record["medications"] = [{"drug": XSS}]
    record["conditions"] = [{"name": XSS}]
    patient_id = imported(client, csrf, path=None, text=json.dumps(record))
    client.post(f"/patients/{patient_id}/add/conditions", data={"name": XSS + "2", "version": "1", "csrf_token": csrf})
    pages = [
        "/patients",
        "/patients/table",
        f"/patients/{patient_id}",
        f"/patients/{patient_id}/edit",
        f"/patients/{patient_id}/edit/conditions/0",
        f"/patients/{patient_id}/add/conditions",
        f"/patients/{patient_id}/versions/2",
        f"/patients/{patient_id}/report.html",
    ]
    shown = 0
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        assert "<script>alert(1)" not in page.text, url
        shown += "&lt;script&gt;alert(1)" in page.text
    assert shown >= 5  # the text is there, escaped
    bad = client.post(
        f"/patients/{patient_id}/add/conditions", data={"onset": XSS, "name": "x", "version": "2", "csrf_token": csrf}
    )
    assert bad.status_code == 422 and "<script>alert(1)" not in bad.text


def test_pages_carry_the_security_headers_and_patient_pages_are_not_cached(client: TestClient):
    login_page = client.get("/login")
    policy = login_page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'self'" in policy and "object-src 'none'" in policy
    assert login_page.headers["referrer-policy"] == "no-referrer"
    assert login_page.headers["x-content-type-options"] == "nosniff"
    csrf = login(client)
    patient_id = imported(client, csrf)
    for url in ("/patients", f"/patients/{patient_id}", f"/patients/{patient_id}/record.json"):
        assert client.get(url).headers["cache-control"] == "no-store", url


def test_an_account_locks_after_repeated_failed_logins(app: FastAPI, client: TestClient):
    import datetime as dt

    from trdnav.clinic.routes.auth import LOCK_MINUTES, MAX_FAILURES

    def attempt(username: str, password: str) -> int:
        page = client.get("/login")
        data = {"username": username, "password": password, "csrf_token": csrf_of(page.text)}
        return client.post("/login", data=data).status_code

    assert [attempt("clin", "nope") for _ in range(MAX_FAILURES)] == [401] * MAX_FAILURES
    assert attempt("clin", PASSWORD) == 429  # even the right password, for the rest of the window
    assert actions(app)[-1] == "login_locked"
    # failures older than the window do not count (the audit table takes inserts, never updates)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=LOCK_MINUTES + 1)
    with app.state.sessions() as session:
        for _ in range(MAX_FAILURES):
            session.add(AuditEvent(at=old, username="boss", action="login_failed", detail="", client=""))
        session.commit()
    assert attempt("boss", PASSWORD) == 303  # and other accounts are not affected


def test_guesses_sent_in_parallel_cannot_exceed_the_lockout(app: FastAPI):
    """Each attempt is counted before its password is checked, so parallel guesses see each
    other: no more than MAX_FAILURES passwords are ever checked in the window."""
    from concurrent.futures import ThreadPoolExecutor

    from trdnav.clinic.routes.auth import MAX_FAILURES

    guesses = MAX_FAILURES * 2
    clients = [TestClient(app, base_url="https://testserver", follow_redirects=False) for _ in range(guesses)]
    forms = []
    for c in clients:
        c.__enter__()
        forms.append({"username": "clin", "password": "nope", "csrf_token": csrf_of(c.get("/login").text)})
    try:
        with ThreadPoolExecutor(max_workers=guesses) as pool:
            codes = list(
                pool.map(
                    lambda pair: pair[0].post("/login", data=pair[1]).status_code, zip(clients, forms, strict=True)
                )
            )
    finally:
        for c in clients:
            c.__exit__(None, None, None)
    assert sorted(set(codes)) == [401, 429] and codes.count(401) <= MAX_FAILURES
    assert actions(app).count("login_failed") <= MAX_FAILURES


def test_an_unknown_user_name_costs_a_password_check_like_a_known_one(client: TestClient, monkeypatch):
    from trdnav.clinic.routes import auth

    checks = []
    monkeypatch.setattr(auth, "spend_a_verification", lambda password: checks.append(password))
    page = client.get("/login")
    client.post("/login", data={"username": "nobody", "password": "guess", "csrf_token": csrf_of(page.text)})
    assert checks == ["guess"]
    client.post("/login", data={"username": "clin", "password": "guess", "csrf_token": csrf_of(page.text)})
    assert checks == ["guess"]  # a known name's check is the real one


def test_tampered_fields_and_deep_json_get_a_named_error_not_a_crash(app: FastAPI, client: TestClient):
    csrf = login(client)
    patient_id = imported(client, csrf)
    for url in (f"/patients/{patient_id}/edit", f"/patients/{patient_id}/add/conditions"):
        data = {"record_json": EXAMPLE.read_text(), "name": "x", "version": "one", "csrf_token": csrf}
        response = client.post(url, data=data)
        assert response.status_code == 422 and "version" in response.text and "Traceback" not in response.text, url
    removed = client.post(f"/patients/{patient_id}/remove/trials/0", data={"version": "", "csrf_token": csrf})
    assert removed.status_code == 422 and "version" in removed.text
    assert client.get("/patients/abc").status_code == 422
    deep = client.post("/patients/new", data={"record_json": "[" * 100_000, "csrf_token": csrf})
    assert deep.status_code == 422 and "nested too deeply" in deep.text
    with app.state.sessions() as session:
        assert session.get(Patient, patient_id).version == 1


def test_a_body_over_the_cap_is_refused_before_the_app_reads_it(app: FastAPI, client: TestClient):
    from trdnav.clinic.limits import MAX_BODY_BYTES

    csrf = login(client)
    huge = {"record_json": "x" * (MAX_BODY_BYTES + 1), "csrf_token": csrf}
    assert client.post("/patients/new", data=huge).status_code == 413

    def chunks():  # no Content-Length: sent chunked
        for _ in range(6):
            yield b"a" * (1024 * 1024)

    chunked = client.post(
        "/patients/new", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert chunked.status_code == 413
    assert count(app, Patient) == 0
    assert client.get("/patients").status_code == 200  # the app carries on
