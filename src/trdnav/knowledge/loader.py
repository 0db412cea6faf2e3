"""Load and validate the knowledge base.

The loader is the KB's gatekeeper: it validates every data file against its schema,
requires one ``kb_version`` across files, and refuses a citation whose source id is
not in ``sources.yaml``, a drug whose class is unknown, a name (generic, brand or
synonym) that maps to two treatments, and a profile reference that points nowhere.
"""

from __future__ import annotations

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
    PgxFile,
    PseudoFile,
    ScalesFile,
    SourcesFile,
    StagingFile,
)

M = TypeVar("M", bound=BaseModel)

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
}


class KnowledgeError(ValueError):
    """The knowledge base is invalid; the message lists every problem found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("knowledge base invalid:\n  " + "\n  ".join(self.problems))


def normalise_name(name: str) -> str:
    """Fold case, spaces, hyphens and trademark signs so 'Zoloft®' finds sertraline."""
    folded = name.casefold().replace("®", "").replace("™", "")
    return " ".join(folded.replace("-", " ").replace("_", " ").split())


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
    assert isinstance(sources, SourcesFile)
    assert isinstance(classes, ClassesFile)
    assert isinstance(drugs, DrugsFile)
    assert isinstance(adequacy, AdequacyFile)
    assert isinstance(scales, ScalesFile)
    assert isinstance(definitions, DefinitionsFile)
    assert isinstance(staging, StagingFile)
    assert isinstance(pseudo, PseudoFile)
    assert isinstance(pgx, PgxFile)

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
    )
    for where, citation in kb.citations():
        if source_id(citation) not in source_by_id:
            problems.append(f"{where}: cites unknown source {source_id(citation)!r}")
    if problems:
        raise KnowledgeError(problems)
    return kb


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
