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


def optimised(trial: NTrial) -> bool:
    """Dose raised after it had reached the low end of the usual range (MGH-S
    'optimisation'): titrating up to a first therapeutic dose is not optimising it."""
    doses = [step.dose for step in trial.trial.doses]
    if not doses:
        return False
    floor = trial.drug.usual_range.min if trial.drug.usual_range else doses[0]
    reached = next((k for k, dose in enumerate(doses) if dose >= floor), None)
    return reached is not None and max(doses[reached:]) > doses[reached]


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
    top = trial.max_dose
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


def adjunct_only(trial: NTrial) -> bool:
    """The KB uses this drug as an add-on but never in antidepressant combination
    (aripiprazole, quetiapine, esketamine, lithium): on a shared start day it is the add-on."""
    roles = trial.drug.roles
    return "augmentation" in roles and "combination" not in roles


def can_be_base(other: NTrial, trial: NTrial, cross_taper_days: float) -> bool:
    """Was ``other`` an antidepressant course that ``trial`` was added to?

    It must be a therapeutic antidepressant running when ``trial`` started, not itself an
    add-on, and not on its way out: an antidepressant stopped within the cross-taper window
    after ``trial`` started is a switch, not a combination. On a shared start day the
    add-on is the adjunct-only drug, else the one listed later."""
    if other.index == trial.index or other.drug.kind != "medication" or not other.drug.antidepressant:
        return False
    if adjunct_only(other) or not therapeutic(other) or not trial.trial.start < other.end:
        return False
    if other.trial.stop is not None and (other.trial.stop - trial.trial.start).days <= cross_taper_days:
        return False
    if other.trial.start == trial.trial.start:
        return adjunct_only(trial) or other.index < trial.index
    return other.trial.start < trial.trial.start


def role_of(trial: NTrial, record: Normalised, cross_taper_days: float) -> Role:
    given = trial.trial.role
    if given is not None:
        return Role(given, False, trial.trial.base_trials)
    if trial.drug.kind != "medication":
        return Role("monotherapy", True, ())
    running = tuple(
        other.trial.id
        for other in record.trials
        if other.episode_id == trial.episode_id and can_be_base(other, trial, cross_taper_days)
    )
    if not running:
        return Role("monotherapy", True, ())
    roles = trial.drug.roles
    as_combination = trial.drug.antidepressant and ("combination" in roles or "augmentation" not in roles)
    inferred: RoleName = "combination" if as_combination else "augmentation"
    return Role(inferred, True, running)
