"""What the patient takes now: the record's co-medications and the trials without a stop.

The safety checks, the planner's per-option checks and the TMS screen all read this list;
the Context computes it once per assessment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from trdnav.knowledge.loader import normalise_name
from trdnav.record.normalise import Normalised


@dataclass(frozen=True)
class Item:
    """A drug in the regimen: its name as given, catalog id, record path, latest dose, start."""

    name: str
    drug_id: str | None
    path: str
    dose: float | None
    start: date | None

    @cached_property
    def norm(self) -> str:
        return normalise_name(self.name)

    @property
    def key(self) -> str:
        return self.drug_id or self.norm


def taking(record: Normalised) -> tuple[Item, ...]:
    items = [
        Item(m.medication.drug, m.drug_id, f"medications[{m.index}]", m.medication.dose, m.medication.start)
        for m in record.medications
    ]
    for t in record.trials:
        if t.ongoing:
            dose = t.trial.doses[-1].dose if t.trial.doses else None
            items.append(Item(t.drug.name, t.drug.id, t.path, dose, t.trial.start))
    return tuple(items)


def switch_points(record: Normalised) -> tuple[Mapping[str, date | None], tuple[tuple[str, date | None, bool], ...]]:
    """For the MAOI washout checks: each catalog drug's latest stop in the record (a drug
    stopped twice is judged from its last stop; None when only undated stops are known), and
    the starts of what is taken now (a trial without a stop, a co-medication with its start)."""
    latest: dict[str, date | None] = {}
    starts: list[tuple[str, date | None, bool]] = []
    for t in record.trials:
        if t.trial.stop is not None:
            note_stop(latest, t.drug.id, t.trial.stop)
        if t.ongoing:
            starts.append((t.drug.id, t.trial.start, True))
    for m in record.medications:
        if m.drug_id is not None and m.medication.start is not None:
            starts.append((m.drug_id, m.medication.start, True))
    return latest, tuple(starts)


def note_stop(latest: dict[str, date | None], drug_id: str, stopped_on: date | None) -> None:
    """Keep the latest known stop date of a drug (an undated stop only when none is dated)."""
    known = latest.get(drug_id)
    if drug_id not in latest or (stopped_on is not None and (known is None or stopped_on > known)):
        latest[drug_id] = stopped_on
