"""A small test language in clinical words, so tests read like case vignettes.

    case = Case().episode(severity="severe").trial("sertraline", mg=150, weeks=8).improves(10)
    result = case.assess()

Trials follow one another (a switch) unless ``start_week`` places them; each trial can get
a baseline and end-point score of one scale with ``improves(pct)`` or ``scores(a, b)``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from trdnav.assessment import Assessment
from trdnav.engine import assess
from trdnav.knowledge.loader import KnowledgeBase, load_kb
from trdnav.record.parse import parse_record

EPISODE_START = date(2024, 1, 1)
AS_OF = date(2026, 1, 1)

_KB: KnowledgeBase | None = None


def kb() -> KnowledgeBase:
    global _KB
    if _KB is None:
        _KB = load_kb()
    return _KB


class Case:
    def __init__(self, as_of: date = AS_OF) -> None:
        self.as_of = as_of
        self.data: dict[str, Any] = {"patient": {"id": "test"}, "episodes": [], "trials": [], "scales": []}
        self._cursor = EPISODE_START + timedelta(days=7)
        self._last: dict[str, Any] | None = None
        self._n = 0

    # --- record facts ---------------------------------------------------------------
    def patient(self, **fields: Any) -> Case:
        self.data["patient"].update(fields)
        return self

    def episode(
        self,
        start: date = EPISODE_START,
        end: date | None = None,
        diagnosis: str = "mdd",
        severity: str | None = "moderate",
        psychotic: bool | None = False,
    ) -> Case:
        episode: dict[str, Any] = {
            "id": f"e{len(self.data['episodes']) + 1}",
            "start": start.isoformat(),
            "diagnosis": diagnosis,
            "psychotic_features": psychotic,
        }
        if severity is not None:
            episode["severity"] = severity
        if end is not None:
            episode["end"] = end.isoformat()
        self.data["episodes"].append(episode)
        return self

    def trial(
        self,
        treatment: str,
        mg: float | None = None,
        weeks: float = 8,
        *,
        start_week: float | None = None,
        ongoing: bool = False,
        adherence: str = "good",
        **fields: Any,
    ) -> Case:
        self._n += 1
        start = EPISODE_START + timedelta(days=round(start_week * 7)) if start_week is not None else self._cursor
        stop = start + timedelta(days=round(weeks * 7))
        trial: dict[str, Any] = {
            "id": f"t{self._n}",
            "treatment": treatment,
            "start": start.isoformat(),
            "adherence": adherence,
        }
        if not ongoing:
            trial["stop"] = stop.isoformat()
        if mg is not None:
            trial["doses"] = [{"date": start.isoformat(), "dose": mg}]
        trial.update(fields)
        self.data["trials"].append(trial)
        self._last = trial
        self._cursor = stop + timedelta(days=1)
        return self

    def dose_step(self, after_weeks: float, mg: float) -> Case:
        assert self._last is not None
        start = date.fromisoformat(self._last["start"])
        self._last["doses"].append({"date": (start + timedelta(days=round(after_weeks * 7))).isoformat(), "dose": mg})
        return self

    def scores(self, baseline: float, endpoint: float, scale: str = "madrs") -> Case:
        """A baseline score on the trial's first day and an end-point on its last."""
        assert self._last is not None
        start = date.fromisoformat(self._last["start"])
        end = date.fromisoformat(self._last.get("stop") or self.as_of.isoformat())
        self.data["scales"].append({"instrument": scale, "date": start.isoformat(), "total": baseline})
        self.data["scales"].append({"instrument": scale, "date": end.isoformat(), "total": endpoint})
        return self

    def improves(self, pct: float, baseline: float = 40, scale: str = "madrs") -> Case:
        endpoint = baseline * (1 - pct / 100)
        assert endpoint == int(endpoint), "choose a percentage that gives a whole-number score"
        return self.scores(baseline, endpoint, scale)

    def score(self, scale: str, on: date, total: float | None = None, items: list[int] | None = None) -> Case:
        entry: dict[str, Any] = {"instrument": scale, "date": on.isoformat()}
        if total is not None:
            entry["total"] = total
        if items is not None:
            entry["items"] = items
        self.data["scales"].append(entry)
        return self

    def tms_course(
        self, protocol: str = "standard-10hz", start: date = date(2025, 3, 3), sessions: int = 0, **fields: Any
    ) -> Case:
        """A TMS course with `sessions` given on consecutive weekdays from `start` (a Monday by default)."""
        days: list[date] = []
        day = start
        while len(days) < sessions:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        course: dict[str, Any] = {
            "id": f"c{len(self.data.get('tms_courses', [])) + 1}",
            "protocol": protocol,
            "start": start.isoformat(),
            "sessions": [{"date": d.isoformat()} for d in days],
        }
        course.update(fields)
        self.data.setdefault("tms_courses", []).append(course)
        return self

    def add(self, collection: str, **fields: Any) -> Case:
        self.data.setdefault(collection, []).append(fields)
        return self

    # --- run --------------------------------------------------------------------------
    def assess(self, profile: str | None = None) -> Assessment:
        return assess(parse_record(self.data), kb(), as_of=self.as_of, profile=profile)


def verdicts(result: Assessment) -> dict[str, str]:
    return {d.definition_id: d.verdict for d in result.definitions}


def stage(result: Assessment, model: str) -> Any:
    return next(s for s in result.stages if s.model == model)


def trial(result: Assessment, trial_id: str) -> Any:
    return next(t for t in result.trials if t.trial_id == trial_id)


def check(result: Assessment, check_id: str) -> Any:
    return next(c for c in result.checks if c.check_id == check_id)
