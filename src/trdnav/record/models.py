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
