"""Golden cases: the example records and tests/cases, each with hand-worked expected values.

Each expected file says in "why" where its values come from (the published rule or table
and the arithmetic). Only the keys present in an expected file are compared, so a case can
pin just what it is about.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from trdnav.assessment import Assessment
from trdnav.engine import assess
from trdnav.record.parse import load_record
from trdnav.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "records").glob("*.json"))
CASES = sorted((ROOT / "tests" / "cases").glob("*/record.json"))


def expected_for(record: Path) -> Path:
    if record.parent.name == "records":
        return ROOT / "tests" / "golden" / f"{record.stem}.expected.json"
    return record.parent / "expected.json"


def project(a: Assessment) -> dict:
    return {
        "trials": {
            t.trial_id: {
                "role": t.role,
                "adequacy": t.adequacy.status,
                "outcome": t.outcome.status,
                "improvement_pct": t.outcome.improvement_pct,
            }
            for t in a.trials
        },
        "definitions": {d.definition_id: {"verdict": d.verdict, "failures": d.failures} for d in a.definitions},
        "stages": {s.model: s.label for s in a.stages},
        "scales": {
            s.scale: {"status": s.status, "last_band": s.points[-1].band, "last_total": s.points[-1].total}
            for s in a.scales
        },
        "checks": {c.check_id: c.status for c in a.checks},
        "warnings": [w.rule for w in a.warnings],
        "pharmacogenetics": {g.gene: [g.status, g.phenotype] for g in a.pharmacogenetics},
        "safety": sorted(f"{f.rule}:{f.severity}" for f in a.safety.findings),
        # the first five ranked options, and the options excluded for this patient
        "next_steps": {
            "top": [o.option_id for o in a.next_steps.options if o.rank is not None][:5],
            "excluded": sorted(o.option_id for o in a.next_steps.options if o.fit == "excluded"),
        },
        "washouts": [[w.stop, w.start, w.status, str(w.earliest_start)] for w in a.safety.washouts],
        "pgx_regimen": None
        if a.pgx_regimen is None
        else {
            "expressed": {x.gene: x.expressed for x in a.pgx_regimen.expressed if x.modulators},
            # the action groups by drug id (the long no-guidance list is left out)
            "groups": {
                group: sorted(d.drug_id for d in a.pgx_regimen.drugs if d.category == group)
                for group in ("consider_alternative", "adjust_dose_or_monitor", "use_as_directed")
            },
            "with_current_medications": {
                d.drug_id: d.with_current_medications
                for d in a.pgx_regimen.drugs
                if d.with_current_medications is not None
            },
            "flags": sorted(f.trial_id for f in a.pgx_regimen.flags),
        },
        "tms": {
            c.course_id: {
                "eligibility": c.eligibility.status,
                "target": [c.target.method, c.target.x_cm, c.target.y_cm] if c.target else None,
                "output_pct": c.dose.output_pct,
                "minutes": [c.protocol.minutes, c.protocol.minutes_with_trailing],
                "train_limit": [b.train_limit.status for b in c.protocol.blocks],
                "schedule": {
                    phase: [str(s.date) for s in c.schedule if s.phase == phase]
                    for phase in dict.fromkeys(s.phase for s in c.schedule)
                },
                "checkpoints": [[k.after_sessions, k.improvement_pct] for k in c.progress.checkpoints],
                "progress": [
                    c.progress.delivered,
                    c.progress.planned,
                    c.progress.improvement_pct,
                    c.progress.suggestion,
                ],
            }
            for c in a.tms
        },
    }


def run(record: Path, kb) -> tuple[Assessment, dict]:
    expected = json.loads(expected_for(record).read_text())
    return assess(load_record(record), kb, as_of=date.fromisoformat(expected["as_of"])), expected


@pytest.mark.parametrize("record", EXAMPLES + CASES, ids=lambda p: p.parent.name if p.name == "record.json" else p.stem)
def test_golden(record, kb):
    result, expected = run(record, kb)
    assert expected["why"], "every golden case says where its values come from"
    actual = project(result)
    for key, value in expected.items():
        if key not in ("why", "as_of"):
            assert actual[key] == value, key


def test_at_least_eight_examples_cover_every_definition_verdict_and_stage(kb):
    assert len(EXAMPLES) >= 8
    results = [run(r, kb)[0] for r in EXAMPLES]
    verdicts = {(d.definition_id, d.verdict) for a in results for d in a.definitions}
    for definition in kb.definitions.definitions:
        for verdict in ("trd", "not_trd", "unknown", "not_applicable"):
            assert (definition.id, verdict) in verdicts, (definition.id, verdict)
    thase = {s.label for a in results for s in a.stages if s.model == "thase_rush"}
    assert {step.label for step in kb.staging.thase_rush.stages} <= thase
    bands = {s.band for a in results for s in a.stages if s.model == "msm"}
    assert {b.label for b in kb.staging.msm.bands} <= bands


def test_every_rule_is_reached_by_a_golden_case(kb):
    reached: set[str] = set()
    for record in EXAMPLES + CASES:
        a, _ = run(record, kb)
        bases = [t.adequacy.basis for t in a.trials] + [t.outcome.basis for t in a.trials]
        bases += [t.role_basis for t in a.trials]
        bases += [d.basis for d in a.definitions] + [s.basis for s in a.stages]
        bases += [s.basis for s in a.scales] + [c.basis for c in a.checks] + [g.basis for g in a.pharmacogenetics]
        if a.pgx_regimen is not None:
            bases += [x.basis for x in a.pgx_regimen.expressed] + [f.basis for f in a.pgx_regimen.flags]
            bases += [g.basis for d in a.pgx_regimen.drugs for g in d.guidance]
        bases += [f.basis for f in a.safety.findings] + [w.basis for w in a.safety.washouts]
        bases += [o.basis for o in a.next_steps.options]
        for c in a.tms:
            bases += [
                c.protocol.basis,
                c.dose.basis,
                c.progress.basis,
                *(b.train_limit.basis for b in c.protocol.blocks),
            ]
            bases += [k.basis for k in c.eligibility.criteria] + [f.basis for f in c.eligibility.screen]
            bases += [c.target.basis] if c.target else []
        reached |= {b.rule for b in bases} | {w.rule for w in a.warnings}
    assert sorted(set(RULES) - reached) == []
    assert reached <= set(RULES), "a rule id is used that RULES does not list"


def test_every_safety_rule_has_a_golden_case(kb):
    """Each rule in safety.yaml (and the generic MAOI-label, washout and label co-medication
    rules) fires in at least one golden case."""
    fired = {f.rule for record in EXAMPLES + CASES for f in run(record, kb)[0].safety.findings}
    rules = {r.id for r in (*kb.safety.interactions, *kb.safety.dose_limits, *kb.safety.condition_rules)}
    rules |= {r.id for r in kb.safety.age_rules} | {kb.safety.default_level_profile["lithium"]}
    rules |= {"maoi_label_contraindication", "maoi_washout", "label_comedication_dosing"}
    assert sorted(rules - fired) == []
