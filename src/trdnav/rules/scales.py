"""Symptom trajectory per scale in the current episode: band, change, remission.

Bands and remission cut-offs come from ``knowledge/data/scales.yaml`` (each set named);
change is measured from the first score in the episode. A scale's safety item (e.g.
PHQ-9 item 9) is reported whenever it is answered above zero.
"""

from __future__ import annotations

from trdnav.assessment import Basis, Fact, ScalePoint, ScaleTrajectory, TrajectoryStatus, Warning
from trdnav.knowledge.schema import Scale
from trdnav.record.normalise import NScore
from trdnav.rules.context import Context
from trdnav.rules.outcome import classify, improvement, remission_cutoff

RULE = "scales.trajectory"
RULE_SAFETY_ITEM = "scales.safety_item"


def band_of(scale: Scale, total: float, band_set_id: str | None = None) -> str:
    wanted = band_set_id or scale.default_band_set
    band_set = next(b for b in scale.band_sets if b.id == wanted)
    return next(b.label for b in band_set.bands if b.min <= total <= b.max)


def episode_scores(ctx: Context) -> tuple[NScore, ...]:
    episode = ctx.record.current_episode
    scores = ctx.record.scores
    if episode is None:
        return scores
    end = episode.end or ctx.record.as_of
    return tuple(s for s in scores if episode.start <= s.score.date <= end)


def trajectories(ctx: Context) -> tuple[ScaleTrajectory, ...]:
    scores = episode_scores(ctx)
    result = []
    for scale in ctx.kb.scales.scales:
        mine = [s for s in scores if s.scale.id == scale.id]
        if mine:
            result.append(_trajectory(ctx, scale, mine))
    return tuple(result)


def _trajectory(ctx: Context, scale: Scale, scores: list[NScore]) -> ScaleTrajectory:
    cutoff = remission_cutoff(scale)
    band_set = next(b for b in scale.band_sets if b.id == scale.default_band_set)
    first = scores[0].total
    points = []
    for s in scores:
        safety = None
        if scale.safety_item is not None and s.score.items is not None:
            safety = s.score.items[scale.safety_item - 1]
        points.append(
            ScalePoint(
                date=s.score.date,
                total=s.total,
                band=band_of(scale, s.total),
                bands={b.id: band_of(scale, s.total, b.id) for b in scale.band_sets},
                change_pct=improvement(first, s.total) if s is not scores[0] else None,
                remission=None if cutoff is None else s.total <= cutoff[0],
                safety_item=safety,
                record_path=s.path,
            )
        )
    last = points[-1]
    sources = [*scale.sources, *band_set.sources, *ctx.kb.adequacy.outcome.sources]
    if cutoff:
        sources.extend(cutoff[1])
    if len(points) == 1:
        status: TrajectoryStatus = "single_score"
        summary = f"one score: {last.total:g} ({last.band})"
    else:
        status = classify(last.change_pct, last.remission, ctx.kb)
        change = f"{last.change_pct:g}% change" if last.change_pct is not None else "no % change from a 0 baseline"
        summary = f"{first:g} -> {last.total:g} ({last.band}); {change} since {points[0].date}"
    facts = tuple(Fact(p.record_path, f"{p.total:g} on {p.date}") for p in points)
    missing: tuple[str, ...] = ()
    if scale.safety_item is not None:
        totals_only = [p for p, s in zip(points, scores, strict=True) if s.score.items is None]
        if totals_only:
            # a total cannot show whether the suicide item was endorsed: say so, never imply "no"
            summary += (
                f"; item {scale.safety_item} (thoughts of death or self-harm) unknown"
                f" for {len(totals_only)} score(s) given as totals"
            )
            missing = tuple(f"{p.record_path}.items (item {scale.safety_item})" for p in totals_only)
    return ScaleTrajectory(
        scale=scale.id,
        name=scale.name,
        band_set=band_set.id,
        remission_rule=scale.default_remission,
        points=tuple(points),
        status=status,
        summary=summary,
        basis=Basis(RULE, facts, tuple(dict.fromkeys(sources)), missing),
        bands=tuple((b.label, b.min, b.max) for b in band_set.bands),
        response_at=round(first * (1 - ctx.kb.adequacy.outcome.response_min_pct / 100), 2) if first > 0 else None,
        remission_at=cutoff[0] if cutoff else None,
    )


def safety_warnings(ctx: Context) -> tuple[Warning, ...]:
    """A safety item answered above zero, at any date: never hidden."""
    warnings = []
    for s in ctx.record.scores:
        scale = s.scale
        if scale.safety_item is None or s.score.items is None:
            continue
        answer = s.score.items[scale.safety_item - 1]
        if answer > 0:
            warnings.append(
                Warning(
                    "safety",
                    RULE_SAFETY_ITEM,
                    f"{s.path}.items[{scale.safety_item - 1}]",
                    f"{scale.name} item {scale.safety_item} (thoughts of death or self-harm) answered {answer} "
                    f"on {s.score.date}: review suicide risk",
                    tuple(scale.safety_item_sources),
                )
            )
    return tuple(warnings)
