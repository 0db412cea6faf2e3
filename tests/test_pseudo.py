"""Pseudo-resistance checks (CANMAT 2023 Table 7.1): raised, cleared or open."""

from __future__ import annotations

from datetime import date

from builder import Case, check


def run(case: Case, check_id: str):
    return check(case.assess(), check_id)


def test_bipolarity_raised_by_condition_code_or_name_and_cleared_by_a_negative_screen():
    assert run(Case().episode().add("conditions", code="F31.32"), "bipolarity").status == "raised"
    assert run(Case().episode().add("conditions", name="Hypomania"), "bipolarity").status == "raised"
    negative = (
        Case().episode().add("screens", topic="bipolarity", date="2024-01-02", result="negative", instrument="MDQ")
    )
    assert run(negative, "bipolarity").status == "cleared"
    open_check = run(Case().episode(), "bipolarity")
    assert open_check.status == "open" and open_check.basis.missing == ("a bipolarity screen",)


def test_substance_use_ignores_nicotine_and_unrelated_codes():
    assert run(Case().episode().add("conditions", code="F10.20"), "substance_use").status == "raised"
    assert run(Case().episode().add("conditions", code="F17.210"), "substance_use").status == "open"
    assert run(Case().episode().add("conditions", name="asthma"), "substance_use").status == "open"


def test_thyroid_uses_the_labs_own_flag_and_conditions():
    high = Case().episode().add("labs", test="TSH", date="2024-01-02", value=9.1, interpretation="high")
    assert run(high, "thyroid").status == "raised"
    normal = Case().episode().add("labs", test="tsh", date="2024-01-02", value=1.9, interpretation="normal")
    assert run(normal, "thyroid").status == "cleared"
    unflagged = Case().episode().add("labs", test="tsh", date="2024-01-02", value=1.9)
    assert run(unflagged, "thyroid").status == "open"  # a number without the lab's flag is not interpreted
    treated = normal.add("conditions", name="hypothyroidism")
    result = run(treated, "thyroid")
    assert result.status == "raised" and any("also recorded" in r for r in result.reasons)


def test_trial_signals():
    case = (
        Case()
        .episode()
        .trial("sertraline", mg=150, adherence="poor", reason_stopped="non_response")
        .trial("venlafaxine", mg=75, weeks=2, reason_stopped="intolerance", side_effects=["nausea"])
    )
    result = case.assess()
    assert check(result, "adherence").status == "raised"
    assert check(result, "dose_duration").status == "raised"
    assert check(result, "side_effects").status == "raised"


def test_trial_signals_clear_when_every_trial_is_recorded_and_fine():
    case = Case().episode().trial("sertraline", mg=150, reason_stopped="non_response").improves(0)
    result = case.assess()
    assert check(result, "adherence").status == "cleared"
    assert check(result, "dose_duration").status == "cleared"
    assert check(result, "side_effects").status == "cleared"


def test_trial_signals_open_when_not_recorded():
    case = Case(as_of=date(2025, 1, 1)).episode().trial("sertraline", adherence="unknown")
    result = case.assess()
    assert check(result, "adherence").status == "open"
    assert check(result, "dose_duration").status == "open"
    assert check(result, "side_effects").status == "open"
