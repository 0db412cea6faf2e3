"""Load and validate the knowledge base.

The loader is the KB's gatekeeper: it validates every data file against its schema,
requires one ``kb_version`` across files, and refuses a citation whose source id is
not in ``sources.yaml``, a drug whose class is unknown, a name (generic, brand or
synonym) that maps to two treatments, and a profile reference that points nowhere.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from trdnav.knowledge.schema import (
    AdequacyFile,
    ClassesFile,
    DefinitionsFile,
    DrugsFile,
    OptionsFile,
    PgxFile,
    PgxGuidanceFile,
    PseudoFile,
    SafetyFile,
    ScalesFile,
    SourcesFile,
    StagingFile,
    TmsFile,
)

M = TypeVar("M", bound=BaseModel)
# a drug set resolved: (catalog drug ids, normalised names outside the catalog)
Group = tuple[frozenset[str], frozenset[str]]

FILES: dict[str, type[BaseModel]] = {
    "sources.yaml": SourcesFile,
    "classes.yaml": ClassesFile,
    "drugs.yaml": DrugsFile,
    "adequacy.yaml": AdequacyFile,
    "scales.yaml": ScalesFile,
    "definitions.yaml": DefinitionsFile,
    "staging.yaml": StagingFile,
    "pseudo_resistance.yaml": PseudoFile,
    "pgx.yaml": PgxFile,
    "pgx_guidance.yaml": PgxGuidanceFile,
    "safety.yaml": SafetyFile,
    "options.yaml": OptionsFile,
    "tms.yaml": TmsFile,
}


class KnowledgeError(ValueError):
    """The knowledge base is invalid; the message lists every problem found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("knowledge base invalid:\n  " + "\n  ".join(self.problems))


@functools.lru_cache(maxsize=4096)
def normalise_name(name: str) -> str:
    """Fold case, spaces, hyphens and trademark signs so 'Zoloft®' finds sertraline."""
    folded = name.casefold().replace("®", "").replace("™", "")
    return " ".join(folded.replace("-", " ").replace("_", " ").split())


@functools.lru_cache(maxsize=8192)  # the same few hundred citations, read for every assessment
def source_id(citation: str) -> str:
    return citation.split(maxsplit=1)[0] if citation.strip() else ""


@dataclass(frozen=True)
class KnowledgeBase:
    kb_version: str
    sources: SourcesFile
    classes: ClassesFile
    drugs: DrugsFile
    adequacy: AdequacyFile
    scales: ScalesFile
    definitions: DefinitionsFile
    staging: StagingFile
    pseudo: PseudoFile
    pgx: PgxFile
    pgx_guidance: PgxGuidanceFile
    safety: SafetyFile
    options: OptionsFile
    tms: TmsFile
    # derived indexes, built once at load time
    drug_by_id: Mapping[str, Any]
    drug_by_name: Mapping[str, str]
    class_by_id: Mapping[str, Any]
    scale_by_name: Mapping[str, Any]
    scale_by_id: Mapping[str, Any]
    convention_by_id: Mapping[str, Any]
    source_by_id: Mapping[str, Any]
    profile_by_id: Mapping[str, Any]
    condition_by_name: Mapping[str, Any]
    gene_by_id: Mapping[str, Any]
    phenotype_by_name: Mapping[str, Any]
    guideline_by_id: Mapping[str, Any]
    # drug id -> its guidance entries, in the file's order (CPIC first, then labels)
    guidance_by_drug: Mapping[str, tuple[Any, ...]]
    # normalised drug name -> the modulator entries for it (catalog drugs under every name)
    modulators_by_name: Mapping[str, tuple[Any, ...]]
    no_guidance_by_drug: Mapping[str, Any]
    phenotype_by_id: Mapping[str, Any]
    phenotype_id_by_term: Mapping[str, str]
    # per guidance table (by id()): the rows for each combination of the table's phenotype ids,
    # so a lookup is one dict read (built once; see _row_index)
    guidance_rows: Mapping[int, Mapping[tuple[str, ...], tuple[Any, ...]]]
    # safety set id -> (catalog drug ids, normalised names outside the catalog)
    safety_members: Mapping[str, Group]
    maoi_interval_by_drug: Mapping[str, Any]
    level_profile_by_id: Mapping[str, Any]
    # names outside the catalog that a rule reads (e.g. ibuprofen, quinidine), normalised
    other_drug_names: frozenset[str]
    # the catalog drugs a switch to or from an MAOI is checked for
    washout_checked: frozenset[str]
    # each interaction rule with its two sides resolved to (catalog ids, other names)
    interaction_groups: tuple[tuple[Any, Group, Group], ...]
    # condition and age rule id -> its drugs resolved to (catalog ids, other names)
    rule_drugs: Mapping[str, Group]
    # catalog id or normalised name outside the catalog -> positions in interaction_groups of
    # the rules that name it (the planner checks only the rules that can concern an option)
    interactions_by_member: Mapping[str, tuple[int, ...]]
    tms_protocol_by_id: Mapping[str, Any]
    tms_rule_by_id: Mapping[str, Any]
    tms_screen_by_id: Mapping[str, Any]

    def citations(self) -> Iterator[tuple[str, str]]:
        """Every (where, citation) pair in the KB, for checks and the coverage report."""
        for file_name, model in self._files():
            yield from _walk_citations(model, file_name)

    def _files(self) -> Iterator[tuple[str, BaseModel]]:
        for file_name in FILES:
            attr = file_name.removesuffix(".yaml")
            attr = {"pseudo_resistance": "pseudo"}.get(attr, attr)
            yield file_name, getattr(self, attr)


def _walk_citations(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            is_citations = name == "sources" or name.endswith("_sources")
            if is_citations and all(isinstance(c, str) for c in value):
                for citation in value:
                    yield f"{where}.{name}", citation
            else:
                yield from _walk_citations(value, f"{where}.{name}")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_citations(value, f"{where}.{key}")
    elif isinstance(node, tuple | list):
        for index, value in enumerate(node):
            label = getattr(value, "id", None) or index
            yield from _walk_citations(value, f"{where}[{label}]")


def default_data_dir() -> Path:
    # the data ship inside the package (see pyproject package-data); a plain path keeps
    # start-up free of importlib.resources
    return Path(__file__).with_name("data")


def _read(path: Path, model: type[M]) -> M:
    try:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise KnowledgeError([f"{path.name}: file missing"]) from None
    except yaml.YAMLError as exc:
        raise KnowledgeError([f"{path.name}: not valid YAML: {exc}"]) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeError(
            f"{path.name}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ) from None


def load_kb(data_dir: Path | None = None) -> KnowledgeBase:
    """Read, validate and index the knowledge base. Raises KnowledgeError."""
    base = data_dir or default_data_dir()
    parsed: dict[str, BaseModel] = {}
    file_problems: list[str] = []
    for name, model in FILES.items():
        try:
            parsed[name] = _read(base / name, model)
        except KnowledgeError as exc:
            file_problems.extend(exc.problems)
    if file_problems:
        raise KnowledgeError(file_problems)
    sources = parsed["sources.yaml"]
    classes = parsed["classes.yaml"]
    drugs = parsed["drugs.yaml"]
    adequacy = parsed["adequacy.yaml"]
    scales = parsed["scales.yaml"]
    definitions = parsed["definitions.yaml"]
    staging = parsed["staging.yaml"]
    pseudo = parsed["pseudo_resistance.yaml"]
    pgx = parsed["pgx.yaml"]
    pgx_guidance = parsed["pgx_guidance.yaml"]
    safety = parsed["safety.yaml"]
    options = parsed["options.yaml"]
    tms = parsed["tms.yaml"]
    assert isinstance(sources, SourcesFile)
    assert isinstance(classes, ClassesFile)
    assert isinstance(drugs, DrugsFile)
    assert isinstance(adequacy, AdequacyFile)
    assert isinstance(scales, ScalesFile)
    assert isinstance(definitions, DefinitionsFile)
    assert isinstance(staging, StagingFile)
    assert isinstance(pseudo, PseudoFile)
    assert isinstance(pgx, PgxFile)
    assert isinstance(pgx_guidance, PgxGuidanceFile)
    assert isinstance(safety, SafetyFile)
    assert isinstance(options, OptionsFile)
    assert isinstance(tms, TmsFile)

    problems: list[str] = []
    versions = {name: getattr(model, "kb_version", None) for name, model in parsed.items()}
    if len(set(versions.values())) != 1:
        problems.append(f"kb_version differs between files: {versions}")

    source_by_id = _index(sources.sources, "sources.yaml", problems)
    class_by_id = _index(classes.classes, "classes.yaml", problems)
    drug_by_id = _index(drugs.drugs, "drugs.yaml", problems)
    profile_by_id = _index(adequacy.profiles, "adequacy.yaml profiles", problems)
    _index(definitions.definitions, "definitions.yaml", problems)
    scale_by_id = _index(scales.scales, "scales.yaml", problems)
    _index(pseudo.checks, "pseudo_resistance.yaml checks", problems)

    drug_by_name: dict[str, str] = {}
    for drug in drugs.drugs:
        for cls in drug.classes:
            if cls not in class_by_id:
                problems.append(f"drugs.yaml: {drug.id}: unknown class {cls!r}")
        for profile_id in drug.adequate_dose:
            if profile_id not in profile_by_id:
                problems.append(f"drugs.yaml: {drug.id}: adequate_dose names unknown profile {profile_id!r}")
        for name in (drug.id, drug.name, *drug.brands, *drug.synonyms):
            key = normalise_name(name)
            owner = drug_by_name.setdefault(key, drug.id)
            if owner != drug.id:
                problems.append(f"drugs.yaml: name {name!r} maps to both {owner} and {drug.id}")

    if adequacy.default_profile not in profile_by_id:
        problems.append(f"adequacy.yaml: default_profile {adequacy.default_profile!r} is not a profile")
    for minimum in adequacy.course_minimums:
        if minimum.treatment not in drug_by_id:
            problems.append(f"adequacy.yaml: course minimum for unknown treatment {minimum.treatment!r}")
    referenced_profiles = [(f"definitions.yaml: {d.id}", d.adequacy_profile) for d in definitions.definitions]
    referenced_profiles += [
        ("staging.yaml: thase_rush", staging.thase_rush.adequacy_profile),
        ("staging.yaml: mgh_s", staging.mgh_s.adequacy_profile),
        ("staging.yaml: msm", staging.msm.adequacy_profile),
    ]
    for where, profile_id in referenced_profiles:
        if profile_id not in profile_by_id:
            problems.append(f"{where}: adequacy_profile {profile_id!r} is not a profile")

    scale_by_name: dict[str, Any] = {}
    for scale in scales.scales:
        problems.extend(_scale_problems(scale))
        _index_names(scale, (scale.id, scale.name, *scale.aliases), scale_by_name, "scales.yaml", problems)

    condition_by_name: dict[str, Any] = {}
    for term in pseudo.conditions:
        _index_names(term, (term.id, term.name, *term.synonyms), condition_by_name, "pseudo_resistance.yaml", problems)
    categories = {term.category for term in pseudo.conditions}
    for check in pseudo.checks:
        for category in check.condition_categories:
            if category not in categories:
                problems.append(f"pseudo_resistance.yaml: {check.id}: no condition has category {category!r}")

    gene_by_id = _index(pgx.genes, "pgx.yaml genes", problems)
    phenotype_ids = _index(pgx.phenotypes, "pgx.yaml phenotypes", problems)
    phenotype_by_name: dict[str, Any] = {}
    for phenotype in pgx.phenotypes:
        names = (phenotype.id, phenotype.term, *phenotype.synonyms)
        _index_names(phenotype, names, phenotype_by_name, "pgx.yaml", problems)
    for gene in pgx.genes:
        used = [*gene.phenotypes, *(b.phenotype for b in gene.activity_score_bins)]
        problems.extend(f"pgx.yaml: {gene.id}: unknown phenotype {p!r}" for p in used if p not in phenotype_ids)
        if gene.activity_score_bins and not gene.activity_score_sources:
            problems.append(f"pgx.yaml: {gene.id}: activity_score_bins need activity_score_sources")
        if gene.alleles and not gene.allele_sources:
            problems.append(f"pgx.yaml: {gene.id}: alleles need allele_sources")
        if gene.function_pairs and not gene.function_pair_sources:
            problems.append(f"pgx.yaml: {gene.id}: function_pairs need function_pair_sources")
        problems.extend(
            f"pgx.yaml: {gene.id}: unknown phenotype {pair.phenotype!r}"
            for pair in gene.function_pairs
            if pair.phenotype not in phenotype_ids
        )

    guideline_by_id = _index(pgx_guidance.guidelines, "pgx_guidance.yaml guidelines", problems)
    guidance_by_drug: dict[str, tuple[Any, ...]] = {}
    for entry in pgx_guidance.drug_guidance:
        where = f"pgx_guidance.yaml: {'/'.join(entry.drugs)} ({entry.guideline})"
        problems.extend(f"{where}: unknown drug {d!r}" for d in entry.drugs if d not in drug_by_id)
        if entry.guideline not in guideline_by_id:
            problems.append(f"{where}: unknown guideline")
        problems.extend(_guidance_problems(entry, gene_by_id, where))
        for drug_id in entry.drugs:
            guidance_by_drug[drug_id] = (*guidance_by_drug.get(drug_id, ()), entry)
    modulators_by_name: dict[str, tuple[Any, ...]] = {}
    for modulator in pgx_guidance.modulators:
        known = drug_by_id.get(modulator.drug)
        names = (known.id, known.name, *known.brands, *known.synonyms) if known else (modulator.drug,)
        for name in dict.fromkeys(normalise_name(n) for n in names):
            modulators_by_name[name] = (*modulators_by_name.get(name, ()), modulator)
    for rule in pgx_guidance.phenoconversion:
        where = f"pgx_guidance.yaml: phenoconversion {rule.gene} {rule.strength} {rule.effect}"
        target = gene_by_id.get(rule.gene)
        if target is None:
            problems.append(f"{where}: unknown gene")
        elif (rule.activity_multiplier is None) == (rule.to_phenotype is None):
            problems.append(f"{where}: give exactly one of activity_multiplier or to_phenotype")
        elif rule.activity_multiplier is not None and not target.activity_score_bins:
            problems.append(f"{where}: activity_multiplier needs a gene scored by activity")
        elif rule.to_phenotype is not None and rule.to_phenotype not in target.phenotypes:
            problems.append(f"{where}: unknown phenotype {rule.to_phenotype!r}")
    no_guidance_by_drug = {n.drug: n for n in pgx_guidance.no_guidance}
    for drug_id in no_guidance_by_drug:
        if drug_id not in drug_by_id:
            problems.append(f"pgx_guidance.yaml: no_guidance for unknown drug {drug_id!r}")
        if drug_id in guidance_by_drug:
            problems.append(f"pgx_guidance.yaml: {drug_id} has guidance and a no_guidance entry")

    _index(options.options, "options.yaml", problems)
    strategies = {o.strategy for o in options.options}
    for m in options.strategy_monitoring:
        if m.strategy not in strategies:
            problems.append(f"options.yaml: strategy_monitoring for unknown strategy {m.strategy!r}")
        problems.extend(
            f"options.yaml: strategy_monitoring: unknown class {c!r}" for c in m.classes if c not in class_by_id
        )
    problems.extend(
        f"options.yaml: {o.id}: unknown treatment {o.drug!r}"
        for o in options.options
        if o.drug and o.drug not in drug_by_id
    )
    safety_members, maoi_interval_by_drug, level_profile_by_id = _safety_index(
        safety, drug_by_id, class_by_id, {t.category for t in pseudo.conditions}, problems
    )

    tms_protocols, tms_rules, tms_screen = _tms_index(tms, safety_members, problems)
    interaction_groups = tuple(
        (rule, resolve_refs(safety_members, rule.first), resolve_refs(safety_members, rule.second))
        for rule in safety.interactions
    )
    by_member: dict[str, list[int]] = {}
    for n, (_, first, second) in enumerate(interaction_groups):
        for member in first[0] | first[1] | second[0] | second[1]:
            by_member.setdefault(member, []).append(n)

    kb = KnowledgeBase(
        kb_version=sources.kb_version,
        sources=sources,
        classes=classes,
        drugs=drugs,
        adequacy=adequacy,
        scales=scales,
        definitions=definitions,
        staging=staging,
        pseudo=pseudo,
        pgx=pgx,
        pgx_guidance=pgx_guidance,
        safety=safety,
        options=options,
        tms=tms,
        drug_by_id=drug_by_id,
        drug_by_name=drug_by_name,
        class_by_id=class_by_id,
        scale_by_name=scale_by_name,
        scale_by_id=scale_by_id,
        convention_by_id=_index(adequacy.conventions, "adequacy.yaml conventions", problems),
        source_by_id=source_by_id,
        profile_by_id=profile_by_id,
        condition_by_name=condition_by_name,
        gene_by_id=gene_by_id,
        phenotype_by_name=phenotype_by_name,
        guideline_by_id=guideline_by_id,
        guidance_by_drug=guidance_by_drug,
        modulators_by_name=modulators_by_name,
        no_guidance_by_drug=no_guidance_by_drug,
        phenotype_by_id=phenotype_ids,
        phenotype_id_by_term={p.term: p.id for p in pgx.phenotypes},
        guidance_rows={id(e): _row_index(e) for e in pgx_guidance.drug_guidance},
        safety_members=safety_members,
        maoi_interval_by_drug=maoi_interval_by_drug,
        level_profile_by_id=level_profile_by_id,
        washout_checked=frozenset(
            {d for ref in safety.washout_drugs for d in safety_members.get(ref, (frozenset({ref}), frozenset()))[0]}
            | set(maoi_interval_by_drug)
        ),
        interaction_groups=interaction_groups,
        rule_drugs={
            **{r.id: resolve_refs(safety_members, r.drugs) for r in safety.condition_rules},
            **{r.id: resolve_refs(safety_members, r.drugs) for r in safety.age_rules},
        },
        interactions_by_member={m: tuple(ns) for m, ns in by_member.items()},
        tms_protocol_by_id=tms_protocols,
        tms_rule_by_id=tms_rules,
        tms_screen_by_id=tms_screen,
        other_drug_names=frozenset((*modulators_by_name, *(n for _, names in safety_members.values() for n in names))),
    )
    for where, citation in kb.citations():
        if source_id(citation) not in source_by_id:
            problems.append(f"{where}: cites unknown source {source_id(citation)!r}")
    if problems:
        raise KnowledgeError(problems)
    return kb


def _tms_index(
    tms: TmsFile, safety_members: Mapping[str, Any], problems: list[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Index tms.yaml and check that its numbers agree with each other: a block's stated
    pulses equal its trains' pulses, references resolve."""
    protocols = _index(tms.protocols, "tms.yaml protocols", problems)
    rules = _index(tms.course_rules, "tms.yaml course_rules", problems)
    screen = _index(tms.screen, "tms.yaml screen", problems)
    for p in tms.protocols:
        if p.course_rule is not None and p.course_rule not in rules:
            problems.append(f"tms.yaml: {p.id}: unknown course_rule {p.course_rule!r}")
        named = " ".join(p.unconfirmed)
        if any(b.intensity_pct_mt is None for b in p.blocks) and "intensity" not in named:
            problems.append(f"tms.yaml: {p.id}: a block has no intensity, and unconfirmed does not say so")
        for n, block in enumerate(p.blocks):
            derived = block.total_pulses()
            if block.pulses is not None and derived != block.pulses:
                problems.append(f"tms.yaml: {p.id} block {n}: {block.pulses} pulses stated, {derived} from its trains")
    if tms.dose.default_mt_policy not in {m.id for m in tms.dose.mt_policies}:
        problems.append(f"tms.yaml: default_mt_policy {tms.dose.default_mt_policy!r} is not a policy")
    if tms.seizure_risk_set is not None and tms.seizure_risk_set not in safety_members:
        problems.append(f"tms.yaml: seizure_risk_set {tms.seizure_risk_set!r} is not a safety set")
    return protocols, rules, screen


NO_RESULT = "no_result"


def _guidance_problems(entry: Any, gene_by_id: Mapping[str, Any], where: str) -> list[str]:
    """Rows must use the entry's genes and known phenotypes; a CPIC table must give every
    phenotype combination exactly one row (a gene "no_result" only beside a tested gene)."""
    problems = []
    if any(g not in gene_by_id for g in entry.genes):
        return [f"{where}: unknown gene in {entry.genes}"]
    genes = [gene_by_id[g] for g in entry.genes]
    for table in ("implications", "risks"):
        for gene_id, by_phenotype in getattr(entry, table).items():
            if gene_id not in entry.genes:
                problems.append(f"{where}: {table} for {gene_id}, not one of the table's genes")
                continue
            problems.extend(
                f"{where}: {table}: {gene_id} phenotype {p!r} unknown"
                for p in by_phenotype
                if p not in gene_by_id[gene_id].phenotypes
            )
    for i, row in enumerate(entry.rows):
        if set(row.when) != set(entry.genes):
            problems.append(f"{where}: row {i} names genes {sorted(row.when)}, expected {sorted(entry.genes)}")
            continue
        problems.extend(
            f"{where}: row {i}: scores for {g}, which is not scored by activity"
            for g in row.scores
            if g not in row.when or not gene_by_id[g].activity_score_bins
        )
        for gene in genes:
            allowed = set(gene.phenotypes) | ({NO_RESULT} if len(genes) > 1 else set())
            problems.extend(
                f"{where}: row {i}: {gene.id} phenotype {p!r} unknown" for p in row.when[gene.id] if p not in allowed
            )
    if problems or entry.coverage != "exhaustive":
        return problems
    domains = [(*g.phenotypes, *((NO_RESULT,) if len(genes) > 1 else ())) for g in genes]
    for combination in itertools.product(*domains):
        if all(p == NO_RESULT for p in combination):
            continue
        hits = [
            i
            for i, row in enumerate(entry.rows)
            if all(p in row.when[g] for g, p in zip(entry.genes, combination, strict=True))
        ]
        if len(hits) > 1 and _split_by_score([entry.rows[i] for i in hits]):
            continue
        if len(hits) != 1:
            label = " x ".join(f"{g} {p}" for g, p in zip(entry.genes, combination, strict=True))
            problems.append(f"{where}: {label} matches {len(hits)} rows {hits}, expected exactly one")
    return problems


def resolve_refs(members: Mapping[str, Group], refs: Iterable[str]) -> Group:
    """A rule's drug references (set ids or catalog ids) as (catalog ids, other names)."""
    ids: set[str] = set()
    names: set[str] = set()
    for ref in refs:
        if ref in members:
            ids |= members[ref][0]
            names |= members[ref][1]
        else:
            ids.add(ref)
    return frozenset(ids), frozenset(names)


def _safety_index(
    safety: Any,
    drug_by_id: Mapping[str, Any],
    class_by_id: Mapping[str, Any],
    categories: set[str],
    problems: list[str],
) -> tuple[dict[str, tuple[frozenset[str], frozenset[str]]], dict[str, Any], dict[str, Any]]:
    """Resolve each drug set to catalog ids (its drugs and the members of its classes) and
    names outside the catalog; check every reference in safety.yaml."""
    where = "safety.yaml"
    members: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for item in safety.sets:
        unknown = [c for c in item.classes if c not in class_by_id] + [d for d in item.drugs if d not in drug_by_id]
        problems.extend(f"{where}: set {item.id}: unknown class or drug {u!r}" for u in unknown)
        ids = {d for d in item.drugs} | {d.id for d in drug_by_id.values() if set(d.classes) & set(item.classes)}
        if item.id in members:
            problems.append(f"{where}: duplicate set id {item.id!r}")
        members[item.id] = (frozenset(ids), frozenset(normalise_name(n) for n in item.names))

    def check_refs(owner: str, refs: Iterable[str]) -> None:
        for ref in refs:
            if ref not in members and ref not in drug_by_id:
                problems.append(f"{where}: {owner}: {ref!r} is neither a set nor a catalog drug")

    seen: set[str] = set()
    for rule in (*safety.interactions, *safety.dose_limits, *safety.condition_rules, *safety.age_rules):
        if rule.id in seen:
            problems.append(f"{where}: duplicate rule id {rule.id!r}")
        seen.add(rule.id)
    for interaction in safety.interactions:
        check_refs(interaction.id, (*interaction.first, *interaction.second))
    for rule in safety.condition_rules:
        check_refs(rule.id, rule.drugs)
        problems.extend(
            f"{where}: {rule.id}: no condition has category {c!r}"
            for c in rule.condition_categories
            if c not in categories
        )
    for rule in safety.age_rules:
        check_refs(rule.id, rule.drugs)
    for limit in safety.dose_limits:
        check_refs(limit.id, (limit.drug,))
        for condition in limit.when:
            if condition.condition_category and condition.condition_category not in categories:
                problems.append(f"{where}: {limit.id}: no condition has category {condition.condition_category!r}")
    if safety.maoi_set not in members:
        problems.append(f"{where}: maoi_set {safety.maoi_set!r} is not a set")
    check_refs("washout_drugs", safety.washout_drugs)
    if not safety.maoi_minimum_sources:
        problems.append(f"{where}: maoi_minimum_days needs maoi_minimum_sources")
    intervals = {}
    for interval in safety.maoi_intervals:
        check_refs(f"maoi_intervals {interval.drug}", (interval.drug,))
        intervals[interval.drug] = interval
    profiles = {}
    for profile in safety.level_profiles:
        check_refs(profile.id, (profile.drug,))
        profiles[profile.id] = profile
    for drug, profile_id in safety.default_level_profile.items():
        if profile_id not in profiles:
            problems.append(f"{where}: default_level_profile for {drug}: unknown profile {profile_id!r}")
    return members, intervals, profiles


def _row_index(entry: Any) -> dict[tuple[str, ...], tuple[Any, ...]]:
    index: dict[tuple[str, ...], tuple[Any, ...]] = {}
    for row in entry.rows:
        for key in itertools.product(*(row.when.get(g, ()) for g in entry.genes)):
            index[key] = (*index.get(key, ()), row)
    return index


def _split_by_score(rows: list[Any]) -> bool:
    """Rows that share a phenotype combination are allowed when each covers its own,
    non-overlapping activity-score range of one gene."""
    genes = {g for row in rows for g in row.scores}
    if len(genes) != 1 or not all(row.scores for row in rows):
        return False
    (gene,) = genes
    ranges = sorted(row.scores[gene] for row in rows)
    return all(a[1] < b[0] for a, b in itertools.pairwise(ranges))


def _index_names(item: Any, names: Iterable[str], index: dict[str, Any], where: str, problems: list[str]) -> None:
    for name in names:
        key = normalise_name(name)
        owner = index.setdefault(key, item)
        if owner is not item:
            problems.append(f"{where}: name {name!r} maps to both {owner.id} and {item.id}")


def _index(items: Iterable[Any], where: str, problems: list[str]) -> dict[str, Any]:
    index: dict[str, Any] = {}
    for item in items:
        if item.id in index:
            problems.append(f"{where}: duplicate id {item.id!r}")
        index[item.id] = item
    return index


def _scale_problems(scale: Any) -> list[str]:
    where = f"scales.yaml: {scale.id}"
    problems = []
    if scale.item_maxima is not None and len(scale.item_maxima) != scale.items:
        problems.append(f"{where}: item_maxima has {len(scale.item_maxima)} entries for {scale.items} items")
    if scale.domains is not None:
        covered = sorted(i for d in scale.domains for i in d.items)
        if covered != list(range(1, scale.items + 1)):
            problems.append(f"{where}: domains must cover items 1..{scale.items} exactly once")
    if (scale.loinc_total or scale.loinc_panel) and not scale.loinc_sources:
        problems.append(f"{where}: LOINC codes need loinc_sources")
    if scale.safety_item is not None and not scale.safety_item_sources:
        problems.append(f"{where}: safety_item needs safety_item_sources")
    if scale.default_band_set not in {b.id for b in scale.band_sets}:
        problems.append(f"{where}: default_band_set {scale.default_band_set!r} is not a band set")
    if scale.default_remission and scale.default_remission not in {r.id for r in scale.remission}:
        problems.append(f"{where}: default_remission {scale.default_remission!r} is not defined")
    for band_set in scale.band_sets:
        problems.extend(_band_problems(band_set.bands, scale.total_min, scale.total_max, f"{where} {band_set.id}"))
    return problems


def _band_problems(bands: Iterable[Any], low: float, high: float, where: str) -> list[str]:
    """Bands must tile [low, high] in order with no gap or overlap (integer scores)."""
    problems = []
    expected = low
    for band in bands:
        if band.min != expected:
            problems.append(f"{where}: band {band.label!r} starts at {band.min}, expected {expected}")
        expected = band.max + 1
    if expected - 1 != high:
        problems.append(f"{where}: bands end at {expected - 1}, expected {high}")
    return problems
