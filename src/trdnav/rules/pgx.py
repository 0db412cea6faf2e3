"""Pharmacogenetic phenotypes from what the lab reported (CPIC standard terms).

A reported phenotype is normalised to CPIC's terms (Caudle 2017). A diplotype is translated
from its alleles' functions: activity-scored genes (CYP2D6) sum the allele activity values
times their copies and bin the score (Caudle 2020); other genes read the pair of functions.
An allele the knowledge base does not list, or of uncertain function, gives "Indeterminate"
with that reason, never a guess. Genes, alleles and bins are data (knowledge/data/pgx.yaml).
"""

from __future__ import annotations

import re

from trdnav.assessment import Basis, Fact, GenePhenotype
from trdnav.knowledge.loader import KnowledgeBase
from trdnav.knowledge.schema import AlleleFunction, Gene
from trdnav.record.genotype import Diplotype, Part
from trdnav.record.normalise import NGenotype
from trdnav.rules.context import Context

RULE_REPORTED = "pgx.reported_phenotype"
RULE_SCORE = "pgx.activity_score"
RULE_DIPLOTYPE = "pgx.diplotype_functions"
RULE_INDETERMINATE = "pgx.indeterminate"
RULE_NOT_COVERED = "pgx.gene_not_covered"


SUBALLELE = re.compile(r"^(\*\d+)(?:[A-Z]+|\.\d+)$")


def allele_entry(gene: Gene, allele: str) -> AlleleFunction | None:
    """The allele's row; a suballele (*4.001, legacy *2A) takes its core allele's function,
    as PharmVar defines suballeles by the core allele's function-defining variants."""
    table = {a.allele: a for a in gene.alleles}
    if allele in table:
        return table[allele]
    core = SUBALLELE.match(allele)
    return table.get(core.group(1)) if core else None


def _lookup(gene: Gene, diplotype: Diplotype) -> tuple[list[tuple[Part, AlleleFunction]], str | None]:
    found: list[tuple[Part, AlleleFunction]] = []
    for haplotype in (diplotype.first, diplotype.second):
        for part in haplotype.parts:
            entry = allele_entry(gene, part.allele)
            if entry is None:
                return found, f"{gene.id} {part.allele} is not in trdnav's allele function table (knowledge/GAPS.md E)"
            if entry.function in ("uncertain", "unknown"):
                return found, f"{gene.id} {part.allele} has {entry.function} function, so CPIC assigns no phenotype"
            found.append((part, entry))
    return found, None


def diplotype_score(gene: Gene, diplotype: Diplotype) -> tuple[float | None, bool, str]:
    """(activity score, is a lower bound, reason): the sum of the allele activity values,
    each times its copy number (CPIC/DPWG consensus); None with the reason when it cannot be
    scored (an allele not in the table, uncertain function, an uncounted xN)."""
    for haplotype in (diplotype.first, diplotype.second):
        if len(haplotype.parts) > 1 and not gene.tandem_sums_units:
            return (
                None,
                False,
                (
                    f"{haplotype} is a tandem or hybrid arrangement: CPIC's rule for scoring it is not in "
                    "trdnav's knowledge base (knowledge/GAPS.md E)"
                ),
            )
    found, problem = _lookup(gene, diplotype)
    if problem:
        return None, False, problem
    total = 0.0
    at_least = False
    shown = []
    for part, entry in found:
        value = entry.activity if entry.activity is not None else 0.0
        if part.copies == "N":
            return None, False, f"{part} has an uncounted copy number (xN), which CPIC does not score"
        if part.copies is None:
            copies = 1
        elif part.copies.startswith("≥"):
            copies = int(part.copies[1:])
            at_least = at_least or value > 0
        else:
            copies = int(part.copies)
        total += value * copies
        shown.append(
            f"{part.allele} {entry.function.replace('_', ' ')} ({value:g}{f' x{copies}' if copies > 1 else ''})"
        )
    return total, at_least, f"{diplotype}: " + " + ".join(shown)


def diplotype_phenotype(gene: Gene, diplotype: Diplotype) -> tuple[str | None, str]:
    """(phenotype id, reason) from the alleles' functions; None with the reason when the KB
    cannot translate it. Activity-scored genes sum values; others read the function pair."""
    if gene.activity_score_bins:
        score, at_least, why = diplotype_score(gene, diplotype)
        if score is None:
            return None, why
        phenotype = score_phenotype(gene, score)
        if at_least:
            # a lower bound decides only when the open-ended top bin already holds it
            top = max(gene.activity_score_bins, key=lambda b: b.min)
            if not (top.max is None and score >= top.min):
                return None, f"{why}: activity score at least {score:g}, which spans more than one phenotype"
            return phenotype, f"{why} = activity score \u2265{score:g}"
        return phenotype, f"{why} = activity score {score:g}"
    for haplotype in (diplotype.first, diplotype.second):
        if len(haplotype.parts) != 1 or haplotype.parts[0].copies is not None:
            return None, f"{haplotype} has a copy number or tandem arrangement trdnav does not translate for {gene.id}"
    found, problem = _lookup(gene, diplotype)
    if problem:
        return None, problem
    functions = [entry.function for _, entry in found]
    for pair in gene.function_pairs:
        if sorted(pair.functions) == sorted(functions):
            readable = " + ".join(f.replace("_", " ") for f in functions)
            return pair.phenotype, f"{diplotype}: allele functions {readable}"
    return None, f"no rule for a {' and '.join(functions)} function pair in trdnav's table"


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
    """One gene's phenotype from whatever the lab gave: diplotype, activity score, phenotype.
    Entries that give different phenotypes make it Indeterminate, never a choice."""
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
    reasons: list[str] = []
    # (what gave it, phenotype id) for every entry that yields a phenotype
    candidates: list[tuple[str, str]] = []
    rule = RULE_REPORTED
    score = g.genotype.activity_score
    derived_score: float | None = None
    if g.diplotype is not None:
        if gene.alleles:
            from_diplotype, why = diplotype_phenotype(gene, g.diplotype)
            reasons.append(why)
            if from_diplotype is not None:
                candidates.append((f"diplotype {g.diplotype}", from_diplotype))
                sources.extend((*gene.allele_sources, *_allele_citations(gene, g.diplotype)))
                sources.extend(gene.activity_score_sources if gene.activity_score_bins else gene.function_pair_sources)
                if any(len(h.parts) > 1 for h in (g.diplotype.first, g.diplotype.second)):
                    sources.extend(gene.tandem_sources)
                rule = RULE_DIPLOTYPE
                if gene.activity_score_bins:
                    derived_score, _, _ = diplotype_score(gene, g.diplotype)
        else:
            reasons.append(f"{g.gene} allele functions are not in trdnav's knowledge base (knowledge/GAPS.md E)")
    if score is not None:
        from_score = score_phenotype(gene, score)
        if from_score is not None:
            candidates.append((f"activity score {score:g}", from_score))
            sources.extend(gene.activity_score_sources)
            if rule != RULE_DIPLOTYPE:
                rule = RULE_SCORE
        if derived_score is not None and derived_score != score:
            reasons.append(
                f"the lab's activity score {score:g} differs from {derived_score:g} by CPIC's current allele values"
            )
    if g.phenotype_id is not None:
        candidates.append((f"reported {term[g.phenotype_id].term}", g.phenotype_id))
        sources.extend(term[g.phenotype_id].sources)
    cited = tuple(dict.fromkeys(sources))
    found = {p for _, p in candidates}
    if len(found) > 1:
        detail = "; ".join(f"{what} is {term[p].term}" for what, p in candidates)
        return GenePhenotype(
            g.gene,
            given,
            "indeterminate",
            term["indeterminate"].term,
            derived_score if derived_score is not None else score,
            (*reasons, f"the entries disagree: {detail}"),
            Basis(RULE_INDETERMINATE, facts, cited, (f"{g.path}: a consistent result from the lab",)),
        )
    if found:
        phenotype = found.pop()
        if rule == RULE_REPORTED:
            reasons.append(f"reported by the lab as {term[phenotype].term}")
            status = "reported"
        else:
            if rule == RULE_SCORE:
                reasons.append(f"activity score {score:g} is {term[phenotype].term}")
            else:
                reasons.append(f"{term[phenotype].term} by CPIC's allele functions")
            status = "derived"
            others = [what for what, _ in candidates[1:]]
            if others:
                reasons.append("agrees with " + " and ".join(others))
        return GenePhenotype(
            g.gene,
            given,
            status,  # type: ignore[arg-type]
            term[phenotype].term,
            derived_score if derived_score is not None else score,
            tuple(reasons),
            Basis(rule, facts, cited),
        )
    if g.diplotype is not None and (g.diplotype.first.uncounted or g.diplotype.second.uncounted):
        reasons.append("CPIC does not translate an uncounted copy number (xN): ask the lab for the copy number")
    missing = (f"{g.path}.phenotype or {g.path}.activity_score as reported by the lab",)
    return GenePhenotype(
        g.gene,
        given,
        "indeterminate",
        term["indeterminate"].term,
        None,
        tuple(dict.fromkeys(reasons)),
        Basis(RULE_INDETERMINATE, facts, cited, missing),
    )


def _allele_citations(gene: Gene, diplotype: Diplotype) -> list[str]:
    cited: list[str] = []
    for haplotype in (diplotype.first, diplotype.second):
        for part in haplotype.parts:
            entry = allele_entry(gene, part.allele)
            if entry is not None:
                cited.extend(entry.sources)
    return cited


def phenotypes(ctx: Context) -> tuple[GenePhenotype, ...]:
    return tuple(interpret(g, ctx.kb) for g in ctx.record.genotypes)
