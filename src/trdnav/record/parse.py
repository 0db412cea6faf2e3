"""Read a native JSON record into a ``Record``, with errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trdnav.record.errors import Problem, RecordError, from_validation_error, show
from trdnav.record.models import Record


def parse_record(data: Any) -> Record:
    if not isinstance(data, dict):
        raise RecordError(
            [Problem("record", type(data).__name__, "a JSON object with 'patient', 'episodes', 'trials', ...")]
        )
    try:
        return Record.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def load_record(path: Path) -> Record:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordError([Problem("file", show(str(path)), f"a readable record file ({exc.strerror})")]) from None
    except UnicodeDecodeError:
        raise RecordError([Problem("file", show(str(path)), "a UTF-8 text file")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError([Problem(f"file line {exc.lineno} column {exc.colno}", exc.msg, "valid JSON")]) from None
    return parse_record(data)
