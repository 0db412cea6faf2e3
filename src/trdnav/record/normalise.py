"""Check a structurally valid record against the knowledge base and the assessment date.

Turns a ``Record`` into a ``Normalised`` view the rules read: drug names resolved to
knowledge-base ids, scale totals computed from items, trials tied to episodes, open
trials closed at ``as_of``. Every problem that makes the record unusable is collected
into one ``RecordError``; a dose above the knowledge base's range is kept and becomes a
warning, never dropped.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass
from datetime import date

from trdnav.knowledge.loader import KnowledgeBase, normalise_name
from trdnav.knowledge.schema import Drug, Scale
from trdnav.record.errors import Problem, RecordError, show
from trdnav.record.genotype import Diplotype, parse_diplotype, phenotype_key
from trdnav.record.models import Condition, Episode, Genotype, Medication, Record, ScaleScore, Trial


@dataclass(frozen=True)
class NTrial:
    index: int
    trial: Trial
    drug: Drug
    episode_id: str | None
    end: date
    ongoing: bool
    # highest recorded dose (None without doses); read by several rules, so computed once
    max_dose: float | None = None

    @property
    def path(self) -> str:
        return f"trials[{self.index}]"

    @property
    def weeks(self) -> float:
        return (self.end - self.trial.start).days / 7


@dataclass(frozen=True)
class NScore:
    index: int
    score: ScaleScore
    scale: Scale
    total: float

    @property
    def path(self) -> str:
        return f"scales[{self.index}]"


@dataclass(frozen=True)
class NCondition:
    index: int
    condition: Condition
    category: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class NMedication:
    index: int
    medication: Medication
    drug_id: str | None


RULE_DOSE_ABOVE_RANGE = "record.dose_above_range"
RULE_MEDICATION_UNKNOWN = "record.medication_not_in_kb"
RULE_CONTINUES_INTO_EPISODE = "record.trial_continues_into_current_episode"
RULE_GENE_NOT_COVERED = "record.gene_not_covered"


@dataclass(frozen=True)
class NGenotype:
    index: int
    genotype: Genotype
    gene: str  # upper-cased; covered when it is a KB gene
    covered: bool
    diplotype: Diplotype | None
    phenotype_id: str | None

    @property
    def path(self) -> str:
        return f"genotypes[{self.index}]"


@dataclass(frozen=True)
class InputWarning:
    rule: str
    field: str
    message: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Normalised:
    record: Record
    as_of: date
    trials: tuple[NTrial, ...]
    scores: tuple[NScore, ...]
    conditions: tuple[NCondition, ...]
    medications: tuple[NMedication, ...]
    genotypes: tuple[NGenotype, ...]
    warnings: tuple[InputWarning, ...]
    current_episode: Episode | None
    # each scale's scores in date order, for the outcome windows
    scores_by_scale: dict[str, tuple[NScore, ...]]
    dates_by_scale: dict[str, list[date]]

    def episode_trials(self, episode_id: str | None) -> tuple[NTrial, ...]:
        return tuple(t for t in self.trials if t.episode_id == episode_id)


def resolve_drug(name: str, kb: KnowledgeBase) -> str | None:
    return kb.drug_by_name.get(normalise_name(name))


def suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(normalise_name(name), choices, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def normalise(record: Record, kb: KnowledgeBase, as_of: date) -> Normalised:
    problems: list[Problem] = []
    warnings: list[InputWarning] = []

    _check_ids(record, problems)
    episodes = {e.id: e for e in record.episodes}
    for i, episode in enumerate(record.episodes):
        where = f"episodes[{i}]"
        _not_future(f"{where}.start", episode.start, as_of, problems)
        if episode.end is not None:
            _not_future(f"{where}.end", episode.end, as_of, problems)
            if episode.end < episode.start:
                problems.append(Problem(f"{where}.end", str(episode.end), f"a date on or after start {episode.start}"))
    _check_episode_overlap(record.episodes, problems)

    trial_ids = {t.id for t in record.trials}
    trials = []
    for i, trial in enumerate(record.trials):
        ntrial = _trial(i, trial, kb, as_of, episodes, trial_ids, problems, warnings)
        if ntrial is not None:
            trials.append(ntrial)

    scores = []
    for i, score in enumerate(record.scales):
        nscore = _score(i, score, kb, as_of, problems)
        if nscore is not None:
            scores.append(nscore)

    genotypes = _genotypes(record, kb, problems, warnings)
    for i, lab in enumerate(record.labs):
        _not_future(f"labs[{i}].date", lab.date, as_of, problems)
    for i, screen in enumerate(record.screens):
        _not_future(f"screens[{i}].date", screen.date, as_of, problems)
    birth = record.patient.birth_date
    if birth is not None:
        _not_future("patient.birth_date", birth, as_of, problems)
    _tms_courses(record, kb, as_of, trial_ids, problems)

    if problems:
        raise RecordError(problems)

    conditions = tuple(_condition(i, c, kb) for i, c in enumerate(record.conditions))
    medications = tuple(NMedication(i, m, resolve_drug(m.drug, kb)) for i, m in enumerate(record.medications))
    for med in medications:
        # a drug outside the catalog that a rule reads (quinidine, ibuprofen, lisinopril) is not "unknown"
        if med.drug_id is None and normalise_name(med.medication.drug) not in kb.other_drug_names:
            warnings.append(
                InputWarning(
                    RULE_MEDICATION_UNKNOWN,
                    f"medications[{med.index}].drug",
                    f"{med.medication.drug!r} is not in the knowledge base; it is kept but not interpreted",
                    (),
                )
            )
    current = _current_episode(record.episodes)
    for t in trials:
        if current is not None and t.episode_id != current.id and t.trial.start < current.start < t.end:
            # judged within the episode it started in; say so rather than drop it silently
            warnings.append(
                InputWarning(
                    RULE_CONTINUES_INTO_EPISODE,
                    f"trials[{t.index}]",
                    f"{t.drug.name} ({t.trial.id}) started in an earlier episode and was still taken when the "
                    f"current episode began on {current.start}: it is judged in the episode it started in; "
                    "record a new trial from the current episode's start to count it there",
                    (),
                )
            )
    ordered_scores = tuple(sorted(scores, key=lambda s: (s.score.date, s.index)))
    by_scale: dict[str, list[NScore]] = {}
    for s in ordered_scores:
        by_scale.setdefault(s.scale.id, []).append(s)
    return Normalised(
        record=record,
        as_of=as_of,
        trials=tuple(sorted(trials, key=lambda t: (t.trial.start, t.index))),
        scores=ordered_scores,
        scores_by_scale={k: tuple(v) for k, v in by_scale.items()},
        dates_by_scale={k: [s.score.date for s in v] for k, v in by_scale.items()},
        conditions=conditions,
        medications=medications,
        genotypes=genotypes,
        warnings=tuple(warnings),
        current_episode=current,
    )


def _tms_courses(record: Record, kb: KnowledgeBase, as_of: date, trial_ids: set[str], problems: list[Problem]) -> None:
    """TMS course references must resolve in the knowledge base and the record."""
    protocols = sorted(kb.tms_protocol_by_id)
    seen: set[str] = set()
    for i, course in enumerate(record.tms_courses):
        where = f"tms_courses[{i}]"
        if course.id in seen:
            problems.append(Problem(f"{where}.id", repr(course.id), "an id not used by another course"))
        seen.add(course.id)
        if course.protocol not in kb.tms_protocol_by_id:
            problems.append(Problem(f"{where}.protocol", repr(course.protocol), f"one of {', '.join(protocols)}"))
        if course.course_rule is not None and course.course_rule not in kb.tms_rule_by_id:
            problems.append(
                Problem(
                    f"{where}.course_rule", repr(course.course_rule), f"one of {', '.join(sorted(kb.tms_rule_by_id))}"
                )
            )
        if course.trial is not None and course.trial not in trial_ids:
            problems.append(Problem(f"{where}.trial", repr(course.trial), "the id of a trial in this record"))
        if course.scale.lower() not in kb.scale_by_name:
            problems.append(
                Problem(f"{where}.scale", repr(course.scale), f"a scale: {', '.join(sorted(kb.scale_by_id))}")
            )
        _not_future(f"{where}.start", course.start, as_of, problems)
        for n, answer in enumerate(course.screen):
            if answer.item not in kb.tms_screen_by_id:
                problems.append(
                    Problem(f"{where}.screen[{n}].item", repr(answer.item), f"one of {', '.join(kb.tms_screen_by_id)}")
                )
        for n, session in enumerate(course.sessions):
            _not_future(f"{where}.sessions[{n}].date", session.date, as_of, problems)
            if session.date < course.start:
                problems.append(
                    Problem(
                        f"{where}.sessions[{n}].date", str(session.date), f"a date on or after the start {course.start}"
                    )
                )
            if session.protocol is not None and session.protocol not in kb.tms_protocol_by_id:
                problems.append(
                    Problem(f"{where}.sessions[{n}].protocol", repr(session.protocol), f"one of {', '.join(protocols)}")
                )
        for n, mt in enumerate(course.motor_thresholds):
            _not_future(f"{where}.motor_thresholds[{n}].date", mt.date, as_of, problems)


def _check_ids(record: Record, problems: list[Problem]) -> None:
    for collection, ids in (("episodes", [e.id for e in record.episodes]), ("trials", [t.id for t in record.trials])):
        seen: set[str] = set()
        for i, item_id in enumerate(ids):
            if item_id in seen:
                problems.append(Problem(f"{collection}[{i}].id", show(item_id), "an id not used twice"))
            seen.add(item_id)


def _not_future(field: str, value: date, as_of: date, problems: list[Problem]) -> None:
    if value > as_of:
        problems.append(Problem(field, str(value), f"a date on or before the assessment date {as_of}"))


def _check_episode_overlap(episodes: tuple[Episode, ...], problems: list[Problem]) -> None:
    """Episodes are separate in time: an episode still open, or ending after the next one
    starts, would make 'the current episode' (and which trials belong to it) ambiguous."""
    ordered = sorted(enumerate(episodes), key=lambda pair: (pair[1].start, pair[0]))
    for (i, earlier), (j, later) in itertools.pairwise(ordered):
        if earlier.end is None or earlier.end >= later.start:
            ended = "has no end" if earlier.end is None else f"ends {earlier.end}"
            problems.append(
                Problem(
                    f"episodes[{i}].end",
                    "nothing" if earlier.end is None else str(earlier.end),
                    f"an end before episodes[{j}] ({later.id}) starts on {later.start}: episode {earlier.id} {ended}",
                )
            )


def _current_episode(episodes: tuple[Episode, ...]) -> Episode | None:
    """The latest-starting episode that has not ended; failing that, the latest one."""
    if not episodes:
        return None
    open_episodes = [e for e in episodes if e.end is None]
    pool = open_episodes or list(episodes)
    return max(pool, key=lambda e: e.start)


def _episode_for(trial: Trial, episodes: dict[str, Episode]) -> str | None:
    if trial.episode is not None:
        return trial.episode
    containing = [e for e in episodes.values() if e.start <= trial.start and (e.end is None or trial.start <= e.end)]
    return max(containing, key=lambda e: e.start).id if containing else None


def _trial(
    i: int,
    trial: Trial,
    kb: KnowledgeBase,
    as_of: date,
    episodes: dict[str, Episode],
    trial_ids: set[str],
    problems: list[Problem],
    warnings: list[InputWarning],
) -> NTrial | None:
    where = f"trials[{i}]"
    before = len(problems)
    drug_id = resolve_drug(trial.treatment, kb)
    if drug_id is None:
        problems.append(
            Problem(
                f"{where}.treatment",
                show(trial.treatment),
                "a drug or treatment in the knowledge base (generic or brand name; see `trdnav kb list`)"
                + suggest(trial.treatment, sorted(kb.drug_by_name)),
            )
        )
    _not_future(f"{where}.start", trial.start, as_of, problems)
    if trial.stop is not None:
        _not_future(f"{where}.stop", trial.stop, as_of, problems)
        if trial.stop < trial.start:
            problems.append(Problem(f"{where}.stop", str(trial.stop), f"a date on or after start {trial.start}"))
    if trial.episode is not None and trial.episode not in episodes:
        problems.append(Problem(f"{where}.episode", show(trial.episode), f"one of the episode ids {sorted(episodes)}"))
    for base in trial.base_trials:
        if base not in trial_ids or base == trial.id:
            problems.append(Problem(f"{where}.base_trials", show(base), "the id of another trial in this record"))
    if trial.role in ("augmentation", "combination") and not trial.base_trials:
        problems.append(Problem(f"{where}.base_trials", "nothing", f"the trial id(s) this {trial.role} was added to"))
    if drug_id is None:
        return None
    drug = kb.drug_by_id[drug_id]
    end = trial.stop or as_of
    for j, step in enumerate(trial.doses):
        field = f"{where}.doses[{j}]"
        if (step.date < trial.start or step.date > end) and end >= trial.start:
            problems.append(
                Problem(f"{field}.date", str(step.date), f"a date within the trial ({trial.start} to {end})")
            )
        if step.unit is not None and normalise_name(step.unit) != normalise_name(drug.dose_unit):
            problems.append(Problem(f"{field}.unit", show(step.unit), f"{drug.dose_unit!r}, the unit for {drug.name}"))
        warnings.extend(_dose_warnings(field, step.dose, drug))
    if drug.kind != "medication" and trial.doses:
        problems.append(
            Problem(f"{where}.doses", f"{len(trial.doses)} dose steps", f"no doses: {drug.name} is counted in sessions")
        )
    if (
        drug.kind == "medication"
        and trial.sessions is not None
        and drug.dose_unit not in ("mg/session", "mg/kg/session")
    ):
        problems.append(Problem(f"{where}.sessions", str(trial.sessions), f"no sessions: {drug.name} is dosed per day"))
    if trial.ect_placement is not None and "ect" not in drug.classes:
        problems.append(Problem(f"{where}.ect_placement", show(trial.ect_placement), "only for an ECT course"))
    if len(problems) > before:
        return None
    return NTrial(
        index=i,
        trial=trial,
        drug=drug,
        episode_id=_episode_for(trial, episodes),
        end=end,
        ongoing=trial.stop is None,
        max_dose=max((step.dose for step in trial.doses), default=None),
    )


def _dose_warnings(field: str, dose: float, drug: Drug) -> list[InputWarning]:
    ceilings = []
    if drug.label_max is not None:
        ceilings.append(("the label maximum", drug.label_max.value, drug.label_max.sources))
    if drug.usual_range is not None:
        ceilings.append(("the top of the usual range", drug.usual_range.max, drug.usual_range.sources))
    for name, ceiling, sources in ceilings:
        if dose > ceiling:
            return [
                InputWarning(
                    RULE_DOSE_ABOVE_RANGE,
                    f"{field}.dose",
                    f"{drug.name} {dose:g} {drug.dose_unit} is above {name} ({ceiling:g} {drug.dose_unit}); "
                    "kept as recorded: confirm the dose",
                    tuple(sources),
                )
            ]
    return []


def _score(i: int, score: ScaleScore, kb: KnowledgeBase, as_of: date, problems: list[Problem]) -> NScore | None:
    where = f"scales[{i}]"
    before = len(problems)
    _not_future(f"{where}.date", score.date, as_of, problems)
    scale = kb.scale_by_name.get(normalise_name(score.instrument))
    if scale is None:
        names = sorted(s.id for s in kb.scales.scales)
        problems.append(Problem(f"{where}.instrument", show(score.instrument), f"one of {names}"))
        return None
    total = score.total
    if score.items is not None:
        if len(score.items) != scale.items:
            problems.append(
                Problem(f"{where}.items", f"{len(score.items)} answers", f"{scale.items} answers for {scale.name}")
            )
        else:
            maxima = scale.item_maxima or (scale.item_max,) * scale.items
            for k, (answer, high) in enumerate(zip(score.items, maxima, strict=True)):
                if not scale.item_min <= answer <= high:
                    problems.append(
                        Problem(
                            f"{where}.items[{k}]",
                            str(answer),
                            f"{scale.item_min} to {high} for {scale.name} item {k + 1}",
                        )
                    )
            if len(problems) == before:
                computed = float(scale_total(scale, score.items))
                if total is not None and total != computed:
                    problems.append(
                        Problem(f"{where}.total", f"{total:g}", f"{computed:g}, the total of the items given")
                    )
                total = computed
    if total is not None and total != int(total):
        problems.append(
            Problem(f"{where}.total", f"{total:g}", f"a whole number: {scale.name} totals are sums of item scores")
        )
    elif total is not None and not scale.total_min <= total <= scale.total_max:
        problems.append(
            Problem(f"{where}.total", f"{total:g}", f"{scale.total_min:g} to {scale.total_max:g} for {scale.name}")
        )
    if len(problems) > before or total is None:
        return None
    return NScore(i, score, scale, total)


def scale_total(scale: Scale, items: tuple[int, ...]) -> int:
    """Sum of items, or of domain maxima where the scale scores by domain (QIDS-SR16)."""
    if scale.domains is None:
        return sum(items)
    return sum(max(items[k - 1] for k in domain.items) for domain in scale.domains)


def _condition(i: int, condition: Condition, kb: KnowledgeBase) -> NCondition:
    term = kb.condition_by_name.get(normalise_name(condition.name)) if condition.name else None
    if term is None and condition.code:
        code = condition.code.upper().strip()
        for candidate in kb.pseudo.conditions:
            if any(code.startswith(prefix) for prefix in candidate.icd10_prefixes):
                term = candidate
                break
    if term is None:
        return NCondition(i, condition, None, ())
    return NCondition(i, condition, term.category, tuple(term.sources))


def _genotypes(
    record: Record, kb: KnowledgeBase, problems: list[Problem], warnings: list[InputWarning]
) -> tuple[NGenotype, ...]:
    """Parse each lab result; a gene trdnav does not interpret is kept with a warning."""
    parsed = []
    first_for: dict[str, int] = {}
    for i, g in enumerate(record.genotypes):
        where = f"genotypes[{i}]"
        gene = g.gene.strip().upper()
        if gene in first_for:
            problems.append(
                Problem(
                    f"{where}.gene",
                    show(g.gene),
                    f"one entry per gene: genotypes[{first_for[gene]}] already gives {gene}",
                )
            )
            continue
        first_for[gene] = i
        known = kb.gene_by_id.get(gene)
        if known is None:
            covered = ", ".join(sorted(kb.gene_by_id))
            warnings.append(
                InputWarning(
                    RULE_GENE_NOT_COVERED,
                    f"{where}.gene",
                    f"{gene} is kept but not interpreted (trdnav covers {covered})",
                    (),
                )
            )
            parsed.append(NGenotype(i, g, gene, False, None, None))
            continue
        diplotype = None
        if g.diplotype is not None:
            diplotype = parse_diplotype(g.diplotype, gene)
            if diplotype is None:
                problems.append(
                    Problem(
                        f"{where}.diplotype",
                        show(g.diplotype),
                        "a star-allele diplotype such as *1/*4, *1x2/*4 or *36+*10/*4",
                    )
                )
        if g.activity_score is not None:
            if not known.activity_score_bins:
                problems.append(
                    Problem(
                        f"{where}.activity_score",
                        f"{g.activity_score:g}",
                        f"no activity score: {gene} is not scored that way",
                    )
                )
            elif (g.activity_score * 4) != int(g.activity_score * 4):
                problems.append(Problem(f"{where}.activity_score", f"{g.activity_score:g}", "a multiple of 0.25"))
        phenotype_id = None
        if g.phenotype is not None:
            term = kb.phenotype_by_name.get(normalise_name(phenotype_key(g.phenotype, gene)))
            if term is None or term.id not in known.phenotypes:
                allowed = ", ".join(kb.phenotype_by_name[normalise_name(p)].term for p in known.phenotypes)
                problems.append(Problem(f"{where}.phenotype", show(g.phenotype), f"a {gene} phenotype: {allowed}"))
            else:
                phenotype_id = term.id
        parsed.append(NGenotype(i, g, gene, True, diplotype, phenotype_id))
    return tuple(parsed)
