"""Errors for people: each problem names the field, the value and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    field: str
    value: str
    expected: str

    def __str__(self) -> str:
        return f"{self.field}: got {self.value}; expected {self.expected}"


class RecordError(ValueError):
    """The record cannot be assessed. ``problems`` lists every reason found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def field_path(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        # a record's own (unknown) key is shown quoted when it is not a plain name, so a
        # key with a newline or spaces cannot break the one-line-per-problem output
        name = str(part) if str(part).replace("_", "").isalnum() else repr(str(part))
        path += f".{name}" if path else name
    return path or "record"


def from_validation_error(exc: ValidationError) -> RecordError:
    problems = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        value = "nothing" if err["type"] == "missing" else show(err.get("input"))
        message = err["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
        if err["type"] == "extra_forbidden":
            message = "no such field in the record format (see docs/record.md)"
        elif err["type"] == "missing":
            message = "this required field"
        problems.append(Problem(field_path(loc), value, message))
    return RecordError(problems)
