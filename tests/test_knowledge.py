"""The knowledge base loads, and the loader refuses what a clinical KB must never hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from trdnav.knowledge.loader import KnowledgeError, default_data_dir, load_kb, normalise_name


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(default_data_dir(), target)
    return target


def edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def problems(data: Path) -> str:
    with pytest.raises(KnowledgeError) as err:
        load_kb(data)
    return "\n".join(err.value.problems)


def test_bundled_kb_loads_with_one_version(kb):
    versions = {yaml.safe_load(p.read_text())["kb_version"] for p in default_data_dir().glob("*.yaml")}
    assert versions == {kb.kb_version}


def test_every_citation_resolves_and_every_source_is_cited(kb):
    cited = {c.split()[0] for _, c in kb.citations()}
    assert cited <= set(kb.source_by_id)
    assert set(kb.source_by_id) - cited == set(), "a source nobody cites"


def test_uncited_fact_is_refused(data):
    edit(data / "drugs.yaml", lambda d: d["drugs"][0]["usual_range"].update(sources=[]))
    assert "a fact must cite at least one source" in problems(data)


def test_unknown_source_id_is_refused(data):
    edit(data / "scales.yaml", lambda d: d["scales"][0].update(sources=["nobody2099 Table 9"]))
    assert "cites unknown source 'nobody2099'" in problems(data)


def test_a_name_mapping_to_two_drugs_is_refused(data):
    edit(data / "drugs.yaml", lambda d: d["drugs"][1]["brands"].append("Celexa"))
    assert "maps to both" in problems(data)


def test_bands_with_a_gap_are_refused(data):
    def gap(d):
        d["scales"][0]["band_sets"][0]["bands"][1]["min"] = 6

    edit(data / "scales.yaml", gap)
    assert "starts at 6" in problems(data)


def test_unknown_key_and_missing_file_are_refused(data):
    edit(data / "definitions.yaml", lambda d: d["definitions"][0].update(min_falures=3))
    assert "min_falures" in problems(data)
    (data / "staging.yaml").unlink()
    assert "staging.yaml: file missing" in problems(data)


def test_profile_references_must_exist(data):
    edit(data / "definitions.yaml", lambda d: d["definitions"][0].update(adequacy_profile="atrq"))
    assert "adequacy_profile 'atrq' is not a profile" in problems(data)


@pytest.mark.parametrize(
    ("typed", "generic"),
    [
        ("Zoloft", "sertraline"),
        ("ZOLOFT®", "sertraline"),
        ("Effexor XR", "venlafaxine"),
        ("lexapro", "escitalopram"),
        ("Wellbutrin XL", "bupropion"),
        ("Spravato", "esketamine"),
        ("Abilify", "aripiprazole"),
        ("Nardil", "phenelzine"),
        ("Emsam", "selegiline_transdermal"),
        ("Cytomel", "liothyronine"),
        ("Symbyax", "olanzapine_fluoxetine"),
    ],
)
def test_brand_names_resolve(kb, typed, generic):
    assert kb.drug_by_name[normalise_name(typed)] == generic


def test_issue_scope_is_in_the_catalogue(kb):
    classes = {c for d in kb.drugs.drugs for c in d.classes}
    assert {
        "ssri",
        "snri",
        "tca",
        "maoi_irreversible",
        "maoi_reversible",
        "ndri",
        "atypical_antipsychotic",
        "thyroid_hormone",
        "ect",
        "rtms",
        "psychotherapy",
    } <= classes
    needed = [
        "lithium",
        "aripiprazole",
        "brexpiprazole",
        "quetiapine",
        "cariprazine",
        "olanzapine",
        "risperidone",
        "liothyronine",
        "buspirone",
        "modafinil",
        "lamotrigine",
        "pramipexole",
        "esketamine",
        "ketamine_iv",
        "vortioxetine",
        "vilazodone",
        "trazodone",
        "nefazodone",
        "mirtazapine",
        "bupropion",
        "moclobemide",
        "selegiline_transdermal",
        "ect",
        "rtms",
        "itbs",
        "cbt",
        "ipt",
        "behavioural_activation",
    ]
    assert [n for n in needed if n not in kb.drug_by_id] == []


def test_label_maximum_never_below_the_range_floor(kb):
    for drug in kb.drugs.drugs:
        if drug.label_max and drug.usual_range:
            assert drug.label_max.value >= drug.usual_range.min, drug.id


def _scale_with_form(items: list, answers: list | None) -> dict:
    form = {"stem": "s", "items": items, "notice": "n", "sources": ["x"]}
    if answers is not None:
        form["answers"] = answers
    return {
        "id": "t", "name": "T", "rater": "self", "items": len(items), "item_min": 0, "item_max": 1,
        "total_min": 0, "total_max": len(items), "default_band_set": "b", "sources": ["x"],
        "band_sets": [
            {"id": "b", "name": "B", "bands": [{"label": "all", "min": 0, "max": len(items)}], "sources": ["x"]}
        ],
        "questionnaire": form,
    }  # fmt: skip


def test_a_questionnaire_item_may_carry_its_own_answer_wording():
    from pydantic import ValidationError

    from trdnav.knowledge.schema import Scale

    shared = [{"label": "no", "value": 0}, {"label": "yes", "value": 1}]
    own = {"text": "Sleep", "answers": [{"label": "fine", "value": 0}, {"label": "poor", "value": 1}]}
    scale = Scale.model_validate(_scale_with_form(["Mood", own], shared))
    assert scale.questionnaire.item_text(2) == "Sleep"
    assert [a.label for a in scale.questionnaire.answers_for(1)] == ["no", "yes"]
    assert [a.label for a in scale.questionnaire.answers_for(2)] == ["fine", "poor"]
    Scale.model_validate(_scale_with_form([own, own], None))  # every item its own: no shared list needed
    with pytest.raises(ValidationError, match="item 1 has no answers"):
        Scale.model_validate(_scale_with_form(["Mood", own], None))
    short = {"text": "Sleep", "answers": [{"label": "a", "value": 0}, {"label": "b", "value": 0}]}
    with pytest.raises(ValidationError, match="item 2's answers must cover every item value once"):
        Scale.model_validate(_scale_with_form(["Mood", short], shared))
