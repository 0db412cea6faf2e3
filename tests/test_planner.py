"""Next-step options: the ranking rule (guideline line, level, fit, name) and the fit rules.

Lines and levels are CANMAT 2023's (Table 3.3 antidepressants, Table 7.2 adjuncts, Figure 7.1):
aripiprazole and brexpiprazole are 1st-line adjuncts with level 1 evidence; lithium, quetiapine
and others 2nd line; MAOIs are level 1 but moved to 3rd line for safety; a partial response
favours adding an adjunct, no response a switch to a different mechanism; psychotic features
call for an antidepressant with an antipsychotic, or ECT.
"""

from __future__ import annotations

from datetime import date

from builder import Case


def steps(case: Case) -> dict[str, object]:
    return {o.option_id: o for o in case.assess().next_steps.options}


def ranked(case: Case) -> list[str]:
    return [o.option_id for o in case.assess().next_steps.options if o.rank is not None]


def test_partial_response_on_a_current_antidepressant_puts_first_line_adjuncts_first():
    case = Case().episode().trial("sertraline", 150, 10, ongoing=True, clinician_outcome="partial_response")
    order = ranked(case)
    assert order[:2] == ["augment_aripiprazole", "augment_brexpiprazole"]
    by_id = steps(case)
    assert by_id["augment_aripiprazole"].fit == "preferred" and by_id["augment_aripiprazole"].line == 1
    assert by_id["switch_sertraline"].fit == "excluded"  # already taken


def test_no_response_prefers_a_switch_to_a_different_mechanism():
    case = Case().episode().trial("escitalopram", 20, 8, clinician_outcome="non_response")
    by_id = steps(case)
    assert by_id["switch_escitalopram"].fit == "excluded"
    assert by_id["switch_bupropion"].fit == "preferred"
    assert by_id["switch_citalopram"].fit == "possible"  # same class (SSRI)
    assert "different mechanism" in by_id["switch_citalopram"].reasons[0]
    # sertraline is an SSRI too, but CANMAT Table 3.5 lists it for superior efficacy
    assert by_id["switch_sertraline"].fit == "preferred"
    assert "superior efficacy" in by_id["switch_sertraline"].reasons[-1]
    assert by_id["augment_aripiprazole"].fit == "not_applicable"  # no antidepressant taken now


def test_psychotic_features_put_the_antipsychotic_combination_and_ect_first():
    case = Case().episode(psychotic=True).trial("sertraline", 150, 8, clinician_outcome="non_response")
    order = ranked(case)
    assert order[:2] == ["psychotic_antidepressant_antipsychotic", "psychotic_ect"]
    assert steps(case)["switch_bupropion"].fit == "demoted"


def test_bipolar_depression_gets_no_ranked_option():
    case = Case().episode(diagnosis="bipolar_ii").trial("sertraline", 150, 8, clinician_outcome="non_response")
    result = case.assess().next_steps
    assert all(o.fit == "not_applicable" for o in result.options)


def test_a_record_without_trials_gets_generic_steps_marked_not_individualised():
    result = Case().episode().assess().next_steps
    assert not result.individualised and "not individualised" in result.situation[0]
    assert result.options  # the generic list is still given


def test_an_maoi_switch_after_fluoxetine_carries_the_five_week_washout():
    case = Case(as_of=date(2025, 3, 20)).episode()
    case.add(
        "trials",
        id="t1",
        treatment="fluoxetine",
        start="2025-01-13",
        adherence="good",
        clinician_outcome="non_response",
        doses=[{"date": "2025-01-13", "dose": 40}],
    )
    option = steps(case)["switch_phenelzine"]
    assert option.fit == "preferred" and option.rank is not None  # an option (3rd line), with its washout
    assert option.reasons[-1] == "needs a drug-free period: start no sooner than 2025-04-24 (after fluoxetine)"


def test_a_cyp2d6_poor_metabolizer_sees_the_aripiprazole_label_dose():
    case = Case().episode().trial("sertraline", 150, 10, ongoing=True, clinician_outcome="partial_response")
    case.add("genotypes", gene="CYP2D6", diplotype="*4/*4")
    option = steps(case)["augment_aripiprazole"]
    assert option.fit == "preferred"
    assert any("adjust the dose" in r for r in option.reasons)


def test_the_ranking_is_deterministic_and_every_ranked_option_cites_a_source():
    case = Case().episode().trial("sertraline", 150, 10, ongoing=True, clinician_outcome="partial_response")
    first, second = case.assess().next_steps, case.assess().next_steps
    assert first == second
    assert all(o.basis.sources for o in first.options)
    ranks = [o.rank for o in first.options if o.rank is not None]
    assert ranks == list(range(1, len(ranks) + 1))


def test_a_working_antidepressant_is_continued_and_nothing_else_is_suggested():
    case = Case().episode().trial("escitalopram", 20, 10, ongoing=True, clinician_outcome="remission")
    result = case.assess().next_steps
    ranked_ids = [o.option_id for o in result.options if o.rank is not None]
    assert ranked_ids == ["continue_treatment"]
    assert all(
        "for a later relapse" in o.reasons[0]
        for o in result.options
        if o.fit == "not_applicable" and o.option_id != "continue_treatment"
    )


def test_optimising_stops_at_the_lowest_limit_that_applies_to_this_patient():
    # citalopram 20 mg in a CYP2C19 poor metabolizer: at the label's 20 mg/day maximum
    case = Case().episode().trial("citalopram", 20, 8, ongoing=True, clinician_outcome="non_response")
    case.add("genotypes", gene="CYP2C19", diplotype="*2/*2")
    option = steps(case)["optimise_dose"]
    assert option.fit == "excluded" and "at the maximum" in option.reasons[0] and "20" in option.reasons[0]
    # without the genotype there is room up to 40 mg/day (label maximum, and CANMAT's range)
    room = steps(Case().episode().trial("citalopram", 20, 8, ongoing=True, clinician_outcome="non_response"))
    assert room["optimise_dose"].fit == "possible" and "up to 40" in room["optimise_dose"].reasons[0]


def test_a_failed_ect_course_is_not_suggested_again():
    case = (
        Case()
        .episode(psychotic=True)
        .trial(
            "ECT",
            None,
            4,
            sessions=12,
            clinician_outcome="non_response",
            ect_placement="bilateral",
            clinician_adequate=True,
        )
    )
    option = steps(case)["psychotic_ect"]
    assert option.fit == "excluded" and "failed adequately" in option.reasons[0]


def test_an_inadequate_last_trial_gives_no_preference_and_raised_checks_come_first():
    case = Case().episode().trial("sertraline", 25, 3, clinician_outcome="non_response")
    case.add("conditions", name="hypothyroidism", status="active")
    result = case.assess().next_steps
    assert any(s.startswith("address first") for s in result.situation)
    assert any("not an adequate trial" in s for s in result.situation)
    assert all(o.fit != "preferred" for o in result.options if o.strategy == "switch")


def test_star_d_figure_for_the_next_step_is_labelled_a_population_figure():
    # two SSRIs failed adequately: the next is step 3, 13.7% remission in STAR*D (Rush 2006)
    case = Case().episode()
    case.trial("sertraline", 150, 8, clinician_outcome="non_response")
    case.trial("escitalopram", 20, 8, clinician_outcome="non_response")
    result = case.assess().next_steps
    assert result.population is not None and "step 3" in result.population and "13.7%" in result.population
    assert "not a prediction" in result.population
    assert result.population_basis is not None and result.population_basis.sources == ("rush2006",)


def test_options_carry_their_monitoring_plan_with_sources():
    case = Case().episode().trial("sertraline", 150, 10, ongoing=True, clinician_outcome="partial_response")
    by_id = steps(case)
    lithium = by_id["augment_lithium"]
    assert any("TSH" in m for m in lithium.monitoring) and "canmat2023 monitoring" in lithium.basis.sources
    esketamine = by_id["augment_esketamine"]
    assert any("2 hours" in m for m in esketamine.monitoring)
    assert any("prolactin" in m for m in by_id["augment_aripiprazole"].monitoring)


def test_nice_is_shown_beside_canmat_where_it_says_something_different():
    case = Case().episode().trial("sertraline", 150, 10, ongoing=True, clinician_outcome="partial_response")
    by_id = steps(case)
    assert any(g.startswith("NICE NG222: combination") for g in by_id["augment_aripiprazole"].other_guidelines)
    assert "nice-ng222 1.9.8" in by_id["augment_aripiprazole"].basis.sources
    assert any("at least two antidepressants" in g for g in by_id["switch_vortioxetine"].other_guidelines)


def test_after_a_tms_remission_no_new_treatment_is_ranked():
    # a neuromodulation course ends by design: remission after it is no failure to act on
    case = Case().episode().trial("sertraline", mg=150).improves(10).trial("venlafaxine", mg=225).improves(10)
    case.trial("rTMS", sessions=30, weeks=6).improves(75)
    steps = case.assess().next_steps
    assert [o for o in steps.options if o.rank is not None] == []
    assert any("reached remission: no new treatment now" in s for s in steps.situation)
    assert all("for a later relapse" in o.reasons[0] for o in steps.options if o.strategy != "continue")


# CANMAT 2023 Q.8.d and the Figure 7.1 note: neuromodulation after a switch or adjunctive
# medication strategy has failed; rTMS (and iTBS, Q.8.b) first line, Level 1; ECT second line
# for difficult-to-treat depression, efficacy Level 1; rTMS generally before ECT.


def test_neuromodulation_waits_for_two_failed_medication_strategies():
    one = steps(Case().episode().trial("escitalopram", 20, 8, clinician_outcome="non_response"))
    assert one["neuromod_rtms"].fit == "not_applicable"
    assert "after 2 failed medication strategies" in one["neuromod_rtms"].reasons[0]
    two = Case().episode().trial("escitalopram", 20, 8, clinician_outcome="non_response")
    two.trial("venlafaxine", 225, 8, clinician_outcome="non_response")
    by_id = steps(two)
    assert by_id["neuromod_rtms"].fit == "possible" and (by_id["neuromod_rtms"].line, by_id["neuromod_rtms"].level) == (
        1,
        1,
    )
    assert by_id["neuromod_ect"].fit == "possible" and by_id["neuromod_ect"].line == 2
    order = ranked(two)
    assert order.index("neuromod_rtms") < order.index("neuromod_ect")


def test_a_failed_rtms_course_excludes_it_and_demotes_its_kind():
    case = Case().episode().trial("escitalopram", 20, 8, clinician_outcome="non_response")
    case.trial("venlafaxine", 225, 8, clinician_outcome="non_response")
    case.trial("rTMS", sessions=30, weeks=6, clinician_outcome="non_response")
    by_id = steps(case)
    assert by_id["neuromod_rtms"].fit == "excluded"
    assert by_id["neuromod_itbs"].fit == "demoted"
    assert "a course of the same kind failed" in by_id["neuromod_itbs"].reasons[-1]


def test_switches_say_when_to_judge_and_tcas_and_maois_say_what_to_watch():
    # CANMAT 2023 Q.5.b / Q.7.d (early improvement at 2-4 weeks, Level 2); Q.3.j and Box 7.1
    by_id = steps(Case().episode().trial("escitalopram", 20, 8, clinician_outcome="non_response"))
    assert any("early improvement at 2-4 weeks" in m for m in by_id["switch_bupropion"].monitoring)
    assert any("overdose" in m for m in by_id["switch_tca_nortriptyline"].monitoring)
    assert not any("overdose" in m for m in by_id["switch_bupropion"].monitoring)
    assert any("tyramine" in m for m in by_id["switch_phenelzine"].monitoring)
    assert "canmat2023 Q.3.j (MAOIs: interactions and tyramine, Level 4)" in by_id["switch_phenelzine"].basis.sources


def test_an_option_shows_the_label_starting_dose_and_titration_with_its_source():
    """Doxepin label (revised 7/2025) section 2.2: start 25 mg three times daily or 75 mg once
    daily, target 75-150 mg/day, maximum 100 mg three times daily."""
    case = Case().episode().trial("sertraline", 150, 10, clinician_outcome="non_response")
    doxepin = steps(case)["switch_tca_doxepin"]
    assert doxepin.start == (
        "label: start 75 mg/day; 25 mg three times daily or 75 mg once daily; target 75-150 mg/day "
        "(once daily or divided); maximum 100 mg three times daily"
    )
    assert "label-doxepin-2025 2.2" in doxepin.basis.sources
    assert steps(case)["augment_lithium"].start is None  # no label dosing for this use: nothing shown


def test_label_starting_doses_are_the_labels_numbers():
    """Golden values from the labels (each cited in drugs.yaml): Zoloft 2.1 and Table 1 (50 mg,
    25-50 mg/day steps weekly, up to 200); Celexa 2.1 (20 mg, up to 40 after a week or more);
    Effexor XR Highlights (37.5-75 mg/day, target 75, maximum 225); Viibryd 2.1 (10 mg for 7
    days, then 20); Fetzima (20 mg for 2 days, then 40); Remeron (15 mg, up to 45)."""
    from trdnav.knowledge.loader import load_kb

    kb = load_kb()
    expected = {
        "sertraline": (50, None),
        "citalopram": (20, None),
        "venlafaxine": (37.5, 75),
        "vilazodone": (10, None),
        "levomilnacipran": (20, None),
        "mirtazapine": (15, None),
        "escitalopram": (10, None),
        "desvenlafaxine": (50, None),
        "vortioxetine": (10, None),
        "brexpiprazole": (0.5, 1),  # Rexulti 2.2, adjunctive MDD: 0.5 or 1 mg, target 2, maximum 3
        "tranylcypromine": (30, None),  # Parnate 2.1: 30 mg/day, +10 mg/day every 1-3 weeks to 60
        "isocarboxazid": (20, None),  # Marplan: 10 mg twice daily, 40 mg/day by week 1, maximum 60
        "imipramine": (75, None),  # Tofranil: outpatients 75 mg/day increased to 150
        "duloxetine": (40, 60),  # Cymbalta Highlights (2.2): start 40-60 mg/day, maximum 120
        "bupropion": (150, None),  # Wellbutrin XL (2003): 150 mg, 300 mg from day 4, up to 450
    }
    for drug, (dose, dose_to) in expected.items():
        start = kb.drug_by_id[drug].label_start
        assert start is not None and (start.dose, start.dose_to) == (dose, dose_to), drug
        assert start.sources and start.sources[0].startswith("label-"), drug
    case = Case().episode().trial("sertraline", 150, 10, clinician_outcome="non_response")
    venlafaxine = steps(case)["switch_venlafaxine"]
    assert venlafaxine.start == "label (Effexor XR): start 37.5-75 mg/day; target 75 mg/day; maximum 225 mg/day"
    assert kb.drug_by_id["duloxetine"].label_max.value == 120
