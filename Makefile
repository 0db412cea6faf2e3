# Convenience targets; CI runs `bash .ci/run`, which is `make check` on a fresh venv.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install check test lint schemas docs bench example screenshots

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

# the generated tables of docs/safety.md and docs/tms.md (between their marker lines)
docs: install
	$(PY) -c "import re,subprocess,pathlib; p=pathlib.Path('docs/safety.md'); t=p.read_text(); g=subprocess.run(['$(VENV)/bin/trdnav','kb','safety'],capture_output=True,text=True,check=True).stdout; p.write_text(re.sub(r'(<!-- generated: trdnav kb safety -->\n).*(<!-- end of generated tables -->)', lambda m: m.group(1)+'\n'+g+'\n'+m.group(2), t, flags=re.S))"
	$(PY) -c "import re,subprocess,pathlib; p=pathlib.Path('docs/tms.md'); t=p.read_text(); g=subprocess.run(['$(VENV)/bin/trdnav','kb','tms'],capture_output=True,text=True,check=True).stdout; p.write_text(re.sub(r'(<!-- generated: trdnav kb tms -->\n).*(<!-- end of generated tables -->)', lambda m: m.group(1)+'\n'+g+'\n'+m.group(2), t, flags=re.S))"

bench: install
	$(PY) benchmarks/run.py
	$(PY) benchmarks/clinic.py

example: install
	$(VENV)/bin/trdnav assess examples/records/02-worked-example.json --as-of 2025-11-01

# the README's pictures, taken by the end-to-end browser test (needs Debian's chromium)
screenshots: install
	TRDNAV_SCREENSHOTS=docs/screenshots TRDNAV_REQUIRE_BROWSER=1 $(PY) -m pytest -q tests/clinic/test_browser.py
