"""Per-assessment memo of the per-trial judgements that several rules share.

Definitions and staging models each ask 'was this trial adequate, and did it fail?'
under their own profile; the answers are computed once per (trial, profile, weeks). The
regimen taken now is read once too (the planner checks the safety of every option on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from trdnav.assessment import Adequacy, Outcome
from trdnav.knowledge.loader import KnowledgeBase
from trdnav.record.models import Episode
from trdnav.record.normalise import Normalised, NTrial
from trdnav.rules.adequacy import assess_adequacy
from trdnav.rules.outcome import Changes, assess_outcome, scale_changes
from trdnav.rules.taking import Item, switch_points, taking
from trdnav.rules.timeline import Role, antidepressant_trial, role_of, therapeutic


@dataclass
class Context:
    record: Normalised
    kb: KnowledgeBase
    roles: dict[str, Role] = field(default_factory=dict)
    _episodes: dict[str, Episode] = field(default_factory=dict)
    _adequacy: dict[tuple[int, str, float], Adequacy] = field(default_factory=dict)
    _outcome: dict[tuple[int, float], Outcome] = field(default_factory=dict)
    _changes: dict[int, Changes] = field(default_factory=dict)
    _units: dict[tuple[int, bool], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        taper = self.kb.convention_by_id["cross_taper_days"].value
        self.roles = {t.trial.id: role_of(t, self.record, taper) for t in self.record.trials}
        self._episodes = {e.id: e for e in self.record.record.episodes}

    @cached_property
    def taking(self) -> tuple[Item, ...]:
        """What the patient takes now (the planner asks for it once per option)."""
        return taking(self.record)

    @cached_property
    def switch_points(self) -> tuple[Mapping[str, date | None], tuple[tuple[str, date | None, bool], ...]]:
        return switch_points(self.record)

    def adequacy(self, trial: NTrial, profile_id: str, min_weeks: float) -> Adequacy:
        key = (trial.index, profile_id, min_weeks)
        if key not in self._adequacy:
            profile = self.kb.profile_by_id[profile_id]
            self._adequacy[key] = assess_adequacy(trial, self.kb, profile, min_weeks)
        return self._adequacy[key]

    def outcome(self, trial: NTrial, min_weeks: float) -> Outcome:
        key = (trial.index, min_weeks)
        if key not in self._outcome:
            if trial.index not in self._changes:
                self._changes[trial.index] = scale_changes(trial, self.record, self.kb, self.window_end(trial))
            changes = self._changes[trial.index]
            self._outcome[key] = assess_outcome(trial, self.record, self.kb, min_weeks, changes)
        return self._outcome[key]

    def episode_path(self) -> str:
        """Record path of the current episode, e.g. 'episodes[1]'."""
        episode = self.record.current_episode
        index = next(i for i, e in enumerate(self.record.record.episodes) if e is episode)
        return f"episodes[{index}]"

    def excluded_episode(self, diagnoses: tuple[str, ...]) -> tuple[str, str] | None:
        """(record path, diagnosis) of an episode whose diagnosis puts the patient outside a
        model's scope: a bipolar diagnosis on any episode makes the current one bipolar too."""
        episodes = self.record.record.episodes
        current = self.record.current_episode
        ordered = sorted(range(len(episodes)), key=lambda i: episodes[i] is not current)
        for i in ordered:
            if episodes[i].diagnosis in diagnoses:
                return f"episodes[{i}]", episodes[i].diagnosis
        return None

    def current_trials(self) -> tuple[NTrial, ...]:
        episode = self.record.current_episode
        return self.record.episode_trials(episode.id) if episode else ()

    def window_end(self, trial: NTrial) -> date | None:
        """Where a trial's own outcome window closes early: when a treatment is added on top
        of it (an augmentation or combination at a therapeutic dose that names it as base),
        another antidepressant starts at a therapeutic dose (also in a cross-taper), a
        neuromodulation course starts, or its episode ends. Psychotherapy alongside
        medication is common and long, so it does not close the window."""
        start, end = trial.trial.start, trial.end
        cuts = [
            other.trial.start
            for other in self.record.trials
            if other.episode_id == trial.episode_id
            and start < other.trial.start < end
            and (
                other.drug.kind == "neuromodulation"
                or (
                    other.drug.kind == "medication"
                    and therapeutic(other)
                    and (trial.trial.id in self.roles[other.trial.id].base_trials or other.drug.antidepressant)
                )
            )
        ]
        episode = self._episodes.get(trial.episode_id or "")
        if episode is not None and episode.end is not None:
            cuts.append(episode.end)
        return min(cuts, default=None)

    def unit_of(self, trial: NTrial, *, by_drug: bool = True) -> str:
        """The treatment a trial belongs to, for counting failures: its drug (or the trial
        itself), except that trials started together on the same day as one combination
        form one treatment (two antidepressants started at once are one failed strategy)."""
        key = (trial.index, by_drug)
        if key in self._units:
            return self._units[key]
        own = trial.drug.id if by_drug else trial.trial.id
        partners = {own}
        for other in self.record.trials:
            if other.index == trial.index or other.trial.start != trial.trial.start:
                continue
            linked = trial.trial.id in self.roles[other.trial.id].base_trials or (
                other.trial.id in self.roles[trial.trial.id].base_trials
            )
            # an adjunct started the same day is an augmentation of the course, not part of
            # the antidepressant treatment being counted
            if linked and antidepressant_trial(other, self.roles[other.trial.id].role):
                partners.add(other.drug.id if by_drug else other.trial.id)
        self._units[key] = "+".join(sorted(partners))
        return self._units[key]

    def augmented(self, trial: NTrial) -> bool:
        """Another trial at a therapeutic dose was added to this one, or combined with it
        (augmentation or combination); a sub-therapeutic add-on is not a strategy."""
        return any(
            trial.trial.id in self.roles[other.trial.id].base_trials
            and self.roles[other.trial.id].role in ("augmentation", "combination")
            and therapeutic(other)
            for other in self.record.trials
            if other.index != trial.index
        )
