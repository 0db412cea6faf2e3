"""The engine contract: pure, deterministic, versioned, every conclusion with its basis."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from builder import Case
from trdnav import __version__
from trdnav.report.as_json import to_json

ROOT = Path(__file__).resolve().parents[1] / "src" / "trdnav"


def sample() -> Case:
    return (
        Case()
        .episode(severity="severe")
        .trial("sertraline", mg=150)
        .improves(10)
        .trial("venlafaxine", mg=225)
        .improves(5)
        .trial("aripiprazole", mg=5, weeks=6, start_week=12)
    )


def test_same_input_same_output():
    assert to_json(sample().assess()) == to_json(sample().assess())


def test_versions_and_profile_are_carried(kb):
    result = sample().assess(profile="canmat_range_6w")
    assert result.engine_version == __version__ and result.kb_version == kb.kb_version
    assert result.profile == "canmat_range_6w"
    assert all(t.adequacy.profile == "canmat_range_6w" for t in result.trials)


def test_every_conclusion_names_rule_facts_and_sources(kb):
    result = sample().assess()
    bases = [t.adequacy.basis for t in result.trials] + [t.outcome.basis for t in result.trials]
    bases += [d.basis for d in result.definitions] + [s.basis for s in result.stages] + [c.basis for c in result.checks]
    for basis in bases:
        assert basis.rule and basis.sources
    cited = {s.split()[0] for b in bases for s in b.sources}
    assert cited <= {c.id for c in result.citations}


def test_as_of_decides_what_is_ongoing():
    early = Case(as_of=date(2024, 1, 20)).episode().trial("sertraline", mg=100, ongoing=True).assess()
    late = Case(as_of=date(2024, 6, 1)).episode().trial("sertraline", mg=100, ongoing=True).assess()
    assert early.trials[0].weeks < late.trials[0].weeks


def test_rules_read_no_clock_file_or_environment():
    forbidden = {"today", "now", "utcnow", "open", "getenv", "environ", "read_text"}
    for module in [
        *ROOT.joinpath("rules").glob("*.py"),
        ROOT / "engine.py",
        *ROOT.joinpath("record").glob("normalise.py"),
    ]:
        tree = ast.parse(module.read_text())
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not names & forbidden, (module.name, names & forbidden)


def test_rules_hold_no_drug_names(kb):
    names = {d.id for d in kb.drugs.drugs} | {b.casefold() for d in kb.drugs.drugs for b in d.brands}
    names -= {"ect"}  # a class id the rules match on, not a drug literal
    for module in ROOT.joinpath("rules").glob("*.py"):
        strings = {
            n.value.casefold()
            for n in ast.walk(ast.parse(module.read_text()))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        assert not strings & names, (module.name, strings & names)


def test_every_rule_id_is_documented():
    from pathlib import Path

    from trdnav.rules import RULES

    text = (Path(__file__).resolve().parents[1] / "docs" / "assessment.md").read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"`{rule}`" not in text] == []
