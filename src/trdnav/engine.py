"""assess(): the one way into the engine.

Pure: the record, the knowledge base, the assessment date and the adequacy profile are
arguments; nothing reads a clock, a file or the environment. Same input, same output.
"""

from __future__ import annotations

from datetime import date

from trdnav import __version__
from trdnav.assessment import (
    ASSESSMENT_FORMAT_VERSION,
    Assessment,
    Basis,
    Citation,
    EpisodeSummary,
    Fact,
    Proposal,
    TrialFinding,
    Warning,
)
from trdnav.knowledge.loader import KnowledgeBase, normalise_name, source_id
from trdnav.record.errors import Problem, RecordError
from trdnav.record.models import Record
from trdnav.record.normalise import NTrial, normalise, suggest
from trdnav.rules.context import Context
from trdnav.rules.definitions import evaluate_all
from trdnav.rules.pgx import phenotypes
from trdnav.rules.pgx_guidance import regimen
from trdnav.rules.planner import plan
from trdnav.rules.pseudo import run_checks
from trdnav.rules.safety import check as check_safety
from trdnav.rules.scales import safety_warnings, trajectories
from trdnav.rules.staging import DAYS_PER_MONTH, stage_all
from trdnav.rules.timeline import RULE_ROLE, optimised
from trdnav.rules.tms import courses as tms_courses


def assess(
    record: Record,
    kb: KnowledgeBase,
    *,
    as_of: date,
    profile: str | None = None,
    proposal: Proposal | None = None,
    level_profiles: dict[str, str] | None = None,
) -> Assessment:
    """Assess a record (and, with `proposal`, the regimen after a change). Raises RecordError
    (naming each bad field or option) for unusable input."""
    profile_id = profile or kb.adequacy.default_profile
    if profile_id not in kb.profile_by_id:
        raise RecordError([Problem("profile", repr(profile_id), f"one of {sorted(kb.profile_by_id)}")])
    _check_options(kb, proposal, level_profiles)
    normalised = normalise(record, kb, as_of)
    ctx = Context(normalised, kb)
    chosen = kb.profile_by_id[profile_id]
    current = normalised.current_episode
    current_id = current.id if current else None

    trials = tuple(_trial_finding(ctx, t, chosen.id, chosen.min_weeks, current_id) for t in normalised.trials)
    definitions = evaluate_all(ctx)
    stages = stage_all(ctx)
    scales = trajectories(ctx)
    checks = run_checks(ctx)
    pgx = phenotypes(ctx)
    pgx_regimen = regimen(ctx, pgx, trials)
    age = _age(record, as_of)
    safety = check_safety(ctx, pgx, age, proposal, level_profiles)
    next_steps = plan(ctx, trials, pgx, pgx_regimen, safety, checks, age, as_of)
    tms = tms_courses(ctx, trials, age, definitions)
    warnings = safety_warnings(ctx) + tuple(
        Warning("input", w.rule, w.field, w.message, w.sources) for w in normalised.warnings
    )

    bases: list[Basis] = [t.adequacy.basis for t in trials] + [t.outcome.basis for t in trials]
    bases += [d.basis for d in definitions] + [s.basis for s in stages]
    bases += [s.basis for s in scales] + [c.basis for c in checks] + [g.basis for g in pgx]
    if pgx_regimen is not None:
        bases += [x.basis for x in pgx_regimen.expressed] + [f.basis for f in pgx_regimen.flags]
        bases += [g.basis for d in pgx_regimen.drugs for g in d.guidance]
    bases += [f.basis for f in safety.findings] + [w.basis for w in safety.washouts]
    bases += [s.basis for s in next_steps.options]
    if next_steps.population_basis is not None:
        bases.append(next_steps.population_basis)
    for course in tms:
        bases += [course.protocol.basis, course.dose.basis, course.progress.basis]
        bases += [b.train_limit.basis for b in course.protocol.blocks]
        bases += [c.basis for c in course.eligibility.criteria] + [f.basis for f in course.eligibility.screen]
        if course.target is not None:
            bases.append(course.target.basis)
    cited = {source_id(c) for b in bases for c in b.sources}
    cited |= {source_id(c) for w in warnings for c in w.sources}
    cited |= {source_id(c) for c in chosen.sources}

    return Assessment(
        format_version=ASSESSMENT_FORMAT_VERSION,
        engine_version=__version__,
        kb_version=kb.kb_version,
        as_of=as_of,
        patient_id=record.patient.id,
        age=age,
        profile=chosen.id,
        current_episode=_episode_summary(ctx, as_of),
        warnings=warnings,
        trials=trials,
        definitions=definitions,
        stages=stages,
        scales=scales,
        checks=checks,
        pharmacogenetics=pgx,
        pgx_regimen=pgx_regimen,
        safety=safety,
        next_steps=next_steps,
        tms=tms,
        citations=tuple(_citation(kb, sid) for sid in sorted(cited)),
    )


def _trial_finding(ctx: Context, t: NTrial, profile_id: str, min_weeks: float, current_id: str | None) -> TrialFinding:
    role = ctx.roles[t.trial.id]
    if role.inferred:
        running = f"started while {', '.join(role.base_trials)} ran" if role.base_trials else "nothing else running"
        role_basis = Basis(
            RULE_ROLE,
            (Fact(f"{t.path}.start", f"{t.trial.start}: {running}"),),
            ("trdnav-conventions role inferred from overlapping trials",),
        )
    else:
        role_basis = Basis(RULE_ROLE, (Fact(f"{t.path}.role", role.role),))
    return TrialFinding(
        trial_id=t.trial.id,
        treatment=t.drug.name,
        drug_id=t.drug.id,
        kind=t.drug.kind,
        classes=t.drug.classes,
        antidepressant=t.drug.antidepressant,
        role=role.role,
        role_inferred=role.inferred,
        role_basis=role_basis,
        base_trials=role.base_trials,
        episode_id=t.episode_id,
        current_episode=t.episode_id is not None and t.episode_id == current_id,
        start=t.trial.start,
        stop=t.trial.stop,
        weeks=round(t.weeks, 1),
        max_dose=t.max_dose,
        dose_unit=t.drug.dose_unit,
        optimised=optimised(t),
        adequacy=ctx.adequacy(t, profile_id, min_weeks),
        outcome=ctx.outcome(t, min_weeks),
    )


def _check_options(kb: KnowledgeBase, proposal: Proposal | None, level_profiles: dict[str, str] | None) -> None:
    """A proposed drug trdnav does not know, or an unknown level profile, is bad input."""
    problems = []
    if proposal is not None:
        for option, names in (("add", proposal.add), ("stop", proposal.stop), ("start", proposal.start)):
            for name in names:
                in_catalog = normalise_name(name) in kb.drug_by_name
                # a drug outside the catalog that a rule reads (linezolid, ibuprofen) may be added
                if not in_catalog and not (option == "add" and normalise_name(name) in kb.other_drug_names):
                    hint = suggest(name, list(kb.drug_by_name))
                    problems.append(Problem(f"--{option}", repr(name), f"a treatment in the knowledge base{hint}"))
        if proposal.start and proposal.on is None:
            problems.append(Problem("--on", "nothing", "the date the change is made"))
    for drug, profile_id in (level_profiles or {}).items():
        known = [p.id for p in kb.safety.level_profiles if p.drug == drug]
        if profile_id not in known:
            problems.append(
                Problem(f"--level-profile {drug}", repr(profile_id), f"one of {', '.join(known) or 'none'}")
            )
    if problems:
        raise RecordError(problems)


def _age(record: Record, as_of: date) -> int | None:
    birth = record.patient.birth_date
    if birth is None:
        return None
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def _episode_summary(ctx: Context, as_of: date) -> EpisodeSummary | None:
    episode = ctx.record.current_episode
    if episode is None:
        return None
    end = episode.end or as_of
    return EpisodeSummary(
        episode_id=episode.id,
        start=episode.start,
        end=episode.end,
        months=round((end - episode.start).days / DAYS_PER_MONTH, 1),
        diagnosis=episode.diagnosis,
        psychotic_features=episode.psychotic_features,
        severity=episode.severity,
    )


def _citation(kb: KnowledgeBase, sid: str) -> Citation:
    s = kb.source_by_id[sid]
    return Citation(s.id, s.kind, s.title, s.authors, s.year, s.publication, s.url, s.verification)
