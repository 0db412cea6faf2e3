"""End to end in a real browser (headless Debian Chromium, driven by Playwright), on SQLite and
on PostgreSQL: log in,
create a patient, enter two failed trials (with their dose changes) and PHQ-9 scores in the
forms, see the TRD verdict and the options,
download the PDF, and complete a self-report link on a phone-sized screen.

Skips when Chromium is missing, unless TRDNAV_REQUIRE_BROWSER=1 (set by .ci/run, which installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from trdnav.clinic.app import create_app
from trdnav.clinic.settings import Settings
from trdnav.clinic.users import add_user

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# the patient and the episode are imported; the trials, dose changes and scores are entered in forms
RECORD = {
    "patient": {"id": "browser-1", "birth_date": "1980-05-01", "sex": "female"},
    "episodes": [{"id": "e1", "start": "2025-01-06", "diagnosis": "mdd", "psychotic_features": False}],
}
TRIALS = [
    ("t1", "sertraline", "2025-01-13", "2025-03-24", [("2025-01-13", "100"), ("2025-01-27", "150")]),
    ("t2", "venlafaxine", "2025-03-24", "2025-06-02", [("2025-03-24", "150"), ("2025-04-07", "225")]),
]
PHQ9 = [("2025-01-13", "20"), ("2025-03-24", "19"), ("2025-06-02", "18")]
# `make screenshots` sets this to docs/screenshots: the README's pictures come from this test
SHOTS = os.environ.get("TRDNAV_SCREENSHOTS")


def shot(page: Any, name: str) -> None:  # playwright's Page, imported inside the test
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a real port, on SQLite and on PostgreSQL (conftest's database_url)."""
    if CHROMIUM is None:
        if os.environ.get("TRDNAV_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required for the browser tests and was not found")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("clinic")
    app = create_app(Settings(folder, database_url, "k" * 48))
    with app.state.sessions() as session:
        add_user(session, "clin", PASSWORD, "clinician")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    thread.join(10)
    app.state.engine.dispose()


def test_a_clinician_and_a_patient_in_a_real_browser(server: str, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        desk = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = desk.new_page()
        page.goto(f"{server}/patients")
        expect(page).to_have_url(f"{server}/login")  # deny by default
        page.get_by_label("User name").fill("clin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Patients")).to_be_visible()

        page.get_by_role("navigation").get_by_role("link", name="Import a record").click()
        page.get_by_label("Record (JSON)").fill(json.dumps(RECORD))
        page.get_by_role("button", name="Check, assess and save").click()
        expect(page.get_by_role("heading", name="Patient browser-1")).to_be_visible()
        patient_url = page.url
        save = page.get_by_role("button", name="Check, assess and save")
        for trial_id, drug, start, stop, doses in TRIALS:
            page.goto(f"{patient_url}/add/trials")
            page.locator("input[name=id]").fill(trial_id)
            page.locator("input[name=treatment]").fill(drug)
            page.locator("input[name=start]").fill(start)
            page.locator("input[name=stop]").fill(stop)
            page.locator("select[name=adherence]").select_option("good")
            if trial_id == "t2":
                shot(page, "entry-form")
            save.click()
            expect(page.get_by_role("heading", name="Patient browser-1")).to_be_visible()
            for day, mg in doses:
                page.goto(f"{patient_url}/add/doses")
                page.locator("select[name=parent]").select_option(trial_id)
                page.locator("input[name=date]").fill(day)
                page.locator("input[name=dose]").fill(mg)
                save.click()
                expect(page.get_by_role("heading", name="Patient browser-1")).to_be_visible()
        for day, total in PHQ9:
            page.goto(f"{patient_url}/add/scales")
            page.locator("input[name=instrument]").fill("phq9")
            page.locator("input[name=date]").fill(day)
            page.locator("input[name=total]").fill(total)
            save.click()
            expect(page.get_by_role("heading", name="Patient browser-1")).to_be_visible()
        verdicts = page.locator("h2:has-text('TRD verdicts') + ul")
        expect(verdicts).to_contain_text("Sforzini 2022")
        expect(verdicts).to_contain_text("trd")
        expect(page.locator("h2:has-text('Next steps') + ol li").first).to_be_visible()
        page.locator("h2:has-text('TRD verdicts')").scroll_into_view_if_needed()
        shot(page, "patient")

        with page.expect_download() as download:
            page.get_by_role("link", name="Download the PDF report").click()
        pdf = tmp_path / "report.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")

        page.get_by_role("button", name="Make a self-report link").click()
        link = page.get_by_label("Self-report link").input_value()
        assert "/r/" in link

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        form = phone.new_page()
        form.goto(link)
        expect(form.get_by_role("heading", name="PHQ-9")).to_be_visible()
        # nothing wider than the phone's screen
        assert form.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        answers = [1, 2, 1, 2, 1, 1, 0, 0, 1]
        for n, value in enumerate(answers, 1):
            form.locator(f"input[name=item{n}][value='{value}']").check()
        shot(form, "self-report-phone")
        form.get_by_role("button", name="Send my answers").click()
        expect(form.get_by_role("heading", name="Thank you")).to_be_visible()

        page.goto(f"{server}/patients")
        expect(page.locator("td .alert").first).to_contain_text("item 9")
        # the table's refresh is htmx, served by the app itself
        assert page.evaluate("typeof htmx") == "object"
        shot(page, "dashboard")
        browser.close()
