"""Pharmacogenetic phenotypes from what the lab reported (CPIC standard terms).

A reported phenotype is normalised to CPIC's terms (Caudle 2017); a CYP2D6 activity score
is binned by the CPIC/DPWG consensus (Caudle 2020). Allele function tables are not yet in
the knowledge base (GAPS.md E), so a diplotype alone is "Indeterminate" with that reason,
never a guess. Genes and bins are data (knowledge/data/pgx.yaml).
"""

from __future__ import annotations

from trdnav.assessment import Basis, Fact, GenePhenotype
from trdnav.knowledge.loader import KnowledgeBase
from trdnav.knowledge.schema import Gene
from trdnav.record.genotype import Diplotype
from trdnav.record.normalise import NGenotype
from trdnav.rules.context import Context

RULE_REPORTED = "pgx.reported_phenotype"
RULE_SCORE = "pgx.activity_score"
RULE_DIPLOTYPE = "pgx.diplotype_functions"
RULE_INDETERMINATE = "pgx.indeterminate"
RULE_NOT_COVERED = "pgx.gene_not_covered"


def diplotype_phenotype(gene: Gene, diplotype: Diplotype) -> tuple[str | None, str]:
    """(phenotype id, reason) from the two alleles' functions; None with the reason when the
    KB cannot translate it (an allele not listed, a copy number or a tandem arrangement)."""
    functions = {a.allele: a.function for a in gene.alleles}
    found = []
    for haplotype in (diplotype.first, diplotype.second):
        if len(haplotype.parts) != 1 or haplotype.parts[0].copies is not None:
            return None, f"{haplotype} has a copy number or tandem arrangement trdnav does not translate for {gene.id}"
        allele = haplotype.parts[0].allele
        if allele not in functions:
            return (
                None,
                f"{gene.id} {allele} is not in trdnav's allele function table yet (knowledge/GAPS.md section E)",
            )
        found.append(functions[allele])
    for pair in gene.function_pairs:
        if sorted(pair.functions) == sorted(found):
            readable = " and ".join(f.replace("_", " ") for f in found)
            return pair.phenotype, f"{diplotype}: {readable} function"
    return None, f"no rule for a {' and '.join(found)} function pair in trdnav's table"


def score_phenotype(gene: Gene, score: float) -> str | None:
    for row in gene.activity_score_bins:
        if row.min <= score and (row.max is None or score <= row.max):
            return row.phenotype
    return None


def _given(g: NGenotype) -> str:
    parts = []
    if g.genotype.diplotype is not None:
        parts.append(f"diplotype {g.diplotype or g.genotype.diplotype}")
    if g.genotype.activity_score is not None:
        parts.append(f"activity score {g.genotype.activity_score:g}")
    if g.genotype.phenotype is not None:
        parts.append(f"phenotype {g.genotype.phenotype!r}")
    return "; ".join(parts)


def interpret(g: NGenotype, kb: KnowledgeBase) -> GenePhenotype:
    given = _given(g)
    facts = tuple(
        Fact(f"{g.path}.{name}", str(value))
        for name, value in (
            ("diplotype", g.genotype.diplotype),
            ("activity_score", g.genotype.activity_score),
            ("phenotype", g.genotype.phenotype),
        )
        if value is not None
    )
    if not g.covered:
        return GenePhenotype(
            g.gene,
            given,
            "not_covered",
            None,
            None,
            ("gene not interpreted by trdnav",),
            Basis(RULE_NOT_COVERED, facts),
        )
    gene = kb.gene_by_id[g.gene]
    term = {p.id: p for p in kb.pgx.phenotypes}
    sources = list(gene.sources)
    reasons = []
    score = g.genotype.activity_score
    from_score = score_phenotype(gene, score) if score is not None else None
    if from_score is not None:
        sources.extend(gene.activity_score_sources)
    if g.phenotype_id is not None:
        sources.extend(term[g.phenotype_id].sources)
        if from_score is not None and from_score != g.phenotype_id:
            reasons.append(
                f"the lab reported {term[g.phenotype_id].term}, but activity score {score:g} "
                f"is {term[from_score].term}: the entries disagree"
            )
            return GenePhenotype(
                g.gene,
                given,
                "indeterminate",
                term["indeterminate"].term,
                score,
                tuple(reasons),
                Basis(
                    RULE_INDETERMINATE,
                    facts,
                    tuple(dict.fromkeys(sources)),
                    (f"{g.path}: a consistent result from the lab",),
                ),
            )
        reasons.append(f"reported by the lab as {term[g.phenotype_id].term}")
        return GenePhenotype(
            g.gene,
            given,
            "reported",
            term[g.phenotype_id].term,
            score,
            tuple(reasons),
            Basis(RULE_REPORTED, facts, tuple(dict.fromkeys(sources))),
        )
    if from_score is not None:
        reasons.append(f"activity score {score:g} is {term[from_score].term}")
        return GenePhenotype(
            g.gene,
            given,
            "derived",
            term[from_score].term,
            score,
            tuple(reasons),
            Basis(RULE_SCORE, facts, tuple(dict.fromkeys(sources))),
        )
    if g.diplotype is not None and gene.function_pairs:
        from_pair, why = diplotype_phenotype(gene, g.diplotype)
        if from_pair is not None:
            cited = (*sources, *gene.allele_sources, *gene.function_pair_sources)
            return GenePhenotype(
                g.gene,
                given,
                "derived",
                term[from_pair].term,
                None,
                (why,),
                Basis(RULE_DIPLOTYPE, facts, tuple(dict.fromkeys(cited))),
            )
        reasons.append(why)
    else:
        reasons.append(
            f"{g.gene} allele function tables are not yet in trdnav's knowledge base, so a diplotype "
            "is not translated (knowledge/GAPS.md section E)"
        )
    if g.diplotype is not None and (g.diplotype.first.uncounted or g.diplotype.second.uncounted):
        reasons.append("the diplotype has an uncounted copy number (xN), which CPIC does not translate")
    missing = (f"{g.path}.phenotype or {g.path}.activity_score as reported by the lab",)
    return GenePhenotype(
        g.gene,
        given,
        "indeterminate",
        term["indeterminate"].term,
        None,
        tuple(reasons),
        Basis(RULE_INDETERMINATE, facts, tuple(dict.fromkeys(sources)), missing),
    )


def phenotypes(ctx: Context) -> tuple[GenePhenotype, ...]:
    return tuple(interpret(g, ctx.kb) for g in ctx.record.genotypes)
