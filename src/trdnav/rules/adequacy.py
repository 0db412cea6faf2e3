"""Trial adequacy: dose at or above the profile's floor for long enough, and taken.

Backed by the adequacy profiles in ``knowledge/data/adequacy.yaml`` (CANMAT 2023 dose
ranges; 4 weeks after Sforzini 2022 and Rybak 2021, 6 weeks after MGH-S). The weeks must
be unbroken at or above the floor. Courses counted in sessions use the KB's
course minimums; where the KB has none (ECT, psychotherapy), the clinician's recorded
judgement decides, and without it the answer is "unknown".
"""

from __future__ import annotations

from trdnav.assessment import Adequacy, AdequacyStatus, Basis, Fact
from trdnav.knowledge.loader import KnowledgeBase
from trdnav.knowledge.schema import AdequacyProfile
from trdnav.record.normalise import NTrial
from trdnav.rules.timeline import weeks_at_or_above

RULE_DOSE = "adequacy.dose_duration"
RULE_COURSE = "adequacy.course_sessions"
RULE_CLINICIAN = "adequacy.clinician_judgement"


def dose_floor(trial: NTrial, profile: AdequacyProfile) -> tuple[float, tuple[str, ...]] | None:
    drug = trial.drug
    if profile.dose_floor == "usual_range_min":
        if drug.usual_range is None:
            return None
        return drug.usual_range.min, tuple(drug.usual_range.sources)
    floor = drug.adequate_dose.get(profile.dose_floor)
    return (floor.min, tuple(floor.sources)) if floor else None


def assess_adequacy(trial: NTrial, kb: KnowledgeBase, profile: AdequacyProfile, min_weeks: float) -> Adequacy:
    if trial.drug.kind == "medication":
        return _medication(trial, profile, min_weeks)
    return _course(trial, kb, profile, min_weeks)


def _adherence(trial: NTrial) -> tuple[list[str], list[str]]:
    """(reasons it is inadequate, caveats)"""
    adherence = trial.trial.adherence
    if adherence in ("poor", "partial"):
        return [f"adherence recorded as {adherence}"], []
    if adherence == "unknown":
        return [], ["adherence not recorded"]
    return [], []


def _medication(trial: NTrial, profile: AdequacyProfile, min_weeks: float) -> Adequacy:
    drug = trial.drug
    path = trial.path
    facts = [Fact(f"{path}.treatment", trial.trial.treatment)]
    sources = list(profile.sources)
    floor = dose_floor(trial, profile)
    if floor is None:
        return Adequacy(
            "unknown",
            profile.id,
            None,
            None,
            min_weeks,
            (f"no minimum adequate dose for {drug.name} in profile {profile.id}",),
            Basis(
                RULE_DOSE,
                tuple(facts),
                tuple(sources),
                (f"a cited minimum adequate dose for {drug.name} (knowledge/GAPS.md)",),
            ),
        )
    floor_value, floor_sources = floor
    sources = list(dict.fromkeys([*sources, *floor_sources]))
    if not trial.trial.doses:
        return Adequacy(
            "unknown",
            profile.id,
            floor_value,
            None,
            min_weeks,
            ("no dose recorded",),
            Basis(RULE_DOSE, tuple(facts), tuple(sources), (f"{path}.doses: the doses taken and their dates",)),
        )
    facts.append(Fact(f"{path}.doses", ", ".join(f"{s.dose:g} from {s.date}" for s in trial.trial.doses)))
    facts.append(Fact(f"{path}.adherence", trial.trial.adherence))
    weeks = round(weeks_at_or_above(trial, floor_value), 1)
    unit = drug.dose_unit
    reasons = [f"{weeks:g} weeks at or above {floor_value:g} {unit} without a break (needs {min_weeks:g})"]
    if trial.ongoing and weeks < min_weeks <= trial.weeks:
        reasons.append("so far, in a trial still running")
    bad, caveats = _adherence(trial)
    missing = tuple(f"{path}.adherence" for _ in caveats)
    if weeks < min_weeks:
        if trial.ongoing and not bad and trial.weeks < min_weeks:
            status: AdequacyStatus = "unknown"
            reasons.append("trial still running: not yet long enough to judge")
        else:
            status = "inadequate"
            reasons.append(
                "too short at an adequate dose" if weeks > 0 else f"dose never reached {floor_value:g} {unit}"
            )
    else:
        status = "inadequate" if bad else "adequate"
    reasons.extend(bad)
    reasons.extend(caveats)
    return Adequacy(
        status,
        profile.id,
        floor_value,
        weeks,
        min_weeks,
        tuple(reasons),
        Basis(RULE_DOSE, tuple(facts), tuple(sources), missing),
    )


def _course(trial: NTrial, kb: KnowledgeBase, profile: AdequacyProfile, min_weeks: float) -> Adequacy:
    path = trial.path
    minimum = next((m for m in kb.adequacy.course_minimums if m.treatment == trial.drug.id), None)
    sessions = trial.trial.sessions
    facts = [Fact(f"{path}.treatment", trial.trial.treatment)]
    if minimum is not None and sessions is not None:
        facts.append(Fact(f"{path}.sessions", str(sessions)))
        enough = sessions >= minimum.min_sessions
        status: AdequacyStatus = "adequate" if enough else ("unknown" if trial.ongoing else "inadequate")
        reasons = (f"{sessions} sessions (standard course starts at {minimum.min_sessions})",)
        return Adequacy(
            status, profile.id, None, None, min_weeks, reasons, Basis(RULE_COURSE, tuple(facts), tuple(minimum.sources))
        )
    judged = trial.trial.clinician_adequate
    if judged is not None:
        facts.append(Fact(f"{path}.clinician_adequate", str(judged).lower()))
        return Adequacy(
            "adequate" if judged else "inadequate",
            profile.id,
            None,
            None,
            min_weeks,
            ("clinician's judgement of the course",),
            Basis(RULE_CLINICIAN, tuple(facts), ("trdnav-conventions clinician judgement of course adequacy",)),
        )
    wanted = f"{path}.sessions" if minimum is not None else f"{path}.clinician_adequate"
    return Adequacy(
        "unknown",
        profile.id,
        None,
        None,
        min_weeks,
        ("course adequacy not recorded",),
        Basis(
            RULE_CLINICIAN if minimum is None else RULE_COURSE,
            tuple(facts),
            tuple(minimum.sources) if minimum else ("trdnav-conventions clinician judgement of course adequacy",),
            (wanted,),
        ),
    )
