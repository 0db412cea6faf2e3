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
from typing import Literal

from trdnav.record.normalise import Normalised, NTrial

RULE_ROLE = "timeline.role"


RoleName = Literal["monotherapy", "augmentation", "combination"]


@dataclass(frozen=True)
class Role:
    role: RoleName
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
    """The longest unbroken run at or above the floor: 50 -> 25 -> 50 mg is two short runs,
    not one adequate stretch."""
    longest = run = 0
    for start, until, dose in dose_segments(trial):
        run = run + (until - start).days if dose >= floor else 0
        longest = max(longest, run)
    return longest / 7


def max_dose(trial: NTrial) -> float | None:
    return max((step.dose for step in trial.trial.doses), default=None)


def optimised(trial: NTrial) -> bool:
    """Dose raised above the starting dose during the trial (MGH-S 'optimisation')."""
    doses = [step.dose for step in trial.trial.doses]
    return bool(doses) and max(doses) > doses[0]


def started_before(earlier: NTrial, later: NTrial) -> bool:
    """Earlier start, or the same day and listed first in the record."""
    return (earlier.trial.start, earlier.index) < (later.trial.start, later.index)


def running_at_start_of(earlier: NTrial, later: NTrial) -> bool:
    return started_before(earlier, later) and later.trial.start < earlier.end


def therapeutic(trial: NTrial) -> bool:
    """Reached the low end of its usual range (or no range or dose to say otherwise).

    A drug given below it (trazodone 50 mg for sleep) is not treated as an added
    antidepressant strategy when roles are inferred or outcome windows are cut.
    """
    drug = trial.drug
    top = max_dose(trial)
    return drug.kind != "medication" or top is None or drug.usual_range is None or top >= drug.usual_range.min


def antidepressant_trial(trial: NTrial, role: str) -> bool:
    """Counts as a trial of an antidepressant: an antidepressant given alone or combined
    with another (an antidepressant recorded as an 'augmentation' that the KB says is also
    used in combination, e.g. bupropion, still counts); an agent used as an adjunct only
    (quetiapine or esketamine added to an antidepressant) does not."""
    drug = trial.drug
    if drug.kind != "medication" or not drug.antidepressant:
        return False
    return role != "augmentation" or "combination" in drug.roles


def role_of(trial: NTrial, record: Normalised) -> Role:
    given = trial.trial.role
    if given is not None:
        return Role(given, False, trial.trial.base_trials)
    if trial.drug.kind != "medication":
        return Role("monotherapy", True, ())
    running = tuple(
        other.trial.id
        for other in record.trials
        if other.drug.kind == "medication"
        and other.drug.antidepressant
        and other.episode_id == trial.episode_id
        and running_at_start_of(other, trial)
        and therapeutic(other)
    )
    if not running:
        return Role("monotherapy", True, ())
    roles = trial.drug.roles
    as_combination = trial.drug.antidepressant and ("combination" in roles or "augmentation" not in roles)
    inferred: RoleName = "combination" if as_combination else "augmentation"
    return Role(inferred, True, running)
