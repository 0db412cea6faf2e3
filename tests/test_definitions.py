"""TRD definitions side by side, at their thresholds.

Sforzini 2022 (Mol Psychiatry 27:1286, Table 1): Rec 3, at least two failed treatments
with less than 25% improvement; Rec 10, stopping before the end of week 4 is not a
failure; Rec 15, bipolar depression excluded. Rybak 2021 (Depress Anxiety 38:456, Table 3):
two adequately dosed antidepressant trials, non-response under 50%, 4-6 weeks.
Regulatory style: two different antidepressants without response in the current episode
(TRANSFORM-2 inclusion; Gaynes 2020).
"""

from __future__ import annotations

from builder import Case, verdicts


def two_trials(pct1: float, pct2: float) -> Case:
    return (
        Case()
        .episode()
        .trial("sertraline", mg=150, weeks=8)
        .improves(pct1)
        .trial("venlafaxine", mg=225, weeks=8)
        .improves(pct2)
    )


def test_two_clear_failures_are_trd_under_every_definition():
    assert verdicts(two_trials(10, 10).assess()) == {"ema_label": "trd", "sforzini2022": "trd", "rybak2021": "trd"}


def test_sforzini_counts_under_25_percent_only():
    # 25% improvement is partial response: not a failure for Sforzini, a failure for Rybak
    assert verdicts(two_trials(25, 25).assess()) == {"ema_label": "trd", "sforzini2022": "not_trd", "rybak2021": "trd"}
    assert verdicts(two_trials(22.5, 22.5).assess())["sforzini2022"] == "trd"


def test_rybak_counts_under_50_percent_only():
    assert verdicts(two_trials(50, 47.5).assess())["rybak2021"] == "not_trd"
    assert verdicts(two_trials(47.5, 47.5).assess())["rybak2021"] == "trd"


def test_stopping_before_week_four_is_not_a_failure():
    case = (
        Case()
        .episode()
        .trial("sertraline", mg=150, weeks=3.5, reason_stopped="intolerance")
        .improves(0)
        .trial("venlafaxine", mg=225, weeks=8)
        .improves(0)
    )
    result = case.assess()
    assert verdicts(result)["sforzini2022"] == "not_trd"
    first = next(d for d in result.definitions if d.definition_id == "sforzini2022").trials[0]
    assert first.status == "excluded" and "not adequate" in first.reason


def test_the_same_drug_twice_is_one_failure():
    case = (
        Case().episode().trial("sertraline", mg=150, weeks=8).improves(0).trial("Zoloft", mg=200, weeks=8).improves(0)
    )
    result = case.assess()
    assert verdicts(result)["rybak2021"] == "not_trd"
    assert next(d for d in result.definitions if d.definition_id == "rybak2021").failures == 1


def test_augmentation_and_non_antidepressants_do_not_count():
    case = (
        Case()
        .episode()
        .trial("sertraline", mg=150, weeks=12)
        .improves(0)
        .trial("aripiprazole", mg=5, weeks=6, start_week=5, role="augmentation", base_trials=["t1"])
        .improves(0)
    )
    result = case.assess()
    assert verdicts(result)["ema_label"] == "not_trd"
    aug = next(d for d in result.definitions if d.definition_id == "ema_label").trials[1]
    assert aug.status == "excluded" and "augmentation" in aug.reason


def test_bipolar_depression_is_not_applicable():
    case = (
        Case()
        .episode(diagnosis="bipolar_i")
        .trial("sertraline", mg=150)
        .improves(0)
        .trial("bupropion", mg=300)
        .improves(0)
    )
    assert set(verdicts(case.assess()).values()) == {"not_applicable"}


def test_only_the_current_episode_counts():
    from datetime import date

    case = Case().episode(start=date(2020, 1, 1), end=date(2020, 12, 1)).episode(start=date(2024, 1, 1))
    case.trial("sertraline", mg=150, weeks=8, start_week=-200).improves(0)
    case.trial("venlafaxine", mg=225, weeks=8, start_week=1).improves(0)
    result = case.assess()
    assert verdicts(result)["rybak2021"] == "not_trd"
    assert [t.trial_id for t in next(iter(result.definitions)).trials] == ["t2"]


def test_undecided_trials_make_unknown_not_a_guess():
    case = Case().episode().trial("sertraline", mg=150).improves(0).trial("venlafaxine", weeks=8)
    result = case.assess()
    assert verdicts(result) == {"ema_label": "unknown", "sforzini2022": "unknown", "rybak2021": "unknown"}
    d = result.definitions[0]
    assert d.failures == 1 and d.possible == 1 and d.basis.missing


def test_no_episode_recorded_is_unknown():
    case = Case().trial("sertraline", mg=150).improves(0).trial("venlafaxine", mg=225).improves(0)
    result = case.assess()
    assert set(verdicts(result).values()) == {"unknown"}
    assert result.definitions[0].basis.rule == "definitions.no_episode"


def test_overlapping_episodes_are_bad_input():
    from datetime import date

    import pytest

    from trdnav.record.errors import RecordError

    case = Case().episode(start=date(2022, 1, 1)).episode(start=date(2024, 1, 1))
    with pytest.raises(RecordError) as err:
        case.assess()
    assert err.value.problems[0].field == "episodes[0].end"
    assert "before episodes[1]" in err.value.problems[0].expected


def test_adjunct_only_agents_added_to_an_antidepressant_are_augmentation():
    # escitalopram fails; quetiapine XR then esketamine are added to it (review finding):
    # one failed antidepressant, two augmentations, so not TRD
    case = Case().episode().trial("escitalopram", mg=20, weeks=20, start_week=1).scores(40, 38)
    case.trial("quetiapine", mg=150, weeks=6, start_week=9).improves(0)
    case.trial("esketamine", mg=56, weeks=4, start_week=16).improves(0)
    result = case.assess()
    roles = {t.trial_id: t.role for t in result.trials}
    assert roles == {"t1": "monotherapy", "t2": "augmentation", "t3": "augmentation"}
    assert set(verdicts(result).values()) == {"not_trd"}


def test_two_antidepressants_started_the_same_day_are_one_treatment():
    case = Case().episode().trial("sertraline", mg=150, weeks=8, start_week=1).improves(0)
    case.trial("mirtazapine", mg=30, weeks=8, start_week=1)
    result = case.assess()
    assert next(t for t in result.trials if t.trial_id == "t2").role == "combination"
    assert verdicts(result)["rybak2021"] == "not_trd"
    assert result.definitions[2].failures == 1


def test_an_antidepressant_recorded_as_augmentation_still_counts():
    case = Case().episode().trial("sertraline", mg=150, weeks=20, start_week=1).scores(40, 38)
    case.trial("bupropion", mg=300, weeks=8, start_week=10, role="augmentation", base_trials=["t1"]).improves(0)
    assert verdicts(case.assess())["rybak2021"] == "trd"


def test_a_sub_therapeutic_add_on_neither_counts_nor_hides_the_base_outcome():
    # trazodone 50 mg for sleep added in week 2 of a sertraline trial
    case = Case().episode().trial("sertraline", mg=150, weeks=13, start_week=1).improves(0)
    case.trial("trazodone", mg=50, weeks=11, start_week=3)
    case.trial("escitalopram", mg=20, weeks=8, start_week=15).improves(0)
    result = case.assess()
    assert {t.trial_id: t.outcome.status for t in result.trials}["t1"] == "non_response"
    assert {t.trial_id: t.role for t in result.trials}["t3"] == "monotherapy"
    assert verdicts(result)["rybak2021"] == "trd"


def test_a_cross_taper_is_a_switch_not_a_combination():
    # venlafaxine started a week before sertraline stopped (second review, p03)
    case = Case().episode().trial("sertraline", mg=150, weeks=9, start_week=1).improves(0)
    case.trial("venlafaxine", mg=225, weeks=8, start_week=9).improves(0)
    result = case.assess()
    assert [t.role for t in result.trials] == ["monotherapy", "monotherapy"]
    assert verdicts(result)["rybak2021"] == "trd"
    from builder import stage

    assert stage(result, "mgh_s").score == 2  # no combination half point


def test_same_day_roles_do_not_depend_on_listing_order():
    def roles(first: str, second: str):
        case = Case().episode()
        doses = {"esketamine": 56, "sertraline": 150}
        case.trial(first, mg=doses[first], weeks=8, start_week=1).trial(second, mg=doses[second], weeks=8, start_week=1)
        return {t.treatment: t.role for t in case.assess().trials}

    assert (
        roles("esketamine", "sertraline")
        == roles("sertraline", "esketamine")
        == {
            "esketamine": "augmentation",
            "sertraline": "monotherapy",
        }
    )


def test_an_adjunct_started_with_a_drug_does_not_make_it_a_second_treatment():
    # sertraline + aripiprazole together, later sertraline alone again (second review, p13)
    case = Case().episode().trial("sertraline", mg=150, weeks=8, start_week=1).improves(0)
    case.trial("aripiprazole", mg=5, weeks=8, start_week=1)
    case.trial("sertraline", mg=200, weeks=8, start_week=12).improves(0)
    result = case.assess()
    assert result.definitions[2].failures == 1 and verdicts(result)["rybak2021"] == "not_trd"


def test_a_bipolar_diagnosis_on_an_earlier_episode_excludes_the_current_one():
    from datetime import date

    case = Case().episode(start=date(2020, 1, 1), end=date(2020, 9, 1), diagnosis="bipolar_ii").episode()
    case.trial("sertraline", mg=150).improves(0).trial("venlafaxine", mg=225).improves(0)
    result = case.assess()
    assert set(verdicts(result).values()) == {"not_applicable"}
    assert {s.label for s in result.stages} == {"not applicable"}
    from builder import check

    assert check(result, "bipolarity").status == "raised"
