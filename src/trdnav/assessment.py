"""The Assessment: the one result the engine produces and every face renders.

Plain frozen dataclasses (cheap to build in the hot path); pydantic's TypeAdapter
serialises them and exports ``docs/assessment.schema.json``. Every conclusion carries
a ``Basis``: the rule that made it, the record facts it read (as paths into the
record), the cited sources, and what is missing when the answer is "unknown".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

ASSESSMENT_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Fact:
    path: str
    value: str


@dataclass(frozen=True, slots=True)
class Basis:
    rule: str
    facts: tuple[Fact, ...] = ()
    sources: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


AdequacyStatus = Literal["adequate", "inadequate", "unknown"]
CountStatus = Literal["failed", "not_failed", "unknown", "excluded"]
Verdict = Literal["trd", "not_trd", "unknown", "not_applicable"]
CheckStatus = Literal["raised", "open", "cleared"]
TrajectoryStatus = Literal["remission", "response", "partial_response", "non_response", "single_score", "unknown"]


@dataclass(frozen=True, slots=True)
class Adequacy:
    status: AdequacyStatus
    profile: str
    dose_floor: float | None
    weeks_at_floor: float | None
    min_weeks: float
    reasons: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class ScaleChange:
    scale: str
    baseline: float
    baseline_date: dt.date
    endpoint: float
    endpoint_date: dt.date
    improvement_pct: float | None
    remission: bool | None
    # an earlier score in the window that reached response or remission when the end-point
    # no longer does (response, then worsening): the trial did not fail to respond
    peak: float | None = None
    peak_date: dt.date | None = None


OutcomeStatus = Literal[
    "remission",
    "response",
    "partial_response",
    "non_response",
    "intolerance",
    "too_early",
    "unknown",
]


@dataclass(frozen=True, slots=True)
class Outcome:
    status: OutcomeStatus
    decided_by: Literal["scale", "clinician", "stop_reason", "none"]
    improvement_pct: float | None
    changes: tuple[ScaleChange, ...]
    reasons: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class TrialFinding:
    trial_id: str
    treatment: str
    drug_id: str
    kind: str
    classes: tuple[str, ...]
    antidepressant: bool
    role: Literal["monotherapy", "augmentation", "combination"]
    role_inferred: bool
    role_basis: Basis
    base_trials: tuple[str, ...]
    episode_id: str | None
    current_episode: bool
    start: dt.date
    stop: dt.date | None
    weeks: float
    max_dose: float | None
    dose_unit: str
    optimised: bool
    adequacy: Adequacy
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class CountedTrial:
    trial_id: str
    treatment: str
    status: CountStatus
    reason: str


@dataclass(frozen=True, slots=True)
class DefinitionVerdict:
    definition_id: str
    name: str
    adequacy_profile: str
    min_weeks: float
    failure_below_pct: float
    verdict: Verdict
    failures: int
    possible: int
    required: int
    trials: tuple[CountedTrial, ...]
    summary: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class StageComponent:
    name: str
    points: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class Stage:
    model: Literal["thase_rush", "mgh_s", "msm"]
    name: str
    label: str
    score: float | None
    score_min: float | None
    score_max: float | None
    band: str | None
    components: tuple[StageComponent, ...]
    notes: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class ScalePoint:
    date: dt.date
    total: float
    band: str
    # the band under every named band set of the scale (the default one is ``band``)
    bands: dict[str, str]
    change_pct: float | None
    remission: bool | None
    safety_item: int | None
    record_path: str


@dataclass(frozen=True, slots=True)
class ScaleTrajectory:
    scale: str
    name: str
    band_set: str
    remission_rule: str | None
    points: tuple[ScalePoint, ...]
    status: TrajectoryStatus
    summary: str
    basis: Basis
    # for charts: the default band set's (label, min, max), the score at or below which the
    # change from the first score is a response, and the remission cut-off
    bands: tuple[tuple[str, float, float], ...] = ()
    response_at: float | None = None
    remission_at: float | None = None


@dataclass(frozen=True, slots=True)
class Check:
    check_id: str
    name: str
    status: CheckStatus
    question: str
    reasons: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class GenePhenotype:
    """One gene's phenotype from the lab's result, in CPIC's standard terms."""

    gene: str
    given: str
    status: Literal["reported", "derived", "indeterminate", "not_covered"]
    phenotype: str | None
    activity_score: float | None
    reasons: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class ExpressedPhenotype:
    """A gene's phenotype as currently expressed: the genotype's, changed by co-medications
    that inhibit or induce the enzyme (phenoconversion). Same as the genotype's when none."""

    gene: str
    genotype_phenotype: str
    # None: a modulator is present but the change cannot be computed from what is known
    expressed: str | None
    activity_score: float | None
    modulators: tuple[str, ...]
    reasons: tuple[str, ...]
    basis: Basis


GuidanceCategory = Literal["use_as_directed", "adjust_dose_or_monitor", "consider_alternative", "no_guidance"]


@dataclass(frozen=True, slots=True)
class Guidance:
    """One source's recommendation for one drug and this patient's phenotypes."""

    guideline: str
    kind: Literal["cpic", "fda_label"]
    # e.g. "CYP2C19 Ultrarapid Metabolizer"; "(as expressed)" when phenoconversion changed it
    lookup: tuple[str, ...]
    # looked up with the phenotype as expressed after phenoconversion, not the genotype's
    as_expressed: bool
    category: GuidanceCategory
    classification: str | None
    implication: str | None
    # what the source says this phenotype puts at risk: "efficacy" (lower exposure), "side_effects"
    risks: tuple[str, ...]
    recommendation: str
    # trdnav's caveats beside the source's words (e.g. the label maximum beside "titrate higher")
    notes: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class DrugAdvice:
    """A row of the whole-regimen table: one catalog drug, its group and why."""

    drug_id: str
    drug: str
    # the patient's relation to the drug: taking it now, tried before, or not yet
    status: Literal["current", "tried", "not_taken"]
    # the group by the genotype's phenotypes (what the guideline says for this patient)
    category: GuidanceCategory
    # a more cautious group that holds while the current co-medications are taken
    # (phenoconversion, a label's co-medication rule); None when they change nothing
    with_current_medications: GuidanceCategory | None
    reason: str
    guidance: tuple[Guidance, ...]
    phenoconverted: bool
    # this drug's own effect on enzymes (e.g. "strong CYP2D6 inhibitor"), for the other drugs
    modulates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GenotypeFlag:
    """A trial whose poor result the patient's genotype may explain (e.g. pseudo-resistance
    from low exposure in an ultrarapid metabolizer)."""

    trial_id: str
    drug: str
    outcome: str
    message: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class PgxRegimen:
    expressed: tuple[ExpressedPhenotype, ...]
    drugs: tuple[DrugAdvice, ...]
    flags: tuple[GenotypeFlag, ...]


Severity = Literal["contraindicated", "major", "moderate", "monitor"]


@dataclass(frozen=True, slots=True)
class SafetyFinding:
    """A problem with the regimen (current, or after the proposed change): what, how severe,
    why, what to do instead, and the source. `contraindicated` is a hard stop."""

    rule: str
    severity: Severity
    drugs: tuple[str, ...]
    message: str
    mechanism: str
    management: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class WashoutPlan:
    """The drug-free period between stopping one drug and starting another (MAOI switches)."""

    stop: str
    start: str
    stopped_on: dt.date | None
    required_days: int | None
    # None when the stop date or the interval is unknown
    earliest_start: dt.date | None
    proposed_start: dt.date | None
    # "ok", "too_early", or "unknown" (interval or stop date not known)
    status: Literal["ok", "too_early", "unknown"]
    reasons: tuple[str, ...]
    basis: Basis
    # a switch the record shows (not a proposed one): once its window has passed it is history
    from_record: bool = False


@dataclass(frozen=True, slots=True)
class Proposal:
    """A change to check: drugs added (kept with the regimen), stopped, and started on a date."""

    add: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class SafetySection:
    # the regimen checked: drug names, after the proposed change when there is one
    regimen: tuple[str, ...]
    proposal: Proposal | None
    findings: tuple[SafetyFinding, ...]
    washouts: tuple[WashoutPlan, ...]


Fit = Literal["preferred", "possible", "demoted", "excluded", "not_applicable"]


@dataclass(frozen=True, slots=True)
class NextStep:
    """One next-step option: what, how strongly the guideline backs it, how it fits this
    patient, and where it ranks (None when excluded or not applicable)."""

    option_id: str
    strategy: str
    treatment: str
    line: int | None
    level: int | None
    fit: Fit
    rank: int | None
    reasons: tuple[str, ...]
    # the guideline's dose range for the treatment, when the knowledge base has one
    dose: str | None
    # what to monitor and when to judge the response (sources in basis)
    monitoring: tuple[str, ...]
    # what other guidelines say, side by side (e.g. "NICE NG222: ..."; sources in basis)
    other_guidelines: tuple[str, ...]
    basis: Basis
    # the label's starting dose and titration, before any adjustment the reasons give
    # (pharmacogenetics, interactions, age); None when the knowledge base has none. Last, with
    # a default, so Assessments stored before it existed still read
    start: str | None = None


@dataclass(frozen=True, slots=True)
class NextSteps:
    # False when the record lacks what ranking needs (no episode or no trial): generic steps
    individualised: bool
    situation: tuple[str, ...]
    options: tuple[NextStep, ...]
    # a published outcome at the patient's next treatment step (STAR*D): a population figure,
    # not a prediction; None when no figure fits
    population: str | None = None
    population_basis: Basis | None = None


TrainLimitStatus = Literal["within", "exceeds", "no_confirmed_limit", "unknown"]


@dataclass(frozen=True, slots=True)
class TrainLimitCheck:
    status: TrainLimitStatus
    max_train_s: float | None
    message: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class TmsBlockTiming:
    """One stimulation block with the numbers derived from its parameters."""

    site: str
    pattern: str
    frequency_hz: float
    intensity_pct_mt: float | None
    train_s: float | None
    inter_train_s: float | None
    trains: int | None
    pulses_per_train: int | None
    pulses: int | None
    # session time: first pulse to last pulse, and with the interval after the last train
    seconds: float | None
    seconds_with_trailing: float | None
    train_limit: TrainLimitCheck


@dataclass(frozen=True, slots=True)
class TmsProtocolView:
    protocol_id: str
    name: str
    blocks: tuple[TmsBlockTiming, ...]
    pulses_per_session: int | None
    minutes: float | None
    minutes_with_trailing: float | None
    sessions_per_day: int
    inter_session_minutes: int | None
    sessions_per_week: int | None
    acute_sessions: int | None
    fda: str
    unconfirmed: tuple[str, ...]
    basis: Basis
    # what the protocol needs beyond its parameters (targeting, depth-adjusted MT), from the KB
    note: str | None = None


Answer = Literal["yes", "no", "unknown"]


@dataclass(frozen=True, slots=True)
class ScreenFinding:
    item: str
    question: str
    answer: Answer
    label: str
    guidance: str
    # the device label and the IFCN safety guidance (Rossi 2009, 2011, 2021) treat a yes differently
    differs: bool
    message: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: str
    text: str
    met: bool | None
    detail: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class TmsEligibility:
    status: Literal["eligible", "not_eligible", "needs_review"]
    reasons: tuple[str, ...]
    criteria: tuple[CriterionResult, ...]
    screen: tuple[ScreenFinding, ...]
    # the record's medications that the safety knowledge base marks as lowering the seizure threshold
    seizure_risk: tuple[str, ...]
    # what a payer or clinician also weighs, shown, not scored: the TRD verdicts and the severity
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TargetPosition:
    method: str
    x_cm: float | None
    y_cm: float | None
    adjusted_y_cm: float | None
    steps: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class TmsDoseView:
    motor_threshold_pct: float | None
    mt_date: dt.date | None
    mt_method: str | None
    intensity_pct_mt: float | None
    # the MT after the coil-to-cortex distance adjustment, when depths are recorded
    adjusted_mt_pct: float | None
    output_pct: float | None
    redetermine_by: dt.date | None
    warnings: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class ScheduledSession:
    number: int
    date: dt.date
    phase: Literal["acute", "taper", "extension", "extension_taper"]
    # the session's place on its day (1 for daily courses; 1-10 for accelerated days)
    slot: int = 1


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    after_sessions: int
    reached: bool
    score: float | None
    score_date: dt.date | None
    improvement_pct: float | None
    text: str


Suggestion = Literal["continue", "extend", "taper", "stop", "unknown"]


@dataclass(frozen=True, slots=True)
class TmsProgress:
    delivered: int
    planned: int
    pulses_delivered: int | None
    scale: str
    baseline: float | None
    baseline_date: dt.date | None
    latest: float | None
    latest_date: dt.date | None
    improvement_pct: float | None
    checkpoints: tuple[CheckpointResult, ...]
    suggestion: Suggestion
    reason: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class TmsCourseFinding:
    course_id: str
    protocol: TmsProtocolView
    course_rule: str | None
    eligibility: TmsEligibility
    target: TargetPosition | None
    dose: TmsDoseView
    schedule: tuple[ScheduledSession, ...]
    progress: TmsProgress
    # every side effect the session log records, with its date (never summarised away)
    side_effects: tuple[str, ...]
    # session log rows that disagree with the plan or the thresholds (protocol, intensity, output,
    # pulses, sessions a day), and plan problems (taper count, a holiday in a consecutive course)
    log_warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Warning:
    kind: Literal["input", "safety"]
    rule: str
    field: str
    message: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Citation:
    id: str
    kind: str
    title: str
    authors: str | None
    year: int | None
    publication: str | None
    url: str | None
    # how the source was read, where that limits it (e.g. a table read from transcriptions)
    verification: str | None = None


@dataclass(frozen=True, slots=True)
class EpisodeSummary:
    episode_id: str
    start: dt.date
    end: dt.date | None
    months: float
    diagnosis: str
    psychotic_features: bool | None
    severity: str | None


@dataclass(frozen=True, slots=True)
class Assessment:
    format_version: int
    engine_version: str
    kb_version: str
    as_of: dt.date
    patient_id: str
    age: int | None
    profile: str
    current_episode: EpisodeSummary | None
    warnings: tuple[Warning, ...]
    trials: tuple[TrialFinding, ...]
    definitions: tuple[DefinitionVerdict, ...]
    stages: tuple[Stage, ...]
    scales: tuple[ScaleTrajectory, ...]
    checks: tuple[Check, ...]
    pharmacogenetics: tuple[GenePhenotype, ...]
    # drug guidance from the phenotypes; None when the record has no pharmacogenetic result
    pgx_regimen: PgxRegimen | None
    # interactions, washouts, dose limits, contraindicating conditions; shown first
    safety: SafetySection
    # ranked next steps (CANMAT line and level first, then fit for this patient)
    next_steps: NextSteps
    # one entry per TMS course in the record (screen, protocol, target, dose, schedule, progress)
    tms: tuple[TmsCourseFinding, ...]
    citations: tuple[Citation, ...]
