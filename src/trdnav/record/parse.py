"""Read a native JSON record into a ``Record``, with errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trdnav.record.errors import Problem, RecordError, from_validation_error, show
from trdnav.record.models import Record


def parse_record(data: Any) -> Record:
    """Validate a record given as parsed JSON (dicts, lists, strings, numbers)."""
    if not isinstance(data, dict):
        raise RecordError(
            [Problem("record", type(data).__name__, "a JSON object with 'patient', 'episodes', 'trials', ...")]
        )
    try:
        # NaN and Infinity pass through as JSON tokens so the field that holds one is named
        text = json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise RecordError([Problem("record", show(str(exc)), "plain JSON values")]) from None
    except RecursionError:
        raise RecordError([_too_deep()]) from None
    try:
        # JSON mode: strict models still read ISO dates from strings, and only from strings
        return Record.model_validate_json(text)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def load_record(path: Path) -> Record:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordError([Problem("file", show(str(path)), f"a readable record file ({exc.strerror})")]) from None
    except UnicodeDecodeError:
        raise RecordError([Problem("file", show(str(path)), "a UTF-8 text file")]) from None
    return parse_text(text)


def parse_text(text: str) -> Record:
    """A record given as JSON text (a file's contents, a form field)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError([Problem(f"file line {exc.lineno} column {exc.colno}", exc.msg, "valid JSON")]) from None
    except RecursionError:
        raise RecordError([_too_deep()]) from None
    return parse_record(data)


def _too_deep() -> Problem:
    # a record is a few levels deep; Python's JSON reader gives up near a thousand
    return Problem("record", "JSON nested too deeply to read", "a record nested a few levels deep")
