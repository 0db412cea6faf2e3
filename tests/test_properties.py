"""Properties of the whole pipeline (parse -> normalise -> rules -> JSON), by hypothesis.

(a) Any valid record, however sparse, is assessed without error; the Assessment
    serialises to JSON and back unchanged, and assessing twice gives the same answer.
(b) Any invalid input (arbitrary JSON, or a valid record with one field spoiled) fails
    with a RecordError naming its problems and nothing else: no TypeError, KeyError,
    StopIteration, ... reaches a user.
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from builder import Case, kb
from trdnav.assessment import Assessment
from trdnav.engine import assess
from trdnav.knowledge.loader import normalise_name
from trdnav.record.errors import RecordError
from trdnav.record.normalise import scale_total
from trdnav.record.parse import parse_record
from trdnav.report.as_json import _adapter, to_dict, to_json

AS_OF = date(2026, 1, 1)
WINDOW_START = date(2022, 1, 1)
KB = kb()

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=50)

DRUGS = sorted(KB.drugs.drugs, key=lambda d: d.id)
SCALES = sorted(KB.scales.scales, key=lambda s: s.id)


# --- strategies: valid records -------------------------------------------------------------


def dates(low: date = WINDOW_START, high: date = AS_OF) -> st.SearchStrategy[date]:
    return st.dates(min_value=low, max_value=high)


@st.composite
def odd_casing(draw: st.DrawFn, name: str) -> str:
    """The same name as a person might type it: any case, hyphens for spaces, a trademark sign."""
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    typed = "".join(c.upper() if up else c.lower() for c, up in zip(name, flips, strict=True))
    if draw(st.booleans()):
        typed = typed.replace(" ", draw(st.sampled_from(["-", "  ", "_"])))
    if draw(st.integers(0, 4)) == 0:
        typed += draw(st.sampled_from(["®", "™", " "]))
    return typed


def names_of(entry: Any) -> list[str]:
    return [
        entry.id,
        entry.name,
        *getattr(entry, "brands", ()),
        *getattr(entry, "synonyms", ()),
        *getattr(entry, "aliases", ()),
    ]


def some(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """Each optional field present or omitted at random."""
    return {k: draw(v) for k, v in fields.items() if draw(st.booleans())}


@st.composite
def episodes(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Zero to two episodes, apart in time: an earlier episode ends before the next starts."""
    result: list[dict[str, Any]] = []
    count = draw(st.integers(0, 2))
    low = WINDOW_START
    for n in range(count):
        start = draw(dates(low, AS_OF - timedelta(days=2 * (count - n))))
        episode = {"id": f"e{n + 1}", "start": start.isoformat()}
        if n < count - 1:
            end = draw(dates(start, AS_OF - timedelta(days=2 * (count - n) - 1)))
            episode["end"] = end.isoformat()
            low = end + timedelta(days=1)
        episode.update(
            some(
                draw,
                {
                    "end": dates(start).map(date.isoformat) if n == count - 1 else st.just(episode["end"]),
                    "diagnosis": st.sampled_from(["mdd", "bipolar_i", "bipolar_ii", "bipolar_other", "other"]),
                    "psychotic_features": st.none() | st.booleans(),
                    "mixed_features": st.none() | st.booleans(),
                    "severity": st.none() | st.sampled_from(["subsyndromal", "mild", "moderate", "severe"]),
                },
            )
        )
        result.append(episode)
    return result


@st.composite
def dose_steps(draw: st.DrawFn, drug: Any, start: date, end: date) -> list[dict[str, Any]]:
    days = draw(st.lists(st.integers(0, (end - start).days), min_size=1, max_size=4, unique=True))
    r = drug.usual_range
    doses = st.floats(0, r.max * 2 if r else 500.0)  # up to twice the range: warnings
    if r is not None:
        doses = st.floats(r.min, r.max) | doses  # often in range, so some trials are adequate
    steps = []
    for day in sorted(days):
        step: dict[str, Any] = {"date": (start + timedelta(days=day)).isoformat(), "dose": draw(doses)}
        if draw(st.booleans()):
            step["unit"] = draw(odd_casing(drug.dose_unit))
        steps.append(step)
    return steps


@st.composite
def trials(draw: st.DrawFn, episodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    episode_ids = [e["id"] for e in episodes]
    n = draw(st.integers(0, 5))
    # often one course of treatment inside the latest episode, so TRD verdicts are reached
    earliest = date.fromisoformat(episodes[-1]["start"]) if episodes and draw(st.booleans()) else WINDOW_START
    result = []
    for i in range(n):
        drug = draw(st.sampled_from(DRUGS))
        start = draw(dates(earliest))
        name = draw(odd_casing(draw(st.sampled_from(names_of(drug)))))
        trial: dict[str, Any] = {"id": f"t{i + 1}", "treatment": name, "start": start.isoformat()}
        stop = draw(st.none() | dates(start))
        if stop is not None:
            trial["stop"] = stop.isoformat()
        if drug.kind == "medication" and draw(st.booleans()):
            trial["doses"] = draw(dose_steps(drug, start, stop or AS_OF))
        if drug.kind != "medication" or drug.dose_unit in ("mg/session", "mg/kg/session"):
            trial.update(some(draw, {"sessions": st.integers(0, 40)}))
        if "ect" in drug.classes:
            trial.update(some(draw, {"ect_placement": st.sampled_from(["bilateral", "right_unilateral", "bifrontal"])}))
        others = [f"t{k + 1}" for k in range(n) if k != i]
        role = draw(st.sampled_from([None, "monotherapy"] + (["augmentation", "combination"] if others else [])))
        if role is not None:
            trial["role"] = role
        if role in ("augmentation", "combination"):
            trial["base_trials"] = draw(st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True))
        optional: dict[str, st.SearchStrategy[Any]] = {
            "adherence": st.sampled_from(["good", "partial", "poor", "unknown"]),
            "reason_stopped": st.sampled_from(
                [
                    "non_response",
                    "partial_response",
                    "intolerance",
                    "remission",
                    "patient_choice",
                    "cost_or_access",
                    "other",
                    "unknown",
                ]
            ),
            "clinician_outcome": st.sampled_from(["remission", "response", "partial_response", "non_response"]),
            "clinician_adequate": st.booleans(),
            "side_effects": st.lists(st.sampled_from(["nausea", "akathisia", "insomnia"]), max_size=2),
            "notes": st.text(max_size=20),
        }
        if episode_ids:
            optional["episode"] = st.sampled_from(episode_ids)
        trial.update(some(draw, optional))
        result.append(trial)
    return result


@st.composite
def scores(draw: st.DrawFn) -> list[dict[str, Any]]:
    result = []
    for _ in range(draw(st.integers(0, 6))):
        scale = draw(st.sampled_from(SCALES))
        entry: dict[str, Any] = {
            "instrument": draw(odd_casing(draw(st.sampled_from(names_of(scale))))),
            "date": draw(dates()).isoformat(),
        }
        form = draw(st.sampled_from(["items", "total", "both"]))
        if form in ("items", "both"):
            maxima = scale.item_maxima or (scale.item_max,) * scale.items
            items = [draw(st.integers(scale.item_min, high)) for high in maxima]
            entry["items"] = items
            if form == "both":
                entry["total"] = scale_total(scale, tuple(items))
        else:
            entry["total"] = draw(st.integers(int(scale.total_min), int(scale.total_max)))
        result.append(entry)
    return result


CONDITION_NAMES = sorted({n for c in KB.pseudo.conditions for n in names_of(c)})
MEDICATION_NAMES = sorted({n for d in DRUGS for n in names_of(d)})


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    eps = draw(episodes())
    record: dict[str, Any] = {"patient": {"id": draw(st.text(min_size=1, max_size=8))}}
    record["patient"].update(
        some(
            draw,
            {
                "birth_date": dates(date(1930, 1, 1)).map(date.isoformat),
                "sex": st.sampled_from(["female", "male", "other", "unknown"]),
            },
        )
    )
    record.update(some(draw, {"format_version": st.just(1)}))
    if eps or draw(st.booleans()):
        record["episodes"] = eps
    record["trials"] = draw(trials(eps))
    record.update(
        some(
            draw,
            {
                "scales": scores(),
                "conditions": st.lists(
                    st.one_of(
                        st.fixed_dictionaries(
                            {"name": st.sampled_from(CONDITION_NAMES) | st.text(min_size=1, max_size=10)},
                            optional={"status": st.sampled_from(["active", "resolved", "history"])},
                        ),
                        st.fixed_dictionaries({"code": st.sampled_from(["F31.4", "F10.2", "E03.9", "I10"])}),
                    ),
                    max_size=2,
                ),
                "medications": st.lists(
                    st.fixed_dictionaries(
                        {"drug": st.sampled_from(MEDICATION_NAMES) | st.text(min_size=1, max_size=10)},
                        optional={"dose": st.floats(0, 1000, allow_nan=False), "unit": st.just("mg")},
                    ),
                    max_size=2,
                ),
                "labs": st.lists(
                    st.fixed_dictionaries(
                        {"test": st.sampled_from(["tsh", "free_t4", "lithium"]), "date": dates().map(date.isoformat)},
                        optional={
                            "value": st.floats(0, 100, allow_nan=False),
                            "interpretation": st.sampled_from(["normal", "high", "low", "abnormal"]),
                        },
                    ),
                    max_size=2,
                ),
                "screens": st.lists(
                    st.fixed_dictionaries(
                        {
                            "topic": st.sampled_from(["bipolarity", "substance_use", "thyroid"]),
                            "date": dates().map(date.isoformat),
                            "result": st.sampled_from(["negative", "positive"]),
                        }
                    ),
                    max_size=2,
                ),
                "genotypes": st.lists(
                    st.one_of(
                        st.fixed_dictionaries(
                            {
                                "gene": st.sampled_from(["CYP2D6", "CYP2C19", "cyp2b6"]),
                                "phenotype": st.sampled_from(["poor metabolizer", "Normal Metabolizer", "PM", "IM"]),
                            },
                        ),
                        st.fixed_dictionaries(
                            {
                                "gene": st.just("CYP2D6"),
                                "diplotype": st.sampled_from(["*1/*4", "*1x2/*41", "*36+*10/*4", "*2xN/*9"]),
                                "activity_score": st.sampled_from([0.0, 0.25, 1.0, 1.5, 2.25, 3.0]),
                            },
                        ),
                        st.fixed_dictionaries({"gene": st.just("CYP2C9"), "diplotype": st.just("*1/*3")}),
                    ),
                    max_size=1,
                ),
            },
        )
    )
    return record


ANTIDEPRESSANTS = [d for d in DRUGS if d.antidepressant and d.kind == "medication" and d.usual_range]


@st.composite
def courses(draw: st.DrawFn) -> dict[str, Any]:
    """A vignette: switches between in-range antidepressants in one episode, so verdicts vary."""
    case = Case().episode(severity=draw(st.sampled_from(["mild", "moderate", "severe"])))
    for drug in draw(st.lists(st.sampled_from(ANTIDEPRESSANTS), min_size=1, max_size=4)):
        r = drug.usual_range
        outcome = draw(st.sampled_from(["non_response", "partial_response", "response", None]))
        case.trial(
            draw(odd_casing(drug.name)),
            mg=draw(st.floats(r.min, r.max)),
            weeks=draw(st.integers(2, 14)),
            adherence=draw(st.sampled_from(["good", "good", "partial", "unknown"])),
            **({"clinician_outcome": outcome} if outcome else {}),
        )
        if draw(st.booleans()):
            case.scores(draw(st.integers(20, 45)), draw(st.integers(0, 50)))  # MADRS baseline, end-point
    return case.data


def run(data: Any) -> Assessment:
    return assess(parse_record(data), KB, as_of=AS_OF)


# --- (a) valid records ----------------------------------------------------------------------


@SETTINGS
@given(records() | courses())
def test_valid_records_are_assessed_round_trip_and_are_deterministic(data: dict[str, Any]) -> None:
    first = run(copy.deepcopy(data))
    text = to_json(first)
    assert _adapter().validate_json(text) == first  # JSON -> Assessment gives back the same
    assert json.loads(text) == to_dict(first)
    again = run(copy.deepcopy(data))
    assert again == first
    assert to_json(again) == text
    assert first.kb_version == KB.kb_version and first.engine_version
    assert len(first.trials) == len(data["trials"])


@FEWER
@given(records() | courses())
def test_every_unknown_answer_says_what_is_missing(data: dict[str, Any]) -> None:
    result = run(data)
    for d in result.definitions:
        if d.verdict == "unknown":
            assert d.basis.missing, d.definition_id
    for t in result.trials:
        # an ongoing trial may be unknown only because it is early: then nothing is missing
        if t.adequacy.status == "unknown" and t.stop is not None:
            assert t.adequacy.basis.missing, t.trial_id


# --- (b) invalid input ------------------------------------------------------------------------

FIELD_NAMES = [
    "patient",
    "id",
    "episodes",
    "trials",
    "scales",
    "treatment",
    "start",
    "stop",
    "doses",
    "date",
    "dose",
    "items",
    "total",
    "instrument",
    "conditions",
    "medications",
    "labs",
    "screens",
    "genotypes",
    "format_version",
    "episode",
    "role",
    "base_trials",
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["2024-01-01", "2024-02-30", "sertraline", "sertralin", "phq9", "e1", "t1"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=20,
)


def assert_record_error_only(data: Any) -> None:
    """Assessed, or a RecordError whose every problem names a field; never anything else."""
    try:
        run(data)
    except RecordError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.field and p.value and p.expected, p


@SETTINGS
@given(json_values)
def test_arbitrary_json_raises_record_error_only(data: Any) -> None:
    assert_record_error_only(data)


@SETTINGS
@given(st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, min_size=1, max_size=4))
def test_arbitrary_objects_with_record_keys_raise_record_error_only(data: dict[str, Any]) -> None:
    assert_record_error_only(data)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value that one mutation can change."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


wrong_values = st.one_of(
    st.none(),
    st.booleans(),
    st.just([]),
    st.just({}),
    st.just({"x": 1}),
    st.just([1, "a"]),
    st.sampled_from([-1, -0.5, 0, 0.5, 19.5, 10**6, 10**30, -(10**30), 1e300, float("inf"), float("nan")]),
    st.sampled_from(
        [
            "",
            "nosuch",
            "sertralin",
            "2024-13-45",
            "2999-01-01",
            "1900-01-01",
            "t99",
            "e99",
            "mg/week",
            "augmentation",
            "0",
            "-1",
        ]
    ),
    st.text(max_size=10),
)


@st.composite
def spoiled_records(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(records())
    where = draw(st.sampled_from(paths(data)))
    parent: Any = data
    for part in where[:-1]:
        parent = parent[part]
    how = draw(st.sampled_from(["replace", "delete", "rename"] if isinstance(parent, dict) else ["replace"]))
    if how == "replace":
        parent[where[-1]] = draw(wrong_values)
    elif how == "delete":
        del parent[where[-1]]
    else:
        parent[draw(st.sampled_from(["colour", "Start", "dose_mg", "treatment_name"]))] = parent.pop(where[-1])
    return data


@SETTINGS
@given(spoiled_records())
def test_one_spoiled_field_raises_record_error_only(data: dict[str, Any]) -> None:
    assert_record_error_only(data)


@FEWER
@given(records(), st.sampled_from(["colour", "dose_mg", "Trials"]))
def test_unknown_field_is_always_reported(data: dict[str, Any], extra: str) -> None:
    data[extra] = 1
    with pytest.raises(RecordError) as info:
        run(data)
    assert extra in {p.field for p in info.value.problems}


@FEWER
@given(records().filter(lambda r: r["trials"]), st.text(min_size=1, max_size=12))
def test_unknown_drug_is_always_reported(data: dict[str, Any], name: str) -> None:
    assume(KB.drug_by_name.get(normalise_name(name)) is None)
    data["trials"][0]["treatment"] = name
    data["trials"][0].pop("doses", None)
    data["trials"][0].pop("sessions", None)
    data["trials"][0].pop("ect_placement", None)
    with pytest.raises(RecordError) as info:
        run(data)
    assert "trials[0].treatment" in {p.field for p in info.value.problems}


# --- regressions, as properties --------------------------------------------------------------


def _between_bands(scale: Any) -> st.SearchStrategy[tuple[str, float]]:
    """A total strictly between two bands of the scale's default band set (e.g. PHQ-9 19.5)."""
    band_set = next(b for b in scale.band_sets if b.id == scale.default_band_set)
    edges = [band.max for band in band_set.bands[:-1]]
    fractions = st.floats(0.01, 0.99)
    return st.tuples(st.just(scale.id), st.builds(lambda e, f: e + f, st.sampled_from(edges), fractions))


@SETTINGS
@given(st.sampled_from(SCALES).flatmap(_between_bands))
def test_fractional_totals_are_record_errors(scale_and_total: tuple[str, float]) -> None:
    """Regression: a total between two bands raised StopIteration in rules.scales.band_of."""
    scale, total = scale_and_total
    with pytest.raises(RecordError) as info:
        run(
            {
                "patient": {"id": "p"},
                "episodes": [{"id": "e1", "start": "2024-01-01"}],
                "scales": [{"instrument": scale, "date": "2024-02-01", "total": total}],
            }
        )
    assert [p.field for p in info.value.problems] == ["scales[0].total"]
