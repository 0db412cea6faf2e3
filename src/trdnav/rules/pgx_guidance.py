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
        self._no_guidance: dict[str, Guidance] = {}

    def expressed(self, gene: str, on: tuple[OnDrug, ...]) -> ExpressedPhenotype:
        # only the drugs that modulate this gene's enzyme matter, so they make the memo key
        relevant = tuple(d for d in on if d.modulates and any(m.enzyme == gene for m in d.modulates))
        key = (gene, relevant)
        if key not in self._memo:
            self._memo[key] = _express(self.kb, self.genes[gene], self.ids[gene], relevant)
        return self._memo[key]

    def no_guidance(self, drug_id: str) -> Guidance:
        """The "no guidance" row for a drug with these phenotypes (the trial flags ask again)."""
        if drug_id not in self._no_guidance:
            self._no_guidance[drug_id] = _no_guidance(self.kb, drug_id, self)
        return self._no_guidance[drug_id]


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
            None,
            None,
            named,
            (
                f"{drug.name} is a {strongest.strength} {g.gene} {strongest.effect}: the phenotype as expressed may "
                "differ from the genotype's, but trdnav has no cited rule to compute it",
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


def _label_maximum(kb: KnowledgeBase, drug_id: str) -> tuple[str, tuple[str, ...]] | None:
    drug = kb.drug_by_id[drug_id]
    if drug.label_max is None:
        return None
    return f"label maximum {drug.label_max.value:g} {drug.dose_unit}", tuple(drug.label_max.sources)


def _lookup(
    kb: KnowledgeBase,
    entry: DrugGuidance,
    drug_id: str,
    phenotypes: Phenotypes,
    on: tuple[OnDrug, ...],
    *,
    expressed: bool,
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
    notes = [row.note] if row.note else []
    if converted:
        notes.append(
            f"the {guideline.name}'s table read with the phenotype as expressed; its classification is for a "
            "genotype-predicted phenotype"
        )
    if row.raises_dose:
        limit = _label_maximum(kb, drug_id)
        if limit is not None:
            notes.append(limit[0])
            sources.extend(limit[1])
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
        notes=tuple(notes),
        basis=Basis(RULE_GUIDANCE, tuple(facts), tuple(dict.fromkeys(sources)), missing),
    )


def label_comedication_rules(kb: KnowledgeBase, entry: DrugGuidance, others: tuple[OnDrug, ...]) -> list[Guidance]:
    """A label's rules for the co-medications taken; where the patient takes a modulator of
    the label's gene but the knowledge base holds no rule for it, say so rather than be silent."""
    guideline = kb.guideline_by_id[entry.guideline]
    found = []
    for gene in entry.genes:
        present = [(d, m) for d in others for m in d.modulates if m.enzyme == gene]
        if not present:
            continue
        matched = False
        for rule in entry.with_modulators:
            hits = [
                (d, m)
                for d, m in present
                if m.effect == rule.effect
                and rule.enzyme == gene
                and (not rule.strengths or m.strength in rule.strengths)
            ]
            if not hits:
                continue
            matched = True
            shown = tuple(f"taking {d.name} ({m.strength} {m.enzyme} {m.effect})" for d, m in hits)
            cited = (*rule.sources, *(c for _, m in hits for c in m.sources))
            found.append(
                Guidance(
                    guideline=f"{guideline.name} ({guideline.version})",
                    kind=guideline.kind,
                    lookup=shown,
                    as_expressed=False,
                    category=rule.category,
                    classification=None,
                    implication=None,
                    risks=(),
                    recommendation=rule.recommendation,
                    notes=(rule.note,) if rule.note else (),
                    basis=Basis(
                        RULE_GUIDANCE, tuple(Fact(d.path, d.name) for d, _ in hits), tuple(dict.fromkeys(cited))
                    ),
                )
            )
        if not matched and guideline.kind == "fda_label":
            shown = tuple(f"taking {d.name} ({m.strength} {m.enzyme} {m.effect})" for d, m in present)
            found.append(
                Guidance(
                    guideline=f"{guideline.name} ({guideline.version})",
                    kind=guideline.kind,
                    lookup=shown,
                    as_expressed=False,
                    category="no_guidance",
                    classification=None,
                    implication=None,
                    risks=(),
                    recommendation=(
                        f"The label's dosing with {gene} {present[0][1].effect}s is not in trdnav's knowledge base: "
                        "check the label before combining"
                    ),
                    notes=(),
                    basis=Basis(
                        RULE_NO_GUIDANCE,
                        tuple(Fact(d.path, d.name) for d, _ in present),
                        tuple(dict.fromkeys(entry.sources)),
                        (f"the label's rule for {gene} {present[0][1].effect}s",),
                    ),
                )
            )
    return found


def advise(kb: KnowledgeBase, drug_id: str, phenotypes: Phenotypes, on: tuple[OnDrug, ...], status: str) -> DrugAdvice:
    """One drug's row. Its group is the most cautious guidance for the genotype's phenotypes;
    guidance that holds only while the current co-medications are taken (the phenotype as
    expressed, a label's co-medication rule) is shown beside it with its own group."""
    drug = kb.drug_by_id[drug_id]
    others = tuple(d for d in on if d.drug_id != drug_id)
    by_genotype: list[Guidance] = []
    with_meds: list[Guidance] = []
    for entry in kb.guidance_by_drug.get(drug_id, ()):
        found = _lookup(kb, entry, drug_id, phenotypes, others, expressed=False)
        by_genotype += [found] if found else []
        if kb.guideline_by_id[entry.guideline].applies_to_expressed:
            found = _lookup(kb, entry, drug_id, phenotypes, others, expressed=True)
            with_meds += [found] if found else []
        with_meds += label_comedication_rules(kb, entry, others)
    modulates = tuple(
        f"{m.strength} {m.enzyme} {m.effect}" for m in kb.modulators_by_name.get(normalise_name(drug.id), ())
    )
    if not by_genotype:
        by_genotype = [phenotypes.no_guidance(drug_id)]
    category = max(by_genotype, key=lambda g: SEVERITY[g.category]).category
    worst_with_meds = max(with_meds, key=lambda g: SEVERITY[g.category], default=None)
    with_current = (
        worst_with_meds.category
        if worst_with_meds is not None and SEVERITY[worst_with_meds.category] > SEVERITY[category]
        else None
    )
    reason = "; ".join(
        (g.recommendation if g.guideline == "none" else f"{g.guideline}: ")
        + ("" if g.guideline == "none" else g.recommendation if g.category == "no_guidance" else _group(g.category))
        + (f" ({', '.join(g.lookup)})" if g.lookup else "")
        for g in (*by_genotype, *with_meds)
    )
    return DrugAdvice(
        drug_id,
        drug.name,
        status,  # type: ignore[arg-type]
        category,
        with_current,
        reason,
        (*by_genotype, *with_meds),
        any(g.as_expressed for g in with_meds),
        modulates,
    )


def _group(category: str) -> str:
    return category.replace("_", " ")


def _no_guidance(kb: KnowledgeBase, drug_id: str, phenotypes: Phenotypes) -> Guidance:
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
            # the label rows trdnav holds name other phenotypes (e.g. only poor metabolizers)
            term = {pid: p.term for pid, p in kb.phenotype_by_id.items()}
            held = "; ".join(
                f"{kb.guideline_by_id[e.guideline].name}: "
                + ", ".join(
                    f"{g} {' or '.join(term[p] for p in sorted({p for r in e.rows for p in r.when[g]}))}"
                    for g in e.genes
                )
                for e in entries
            )
            mine = ", ".join(f"{g} {term[phenotypes.ids[g]]}" for g in genes)
            reason = f"no pharmacogenomic dosing for {mine} (trdnav holds dosing rows for {held})"
            basis = Basis(RULE_NO_GUIDANCE, (), tuple(dict.fromkeys(c for e in entries for c in e.sources)))
    else:
        reason = "no CPIC recommendation or FDA-label pharmacogenomic dosing in trdnav's knowledge base"
        basis = Basis(RULE_NO_GUIDANCE)
    return Guidance("none", "cpic", (), False, "no_guidance", None, None, (), reason, (), basis)


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
    rows.sort(key=lambda r: (_sort_group(r), r.drug))
    flags = tuple(_flags(ctx, phenotypes, trials))
    return PgxRegimen(expressed, tuple(rows), flags)


def effective(advice: DrugAdvice) -> GuidanceCategory:
    """The group that holds now: the more cautious of the genotype's and the current medications'."""
    return advice.with_current_medications or advice.category


def _sort_group(advice: DrugAdvice) -> int:
    group = effective(advice)
    return 9 if group == "no_guidance" else -SEVERITY[group]


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
            "The guideline ties this phenotype to side effects: this may explain the ones recorded."
            if risk == "side_effects"
            else "The guideline ties this phenotype to lower exposure or benefit: this may explain the lack of "
            "benefit (possible pseudo-resistance). The trial's adequacy and its count above are unchanged."
        )
        during = " (the phenotype as expressed during the trial: phenoconversion)" if worst.as_expressed else ""
        message = (
            f"{finding.treatment} ({outcome}{recorded}) in a patient who is {'; '.join(worst.lookup)}{during}."
            f"{implication} {why}"
        )
        facts = (
            Fact(f"{nt.path}.treatment", finding.treatment),
            Fact(f"{nt.path}.outcome", outcome),
            *worst.basis.facts,
        )
        yield GenotypeFlag(
            finding.trial_id, finding.treatment, outcome, message, Basis(RULE_FLAG, facts, worst.basis.sources)
        )
