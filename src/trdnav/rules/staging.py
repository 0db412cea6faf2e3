"""TRD staging: Thase-Rush, MGH-S and the Maudsley staging method (MSM).

Points, stages and bands come from ``knowledge/data/staging.yaml`` (Thase & Rush 1997;
Fava 2003 and the PLoS One 2020 Panel 1 operationalisation; Fekadu 2009/2018). Trials
whose adequacy or outcome is unknown make a range: the low end counts only definite
failures, the high end counts every undecided trial as failed. Thase-Rush cannot place
every history; the placement rule in the KB says how trdnav does it.
"""

from __future__ import annotations

from dataclasses import dataclass

from trdnav.assessment import Basis, Fact, Stage, StageComponent
from trdnav.knowledge.schema import Points, Threshold
from trdnav.record.normalise import NTrial
from trdnav.rules.context import Context
from trdnav.rules.outcome import failed_under
from trdnav.rules.timeline import antidepressant_trial, optimised

RULE_THASE_RUSH = "staging.thase_rush"
RULE_MGH_S = "staging.mgh_s"
RULE_MSM = "staging.msm"

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Judged:
    trial: NTrial
    status: str  # failed | possible | not_failed


def judge(ctx: Context, trial: NTrial, profile: str, weeks: float, below_pct: float) -> Judged:
    adequacy = ctx.adequacy(trial, profile, weeks)
    failed = failed_under(ctx.outcome(trial, weeks), below_pct, ctx.kb)
    if failed is False or adequacy.status == "inadequate":
        return Judged(trial, "not_failed")
    if failed and adequacy.status == "adequate":
        return Judged(trial, "failed")
    return Judged(trial, "possible")


def is_ect(trial: NTrial) -> bool:
    return "ect" in trial.drug.classes


def is_ad_trial(ctx: Context, trial: NTrial) -> bool:
    return antidepressant_trial(trial, ctx.roles[trial.trial.id].role)


def class_key(ctx: Context, trial: NTrial) -> tuple[str, str | None]:
    """(class key for 'different class', Thase-Rush group)"""
    for class_id in trial.drug.classes:
        cls = ctx.kb.class_by_id[class_id]
        if cls.antidepressant:
            group = cls.thase_rush
            return (group if group in ("ssri", "snri", "tca", "maoi") else class_id), group
    return trial.drug.classes[0], None


def _range_label(low: str, high: str) -> str:
    return low if low == high else f"{low} to {high}"


def _thase_rush_stage(keys: set[str], groups: dict[str, str | None], ect: bool) -> int:
    tca = {k for k in keys if groups.get(k) == "tca"}
    maoi = {k for k in keys if groups.get(k) == "maoi"}
    stage = min(len(keys), 2)
    if stage == 2 and tca and len(keys - tca) >= 2:
        stage = 3
        if maoi and len(keys - tca - maoi) >= 2:
            stage = 4
            if ect:
                stage = 5
    return stage


def thase_rush(ctx: Context) -> Stage:
    model = ctx.kb.staging.thase_rush
    judged = [
        judge(ctx, t, model.adequacy_profile, model.min_weeks, model.failure_below_pct) for t in ctx.current_trials()
    ]
    groups: dict[str, str | None] = {}
    trials_of: dict[str, list[str]] = {}
    ect_trials: list[str] = []
    sure: set[str] = set()
    maybe: set[str] = set()
    ect_sure = ect_maybe = False
    facts = []
    notes = []
    for j in judged:
        t = j.trial
        if is_ect(t):
            if t.trial.ect_placement != "bilateral" and j.status != "not_failed":
                notes.append(f"{t.trial.id}: ECT not recorded as bilateral; stage V needs bilateral ECT")
                continue
            ect_sure |= j.status == "failed"
            ect_maybe |= j.status in ("failed", "possible")
            if j.status == "failed":
                ect_trials.append(t.trial.id)
        elif is_ad_trial(ctx, t):
            key, group = class_key(ctx, t)
            groups[key] = group
            if j.status == "failed":
                sure.add(key)
                trials_of.setdefault(key, []).append(t.trial.id)
            if j.status in ("failed", "possible"):
                maybe.add(key)
        elif j.status != "not_failed":
            notes.append(
                f"{t.trial.id} ({t.drug.name}): not counted; Thase-Rush stages antidepressant trials and ECT only"
            )
            continue
        else:
            continue
        facts.append(Fact(t.path, f"{t.drug.name}: {j.status.replace('_', ' ')}"))
    low = _thase_rush_stage(sure, groups, ect_sure)
    high = _thase_rush_stage(maybe, groups, ect_maybe)
    labels = {s.stage: s.label for s in model.stages}
    unplaced = []
    for key in sorted(sure):
        ids = ", ".join(trials_of[key])
        if groups.get(key) == "tca" and low < 3:
            unplaced.append(f"failed TCA ({ids}) counted only as a class: stage III needs two other classes first")
        if groups.get(key) == "maoi" and low < 4:
            unplaced.append(f"failed MAOI ({ids}) counted only as a class: stage IV needs stage III without it")
    if ect_sure and low < 5:
        unplaced.append(f"failed bilateral ECT ({', '.join(ect_trials)}) not placed: stage V needs stage IV first")
    if unplaced:
        notes.extend([*unplaced, model.placement_rule])
    components = tuple(
        StageComponent(f"stage {s.label}", None, s.description) for s in model.stages if s.stage <= high and s.stage > 0
    )
    missing = tuple(f.path for f in facts if "possible" in f.value)
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
        Basis(RULE_THASE_RUSH, tuple(facts), tuple(model.sources), missing),
    )


def mgh_s(ctx: Context) -> Stage:
    model = ctx.kb.staging.mgh_s
    low = high = 0.0
    components = []
    facts = []
    for t in ctx.current_trials():
        j = judge(ctx, t, model.adequacy_profile, model.min_weeks, model.failure_below_pct)
        if j.status == "not_failed":
            continue
        if is_ect(t):
            points = model.points_ect
            detail = f"failed ECT course ({t.trial.id})"
        elif is_ad_trial(ctx, t):
            points = model.points_failed_trial
            parts = [f"failed adequate trial of {t.drug.name} ({t.trial.id})"]
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
        facts.append(Fact(t.path, f"{t.drug.name}: {j.status}"))
    label = f"{low:g}" if low == high else f"{low:g} to {high:g}"
    missing = tuple(f.path for f in facts if f.value.endswith("possible"))
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
        Basis(RULE_MGH_S, tuple(facts), tuple(model.sources) + cited, missing),
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


def _points_for(value: float, table: tuple[Points, ...]) -> Points | None:
    for row in table:
        if (row.min is None or value >= row.min) and (row.max is None or value <= row.max):
            return row
    return None


def _duration_points(months: float, table: tuple[Points, ...]) -> Points:
    # bands are (min, max] in months except the first, which starts at 0 inclusive
    for row in table:
        above_min = row.min is None or months > row.min or (row.min == 0 and months >= 0)
        if above_min and (row.max is None or months <= row.max):
            return row
    return table[-1]


def msm(ctx: Context) -> Stage:
    model = ctx.kb.staging.msm
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
    duration = _duration_points(months, model.duration_months)
    components = [StageComponent("duration", duration.points, f"{months:.1f} months: {duration.label}")]
    facts = [
        Fact(ctx.episode_path(), f"{episode.id} from {episode.start}" + (f" to {episode.end}" if episode.end else ""))
    ]
    missing = []
    low = high = float(duration.points)

    by_label = {row.label: row for row in model.severity}
    if episode.severity is None:
        options = list(model.severity)
        missing.append("episode severity (clinician-rated)")
        components.append(StageComponent("severity", None, "not recorded"))
    elif episode.severity == "severe":
        names = {
            True: ["severe with psychosis"],
            False: ["severe without psychosis"],
            None: ["severe without psychosis", "severe with psychosis"],
        }[episode.psychotic_features]
        options = [by_label[n] for n in names]
        if episode.psychotic_features is None:
            missing.append("whether the episode has psychotic features")
    else:
        options = [by_label[episode.severity]]
    if options and episode.severity is not None:
        detail = " or ".join(o.label for o in options)
        components.append(StageComponent("severity", options[0].points if len(options) == 1 else None, detail))
        facts.append(Fact(f"{ctx.episode_path()}.severity", episode.severity))
    low += min(o.points for o in options)
    high += max(o.points for o in options)

    sure: set[str] = set()
    maybe: set[str] = set()
    augmentation = ect = False
    for t in ctx.current_trials():
        role = ctx.roles[t.trial.id].role
        augmentation |= role == "augmentation"
        ect |= is_ect(t)
        if is_ad_trial(ctx, t):
            j = judge(ctx, t, model.adequacy_profile, model.min_weeks, model.failure_below_pct)
            if j.status == "failed":
                sure.add(t.drug.id)
            if j.status in ("failed", "possible"):
                maybe.add(t.drug.id)
                facts.append(Fact(t.path, f"{t.drug.name}: {j.status}"))
    fail_low, fail_high = _points_for(len(sure), model.failures), _points_for(len(maybe), model.failures)
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
    aug_points = model.augmentation_points if augmentation else 0
    ect_points = model.ect_points if ect else 0
    components.append(StageComponent("augmentation", aug_points, "used" if augmentation else "not used"))
    components.append(StageComponent("ECT", ect_points, "used" if ect else "not used"))
    low += aug_points + ect_points
    high += aug_points + ect_points

    def band(score: float) -> str | None:
        row = next((b for b in model.bands if b.min <= score <= b.max), None)
        return row.label if row else None

    band_low, band_high = band(low), band(high)
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


def stage_all(ctx: Context) -> tuple[Stage, ...]:
    return (thase_rush(ctx), mgh_s(ctx), msm(ctx))
