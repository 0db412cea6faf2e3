"""TRD staging: Thase-Rush, MGH-S and the Maudsley staging method (MSM).

Points, stages, bands, class groups and scope are data (``knowledge/data/staging.yaml``:
Thase & Rush 1997; Fava 2003 and the Hagg 2020 Panel 1 operationalisation; Fekadu
2009/2018). Trials whose adequacy or outcome is unknown make a range: the low end counts
only definite failures, the high end counts every undecided trial as failed. Thase-Rush
cannot place every history; the placement rule in the KB says how trdnav does it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trdnav.assessment import Basis, Fact, Stage, StageComponent
from trdnav.knowledge.schema import Msm, Points, SeverityPoints, StagingModel, Threshold
from trdnav.record.normalise import NTrial
from trdnav.rules.context import Context
from trdnav.rules.outcome import failed_under
from trdnav.rules.timeline import antidepressant_trial, optimised

RULE_THASE_RUSH = "staging.thase_rush"
RULE_MGH_S = "staging.mgh_s"
RULE_MSM = "staging.msm"
RULE_OUT_OF_SCOPE = "staging.out_of_scope"

DAYS_PER_MONTH = 365.25 / 12

Status = Literal["failed", "possible", "not_failed"]


@dataclass(frozen=True)
class Judged:
    trial: NTrial
    status: Status

    @property
    def fact(self) -> Fact:
        return Fact(self.trial.path, f"{self.trial.drug.name}: {self.status.replace('_', ' ')}")


def judge_all(ctx: Context, model: StagingModel) -> list[Judged]:
    """Each trial of the current episode: failed (adequate and failed), not failed
    (inadequate or responded), or possible (the record cannot say yet)."""
    judged = []
    for trial in ctx.current_trials():
        adequacy = ctx.adequacy(trial, model.adequacy_profile, model.min_weeks)
        failed = failed_under(ctx.outcome(trial, model.min_weeks), model.failure_below_pct, ctx.kb)
        status: Status = "possible"
        if failed is False or adequacy.status == "inadequate":
            status = "not_failed"
        elif failed and adequacy.status == "adequate":
            status = "failed"
        judged.append(Judged(trial, status))
    return judged


def is_ect(trial: NTrial, model: StagingModel) -> bool:
    return model.ect_class in trial.drug.classes


def is_ad_trial(ctx: Context, trial: NTrial) -> bool:
    return antidepressant_trial(trial, ctx.roles[trial.trial.id].role)


def _range_label(low: str, high: str) -> str:
    return low if low == high else f"{low} to {high}"


def _undecided(judged: list[Judged]) -> tuple[str, ...]:
    return tuple(j.trial.path for j in judged if j.status == "possible")


def out_of_scope(ctx: Context, model: StagingModel, key: Literal["thase_rush", "mgh_s", "msm"]) -> Stage | None:
    excluded = ctx.excluded_episode(model.excluded_diagnoses)
    if excluded is None:
        return None
    path, diagnosis = excluded
    fact = Fact(f"{path}.diagnosis", diagnosis)
    note = f"{model.name} stages unipolar depression; {path} is diagnosed {diagnosis.replace('_', ' ')}"
    return Stage(
        key,
        model.name,
        "not applicable",
        None,
        None,
        None,
        None,
        (),
        (note,),
        Basis(RULE_OUT_OF_SCOPE, (fact,), tuple(model.sources)),
    )


# --- Thase-Rush -------------------------------------------------------------------------


def thase_rush(ctx: Context) -> Stage:
    model = ctx.kb.staging.thase_rush
    skipped = out_of_scope(ctx, model, "thase_rush")
    if skipped:
        return skipped
    judged = judge_all(ctx, model)
    groups: dict[str, str | None] = {}
    trials_of: dict[str, list[str]] = {}
    sure: set[str] = set()
    maybe: set[str] = set()
    ect_sure: list[str] = []
    ect_maybe = False
    unrecorded: list[str] = []
    facts = []
    notes = []
    for j in judged:
        t = j.trial
        if is_ect(t, model):
            placement = t.trial.ect_placement
            if placement not in (None, model.ect_placement):
                if j.status != "not_failed":
                    notes.append(f"{t.trial.id}: ECT recorded as {placement}; stage V needs {model.ect_placement} ECT")
                continue
            # an unrecorded placement may have been bilateral: it counts only for the upper bound
            if j.status == "failed" and placement == model.ect_placement:
                ect_sure.append(t.trial.id)
            ect_maybe |= j.status != "not_failed"
            if placement is None and j.status != "not_failed":
                notes.append(f"{t.trial.id}: ECT placement not recorded; stage V needs {model.ect_placement} ECT")
                unrecorded.append(f"{t.path}.ect_placement")
        elif is_ad_trial(ctx, t):
            key, group = _class_key(ctx, t, model.pooled_groups)
            groups[key] = group
            if j.status == "failed":
                sure.add(key)
                trials_of.setdefault(key, []).append(t.trial.id)
            if j.status != "not_failed":
                maybe.add(key)
        else:
            if j.status != "not_failed":
                notes.append(
                    f"{t.trial.id} ({t.drug.name}): not counted; Thase-Rush stages antidepressant trials and ECT only"
                )
            continue
        facts.append(j.fact)
    tca, maoi = model.tca_group, model.maoi_group
    low = _thase_rush_stage(sure, groups, bool(ect_sure), tca, maoi)
    high = _thase_rush_stage(maybe, groups, ect_maybe, tca, maoi)
    unplaced = []
    for key in sorted(sure):
        ids = ", ".join(trials_of[key])
        if groups.get(key) == tca and low < 3:
            unplaced.append(f"failed TCA ({ids}) counted only as a class: stage III needs two other classes first")
        if groups.get(key) == maoi and low < 4:
            unplaced.append(f"failed MAOI ({ids}) counted only as a class: stage IV needs stage III without it")
    if ect_sure and low < 5:
        unplaced.append(
            f"failed {model.ect_placement} ECT ({', '.join(ect_sure)}) not placed: stage V needs stage IV first"
        )
    if unplaced:
        notes.extend([*unplaced, model.placement_rule])
    labels = {s.stage: s.label for s in model.stages}
    components = tuple(
        StageComponent(f"stage {s.label}", None, s.description) for s in model.stages if 0 < s.stage <= high
    )
    return Stage(
        "thase_rush",
        model.name,
        _range_label(labels[low], labels[high]),
        float(low) if low == high else None,
        float(low),
        float(high),
        None,
        components,
        tuple(notes),
        Basis(RULE_THASE_RUSH, tuple(facts), tuple(model.sources), _undecided(judged) + tuple(unrecorded)),
    )


def _class_key(ctx: Context, trial: NTrial, pooled: tuple[str, ...]) -> tuple[str, str | None]:
    """(key that decides 'a different class', Thase-Rush group) for an antidepressant."""
    for class_id in trial.drug.classes:
        cls = ctx.kb.class_by_id[class_id]
        if cls.antidepressant:
            return (cls.thase_rush if cls.thase_rush in pooled else class_id), cls.thase_rush
    return trial.drug.classes[0], None


def _thase_rush_stage(keys: set[str], groups: dict[str, str | None], ect: bool, tca_group: str, maoi_group: str) -> int:
    """Each stage reached by a different failed trial (the KB's placement rule)."""
    tca = {k for k in keys if groups.get(k) == tca_group}
    maoi = {k for k in keys if groups.get(k) == maoi_group}
    stage = min(len(keys), 2)
    if stage == 2 and tca and len(keys - tca) >= 2:
        stage = 3
        if maoi and len(keys - tca - maoi) >= 2:
            stage = 4
            if ect:
                stage = 5
    return stage


# --- MGH-S ----------------------------------------------------------------------------------


def mgh_s(ctx: Context) -> Stage:
    model = ctx.kb.staging.mgh_s
    skipped = out_of_scope(ctx, model, "mgh_s")
    if skipped:
        return skipped
    judged = judge_all(ctx, model)
    low = high = 0.0
    components = []
    facts = []
    counted: set[str] = set()
    for j in judged:
        t = j.trial
        if j.status == "not_failed":
            continue
        if is_ect(t, model):
            points = model.points_ect
            detail = f"failed ECT course ({t.trial.id})"
        elif is_ad_trial(ctx, t):
            unit = ctx.unit_of(t, by_drug=False)
            if unit in counted:
                continue  # started together with a trial already counted: one combination trial
            counted.add(unit)
            points = model.points_failed_trial
            verb = "failed adequate trial" if j.status == "failed" else "possibly failed trial"
            parts = [f"{verb} of {t.drug.name} ({t.trial.id})"]
            if optimised(t):
                points += model.points_optimised
                parts.append("dose optimised")
            if ctx.augmented(t):
                points += model.points_augmented
                parts.append("augmented or combined")
            detail = ", ".join(parts)
        else:
            continue
        high += points
        if j.status == "failed":
            low += points
        else:
            detail += " (undecided: counted only in the upper bound)"
        components.append(StageComponent(t.drug.name, points, detail))
        facts.append(j.fact)
    label = f"{low:g}" if low == high else f"{low:g} to {high:g}"
    notes, cited = _threshold_notes(model.thresholds, low, high)
    return Stage(
        "mgh_s",
        model.name,
        label,
        low if low == high else None,
        low,
        high,
        None,
        tuple(components),
        notes,
        Basis(RULE_MGH_S, tuple(facts), tuple(model.sources) + cited, _undecided(judged)),
    )


def _threshold_notes(
    thresholds: tuple[Threshold, ...], low: float, high: float
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Published TRD cut-offs on this score, each said to be met, not met or undecided."""
    notes = []
    for th in thresholds:
        met = "met" if low >= th.min_score else ("not met" if high < th.min_score else "undecided")
        notes.append(f"cut-off {th.min_score:g} ({th.id}): {met}")
    return tuple(notes), tuple(s for th in thresholds for s in th.sources)


# --- MSM ------------------------------------------------------------------------------------


def _first_within(value: float, table: tuple[Points, ...]) -> Points | None:
    """The first row whose max (inclusive) the value does not exceed and whose min it reaches."""
    for row in table:
        if (row.min is None or value >= row.min) and (row.max is None or value <= row.max):
            return row
    return None


def msm(ctx: Context) -> Stage:
    model = ctx.kb.staging.msm
    skipped = out_of_scope(ctx, model, "msm")
    if skipped:
        return skipped
    episode = ctx.record.current_episode
    sources = tuple(model.sources)
    if episode is None:
        return Stage(
            "msm",
            model.name,
            "unknown",
            None,
            None,
            None,
            None,
            (),
            (),
            Basis(RULE_MSM, (), sources, ("episodes: the current episode and its start date",)),
        )
    end = episode.end or ctx.record.as_of
    months = (end - episode.start).days / DAYS_PER_MONTH
    duration = _first_within(months, model.duration_months)
    assert duration is not None, "the last duration row has no maximum"
    episode_path = ctx.episode_path()
    components = [StageComponent("duration", duration.points, f"{months:.1f} months: {duration.label}")]
    facts = [Fact(episode_path, f"{episode.id} from {episode.start}" + (f" to {episode.end}" if episode.end else ""))]
    missing: list[str] = []
    low = high = float(duration.points)

    severity, severity_missing = _severity_options(model, episode.severity, episode.psychotic_features)
    missing.extend(severity_missing)
    if episode.severity is None:
        components.append(StageComponent("severity", None, "not recorded"))
    else:
        detail = " or ".join(o.label for o in severity)
        components.append(StageComponent("severity", severity[0].points if len(severity) == 1 else None, detail))
        facts.append(Fact(f"{episode_path}.severity", episode.severity))
    low += min(o.points for o in severity)
    high += max(o.points for o in severity)

    judged = judge_all(ctx, model)
    sure = {j.trial.drug.id for j in judged if j.status == "failed" and is_ad_trial(ctx, j.trial)}
    maybe = {j.trial.drug.id for j in judged if j.status != "not_failed" and is_ad_trial(ctx, j.trial)}
    facts.extend(j.fact for j in judged if j.status != "not_failed" and is_ad_trial(ctx, j.trial))
    fail_low, fail_high = _first_within(len(sure), model.failures), _first_within(len(maybe), model.failures)
    low += fail_low.points if fail_low else 0
    high += fail_high.points if fail_high else 0
    fail_detail = f"{len(sure)} antidepressant(s) failed" + (
        f", up to {len(maybe)} with undecided trials" if maybe != sure else ""
    )
    components.append(StageComponent("treatment failures", fail_low.points if fail_low else 0, fail_detail))
    notes = []
    if not maybe:
        notes.append("no failed antidepressant: the MSM assumes at least one, so the total is below its 3-15 range")
    if maybe != sure:
        missing.append("outcome or adequacy of the undecided trials")

    trials = ctx.current_trials()
    # an antidepressant recorded as augmentation is already counted among the failures
    augmentation = any(ctx.roles[t.trial.id].role == "augmentation" and not is_ad_trial(ctx, t) for t in trials)
    ect = any(is_ect(t, model) for t in trials)
    aug_points = model.augmentation_points if augmentation else 0
    ect_points = model.ect_points if ect else 0
    components.append(StageComponent("augmentation", aug_points, "used" if augmentation else "not used"))
    components.append(StageComponent("ECT", ect_points, "used" if ect else "not used"))
    low += aug_points + ect_points
    high += aug_points + ect_points

    band_low, band_high = _band(model, low), _band(model, high)
    band_label = (
        band_low if band_low == band_high else (f"{band_low} to {band_high}" if band_low and band_high else None)
    )
    label = f"{low:g}" if low == high else f"{low:g} to {high:g}"
    if band_label:
        label += f" ({band_label})"
    cut_notes, cited = _threshold_notes(model.thresholds, low, high)
    return Stage(
        "msm",
        model.name,
        label,
        low if low == high else None,
        low,
        high,
        band_label,
        tuple(components),
        tuple(notes) + cut_notes,
        Basis(RULE_MSM, tuple(facts), sources + cited, tuple(missing)),
    )


def _severity_options(
    model: Msm, severity: str | None, psychotic: bool | None
) -> tuple[list[SeverityPoints], list[str]]:
    """The severity rows the record allows, and what is missing to narrow them to one."""
    if severity is None:
        return list(model.severity), ["episode severity (clinician-rated)"]
    rows = [r for r in model.severity if r.severity == severity]
    split = [r for r in rows if r.psychotic is not None]
    if split and psychotic is None:
        return rows, ["whether the episode has psychotic features"]
    if split:
        return [r for r in split if r.psychotic == psychotic], []
    return rows, []


def _band(model: Msm, score: float) -> str | None:
    row = next((b for b in model.bands if b.min <= score <= b.max), None)
    return row.label if row else None


def stage_all(ctx: Context) -> tuple[Stage, ...]:
    return (thase_rush(ctx), mgh_s(ctx), msm(ctx))
