"""Drug guidance from phenotypes: CPIC tables, FDA-label dosing, phenoconversion, the
whole-regimen table and the trials a genotype may explain.

Golden values come from the sources: CPIC SSRI/SNRI 2023 (Bousman et al.) and TCA 2016
(Hicks et al.) recommendation rows, the Celexa/Trintellix labels, and Cicali 2020 (a strong
CYP2D6 inhibitor leaves nearly no enzyme activity). The cross-check against CPIC's data in
../shared/refdata/cpic runs when that folder is present.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from builder import Case
from trdnav.knowledge.loader import NO_RESULT
from trdnav.rules.pgx import score_phenotype

CPIC = Path(__file__).resolve().parents[2] / "shared" / "refdata" / "cpic"
GENES = ("CYP2D6", "CYP2C19", "CYP2B6")


def regimen(*genotypes: dict, meds: tuple[str, ...] = (), trials: tuple[dict, ...] = ()):
    case = Case().episode()
    for g in genotypes:
        case.add("genotypes", **g)
    for m in meds:
        case.add("medications", drug=m)
    for t in trials:
        case.trial(**t)
    return case.assess().pgx_regimen


def advice(result, drug: str):
    return next(d for d in result.drugs if d.drug_id == drug)


def _key(kb, gene: str, value: str) -> str:
    """CPIC's lookup key (a CYP2D6 activity score, or a phenotype term) as a phenotype id."""
    if value == "No Result":
        return NO_RESULT
    if gene == "CYP2D6":
        if value == "n/a":
            return "indeterminate"
        phenotype = score_phenotype(kb.gene_by_id[gene], float(value.lstrip("≥")))
        assert phenotype is not None, value
        return phenotype
    return kb.phenotype_by_name[" ".join(value.lower().split())].id


@pytest.mark.skipif(not CPIC.exists(), reason="../shared/refdata/cpic absent")
def test_every_cpic_recommendation_row_agrees(kb):
    """Each of CPIC's rows (drug x lookup keys, multi-gene and activity-score keys included)
    finds exactly trdnav's row with the same classification and recommendation text."""
    checked = 0
    with (CPIC / "recommendations.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["population"] == "":
                continue  # CPIC's help text for an uncounted xN, not a recommendation
            assert row["population"] == "general", row
            entries = [
                e for e in kb.guidance_by_drug.get(row["drug"], ()) if kb.guideline_by_id[e.guideline].kind == "cpic"
            ]
            assert len(entries) == 1, f"{row['drug']}: no CPIC table in the knowledge base"
            entry = entries[0]
            assert {g for g in GENES if row[g]} == set(entry.genes), row
            keys = {g: _key(kb, g, row[g]) for g in entry.genes}
            score = float(row["CYP2D6"].lstrip("≥")) if row["CYP2D6"] not in ("", "n/a", "No Result") else None
            matches = [
                r
                for r in entry.rows
                if all(keys[g] in r.when[g] for g in entry.genes)
                and all(score is not None and lo <= score <= hi for lo, hi in r.scores.values())
            ]
            assert len(matches) == 1, (row["drug"], keys)
            ours = matches[0]
            assert ours.classification == row["classification"].lower().replace(" ", "_"), (row["drug"], keys)
            text = row["recommendation"].split(" [Other Considerations]")[0].strip()
            assert ours.recommendation == text, (row["drug"], keys)
            checked += 1
    assert checked == 1240


def test_category_follows_the_recommendation(kb):
    """A CPIC row sits in the no-guidance group exactly when CPIC gives no genotype-based
    recommendation: the text says "No recommendation" (CPIC's data classifies a few such rows,
    e.g. clomipramine with CYP2C19 indeterminate, as Strong or Optional) or the classification
    is "no recommendation" (venlafaxine's "No action recommended based on genotype")."""
    for entry in kb.pgx_guidance.drug_guidance:
        for row in entry.rows:
            none = row.recommendation.startswith("No recommendation") or row.classification == "no_recommendation"
            assert (row.category == "no_guidance") == none, row


def test_ultrarapid_cyp2c19_points_away_from_escitalopram():
    result = regimen({"gene": "CYP2C19", "diplotype": "*17/*17"})
    row = advice(result, "escitalopram")
    assert row.category == "consider_alternative"
    (cpic,) = row.guidance
    assert (cpic.classification, cpic.lookup) == ("strong", ("CYP2C19 Ultrarapid Metabolizer",))
    assert cpic.recommendation.startswith("Consider a clinically appropriate alternative antidepressant")


def test_citalopram_in_a_poor_metabolizer_shows_cpic_and_the_label_cap():
    row = advice(regimen({"gene": "CYP2C19", "diplotype": "*2/*2"}), "citalopram")
    assert row.category == "consider_alternative"
    kinds = {g.kind: g for g in row.guidance}
    assert kinds["fda_label"].category == "adjust_dose_or_monitor"
    assert "20 mg once daily" in kinds["fda_label"].recommendation
    assert "label-celexa 2.3" in kinds["fda_label"].basis.sources


def test_sertraline_reads_both_genes_and_says_which_was_not_tested():
    both = advice(
        regimen({"gene": "CYP2C19", "diplotype": "*2/*2"}, {"gene": "CYP2B6", "diplotype": "*6/*6"}), "sertraline"
    )
    assert both.category == "consider_alternative"
    assert (
        both.guidance[0].recommendation
        == "Select an alternative antidepressant not primarily metabolized by CYP2C19 or CYP2B6."
    )
    one = advice(regimen({"gene": "CYP2C19", "diplotype": "*2/*2"}), "sertraline")
    assert one.category == "adjust_dose_or_monitor"
    assert one.guidance[0].lookup == ("CYP2C19 Poor Metabolizer", "CYP2B6 not tested")


def test_drugs_without_guidance_say_so_explicitly():
    result = regimen({"gene": "CYP2D6", "diplotype": "*1/*1"})
    for drug in ("mirtazapine", "bupropion", "lithium", "esketamine"):
        row = advice(result, drug)
        assert row.category == "no_guidance"
        assert "no CPIC recommendation or FDA-label pharmacogenomic dosing" in row.reason
    # a drug with guidance for a gene the record does not give
    assert "CYP2C19" in advice(result, "citalopram").reason
    assert all(d.drug_id != "ect" for d in result.drugs)  # only medications are listed


def test_strong_cyp2d6_inhibitor_phenoconverts_a_normal_metabolizer():
    result = regimen({"gene": "CYP2D6", "diplotype": "*1/*1"}, meds=("paroxetine",))
    (expressed,) = result.expressed
    assert (expressed.genotype_phenotype, expressed.expressed, expressed.activity_score) == (
        "Normal Metabolizer",
        "Poor Metabolizer",
        0.0,
    )
    assert "cicali2020" in expressed.basis.sources and "label-trintellix 2" in expressed.basis.sources
    row = advice(result, "vortioxetine")
    assert row.phenoconverted
    # by genotype: CPIC NM, use as directed; while paroxetine is taken: CPIC's PM row and the
    # label's strong-inhibitor rule (halve the dose), not the label's poor-metabolizer row
    assert (row.category, row.with_current_medications) == ("use_as_directed", "adjust_dose_or_monitor")
    lookups = {g.lookup: g for g in row.guidance}
    assert lookups[("CYP2D6 Normal Metabolizer",)].kind == "cpic"
    expressed = lookups[("CYP2D6 Poor Metabolizer (as expressed; genotype Normal Metabolizer)",)]
    assert expressed.as_expressed and "classification is for a genotype-predicted phenotype" in expressed.notes[0]
    label = lookups[("taking paroxetine (strong CYP2D6 inhibitor)",)]
    assert label.kind == "fda_label" and label.recommendation.startswith("Reduce the dose by one-half")
    assert not any("10 mg/day" in g.recommendation for g in row.guidance)


def test_citalopram_with_a_cyp2c19_inhibitor_of_any_strength_shows_the_label_cap():
    row = advice(regimen({"gene": "CYP2C19", "diplotype": "*1/*1"}, meds=("fluoxetine",)), "citalopram")
    assert (row.category, row.with_current_medications) == ("use_as_directed", "adjust_dose_or_monitor")
    (label,) = [g for g in row.guidance if g.kind == "fda_label"]
    assert "20 mg once daily" in label.recommendation and "label-celexa 2.4" in label.basis.sources


def test_a_label_rule_trdnav_does_not_hold_is_named_not_silent():
    # Rexulti has a strong-CYP2D6-inhibitor rule whose MDD footnote was not verified: not encoded
    row = advice(regimen({"gene": "CYP2D6", "diplotype": "*1/*1"}, meds=("fluoxetine",)), "brexpiprazole")
    (note,) = [g for g in row.guidance if g.lookup]
    assert note.lookup == ("taking fluoxetine (strong CYP2D6 inhibitor)",)
    assert "not in trdnav's knowledge base: check the label" in note.recommendation
    assert note.basis.missing


def test_titrating_higher_shows_the_label_maximum():
    row = advice(regimen({"gene": "CYP2C19", "diplotype": "*17/*17"}), "citalopram")
    (cpic,) = [g for g in row.guidance if g.kind == "cpic"]
    assert "label maximum 40 mg/day" in cpic.notes and "label-celexa 2.1" in cpic.basis.sources


def test_inhibitors_say_what_they_do_to_other_drugs():
    result = regimen({"gene": "CYP2D6", "diplotype": "*1/*1"})
    assert advice(result, "paroxetine").modulates == ("strong CYP2D6 inhibitor",)
    assert "strong CYP2D6 inhibitor" in advice(result, "olanzapine_fluoxetine").modulates
    assert advice(result, "sertraline").modulates == ()


def test_a_drug_does_not_phenoconvert_its_own_lookup():
    row = advice(regimen({"gene": "CYP2D6", "diplotype": "*1/*1"}, meds=("paroxetine",)), "paroxetine")
    assert not row.phenoconverted and row.category == "use_as_directed" and row.with_current_medications is None


def test_moderate_inhibitor_is_shown_but_not_computed():
    result = regimen({"gene": "CYP2D6", "diplotype": "*1/*1"}, meds=("duloxetine",))
    (expressed,) = result.expressed
    assert (expressed.genotype_phenotype, expressed.expressed) == ("Normal Metabolizer", None)
    assert expressed.modulators == ("duloxetine (moderate CYP2D6 inhibitor)",)
    assert "no cited rule" in expressed.reasons[0]
    assert expressed.basis.missing
    # the CPIC tables are then read for the genotype only
    assert not advice(result, "vortioxetine").phenoconverted


def test_an_ultrarapid_metabolizer_who_failed_escitalopram_is_flagged():
    trial = {"treatment": "escitalopram", "mg": 20, "weeks": 8, "clinician_outcome": "non_response"}
    result = regimen({"gene": "CYP2C19", "diplotype": "*17/*17"}, trials=(trial,))
    (flag,) = result.flags
    assert flag.trial_id == "t1" and flag.outcome == "non response"
    assert "pseudo-resistance" in flag.message and "Lower plasma concentrations" in flag.message
    assert advice(result, "escitalopram").status == "tried"


def test_no_flag_when_the_genotype_does_not_bear_on_the_drug():
    trial = {"treatment": "escitalopram", "mg": 20, "weeks": 8, "clinician_outcome": "non_response"}
    assert regimen({"gene": "CYP2C19", "diplotype": "*1/*1"}, trials=(trial,)).flags == ()


def test_no_regimen_without_an_interpretable_result():
    assert regimen({"gene": "CYP2C9", "diplotype": "*1/*3"}) is None


# Hicks et al. 2017 (CPIC TCA 2016 update), Table 4: amitriptyline by CYP2C19 (rows) and
# CYP2D6 (columns) phenotype: each cell's classification as printed in the article, and the
# group its first words give ("Avoid amitriptyline use", "Consider alternative drug" ->
# alternative; "Consider a 25% reduction" -> adjust; "Initiate therapy" -> as directed).
ALT, ADJ, AS_DIRECTED = "consider_alternative", "adjust_dose_or_monitor", "use_as_directed"
HICKS_TABLE_4 = {
    ("ultrarapid", "ultrarapid"): ("optional", ALT),
    ("ultrarapid", "normal"): ("optional", ALT),
    ("ultrarapid", "intermediate"): ("optional", ALT),
    ("ultrarapid", "poor"): ("optional", ALT),
    ("rapid", "ultrarapid"): ("optional", ALT),
    ("rapid", "normal"): ("optional", ALT),
    ("rapid", "intermediate"): ("optional", ALT),
    ("rapid", "poor"): ("optional", ALT),
    ("normal", "ultrarapid"): ("strong", ALT),
    ("normal", "normal"): ("strong", AS_DIRECTED),
    ("normal", "intermediate"): ("moderate", ADJ),
    ("normal", "poor"): ("strong", ALT),
    ("intermediate", "ultrarapid"): ("optional", ALT),
    ("intermediate", "normal"): ("strong", AS_DIRECTED),
    ("intermediate", "intermediate"): ("optional", ADJ),
    ("intermediate", "poor"): ("optional", ALT),
    ("poor", "ultrarapid"): ("optional", ALT),
    ("poor", "normal"): ("moderate", ALT),
    ("poor", "intermediate"): ("optional", ALT),
    ("poor", "poor"): ("optional", ALT),
}


@pytest.mark.parametrize(("cell", "expected"), HICKS_TABLE_4.items(), ids=lambda v: "-".join(v))
def test_amitriptyline_follows_hicks_2017_table_4(kb, cell, expected):
    (entry,) = [e for e in kb.guidance_by_drug["amitriptyline"] if e.guideline == "cpic-tca-2016"]
    (row,) = kb.guidance_rows[id(entry)][cell]
    assert (row.classification, row.category) == expected
