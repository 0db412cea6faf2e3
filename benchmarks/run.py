"""Speed benchmarks for the engine and the CLI. Not tests: they print figures.

Each figure is shown with a ratio against a baseline measured in the same run, so results
from different machines can be compared:
- assess() on a 20-trial record with the KB loaded (goal: median under 1 ms); baseline:
  validating the same record's JSON into the pydantic Record (the cheapest step of a call).
- the same with three genotypes and ten current medications (the PGx issue's goal: still
  under 1 ms), so the cost of phenotypes, phenoconversion and the whole-regimen table shows.
- cold start of `trdnav --help` and `trdnav assess` (goal: under 0.5 s); baseline: a bare
  `python -c pass` start.

Run: .venv/bin/python benchmarks/run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from trdnav.engine import assess
from trdnav.knowledge.loader import load_kb
from trdnav.record.parse import parse_record

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 1, 1)
DRUGS = [
    ("sertraline", 150),
    ("escitalopram", 20),
    ("venlafaxine", 225),
    ("duloxetine", 90),
    ("bupropion", 300),
    ("mirtazapine", 45),
    ("vortioxetine", 20),
    ("nortriptyline", 100),
    ("phenelzine", 60),
    ("fluoxetine", 40),
]


def twenty_trial_record() -> dict:
    """Ten antidepressant trials, each with an augmentation, and scales around each."""
    start = date(2021, 1, 4)
    record: dict = {
        "patient": {"id": "bench", "birth_date": "1970-01-01"},
        "episodes": [{"id": "e1", "start": start.isoformat(), "severity": "severe", "psychotic_features": False}],
        "trials": [],
        "scales": [],
    }
    day = start + timedelta(days=7)
    for k, (drug, dose) in enumerate(DRUGS):
        stop = day + timedelta(weeks=12)
        record["trials"].append(
            {
                "id": f"t{k}",
                "treatment": drug,
                "start": day.isoformat(),
                "stop": stop.isoformat(),
                "doses": [
                    {"date": day.isoformat(), "dose": dose / 2},
                    {"date": (day + timedelta(weeks=2)).isoformat(), "dose": dose},
                ],
                "adherence": "good",
            }
        )
        aug = day + timedelta(weeks=8)
        record["trials"].append(
            {
                "id": f"a{k}",
                "treatment": "aripiprazole",
                "start": aug.isoformat(),
                "stop": stop.isoformat(),
                "role": "augmentation",
                "base_trials": [f"t{k}"],
                "doses": [{"date": aug.isoformat(), "dose": 5}],
                "adherence": "good",
            }
        )
        for week, total in ((0, 32), (4, 30), (8, 29), (12, 28)):
            record["scales"].append(
                {"instrument": "madrs", "date": (day + timedelta(weeks=week)).isoformat(), "total": total}
            )
        day = stop + timedelta(days=1)
    return record


def with_pgx(record: dict) -> dict:
    """The same record with three genotypes and ten current medications."""
    meds = ["paroxetine", "lithium", "quetiapine", "lamotrigine", "buspirone"]
    meds += ["omeprazole", "atorvastatin", "levothyroxine", "metformin", "quinidine"]
    return record | {
        "genotypes": [
            {"gene": "CYP2D6", "diplotype": "*1/*41"},
            {"gene": "CYP2C19", "diplotype": "*2/*17"},
            {"gene": "CYP2B6", "diplotype": "*1/*6"},
        ],
        "medications": [{"drug": name} for name in meds],
    }


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def cold(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--cold-repeat", type=int, default=7)
    args = parser.parse_args()

    data = twenty_trial_record()
    kb = load_kb()
    record = parse_record(data)
    assert len(record.trials) == 20
    assess(record, kb, as_of=AS_OF)  # warm-up
    base = statistics.median(timed(lambda: parse_record(data), args.repeat))
    engine = statistics.median(timed(lambda: assess(record, kb, as_of=AS_OF), args.repeat))
    print(
        f"assess(), 20 trials, KB loaded: median {engine * 1e3:.3f} ms "
        f"(goal < 1 ms); {engine / base:.1f}x parsing the record ({base * 1e3:.3f} ms)"
    )
    pgx_data = with_pgx(data)
    pgx_record = parse_record(pgx_data)
    assess(pgx_record, kb, as_of=AS_OF)
    pgx_base = statistics.median(timed(lambda: parse_record(pgx_data), args.repeat))
    pgx_engine = statistics.median(timed(lambda: assess(pgx_record, kb, as_of=AS_OF), args.repeat))
    print(
        f"assess(), 20 trials + 3 genotypes + 10 medications: median {pgx_engine * 1e3:.3f} ms (goal < 1 ms); "
        f"{pgx_engine / pgx_base:.1f}x parsing the record; {pgx_engine / engine:.2f}x the record without PGx"
    )

    exe = str(Path(sys.executable).parent / "trdnav")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(data, handle)
    python = cold([sys.executable, "-c", "pass"], args.cold_repeat)
    helptime = cold([exe, "--help"], args.cold_repeat)
    assess_text = cold([exe, "assess", handle.name, "--as-of", AS_OF.isoformat()], args.cold_repeat)
    assess_json = cold([exe, "assess", handle.name, "--as-of", AS_OF.isoformat(), "-f", "json"], args.cold_repeat)
    Path(handle.name).unlink()
    for name, value in (
        ("trdnav --help", helptime),
        ("trdnav assess (text)", assess_text),
        ("trdnav assess (json)", assess_json),
    ):
        print(
            f"{name}: cold start median {value:.3f} s (goal < 0.5 s); {value / python:.1f}x a bare python start "
            f"({python:.3f} s)"
        )


if __name__ == "__main__":
    main()
