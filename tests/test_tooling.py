"""Strict tooling through the one test command: ruff, mypy (strict on the core), import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.tooling


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def test_ruff():
    result = run(tool("ruff"), "check", "src", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy():
    result = run(tool("mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layers():
    result = run(tool("lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_json_schemas_in_docs_are_current():
    from trdnav.report.as_json import assessment_schema, record_schema

    assert (ROOT / "docs" / "record.schema.json").read_text() == record_schema(), "run `make schemas`"
    assert (ROOT / "docs" / "assessment.schema.json").read_text() == assessment_schema(), "run `make schemas`"
