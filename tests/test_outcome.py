"""Trial outcome from scales, the clinician's rating and the stop reason.

Response is a fall of 50% or more (CANMAT 2023 Q.7.a; NQF 1884); partial response 25% to
under 50% (Jackson 2020); remission by each scale's cut-off (MADRS 10 or less, Zimmerman 2004).
"""

from __future__ import annotations

from datetime import date

from builder import Case, trial


def outcome(case: Case, trial_id: str = "t1"):
    return trial(case.assess(), trial_id).outcome


def test_improvement_bands():
    assert outcome(Case().episode().trial("sertraline", mg=100).improves(50)).status == "response"
    assert outcome(Case().episode().trial("sertraline", mg=100).improves(47.5)).status == "partial_response"
    assert outcome(Case().episode().trial("sertraline", mg=100).improves(25)).status == "partial_response"
    assert outcome(Case().episode().trial("sertraline", mg=100).improves(22.5)).status == "non_response"
    assert outcome(Case().episode().trial("sertraline", mg=100).scores(30, 10)).status == "remission"


def test_improvement_is_measured_from_the_baseline_before_the_trial():
    case = Case().episode().trial("sertraline", mg=100, weeks=8)
    case.score("madrs", date(2024, 1, 1), total=30)  # baseline 7 days before the start
    case.score("madrs", date(2024, 3, 1), total=24)
    result = outcome(case)
    assert result.improvement_pct == 20.0 and result.decided_by == "scale"
    assert result.changes[0].baseline_date == date(2024, 1, 1)


def test_a_score_older_than_the_baseline_window_is_not_a_baseline():
    case = Case().episode().trial("sertraline", mg=100, weeks=8)
    case.score("madrs", date(2023, 12, 1), total=30).score("madrs", date(2024, 3, 1), total=24)
    assert outcome(case).decided_by == "none"


def test_clinician_rated_scale_is_preferred_over_self_report():
    case = Case().episode().trial("sertraline", mg=100).improves(60, scale="phq9", baseline=20)
    case.scores(40, 36, scale="hamd17")
    result = outcome(case)
    assert result.changes[0].scale == "hamd17" and result.status == "non_response"
    assert {c.scale for c in result.changes} == {"hamd17", "phq9"}


def test_clinician_rating_decides_without_scores_and_is_noted_when_scores_disagree():
    assert (
        outcome(Case().episode().trial("sertraline", mg=100, clinician_outcome="non_response")).status == "non_response"
    )
    disagree = outcome(Case().episode().trial("sertraline", mg=100, clinician_outcome="response").improves(10))
    assert disagree.status == "non_response"
    assert any("clinician recorded response" in r for r in disagree.reasons)


def test_stop_reason_is_the_last_resort():
    result = outcome(Case().episode().trial("sertraline", mg=100, reason_stopped="non_response"))
    assert result.status == "non_response" and result.decided_by == "stop_reason"
    assert outcome(Case().episode().trial("sertraline", mg=100, reason_stopped="intolerance")).status == "intolerance"


def test_too_early_for_a_running_trial():
    case = Case(as_of=date(2024, 1, 29)).episode().trial("sertraline", mg=100, ongoing=True).improves(5)
    assert outcome(case).status == "too_early"


def test_nothing_recorded_is_unknown_with_what_would_resolve_it():
    result = outcome(Case().episode().trial("sertraline", mg=100))
    assert result.status == "unknown"
    assert "trials[0].clinician_outcome" in result.basis.missing


def test_scores_after_a_treatment_is_added_belong_to_the_combination():
    # vortioxetine runs on; aripiprazole is added at week 10 and the patient then remits:
    # vortioxetine alone is judged on the score before the addition (regression: example 10)
    case = Case().episode().trial("vortioxetine", mg=20, weeks=30, start_week=1)
    case.score("madrs", date(2024, 1, 8), total=36).score("madrs", date(2024, 3, 11), total=34)
    case.trial("aripiprazole", mg=5, weeks=10, start_week=10, role="augmentation", base_trials=["t1"])
    case.score("madrs", date(2024, 5, 20), total=8)
    result = case.assess()
    assert trial(result, "t1").outcome.status == "non_response"
    assert trial(result, "t1").outcome.changes[0].endpoint_date == date(2024, 3, 11)
    assert trial(result, "t2").outcome.status == "remission"


def test_the_most_recent_end_point_decides_between_scales():
    case = Case().episode().trial("sertraline", mg=100, weeks=12, start_week=1)
    case.score("hamd17", date(2024, 1, 8), total=24).score("hamd17", date(2024, 2, 5), total=22)
    case.score("qids_sr16", date(2024, 1, 8), total=18).score("qids_sr16", date(2024, 3, 25), total=5)
    result = outcome(case)
    assert result.changes[0].scale == "qids_sr16" and result.status == "remission"


def test_response_then_worsening_is_not_a_failure_to_respond():
    # PHQ-9 20 -> 6 -> 4 (remission) and back to 18 months later on the same drug: the trial
    # worked; the worsening is reported as a possible relapse (review finding)
    case = Case().episode().trial("sertraline", mg=100, weeks=60, start_week=1)
    case.score("phq9", date(2024, 1, 8), total=20).score("phq9", date(2024, 3, 4), total=6)
    case.score("phq9", date(2024, 4, 1), total=4).score("phq9", date(2025, 2, 3), total=18)
    result = case.assess()
    out = trial(result, "t1").outcome
    assert out.status == "remission" and out.improvement_pct == 10.0
    assert any("possible relapse" in r for r in out.reasons)
    assert {d.verdict for d in result.definitions} == {"not_trd"}


def test_a_transient_partial_dip_does_not_rescue_a_failure():
    case = Case().episode().trial("sertraline", mg=100, weeks=10, start_week=1)
    case.score("madrs", date(2024, 1, 8), total=40).score("madrs", date(2024, 2, 5), total=28)
    case.score("madrs", date(2024, 3, 18), total=38)
    assert outcome(case).status == "non_response"


def test_one_early_low_score_is_not_a_response():
    # PHQ-9 22 -> 10 at week 2, then 21, 22, 22 (second review, p08b)
    case = Case().episode().trial("sertraline", mg=100, weeks=13, start_week=1)
    for on, total in (
        (date(2024, 1, 8), 22),
        (date(2024, 1, 22), 10),
        (date(2024, 2, 19), 21),
        (date(2024, 3, 18), 22),
        (date(2024, 4, 8), 22),
    ):
        case.score("phq9", on, total=total)
    assert outcome(case).status == "non_response"
