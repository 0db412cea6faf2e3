"""The command line face: exit codes, error lines for people, reports that fit a terminal.

Exit codes are the contract in ``trdnav.cli``: 0 done, 2 bad input (one ``error:`` line
per problem naming the field, never a traceback), 3 bad knowledge base.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.cells import cell_len
from typer.testing import CliRunner

from builder import AS_OF, Case
from trdnav.cli import app
from trdnav.cli_support import EXIT_BAD_INPUT, EXIT_BAD_KB
from trdnav.knowledge.loader import default_data_dir

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "records").glob("*.json"))
EXAMPLE_AS_OF = "2025-11-01"
SECTIONS = ("TRD status by definition", "Staging", "Pseudo-resistance checks")

# Unset anything that would make rich think it writes to a colour terminal.
_QUIET_ENV = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None, "TRDNAV_DEBUG": None}


def invoke(*args: Any, columns: int = 80) -> Any:
    """Run the CLI in-process with a console ``columns`` wide (rich reads COLUMNS)."""
    env = {**_QUIET_ENV, "COLUMNS": str(columns)}
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def error_lines(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_bad_input(result: Any, n_problems: int = 1) -> list[str]:
    """Exit 2, exactly one ``error:`` line per problem, nothing on stdout, no traceback."""
    assert result.exit_code == EXIT_BAD_INPUT, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = error_lines(result)
    assert all(line.startswith("error: ") for line in lines), lines
    assert len(lines) == n_problems, lines
    return lines


def write(tmp_path: Path, data: Any, name: str = "record.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def base() -> Case:
    """A valid switch-after-failure case the bad-input cases each spoil in one place."""
    return Case().episode().trial("sertraline", mg=150).trial("venlafaxine", mg=150)


# --- assess on the examples ----------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_assess_example_as_json(example: Path) -> None:
    result = invoke("assess", example, "--as-of", EXAMPLE_AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("engine_version", "kb_version", "definitions", "stages"):
        assert key in data, key
    assert data["as_of"] == EXAMPLE_AS_OF
    assert data["definitions"] and data["stages"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_assess_example_as_text_has_every_section(example: Path) -> None:
    result = invoke("assess", example, "--as-of", EXAMPLE_AS_OF)
    assert result.exit_code == 0, result.output
    for title in SECTIONS:
        assert title in result.stdout, title
    assert "Traceback" not in result.output


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_assess_text_fits_80_columns(example: Path) -> None:
    """Regression: lines printed in two parts (end=' ') once wrapped past the console width."""
    result = invoke("assess", example, "--as-of", EXAMPLE_AS_OF, columns=80)
    assert result.exit_code == 0, result.output
    too_wide = [line for line in result.stdout.splitlines() if cell_len(line) > 80]
    assert too_wide == []


def test_assess_tables_and_rules_use_the_console_width() -> None:
    """The part of the 80-column promise that holds: rules and tables are exactly 80 wide."""
    result = invoke("assess", EXAMPLES[0], "--as-of", EXAMPLE_AS_OF, columns=80)
    framed = [line for line in result.stdout.splitlines() if line[:1] in ("─", "┏", "└", "│", "┃")]
    assert framed
    assert {cell_len(line) for line in framed} == {80}


def test_json_output_is_the_same_for_the_same_input() -> None:
    runs = [invoke("assess", EXAMPLES[1], "--as-of", EXAMPLE_AS_OF, "-f", "json").stdout for _ in range(2)]
    assert runs[0] == runs[1]


# --- bad input: exit 2, one error line per problem naming the field ----------------------


def _set(path: list[Any], value: Any) -> Any:
    def spoil(data: dict[str, Any]) -> dict[str, Any]:
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        return data

    return spoil


def _stop_before_start(data: dict[str, Any]) -> dict[str, Any]:
    trial = data["trials"][0]
    del trial["doses"]  # so the stop is the only problem (the dose date would fall outside too)
    trial["stop"] = "2024-01-01"
    return data


# (id, record data, field named in the error, further words the line must contain)
BAD_RECORDS: list[tuple[str, Any, str, tuple[str, ...]]] = [
    (
        "unknown drug",
        _set(["trials", 0, "treatment"], "sertralin"),
        "trials[0].treatment",
        ("'sertralin'", "did you mean 'sertraline'"),
    ),
    ("stop before start", _stop_before_start, "trials[0].stop", ("2024-01-01", "on or after start")),
    (
        "date after as-of",
        _set(["trials", 1, "stop"], "2026-03-01"),
        "trials[1].stop",
        ("2026-03-01", "assessment date"),
    ),
    (
        "negative dose",
        _set(["trials", 0, "doses", 0, "dose"], -50),
        "trials[0].doses[0].dose",
        ("-50", "greater than or equal to 0"),
    ),
    ("duplicate trial id", _set(["trials", 1, "id"], "t1"), "trials[1].id", ("'t1'", "not used twice")),
    ("unknown episode id", _set(["trials", 0, "episode"], "e9"), "trials[0].episode", ("'e9'", "e1")),
    (
        "unit mismatch",
        _set(["trials", 0, "doses", 0, "unit"], "mg/week"),
        "trials[0].doses[0].unit",
        ("'mg/week'", "mg/day"),
    ),
    ("unknown top-level field", _set(["colour"], "blue"), "colour", ("'blue'", "no such field")),
]


@pytest.mark.parametrize(("spoil", "field", "words"), [c[1:] for c in BAD_RECORDS], ids=[c[0] for c in BAD_RECORDS])
def test_bad_record_exits_2_naming_the_field(tmp_path: Path, spoil: Any, field: str, words: tuple[str, ...]) -> None:
    path = write(tmp_path, spoil(base().data))
    (line,) = assert_bad_input(invoke("assess", path, "--as-of", AS_OF, columns=500))
    assert f"{path}: {field}: got " in line
    for word in words:
        assert word in line


SCALE_CASES = [
    ("item out of range", {"items": [1, 1, 1, 1, 1, 1, 1, 1, 4]}, "scales[0].items[8]", ("got 4", "0 to 3")),
    ("wrong number of items", {"items": [1, 2, 3]}, "scales[0].items", ("3 answers", "9 answers")),
    ("total disagrees with items", {"items": [1] * 9, "total": 20}, "scales[0].total", ("got 20", "9")),
]


@pytest.mark.parametrize(("score", "field", "words"), [c[1:] for c in SCALE_CASES], ids=[c[0] for c in SCALE_CASES])
def test_bad_scale_exits_2_naming_the_field(
    tmp_path: Path, score: dict[str, Any], field: str, words: tuple[str, ...]
) -> None:
    data = base().data
    data["scales"].append({"instrument": "phq9", "date": "2024-01-08", **score})
    (line,) = assert_bad_input(invoke("assess", write(tmp_path, data), "--as-of", AS_OF, columns=500))
    assert f": {field}: got " in line
    for word in words:
        assert word in line


def test_augmentation_without_base_trials(tmp_path: Path) -> None:
    data = base().trial("aripiprazole", mg=5, start_week=4, role="augmentation").data
    (line,) = assert_bad_input(invoke("assess", write(tmp_path, data), "--as-of", AS_OF, columns=500))
    assert ": trials[2].base_trials: got nothing" in line
    assert "augmentation" in line


def test_several_problems_give_one_line_each(tmp_path: Path) -> None:
    data = base().data
    data["trials"][0]["treatment"] = "sertralin"
    data["trials"][1]["doses"][0]["unit"] = "mg/week"
    data["trials"][1]["stop"] = "2026-03-01"
    lines = assert_bad_input(invoke("assess", write(tmp_path, data), "--as-of", AS_OF, columns=500), 3)
    joined = "\n".join(lines)
    for field in ("trials[0].treatment", "trials[1].doses[0].unit", "trials[1].stop"):
        assert field in joined


def test_json_array_instead_of_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, [base().data])
    (line,) = assert_bad_input(invoke("assess", path, "--as-of", AS_OF, columns=500))
    assert ": record: got list; expected a JSON object" in line


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"patient": {"id": "x"},\n  "trials": [', encoding="utf-8")
    (line,) = assert_bad_input(invoke("assess", path, "--as-of", AS_OF, columns=500))
    assert ": file line 2 column" in line and "valid JSON" in line


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    (line,) = assert_bad_input(invoke("assess", path, "--as-of", AS_OF, columns=500))
    assert ": file: got " in line and "nowhere.json" in line and "readable record file" in line


@pytest.mark.parametrize("as_of", ["2025-13-01", "yesterday", "01/11/2025"])
def test_bad_as_of(as_of: str) -> None:
    (line,) = assert_bad_input(invoke("assess", EXAMPLES[0], "--as-of", as_of, columns=500))
    assert line == f"error: --as-of: got {as_of!r}; expected a date YYYY-MM-DD"


def test_unknown_profile(tmp_path: Path) -> None:
    result = invoke("assess", write(tmp_path, base().data), "--as-of", AS_OF, "--profile", "nope", columns=500)
    (line,) = assert_bad_input(result)
    assert ": profile: got 'nope'" in line and "canmat_range_4w" in line


def test_one_error_line_per_problem_at_80_columns(tmp_path: Path) -> None:
    """Regression: a long problem once wrapped onto a second line without 'error:'."""
    data = base().data
    data["trials"][0]["treatment"] = "sertralin"  # the suggestion makes the line ~150 columns
    assert_bad_input(invoke("assess", write(tmp_path, data), "--as-of", AS_OF, columns=80))


def test_fractional_scale_total_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    """Regression: PHQ-9 19.5 fell between two bands and the scale rule raised StopIteration."""
    data = base().data
    data["scales"].append({"instrument": "phq9", "date": "2024-01-08", "total": 19.5})
    (line,) = assert_bad_input(invoke("assess", write(tmp_path, data), "--as-of", AS_OF, columns=500))
    assert ": scales[0].total: got 19.5" in line and "whole number" in line


def test_infinite_dose_is_bad_input(tmp_path: Path) -> None:
    """Regression: a dose of 1e999 (Infinity) was kept as 'sertraline inf mg/day'."""
    text = json.dumps(base().data).replace('"dose": 150', '"dose": 1e999', 1)
    path = tmp_path / "inf.json"
    path.write_text(text, encoding="utf-8")
    (line,) = assert_bad_input(invoke("assess", path, "--as-of", AS_OF, columns=500))
    assert ": trials[0].doses[0].dose: got inf" in line and "finite" in line


def test_internal_error_is_not_a_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """main() turns an unexpected exception into exit 70 and two lines, not a traceback."""
    import trdnav.cli as cli

    def boom(*args: Any, **kwargs: Any) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(cli, "app", boom)
    monkeypatch.delenv("TRDNAV_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 70
    err = capsys.readouterr().err
    assert err.startswith("internal error: KeyError:") and "Traceback" not in err


# --- a dose above the range is kept and warned about -------------------------------------


def _high_dose_record(tmp_path: Path) -> Path:
    return write(tmp_path, Case().episode().trial("sertraline", mg=400).data)


def test_dose_above_range_is_a_warning_in_text(tmp_path: Path) -> None:
    result = invoke("assess", _high_dose_record(tmp_path), "--as-of", AS_OF, columns=120)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Warnings" in out
    warnings_panel = out[out.index("Warnings") : out.index("Current episode")]
    assert "sertraline 400 mg/day" in warnings_panel
    assert "trials[0].doses[0].dose" in warnings_panel
    assert "sertraline 400 mg/day" in out[out.index("Treatment trials") :]  # kept, not dropped


def test_dose_above_range_is_a_warning_in_json(tmp_path: Path) -> None:
    result = invoke("assess", _high_dose_record(tmp_path), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (warning,) = [w for w in data["warnings"] if w["rule"] == "record.dose_above_range"]
    assert warning["field"] == "trials[0].doses[0].dose"
    assert "400" in warning["message"] and warning["sources"]
    assert data["trials"][0]["max_dose"] == 400


# --- kb and schema commands --------------------------------------------------------------


def test_kb_check_says_ok() -> None:
    result = invoke("kb", "check")
    assert result.exit_code == 0, result.output
    assert ": OK" in result.stdout
    assert "every one resolves" in result.stdout


def test_kb_show_finds_a_drug_by_brand_with_its_sources() -> None:
    result = invoke("kb", "show", "zoloft", columns=200)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("sertraline (sertraline)")
    assert "brands: Zoloft" in out
    assert "usual range: 50-200 mg/day" in out
    assert "label start: 50 mg/day; if the response is inadequate, raise in 25-50 mg/day steps" in out
    sources = out[out.index("  sources:") :]
    assert "canmat2023: " in sources and "label-zoloft-2020: " in sources


def test_kb_show_unknown_drug_exits_2() -> None:
    (line,) = assert_bad_input(invoke("kb", "show", "nosuchdrug", columns=500))
    assert "'nosuchdrug'" in line and "not in the knowledge base" in line


def test_kb_list_lists_sertraline() -> None:
    result = invoke("kb", "list", columns=200)
    assert result.exit_code == 0, result.output
    assert any(line.startswith("sertraline (Zoloft): ssri") for line in result.stdout.splitlines())


@pytest.mark.parametrize("name", ["record", "assessment"])
def test_schema_matches_the_published_file(name: str) -> None:
    published = ROOT / "docs" / f"{name}.schema.json"
    if not published.exists():
        pytest.skip(f"{published.relative_to(ROOT)} not generated yet (another engineer generates it)")
    result = invoke("schema", name)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(published.read_text(encoding="utf-8"))


# --- a broken knowledge base exits 3 naming the problem ----------------------------------


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(default_data_dir(), target)
    return target


def test_kb_check_on_a_good_copy_says_ok(kb_copy: Path) -> None:
    result = invoke("kb", "check", "--data-dir", kb_copy)
    assert result.exit_code == 0, result.output


def test_kb_check_missing_file_exits_3(kb_copy: Path) -> None:
    (kb_copy / "scales.yaml").unlink()
    result = invoke("kb", "check", "--data-dir", kb_copy, columns=500)
    assert result.exit_code == EXIT_BAD_KB, result.output
    assert error_lines(result) == ["error: scales.yaml: file missing"]


def _edit_sertraline(kb_copy: Path, edit: Any) -> None:
    path = kb_copy / "drugs.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(next(d for d in data["drugs"] if d["id"] == "sertraline"))
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_kb_check_uncited_fact_exits_3(kb_copy: Path) -> None:
    _edit_sertraline(kb_copy, lambda d: d["usual_range"].update(sources=[]))
    result = invoke("kb", "check", "--data-dir", kb_copy, columns=500)
    assert result.exit_code == EXIT_BAD_KB, result.output
    (line,) = error_lines(result)
    assert line.startswith("error: drugs.yaml: ") and "usual_range.sources" in line
    assert "must cite at least one source" in line


def test_kb_check_unknown_source_exits_3(kb_copy: Path) -> None:
    _edit_sertraline(kb_copy, lambda d: d["usual_range"].update(sources=["nosuchsource p. 1"]))
    result = invoke("kb", "check", "--data-dir", kb_copy, columns=500)
    assert result.exit_code == EXIT_BAD_KB, result.output
    (line,) = error_lines(result)
    assert "sertraline" in line and "cites unknown source 'nosuchsource'" in line


# --- the installed console script ---------------------------------------------------------

SCRIPT = Path(sys.executable).parent / "trdnav"


def _run_script(*args: Any) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.skip(f"console script not installed at {SCRIPT}")
    env = {"PATH": str(SCRIPT.parent), "COLUMNS": "80", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_console_script_help() -> None:
    done = _run_script("--help")
    assert done.returncode == 0, done.stderr
    assert "Usage: trdnav" in done.stdout
    for command in ("assess", "schema", "kb"):
        assert command in done.stdout


def test_console_script_assess() -> None:
    done = _run_script("assess", EXAMPLES[0], "--as-of", EXAMPLE_AS_OF, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["patient_id"]


# --- trdnav pgx ----------------------------------------------------------------------------


def test_pgx_reads_each_form_a_lab_reports():
    result = invoke("pgx", "-g", "CYP2D6=1.25", "-g", "CYP2C19=poor metabolizer", "-g", "CYP2B6=*1/*6", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {g["gene"]: (g["status"], g["phenotype"]) for g in data["pharmacogenetics"]}
    assert rows == {
        "CYP2D6": ("derived", "Normal Metabolizer"),
        "CYP2C19": ("reported", "Poor Metabolizer"),
        "CYP2B6": ("derived", "Intermediate Metabolizer"),
    }
    assert {"caudle2017", "caudle2020", "bousman2023", "desta2019"} <= {c["id"] for c in data["citations"]}
    drugs = {d["drug_id"]: d for d in data["pgx_regimen"]["drugs"]}
    assert drugs["citalopram"]["category"] == "consider_alternative"
    assert drugs["mirtazapine"]["category"] == "no_guidance"


def test_pgx_meds_phenoconvert_and_mark_what_is_taken():
    result = invoke("pgx", "-g", "CYP2D6=*1/*1", "--meds", "paroxetine, lithium", "-f", "json")
    assert result.exit_code == 0, result.output
    regimen = json.loads(result.stdout)["pgx_regimen"]
    (expressed,) = regimen["expressed"]
    assert (expressed["genotype_phenotype"], expressed["expressed"]) == ("Normal Metabolizer", "Poor Metabolizer")
    drugs = {d["drug_id"]: d for d in regimen["drugs"]}
    assert drugs["paroxetine"]["status"] == drugs["lithium"]["status"] == "current"
    # CPIC TCA: NM by genotype; PM as expressed while paroxetine is taken
    nortriptyline = drugs["nortriptyline"]
    assert (nortriptyline["category"], nortriptyline["with_current_medications"]) == (
        "use_as_directed",
        "consider_alternative",
    )


def test_pgx_meds_unknown_name_is_kept_with_a_warning_naming_the_option():
    result = invoke("pgx", "-g", "CYP2D6=*1/*1", "--meds", "parox", "-f", "json")
    assert result.exit_code == 0, result.output
    (warning,) = json.loads(result.stdout)["warnings"]
    assert (warning["rule"], warning["field"]) == ("record.medication_not_in_kb", "--meds entry 1")
    # a drug outside the catalog that the modulator table knows is read, not warned about
    quinidine = json.loads(invoke("pgx", "-g", "CYP2D6=*1/*1", "--meds", "quinidine", "-f", "json").stdout)
    assert quinidine["warnings"] == []
    assert quinidine["pgx_regimen"]["expressed"][0]["expressed"] == "Poor Metabolizer"


def test_pgx_text_names_genes_and_sources():
    result = invoke("pgx", "-g", "CYP2D6=0")
    assert result.exit_code == 0
    assert "Poor Metabolizer" in result.stdout and "Caudle" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-g", "CYP2D6"], "--genotype 1: got 'CYP2D6'; expected GENE=RESULT"),
        (["-g", "CYP2C19=*2-*3"], "--genotype 1 (diplotype)"),
        (["-g", "CYP2D6=*1/*1", "-g", "cyp2d6=*1/*4"], "--genotype 2 (gene)"),
        (["-g", "CYP2C19=1.0"], "--genotype 1 (activity_score)"),
    ],
)
def test_pgx_bad_input_names_the_option(args, words):
    result = invoke("pgx", *args)
    assert result.exit_code == EXIT_BAD_INPUT
    assert words in result.stderr and "Traceback" not in result.output
