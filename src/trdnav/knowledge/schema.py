"""Schemas of the knowledge-base files.

Every file under ``data/`` is validated against one of these models when it is
loaded. Models are frozen and forbid unknown keys, so a typo in a data file is an
error, not a silently ignored fact. Every clinical fact carries ``sources``: a
list of citation strings ``"<source-id>"`` or ``"<source-id> <locator>"``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMAT_VERSION = 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


Citations = tuple[str, ...]


def _cited(value: Citations) -> Citations:
    if not value:
        raise ValueError("a fact must cite at least one source")
    return value


class Cited(Strict):
    sources: Citations

    @field_validator("sources")
    @classmethod
    def _non_empty(cls, value: Citations) -> Citations:
        return _cited(value)


class FileHeader(Strict):
    format_version: int
    kb_version: str

    @field_validator("format_version")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(f"format_version {value} is not supported (expected {FORMAT_VERSION})")
        return value


# --- bibliography -----------------------------------------------------------------


class Source(Strict):
    id: str
    kind: Literal["guideline", "label", "paper", "database", "consensus", "convention"]
    title: str
    authors: str | None = None
    year: int | None = None
    publication: str | None = None
    url: str | None = None
    doi: str | None = None
    note: str | None = None
    # set when trdnav read the source only partly or indirectly: shown with every citation
    verification: str | None = None


class SourcesFile(FileHeader):
    sources: tuple[Source, ...]


# --- drugs and treatments ---------------------------------------------------------


class DrugClass(Cited):
    id: str
    name: str
    thase_rush: Literal["ssri", "snri", "tca", "maoi", "other"] | None
    antidepressant: bool


class ClassesFile(FileHeader):
    classes: tuple[DrugClass, ...]


class DoseRange(Cited):
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> DoseRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class DoseValue(Cited):
    value: float


class DoseFloor(Cited):
    min: float


DoseUnit = Literal["mg/day", "mg/24h", "mcg/day", "mg/session", "mg/kg/session", "sessions"]


class LabelStart(Cited):
    """The label's starting dose (in the drug's dose unit) and how it is raised, for the use the
    planner offers (e.g. the adjunctive MDD indication of an antipsychotic)."""

    dose: float = Field(gt=0)
    # the top of a starting range, when the label gives one (Effexor XR: 37.5-75 mg/day)
    dose_to: float | None = Field(default=None, gt=0)
    # how and when the label raises it, in the label's terms
    titration: str
    # the label's indication this dosing belongs to, when the drug has several
    indication: str | None = None

    def describe(self, unit: str) -> tuple[str, str]:
        """(" (indication)" or "", "dose[-dose_to] unit; titration"): how every face shows it."""
        upto = f"-{self.dose_to:g}" if self.dose_to is not None else ""
        use = f" ({self.indication})" if self.indication else ""
        return use, f"{self.dose:g}{upto} {unit}; {self.titration}"


class Drug(Cited):
    id: str
    name: str
    kind: Literal["medication", "neuromodulation", "psychotherapy"]
    classes: tuple[str, ...] = Field(min_length=1)
    mechanism: str
    brands: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    antidepressant: bool
    roles: tuple[Literal["monotherapy", "augmentation", "combination"], ...] = ()
    dose_unit: DoseUnit
    usual_range: DoseRange | None = None
    label_max: DoseValue | None = None
    label_start: LabelStart | None = None
    adequate_dose: dict[str, DoseFloor] = Field(default_factory=dict)


class DrugsFile(FileHeader):
    drugs: tuple[Drug, ...]


# --- adequacy and outcome ----------------------------------------------------------


class AdequacyProfile(Cited):
    id: str
    name: str
    description: str
    # where the minimum adequate dose comes from: the low end of the drug's usual
    # range, or a named per-drug floor in Drug.adequate_dose
    dose_floor: Literal["usual_range_min"] | str
    min_weeks: float


class CourseMinimum(Cited):
    treatment: str
    min_sessions: int


class OutcomeCutoffs(Cited):
    """Percent improvement from baseline that defines response and partial response."""

    response_min_pct: float
    partial_response_min_pct: float


class Convention(Cited):
    """A documented engineering convention (not a clinical fact) that rules need."""

    id: str
    value: float
    description: str


class AdequacyFile(FileHeader):
    profiles: tuple[AdequacyProfile, ...]
    default_profile: str
    course_minimums: tuple[CourseMinimum, ...] = ()
    outcome: OutcomeCutoffs
    conventions: tuple[Convention, ...] = ()


# --- scales -----------------------------------------------------------------------


class Band(Strict):
    label: str
    min: float
    max: float


class BandSet(Cited):
    id: str
    name: str
    bands: tuple[Band, ...] = Field(min_length=1)


class Domain(Strict):
    """Items scored together: the domain contributes the maximum of its items."""

    name: str
    items: tuple[int, ...] = Field(min_length=1)


class RemissionCutoff(Cited):
    id: str
    max_score: float


class AnswerOption(Strict):
    label: str
    value: int


class QuestionItem(Strict):
    """An item with its own answer wording (the QIDS-SR16's answers differ item by item)."""

    text: str
    answers: tuple[AnswerOption, ...] = Field(min_length=2)


class Questionnaire(Cited):
    """A self-report form's wording, for patients to fill in (the clinic's self-report links).
    Items are a line of text answered with the shared `answers` (PHQ-9), or carry their own."""

    stem: str
    items: tuple[str | QuestionItem, ...] = Field(min_length=1)
    answers: tuple[AnswerOption, ...] | None = Field(default=None, min_length=2)
    # the form's terms of use, shown under it
    notice: str

    def item_text(self, number: int) -> str:
        item = self.items[number - 1]
        return item if isinstance(item, str) else item.text

    def answers_for(self, number: int) -> tuple[AnswerOption, ...]:
        item = self.items[number - 1]
        if isinstance(item, QuestionItem):
            return item.answers
        assert self.answers is not None  # checked by the scale's validator
        return self.answers


class Scale(Cited):
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    rater: Literal["self", "clinician"]
    items: int
    item_min: int
    item_max: int
    # per-item maxima where items differ (HAM-D17); overrides item_max
    item_maxima: tuple[int, ...] | None = None
    domains: tuple[Domain, ...] | None = None
    total_min: float
    total_max: float
    band_sets: tuple[BandSet, ...] = Field(min_length=1)
    default_band_set: str
    remission: tuple[RemissionCutoff, ...] = ()
    default_remission: str | None = None
    loinc_total: str | None = None
    loinc_panel: str | None = None
    loinc_sources: Citations = ()
    safety_item: int | None = None
    safety_item_sources: Citations = ()
    questionnaire: Questionnaire | None = None

    @model_validator(mode="after")
    def _form_matches(self) -> Scale:
        form = self.questionnaire
        if form is not None:
            if len(form.items) != self.items:
                raise ValueError(f"questionnaire: {len(form.items)} items; the scale has {self.items}")
            for number, item in enumerate(form.items, 1):
                if isinstance(item, str) and form.answers is None:
                    raise ValueError(f"questionnaire: item {number} has no answers of its own and none are shared")
                top = self.item_maxima[number - 1] if self.item_maxima else self.item_max
                values = sorted(a.value for a in form.answers_for(number))
                if values != list(range(self.item_min, top + 1)):
                    raise ValueError(f"questionnaire: item {number}'s answers must cover every item value once")
        return self


class ScalesFile(FileHeader):
    scales: tuple[Scale, ...]


# --- TRD definitions ------------------------------------------------------------


class TrdDefinition(Cited):
    id: str
    name: str
    summary: str
    min_failures: int
    # a trial fails when improvement from baseline is below this percentage
    failure_below_pct: float
    adequacy_profile: str
    min_weeks: float
    count_augmentation: bool
    count_neuromodulation: bool
    count_psychotherapy: bool
    distinct_treatments: bool
    requires_confirmed_adherence: bool
    # episode diagnoses (record vocabulary) the definition does not apply to
    excluded_diagnoses: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class DefinitionsFile(FileHeader):
    definitions: tuple[TrdDefinition, ...]


# --- staging ----------------------------------------------------------------------


class StageStep(Strict):
    stage: int
    label: str
    description: str


class StagingModel(Cited):
    """What every staging model shares: how it judges a failed trial and where it applies."""

    name: str
    adequacy_profile: str
    min_weeks: float
    failure_below_pct: float
    # episode diagnoses (record vocabulary) outside the model's scope (unipolar depression)
    excluded_diagnoses: tuple[str, ...] = ()
    # drug class id of an ECT course
    ect_class: str


class ThaseRush(StagingModel):
    stages: tuple[StageStep, ...]
    # Thase-Rush groups (classes.yaml `thase_rush`) that count as one class each; a class
    # in any other group counts as its own class
    pooled_groups: tuple[str, ...]
    tca_group: str
    maoi_group: str
    ect_placement: str
    placement_rule: str


class Threshold(Cited):
    """A published cut-off on a staging score (scores at or above it are called TRD)."""

    id: str
    min_score: float


class MghS(StagingModel):
    points_failed_trial: float
    points_optimised: float
    points_augmented: float
    points_ect: float
    thresholds: tuple[Threshold, ...] = ()


class Points(Strict):
    label: str
    points: int
    min: float | None = None
    max: float | None = None


class SeverityPoints(Strict):
    label: str
    points: int
    severity: str
    psychotic: bool | None = None


class Msm(StagingModel):
    # rows in order; the first whose max (inclusive) is not exceeded applies
    duration_months: tuple[Points, ...]
    severity: tuple[SeverityPoints, ...]
    failures: tuple[Points, ...]
    augmentation_points: int
    ect_points: int
    bands: tuple[Band, ...]
    thresholds: tuple[Threshold, ...] = ()


class StagingFile(FileHeader):
    thase_rush: ThaseRush
    mgh_s: MghS
    msm: Msm


# --- pseudo-resistance and conditions ----------------------------------------------


class ConditionTerm(Cited):
    id: str
    name: str
    category: str
    synonyms: tuple[str, ...] = ()
    icd10_prefixes: tuple[str, ...] = ()


class PseudoCheck(Cited):
    id: str
    name: str
    question: str
    # condition categories whose presence raises this check, and the statuses that count
    condition_categories: tuple[str, ...] = ()
    condition_statuses: tuple[Literal["active", "resolved", "history"], ...] = ("active",)
    # lab tests (record lab 'test' ids) that resolve or raise this check
    lab_tests: tuple[str, ...] = ()
    # screen topics in the record that resolve this check
    screen_topics: tuple[str, ...] = ()
    # episode diagnoses (record vocabulary) that raise this check
    episode_diagnoses: tuple[str, ...] = ()
    # a check read from the trials themselves rather than from conditions
    trial_signal: Literal["adherence", "adequacy", "side_effects"] | None = None


class PseudoFile(FileHeader):
    conditions: tuple[ConditionTerm, ...]
    checks: tuple[PseudoCheck, ...]


# --- pharmacogenetics -----------------------------------------------------------------


class PhenotypeTerm(Cited):
    id: str
    term: str
    synonyms: tuple[str, ...] = ()


class ScoreBin(Strict):
    phenotype: str
    min: float
    max: float | None = None


AlleleFunctionTerm = Literal["increased", "normal", "decreased", "no_function", "uncertain", "unknown"]


class AlleleFunction(Strict):
    allele: str
    function: AlleleFunctionTerm
    # CYP2D6: the allele's activity value; a diplotype's activity score is their sum
    activity: float | None = Field(default=None, ge=0)
    # the allele's own citation when it is not the gene's allele_sources
    sources: Citations = ()


class FunctionPair(Strict):
    functions: tuple[str, str]
    phenotype: str


class Gene(Cited):
    id: str
    phenotypes: tuple[str, ...]
    activity_score_bins: tuple[ScoreBin, ...] = ()
    activity_score_sources: Citations = ()
    alleles: tuple[AlleleFunction, ...] = ()
    allele_sources: Citations = ()
    function_pairs: tuple[FunctionPair, ...] = ()
    function_pair_sources: Citations = ()
    # a tandem (*36+*10) scores as the sum of its gene units, each times its copies; without a
    # cited rule a tandem is not translated
    tandem_sums_units: bool = False
    tandem_sources: Citations = ()

    @model_validator(mode="after")
    def _tandem_rule_cited(self) -> Gene:
        if self.tandem_sums_units and not (self.tandem_sources and self.activity_score_bins):
            raise ValueError("tandem_sums_units: needs tandem_sources and an activity-score gene")
        return self


class PgxFile(FileHeader):
    phenotypes: tuple[PhenotypeTerm, ...]
    genes: tuple[Gene, ...]


# --- pharmacogenetic drug guidance ----------------------------------------------------------

# the four groups of the whole-regimen table, most reassuring first
GuidanceCategory = Literal["use_as_directed", "adjust_dose_or_monitor", "consider_alternative", "no_guidance"]
Classification = Literal["strong", "moderate", "optional", "no_recommendation"]
# what the source says the phenotype puts at risk: benefit (lower exposure) or tolerability
Risk = Literal["efficacy", "side_effects"]


class Guideline(Cited):
    id: str
    name: str
    kind: Literal["cpic", "fda_label"]
    version: str
    # look the table up with the phenotype as expressed after phenoconversion as well as the
    # genotype's; off for labels, whose own interaction rules cover co-medications
    applies_to_expressed: bool = False


class GuidanceRow(Cited):
    # gene -> the phenotype ids (or "no_result": that gene was not tested) this row covers
    when: dict[str, tuple[str, ...]]
    # a row for part of a phenotype: gene -> [min, max] activity score (CPIC splits
    # nortriptyline's intermediate metabolizers by score)
    scores: dict[str, tuple[float, float]] = {}
    category: GuidanceCategory
    classification: Classification | None = None
    implication: str | None = None
    # what the implication says is at risk (read from the implication text)
    risks: tuple[Risk, ...] = ()
    recommendation: str
    # the recommendation may mean a higher dose: the drug's label maximum is shown beside it
    raises_dose: bool = False
    # trdnav's own caveat, shown apart from the source's words
    note: str | None = None


class ModulatorRule(Cited):
    """A label's dosing rule for taking the drug with a modulator of one enzyme."""

    enzyme: str
    effect: Literal["inhibitor", "inducer"] = "inhibitor"
    # the strengths the rule covers; empty: any strength (e.g. citalopram: "a CYP2C19 inhibitor")
    strengths: tuple[Literal["strong", "moderate", "weak"], ...] = ()
    category: GuidanceCategory
    recommendation: str
    note: str | None = None


class DrugGuidance(Cited):
    # the drugs one table covers (CPIC gives citalopram and escitalopram one table)
    drugs: tuple[str, ...]
    guideline: str
    genes: tuple[str, ...]
    rows: tuple[GuidanceRow, ...]
    # gene -> phenotype id -> CPIC's implication, for tables whose rows combine genes
    implications: dict[str, dict[str, str]] = {}
    # gene -> phenotype id -> what that implication says is at risk
    risks: dict[str, dict[str, tuple[Risk, ...]]] = {}
    # a label's rules for co-medications that inhibit or induce the drug's enzymes
    with_modulators: tuple[ModulatorRule, ...] = ()
    # "exhaustive": every phenotype combination of the genes has exactly one row (CPIC tables);
    # "partial": only the phenotypes the label names (FDA labels); others fall to the next source
    coverage: Literal["exhaustive", "partial"] = "exhaustive"


class Modulator(Cited):
    """A drug's effect on an enzyme, by the FDA's clinical-index classification."""

    drug: str
    enzyme: str
    effect: Literal["inhibitor", "inducer"]
    strength: Literal["strong", "moderate", "weak"]


class PhenoconversionRule(Cited):
    """How a modulator of a given strength changes a gene's phenotype as expressed."""

    gene: str
    effect: Literal["inhibitor", "inducer"]
    strength: Literal["strong", "moderate", "weak"]
    # CYP2D6-style: the activity score is multiplied by this
    activity_multiplier: float | None = Field(default=None, ge=0)
    # otherwise: the phenotype as expressed
    to_phenotype: str | None = None


class NoGuidance(Cited):
    drug: str
    reason: str


class PgxGuidanceFile(FileHeader):
    guidelines: tuple[Guideline, ...]
    drug_guidance: tuple[DrugGuidance, ...]
    modulators: tuple[Modulator, ...] = ()
    phenoconversion: tuple[PhenoconversionRule, ...] = ()
    no_guidance: tuple[NoGuidance, ...] = ()


# --- safety: interactions, MAOI washouts, dose limits, contraindicating conditions ----------

Severity = Literal["contraindicated", "major", "moderate", "monitor"]


class DrugSet(Cited):
    """A named set of drugs: catalog classes and ids, and names outside the catalog (e.g.
    'linezolid', 'ibuprofen'), matched case-insensitively against the record's medications."""

    id: str
    name: str
    classes: tuple[str, ...] = ()
    drugs: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


class Interaction(Cited):
    """Taking any drug of `first` with any drug of `second` (sets, catalog ids or names)."""

    id: str
    first: tuple[str, ...]
    second: tuple[str, ...]
    severity: Severity
    mechanism: str
    management: str
    # the label's drug-free window: the rule also applies when a drug of `first` was stopped
    # fewer than this many days before (tramadol: not within 14 days of stopping an MAOI)
    first_stopped_within_days: int | None = Field(default=None, gt=0)


class MaoiInterval(Cited):
    """A drug's label on MAOIs: concurrent use is contraindicated, with these drug-free days."""

    drug: str
    # why the label contraindicates MAOIs with it
    mechanism: str = "serotonin syndrome"
    # days after stopping this drug before an MAOI is started
    before_maoi_days: int | None = Field(default=None, ge=0)
    # days after stopping an MAOI before this drug is started
    after_maoi_days: int | None = Field(default=None, ge=0)
    # for an MAOI: days after stopping it before another MAOI or antidepressant is started
    after_stopping_days: int | None = Field(default=None, ge=0)
    # for an MAOI: days after stopping another MAOI before this one is started
    from_other_maoi_days: int | None = Field(default=None, ge=0)
    note: str | None = None


class DoseCondition(Strict):
    """When a lower maximum applies; any one condition is enough."""

    age_over: int | None = None
    phenotype: tuple[str, str] | None = None  # (gene, phenotype id)
    inhibitor_of: str | None = None  # an enzyme: any inhibitor of it, any strength
    condition_category: str | None = None


class DoseLimit(Cited):
    id: str
    drug: str
    max_dose: float
    severity: Severity
    mechanism: str
    when: tuple[DoseCondition, ...] = ()


class ConditionRule(Cited):
    """A drug in the regimen with a recorded condition (by condition category)."""

    id: str
    drugs: tuple[str, ...]
    condition_categories: tuple[str, ...]
    condition_statuses: tuple[Literal["active", "resolved", "history"], ...] = ("active",)
    severity: Severity
    mechanism: str
    management: str


class AgeRule(Cited):
    id: str
    drugs: tuple[str, ...]
    min_age: int
    severity: Severity
    mechanism: str
    management: str


class LevelRange(Strict):
    min: float
    max: float
    # applies from this age (inclusive); the range without min_age applies otherwise
    min_age: int | None = None


class LevelProfile(Cited):
    """A named target range for a drug level (e.g. lithium for augmentation)."""

    id: str
    drug: str
    lab_test: str
    unit: str
    ranges: tuple[LevelRange, ...]


class SafetyFile(FileHeader):
    sets: tuple[DrugSet, ...]
    interactions: tuple[Interaction, ...]
    maoi_intervals: tuple[MaoiInterval, ...]
    # the drug set that counts as MAOIs for the washout scheduler
    maoi_set: str
    # the drugs (sets or ids) a switch to or from an MAOI is checked for
    washout_drugs: tuple[str, ...]
    # the shortest gap the MAOI labels read allow between an MAOI and another antidepressant;
    # used as a floor when a label's own interval is not in the knowledge base
    maoi_minimum_days: int
    maoi_minimum_sources: tuple[str, ...]
    dose_limits: tuple[DoseLimit, ...] = ()
    condition_rules: tuple[ConditionRule, ...] = ()
    age_rules: tuple[AgeRule, ...] = ()
    level_profiles: tuple[LevelProfile, ...] = ()
    default_level_profile: dict[str, str] = {}


# --- next-step options -------------------------------------------------------------------


class GuidelineStatement(Cited):
    guideline: str
    statement: str


class Option(Cited):
    id: str
    strategy: Literal[
        "continue", "optimise", "switch", "augment", "psychotherapy", "psychotic_features", "neuromodulation"
    ]
    # a catalog treatment; none for "optimise the current dose" and the combination option
    drug: str | None = None
    # the guideline's line (1-3) and level of evidence (1-4); None where it gives none
    line: int | None = Field(default=None, ge=1, le=3)
    level: int | None = Field(default=None, ge=1, le=4)
    note: str | None = None
    # CANMAT Table 3.5: an antidepressant with evidence of superior efficacy (a first-line switch
    # even within the class of a failed drug)
    superior_efficacy: bool = False
    # what other guidelines say about it, where they differ or add (e.g. NICE NG222), each cited
    other_guidelines: tuple[GuidelineStatement, ...] = ()
    # what to monitor, and when to judge the response, with their own sources
    monitoring: tuple[str, ...] = ()
    monitoring_sources: Citations = ()
    # the option applies after this many medication strategies failed adequately in the episode
    # (CANMAT: neuromodulation after a switch or an adjunct has failed)
    after_failed: int | None = Field(default=None, ge=1)


class PopulationFigure(Cited):
    """A published outcome at a treatment step: a population figure, not a prediction."""

    step: int
    remission_pct: float
    label: str


class StrategyMonitoring(Cited):
    """What to monitor, or when to judge, for every option of a strategy (optionally only those
    whose treatment is in one of `classes`), added to the options' own monitoring."""

    strategy: str
    classes: tuple[str, ...] = ()
    monitoring: tuple[str, ...] = Field(min_length=1)


class OptionsFile(FileHeader):
    options: tuple[Option, ...]
    population_figures: tuple[PopulationFigure, ...] = ()
    strategy_monitoring: tuple[StrategyMonitoring, ...] = ()


# --- TMS ------------------------------------------------------------------------------------


class TmsBlock(Cited):
    """One stimulation block of a session (sequential bilateral sessions have two).

    Timing is stored as the source gives it (train length, interval, number of trains) and
    session length is computed (rules/tms.py), so the arithmetic convention is ours and stated.
    A value the sources do not confirm is left out (None) and named in the protocol's
    ``unconfirmed`` list.
    """

    site: str
    pattern: Literal["train", "theta_burst", "continuous"]
    # pulse rate within a train (train, continuous) or within a burst (theta burst)
    frequency_hz: float = Field(gt=0)
    # theta burst: pulses in a burst and bursts per second
    pulses_per_burst: int | None = Field(default=None, gt=0)
    burst_rate_hz: float | None = Field(default=None, gt=0)
    intensity_pct_mt: float | None = Field(default=None, gt=0)
    train_s: float | None = Field(default=None, gt=0)
    inter_train_s: float | None = Field(default=None, gt=0)
    trains: int | None = Field(default=None, gt=0)
    # pulses in the block, as the source states it (checked against the timing at load)
    pulses: int | None = Field(default=None, gt=0)
    # the block's site is the left DLPFC that Beam F3 locates (F3); other sites get no scalp method
    beam_f3: bool = False

    @model_validator(mode="after")
    def _pattern_fields(self) -> TmsBlock:
        burst = self.pulses_per_burst is not None or self.burst_rate_hz is not None
        if burst and self.pattern != "theta_burst":
            raise ValueError("pulses_per_burst and burst_rate_hz belong to theta_burst blocks only")
        if self.pattern == "continuous" and (self.train_s or self.inter_train_s or self.trains):
            raise ValueError("a continuous block has no trains")
        return self

    # Arithmetic on the stated parameters (the loader checks stated pulses against it).

    def pulses_per_train(self) -> int | None:
        if self.pattern == "continuous" or self.train_s is None:
            return None
        # a train that does not hold a whole number of pulses (or bursts) is not counted
        if self.pattern == "theta_burst":
            if self.burst_rate_hz is None or self.pulses_per_burst is None:
                return None
            bursts = self.train_s * self.burst_rate_hz
            return round(bursts) * self.pulses_per_burst if abs(bursts - round(bursts)) < 1e-9 else None
        pulses = self.train_s * self.frequency_hz
        return round(pulses) if abs(pulses - round(pulses)) < 1e-9 else None

    def train_count(self) -> int | None:
        """The stated trains, or the stated pulses over the pulses a train holds when they divide."""
        if self.trains is not None:
            return self.trains
        per_train = self.pulses_per_train()
        if per_train and self.pulses is not None and self.pulses % per_train == 0:
            return self.pulses // per_train
        return None

    def total_pulses(self) -> int | None:
        per_train, trains = self.pulses_per_train(), self.train_count()
        if per_train is not None and trains is not None:
            return per_train * trains
        return self.pulses

    def seconds(self) -> tuple[float | None, float | None]:
        """Seconds from the first pulse to the last, and with the interval after the last train."""
        if self.pattern == "continuous":
            if self.pulses is None:
                return None, None
            return self.pulses / self.frequency_hz, self.pulses / self.frequency_hz
        trains = self.train_count()
        if self.train_s is None or trains is None or self.inter_train_s is None:
            return None, None
        without = trains * self.train_s + (trains - 1) * self.inter_train_s
        return without, without + self.inter_train_s


class FdaStatus(Cited):
    status: Literal["cleared", "not_cleared", "unknown"]
    device: str | None = None
    clearance: str | None = None
    date: str | None = None
    indication: str | None = None


class TmsSchedule(Cited):
    sessions_per_day: int = Field(default=1, ge=1)
    # minimum minutes between the starts of two sessions on one day (accelerated courses)
    inter_session_minutes: int | None = Field(default=None, gt=0)
    sessions_per_week: int | None = Field(default=None, ge=1, le=7)
    # consecutive treatment days (accelerated courses), else the acute sessions fix the length
    days: int | None = Field(default=None, gt=0)
    acute_sessions: int | None = Field(default=None, gt=0)
    # taper: sessions in each week after the acute course, e.g. (3, 2, 1)
    taper_per_week: tuple[int, ...] = ()


class TmsProtocol(Cited):
    id: str
    name: str
    blocks: tuple[TmsBlock, ...] = Field(min_length=1)
    schedule: TmsSchedule
    fda: FdaStatus
    course_rule: str | None = None
    # the protocol's intensity is a percentage of a depth-adjusted motor threshold
    depth_adjusted_mt: bool = False
    # parameters the sources read do not confirm: shown with the protocol, never guessed
    unconfirmed: tuple[str, ...] = ()
    note: str | None = None


class ScreenItem(Strict):
    """A safety-screen question, and how the device labels and the IFCN safety guidance
    (Rossi 2009, its 2011 update, Rossi 2021) treat a yes."""

    id: str
    question: str
    topic: str
    label: Literal["contraindication", "precaution", "not_addressed"]
    label_sources: Citations = ()
    guidance: Literal["contraindication", "caution", "not_contraindicated", "not_addressed"]
    guidance_sources: Citations = ()
    note: str | None = None

    @model_validator(mode="after")
    def _cited(self) -> ScreenItem:
        if self.label != "not_addressed":
            _cited(self.label_sources)
        if self.guidance != "not_addressed":
            _cited(self.guidance_sources)
        if self.label == "not_addressed" and self.guidance == "not_addressed":
            raise ValueError("an item neither the label nor the guidance addresses does not belong in the screen")
        return self


class EligibilityCriterion(Cited):
    id: str
    kind: Literal["diagnosis", "failed_antidepressants", "min_age"]
    text: str
    diagnoses: tuple[str, ...] = ()
    count: int | None = None
    age: int | None = None


class TrainLimit(Cited):
    """A published maximum safe single-train duration (only cells read in the primary source)."""

    frequency_hz: float
    intensity_pct_mt: float
    max_train_s: float
    # the cell is a lower bound ("> 10 s"): no limit was reached in the source's testing
    open_ended: bool = False


class Checkpoint(Cited):
    """After a number of sessions, the improvement on the tracked scale decides the next step."""

    after_sessions: int = Field(gt=0)
    # improvement from baseline (%) at or above which the course may be extended
    extend_at_pct: float | None = None
    extension_sessions: int | None = None
    extension_taper: int | None = None
    # remission on the tracked scale at the checkpoint leads to the taper
    taper_on_remission: bool = False
    text: str


class CourseRule(Cited):
    id: str
    name: str
    kind: Literal["payer", "protocol", "consensus"]
    acute_sessions: int = Field(gt=0)
    taper_sessions: int = Field(default=0, ge=0)
    checkpoints: tuple[Checkpoint, ...] = ()
    note: str | None = None


class BeamF3(Cited):
    """The constants of the Beam F3 calculator's formula (rules/tms.py implements it)."""

    nasion_inion_fraction: float
    tragus_tragus_fraction: float
    fz_line_angle_deg: float
    fp1_c3_angle_deg: float
    y_scale: float
    # Mir-Moghtadaei 2015: the MRI-guided target's distance from the vertex exceeded Beam F3's Y by this much on average
    adjusted_y_cm: float | None = None
    adjusted_y_sources: Citations = ()


class RuleSite(Cited):
    id: str
    name: str
    distance_cm: float
    text: str


class MtPolicy(Cited):
    id: str
    name: str
    redetermine_days: int = Field(gt=0)


class TmsDose(Strict):
    # extra %MSO per mm of extra scalp-cortex distance at the target (Stokes 2005)
    depth_pct_per_mm: float | None = None
    depth_sources: Citations = ()
    # visual MT is higher than EMG MT on average (Westin 2014): a warning, not a correction
    visual_note: str | None = None
    visual_sources: Citations = ()
    mt_policies: tuple[MtPolicy, ...] = ()
    default_mt_policy: str


class TmsFile(FileHeader):
    protocols: tuple[TmsProtocol, ...]
    screen: tuple[ScreenItem, ...]
    eligibility: tuple[EligibilityCriterion, ...]
    train_limits: tuple[TrainLimit, ...] = ()
    # what every train-limit check says about the table's coil and population (cited)
    train_limit_note: str | None = None
    train_limit_sources: Citations = ()
    # an inter-train interval at or under this many seconds gets the source's caution
    interval_caution_s: float | None = None
    interval_caution: str | None = None
    interval_caution_sources: Citations = ()
    # trdnav conventions (cited as such): how far after a checkpoint session a score still
    # counts, and how old a baseline may be before it is flagged
    checkpoint_window_days: int = Field(gt=0)
    baseline_window_days: int = Field(gt=0)
    window_sources: Citations
    course_rules: tuple[CourseRule, ...]
    beam_f3: BeamF3
    rule_sites: tuple[RuleSite, ...] = ()
    dose: TmsDose
    # a drug set of safety.yaml whose members lower the seizure threshold (a screen risk factor)
    seizure_risk_set: str | None = None
