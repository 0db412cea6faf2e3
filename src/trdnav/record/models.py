"""The native patient record: what a prescriber writes or an EHR export produces.

These pydantic models are the edge of the system: they check the structure of a
record (types, required fields, allowed values). Checks that need the knowledge base
(drug names, scale items, dose units) or the assessment date live in ``normalise``.
``docs/record.schema.json`` is exported from ``Record``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RECORD_FORMAT_VERSION: Literal[1] = 1


class Strict(BaseModel):
    # strict: JSON true is not the number 1 and 1709251200 is not a date. Records are
    # validated from JSON text (record.parse), where strict mode still reads ISO dates.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Patient(Strict):
    id: str = Field(description="Local identifier; never a name.")
    birth_date: dt.date | None = None
    sex: Literal["female", "male", "other", "unknown"] = "unknown"


class Episode(Strict):
    """A depressive episode. The current episode is the latest one not ended."""

    id: str
    start: dt.date
    end: dt.date | None = Field(default=None, description="Omit while the episode goes on.")
    diagnosis: Literal["mdd", "bipolar_i", "bipolar_ii", "bipolar_other", "other"] = Field(
        default="mdd", description="Diagnosis of this episode; bipolar depression is excluded by most TRD definitions."
    )
    psychotic_features: bool | None = None
    mixed_features: bool | None = None
    severity: Literal["subsyndromal", "mild", "moderate", "severe"] | None = Field(
        default=None, description="Clinician-rated severity at the start of the episode (used by the Maudsley method)."
    )


class DoseStep(Strict):
    """The dose from this date until the next step (or the trial's stop)."""

    date: dt.date
    dose: float = Field(
        ge=0, allow_inf_nan=False, description="Amount per day (per session for esketamine, mg/kg for IV ketamine)."
    )
    unit: str | None = Field(default=None, description="Must match the knowledge base unit for the drug if given.")


StopReason = Literal[
    "non_response",
    "partial_response",
    "intolerance",
    "remission",
    "patient_choice",
    "cost_or_access",
    "other",
    "unknown",
]


class Trial(Strict):
    """One treatment trial: a drug, a neuromodulation course or a psychotherapy."""

    id: str
    treatment: str = Field(description="Generic or brand name, as in the knowledge base (case-insensitive).")
    episode: str | None = Field(default=None, description="Episode id; by default the episode containing the start.")
    start: dt.date
    stop: dt.date | None = Field(default=None, description="Omit while the trial goes on.")
    doses: tuple[DoseStep, ...] = ()
    sessions: int | None = Field(default=None, ge=0, description="Sessions given (ECT, TMS, psychotherapy).")
    ect_placement: Literal["bilateral", "right_unilateral", "bifrontal"] | None = None
    adherence: Literal["good", "partial", "poor", "unknown"] = "unknown"
    reason_stopped: StopReason | None = None
    role: Literal["monotherapy", "augmentation", "combination"] | None = Field(
        default=None, description="Omit to let trdnav infer it from overlapping trials."
    )
    base_trials: tuple[str, ...] = Field(
        default=(), description="For augmentation or combination: the trial ids it was added to."
    )
    clinician_outcome: Literal["remission", "response", "partial_response", "non_response"] | None = None
    clinician_adequate: bool | None = Field(
        default=None, description="Clinician's judgement that the course was adequate (used where no rule applies)."
    )
    side_effects: tuple[str, ...] = ()
    notes: str | None = None

    @field_validator("doses")
    @classmethod
    def _doses_in_order(cls, doses: tuple[DoseStep, ...]) -> tuple[DoseStep, ...]:
        dates = [step.date for step in doses]
        if dates != sorted(dates):
            raise ValueError("dose steps listed in date order")
        if len(set(dates)) != len(dates):
            raise ValueError("dose steps on different dates (two share a date)")
        return doses


class ScaleScore(Strict):
    """One administration of a symptom scale: item answers, a total, or both."""

    instrument: str = Field(description="phq9, qids_sr16, madrs or hamd17 (names and aliases accepted).")
    date: dt.date
    items: tuple[int, ...] | None = None
    total: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _has_score(self) -> ScaleScore:
        if self.items is None and self.total is None:
            raise ValueError("give the item answers ('items') or the 'total'")
        return self


class Condition(Strict):
    name: str | None = None
    code: str | None = Field(default=None, description="ICD-10 code, e.g. F31.4.")
    status: Literal["active", "resolved", "history"] = "active"
    onset: dt.date | None = None

    @model_validator(mode="after")
    def _named(self) -> Condition:
        if not (self.name or self.code):
            raise ValueError("a condition needs a 'name' or a 'code'")
        return self


class Medication(Strict):
    """A current co-medication (any drug, psychiatric or not)."""

    drug: str
    dose: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    unit: str | None = None
    start: dt.date | None = None


class Lab(Strict):
    test: str = Field(description="e.g. tsh, free_t4, lithium.")
    date: dt.date
    value: float | None = Field(default=None, allow_inf_nan=False)
    unit: str | None = None
    interpretation: Literal["normal", "high", "low", "abnormal"] | None = Field(
        default=None, description="The laboratory's own flag against its reference range."
    )


class Screen(Strict):
    """A recorded screen for a pseudo-resistance question (e.g. MDQ for bipolarity)."""

    topic: Literal["bipolarity", "substance_use", "thyroid"]
    date: dt.date
    result: Literal["negative", "positive"]
    instrument: str | None = None


class Genotype(Strict):
    """A lab's pharmacogenetic result, stored as given (interpreted by the PGx module)."""

    gene: str
    diplotype: str | None = None
    activity_score: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    phenotype: str | None = None
    lab: str | None = None
    date: dt.date | None = None

    @model_validator(mode="after")
    def _has_result(self) -> Genotype:
        if self.diplotype is None and self.activity_score is None and self.phenotype is None:
            raise ValueError("give a 'diplotype', an 'activity_score' or a 'phenotype'")
        return self


# Plausibility bounds for tape measurements of an adult head, in cm: wide enough for any
# adult head, narrow enough to catch a unit slip (mm for cm) or a typo. A convention of
# trdnav's input checks (docs/tms.md), not a clinical threshold.
HEAD_CM = {"tragus_tragus": (20.0, 50.0), "nasion_inion": (20.0, 50.0), "circumference": (40.0, 75.0)}


class HeadMeasurements(Strict):
    """Tape measurements for scalp targeting (Beam F3), in centimetres, over the vertex."""

    tragus_tragus: float = Field(ge=HEAD_CM["tragus_tragus"][0], le=HEAD_CM["tragus_tragus"][1])
    nasion_inion: float = Field(ge=HEAD_CM["nasion_inion"][0], le=HEAD_CM["nasion_inion"][1])
    circumference: float = Field(ge=HEAD_CM["circumference"][0], le=HEAD_CM["circumference"][1])


class MotorThreshold(Strict):
    """A resting motor threshold determination, as % of the stimulator's maximum output."""

    date: dt.date
    output_pct: float = Field(gt=0, le=100, allow_inf_nan=False, description="% of maximum stimulator output.")
    method: Literal["emg", "visual"] = Field(description="MEPs recorded by EMG, or a visible twitch.")
    procedure: Literal["five_of_ten", "adaptive", "other"] | None = Field(
        default=None, description="five_of_ten (relative frequency), adaptive (threshold hunting / PEST), other."
    )
    muscle: str | None = None
    coil: str | None = None


class CoilDepth(Strict):
    """Scalp-to-cortex distances (mm) under the coil at the motor hotspot and at the target."""

    motor_mm: float = Field(gt=0, le=50, allow_inf_nan=False)
    target_mm: float = Field(gt=0, le=50, allow_inf_nan=False)


class TmsSession(Strict):
    """One delivered TMS session, as a session log row."""

    date: dt.date
    protocol: str | None = Field(default=None, description="Protocol id; by default the course's protocol.")
    intensity_pct_mt: float | None = Field(default=None, gt=0, le=200, allow_inf_nan=False)
    output_pct: float | None = Field(
        default=None, gt=0, le=100, allow_inf_nan=False, description="Stimulator output set, % of maximum."
    )
    pulses: int | None = Field(default=None, ge=0, le=100_000)
    side_effects: tuple[str, ...] = ()
    notes: str | None = None


class TmsScreenAnswer(Strict):
    item: str = Field(description="A screening item id from the knowledge base (trdnav kb tms).")
    answer: Literal["yes", "no", "unknown"]
    detail: str | None = None


class TmsCourse(Strict):
    """A TMS course: plan, safety screen, motor thresholds and the session log."""

    id: str
    protocol: str = Field(description="Protocol id from the knowledge base (trdnav tms protocols).")
    start: dt.date
    trial: str | None = Field(default=None, description="The trial id that records this course for the TRD rules.")
    course_rule: str | None = Field(default=None, description="Course rule set id; by default the protocol's.")
    head: HeadMeasurements | None = None
    targeting: Literal["beam_f3", "5cm", "5.5cm", "neuronavigation", "other"] | None = None
    depth: CoilDepth | None = None
    screen_date: dt.date | None = None
    screen: tuple[TmsScreenAnswer, ...] = ()
    motor_thresholds: tuple[MotorThreshold, ...] = ()
    sessions: tuple[TmsSession, ...] = ()
    holidays: tuple[dt.date, ...] = Field(default=(), description="Clinic closure days the schedule skips.")
    mt_redetermine_days: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="The clinic's motor-threshold re-determination interval (default weekly).",
    )
    taper_per_week: tuple[int, ...] = Field(
        default=(), description="The clinic's taper pattern: sessions in each week after the acute course, e.g. [3, 2]."
    )
    scale: str = Field(default="phq9", description="The scale response is tracked on.")

    @model_validator(mode="after")
    def _dates(self) -> TmsCourse:
        for name, rows in (("sessions", self.sessions), ("motor_thresholds", self.motor_thresholds)):
            dates = [row.date for row in rows]
            if dates != sorted(dates):
                raise ValueError(f"{name} listed in date order")
        items = [a.item for a in self.screen]
        if len(set(items)) != len(items):
            raise ValueError("each screening item answered once")
        return self


class Record(Strict):
    """A patient's record in trdnav's native JSON format."""

    format_version: Literal[1] = RECORD_FORMAT_VERSION
    patient: Patient
    episodes: tuple[Episode, ...] = ()
    trials: tuple[Trial, ...] = ()
    scales: tuple[ScaleScore, ...] = ()
    conditions: tuple[Condition, ...] = ()
    medications: tuple[Medication, ...] = ()
    labs: tuple[Lab, ...] = ()
    screens: tuple[Screen, ...] = ()
    genotypes: tuple[Genotype, ...] = ()
    tms_courses: tuple[TmsCourse, ...] = ()
