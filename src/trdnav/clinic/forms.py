"""Entry forms made from the record format's own models, so a form can never drift from the
format: each field's type gives its input (date, number, choice, yes/no, list), its description
the hint. Values go back into the native record; the engine's checks then judge them."""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from trdnav.record import models

Kind = Literal["text", "date", "number", "choice", "yesno", "list"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    required: bool
    choices: tuple[str, ...] = ()
    hint: str | None = None
    # a list's items: text items go one per line (a side effect may hold a comma), numbers and
    # dates are comma-separated; only a number list turns digits into numbers (trial ids stay text)
    item: Literal["text", "number", "date"] | None = None


@dataclass(frozen=True)
class EntryForm:
    """A record collection a clinician adds to: where it lives and which model checks it."""

    collection: str
    title: str
    model: type[BaseModel]
    # the entry goes into a list inside another entry (a trial's doses, a course's sessions)
    parent: str | None = None
    parent_key: str | None = None
    # fields whose values are ids in the knowledge base: field name -> KnowledgeBase index
    # (a mapping by id), so the form offers the ids instead of free text
    kb_choices: tuple[tuple[str, str], ...] = ()


FORMS: dict[str, EntryForm] = {
    f.collection: f
    for f in (
        EntryForm("episodes", "Episode", models.Episode),
        EntryForm("trials", "Treatment trial", models.Trial),
        EntryForm("doses", "Dose change", models.DoseStep, parent="trials", parent_key="doses"),
        EntryForm("scales", "Scale score", models.ScaleScore),
        EntryForm("medications", "Co-medication", models.Medication),
        EntryForm("conditions", "Condition", models.Condition),
        EntryForm("genotypes", "Genotype", models.Genotype),
        EntryForm(
            "tms_courses",
            "TMS course",
            models.TmsCourse,
            kb_choices=(("protocol", "tms_protocol_by_id"), ("course_rule", "tms_rule_by_id")),
        ),
        EntryForm(
            "tms_screen",
            "TMS safety screen answer",
            models.TmsScreenAnswer,
            parent="tms_courses",
            parent_key="screen",
            kb_choices=(("item", "tms_screen_by_id"),),
        ),
        EntryForm(
            "motor_thresholds",
            "Motor threshold",
            models.MotorThreshold,
            parent="tms_courses",
            parent_key="motor_thresholds",
        ),
        EntryForm(
            "tms_sessions",
            "TMS session",
            models.TmsSession,
            parent="tms_courses",
            parent_key="sessions",
            kb_choices=(("protocol", "tms_protocol_by_id"),),
        ),
    )
}


def with_kb_choices(specs: list[FieldSpec], form: EntryForm, kb: Any) -> list[FieldSpec]:
    """The form's KB-id fields as choices of the knowledge base's ids."""
    named = dict(form.kb_choices)
    return [
        FieldSpec(s.name, "choice", s.required, tuple(sorted(getattr(kb, named[s.name]))), s.hint, None)
        if s.name in named
        else s
        for s in specs
    ]


def fields(model: type[BaseModel]) -> list[FieldSpec]:
    """The model's simple fields as form inputs. A field holding one small object (a course's
    head measurements) shows its own simple fields, named `object.field`; lists of objects have
    their own forms."""
    specs = []
    for name, info in model.model_fields.items():
        inner = _single_object(info.annotation)
        if inner is not None:
            for sub, sub_info in inner.model_fields.items():
                spec = _spec(f"{name}.{sub}", sub_info.annotation, False, sub_info.description)
                if spec is not None:
                    specs.append(spec)
            continue
        spec = _spec(name, info.annotation, info.is_required(), info.description)
        if spec is not None:
            specs.append(spec)
    return specs


def _single_object(annotation: Any) -> type[BaseModel] | None:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    inner = args[0] if len(args) == 1 else annotation
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _spec(name: str, annotation: Any, required: bool, hint: str | None) -> FieldSpec | None:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    optional = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    inner = args[0] if optional and len(args) == 1 else annotation
    if typing.get_origin(inner) is Literal:
        return FieldSpec(name, "choice", required, tuple(str(c) for c in typing.get_args(inner)), hint)
    if inner is bool:
        return FieldSpec(name, "yesno", required, (), hint)
    if inner is dt.date:
        return FieldSpec(name, "date", required, (), hint)
    if inner in (int, float):
        return FieldSpec(name, "number", required, (), hint)
    if inner is str:
        return FieldSpec(name, "text", required, (), hint)
    if typing.get_origin(inner) is tuple:
        item = {str: "text", int: "number", float: "number", dt.date: "date"}.get(typing.get_args(inner)[0])
        if item is not None:
            return FieldSpec(name, "list", required, (), hint, item)  # type: ignore[arg-type]
    return None  # a nested object or a list of objects


def entry(specs: list[FieldSpec], form: dict[str, str]) -> dict[str, Any]:
    """The form's values as a record entry: blanks are left out, numbers and lists converted so
    the record's strict checks see what was meant (a wrong value still reaches them, named).
    `object.field` inputs make the object, when any of them is filled."""
    out: dict[str, Any] = {}
    for spec in specs:
        raw = form.get(spec.name, "").strip()
        if raw == "":
            continue
        if spec.kind == "number":
            value: Any = _number(raw)
        elif spec.kind == "yesno":
            value = {"yes": True, "no": False}.get(raw, raw)
        elif spec.kind == "list":
            value = _list_items(spec, raw)
        else:
            value = raw
        owner, _, sub = spec.name.partition(".")
        if sub:
            out.setdefault(owner, {})[sub] = value
        else:
            out[spec.name] = value
    return out


def _list_items(spec: FieldSpec, raw: str) -> list[Any]:
    if spec.item == "text":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    parts = [p for p in raw.replace(",", " ").split() if p]
    return [_number(p) for p in parts] if spec.item == "number" else parts


def _number(raw: str) -> Any:
    try:
        value = float(raw)
    except ValueError:
        return raw
    return int(value) if value.is_integer() and "." not in raw else value


def form_values(specs: list[FieldSpec], current: dict[str, Any]) -> dict[str, str]:
    """An entry's simple fields as the form shows them (the reverse of `entry`)."""
    out: dict[str, str] = {}
    for spec in specs:
        owner, _, sub = spec.name.partition(".")
        holder = current.get(owner) if sub else current
        key = sub or spec.name
        if not isinstance(holder, dict) or holder.get(key) is None:
            continue
        value = holder[key]
        if spec.kind == "yesno" and isinstance(value, bool):
            out[spec.name] = "yes" if value else "no"
        elif spec.kind == "list" and isinstance(value, list):
            out[spec.name] = ("\n" if spec.item == "text" else ", ").join(str(v) for v in value)
        else:
            out[spec.name] = str(value)
    return out


def edited(specs: list[FieldSpec], current: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The entry with the form's fields replaced: a blanked field is removed; what the form does
    not show (a trial's dose changes, a score's item answers) is kept as it was."""
    shown = {spec.name.partition(".")[0] for spec in specs}
    kept = {k: v for k, v in current.items() if k not in shown}
    return kept | entry(specs, form)
