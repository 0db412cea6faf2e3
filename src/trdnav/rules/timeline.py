"""Timeline: doses over time, weeks at a dose, overlapping trials, augmentation vs switch.

A trial's role is taken from the record when given. Otherwise it is inferred from
overlap (a trdnav convention, named in the output): a trial started while an
antidepressant trial was still running is a combination when it is itself an
antidepressant, an augmentation when it is not; anything else is monotherapy (a switch
when it follows another trial).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from trdnav.record.normalise import Normalised, NTrial

RULE_ROLE = "timeline.role"


@dataclass(frozen=True)
class Role:
    role: str
    inferred: bool
    base_trials: tuple[str, ...]


def dose_segments(trial: NTrial) -> list[tuple[date, date, float]]:
    """(from, to, dose) spans; the last runs to the trial's end (stop or as_of)."""
    steps = trial.trial.doses
    spans = []
    for k, step in enumerate(steps):
        until = steps[k + 1].date if k + 1 < len(steps) else trial.end
        spans.append((step.date, until, step.dose))
    return spans


def weeks_at_or_above(trial: NTrial, floor: float) -> float:
    days = sum((until - start).days for start, until, dose in dose_segments(trial) if dose >= floor)
    return days / 7


def max_dose(trial: NTrial) -> float | None:
    return max((step.dose for step in trial.trial.doses), default=None)


def optimised(trial: NTrial) -> bool:
    """Dose raised above the starting dose during the trial (MGH-S 'optimisation')."""
    doses = [step.dose for step in trial.trial.doses]
    return bool(doses) and max(doses) > doses[0]


def overlaps(earlier: NTrial, later: NTrial) -> bool:
    return earlier.trial.start <= later.trial.start < earlier.end and earlier.index != later.index


def role_of(trial: NTrial, record: Normalised) -> Role:
    given = trial.trial.role
    if given is not None:
        return Role(given, False, trial.trial.base_trials)
    if trial.drug.kind != "medication":
        return Role("monotherapy", True, ())
    running = tuple(
        other.trial.id
        for other in record.trials
        if other.drug.antidepressant
        and other.drug.kind == "medication"
        and other.episode_id == trial.episode_id
        and overlaps(other, trial)
        and other.trial.start < trial.trial.start
    )
    if not running:
        return Role("monotherapy", True, ())
    return Role("combination" if trial.drug.antidepressant else "augmentation", True, running)
