"""Errors for people, at the library level: ``RecordError.problems`` name field, value, expectation.

Structural problems (types, required fields, ranges fixed by the format) come from
``parse_record``; problems that need the knowledge base or the assessment date come from
``assess`` (``record.normalise``). Each phase reports every problem it finds at once.
An incomplete but valid record is never an error: it gives "unknown" with what is missing.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from builder import AS_OF, Case, check, kb, verdicts
from trdnav.engine import assess
from trdnav.record.errors import Problem, RecordError
from trdnav.record.parse import load_record, parse_record


def base() -> Case:
    return Case().episode().trial("sertraline", mg=150).trial("venlafaxine", mg=150)


def problems_of(data: Any, as_of: date = AS_OF, profile: str | None = None) -> tuple[Problem, ...]:
    with pytest.raises(RecordError) as info:
        assess(parse_record(data), kb(), as_of=as_of, profile=profile)
    problems = info.value.problems
    assert problems, "a RecordError must carry at least one problem"
    assert str(info.value) == "\n".join(str(p) for p in problems)
    return problems


def only(problems: tuple[Problem, ...]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def by_field(problems: tuple[Problem, ...]) -> dict[str, Problem]:
    return {p.field: p for p in problems}


# --- one problem, named ------------------------------------------------------------------


def test_unknown_drug_names_the_value_and_suggests_the_close_match() -> None:
    data = base().data
    data["trials"][0]["treatment"] = "sertralin"
    p = only(problems_of(data))
    assert p.field == "trials[0].treatment"
    assert p.value == "'sertralin'"
    assert "knowledge base" in p.expected and "did you mean 'sertraline'?" in p.expected


def test_unknown_drug_far_from_any_name_has_no_suggestion() -> None:
    data = base().data
    data["trials"][1]["treatment"] = "qwertyuiop"
    p = only(problems_of(data))
    assert p.field == "trials[1].treatment" and "did you mean" not in p.expected


@pytest.mark.parametrize("name", ["ZOLOFT", "Zoloft®", "  sertraline ", "Effexor-XR", "effexor xr"])
def test_names_are_matched_without_case_marks_or_spacing(name: str) -> None:
    if kb().drug_by_name.get("effexor xr") is None and "effexor" in name.casefold():
        pytest.skip("the KB has no 'Effexor XR' brand")
    data = base().data
    data["trials"][0]["treatment"] = name
    assess(parse_record(data), kb(), as_of=AS_OF)


def test_stop_before_start() -> None:
    data = base().data
    del data["trials"][0]["doses"]
    data["trials"][0]["stop"] = "2024-01-01"
    p = only(problems_of(data))
    assert (p.field, p.value) == ("trials[0].stop", "2024-01-01")
    assert "on or after start 2024-01-08" in p.expected


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (["trials", 1, "stop"], "trials[1].stop"),
        (["trials", 0, "start"], "trials[0].start"),
        (["episodes", 0, "start"], "episodes[0].start"),
        (["patient", "birth_date"], "patient.birth_date"),
    ],
)
def test_date_after_the_assessment_date(path: list[Any], field: str) -> None:
    data = base().data
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = "2026-03-01"
    problems = by_field(problems_of(data))
    assert field in problems, list(problems)
    assert problems[field].value == "2026-03-01"
    assert "on or before the assessment date 2026-01-01" in problems[field].expected


def test_negative_dose() -> None:
    data = base().data
    data["trials"][0]["doses"][0]["dose"] = -50
    p = only(problems_of(data))
    assert (p.field, p.value) == ("trials[0].doses[0].dose", "-50")
    assert "greater than or equal to 0" in p.expected


def test_dose_date_outside_the_trial() -> None:
    data = base().data
    data["trials"][0]["doses"][0]["date"] = "2023-06-01"
    p = only(problems_of(data))
    assert p.field == "trials[0].doses[0].date" and "within the trial" in p.expected


def test_dose_steps_out_of_order() -> None:
    case = base()
    case.data["trials"][0]["doses"] = [{"date": "2024-02-01", "dose": 100}, {"date": "2024-01-10", "dose": 50}]
    p = only(problems_of(case.data))
    assert p.field.startswith("trials[0]") and "date order" in p.expected


@pytest.mark.parametrize(
    ("score", "field", "value", "expected"),
    [
        ({"items": [1, 1, 1, 1, 1, 1, 1, 1, 4]}, "scales[0].items[8]", "4", "0 to 3 for PHQ-9 item 9"),
        ({"items": [1, 2, 3]}, "scales[0].items", "3 answers", "9 answers for PHQ-9"),
        ({"items": [1] * 9, "total": 20}, "scales[0].total", "20", "9, the total of the items given"),
        ({"total": 28}, "scales[0].total", "28", "0 to 27 for PHQ-9"),
        ({"total": -1}, "scales[0].total", "-1", "0 to 27 for PHQ-9"),
    ],
    ids=["item out of range", "wrong number of items", "total disagrees", "total too high", "total negative"],
)
def test_bad_phq9(score: dict[str, Any], field: str, value: str, expected: str) -> None:
    data = base().score("phq9", date(2024, 1, 8), **score).data
    p = only(problems_of(data))
    assert (p.field, p.value) == (field, value)
    assert expected in p.expected


def test_hamd17_items_have_their_own_maxima() -> None:
    hamd = kb().scale_by_id["hamd17"]
    maxima = hamd.item_maxima or (hamd.item_max,) * hamd.items
    k = next(i for i, high in enumerate(maxima) if high < max(maxima))  # an item scored 0-2
    items = [0] * hamd.items
    items[k] = max(maxima)
    p = only(problems_of(base().score("hamd17", date(2024, 1, 8), items=items).data))
    assert p.field == f"scales[0].items[{k}]"
    assert f"0 to {maxima[k]} for HAM-D17 item {k + 1}" in p.expected


def test_unknown_instrument() -> None:
    p = only(problems_of(base().score("bdi", date(2024, 1, 8), total=20).data))
    assert (p.field, p.value) == ("scales[0].instrument", "'bdi'")
    assert "phq9" in p.expected and "madrs" in p.expected


def test_unit_mismatch() -> None:
    data = base().data
    data["trials"][0]["doses"][0]["unit"] = "mg/week"
    p = only(problems_of(data))
    assert (p.field, p.value) == ("trials[0].doses[0].unit", "'mg/week'")
    assert "'mg/day', the unit for sertraline" in p.expected


def test_duplicate_trial_id() -> None:
    data = base().data
    data["trials"][1]["id"] = "t1"
    p = only(problems_of(data))
    assert (p.field, p.value) == ("trials[1].id", "'t1'")
    assert "not used twice" in p.expected


def test_duplicate_episode_id() -> None:
    data = base().episode(start=date(2022, 1, 1), end=date(2022, 6, 1)).data
    data["episodes"][1]["id"] = "e1"
    p = only(problems_of(data))
    assert p.field == "episodes[1].id"


def test_unknown_episode_id() -> None:
    data = base().trial("mirtazapine", mg=30, episode="e9").data
    p = only(problems_of(data))
    assert (p.field, p.value) == ("trials[2].episode", "'e9'")
    assert "['e1']" in p.expected


def test_augmentation_without_base_trials() -> None:
    data = base().trial("aripiprazole", mg=5, start_week=4, role="augmentation").data
    p = only(problems_of(data))
    assert (p.field, p.value) == ("trials[2].base_trials", "nothing")
    assert "augmentation" in p.expected


@pytest.mark.parametrize("base_id", ["t9", "t3"], ids=["unknown id", "itself"])
def test_base_trial_must_be_another_trial(base_id: str) -> None:
    data = base().trial("aripiprazole", mg=5, start_week=4, role="augmentation", base_trials=[base_id]).data
    p = only(problems_of(data))
    assert (p.field, p.value) == ("trials[2].base_trials", repr(base_id))


def test_doses_for_a_session_treatment() -> None:
    p = only(problems_of(base().trial("ECT", mg=10, sessions=12).data))
    assert p.field == "trials[2].doses" and "sessions" in p.expected


def test_sessions_for_a_daily_drug() -> None:
    data = base().data
    data["trials"][0]["sessions"] = 5
    p = only(problems_of(data))
    assert (p.field, p.value) == ("trials[0].sessions", "5")
    assert "dosed per day" in p.expected


def test_unknown_top_level_field() -> None:
    data = base().data
    data["colour"] = "blue"
    p = only(problems_of(data))
    assert (p.field, p.value) == ("colour", "'blue'")
    assert "no such field" in p.expected


def test_unknown_nested_field_names_the_path() -> None:
    data = base().data
    data["trials"][1]["dose_mg"] = 150
    p = only(problems_of(data))
    assert p.field == "trials[1].dose_mg" and "no such field" in p.expected


def test_missing_required_field() -> None:
    data = base().data
    del data["patient"]
    p = only(problems_of(data))
    assert (p.field, p.value, p.expected) == ("patient", "nothing", "this required field")


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (["trials", 0, "start"], "2024-13-45", "trials[0].start", ("'2024-13-45'", "date")),
        (["trials", 0, "doses", 0, "dose"], "lots", "trials[0].doses[0].dose", ("'lots'", "number")),
        (["trials", 0, "adherence"], "mostly", "trials[0].adherence", ("'mostly'", "'good'")),
        (["episodes", 0, "diagnosis"], "sad", "episodes[0].diagnosis", ("'sad'", "'mdd'")),
        (["format_version"], 2, "format_version", ("2", "1")),
        (["trials"], None, "trials", ("None",)),
    ],
    ids=[
        "impossible date",
        "dose not a number",
        "adherence not allowed",
        "diagnosis not allowed",
        "format version",
        "trials null",
    ],
)
def test_wrong_type_or_value(path: list[Any], value: Any, field: str, words: tuple[str, ...]) -> None:
    data = base().data
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    p = only(problems_of(data))
    assert p.field == field
    text = f"{p.value} {p.expected}"
    for word in words:
        assert word in text


@pytest.mark.parametrize(
    "data", [[{"patient": {"id": "x"}}], "record", 42, None, True], ids=["array", "string", "number", "null", "bool"]
)
def test_not_a_json_object(data: Any) -> None:
    with pytest.raises(RecordError) as info:
        parse_record(data)
    p = only(info.value.problems)
    assert p.field == "record" and p.value == type(data).__name__
    assert "JSON object" in p.expected


def test_unknown_profile() -> None:
    p = only(problems_of(base().data, profile="nope"))
    assert (p.field, p.value) == ("profile", "'nope'")
    assert "canmat_range_4w" in p.expected


# --- files ---------------------------------------------------------------------------------


def test_invalid_json_file(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"patient": {"id": "x"}\n  "trials": []}', encoding="utf-8")
    with pytest.raises(RecordError) as info:
        load_record(path)
    p = only(info.value.problems)
    assert p.field == "file line 2 column 3" and p.expected == "valid JSON"


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a short path: Problem values are cut at 60 characters
    with pytest.raises(RecordError) as info:
        load_record(Path("nowhere.json"))
    p = only(info.value.problems)
    assert p.field == "file" and "nowhere.json" in p.value and "readable" in p.expected


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps({"patient": {"id": "Jos\u00e9"}}).replace("\\u00e9", "\u00e9").encode("latin-1"))
    with pytest.raises(RecordError) as info:
        load_record(path)
    assert only(info.value.problems).expected == "a UTF-8 text file"


# --- several problems: all reported at once ------------------------------------------------


def test_structural_problems_are_all_reported_together() -> None:
    data = base().data
    data["trials"][0]["doses"][0]["dose"] = -1
    data["trials"][1]["start"] = "not a date"
    data["trials"][1]["adherence"] = "mostly"
    data["colour"] = "blue"
    del data["patient"]["id"]
    fields = set(by_field(problems_of(data)))
    assert fields == {"trials[0].doses[0].dose", "trials[1].start", "trials[1].adherence", "colour", "patient.id"}


def test_knowledge_and_date_problems_are_all_reported_together() -> None:
    data = base().trial("aripiprazole", mg=5, start_week=4, role="augmentation").data
    data["trials"][0]["treatment"] = "sertralin"
    data["trials"][1]["doses"][0]["unit"] = "mg/week"
    data["trials"][1]["stop"] = "2026-03-01"
    data["scales"].append({"instrument": "phq9", "date": "2024-01-08", "items": [1, 1, 1, 1, 1, 1, 1, 1, 9]})
    data["scales"].append({"instrument": "madrs", "date": "2024-01-08", "items": [1, 2]})
    fields = set(by_field(problems_of(data)))
    assert fields == {
        "trials[0].treatment",
        "trials[1].doses[0].unit",
        "trials[1].stop",
        "trials[2].base_trials",
        "scales[0].items[8]",
        "scales[1].items",
    }


# --- a valid but incomplete record is an answer, not an error ------------------------------


@pytest.fixture(scope="module")
def incomplete() -> Any:
    """Two trials with no doses, no scales, no adherence, no reason stopped, no severity."""
    case = Case().episode(severity=None, psychotic=None).trial("sertraline").trial("escitalopram")
    for trial in case.data["trials"]:
        del trial["adherence"]
    return case.assess()


def test_incomplete_trials_are_unknown_with_what_is_missing(incomplete: Any) -> None:
    for n, t in enumerate(incomplete.trials):
        assert t.adequacy.status == "unknown"
        assert any(m.startswith(f"trials[{n}].doses") for m in t.adequacy.basis.missing)
        assert t.outcome.status == "unknown"
        assert t.outcome.basis.missing


def test_incomplete_definitions_are_unknown_with_what_is_missing(incomplete: Any) -> None:
    assert set(verdicts(incomplete).values()) == {"unknown"}
    for d in incomplete.definitions:
        assert {m.split(":")[0] for m in d.basis.missing} == {"trials[0]", "trials[1]"}


def test_incomplete_staging_says_what_is_missing(incomplete: Any) -> None:
    for s in incomplete.stages:
        assert s.basis.missing, s.model


def test_incomplete_checks_stay_open_with_what_would_close_them(incomplete: Any) -> None:
    adherence = check(incomplete, "adherence")
    assert adherence.status == "open"
    assert set(adherence.basis.missing) == {"trials[0].adherence", "trials[1].adherence"}
    assert check(incomplete, "dose_duration").status == "open"


def test_record_with_only_a_patient_is_assessable() -> None:
    result = assess(parse_record({"patient": {"id": "p"}}), kb(), as_of=AS_OF)
    assert result.current_episode is None and result.trials == ()
    assert result.definitions and all(d.verdict in ("unknown", "not_trd") for d in result.definitions)


# --- regressions for bugs found by these tests ---------------------------------------------


@pytest.mark.parametrize(("scale", "total"), [("phq9", 19.5), ("madrs", 34.5), ("hamd17", 16.5), ("phq9", 26.9)])
def test_fractional_total_is_a_record_error_not_a_crash(scale: str, total: float) -> None:
    """Regression: a total between two bands (PHQ-9 19.5) raised StopIteration in band_of."""
    p = only(problems_of(base().score(scale, date(2024, 1, 8), total=total).data))
    assert (p.field, p.value) == ("scales[0].total", f"{total:g}")
    assert "whole number" in p.expected


@pytest.mark.parametrize("literal", ["1e999", "-1e999", "Infinity", "NaN"])
def test_non_finite_dose_is_a_record_error(literal: str) -> None:
    """Regression: a dose of Infinity was kept and warned about as 'sertraline inf mg/day'."""
    data = json.loads(json.dumps(base().data).replace('"dose": 150', f'"dose": {literal}', 1))
    p = only(problems_of(data))
    assert p.field == "trials[0].doses[0].dose"


@pytest.mark.parametrize("where", ["items", "total", "dose", "sessions"])
def test_booleans_are_not_numbers(where: str) -> None:
    case = base().trial("ECT", sessions=12)
    if where == "items":
        case.score("phq9", date(2024, 1, 8), items=[True] * 9)
    elif where == "total":
        case.score("phq9", date(2024, 1, 8), total=True)
    elif where == "dose":
        case.data["trials"][0]["doses"][0]["dose"] = True
    else:
        case.data["trials"][2]["sessions"] = True
    fields = [p.field for p in problems_of(case.data)]
    assert fields and all(where in f for f in fields), fields


def test_unknown_key_with_a_newline_stays_on_one_line() -> None:
    data = base().data
    data["colour\nerror: forged"] = 1
    p = only(problems_of(data))
    assert "\n" not in str(p)


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000])
def test_json_nested_too_deeply_is_a_named_problem_not_a_crash(text: str) -> None:
    from trdnav.record.parse import parse_text

    with pytest.raises(RecordError) as info:
        parse_text(text)
    assert (
        str(only(info.value.problems))
        == "record: got JSON nested too deeply to read; expected a record nested a few levels deep"
    )


def test_a_parsed_structure_nested_too_deeply_is_a_named_problem() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(RecordError) as info:
        parse_record({"patient": {"id": "p"}, "episodes": deep})
    assert only(info.value.problems).field == "record"
