"""JSON face: the serialised Assessment, and the JSON Schemas of the formats."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from trdnav.assessment import Assessment


@cache
def _adapter() -> TypeAdapter[Assessment]:
    return TypeAdapter(Assessment)


def to_json(assessment: Assessment) -> str:
    return _adapter().dump_json(assessment, indent=2).decode()


def to_dict(assessment: Assessment) -> Any:
    return _adapter().dump_python(assessment, mode="json")


@cache
def _part_adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def part_to_dict(value: Any) -> Any:
    """A part of an Assessment (a TMS target, a schedule row) as JSON-ready data."""
    kind: Any = type(value)
    return _part_adapter(kind).dump_python(value, mode="json")


def assessment_schema() -> str:
    schema = _adapter().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "trdnav Assessment"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def record_schema() -> str:
    from trdnav.record.models import Record

    schema = Record.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "trdnav patient record"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
