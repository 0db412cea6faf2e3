"""What the command-line faces share: exit codes, the console, failing with one line per
problem, loading the knowledge base."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from trdnav.knowledge.loader import KnowledgeBase

EXIT_BAD_INPUT = 2
EXIT_BAD_KB = 3
EXIT_HARD_STOP = 4


class Format(StrEnum):
    text = "text"
    json = "json"


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, markup=False, highlight=False, soft_wrap=False)


def _fail(lines: list[str], code: int) -> NoReturn:
    err = _console(stderr=True)
    for line in lines:
        # one line per problem, never wrapped, so scripts can count and grep them
        err.print(f"error: {line}", style="red", soft_wrap=True)
    raise typer.Exit(code)


def _load_kb(data_dir: Path | None = None) -> KnowledgeBase:
    from trdnav.knowledge.loader import KnowledgeError, load_kb

    try:
        return load_kb(data_dir)
    except KnowledgeError as exc:
        _fail(list(exc.problems), EXIT_BAD_KB)
