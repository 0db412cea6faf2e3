"""TMS: protocol timing, safety screen and eligibility, Beam F3 target, dose, schedule, progress.

Every number (protocol parameters, formula constants, limits, course rules) comes from the
knowledge base's tms.yaml; this module holds the arithmetic and the decisions only.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from trdnav.assessment import (
    Basis,
    CheckpointResult,
    CriterionResult,
    DefinitionVerdict,
    Fact,
    ScheduledSession,
    ScreenFinding,
    TargetPosition,
    TmsBlockTiming,
    TmsCourseFinding,
    TmsDoseView,
    TmsEligibility,
    TmsProgress,
    TmsProtocolView,
    TrainLimitCheck,
    TrialFinding,
)
from trdnav.knowledge.loader import KnowledgeBase
from trdnav.knowledge.schema import Checkpoint, CourseRule, Scale, TmsBlock, TmsProtocol
from trdnav.record.models import HeadMeasurements, TmsCourse
from trdnav.record.normalise import NScore
from trdnav.rules.context import Context
from trdnav.rules.safety import _in, _members

RULE_PROTOCOL = "tms.protocol"
RULE_TRAIN_LIMIT = "tms.train_limit"
RULE_SCREEN = "tms.screen"
RULE_ELIGIBILITY = "tms.eligibility"
RULE_TARGET = "tms.target.beam_f3"
RULE_DOSE = "tms.dose"
RULE_PROGRESS = "tms.progress"

CONVENTION = (
    "session time runs from the first pulse to the last; 'with trailing interval' adds the "
    "pause after the last train, as many published session lengths do"
)


# --- protocol timing ------------------------------------------------------------------------


def train_limit(block: TmsBlock, kb: KnowledgeBase, intensity: float | None = None) -> TrainLimitCheck:
    """Check a block's train length against a confirmed published maximum for its frequency
    and intensity: the cell at the block's frequency and the next intensity at or above it."""
    tms = kb.tms
    intensity = intensity if intensity is not None else block.intensity_pct_mt
    facts = (Fact("frequency_hz", f"{block.frequency_hz:g}"), Fact("intensity_pct_mt", str(intensity)))
    note = f" {tms.train_limit_note}" if tms.train_limit_note else ""
    caution = tms.interval_caution_s
    if caution is not None and block.inter_train_s is not None and block.inter_train_s <= caution:
        note = f" Caution: {tms.interval_caution}.{note}"
    sources = (*tms.train_limit_sources, *(tms.interval_caution_sources if "Caution:" in note else ()))
    if block.pattern == "train" and block.train_s is None:
        return TrainLimitCheck(
            "unknown",
            None,
            "train length not confirmed: the train limit cannot be checked.",
            Basis(RULE_TRAIN_LIMIT, facts, missing=("train_s",)),
        )
    if block.pattern != "train" or block.train_s is None:
        return TrainLimitCheck(
            "no_confirmed_limit",
            None,
            f"no confirmed train-duration limit for {block.pattern.replace('_', ' ')} stimulation.{note}",
            Basis(RULE_TRAIN_LIMIT, facts, sources),
        )
    if intensity is None:
        return TrainLimitCheck(
            "unknown",
            None,
            "intensity unknown: the train length cannot be checked.",
            Basis(RULE_TRAIN_LIMIT, facts, missing=("intensity_pct_mt",)),
        )
    cells = sorted(
        (c for c in tms.train_limits if c.frequency_hz == block.frequency_hz and c.intensity_pct_mt >= intensity),
        key=lambda c: c.intensity_pct_mt,
    )
    if not cells:
        return TrainLimitCheck(
            "no_confirmed_limit",
            None,
            f"no confirmed limit for {block.frequency_hz:g} Hz at {intensity:g}% MT.{note}",
            Basis(RULE_TRAIN_LIMIT, facts, sources),
        )
    cell = cells[0]
    within = block.train_s <= cell.max_train_s
    bound = ">" if cell.open_ended else ""
    return TrainLimitCheck(
        "within" if within else "exceeds",
        cell.max_train_s,
        f"{block.train_s:g} s train at {block.frequency_hz:g} Hz, {intensity:g}% MT: "
        f"{'within' if within else 'EXCEEDS'} the published maximum of {bound}{cell.max_train_s:g} s "
        f"(cell {cell.intensity_pct_mt:g}% MT).{note}",
        Basis(RULE_TRAIN_LIMIT, facts, (*cell.sources, *sources)),
    )


def block_view(b: TmsBlock, kb: KnowledgeBase) -> TmsBlockTiming:
    """A block's parameters with its pulses and session time computed and its train length checked."""
    seconds, trailing = b.seconds()
    return TmsBlockTiming(
        site=b.site,
        pattern=b.pattern,
        frequency_hz=b.frequency_hz,
        intensity_pct_mt=b.intensity_pct_mt,
        train_s=b.train_s,
        inter_train_s=b.inter_train_s,
        trains=b.train_count(),
        pulses_per_train=b.pulses_per_train(),
        pulses=b.total_pulses(),
        seconds=seconds,
        seconds_with_trailing=trailing,
        train_limit=train_limit(b, kb),
    )


def protocol_view(protocol: TmsProtocol, kb: KnowledgeBase) -> TmsProtocolView:
    blocks = [block_view(b, kb) for b in protocol.blocks]
    pulses = [x.pulses for x in blocks]
    times = [x.seconds for x in blocks]
    trailing_times = [x.seconds_with_trailing for x in blocks]
    fda = protocol.fda
    fda_text = {
        "cleared": f"FDA cleared{_join(' (', fda.device, fda.clearance, fda.date, ')')}",
        "not_cleared": "not FDA cleared",
        "unknown": "FDA status not confirmed",
    }[fda.status]
    if fda.indication:
        fda_text += f": {fda.indication}"
    sources = [*protocol.sources, *protocol.schedule.sources, *fda.sources]
    for b in protocol.blocks:
        sources += b.sources
    return TmsProtocolView(
        protocol_id=protocol.id,
        name=protocol.name,
        blocks=tuple(blocks),
        pulses_per_session=sum(p for p in pulses if p is not None) if None not in pulses else None,
        minutes=_minutes(times),
        minutes_with_trailing=_minutes(trailing_times),
        sessions_per_day=protocol.schedule.sessions_per_day,
        inter_session_minutes=protocol.schedule.inter_session_minutes,
        sessions_per_week=protocol.schedule.sessions_per_week,
        acute_sessions=protocol.schedule.acute_sessions,
        fda=fda_text,
        unconfirmed=protocol.unconfirmed,
        note=protocol.note,
        basis=Basis(RULE_PROTOCOL, (Fact("protocol", protocol.id),), tuple(dict.fromkeys(sources))),
    )


def _minutes(seconds: list[float | None]) -> float | None:
    if None in seconds:
        return None
    return round(sum(s for s in seconds if s is not None) / 60, 1)


def _join(before: str, *parts: str | None) -> str:
    inner = [p for p in parts[:-1] if p]
    return f"{before}{', '.join(inner)}{parts[-1]}" if inner else ""


# --- targeting ------------------------------------------------------------------------------


def beam_f3(head: HeadMeasurements, kb: KnowledgeBase) -> TargetPosition:
    """Beam F3 X and Y (cm) by the calculator's formula: a flattened map centred on the vertex,
    where F3 is where the line through Fz meets the line from Fp1 to C3 (10-20 positions
    placed at the method's fractions of the nasion-inion and tragus-tragus arcs)."""
    c = kb.tms.beam_f3
    r1 = c.nasion_inion_fraction * head.nasion_inion
    r2 = c.tragus_tragus_fraction * head.tragus_tragus
    a1, a2 = math.radians(c.fz_line_angle_deg), math.radians(c.fp1_c3_angle_deg)
    slope_a = (r2 * math.sin(a1) + r1 / 2) / r2
    # the Fp1-C3 line's slope is num/den; den is 0 when TT is about 0.94 x NI (a normal head),
    # so the intersection is computed without dividing by it
    num, den = r1 * math.sin(a2), r1 * math.cos(a2) - r2 / 2
    x = (r1 * den - r2 * num) / (2 * (slope_a * den - num))
    y = slope_a * x - r1 / 2
    theta = math.degrees(math.atan(y / x))
    y_cm = c.y_scale * math.hypot(x, y)
    x_cm = head.circumference / 4 * (90 + theta) / 90
    adjusted = y_cm + c.adjusted_y_cm if c.adjusted_y_cm is not None else None
    steps: tuple[str, ...] = (
        f"Mark the vertex: where the nasion-inion and tragus-tragus lines cross over the top of the head, "
        f"halfway along each ({head.nasion_inion / 2:.1f} cm from the nasion).",
        f"X = {x_cm:.2f} cm: measure along the head circumference from the midline front point (above the "
        f"nasion) towards the left ear, and mark the point.",
        f"Y = {y_cm:.2f} cm: measure from the vertex along the line towards the X point; its end is F3 "
        f"(the left DLPFC target).",
    )
    if adjusted is not None:
        steps = (*steps, f"Adjusted Y = {adjusted:.2f} cm, where the clinic uses the MRI-based adjustment.")
    facts = tuple(
        Fact(f"head.{name}", f"{getattr(head, name):g} cm")
        for name in ("tragus_tragus", "nasion_inion", "circumference")
    )
    return TargetPosition(
        method="beam_f3",
        x_cm=round(x_cm, 2),
        y_cm=round(y_cm, 2),
        adjusted_y_cm=round(adjusted, 2) if adjusted is not None else None,
        steps=steps,
        basis=Basis(RULE_TARGET, facts, (*c.sources, *c.adjusted_y_sources)),
    )


def rule_sites(kb: KnowledgeBase) -> tuple[TargetPosition, ...]:
    return tuple(
        TargetPosition(site.id, None, None, None, (site.text,), Basis(RULE_TARGET, (), site.sources))
        for site in kb.tms.rule_sites
    )


# --- eligibility and screen -----------------------------------------------------------------


def screen(course: TmsCourse, path: str, kb: KnowledgeBase) -> tuple[ScreenFinding, ...]:
    answers = {a.item: (i, a) for i, a in enumerate(course.screen)}
    findings = []
    for item in kb.tms.screen:
        index, given = answers.get(item.id, (None, None))
        answer = given.answer if given else "unknown"
        where = f"{path}.screen[{index}]" if index is not None else f"{path}.screen"
        differs = _severity(item.label) != _severity(item.guidance)
        if answer == "yes":
            label, guidance = _kind(item.label), _kind(item.guidance)
            message = f"yes: device label: {label}; IFCN safety guidance: {guidance}"
            if given and given.detail:
                message += f" ({given.detail})"
        elif answer == "unknown":
            message = "not answered" if given is None else "answer unknown"
        else:
            message = "no"
        if item.note and answer == "yes":
            message += f". {item.note}"
        findings.append(
            ScreenFinding(
                item=item.id,
                question=item.question,
                answer=answer,
                label=item.label,
                guidance=item.guidance,
                differs=differs,
                message=message,
                basis=Basis(
                    RULE_SCREEN,
                    (Fact(where, answer),),
                    (*item.label_sources, *item.guidance_sources),
                    () if answer != "unknown" else (f"{where}: {item.id}",),
                ),
            )
        )
    return tuple(findings)


def _kind(kind: str) -> str:
    return "not in the text read" if kind == "not_addressed" else kind.replace("_", " ")


def _severity(kind: str) -> int:
    return {"contraindication": 2, "precaution": 1, "caution": 1}.get(kind, 0)


def eligibility(
    ctx: Context,
    course: TmsCourse,
    path: str,
    trials: tuple[TrialFinding, ...],
    age: int | None,
    definitions: tuple[DefinitionVerdict, ...] = (),
) -> TmsEligibility:
    kb = ctx.kb
    criteria = tuple(_criterion(ctx, c.id, trials, age) for c in kb.tms.eligibility)
    findings = screen(course, path, kb)
    reasons: list[str] = []
    status = "eligible"
    for f in findings:
        if f.answer != "yes":
            continue
        worst = max(_severity(f.label), _severity(f.guidance))
        both = _severity(f.label) == 2 and _severity(f.guidance) == 2
        if both:
            status = "not_eligible"
            reasons.append(f"{f.question}: yes (a contraindication in the device label and the IFCN safety guidance)")
        elif worst:
            reasons.append(f"{f.question}: yes ({f.message})")
    for criterion in criteria:
        if criterion.met is False:
            status = "not_eligible"
            reasons.append(f"outside the cleared indication: {criterion.text}: not met ({criterion.detail})")
    unanswered = [f.item for f in findings if f.answer == "unknown"]
    unknown = [c for c in criteria if c.met is None]
    if status != "not_eligible" and (reasons or unanswered or unknown):
        status = "needs_review"
    if unanswered:
        reasons.append(f"screen items not answered: {', '.join(unanswered)}")
    reasons += [f"{c.text}: unknown ({c.detail})" for c in unknown]
    seizure = _seizure_risk(ctx)
    if seizure:
        if status == "eligible":
            status = "needs_review"
        reasons.append(f"medications that lower the seizure threshold: {', '.join(seizure)}")
    current = tuple(dict.fromkeys(i.name for i in ctx.taking))
    if kb.tms.seizure_risk_set is None and current:
        # no cited list is held: say the check was not made rather than pass the medications silently
        if status == "eligible":
            status = "needs_review"
        reasons.append(
            "current medications NOT CHECKED for seizure-threshold effects (no cited list is held; "
            f"knowledge/GAPS.md H): {', '.join(current)}"
        )
    episode = ctx.record.current_episode
    context = tuple(f"{d.name}: {d.verdict.replace('_', ' ')} ({d.failures} failed)" for d in definitions)
    if episode is not None:
        context += (f"current episode severity: {episode.severity or 'not recorded'}",)
    return TmsEligibility(status, tuple(reasons), criteria, findings, seizure, context)  # type: ignore[arg-type]


def _seizure_risk(ctx: Context) -> tuple[str, ...]:
    ref = ctx.kb.tms.seizure_risk_set
    if ref is None:
        return ()
    group = _members(ctx.kb, (ref,))
    return tuple(dict.fromkeys(i.name for i in ctx.taking if _in(i, group)))


def _criterion(ctx: Context, criterion_id: str, trials: tuple[TrialFinding, ...], age: int | None) -> CriterionResult:
    c = next(x for x in ctx.kb.tms.eligibility if x.id == criterion_id)
    episode = ctx.record.current_episode
    met: bool | None = None
    facts: tuple[Fact, ...] = ()
    missing: tuple[str, ...] = ()
    if c.kind == "diagnosis":
        if episode is None:
            detail, missing = "no current episode", ("episodes",)
        else:
            met = episode.diagnosis in c.diagnoses
            detail = f"current episode: {episode.diagnosis}"
            facts = (Fact(f"{ctx.episode_path()}.diagnosis", episode.diagnosis),)
    elif c.kind == "failed_antidepressants":
        # failed at or above the minimal effective dose and duration: an adequate trial without response
        paths = {t.trial.id: t.path for t in ctx.record.trials}
        current = [t for t in trials if t.current_episode and t.antidepressant and t.kind == "medication"]
        not_improved = [t for t in current if t.outcome.status in ("non_response", "partial_response")]
        failed = [t for t in not_improved if t.adequacy.status == "adequate"]
        open_ = [t for t in current if t.outcome.status == "unknown"]
        open_ += [t for t in not_improved if t.adequacy.status == "unknown"]
        need = c.count or 1
        met = True if len(failed) >= need else (None if len(failed) + len(open_) >= need else False)
        detail = (
            f"{len(failed)} adequate antidepressant trial(s) without a satisfactory response in the current episode"
        )
        if open_:
            detail += f"; {len(open_)} with an unknown outcome or adequacy"
        facts = tuple(
            Fact(paths[t.trial_id], f"{t.treatment}: {t.outcome.status}, {t.adequacy.status}") for t in current
        )
        missing = tuple(f"{paths[t.trial_id]}: outcome or adequacy" for t in open_) if met is None else ()
    else:
        if age is not None:
            met = age >= (c.age or 0)
        detail = f"age {age}" if age is not None else "birth date not recorded"
        facts = (Fact("patient.birth_date", detail),)
        missing = ("patient.birth_date",) if age is None else ()
    return CriterionResult(c.id, c.text, met, detail, Basis(RULE_ELIGIBILITY, facts, c.sources, missing))


# --- dose -----------------------------------------------------------------------------------


def adjusted_threshold(course: TmsCourse, threshold: float, kb: KnowledgeBase) -> float | None:
    """The motor threshold adjusted for the target's extra scalp-cortex distance, when the
    course records depths and the knowledge base holds a cited adjustment; else None."""
    per_mm = kb.tms.dose.depth_pct_per_mm
    if course.depth is None or per_mm is None:
        return None
    return round(threshold + per_mm * (course.depth.target_mm - course.depth.motor_mm), 1)


def dose(course: TmsCourse, path: str, protocol: TmsProtocol, kb: KnowledgeBase, complete: bool = False) -> TmsDoseView:
    d = kb.tms.dose
    policy = next(p for p in d.mt_policies if p.id == d.default_mt_policy)
    days, policy_name = policy.redetermine_days, policy.name
    clinic = course.mt_redetermine_days is not None
    if course.mt_redetermine_days is not None:
        days, policy_name = course.mt_redetermine_days, f"clinic policy: every {course.mt_redetermine_days} days"
    intensity = protocol.blocks[0].intensity_pct_mt
    warnings: list[str] = []
    sources: list[str] = [*protocol.blocks[0].sources, *(() if clinic else policy.sources)]
    if not course.motor_thresholds:
        return TmsDoseView(
            None, None, None, intensity, None, None, None, ("no motor threshold recorded",),
            Basis(RULE_DOSE, (), tuple(sources), (f"{path}.motor_thresholds",)),
        )  # fmt: skip
    index = len(course.motor_thresholds) - 1
    mt = course.motor_thresholds[index]
    facts = [Fact(f"{path}.motor_thresholds[{index}]", f"{mt.output_pct:g}% MSO by {mt.method} on {mt.date}")]
    if clinic:
        facts.append(Fact(f"{path}.mt_redetermine_days", str(days)))
    adjusted = adjusted_threshold(course, mt.output_pct, kb)
    if course.depth is not None:
        if adjusted is None:
            warnings.append("coil-to-cortex depths recorded, but no cited adjustment rule is held: MT not adjusted")
        else:
            sources += d.depth_sources
            facts.append(
                Fact(f"{path}.depth", f"motor {course.depth.motor_mm:g} mm, target {course.depth.target_mm:g} mm")
            )
    elif protocol.depth_adjusted_mt:
        warnings.append(
            "the protocol's intensity is a percentage of a depth-adjusted motor threshold, and no depths are "
            "recorded: the output shown uses the unadjusted threshold"
        )
    threshold = adjusted if adjusted is not None else mt.output_pct
    if mt.method == "visual" and d.visual_note:
        warnings.append(d.visual_note)
        sources += d.visual_sources
    output = round(threshold * intensity / 100, 1) if intensity is not None else None
    if output is not None and output > 100:
        warnings.append(
            f"the protocol's {intensity:g}% of MT is {output:g}% of the stimulator's output: more than it can "
            "deliver; the device cannot give this dose"
        )
    stale = []
    for session in course.sessions:
        before = [m for m in course.motor_thresholds if m.date <= session.date]
        if not before or session.date > before[-1].date + timedelta(days=days):
            stale.append(session.date)
    if stale:
        warnings.append(
            f"{len(stale)} session(s) given without a motor threshold from the previous {days} "
            f"days ({policy_name}), first on {stale[0]}"
        )
    return TmsDoseView(
        motor_threshold_pct=mt.output_pct,
        mt_date=mt.date,
        mt_method=mt.method,
        intensity_pct_mt=intensity,
        adjusted_mt_pct=adjusted,
        output_pct=output,
        # a finished course needs no further determination
        redetermine_by=None if complete else mt.date + timedelta(days=days),
        warnings=tuple(warnings),
        basis=Basis(
            RULE_DOSE, tuple(facts), tuple(dict.fromkeys(sources)), () if intensity else ("protocol intensity",)
        ),
    )


# --- schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Sessions of each phase: acute, then an extension block if the rule granted one, then
    the taper (its sessions; the weekly pattern is the clinic's, given with the course)."""

    acute: int
    taper: int = 0
    extension: int = 0


def schedule(
    protocol: TmsProtocol, start: date, plan: Plan, taper_per_week: tuple[int, ...] = (), holidays: Iterable[date] = ()
) -> tuple[ScheduledSession, ...]:
    """Session dates from the start: treatment days are weekdays that are not holidays, or
    consecutive days for a protocol given over a fixed number of days (several sessions a day
    for accelerated protocols); the taper follows the clinic's weekly pattern,
    each week's sessions spread over its open days, from the Monday after the last session.
    Taper sessions without a weekly pattern are counted in the plan but not dated."""
    closed = set(holidays)
    per_day = protocol.schedule.sessions_per_day
    sessions: list[ScheduledSession] = []

    # a course of consecutive days (accelerated) runs through weekends; others run on weekdays
    consecutive = protocol.schedule.days is not None

    def open_days(first: date) -> Iterator[date]:
        current = first
        while True:
            if (consecutive or current.weekday() < 5) and current not in closed:
                yield current
            current += timedelta(days=1)

    def daily(count: int, phase: str, days: Iterator[date]) -> None:
        while count > 0:
            day = next(days)
            for slot in range(1, min(per_day, count) + 1):
                sessions.append(ScheduledSession(len(sessions) + 1, day, phase, slot))  # type: ignore[arg-type]
            count -= min(per_day, count)

    days = open_days(start)
    daily(plan.acute, "acute", days)
    if plan.extension:
        daily(plan.extension, "extension", days)
    phase = "extension_taper" if plan.extension else "taper"
    left = plan.taper
    monday = sessions[-1].date + timedelta(days=7 - sessions[-1].date.weekday()) if sessions else start
    for count in taper_per_week:
        week = [d for d in (monday + timedelta(days=i) for i in range(5)) if d not in closed]
        placed = _spread(week, min(count, left))
        for d in placed:
            sessions.append(ScheduledSession(len(sessions) + 1, d, phase, 1))  # type: ignore[arg-type]
        # a week with fewer open days than its count places fewer: the rest stay undated
        left -= len(placed)
        monday += timedelta(days=7)
    return tuple(sessions)


def plan_for(
    protocol: TmsProtocol, kb: KnowledgeBase, rule_id: str | None = None, extension: bool = False
) -> tuple[Plan, CourseRule | None]:
    """The phases a course runs under its rule before any score is known; with `extension`, as
    if the rule's first checkpoint granted its extension block."""
    rule_id = rule_id or protocol.course_rule
    rule = kb.tms_rule_by_id[rule_id] if rule_id else None
    acute = rule.acute_sessions if rule else (protocol.schedule.acute_sessions or 0)
    if extension and rule and rule.checkpoints and rule.checkpoints[0].extension_sessions:
        cp = rule.checkpoints[0]
        return Plan(cp.after_sessions, cp.extension_taper or 0, cp.extension_sessions or 0), rule
    return Plan(acute, rule.taper_sessions if rule else 0), rule


def _spread(days: list[date], count: int) -> list[date]:
    """`count` of the week's open days, spread out (3 of 5 -> Mon, Wed, Fri)."""
    if count >= len(days):
        return days
    if count == 1:
        return days[:1]
    step = (len(days) - 1) / (count - 1)
    return [days[round(i * step)] for i in range(count)]


# --- progress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What a checkpoint decided, and the sessions the course then runs to."""

    suggestion: str
    reason: str
    extra: int = 0
    taper: int = 0


def _decide(
    cp: Checkpoint, pct: float, remission: bool | None, response_pct: float, scale: str, taper: int, payer: bool
) -> Decision:
    """A checkpoint's decision: remission (or, where the rule does not ask for remission,
    response) leads to the taper; enough improvement to the extension; less to a stop."""
    if remission and cp.taper_on_remission:
        reason = f"in remission on {scale} after {cp.after_sessions} sessions ({pct:g}% improvement)"
        return Decision("taper", reason, 0, taper)
    if not cp.taper_on_remission and pct >= response_pct:
        reason = f"{pct:g}% improvement after {cp.after_sessions} sessions: response (>= {response_pct:g}%)"
        return Decision("taper", reason, 0, taper)
    if cp.extend_at_pct is not None and pct >= cp.extend_at_pct:
        return Decision(
            "extend",
            f"{pct:g}% improvement after {cp.after_sessions} sessions (>= {cp.extend_at_pct:g}%, not in remission)"
            + ("; the payer rule covers an extension" if payer else ""),
            cp.extension_sessions or 0,
            cp.extension_taper or 0,
        )
    threshold = f"{cp.extend_at_pct:g}%" if cp.extend_at_pct is not None else f"{response_pct:g}%"
    reason = f"{pct:g}% improvement after {cp.after_sessions} sessions: below {threshold}"
    if payer:
        reason += "; the payer rule covers no further sessions; whether to continue is a clinical decision"
    return Decision("stop", reason)


def progress(ctx: Context, course: TmsCourse, path: str, rule: CourseRule | None) -> tuple[TmsProgress, Plan]:
    """Sessions given against the course rule, the tracked scale's change from the baseline
    (the last score on or before the start), and what the rule suggests next."""
    kb = ctx.kb
    delivered = len(course.sessions)
    scale = kb.scale_by_name.get(course.scale.lower())
    scores = [s for s in ctx.record.scores if scale is not None and s.scale.id == scale.id]
    before = [s for s in scores if s.score.date <= course.start]
    baseline = before[-1] if before else None
    after = [s for s in scores if s.score.date > course.start]
    latest = after[-1] if after else None
    facts = [Fact(f"{path}.sessions", f"{delivered} given")]
    missing: list[str] = []
    sources = [*(rule.sources if rule else ()), *kb.adequacy.outcome.sources]
    response_pct = kb.adequacy.outcome.response_min_pct

    def change(total: float) -> float | None:
        if baseline is None or baseline.total <= 0:
            return None
        return round(100 * (baseline.total - total) / baseline.total, 1)

    if scale is None:
        missing.append(f"{path}.scale: {course.scale!r} is not a known scale")
    if baseline is not None:
        facts.append(Fact(baseline.path, f"baseline {baseline.total:g} on {baseline.score.date}"))
    else:
        missing.append(f"a {course.scale} score on or before {course.start} (baseline)")
    if latest is not None:
        facts.append(Fact(latest.path, f"latest {latest.total:g} on {latest.score.date}"))

    acute = rule.acute_sessions if rule else (course_protocol_sessions(kb, course) or 0)
    decision = Decision(
        "taper" if rule and rule.taper_sessions else "stop", "acute course given", 0, rule.taper_sessions if rule else 0
    )
    decided = False
    checkpoints = []
    for cp in rule.checkpoints if rule else ():
        reached = delivered >= cp.after_sessions
        score = None
        if reached:
            on = course.sessions[cp.after_sessions - 1].date
            window = timedelta(days=kb.tms.checkpoint_window_days)
            later = [s for s in after if on <= s.score.date <= on + window]
            score = later[0] if later else None
        pct = change(score.total) if score is not None else None
        checkpoints.append(
            CheckpointResult(
                cp.after_sessions,
                reached,
                score.total if score else None,
                score.score.date if score else None,
                pct,
                cp.text,
            )
        )
        sources += cp.sources
        if not reached or decided:
            continue
        if pct is None:
            missing.append(
                f"a {course.scale} score within {kb.tms.checkpoint_window_days} days from session {cp.after_sessions}"
            )
            sources += kb.tms.window_sources
            found = _progress(
                course,
                delivered,
                acute + decision.taper,
                baseline,
                latest,
                change,
                checkpoints,
                "unknown",
                f"checkpoint after {cp.after_sessions} sessions: no {course.scale} "
                + ("score in its window" if baseline is not None else "baseline"),
                Basis(RULE_PROGRESS, tuple(facts), tuple(dict.fromkeys(sources)), tuple(missing)),
            )
            return found, Plan(acute, decision.taper)
        remission = _remitted(scale, score.total) if (scale is not None and score is not None) else None
        decision = _decide(
            cp,
            pct,
            remission,
            response_pct,
            course.scale,
            rule.taper_sessions if rule else 0,
            bool(rule and rule.kind == "payer"),
        )
        decided = True
        if decision.suggestion == "stop":
            acute = cp.after_sessions

    planned = acute + decision.extra + decision.taper
    if delivered < acute and not decided:
        suggestion, reason = "continue", f"{delivered} of {acute} acute sessions given"
    elif not decided and rule is None:
        suggestion, reason = "unknown", "acute course given; no course rule says what follows"
    elif decision.suggestion == "stop" or delivered >= planned:
        suggestion = "stop"
        reason = (
            decision.reason if decided and decision.suggestion == "stop" else f"course complete ({delivered} sessions)"
        )
        if latest is not None and scale is not None and _remitted(scale, latest.total):
            reason += f"; latest {course.scale} {latest.total:g} is in remission"
    elif decision.extra and delivered < acute + decision.extra:
        suggestion = "extend"
        reason = f"{decision.reason}: {delivered - acute} of {decision.extra} extension sessions given"
    else:
        suggestion = "taper"
        done = max(delivered - acute - decision.extra, 0)
        reason = f"{decision.reason}: {done} of {decision.taper} taper sessions given"
    found = _progress(
        course,
        delivered,
        planned,
        baseline,
        latest,
        change,
        checkpoints,
        suggestion,
        reason,
        Basis(RULE_PROGRESS, tuple(facts), tuple(dict.fromkeys(sources)), tuple(missing)),
    )
    return found, Plan(acute, decision.taper, decision.extra)


def _progress(
    course: TmsCourse,
    delivered: int,
    planned: int,
    baseline: NScore | None,
    latest: NScore | None,
    change: Callable[[float], float | None],
    checkpoints: list[CheckpointResult],
    suggestion: str,
    reason: str,
    basis: Basis,
) -> TmsProgress:
    pulses = [s.pulses for s in course.sessions]
    return TmsProgress(
        delivered=delivered,
        planned=planned,
        pulses_delivered=sum(p for p in pulses if p is not None) if pulses and None not in pulses else None,
        scale=course.scale,
        baseline=baseline.total if baseline else None,
        baseline_date=baseline.score.date if baseline else None,
        latest=latest.total if latest else None,
        latest_date=latest.score.date if latest else None,
        improvement_pct=change(latest.total) if latest is not None else None,
        checkpoints=tuple(checkpoints),
        suggestion=suggestion,  # type: ignore[arg-type]
        reason=reason,
        basis=basis,
    )


def _remitted(scale: Scale, total: float) -> bool | None:
    cutoff = next((r for r in scale.remission if r.id == scale.default_remission), None)
    return None if cutoff is None else total <= cutoff.max_score


def course_protocol_sessions(kb: KnowledgeBase, course: TmsCourse) -> int | None:
    return kb.tms_protocol_by_id[course.protocol].schedule.acute_sessions  # type: ignore[no-any-return]


# --- a course in the Assessment -------------------------------------------------------------


def courses(
    ctx: Context, trials: tuple[TrialFinding, ...], age: int | None, definitions: tuple[DefinitionVerdict, ...] = ()
) -> tuple[TmsCourseFinding, ...]:
    kb = ctx.kb
    found = []
    for i, course in enumerate(ctx.record.record.tms_courses):
        path = f"tms_courses[{i}]"
        protocol = kb.tms_protocol_by_id[course.protocol]
        rule_id = course.course_rule or protocol.course_rule
        rule = kb.tms_rule_by_id.get(rule_id) if rule_id else None
        tracked, plan = progress(ctx, course, path, rule)
        sessions = schedule(protocol, course.start, plan, course.taper_per_week, course.holidays)
        complete = tracked.planned > 0 and tracked.delivered >= tracked.planned
        found.append(
            TmsCourseFinding(
                course_id=course.id,
                protocol=protocol_view(protocol, kb),
                course_rule=rule.name if rule else None,
                eligibility=eligibility(ctx, course, path, trials, age, definitions),
                target=_target(course, protocol, kb),
                dose=dose(course, path, protocol, kb, complete),
                schedule=sessions,
                progress=tracked,
                side_effects=tuple(f"{s.date}: {', '.join(s.side_effects)}" for s in course.sessions if s.side_effects),
                log_warnings=_log_warnings(course, path, protocol, plan, sessions, tracked, kb),
            )
        )
    return tuple(found)


def _target(course: TmsCourse, protocol: TmsProtocol, kb: KnowledgeBase) -> TargetPosition | None:
    """Beam F3 for a protocol with a left DLPFC block; for other sites, say no method is held."""
    others = [b.site for b in protocol.blocks if not b.beam_f3]
    basis = Basis(RULE_TARGET, (), kb.tms.beam_f3.sources)
    if len(others) == len(protocol.blocks):
        return TargetPosition(
            "not_available", None, None, None,
            (f"Beam F3 locates the left DLPFC (F3); no cited scalp method for this protocol's site is held "
             f"({'; '.join(others)}).",),
            basis,
        )  # fmt: skip
    if course.head is None:
        return None
    found = beam_f3(course.head, kb)
    if others:
        note = f"No cited scalp method for {'; '.join(others)} is held (F4 as Beam F3's mirror image is not confirmed)."
        found = dataclasses.replace(found, steps=(*found.steps, note))
    return found


def _log_warnings(
    course: TmsCourse,
    path: str,
    protocol: TmsProtocol,
    plan: Plan,
    sessions: tuple[ScheduledSession, ...],
    tracked: TmsProgress,
    kb: KnowledgeBase,
) -> tuple[str, ...]:
    """Where the session log or the plan disagrees with the protocol and the thresholds."""
    warnings = []
    if course.taper_per_week and sum(course.taper_per_week) != plan.taper:
        warnings.append(
            f"{path}.taper_per_week: {sum(course.taper_per_week)} taper sessions planned; "
            f"the course rule gives {plan.taper}"
        )
    if protocol.schedule.days is not None and sessions:
        inside = [d for d in course.holidays if course.start <= d <= sessions[-1].date]
        if inside:
            warnings.append(
                f"{path}.holidays: {inside[0]} interrupts the protocol's {protocol.schedule.days} consecutive days"
            )
    if tracked.baseline_date is not None:
        age = (course.start - tracked.baseline_date).days
        if age > kb.tms.baseline_window_days:
            warnings.append(f"the baseline {tracked.scale} score is {age} days before the course start")
    intensity = protocol.blocks[0].intensity_pct_mt
    pulses = [b.total_pulses() for b in protocol.blocks]
    per_session = sum(p for p in pulses if p is not None) if None not in pulses else None
    per_day: dict[date, int] = {}
    for n, s in enumerate(course.sessions):
        where = f"{path}.sessions[{n}]"
        per_day[s.date] = per_day.get(s.date, 0) + 1
        if s.protocol and s.protocol != course.protocol:
            warnings.append(f"{where}: protocol {s.protocol}, not the course's {course.protocol}")
        if s.intensity_pct_mt is not None and intensity is not None and s.intensity_pct_mt > intensity:
            warnings.append(f"{where}: {s.intensity_pct_mt:g}% MT is above the protocol's {intensity:g}%")
        if s.pulses is not None and per_session is not None and s.pulses > per_session:
            warnings.append(f"{where}: {s.pulses} pulses, more than the protocol's {per_session}")
        before = [m for m in course.motor_thresholds if m.date <= s.date]
        if s.output_pct is not None and before and intensity is not None:
            threshold = adjusted_threshold(course, before[-1].output_pct, kb) or before[-1].output_pct
            share = 100 * s.output_pct / threshold
            # one point of output for the device's whole-number settings (docs/tms.md)
            if s.output_pct > threshold * intensity / 100 + 1:
                warnings.append(
                    f"{where}: output {s.output_pct:g}% is {share:.0f}% of the threshold in force "
                    f"({threshold:g}%); the protocol gives {intensity:g}%"
                )
    limit = protocol.schedule.sessions_per_day
    warnings += [
        f"{path}.sessions: {count} sessions on {day} (protocol: {limit} a day)"
        for day, count in per_day.items()
        if count > limit
    ]
    return tuple(warnings)
