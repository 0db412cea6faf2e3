"""Trial outcome: remission, response, partial response, non-response, intolerance.

Scale scores decide when a baseline and an end-point of the same scale bracket the
trial (windows are trdnav conventions, named in the KB); the end-point is taken before
any later treatment was added on top of the trial. The scale with the most recent
end-point decides; on the same date clinician-rated before self-report, then KB order. Without scores, the clinician's
recorded outcome decides, then the recorded reason for stopping. Response is a fall of
at least 50% from baseline, partial response 25% to under 50% (KB ``outcome``).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from typing import Literal

from trdnav.assessment import Basis, Fact, Outcome, OutcomeStatus, ScaleChange
from trdnav.knowledge.loader import KnowledgeBase
from trdnav.knowledge.schema import Scale
from trdnav.record.normalise import Normalised, NScore, NTrial

RULE_SCALE = "outcome.scale_change"
RULE_CLINICIAN = "outcome.clinician_rating"
RULE_STOP = "outcome.stop_reason"
RULE_TOO_EARLY = "outcome.too_early"
RULE_NONE = "outcome.unknown"


def convention(kb: KnowledgeBase, convention_id: str) -> float:
    value: float = kb.convention_by_id[convention_id].value
    return value


def improvement(baseline: float, endpoint: float) -> float | None:
    return None if baseline <= 0 else round((baseline - endpoint) / baseline * 100, 1)


def remission_cutoff(scale: Scale) -> tuple[float, tuple[str, ...]] | None:
    if scale.default_remission is None:
        return None
    rule = next(r for r in scale.remission if r.id == scale.default_remission)
    return rule.max_score, tuple(rule.sources)


ChangeStatus = Literal["remission", "response", "partial_response", "non_response", "unknown"]


def classify(pct: float | None, remitted: bool | None, kb: KnowledgeBase) -> ChangeStatus:
    cut = kb.adequacy.outcome
    if remitted:
        return "remission"
    if pct is None:
        return "unknown"
    if pct >= cut.response_min_pct:
        return "response"
    if pct >= cut.partial_response_min_pct:
        return "partial_response"
    return "non_response"


def scale_changes(
    trial: NTrial, record: Normalised, kb: KnowledgeBase, window_end: date | None = None
) -> list[tuple[ScaleChange, NScore, NScore]]:
    """Baseline and end-point pairs per scale. ``window_end`` closes the window early (a
    treatment added on top, the episode's end: see Context.window_end)."""
    before = timedelta(days=convention(kb, "baseline_days_before"))
    after = timedelta(days=convention(kb, "baseline_days_after"))
    grace = timedelta(days=convention(kb, "endpoint_days_after_stop"))
    start = trial.trial.start
    end = trial.end if window_end is None else min(window_end, trial.end)
    changes = []
    for scale in kb.scales.scales:
        scores = record.scores_by_scale.get(scale.id, ())
        if not scores:
            continue
        dates = record.dates_by_scale[scale.id]
        # latest score in [start - before, start], else the first in (start, start + after]
        k = bisect_right(dates, start)
        if k and dates[k - 1] >= start - before:
            b = k - 1
        elif k < len(dates) and dates[k] <= start + after:
            b = k
        else:
            continue
        baseline = scores[b]
        # the last score while the trial ran alone; failing that, the first one just after it stopped
        last = bisect_right(dates, end) - 1
        first_after = last + 1
        if last >= 0 and dates[last] > max(start, baseline.score.date):
            e = last
        elif (
            first_after < len(dates) and dates[first_after] <= end + grace and dates[first_after] > baseline.score.date
        ):
            e = first_after
        else:
            continue
        endpoint = scores[e]
        cutoff = remission_cutoff(scale)
        remitted = None if cutoff is None else endpoint.total <= cutoff[0]
        peak = _peak(scores[b + 1 : e], baseline.total, cutoff, kb, int(convention(kb, "peak_confirmation_scores")))
        change = ScaleChange(
            scale=scale.id,
            baseline=baseline.total,
            baseline_date=baseline.score.date,
            endpoint=endpoint.total,
            endpoint_date=endpoint.score.date,
            improvement_pct=improvement(baseline.total, endpoint.total),
            remission=remitted,
            peak=None if peak is None else peak.total,
            peak_date=None if peak is None else peak.score.date,
        )
        changes.append((change, baseline, endpoint))
    # the most recent end-point first; on the same date clinician-rated before self-report;
    # then KB order (the loop order; the sort is stable)
    changes.sort(key=lambda c: (-c[0].endpoint_date.toordinal(), kb.scale_by_id[c[0].scale].rater != "clinician"))
    return changes


def _peak(
    between: tuple[NScore, ...],
    baseline: float,
    cutoff: tuple[float, tuple[str, ...]] | None,
    kb: KnowledgeBase,
    confirm: int,
) -> NScore | None:
    """The lowest score before the end-point within a sustained response: ``confirm``
    consecutive scores that all reached response or remission (one low score is noise)."""

    def responded(s: NScore) -> bool:
        remitted = cutoff is not None and s.total <= cutoff[0]
        return classify(improvement(baseline, s.total), remitted, kb) in ("response", "remission")

    best: NScore | None = None
    run: list[NScore] = []
    for s in between:
        run = [*run, s] if responded(s) else []
        if len(run) >= confirm:
            low = min(run, key=lambda r: (r.total, r.score.date))
            if best is None or low.total < best.total:
                best = low
    return best


_CLINICIAN_STATUS: dict[str, OutcomeStatus] = {
    "remission": "remission",
    "response": "response",
    "partial_response": "partial_response",
    "non_response": "non_response",
}


Changes = list[tuple[ScaleChange, NScore, NScore]]


def assess_outcome(
    trial: NTrial, record: Normalised, kb: KnowledgeBase, min_weeks: float, changes: Changes | None = None
) -> Outcome:
    path = trial.path
    changes = scale_changes(trial, record, kb) if changes is None else changes
    clinician = trial.trial.clinician_outcome
    stopped_for = trial.trial.reason_stopped
    cut_sources = tuple(kb.adequacy.outcome.sources)
    reasons: list[str] = []
    intolerant = stopped_for == "intolerance"
    if intolerant:
        reasons.append("stopped because of side effects")

    if changes:
        change, baseline, endpoint = changes[0]
        scale = kb.scale_by_id[change.scale]
        status: OutcomeStatus = classify(change.improvement_pct, change.remission, kb)
        pct = change.improvement_pct
        reasons.insert(
            0,
            f"{scale.name} {change.baseline:g} -> {change.endpoint:g}"
            + (f" ({pct:g}% improvement)" if pct is not None else " (baseline 0: no % change)"),
        )
        facts = [
            Fact(baseline.path, f"{scale.name} {baseline.total:g} on {baseline.score.date}"),
            Fact(endpoint.path, f"{scale.name} {endpoint.total:g} on {endpoint.score.date}"),
        ]
        sources = [*cut_sources, *scale.sources]
        cutoff = remission_cutoff(scale)
        if cutoff is not None:
            sources.extend(cutoff[1])
        if change.peak is not None and change.peak_date is not None and status not in ("response", "remission"):
            peak_pct = improvement(change.baseline, change.peak)
            status = classify(peak_pct, cutoff is not None and change.peak <= cutoff[0], kb)
            reasons.append(
                f"reached {change.peak:g} on {change.peak_date} ({status}), then worsened: responded, possible relapse"
            )
        if trial.ongoing and trial.weeks < min_weeks and status in ("non_response", "partial_response"):
            reasons.append(f"only {trial.weeks:.1f} weeks so far: too early to call non-response")
            status = "too_early"
        if clinician is not None and _CLINICIAN_STATUS[clinician] != status:
            reasons.append(f"clinician recorded {clinician.replace('_', ' ')}; scale scores decide here")
            facts.append(Fact(f"{path}.clinician_outcome", clinician))
        if intolerant and status in ("non_response", "unknown"):
            status = "intolerance"
        return Outcome(
            status,
            "scale",
            pct,
            tuple(c[0] for c in changes),
            tuple(reasons),
            Basis(RULE_SCALE, tuple(facts), tuple(dict.fromkeys(sources))),
        )

    if clinician is not None:
        clinician_status = _CLINICIAN_STATUS[clinician]
        reasons.insert(0, f"clinician recorded {clinician.replace('_', ' ')} (no bracketing scale scores)")
        return Outcome(
            clinician_status,
            "clinician",
            None,
            (),
            tuple(reasons),
            Basis(RULE_CLINICIAN, (Fact(f"{path}.clinician_outcome", clinician),), cut_sources),
        )
    if stopped_for in _CLINICIAN_STATUS:
        assert stopped_for is not None
        reasons.insert(0, f"stopped for {stopped_for.replace('_', ' ')} (no scale scores or clinician rating)")
        return Outcome(
            _CLINICIAN_STATUS[stopped_for],
            "stop_reason",
            None,
            (),
            tuple(reasons),
            Basis(RULE_STOP, (Fact(f"{path}.reason_stopped", stopped_for),), cut_sources),
        )
    if intolerant:
        return Outcome(
            "intolerance",
            "stop_reason",
            None,
            (),
            tuple(reasons),
            Basis(RULE_STOP, (Fact(f"{path}.reason_stopped", "intolerance"),), cut_sources),
        )
    if trial.ongoing and trial.weeks < min_weeks:
        return Outcome(
            "too_early",
            "none",
            None,
            (),
            (f"running for {trial.weeks:.1f} weeks",),
            Basis(RULE_TOO_EARLY, (Fact(f"{path}.start", str(trial.trial.start)),), cut_sources),
        )
    return Outcome(
        "unknown",
        "none",
        None,
        (),
        ("no scale scores bracket the trial and no clinician rating",),
        Basis(
            RULE_NONE, (), cut_sources, ("a baseline and a follow-up score of one scale", f"{path}.clinician_outcome")
        ),
    )


def failed_under(outcome: Outcome, failure_below_pct: float, kb: KnowledgeBase) -> bool | None:
    """Did the trial fail by a definition's threshold? None when the record cannot say."""
    if outcome.status in ("remission", "response"):
        return False
    if outcome.decided_by == "scale" and outcome.improvement_pct is not None and outcome.status != "too_early":
        return outcome.improvement_pct < failure_below_pct
    if outcome.status == "partial_response":
        # a clinician's 'partial response' is 25% to under 50%: a failure only where the
        # definition's threshold sits above that band's floor
        return failure_below_pct > kb.adequacy.outcome.partial_response_min_pct
    if outcome.status == "non_response":
        return True
    return None
