"""Drug guidance from phenotypes: phenoconversion, the whole-regimen table, and flags for
trials a genotype may explain.

Nothing here names a gene or a drug: the guidance tables, the modulators (inhibitors and
inducers with their strength) and the phenoconversion rules are data
(knowledge/data/pgx_guidance.yaml). A drug's own effect on an enzyme is left out of its own
lookup (paroxetine inhibits CYP2D6, but CPIC's paroxetine table already describes paroxetine).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from trdnav.assessment import (
    Basis,
    DrugAdvice,
    ExpressedPhenotype,
    Fact,
    GenePhenotype,
    GenotypeFlag,
    Guidance,
    GuidanceCategory,
    PgxRegimen,
    TrialFinding,
)
from trdnav.knowledge.loader import NO_RESULT, KnowledgeBase, normalise_name
from trdnav.knowledge.schema import DrugGuidance, Modulator
from trdnav.rules.context import Context
from trdnav.rules.pgx import score_phenotype

RULE_EXPRESSED = "pgx.phenoconversion"
RULE_GUIDANCE = "pgx.drug_guidance"
RULE_NO_GUIDANCE = "pgx.no_guidance"
RULE_FLAG = "pgx.trial_explained_by_genotype"

# most cautious last: a drug's group is the most cautious of its sources' groups
SEVERITY: dict[GuidanceCategory, int] = {
    "no_guidance": 0,
    "use_as_directed": 1,
    "adjust_dose_or_monitor": 2,
    "consider_alternative": 3,
}
STRENGTH = {"strong": 3, "moderate": 2, "weak": 1}


@dataclass(frozen=True)
class OnDrug:
    """A drug the patient takes (or took), for phenoconversion: its name and record path."""

    name: str
    drug_id: str | None
    path: str
    # the modulator entries the knowledge base holds for this name (looked up once)
    modulates: tuple[Modulator, ...] = ()


def on_drug(kb: KnowledgeBase, name: str, drug_id: str | None, path: str) -> OnDrug:
    return OnDrug(name, drug_id, path, tuple(kb.modulators_by_name.get(normalise_name(name), ())))


class Phenotypes:
    """The patient's phenotype ids per gene, and each gene's phenotype as expressed beside a
    given set of co-medications (memoised: the same set is asked for many drugs)."""

    def __init__(self, kb: KnowledgeBase, found: Iterable[GenePhenotype]) -> None:
        self.kb = kb
        term_to_id = kb.phenotype_id_by_term
        self.genes = {g.gene: g for g in found if g.status != "not_covered" and g.phenotype}
        self.ids = {gene: term_to_id[g.phenotype or ""] for gene, g in self.genes.items()}
        self._memo: dict[tuple[str, tuple[OnDrug, ...]], ExpressedPhenotype] = {}

    def expressed(self, gene: str, on: tuple[OnDrug, ...]) -> ExpressedPhenotype:
        # only the drugs that modulate this gene's enzyme matter, so they make the memo key
        relevant = tuple(d for d in on if any(m.enzyme == gene for m in d.modulates))
        key = (gene, relevant)
        if key not in self._memo:
            self._memo[key] = _express(self.kb, self.genes[gene], self.ids[gene], relevant)
        return self._memo[key]


def _modulators(enzyme: str, on: tuple[OnDrug, ...]) -> list[tuple[OnDrug, Modulator]]:
    return [(drug, m) for drug in on for m in drug.modulates if m.enzyme == enzyme]


def _express(kb: KnowledgeBase, g: GenePhenotype, phenotype_id: str, on: tuple[OnDrug, ...]) -> ExpressedPhenotype:
    term = {pid: p.term for pid, p in kb.phenotype_by_id.items()}
    gene = kb.gene_by_id[g.gene]
    present = _modulators(g.gene, on)
    rules = {(r.effect, r.strength): r for r in kb.pgx_guidance.phenoconversion if r.gene == g.gene}
    named = tuple(f"{d.name} ({m.strength} {m.enzyme} {m.effect})" for d, m in present)
    facts = tuple(Fact(d.path, d.name) for d, _ in present)
    cited = tuple(dict.fromkeys(c for _, m in present for c in m.sources))
    if not present or phenotype_id == "indeterminate":
        return ExpressedPhenotype(
            g.gene, g.phenotype or "", g.phenotype, g.activity_score, named, (), Basis(RULE_EXPRESSED)
        )
    # the strongest modulator decides; an inhibitor and an inducer together are not combined
    effects = {m.effect for _, m in present}
    if len(effects) > 1:
        return ExpressedPhenotype(
            g.gene,
            g.phenotype or "",
            None,
            None,
            named,
            (f"both an inhibitor and an inducer of {g.gene}: the net effect is not computed",),
            Basis(RULE_EXPRESSED, facts, cited, ("a measured drug level or clinical judgement",)),
        )
    drug, strongest = max(present, key=lambda pair: STRENGTH[pair[1].strength])
    rule = rules.get((strongest.effect, strongest.strength))
    if rule is None:
        return ExpressedPhenotype(
            g.gene,
            g.phenotype or "",
            g.phenotype,
            g.activity_score,
            named,
            (
                f"{drug.name} is a {strongest.strength} {g.gene} {strongest.effect}; trdnav has no cited rule for "
                f"how it changes the phenotype, so the genotype's phenotype is shown",
            ),
            Basis(
                RULE_EXPRESSED,
                facts,
                cited,
                (f"a cited phenoconversion rule for {strongest.strength} {strongest.effect}s",),
            ),
        )
    cited = tuple(dict.fromkeys((*cited, *rule.sources)))
    if rule.to_phenotype is not None:
        expressed = rule.to_phenotype
        why = f"{drug.name} is a {strongest.strength} {g.gene} {strongest.effect}: expressed as {term[expressed]}"
        return ExpressedPhenotype(
            g.gene, g.phenotype or "", term[expressed], None, named, (why,), Basis(RULE_EXPRESSED, facts, cited)
        )
    multiplier = rule.activity_multiplier or 0.0
    if g.activity_score is None and multiplier != 0:
        return ExpressedPhenotype(
            g.gene,
            g.phenotype or "",
            None,
            None,
            named,
            (f"{drug.name} lowers the activity score by a factor {multiplier:g}, but no activity score is known",),
            Basis(RULE_EXPRESSED, facts, cited, (f"the {g.gene} activity score or diplotype",)),
        )
    score = (g.activity_score or 0.0) * multiplier
    scored = score_phenotype(gene, score)
    why = (
        f"{drug.name} is a {strongest.strength} {g.gene} {strongest.effect}: activity score "
        f"{'?' if g.activity_score is None else f'{g.activity_score:g}'} x {multiplier:g} = {score:g}, "
        f"{term[scored] if scored else 'unbinned'}"
    )
    return ExpressedPhenotype(
        g.gene,
        g.phenotype or "",
        term[scored] if scored else None,
        score,
        named,
        (why,),
        Basis(RULE_EXPRESSED, facts, cited),
    )


def _lookup(
    kb: KnowledgeBase, entry: DrugGuidance, phenotypes: Phenotypes, on: tuple[OnDrug, ...], *, expressed: bool
) -> Guidance | None:
    """The entry's row for this patient's phenotypes from the genotype (or, with `expressed`,
    as changed by co-medications); None when none of its genes was tested, the label names
    none of the patient's phenotypes, or (with `expressed`) nothing changed."""
    term = kb.phenotype_by_id
    keys: list[str] = []
    scores: dict[str, float | None] = {}
    shown: list[str] = []
    facts: list[Fact] = []
    converted: list[ExpressedPhenotype] = []
    for gene in entry.genes:
        if gene not in phenotypes.ids:
            keys.append(NO_RESULT)
            shown.append(f"{gene} not tested")
            continue
        pid = phenotypes.ids[gene]
        label = f"{gene} {term[pid].term}"
        scores[gene] = phenotypes.genes[gene].activity_score
        x = phenotypes.expressed(gene, on)
        if expressed and x.modulators and x.expressed and x.expressed != x.genotype_phenotype:
            pid = kb.phenotype_id_by_term[x.expressed]
            label = f"{gene} {x.expressed} (as expressed; genotype {x.genotype_phenotype})"
            scores[gene] = x.activity_score
            converted.append(x)
        keys.append(pid)
        shown.append(label)
        facts.append(Fact(f"pharmacogenetics.{gene}", label))
    if all(k == NO_RESULT for k in keys) or (expressed and not converted):
        return None
    rows = list(kb.guidance_rows[id(entry)].get(tuple(keys), ()))
    # a row for part of a phenotype's score range needs the score; without it every part stays
    rows = [
        r
        for r in rows
        if all(scores.get(g) is None or lo <= (scores[g] or 0.0) <= hi for g, (lo, hi) in r.scores.items())
    ]
    if not rows:
        return None
    row = max(rows, key=lambda r: SEVERITY[r.category])
    missing: tuple[str, ...] = ()
    classification: str | None = row.classification
    if len(rows) > 1:
        classes = dict.fromkeys(r.classification or "" for r in rows)
        classification = " or ".join(c for c in classes if c)
        missing = tuple(
            f"the {g} activity score (the guideline's classification depends on it)" for g in rows[0].scores
        )
    implication = row.implication or "; ".join(
        f"{g}: {entry.implications[g][k]}"
        for g, k in zip(entry.genes, keys, strict=True)
        if k in entry.implications.get(g, {})
    )
    risks = dict.fromkeys(
        (
            *row.risks,
            *(r for g, k in zip(entry.genes, keys, strict=True) for r in entry.risks.get(g, {}).get(k, ())),
        )
    )
    guideline = kb.guideline_by_id[entry.guideline]
    sources = [*row.sources, *(c for x in converted for c in x.basis.sources)]
    return Guidance(
        guideline=f"{guideline.name} ({guideline.version})",
        kind=guideline.kind,
        lookup=tuple(shown),
        as_expressed=bool(converted),
        category=row.category,
        classification=classification,
        implication=implication or None,
        risks=tuple(risks),
        recommendation=row.recommendation,
        basis=Basis(RULE_GUIDANCE, tuple(facts), tuple(dict.fromkeys(sources)), missing),
    )


def advise(kb: KnowledgeBase, drug_id: str, phenotypes: Phenotypes, on: tuple[OnDrug, ...], status: str) -> DrugAdvice:
    """One drug's row: every source's guidance for the genotype's phenotypes, and for the
    phenotypes as expressed where a source applies to them; the group is the most cautious."""
    drug = kb.drug_by_id[drug_id]
    others = tuple(d for d in on if d.drug_id != drug_id)
    found: list[Guidance] = []
    for entry in kb.guidance_by_drug.get(drug_id, ()):
        found += [g for g in (_lookup(kb, entry, phenotypes, others, expressed=False),) if g]
        if kb.guideline_by_id[entry.guideline].applies_to_expressed:
            found += [g for g in (_lookup(kb, entry, phenotypes, others, expressed=True),) if g]
    converted = any(g.as_expressed for g in found)
    if found:
        worst = max(found, key=lambda g: SEVERITY[g.category])
        reason = "; ".join(
            f"{g.guideline}: {g.recommendation if g.category == 'no_guidance' else g.category.replace('_', ' ')} "
            f"({', '.join(g.lookup)})"
            for g in found
        )
        return DrugAdvice(drug_id, drug.name, status, worst.category, reason, tuple(found), converted)  # type: ignore[arg-type]
    statement = kb.no_guidance_by_drug.get(drug_id)
    if statement is not None:
        reason = statement.reason
        basis = Basis(RULE_NO_GUIDANCE, (), statement.sources)
    elif drug_id in kb.guidance_by_drug:
        entries = kb.guidance_by_drug[drug_id]
        genes = sorted({g for e in entries for g in e.genes})
        untested = [g for g in genes if g not in phenotypes.ids]
        if untested:
            reason = f"guidance depends on {', '.join(untested)}, which the record does not give"
            basis = Basis(RULE_NO_GUIDANCE, (), (), tuple(f"a {g} result" for g in untested))
        else:
            # a label that names only some phenotypes (e.g. poor metabolizers) says nothing of this one
            term = {pid: p.term for pid, p in kb.phenotype_by_id.items()}
            named = "; ".join(
                f"{kb.guideline_by_id[e.guideline].name} names only "
                + ", ".join(
                    f"{g} {' or '.join(term[p] for p in sorted({p for r in e.rows for p in r.when[g]}))}"
                    for g in e.genes
                )
                for e in entries
            )
            mine = ", ".join(f"{g} {term[phenotypes.ids[g]]}" for g in genes)
            reason = f"no pharmacogenomic dosing for {mine} ({named})"
            basis = Basis(RULE_NO_GUIDANCE, (), tuple(dict.fromkeys(c for e in entries for c in e.sources)))
    else:
        reason = "no CPIC recommendation or FDA-label pharmacogenomic dosing in trdnav's knowledge base"
        basis = Basis(RULE_NO_GUIDANCE)
    note = Guidance("none", "cpic", (), False, "no_guidance", None, None, (), reason, basis)
    return DrugAdvice(drug_id, drug.name, status, "no_guidance", reason, (note,), False)  # type: ignore[arg-type]


def _current(ctx: Context) -> tuple[OnDrug, ...]:
    kb = ctx.kb
    on = [on_drug(kb, m.medication.drug, m.drug_id, f"medications[{m.index}]") for m in ctx.record.medications]
    on += [on_drug(kb, t.drug.name, t.drug.id, t.path) for t in ctx.record.trials if t.ongoing]
    return tuple(sorted(set(on), key=lambda d: d.path))


def _during(ctx: Context, trial_index: int) -> tuple[OnDrug, ...]:
    """What the patient took beside a trial: overlapping trials, and co-medications whose
    start the record gives on or before the trial's end."""
    t = ctx.record.trials[trial_index]
    kb = ctx.kb
    on = [
        on_drug(kb, o.drug.name, o.drug.id, o.path)
        for o in ctx.record.trials
        if o.index != t.index and o.trial.start <= t.end and t.trial.start <= o.end
    ]
    on += [
        on_drug(kb, m.medication.drug, m.drug_id, f"medications[{m.index}]")
        for m in ctx.record.medications
        if m.medication.start is not None and m.medication.start <= t.end
    ]
    return tuple(sorted(set(on), key=lambda d: d.path))


def regimen(ctx: Context, found: tuple[GenePhenotype, ...], trials: tuple[TrialFinding, ...]) -> PgxRegimen | None:
    """The whole-regimen table for every catalog medication, the phenotypes as expressed, and
    the trials a genotype may explain. None when the record has no interpretable result."""
    if not any(g.status != "not_covered" for g in found):
        return None
    kb = ctx.kb
    phenotypes = Phenotypes(kb, found)
    current = _current(ctx)
    expressed = tuple(phenotypes.expressed(gene, current) for gene in phenotypes.ids)
    taking = {d.drug_id for d in current}
    tried = {t.drug_id for t in trials}
    rows = []
    for drug in kb.drugs.drugs:
        if drug.kind != "medication":
            continue
        status = "current" if drug.id in taking else "tried" if drug.id in tried else "not_taken"
        rows.append(advise(kb, drug.id, phenotypes, current, status))
    rows.sort(key=lambda r: (-SEVERITY[r.category] if r.category != "no_guidance" else 9, r.drug))
    flags = tuple(_flags(ctx, phenotypes, trials))
    return PgxRegimen(expressed, tuple(rows), flags)


def _flags(ctx: Context, phenotypes: Phenotypes, trials: tuple[TrialFinding, ...]) -> Iterable[GenotypeFlag]:
    """A trial is flagged when a source says the patient's phenotype (as expressed during the
    trial) puts at risk what went wrong: benefit for a non-response, tolerability for
    intolerance or recorded side effects."""
    by_id = {t.trial.id: t for t in ctx.record.trials}
    for finding in trials:
        if finding.drug_id not in ctx.kb.guidance_by_drug:
            continue
        nt = by_id[finding.trial_id]
        problems = []
        if finding.outcome.status in ("non_response", "partial_response"):
            problems.append("efficacy")
        if finding.outcome.status == "intolerance" or nt.trial.side_effects:
            problems.append("side_effects")
        if not problems:
            continue
        advice = advise(ctx.kb, finding.drug_id, phenotypes, _during(ctx, nt.index), "tried")
        hits = [
            g
            for g in advice.guidance
            if g.category in ("adjust_dose_or_monitor", "consider_alternative") and set(g.risks) & set(problems)
        ]
        if not hits:
            continue
        worst = max(hits, key=lambda g: SEVERITY[g.category])
        risk = next(r for r in problems if r in worst.risks)
        outcome = finding.outcome.status.replace("_", " ")
        recorded = f"; side effects recorded: {', '.join(nt.trial.side_effects)}" if nt.trial.side_effects else ""
        implication = f" {worst.guideline}: {worst.implication}" if worst.implication else ""
        why = (
            "the side effects (the guideline ties this phenotype to side effects)"
            if risk == "side_effects"
            else "the lack of benefit (possible pseudo-resistance: the guideline ties this phenotype to lower benefit)"
        )
        cause = "The phenotype as expressed (phenoconversion)" if worst.as_expressed else "The genotype"
        message = (
            f"{finding.treatment} ({outcome}{recorded}) in a patient who is {'; '.join(worst.lookup)}.{implication} "
            f"{cause} may explain {why}."
        )
        facts = (
            Fact(f"{nt.path}.treatment", finding.treatment),
            Fact(f"{nt.path}.outcome", outcome),
            *worst.basis.facts,
        )
        yield GenotypeFlag(
            finding.trial_id, finding.treatment, outcome, message, Basis(RULE_FLAG, facts, worst.basis.sources)
        )
