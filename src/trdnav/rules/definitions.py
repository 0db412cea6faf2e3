"""TRD status under each named definition (knowledge/data/definitions.yaml), side by side.

A definition counts the failed, adequate trials of the kinds it admits in the current
episode. The verdict is "trd" when the failures reach its minimum, "not_trd" when even
the trials with an unknown answer could not reach it, and "unknown" otherwise, with the
trials that would settle it listed.
"""

from __future__ import annotations

from trdnav.assessment import Basis, CountedTrial, CountStatus, DefinitionVerdict, Fact, Verdict
from trdnav.knowledge.schema import TrdDefinition
from trdnav.record.normalise import NTrial
from trdnav.rules.context import Context
from trdnav.rules.outcome import failed_under
from trdnav.rules.timeline import antidepressant_trial

RULE = "definitions.count_failures"
RULE_EXCLUDED_DIAGNOSIS = "definitions.diagnosis_excluded"
RULE_NO_EPISODE = "definitions.no_episode"


def admitted(trial: NTrial, role: str, definition: TrdDefinition) -> str | None:
    """None when the definition counts this kind of trial, else the reason it does not."""
    kind = trial.drug.kind
    if kind == "neuromodulation":
        return None if definition.count_neuromodulation else "neuromodulation is not counted by this definition"
    if kind == "psychotherapy":
        return None if definition.count_psychotherapy else "psychotherapy is not counted by this definition"
    if antidepressant_trial(trial, role):
        return None
    if role == "augmentation":
        return None if definition.count_augmentation else "augmentation is not counted by this definition"
    return f"{trial.drug.name} is not an antidepressant"


def judge_trial(ctx: Context, trial: NTrial, definition: TrdDefinition) -> CountedTrial:
    role = ctx.roles[trial.trial.id].role
    name = trial.drug.name
    reason = admitted(trial, role, definition)
    if reason is not None:
        return CountedTrial(trial.trial.id, name, "excluded", reason)
    adequacy = ctx.adequacy(trial, definition.adequacy_profile, definition.min_weeks)
    outcome = ctx.outcome(trial, definition.min_weeks)
    failed = failed_under(outcome, definition.failure_below_pct, ctx.kb)
    pct = outcome.improvement_pct
    result: CountStatus = "unknown"
    if failed is False:
        what = outcome.status.replace("_", " ")
        peak = outcome.changes[0].peak if outcome.changes else None
        if peak is not None:
            detail = f" (reached {peak:g} during the trial, then worsened)"
        else:
            detail = f" ({pct:g}% improvement)" if pct is not None else ""
        return CountedTrial(trial.trial.id, name, "not_failed", what + detail)
    if adequacy.status == "inadequate":
        return CountedTrial(trial.trial.id, name, "excluded", "not adequate: " + "; ".join(adequacy.reasons))
    if definition.requires_confirmed_adherence and trial.trial.adherence != "good":
        return CountedTrial(trial.trial.id, name, "unknown", "adherence not confirmed")
    if failed and adequacy.status == "adequate":
        threshold = f"under {definition.failure_below_pct:g}% improvement"
        detail = f"{pct:g}% improvement" if pct is not None else outcome.status.replace("_", " ")
        return CountedTrial(trial.trial.id, name, "failed", f"adequate trial, {detail} ({threshold})")
    missing = []
    if adequacy.status == "unknown":
        missing.append("adequacy: " + "; ".join(adequacy.reasons))
    if failed is None:
        missing.append("outcome: " + "; ".join(outcome.reasons))
    return CountedTrial(trial.trial.id, name, result, "; ".join(missing))


def _verdict(
    definition: TrdDefinition,
    verdict: Verdict,
    summary: str,
    basis: Basis,
    failures: int = 0,
    possible: int = 0,
    trials: tuple[CountedTrial, ...] = (),
) -> DefinitionVerdict:
    """Every verdict names the definition's own profile, weeks and threshold."""
    return DefinitionVerdict(
        definition.id,
        definition.name,
        definition.adequacy_profile,
        definition.min_weeks,
        definition.failure_below_pct,
        verdict,
        failures,
        possible,
        definition.min_failures,
        trials,
        summary,
        basis,
    )


def evaluate(ctx: Context, definition: TrdDefinition) -> DefinitionVerdict:
    episode = ctx.record.current_episode
    sources = tuple(definition.sources)
    if episode is None:
        return _verdict(
            definition,
            "unknown",
            "no episode recorded: TRD is judged within the current episode",
            Basis(RULE_NO_EPISODE, (), sources, ("episodes: the current depressive episode",)),
        )
    episode_fact = Fact(
        ctx.episode_path(), f"current episode {episode.id} from {episode.start}, diagnosis {episode.diagnosis}"
    )
    excluded = ctx.excluded_episode(definition.excluded_diagnoses)
    if excluded is not None:
        path, diagnosis = excluded
        return _verdict(
            definition,
            "not_applicable",
            f"{definition.name} does not apply: {path} is diagnosed {diagnosis.replace('_', ' ')}",
            Basis(RULE_EXCLUDED_DIAGNOSIS, (Fact(f"{path}.diagnosis", diagnosis),), sources),
        )
    judged = [judge_trial(ctx, t, definition) for t in ctx.current_trials()]
    failed_drugs: set[str] = set()
    unknown_drugs: set[str] = set()
    by_id = {t.trial.id: t for t in ctx.current_trials()}
    for item in judged:
        key = ctx.unit_of(by_id[item.trial_id], by_drug=definition.distinct_treatments)
        if item.status == "failed":
            failed_drugs.add(key)
        elif item.status == "unknown":
            unknown_drugs.add(key)
    failures = len(failed_drugs)
    possible = len(unknown_drugs - failed_drugs)
    need = definition.min_failures
    verdict: Verdict
    if failures >= need:
        verdict, summary = "trd", f"{failures} failed adequate treatments (needs {need})"
    elif failures + possible >= need:
        verdict, summary = "unknown", f"{failures} failed, {possible} more undecided (needs {need})"
    else:
        verdict, summary = "not_trd", f"{failures} failed adequate treatment(s) (needs {need})"
    facts = (episode_fact, *(Fact(by_id[j.trial_id].path, f"{j.treatment}: {j.status}") for j in judged))
    missing = tuple(f"{by_id[j.trial_id].path}: {j.reason}" for j in judged if j.status == "unknown")
    return _verdict(
        definition,
        verdict,
        summary,
        Basis(RULE, facts, sources, missing if verdict == "unknown" else ()),
        failures,
        possible,
        tuple(judged),
    )


def evaluate_all(ctx: Context) -> tuple[DefinitionVerdict, ...]:
    return tuple(evaluate(ctx, d) for d in ctx.kb.definitions.definitions)
