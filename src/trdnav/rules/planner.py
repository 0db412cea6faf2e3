"""Next-step options, ranked by a stated rule.

Each option (knowledge/data/options.yaml) carries its guideline line and level. The planner
reads the Assessment's findings to judge fit: the current episode's features, the last
antidepressant trial's outcome (partial response: augment first; no response or intolerance:
switch first), treatments already failed adequately, safety (the safety checks run on the
regimen the option would make), and pharmacogenetics. Ranking: options specific to the
episode's features first, then line, then level, then fit (preferred, possible, demoted), then
name. Excluded and not-applicable options are listed after, unranked, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from trdnav.assessment import (
    Basis,
    Check,
    DrugAdvice,
    Fact,
    Fit,
    GenePhenotype,
    NextStep,
    NextSteps,
    PgxRegimen,
    Proposal,
    SafetySection,
    TrialFinding,
)
from trdnav.knowledge.loader import KnowledgeBase
from trdnav.knowledge.schema import Option
from trdnav.rules.context import Context
from trdnav.rules.safety import check as check_safety
from trdnav.rules.safety import max_dose

RULE = "planner.next_steps"
FAILED = ("non_response", "partial_response", "intolerance")
FIT_ORDER: dict[str, int] = {"preferred": 0, "possible": 1, "demoted": 2}
BIPOLAR = ("bipolar_i", "bipolar_ii", "bipolar_other")


def plan(
    ctx: Context,
    trials: tuple[TrialFinding, ...],
    found: tuple[GenePhenotype, ...],
    regimen: PgxRegimen | None,
    safety: SafetySection,
    checks: tuple[Check, ...],
    age: int | None,
    as_of: date,
) -> NextSteps:
    kb = ctx.kb
    episode = ctx.record.current_episode
    in_episode = [t for t in trials if t.current_episode]
    individualised = episode is not None and bool(in_episode)
    situation: list[str] = []
    current_ads = [t for t in in_episode if t.stop is None and t.antidepressant and t.kind == "medication"]
    # the last antidepressant given as a treatment in itself (an add-on's outcome is the add-on's)
    last = max(
        (t for t in in_episode if t.antidepressant and t.kind == "medication" and t.role != "augmentation"),
        key=lambda t: t.start,
        default=None,
    )
    prefer: str | None = None
    holding: str | None = None  # why no change is suggested now (working, or too early to judge)
    if episode is None:
        situation.append("no current episode recorded: generic first steps, not individualised")
    elif not in_episode:
        situation.append("no treatment trial in the current episode: generic first steps, not individualised")
    raised = [c.name for c in checks if c.status == "raised"]
    if raised:
        situation.append(f"address first (pseudo-resistance checks raised): {', '.join(raised)}")
    if last is not None:
        outcome = last.outcome.status
        situation.append(f"last antidepressant trial: {last.treatment}, outcome {outcome.replace('_', ' ')}")
        adherent = ctx.record.trials[_index(ctx, last.trial_id)].trial.adherence != "poor"
        if last.stop is None and outcome in ("response", "remission"):
            holding = f"{last.treatment} is working ({outcome}): continue it"
        elif last.stop is None and outcome == "too_early":
            holding = f"{last.treatment} is too early to judge: reassess when the trial is long enough"
        elif outcome == "unknown":
            individualised = False
            situation.append(f"the outcome of {last.treatment} is unknown: record a scale score to judge it first")
        elif last.adequacy.status != "adequate" or not adherent:
            situation.append(
                f"{last.treatment} was not an adequate trial (dose, duration or adherence): "
                "no switch-or-add preference is taken from it"
            )
        elif outcome == "partial_response":
            prefer = "augment"
        elif outcome in ("non_response", "intolerance"):
            prefer = "switch"
    # a neuromodulation course ends by design: a response to the latest one is not a failure to act on
    course = max((t for t in in_episode if t.kind == "neuromodulation"), key=lambda t: t.start, default=None)
    if (
        course is not None
        and (last is None or course.start >= last.start)
        and course.outcome.status in ("response", "remission")
    ):
        holding = f"{course.treatment} ({course.trial_id}) reached {course.outcome.status}: no new treatment now"
        situation.append(f"{holding}; plan staying well with the treating team")
    psychotic = episode.psychotic_features if episode is not None else None
    bipolar = episode is not None and episode.diagnosis in BIPOLAR
    if psychotic:
        situation.append("psychotic features")
    elif psychotic is None and episode is not None:
        situation.append("psychotic features not recorded: record them (they change the options)")
    if bipolar:
        situation.append(f"bipolar depression ({episode.diagnosis if episode else ''})")
    failed = {t.drug_id: t for t in in_episode if t.adequacy.status == "adequate" and t.outcome.status in FAILED}
    # stopped for side effects before the trial was adequate: not failed, but not tolerated
    not_tolerated = {t.drug_id: t for t in in_episode if t.outcome.status == "intolerance" and t.drug_id not in failed}
    taking = {t.drug_id for t in in_episode if t.stop is None}
    advice = {d.drug_id: d for d in regimen.drugs} if regimen else {}
    present = {(f.rule, f.drugs) for f in safety.findings}
    phenotypes = {
        g.gene: kb.phenotype_id_by_term[g.phenotype] for g in found if g.phenotype and g.status != "not_covered"
    }

    # CANMAT's first-line switch is to a different mechanism: the classes of the failed drugs
    failed_classes = {c for t in failed.values() for c in t.classes if t.antidepressant}
    steps: list[NextStep] = []
    for option in kb.options.options:
        if option.strategy == "continue":
            if holding and not bipolar and (course is None or course.outcome.status not in ("response", "remission")):
                steps.append(_step(kb, option, "preferred", [holding]))
            else:
                steps.append(_step(kb, option, "not_applicable", ["no current antidepressant is working"]))
            continue
        if holding:
            steps.append(_step(kb, option, "not_applicable", [f"{holding}; for a later relapse"]))
            continue
        classes = kb.drug_by_id[option.drug].classes if option.drug else ()
        fit, reasons = _fit(option, prefer, psychotic, bipolar, current_ads, failed, taking, classes)
        if option.strategy == "optimise" and fit not in ("excluded", "not_applicable"):
            fit, reasons = _dose_room(ctx, current_ads[-1], phenotypes, age, advice, fit, reasons)
        if option.strategy == "switch" and fit == "preferred" and option.drug:
            same = set(kb.drug_by_id[option.drug].classes) & failed_classes
            if same and option.superior_efficacy:
                reasons = [*reasons, "same class as a failed drug, but CANMAT Table 3.5 lists it for superior efficacy"]
            elif same:
                fit = "possible"
                reasons = [
                    f"same class as a failed antidepressant ({', '.join(sorted(same))}): CANMAT's first-line switch "
                    "is to a different mechanism"
                ]
        if (
            fit not in ("excluded", "not_applicable")
            and option.drug
            and kb.drug_by_id[option.drug].kind == "medication"
        ):
            fit, reasons = _safety_fit(ctx, option, current_ads, found, age, as_of, present, fit, reasons)
            advice_row = advice.get(option.drug)
            if advice_row is not None and fit != "excluded":
                group = advice_row.with_current_medications or advice_row.category
                if group == "consider_alternative":
                    fit = "demoted"
                    reasons.append(f"pharmacogenetics: consider an alternative ({advice_row.reason})")
                elif group == "adjust_dose_or_monitor":
                    reasons.append(f"pharmacogenetics: adjust the dose or monitor ({advice_row.reason})")
        if option.drug in not_tolerated and fit in ("preferred", "possible", "demoted"):
            fit = "demoted"
            reasons.append(f"not tolerated in this episode (trial {not_tolerated[option.drug].trial_id})")
        steps.append(_step(kb, option, fit, reasons))
    ranked = sorted(
        (s for s in steps if s.fit in FIT_ORDER),
        key=lambda s: (
            0 if s.strategy == "psychotic_features" else 1,
            s.line or 9,
            s.level or 9,
            FIT_ORDER[s.fit],
            s.treatment,
        ),
    )
    rest = sorted((s for s in steps if s.fit not in FIT_ORDER), key=lambda s: (s.fit, s.treatment))
    numbered = [replace(s, rank=n) for n, s in enumerate(ranked, start=1)]
    population, population_basis = _population(kb, failed, holding is not None)
    return NextSteps(individualised, tuple(situation), (*numbered, *rest), population, population_basis)


def _population(kb: KnowledgeBase, failed: dict[str, TrialFinding], holding: bool) -> tuple[str | None, Basis | None]:
    """STAR*D's remission at the patient's next step (failed adequate antidepressant trials + 1)."""
    if holding:
        return None, None
    step = min(sum(1 for t in failed.values() if t.antidepressant) + 1, 4)
    figure = next((f for f in kb.options.population_figures if f.step == step), None)
    if figure is None:
        return None, None
    text = (
        f"STAR*D, step {step} ({figure.label}): {figure.remission_pct:g}% reached remission. A population figure "
        "from one trial, not a prediction for this patient."
    )
    return text, Basis(RULE, (Fact("trials", f"{step - 1} failed adequate antidepressant trial(s)"),), figure.sources)


def _index(ctx: Context, trial_id: str) -> int:
    return next(t.index for t in ctx.record.trials if t.trial.id == trial_id)


def _dose_room(
    ctx: Context,
    current: TrialFinding,
    phenotypes: dict[str, str],
    age: int | None,
    advice: dict[str, DrugAdvice],
    fit: Fit,
    reasons: list[str],
) -> tuple[Fit, list[str]]:
    """Room to raise the current antidepressant: its dose against the lowest of the safety
    limits that apply to this patient, the label maximum and the guideline's range."""
    drug = ctx.kb.drug_by_id[current.drug_id]
    limits: list[tuple[float, str]] = []
    found = max_dose(ctx, current.drug_id, phenotypes, age)
    if found is not None:
        limits.append((found[0], f"safety limit: {found[1]}"))
    if drug.label_max is not None:
        limits.append((drug.label_max.value, "label maximum"))
    if drug.usual_range is not None:
        limits.append((drug.usual_range.max, "top of the guideline's range"))
    if current.max_dose is None:
        return fit, [*reasons, f"{current.treatment}: dose not recorded"]
    if not limits:
        return fit, [*reasons, f"{current.treatment} at {current.max_dose:g} {current.dose_unit}"]
    top, why = min(limits, key=lambda lim: lim[0])
    if current.max_dose >= top:
        return "excluded", [
            f"{current.treatment} {current.max_dose:g} {current.dose_unit} is at the maximum ({why}: {top:g})"
        ]
    reasons = [f"{current.treatment} {current.max_dose:g} {current.dose_unit}; up to {top:g} ({why})"]
    row = advice.get(current.drug_id)
    if row is not None and (row.with_current_medications or row.category) == "consider_alternative":
        return "demoted", [*reasons, f"pharmacogenetics: consider an alternative ({row.reason})"]
    return fit, reasons


def _fit(
    option: Option,
    prefer: str | None,
    psychotic: bool | None,
    bipolar: bool,
    current_ads: list[TrialFinding],
    failed: dict[str, TrialFinding],
    taking: set[str],
    classes: tuple[str, ...] = (),
) -> tuple[Fit, list[str]]:
    """`classes`: the option's treatment classes (for a failed course of the same kind)."""
    reasons: list[str] = []
    if bipolar:
        return "not_applicable", [
            "bipolar depression: these options come from a guideline for major depressive disorder"
        ]
    if option.strategy == "psychotic_features":
        if option.drug in failed:
            t = failed[option.drug]
            return "excluded", [
                f"failed adequately in this episode (trial {t.trial_id}: {t.outcome.status.replace('_', ' ')})"
            ]
        if psychotic:
            return "preferred", ["the episode has psychotic features"]
        if psychotic is None:
            return "not_applicable", ["applies to psychotic features, which the record does not state"]
        return "not_applicable", [
            "ranked here for psychotic features only; without them see the neuromodulation options"
        ]
    if option.strategy == "optimise":
        if not current_ads:
            return "not_applicable", ["no antidepressant is being taken now"]
        return ("preferred" if prefer is None else "possible"), reasons
    if option.drug in taking:
        return "excluded", ["already being taken"]
    if option.drug in failed:
        t = failed[option.drug]
        return "excluded", [
            f"failed adequately in this episode (trial {t.trial_id}: {t.outcome.status.replace('_', ' ')})"
        ]
    if option.strategy == "augment" and not current_ads:
        return "not_applicable", ["augmentation needs a current antidepressant"]
    if option.strategy == "neuromodulation":
        placed, why = _neuromodulation_fit(option, failed, classes)
        if psychotic and placed == "possible":
            return "demoted", [*why, "psychotic features: an antidepressant with an antipsychotic, or ECT, comes first"]
        return placed, why
    fit: Fit = "possible"
    if prefer is not None and option.strategy == prefer:
        fit = "preferred"
        reasons.append(
            "partial response: add an adjunct first (CANMAT)"
            if prefer == "augment"
            else "no response or intolerance: switch first (CANMAT)"
        )
    if psychotic and option.strategy in ("switch", "augment"):
        fit = "demoted"
        reasons.append("psychotic features: an antidepressant with an antipsychotic, or ECT, comes first")
    return fit, reasons


def _neuromodulation_fit(
    option: Option, failed: dict[str, TrialFinding], classes: tuple[str, ...]
) -> tuple[Fit, list[str]]:
    """After enough failed medication strategies (the guideline's condition); a failed course of
    the same kind (another rTMS protocol) demotes it."""
    medication = [t for t in failed.values() if t.kind == "medication"]
    need = option.after_failed or 0
    if len(medication) < need:
        return "not_applicable", [
            f"the guideline places it after {need} failed medication strategies (a switch or an adjunct); "
            f"{len(medication)} in this episode"
        ]
    reasons = [f"{len(medication)} medication strategies failed adequately in this episode"]
    if option.note:
        reasons.append(option.note)
    same = [t for t in failed.values() if t.kind == "neuromodulation" and set(t.classes) & set(classes)]
    if same:
        return "demoted", [*reasons, f"a course of the same kind failed (trial {same[0].trial_id})"]
    return "possible", reasons


def _safety_fit(
    ctx: Context,
    option: Option,
    current_ads: list[TrialFinding],
    found: tuple[GenePhenotype, ...],
    age: int | None,
    as_of: date,
    present: set[tuple[str, tuple[str, ...]]],
    fit: Fit,
    reasons: list[str],
) -> tuple[Fit, list[str]]:
    """Run the safety checks on the regimen the option would make; a new hard stop excludes
    it, a new major finding demotes it."""
    assert option.drug is not None
    drug = ctx.kb.drug_by_id[option.drug].name
    if option.strategy == "switch":
        proposal = Proposal((), tuple(t.treatment for t in current_ads), (drug,), as_of)
    else:
        proposal = Proposal((drug,), (), (), as_of)
    after = check_safety(ctx, found, age, proposal, focus=option.drug)
    new = [f for f in after.findings if (f.rule, f.drugs) not in present]
    hard = [f for f in new if f.severity == "contraindicated"]
    washout_only = hard and all(f.rule == "maoi_washout" for f in hard) and option.strategy == "switch"
    if washout_only:
        # a switch that needs a drug-free period is still an option: say when it can start
        plans = [w for w in after.washouts if w.start == drug and w.earliest_start]
        latest = max(plans, key=lambda w: w.earliest_start or as_of) if plans else None
        when = f"no sooner than {latest.earliest_start} (after {latest.stop})" if latest else "after a drug-free period"
        return fit, [*reasons, f"needs a drug-free period: start {when}"]
    if hard:
        plans = [w for w in after.washouts if w.start == drug and w.earliest_start]
        when = f"; earliest safe start {plans[0].earliest_start}" if plans else ""
        return "excluded", [*reasons, f"safety: {hard[0].message}{when}"]
    major = [f for f in new if f.severity == "major"]
    if major:
        return "demoted", [*reasons, f"safety: {major[0].message}"]
    return fit, reasons


@dataclass(frozen=True)
class _Shown:
    """What an option shows whatever the patient: built once per option and knowledge base."""

    treatment: str
    dose: str | None
    monitoring: tuple[str, ...]
    other_guidelines: tuple[str, ...]
    basis: Basis
    start: str | None


_shown: tuple[KnowledgeBase, dict[str, _Shown]] | None = None  # one slot: the KB last asked about


def _step(kb: KnowledgeBase, option: Option, fit: Fit, reasons: list[str]) -> NextStep:
    global _shown
    if _shown is None or _shown[0] is not kb:
        _shown = (kb, {})
    shown = _shown[1].get(option.id)
    if shown is None:
        shown = _shown[1][option.id] = _show(kb, option)
    return NextStep(
        option.id,
        option.strategy,
        shown.treatment,
        option.line,
        option.level,
        fit,
        None,
        tuple(reasons),
        shown.dose,
        shown.monitoring,
        shown.other_guidelines,
        shown.basis,
        shown.start,
    )


def _show(kb: KnowledgeBase, option: Option) -> _Shown:
    names = {
        "optimise": "optimise the current antidepressant's dose",
        "continue": option.note or "continue the current antidepressant",
        "psychotic_features": option.note or "",
    }
    drug = kb.drug_by_id[option.drug] if option.drug else None
    treatment = drug.name if drug else names.get(option.strategy, option.id)
    if option.strategy == "psychotic_features" and drug is not None:
        treatment = f"{drug.name} ({option.note})" if option.note else drug.name
    dose = None
    if drug is not None and drug.usual_range is not None:
        dose = f"{drug.usual_range.min:g}-{drug.usual_range.max:g} {drug.dose_unit}"
    label_start = drug.label_start if drug is not None else None
    start = None
    if drug is not None and label_start is not None:
        use, text = label_start.describe(drug.dose_unit)
        start = f"label{use}: start {text}"
    # the strategy's own monitoring (e.g. when to judge a switch), for this treatment's classes
    shared = [
        m
        for m in kb.options.strategy_monitoring
        if m.strategy == option.strategy
        and (not m.classes or (drug is not None and set(m.classes) & set(drug.classes)))
    ]
    monitoring = (*option.monitoring, *(line for m in shared for line in m.monitoring))
    sources = [
        *option.sources,
        *(drug.usual_range.sources if drug is not None and drug.usual_range else ()),
        *(label_start.sources if label_start is not None else ()),
        *option.monitoring_sources,
        *(c for m in shared for c in m.sources),
        *(c for g in option.other_guidelines for c in g.sources),
    ]
    return _Shown(
        treatment,
        dose,
        monitoring,
        tuple(f"{g.guideline}: {g.statement}" for g in option.other_guidelines),
        Basis(RULE, (Fact("options", option.id),), tuple(dict.fromkeys(sources))),
        start,
    )
