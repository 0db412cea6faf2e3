"""Staging models, stage by stage and at every score band boundary.

Thase & Rush 1997 stages (as reproduced in Fava 2003): I one class failed; II a second,
different class; III plus a TCA; IV plus an MAOI; V plus bilateral ECT. MGH-S (Fava 2003;
Hagg 2020 Panel 1): 1 point per failed adequate trial, +0.5 for dose optimisation, +0.5 for
augmentation or combination, +3 for failed ECT. MSM (Fekadu 2018 Table 3; Hagg 2020 Panel 1):
duration 1-3, severity 1-5, failed antidepressants 1-5 (1-2, 3-4, 5-6, 7-10, >10),
augmentation 1, ECT 1; bands mild 3-6, moderate 7-10, severe 11-15.
The worked example is clinical.md section 2.5 of the project's research notes, recomputed by
hand from the rules above: stage II, MGH-S 3.0, MSM 8 (moderate).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from builder import EPISODE_START, Case, stage

FAIL = 0  # percent improvement of a failed trial


def failed(case: Case, drug: str, mg: float) -> Case:
    return case.trial(drug, mg=mg, weeks=8).improves(FAIL)


def thase_rush(*drugs: tuple[str, float], ect: str | None = None) -> str:
    case = Case().episode()
    for drug, mg in drugs:
        failed(case, drug, mg)
    if ect:
        case.trial("ECT", weeks=4, sessions=10, ect_placement=ect, clinician_adequate=True).improves(FAIL)
    return stage(case.assess(), "thase_rush").label


def test_thase_rush_each_stage():
    assert thase_rush() == "0"
    assert thase_rush(("sertraline", 150)) == "I"
    assert thase_rush(("sertraline", 150), ("escitalopram", 20)) == "I"  # same class
    assert thase_rush(("sertraline", 150), ("venlafaxine", 225)) == "II"
    assert thase_rush(("sertraline", 150), ("venlafaxine", 225), ("nortriptyline", 100)) == "III"
    assert thase_rush(("sertraline", 150), ("venlafaxine", 225), ("nortriptyline", 100), ("phenelzine", 60)) == "IV"
    assert (
        thase_rush(
            ("sertraline", 150), ("venlafaxine", 225), ("nortriptyline", 100), ("phenelzine", 60), ect="bilateral"
        )
        == "V"
    )


def test_thase_rush_stage_v_needs_bilateral_ect():
    assert (
        thase_rush(
            ("sertraline", 150),
            ("venlafaxine", 225),
            ("nortriptyline", 100),
            ("phenelzine", 60),
            ect="right_unilateral",
        )
        == "IV"
    )


def test_thase_rush_out_of_sequence_history_is_placed_and_explained():
    # TCA first, then an SSRI: two different classes (II), but no stage III without two other classes
    case = failed(failed(Case().episode(), "nortriptyline", 100), "sertraline", 150)
    result = stage(case.assess(), "thase_rush")
    assert result.label == "II"
    assert any("stage III needs two other classes first" in n for n in result.notes)


def test_thase_rush_undecided_trial_gives_a_range():
    case = failed(Case().episode(), "sertraline", 150).trial("venlafaxine", weeks=8)
    result = stage(case.assess(), "thase_rush")
    assert result.label == "I to II" and result.score_min == 1 and result.score_max == 2


def test_mgh_s_points():
    case = Case().episode()
    case.trial("sertraline", mg=50, weeks=10).dose_step(2, 150).improves(FAIL)  # 1 + 0.5 optimised
    case.trial("venlafaxine", mg=225, weeks=10).improves(FAIL)  # 1 + 0.5 augmented (below)
    case.trial("lithium", mg=900, weeks=6, start_week=13, role="augmentation", base_trials=["t2"]).improves(FAIL)
    case.trial("ECT", weeks=4, sessions=10, clinician_adequate=True).improves(FAIL)  # + 3
    result = stage(case.assess(), "mgh_s")
    assert result.score == 1.5 + 1.5 + 3


def test_worked_example_from_the_research_notes():
    # sertraline 8 weeks; venlafaxine 150 mg for 6 weeks then 225 mg for 4; then aripiprazole
    # added to venlafaxine for 6 weeks; no response throughout; episode 18 months, severe
    case = Case(as_of=EPISODE_START + timedelta(days=548)).episode(severity="severe", psychotic=False)
    case.trial("sertraline", mg=150, weeks=8, start_week=1).improves(FAIL)
    case.trial("venlafaxine", mg=150, weeks=16, start_week=9).dose_step(6, 225)
    case.score("madrs", EPISODE_START + timedelta(weeks=9), total=40)
    case.score("madrs", EPISODE_START + timedelta(weeks=19), total=40)
    case.trial("aripiprazole", mg=5, weeks=6, start_week=19, role="augmentation", base_trials=["t2"])
    case.score("madrs", EPISODE_START + timedelta(weeks=25), total=40)
    result = case.assess()
    assert stage(result, "thase_rush").label == "II"
    assert stage(result, "mgh_s").score == 3.0
    assert stage(result, "msm").label == "8 (moderate)"


def msm_score(
    months: float = 6,
    severity: str = "moderate",
    psychotic: bool | None = False,
    failures: int = 1,
    augmentation: bool = False,
    ect: bool = False,
) -> float:
    drugs = [
        "sertraline",
        "venlafaxine",
        "bupropion",
        "desvenlafaxine",
        "vortioxetine",
        "duloxetine",
        "nortriptyline",
        "amitriptyline",
        "imipramine",
        "desipramine",
        "clomipramine",
        "phenelzine",
    ]
    doses = {
        "sertraline": 150,
        "venlafaxine": 225,
        "bupropion": 300,
        "desvenlafaxine": 50,
        "vortioxetine": 20,
        "duloxetine": 60,
        "nortriptyline": 100,
        "amitriptyline": 150,
        "imipramine": 150,
        "desipramine": 150,
        "clomipramine": 150,
        "phenelzine": 60,
    }
    as_of = EPISODE_START + timedelta(days=round(months * 365.25 / 12))
    case = Case(as_of=max(as_of, EPISODE_START + timedelta(days=900))).episode(
        severity=severity, psychotic=psychotic, end=as_of
    )
    for k in range(failures):
        case.trial(drugs[k], mg=doses[drugs[k]], weeks=4, start_week=1 + 4 * k).improves(FAIL)
    if augmentation:
        case.trial("lithium", mg=900, weeks=4, start_week=1, role="augmentation", base_trials=["t1"])
    if ect:
        case.trial("ECT", weeks=3, start_week=1, sessions=8)
    return stage(case.assess(), "msm").score


@pytest.mark.parametrize(("months", "points"), [(12, 1), (12.5, 2), (24, 2), (24.5, 3)])
def test_msm_duration_boundaries(months, points):
    assert msm_score(months=months) - msm_score(months=2) == points - 1


@pytest.mark.parametrize(
    ("severity", "psychotic", "points"),
    [
        ("subsyndromal", False, 1),
        ("mild", False, 2),
        ("moderate", False, 3),
        ("severe", False, 4),
        ("severe", True, 5),
    ],
)
def test_msm_severity(severity, psychotic, points):
    assert msm_score(severity=severity, psychotic=psychotic) - msm_score(severity="subsyndromal") == points - 1


@pytest.mark.parametrize(
    ("failures", "points"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (10, 4), (11, 5)]
)
def test_msm_failure_bands(failures, points):
    assert msm_score(months=11, failures=failures) - msm_score(months=11, failures=1) == points - 1


def test_msm_augmentation_and_ect_add_one_each_and_bands():
    base = msm_score()  # 1 + 3 + 1
    assert base == 5
    assert msm_score(augmentation=True) == 6 and msm_score(augmentation=True, ect=True) == 7
    # band edges: 6 mild, 7 moderate, 10 moderate, 11 severe
    case_scores = {6: "mild", 7: "moderate", 10: "moderate", 11: "severe"}
    for score, band in case_scores.items():
        from builder import kb

        assert next(b.label for b in kb().staging.msm.bands if b.min <= score <= b.max) == band
    worst = msm_score(months=30, severity="severe", psychotic=True, failures=11, augmentation=True, ect=True)
    assert worst == 15


def test_msm_missing_severity_gives_a_range_and_says_what_is_missing():
    case = Case(as_of=date(2024, 6, 1)).episode(severity=None).trial("sertraline", mg=150).improves(FAIL)
    result = stage(case.assess(), "msm")
    assert (result.score_min, result.score_max) == (3, 7)
    assert result.score is None and "episode severity (clinician-rated)" in result.basis.missing


def test_ect_without_a_recorded_placement_gives_a_range_up_to_stage_v():
    label = thase_rush(("sertraline", 150), ("venlafaxine", 225), ("nortriptyline", 100), ("phenelzine", 60), ect="")
    assert label == "IV"  # no ECT course at all
    case = Case().episode()
    for drug, mg in (("sertraline", 150), ("venlafaxine", 225), ("nortriptyline", 100), ("phenelzine", 60)):
        failed(case, drug, mg)
    case.trial("ECT", weeks=4, sessions=10, clinician_adequate=True).improves(FAIL)
    result = stage(case.assess(), "thase_rush")
    assert result.label == "IV to V" and any("placement not recorded" in n for n in result.notes)


def test_staging_does_not_apply_to_bipolar_depression():
    case = failed(failed(Case().episode(diagnosis="bipolar_ii"), "sertraline", 150), "venlafaxine", 225)
    result = case.assess()
    assert {s.label for s in result.stages} == {"not applicable"}
    assert {s.basis.rule for s in result.stages} == {"staging.out_of_scope"}


def test_two_antidepressants_started_together_are_one_mgh_s_trial():
    case = Case().episode().trial("sertraline", mg=150, weeks=8, start_week=1).improves(FAIL)
    case.trial("mirtazapine", mg=30, weeks=8, start_week=1)
    result = stage(case.assess(), "mgh_s")
    assert result.score == 1.5  # one failed trial, combined


def test_an_antidepressant_recorded_as_augmentation_is_not_also_msm_augmentation():
    case = Case().episode().trial("sertraline", mg=150, weeks=20, start_week=1).scores(40, 38)
    case.trial("bupropion", mg=300, weeks=8, start_week=10, role="augmentation", base_trials=["t1"]).improves(0)
    aug = next(c for c in stage(case.assess(), "msm").components if c.name == "augmentation")
    assert aug.points == 0
