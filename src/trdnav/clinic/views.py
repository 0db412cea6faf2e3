"""Reading a stored Assessment for display: no clinical logic, only fields the engine wrote."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from trdnav.assessment import Assessment


@cache
def _adapter() -> TypeAdapter[Assessment]:
    return TypeAdapter(Assessment)


def load_assessment(text: str) -> Assessment:
    return _adapter().validate_json(text)


def readable_assessment(text: str) -> Assessment | None:
    """A stored Assessment, or None when this version of the engine cannot read it (stored by
    an engine whose Assessment had another shape): the page then asks to re-assess."""
    try:
        return load_assessment(text)
    except ValidationError:
        return None


def dump_assessment(assessment: Assessment) -> str:
    return _adapter().dump_json(assessment).decode()


@dataclass(frozen=True)
class Summary:
    """What the patient list shows from the latest Assessment."""

    verdicts: str
    stages: str
    latest_score: str
    alerts: tuple[str, ...]


def summary_to_json(s: Summary) -> str:
    return json.dumps(asdict(s), ensure_ascii=False)


def summary_from_json(text: str) -> Summary:
    data = json.loads(text)
    return Summary(data["verdicts"], data["stages"], data["latest_score"], tuple(data["alerts"]))


def summary(text: str) -> Summary:
    """The list's summary of an Assessment JSON."""
    data: dict[str, Any] = json.loads(text)
    verdicts = ", ".join(f"{d['definition_id']}: {d['verdict'].replace('_', ' ')}" for d in data["definitions"])
    stages = ", ".join(f"{s['model']}: {s['label']}" for s in data["stages"] if s.get("label"))
    latest = ""
    points = [(p["date"], s["name"], p["total"]) for s in data["scales"] for p in s["points"]]
    if points:
        when, name, total = max(points)
        latest = f"{name} {total:g} ({when})"
    alerts = [f["message"] for f in data["safety"]["findings"] if f["severity"] in ("contraindicated", "major")]
    alerts += [w["message"] for w in data["warnings"] if w["kind"] == "safety"]
    return Summary(verdicts, stages, latest, tuple(alerts))


@dataclass(frozen=True)
class Entry:
    """One entry of the record as the patient page lists it, with the entries inside it."""

    label: str
    children: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (collection, title, labels) per nested form


def record_entries(record_json: str) -> list[tuple[str, list[Entry]]]:
    """Each top-level collection of the record with a one-line label per entry, and under each
    entry the entries of its nested forms (a trial's dose changes, a TMS course's sessions)."""
    from trdnav.clinic.forms import FORMS

    record: dict[str, Any] = json.loads(record_json)
    out = []
    for name, form in FORMS.items():
        if form.parent is not None:
            continue
        nested = [f for f in FORMS.values() if f.parent == name]
        entries = [
            Entry(
                _label(e),
                tuple((f.collection, f.title, tuple(_label(c) for c in e.get(f.parent_key or "", []))) for f in nested),
            )
            for e in record.get(name, [])
        ]
        out.append((name, entries))
    return out


def _label(e: dict[str, Any]) -> str:
    names = ("id", "treatment", "protocol", "instrument", "drug", "name", "code", "gene", "diagnosis", "item", "answer")
    parts = [str(e[k]) for k in names if k in e]
    values = ("start", "date", "stop", "total", "diplotype", "phenotype", "dose", "output_pct", "pulses")
    parts += [f"{k.replace('_', ' ')} {e[k]}" for k in values if k in e]
    return ", ".join(parts)
