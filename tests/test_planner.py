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
    assert by_id["switch_sertraline"].fit == "possible"  # same class (SSRI)
    assert "different mechanism" in by_id["switch_sertraline"].reasons[0]
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
