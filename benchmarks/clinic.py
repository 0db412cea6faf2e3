"""Speed of the clinic app's pages, on SQLite. Not tests: they print figures.

Goals (issue 7): a patient page for a record with 5 years of history (30 trials, 200 scale
scores) renders in under 150 ms median; the patient list with 2,000 patients in under 300 ms.
Each figure is also shown as a ratio against a baseline measured in the same run: the app's
own `/healthz` (the same client, middleware and session cookie, no database work), so results
from different machines can be compared.

Run: .venv/bin/python benchmarks/clinic.py [--repeat N] [--patients N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from trdnav.clinic.app import create_app
from trdnav.clinic.records import assess_text, store_assessment
from trdnav.clinic.settings import Settings
from trdnav.clinic.store.models import Patient
from trdnav.clinic.users import add_user

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"
DRUGS = ["sertraline", "escitalopram", "venlafaxine", "duloxetine", "bupropion", "mirtazapine"]


def five_year_record() -> dict:
    """30 trials of about eight weeks each over five years, and 200 PHQ-9 scores."""
    start = date(2021, 1, 4)
    record: dict = {
        "patient": {"id": "five-years", "birth_date": "1975-03-01", "sex": "female"},
        "episodes": [{"id": "e1", "start": start.isoformat(), "diagnosis": "mdd", "psychotic_features": False}],
        "trials": [],
        "scales": [],
    }
    day = start
    for k in range(30):
        stop = day + timedelta(days=60)
        record["trials"].append(
            {
                "id": f"t{k}",
                "treatment": DRUGS[k % len(DRUGS)],
                "start": day.isoformat(),
                "stop": stop.isoformat(),
                "doses": [
                    {"date": day.isoformat(), "dose": 50},
                    {"date": (day + timedelta(days=14)).isoformat(), "dose": 100},
                ],
                "adherence": "good",
            }
        )
        day = stop + timedelta(days=1)
    for n in range(200):
        when = start + timedelta(days=9 * n)
        record["scales"].append({"instrument": "phq9", "date": when.isoformat(), "total": 14 + n % 8})
    return record


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--patients", type=int, default=2000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="trdnav-bench-"))
    app = create_app(Settings(folder, f"sqlite:///{folder / 'clinic.db'}", "k" * 48))
    with app.state.sessions() as session:
        user = add_user(session, "bench", PASSWORD, "clinician")
        user_id = user.id
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:

        def csrf_of(url: str) -> str:
            return client.get(url).text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": csrf_of("/login")})
        csrf = csrf_of("/patients/new")  # the session's token, made at login
        created = client.post("/patients/new", data={"record_json": json.dumps(five_year_record()), "csrf_token": csrf})
        assert created.status_code == 303, created.text
        big = created.headers["location"]

        # the rest of the list: copies of an example record under their own ids, each assessed once
        example = json.loads((ROOT / "examples" / "records" / "01-two-ssri-failures.json").read_text())
        _, assessment, problems = assess_text(app.state.kb, json.dumps(example), date.today())
        assert not problems, problems
        with app.state.sessions() as session:
            for n in range(args.patients - 1):
                text = json.dumps(example | {"patient": example["patient"] | {"id": f"p{n:05d}"}})
                patient = Patient(local_id=f"p{n:05d}", record_json=text, created_by=user_id, updated_by=user_id)
                session.add(patient)
                session.flush()
                store_assessment(session, patient, assessment, user_id, date.today())
            session.commit()

        base = median_ms(lambda: client.get("/healthz"), args.repeat)
        for name, url, goal in (
            ("patient page, 30 trials and 200 scores", big, "goal < 150 ms"),
            ("its clinician report (HTML, the page's frame)", f"{big}/report.html", "no goal set"),
            (f"patient list, {args.patients} patients", "/patients", "goal < 300 ms"),
        ):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            value = median_ms(lambda url=url: client.get(url), args.repeat)
            print(f"{name}: median {value:.1f} ms ({goal}); {value / base:.1f}x /healthz ({base:.2f} ms)")
    app.state.engine.dispose()
    shutil.rmtree(folder)  # the 2,000-patient database is only for this run


if __name__ == "__main__":
    main()
