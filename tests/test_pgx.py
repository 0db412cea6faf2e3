"""Lab pharmacogenetic results: parsing, CPIC phenotype terms, CYP2D6 activity-score bins.

Expected values typed in from the sources: CPIC standard terms (Caudle 2017, Genet Med
19:215, Table 1: 'normal metabolizer' replaces 'extensive metabolizer'); CYP2D6 activity
score to phenotype (Caudle 2020, Clin Transl Sci 13:116: 0 poor; 0.25-1 intermediate;
1.25-2.25 normal; above 2.25 ultrarapid). Cross-checks read ../shared/refdata when present.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from builder import Case
from trdnav.record.errors import RecordError
from trdnav.record.genotype import parse_diplotype

REFDATA = Path(__file__).resolve().parents[2] / "shared" / "refdata"
CPIC = REFDATA / "cpic"
GETRM = REFDATA / "getrm"


def pgx(*genotypes: dict) -> dict:
    case = Case().episode()
    for g in genotypes:
        case.add("genotypes", **g)
    return {g.gene: g for g in case.assess().pharmacogenetics}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("*1/*4", "*1/*4"),
        ("*1x2/*4", "*1x2/*4"),
        ("*2xN/*41", "*2xN/*41"),
        ("*36+*10/*4", "*36+*10/*4"),
        ("*36x2+*10/*52", "*36x2+*10/*52"),
        ("CYP2D6*1/*4.001", "*1/*4.001"),
        ("*1/*1x≥3", "*1/*1x≥3"),
        (" *1 / *17 ", "*1/*17"),
        ("*1×2/*4", "*1x2/*4"),
    ],
)
def test_diplotype_notation(text, shown):
    assert str(parse_diplotype(text, "CYP2D6")) == shown


@pytest.mark.parametrize("text", ["*1/", "1/4", "*1/*4/*5", "*1x/*4", "(*36+)10/*41", "*1-*4", ""])
def test_malformed_diplotypes_are_refused(text):
    assert parse_diplotype(text, "CYP2D6") is None


@pytest.mark.skipif(not CPIC.exists(), reason="../shared/refdata/cpic absent")
def test_every_cpic_diplotype_string_parses():
    with (CPIC / "diplotype_phenotype.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    failures = [(r["gene"], r["diplotype"]) for r in rows if parse_diplotype(r["diplotype"], r["gene"]) is None]
    assert len(rows) > 16000 and failures == []


@pytest.mark.skipif(not GETRM.exists(), reason="../shared/refdata/getrm absent")
def test_getrm_consensus_diplotypes_parse_unless_written_as_ambiguous():
    with (GETRM / "getrm_consensus.tsv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["gene"] in ("CYP2D6", "CYP2C19")]
    calls = {r["getrm_consensus"] for r in rows if r["getrm_consensus"] and "(" not in r["getrm_consensus"]}
    calls = {c for c in calls if " " not in c and ";" not in c and "," not in c}
    assert len(calls) > 50
    assert [c for c in calls if parse_diplotype(c, "CYP2D6") is None] == []


CAUDLE_2020 = [
    (0, "Poor Metabolizer"),
    (0.25, "Intermediate Metabolizer"),
    (1.0, "Intermediate Metabolizer"),
    (1.25, "Normal Metabolizer"),
    (2.25, "Normal Metabolizer"),
    (2.5, "Ultrarapid Metabolizer"),
    (4.0, "Ultrarapid Metabolizer"),
]


@pytest.mark.parametrize(("score", "phenotype"), CAUDLE_2020)
def test_cyp2d6_activity_score_bins(score, phenotype):
    result = pgx({"gene": "CYP2D6", "activity_score": score})["CYP2D6"]
    assert (result.status, result.phenotype) == ("derived", phenotype)


@pytest.mark.skipif(not CPIC.exists(), reason="../shared/refdata/cpic absent")
def test_activity_score_bins_agree_with_cpic_data(kb):
    from trdnav.rules.pgx import score_phenotype

    gene = kb.gene_by_id["CYP2D6"]
    terms = {p.id: p.term for p in kb.pgx.phenotypes}
    with (CPIC / "activity_score_phenotype.tsv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["activity_score"].replace(".", "").isdigit()]
    assert len(rows) >= 12
    for row in rows:
        assert terms[score_phenotype(gene, float(row["activity_score"]))] == row["phenotype"], row


@pytest.mark.parametrize(
    ("written", "term"),
    [
        ("CYP2C19 poor metabolizer", "Poor Metabolizer"),
        ("PM", "Poor Metabolizer"),
        ("extensive metabolizer", "Normal Metabolizer"),
        ("Likely Intermediate Metabolizer", "Likely Intermediate Metabolizer"),
        ("ultra-rapid metabolizer", "Ultrarapid Metabolizer"),
        ("RM", "Rapid Metabolizer"),
    ],
)
def test_reported_phenotypes_are_normalised_to_cpic_terms(written, term):
    result = pgx({"gene": "CYP2C19", "phenotype": written})["CYP2C19"]
    assert (result.status, result.phenotype) == ("reported", term)


def test_disagreeing_phenotype_and_score_are_indeterminate_not_a_choice():
    result = pgx({"gene": "CYP2D6", "activity_score": 0, "phenotype": "normal metabolizer"})["CYP2D6"]
    assert result.status == "indeterminate" and "disagree" in result.reasons[-1]


def test_a_diplotype_that_disagrees_with_the_reported_phenotype_is_indeterminate():
    result = pgx({"gene": "CYP2D6", "diplotype": "*4/*4", "phenotype": "normal metabolizer"})["CYP2D6"]
    assert result.status == "indeterminate"
    assert "diplotype *4/*4 is Poor Metabolizer; reported Normal Metabolizer" in result.reasons[-1]


def test_a_lab_score_from_older_allele_values_is_noted_when_the_phenotype_agrees():
    # *1/*41 was 1.5 before CPIC's 2022 update moved *41 to 0.25; both are normal metabolizer
    result = pgx({"gene": "CYP2D6", "diplotype": "*1/*41", "activity_score": 1.5})["CYP2D6"]
    assert (result.status, result.phenotype, result.activity_score) == ("derived", "Normal Metabolizer", 1.25)
    assert any("differs from 1.25" in r for r in result.reasons)


# CYP2D6 diplotypes worked by hand from CPIC's activity values (CYP2D6 allele functionality
# table after the 2022 update: *1, *2, *35 = 1; *9, *10, *41 = 0.25; *17, *29 = 0.5; *3-*6 = 0;
# a duplication counts once per copy) and the Caudle 2020 bins. *1/*4 (AS 1) is intermediate
# since the 2019 consensus; *1x2 + decreased 0.5 = 2.5 is CPIC's own ultrarapid example.
CYP2D6_WORKED = [
    ("*1/*1", 2.0, "Normal Metabolizer"),
    ("*1/*4", 1.0, "Intermediate Metabolizer"),
    ("*1/*41", 1.25, "Normal Metabolizer"),
    ("*4/*41", 0.25, "Intermediate Metabolizer"),
    ("*10/*10", 0.5, "Intermediate Metabolizer"),
    ("*4/*5", 0.0, "Poor Metabolizer"),
    ("*1x2/*4", 2.0, "Normal Metabolizer"),
    ("*1x2/*17", 2.5, "Ultrarapid Metabolizer"),
    ("*1/*2x2", 3.0, "Ultrarapid Metabolizer"),
    ("*4x2/*4", 0.0, "Poor Metabolizer"),
    ("*1/*4.001", 1.0, "Intermediate Metabolizer"),
    # tandems: the sum of their units (Crews 2021 supplement: *1/*13+*2 has activity score 2)
    ("*1/*13+*2", 2.0, "Normal Metabolizer"),
    ("*36+*10/*10", 0.5, "Intermediate Metabolizer"),
    ("*36x2+*10/*4", 0.25, "Intermediate Metabolizer"),
    ("*68+*4/*4", 0.0, "Poor Metabolizer"),
]


def test_a_scored_tandem_cites_the_tandem_rule():
    result = pgx({"gene": "CYP2D6", "diplotype": "*36+*10/*1"})["CYP2D6"]
    assert result.activity_score == 1.25 and any(s.startswith("crews2021") for s in result.basis.sources)
    plain = pgx({"gene": "CYP2D6", "diplotype": "*1/*10"})["CYP2D6"]
    assert not any(s.startswith("crews2021") for s in plain.basis.sources)


@pytest.mark.parametrize(("diplotype", "score", "phenotype"), CYP2D6_WORKED)
def test_cyp2d6_diplotypes_from_activity_values(diplotype, score, phenotype):
    result = pgx({"gene": "CYP2D6", "diplotype": diplotype})["CYP2D6"]
    assert (result.status, result.activity_score, result.phenotype) == ("derived", score, phenotype)


def test_at_least_three_copies_decide_only_when_the_bound_is_already_ultrarapid():
    assert pgx({"gene": "CYP2D6", "diplotype": "*1x≥3/*4"})["CYP2D6"].phenotype == "Ultrarapid Metabolizer"
    # *10x≥3 is at least 0.75: intermediate, normal or more, so no phenotype
    result = pgx({"gene": "CYP2D6", "diplotype": "*10x≥3/*4"})["CYP2D6"]
    assert result.status == "indeterminate" and "spans more than one phenotype" in result.reasons[0]


@pytest.mark.parametrize(
    ("diplotype", "why"),
    [
        ("*1/*4xN", "uncounted copy number"),
        ("*36+*150/*10", "*150 is not in trdnav's allele function table"),
        ("*1/*150", "*150 is not in trdnav's allele function table"),
    ],
)
def test_cyp2d6_diplotypes_trdnav_cannot_score_are_indeterminate_with_the_reason(diplotype, why):
    result = pgx({"gene": "CYP2D6", "diplotype": diplotype})["CYP2D6"]
    assert result.status == "indeterminate" and why in result.reasons[0]
    assert result.basis.missing


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ({"gene": "CYP2D6", "diplotype": "*1-*4"}, "genotypes[0].diplotype", "star-allele diplotype"),
        ({"gene": "CYP2C19", "activity_score": 1.0}, "genotypes[0].activity_score", "not scored that way"),
        ({"gene": "CYP2D6", "activity_score": 1.1}, "genotypes[0].activity_score", "multiple of 0.25"),
        ({"gene": "CYP2D6", "phenotype": "Rapid Metabolizer"}, "genotypes[0].phenotype", "a CYP2D6 phenotype"),
        ({"gene": "CYP2D6", "phenotype": "slow-ish"}, "genotypes[0].phenotype", "a CYP2D6 phenotype"),
    ],
)
def test_bad_genotype_input_names_the_field(entry, field, words):
    case = Case().episode().add("genotypes", **entry)
    with pytest.raises(RecordError) as err:
        case.assess()
    assert err.value.problems[0].field == field and words in err.value.problems[0].expected


def test_two_entries_for_one_gene_are_bad_input():
    case = (
        Case()
        .episode()
        .add("genotypes", gene="CYP2D6", diplotype="*1/*1")
        .add("genotypes", gene="cyp2d6", diplotype="*1/*4")
    )
    with pytest.raises(RecordError) as err:
        case.assess()
    assert err.value.problems[0].field == "genotypes[1].gene"


def test_a_gene_not_covered_is_kept_with_a_warning():
    case = Case().episode().add("genotypes", gene="CYP2C9", diplotype="*1/*3")
    result = case.assess()
    assert result.pharmacogenetics[0].status == "not_covered"
    assert [w.rule for w in result.warnings] == ["record.gene_not_covered"]


@pytest.mark.skipif(not CPIC.exists(), reason="../shared/refdata/cpic absent")
def test_each_genes_phenotype_terms_are_the_ones_cpic_uses(kb):
    with (CPIC / "diplotype_phenotype.tsv").open(encoding="utf-8") as handle:
        used: dict[str, set[str]] = {}
        for row in csv.DictReader(handle, delimiter="\t"):
            used.setdefault(row["gene"], set()).add(row["phenotype"])
    terms = {p.id: p.term for p in kb.pgx.phenotypes}
    for gene in kb.pgx.genes:
        assert {terms[p] for p in gene.phenotypes} == used[gene.id], gene.id


# CPIC TCA guideline 2016 update, Table 1 (as reproduced by NCBI Medical Genetics Summaries):
# *1 normal, *2 and *3 no function, *17 increased function
HICKS_2017 = [
    ("*1/*1", "Normal Metabolizer"),
    ("*1/*17", "Rapid Metabolizer"),
    ("*17/*17", "Ultrarapid Metabolizer"),
    ("*1/*2", "Intermediate Metabolizer"),
    ("*2/*17", "Intermediate Metabolizer"),
    ("*3/*17", "Intermediate Metabolizer"),
    ("*2/*2", "Poor Metabolizer"),
    ("*2/*3", "Poor Metabolizer"),
    ("*17/*2", "Intermediate Metabolizer"),
    # CPIC PPI guideline 2021 (Lima et al.) Table 1: *9 decreased function
    ("*1/*9", "Likely Intermediate Metabolizer"),
    ("*9/*17", "Likely Intermediate Metabolizer"),
    ("*9/*9", "Likely Intermediate Metabolizer"),
    ("*2/*9", "Likely Poor Metabolizer"),
]


@pytest.mark.parametrize(("diplotype", "phenotype"), HICKS_2017)
def test_cyp2c19_diplotypes_from_allele_functions(diplotype, phenotype):
    result = pgx({"gene": "CYP2C19", "diplotype": diplotype})["CYP2C19"]
    assert (result.status, result.phenotype) == ("derived", phenotype)


@pytest.mark.parametrize(
    ("diplotype", "why"),
    [
        ("*1/*35", "*35 is not in trdnav's allele function table"),
        ("*1x2/*2", "copy number or tandem arrangement"),
    ],
)
def test_cyp2c19_diplotypes_the_table_cannot_translate_are_indeterminate(diplotype, why):
    result = pgx({"gene": "CYP2C19", "diplotype": diplotype})["CYP2C19"]
    assert result.status == "indeterminate" and why in result.reasons[0]


@pytest.mark.skipif(not CPIC.exists(), reason="../shared/refdata/cpic absent")
def test_every_cpic_diplotype_agrees_or_is_left_untranslated_for_a_stated_reason(kb):
    """Each row of CPIC's diplotype-to-phenotype data: trdnav gives CPIC's phenotype (and, for
    CYP2D6, CPIC's activity score), or no phenotype because an allele has uncertain or unknown
    function (where CPIC says Indeterminate too) or is not in trdnav's table (CYP2C19, CYP2B6:
    only the alleles the guideline texts state are encoded). Never a different phenotype."""
    from trdnav.rules.pgx import diplotype_phenotype, diplotype_score

    terms = {p.id: p.term for p in kb.pgx.phenotypes}
    counts: dict[tuple[str, str], int] = {}
    with (CPIC / "diplotype_phenotype.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            gene = kb.gene_by_id[row["gene"]]
            diplotype = parse_diplotype(row["diplotype"], row["gene"])
            assert diplotype is not None
            phenotype, why = diplotype_phenotype(gene, diplotype)
            if phenotype is not None:
                outcome = "agrees"
                assert terms[phenotype] == row["phenotype"], (row, why)
                if gene.activity_score_bins:
                    score, at_least, _ = diplotype_score(gene, diplotype)
                    expected = row["activity_score"]
                    assert (at_least, score) == (expected.startswith("≥"), float(expected.lstrip("≥"))), row
            elif "uncertain function" in why or "unknown function" in why:
                outcome = "indeterminate, as CPIC"
                assert row["phenotype"] == "Indeterminate", (row, why)
            else:
                outcome = "allele not encoded"
                assert "not in trdnav's allele function table" in why, (row, why)
            counts[gene.id, outcome] = counts.get((gene.id, outcome), 0) + 1
    assert counts == {
        # CYP2D6: all 15,051 rows agree
        ("CYP2D6", "agrees"): 3828,
        ("CYP2D6", "indeterminate, as CPIC"): 11223,
        # CYP2C19: every row made of the 23 alleles of Hicks 2015 Table S5 (and Lima 2021) agrees
        ("CYP2C19", "agrees"): 253,
        ("CYP2C19", "allele not encoded"): 413,
        # CYP2B6: the efavirenz guideline's alleles, with those its c.516G>T rule makes decreased
        ("CYP2B6", "agrees"): 91,
        ("CYP2B6", "allele not encoded"): 1085,
    }


# CYP2C19 phenotypes worked by hand from Hicks 2015 Supplemental Table S5 (allele functions;
# *2-*8 no function also in Hicks 2017) and Lima 2021 Table 1 (phenotype from the two functions)
CYP2C19_WORKED = [
    ("*1/*4", "Intermediate Metabolizer"),  # normal + no function
    ("*4/*8", "Poor Metabolizer"),  # no + no
    ("*10/*17", "Likely Intermediate Metabolizer"),  # decreased + increased
    ("*2/*19", "Likely Poor Metabolizer"),  # no + decreased
    ("*11/*17", "Rapid Metabolizer"),  # normal + increased
    ("*16/*26", "Likely Intermediate Metabolizer"),  # decreased + decreased
]


# CYP2B6 from Desta 2019: "all alleles that carry c.516G>T ... are considered decreased
# function" (*7, *19, *20, *26, *29, *34, *36, *37 among those it lists) and Table 1's pairs
CYP2B6_WORKED = [
    ("*1/*7", "Intermediate Metabolizer"),  # normal + decreased
    ("*6/*26", "Poor Metabolizer"),  # decreased + decreased
    ("*18/*36", "Poor Metabolizer"),  # no function + decreased
    ("*4/*29", "Intermediate Metabolizer"),  # increased + decreased
]


@pytest.mark.parametrize(("diplotype", "phenotype"), CYP2B6_WORKED)
def test_cyp2b6_phenotypes_worked_from_the_guideline_text(diplotype, phenotype):
    result = pgx({"gene": "CYP2B6", "diplotype": diplotype})["CYP2B6"]
    assert (result.status, result.phenotype) == ("derived", phenotype)


@pytest.mark.parametrize(("diplotype", "phenotype"), CYP2C19_WORKED)
def test_cyp2c19_phenotypes_worked_from_the_guideline_tables(diplotype, phenotype):
    result = pgx({"gene": "CYP2C19", "diplotype": diplotype})["CYP2C19"]
    assert (result.status, result.phenotype) == ("derived", phenotype)


@pytest.mark.skipif(not CPIC.exists(), reason="../shared/refdata/cpic absent")
def test_each_encoded_allele_has_cpics_function_and_activity_value(kb):
    words = {"normal": "Normal function", "decreased": "Decreased function", "no_function": "No function"}
    words |= {"increased": "Increased function", "uncertain": "Uncertain function", "unknown": "Unknown function"}
    cpic: dict[tuple[str, str], dict[str, str]] = {}
    with (CPIC / "allele_function.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            cpic[row["gene"], row["allele"]] = row
    checked = 0
    for gene in kb.pgx.genes:
        for allele in gene.alleles:
            row = cpic.get((gene.id, allele.allele))
            if row is None:
                continue  # e.g. CPIC names the CYP2C19 reference allele *38 in newer data
            checked += 1
            assert words[allele.function] == row["function"], (gene.id, allele.allele)
            if allele.activity is not None:
                assert float(row["activity_value"]) == allele.activity, (gene.id, allele.allele)
    assert checked >= 150
