# Convenience targets; CI runs `bash .ci/run`, which is `make check` on a fresh venv.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install check test lint schemas bench example

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'

install: $(PY)

check: install
	$(PY) -m pytest

test: check

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

schemas: install
	$(VENV)/bin/trdnav schema record > docs/record.schema.json
	$(VENV)/bin/trdnav schema assessment > docs/assessment.schema.json

bench: install
	$(PY) benchmarks/run.py

example: install
	$(VENV)/bin/trdnav assess examples/records/02-worked-example.json --as-of 2025-11-01
