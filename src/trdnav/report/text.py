"""Terminal face: the Assessment as a readable report (rich), fit for 80 columns.

Safety and input warnings come first and are never folded away. Every section ends
with the sources it cites as [n] markers into the citation list at the bottom.
"""

from __future__ import annotations

import dataclasses

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from trdnav.assessment import (
    Assessment,
    Basis,
    ScheduledSession,
    TargetPosition,
    TmsBlockTiming,
    TmsCourseFinding,
    TmsProtocolView,
)
from trdnav.knowledge.loader import KnowledgeBase, source_id
from trdnav.knowledge.schema import CourseRule, TmsProtocol
from trdnav.rules.tms import CONVENTION, Plan

STATUS_STYLE = {
    "trd": "bold red",
    "not_trd": "green",
    "unknown": "yellow",
    "not_applicable": "dim",
    "raised": "bold red",
    "open": "yellow",
    "cleared": "green",
    "adequate": "green",
    "inadequate": "red",
}


def _label(value: str) -> Text:
    return Text(value.replace("_", " "), style=STATUS_STYLE.get(value, ""))


class _Refs:
    """Numbers citations in order of first use, so the text can say [1] [2]."""

    def __init__(self, assessment: Assessment) -> None:
        self.order = [c.id for c in assessment.citations]

    def __call__(self, basis: Basis | tuple[str, ...]) -> str:
        sources = basis.sources if isinstance(basis, Basis) else basis
        ids = dict.fromkeys(source_id(s) for s in sources)
        return " ".join(f"[{self.order.index(i) + 1}]" for i in ids if i in self.order)


def render(assessment: Assessment, console: Console) -> None:
    a = assessment
    refs = _Refs(a)
    age = f", age {a.age}" if a.age is not None else ""
    console.print(Text(f"trdnav assessment: patient {a.patient_id}{age}", style="bold"))
    console.print(
        f"as of {a.as_of} | engine {a.engine_version} | knowledge base {a.kb_version} | adequacy profile {a.profile}",
        style="dim",
    )
    _safety(a, console, refs)
    if a.warnings:
        lines = [
            Text(f"! {w.message} ({w.field}) {refs(w.sources)}", style="bold red" if w.kind == "safety" else "red")
            for w in a.warnings
        ]
        console.print(Panel(Group(*lines), title="Warnings", border_style="red"))

    ep = a.current_episode
    console.rule("Current episode")
    if ep is None:
        console.print("No episode recorded: TRD status and staging need the current episode.", style="yellow")
    else:
        psychotic = {
            True: "with psychotic features",
            False: "no psychotic features",
            None: "psychotic features not recorded",
        }
        console.print(
            f"{ep.episode_id}: from {ep.start}"
            + (f" to {ep.end}" if ep.end else " (ongoing)")
            + f", {ep.months:g} months; diagnosis {ep.diagnosis.replace('_', ' ')}; "
            + f"severity {ep.severity or 'not recorded'}; {psychotic[ep.psychotic_features]}"
        )

    console.rule("Treatment trials")
    table = Table(show_lines=False, expand=True)
    for column in ("trial", "treatment", "role", "weeks", "adequacy", "outcome"):
        table.add_column(column, overflow="fold")
    for t in a.trials:
        role = t.role + ("*" if t.role_inferred and t.role != "monotherapy" else "")
        if t.base_trials:
            role += f" of {', '.join(t.base_trials)}"
        dose = f" {t.max_dose:g} {t.dose_unit}" if t.max_dose is not None else ""
        name = t.treatment + dose + ("" if t.current_episode else " (earlier episode)")
        table.add_row(t.trial_id, name, role, f"{t.weeks:g}", _label(t.adequacy.status), _label(t.outcome.status))
    console.print(table)
    for t in a.trials:
        line = Text(f"{t.trial_id} {t.treatment}", style="bold")
        profile = f" ({t.adequacy.profile})" if t.kind == "medication" else ""
        line.append(f" adequacy{profile}: {'; '.join(t.adequacy.reasons)} {refs(t.adequacy.basis)}")
        console.print(line)
        console.print(f"   outcome: {'; '.join(t.outcome.reasons)} {refs(t.outcome.basis)}")
    if any(t.role_inferred and t.role != "monotherapy" for t in a.trials):
        console.print("* role inferred from overlapping trials", style="dim")

    console.rule("TRD status by definition")
    table = Table(expand=True)
    for column in ("definition", "verdict", "failed", "detail"):
        table.add_column(column, overflow="fold")
    for d in a.definitions:
        rule = f"failure: under {d.failure_below_pct:g}% improvement; {d.adequacy_profile}, {d.min_weeks:g} weeks"
        table.add_row(
            f"{d.name} {refs(d.basis)}", _label(d.verdict), f"{d.failures}/{d.required}", f"{d.summary}. {rule}"
        )
    console.print(table)
    # one line per trial: how each definition counted it (failures need no reason: the
    # table gives each definition's threshold)
    per_trial: dict[str, dict[tuple[str, str], list[str]]] = {}
    for d in a.definitions:
        for item in d.trials:
            reason = "" if item.status == "failed" else item.reason
            per_trial.setdefault(f"{item.trial_id} {item.treatment}", {}).setdefault(
                (item.status.replace("_", " "), reason), []
            ).append(d.definition_id)
    for trial_name, groups in per_trial.items():
        parts = [
            f"{status} under {', '.join(ids)}" + (f" ({reason})" if reason else "")
            for (status, reason), ids in groups.items()
        ]
        console.print(f"  {trial_name}: " + "; ".join(parts), style="dim")

    console.rule("Staging")
    table = Table(expand=True)
    for column in ("model", "stage / score", "how"):
        table.add_column(column, overflow="fold")
    for s in a.stages:
        how = (
            "; ".join(
                f"{c.name} {c.points:g}" if c.points is not None else f"{c.name}: {c.detail}"
                for c in s.components
                if s.model != "thase_rush"
            )
            or ""
        )
        if s.basis.missing:
            how = (how + "; " if how else "") + "missing: " + ", ".join(s.basis.missing)
        table.add_row(f"{s.name} {refs(s.basis)}", s.label, how)
    console.print(table)
    for s in a.stages:
        for note in s.notes:
            console.print(f"  {s.name}: {note}", style="dim")

    console.rule("Symptom scales (current episode)")
    if not a.scales:
        console.print("No scale scores recorded in the current episode.", style="yellow")
    for traj in a.scales:
        line = Text(f"{traj.name}: {traj.status.replace('_', ' ')}", style="bold")
        line.append(f" {traj.summary} [bands: {traj.band_set}] {refs(traj.basis)}")
        console.print(line)
        points = "  ".join(f"{p.date} {p.total:g} ({p.band})" for p in traj.points)
        console.print(f"   {points}", style="dim")

    console.rule("Pseudo-resistance checks")
    table = Table(expand=True)
    for column in ("check", "status", "detail"):
        table.add_column(column, overflow="fold")
    for c in a.checks:
        detail = "; ".join(c.reasons)
        if c.status != "cleared" and c.basis.missing:
            detail += " | to close: " + ", ".join(c.basis.missing)
        table.add_row(f"{c.name} {refs(c.basis)}", _label(c.status), detail)
    console.print(table)

    if a.pharmacogenetics:
        _pharmacogenetics(a, console, refs)

    _next_steps(a, console, refs)
    for course in a.tms:
        render_tms_course(course, console, refs)

    _sources(a, console)
    console.print(
        "Decision support, not a decision: every verdict above depends on the record's completeness.",
        style="italic dim",
    )


PGX_WARNINGS = ("record.gene_not_covered", "record.medication_not_in_kb")
GROUPS = {
    "consider_alternative": ("Consider an alternative", "bold red"),
    "adjust_dose_or_monitor": ("Adjust dose or monitor", "yellow"),
    "use_as_directed": ("Use as directed", "green"),
    "no_guidance": ("No pharmacogenetic guidance", "dim"),
}
STATUS_MARK = {"current": " (taking now)", "tried": " (tried)", "not_taken": ""}


SEVERITY_STYLE = {
    "contraindicated": "bold white on red",
    "major": "bold red",
    "moderate": "yellow",
    "monitor": "cyan",
}


def _safety(a: Assessment, console: Console, refs: _Refs) -> None:
    """Safety findings first, every one of them, hard stops at the top."""
    section = a.safety
    if section.proposal is not None:
        p = section.proposal
        change = "; ".join(
            f"{verb} {', '.join(names)}"
            for verb, names in (("add", p.add), ("stop", p.stop), ("start", p.start))
            if names
        )
        console.print(Text(f"Proposed change on {p.on}: {change}", style="bold"))
    if not section.findings and not section.washouts:
        return
    lines: list[Text] = []
    for f in section.findings:
        line = Text()
        line.append(f" {f.severity.upper()} ", style=SEVERITY_STYLE[f.severity])
        line.append(f" {f.message}. ", style="bold" if f.severity in ("contraindicated", "major") else "")
        line.append(f"{f.management} {refs(f.basis)}")
        lines.append(line)
    for w in section.washouts:
        # respected washouts are shown for a proposed change; the record's history is in the JSON
        if w.status == "ok" and section.proposal is not None:
            lines.append(
                Text(
                    f"Washout {w.stop} -> {w.start}: {w.required_days} days after {w.stopped_on}, earliest start "
                    f"{w.earliest_start}: respected. {refs(w.basis)}",
                    style="green",
                )
            )
    if not lines:
        return
    regimen = ", ".join(section.regimen) or "nothing recorded"
    console.print(Panel(Group(*lines), title=f"Safety ({regimen})", border_style="red"))


def _pharmacogenetics(a: Assessment, console: Console, refs: _Refs) -> None:
    console.rule("Pharmacogenetics")
    table = Table(expand=True)
    for column in ("gene", "given", "phenotype", "how"):
        table.add_column(column, overflow="fold")
    for g in a.pharmacogenetics:
        table.add_row(f"{g.gene} {refs(g.basis)}", g.given, _label(g.phenotype or g.status), "; ".join(g.reasons))
    console.print(table)
    regimen = a.pgx_regimen
    if regimen is None:
        return
    for x in regimen.expressed:
        if x.modulators:
            shown = x.expressed or "not computed"
            console.print(
                Text(
                    f"{x.gene} as expressed now: {shown} (genotype: {x.genotype_phenotype}). {' '.join(x.reasons)} "
                    f"{refs(x.basis)}",
                    style="bold yellow",
                )
            )
    for f in regimen.flags:
        console.print(Text(f"! {f.message} {refs(f.basis)}", style="bold red"))
    console.rule("Whole-regimen table (every medication in the catalog)", style="dim")
    taking = ", ".join(m for x in regimen.expressed for m in x.modulators) or "the current medications"
    for category, (title, style) in GROUPS.items():
        rows = [d for d in regimen.drugs if (d.with_current_medications or d.category) == category]
        if not rows:
            continue
        console.print(Text(title, style=f"bold {style}"))
        by_reason: dict[str, list[str]] = {}
        for d in rows:
            plain = category == "no_guidance" and not d.modulates and all(not g.lookup for g in d.guidance)
            if plain:
                by_reason.setdefault(d.reason, []).append(d.drug + STATUS_MARK[d.status])
                continue
            console.print(Text(f"  {d.drug}{STATUS_MARK[d.status]}", style="bold"))
            if d.with_current_medications is not None:
                console.print(
                    Text(
                        f"    while taking {taking}; by genotype alone: {_group(d.category)}",
                        style=style,
                    )
                )
            if d.modulates:
                console.print(f"    {d.drug} is a {', '.join(d.modulates)}: it changes other drugs' exposure")
            for item in d.guidance:
                if not item.lookup and item.guideline == "none":
                    console.print(f"    {item.recommendation} {refs(item.basis)}", highlight=False)
                    continue
                strength = f", {item.classification.replace('_', ' ')}" if item.classification else ""
                lookup = "; ".join(item.lookup)
                console.print(
                    f"    {item.guideline}{strength}: {lookup}. {item.recommendation} {refs(item.basis)}",
                    highlight=False,
                )
                for note in item.notes:
                    console.print(f"      trdnav: {note}", style="dim", highlight=False)
        for reason, names in by_reason.items():
            console.print(f"  {', '.join(names)}: {reason}", highlight=False)


def _group(category: str) -> str:
    return GROUPS[category][0].lower()


FIT_STYLE = {"preferred": "bold green", "possible": "", "demoted": "yellow"}


def _next_steps(a: Assessment, console: Console, refs: _Refs) -> None:
    steps = a.next_steps
    console.rule("Next steps (ranked: guideline line, level of evidence, fit; docs/planner.md)")
    if not steps.individualised:
        console.print("Not individualised: " + "; ".join(steps.situation), style="bold yellow")
    elif steps.situation:
        console.print("; ".join(steps.situation), style="dim")
    table = Table(expand=True)
    for column in ("#", "option", "line/level", "fit", "why"):
        table.add_column(column, overflow="fold")
    for o in steps.options:
        if o.rank is None:
            continue
        what = {"switch": "switch to", "augment": "add", "psychotherapy": "add"}.get(o.strategy, "")
        line = f"{o.line or '-'} / L{o.level}" if o.level else f"{o.line or '-'} / -"
        dose = f" ({o.dose})" if o.dose else ""
        table.add_row(
            str(o.rank),
            f"{what} {o.treatment}{dose} {refs(o.basis)}".strip(),
            line,
            Text(o.fit, style=FIT_STYLE.get(o.fit, "")),
            "; ".join(
                (
                    *o.reasons,
                    *((o.start,) if o.start else ()),
                    *o.other_guidelines,
                    *(f"monitor: {m}" for m in o.monitoring),
                )
            ),
        )
    if any(o.rank is not None for o in steps.options):
        console.print(table)
    else:
        console.print("No option is ranked now (see above).", style="bold")
    if steps.population and steps.population_basis:
        console.print(f"{steps.population} {refs(steps.population_basis)}", style="italic")
    left_out = [o for o in steps.options if o.rank is None]
    if left_out:
        console.print("Not ranked:", style="bold")
        for o in left_out:
            console.print(f"  {o.treatment} ({o.fit.replace('_', ' ')}): {'; '.join(o.reasons)}", highlight=False)


ELIGIBILITY_STYLE = {"eligible": "green", "needs_review": "yellow", "not_eligible": "bold red"}


def render_tms_course(c: TmsCourseFinding, console: Console, refs: _Refs) -> None:
    """A TMS course: screen and eligibility, protocol and timing, target, dose, progress, plan."""
    p = c.protocol
    console.rule(f"TMS course {c.course_id}: {p.name}")
    e = c.eligibility
    console.print(Text(f"Eligibility: {e.status.replace('_', ' ')}", style=ELIGIBILITY_STYLE[e.status]))
    for reason in e.reasons:
        console.print(f"  - {reason}", highlight=False)
    if e.context:
        console.print(f"  Context (not scored): {'; '.join(e.context)}", style="dim", highlight=False)
    for crit in e.criteria:
        met = {True: "met", False: "NOT met", None: "unknown"}[crit.met]
        console.print(f"  {crit.text}: {met} ({crit.detail}) {refs(crit.basis)}", highlight=False)
    yes = [f for f in e.screen if f.answer == "yes"]
    screen_sources = tuple(s for f in e.screen for s in f.basis.sources)
    console.print(
        f"  Safety screen (trdnav's {len(e.screen)} items, not the full standard questionnaire): {len(yes)} yes, "
        f"{sum(f.answer == 'unknown' for f in e.screen)} unanswered {refs(screen_sources)}",
        highlight=False,
    )
    for f in e.screen:
        if f.answer == "yes" or (f.differs and f.answer != "no"):
            console.print(f"    {f.question}: {f.message}", highlight=False)
    _tms_protocol(p, console, refs)
    if c.target is not None:
        t = c.target
        if t.x_cm is not None:
            console.print(Text(f"Target (Beam F3): X {t.x_cm} cm, Y {t.y_cm} cm {refs(t.basis)}", style="bold"))
        else:
            console.print(Text("Target: no scalp method", style="bold"))
        for step in t.steps:
            console.print(f"  {step}", highlight=False)
    d = c.dose
    if d.motor_threshold_pct is None:
        console.print("Dose: no motor threshold recorded", style="yellow")
    else:
        adjusted = f", depth-adjusted {d.adjusted_mt_pct:g}%" if d.adjusted_mt_pct is not None else ""
        intensity = f"{d.intensity_pct_mt:g}% of MT" if d.intensity_pct_mt is not None else "intensity unknown"
        output = f"set {d.output_pct:g}% of stimulator output" if d.output_pct is not None else "output unknown"
        due = f"; re-determine by {d.redetermine_by}" if d.redetermine_by else ""
        console.print(
            f"Dose: MT {d.motor_threshold_pct:g}% ({d.mt_method}, {d.mt_date}{adjusted}); {intensity}: {output}"
            f"{due} {refs(d.basis)}",
            highlight=False,
        )
    for w in d.warnings:
        console.print(f"  ! {w}", style="red", highlight=False)
    g = c.progress
    change = (
        f"{g.baseline:g} -> {g.latest:g} ({g.improvement_pct:g}%)"
        if g.improvement_pct is not None
        else "no change known"
    )
    planned = str(g.planned) if g.planned else "? (course length unknown)"
    console.print(
        Text(
            f"Progress: {g.delivered} of {planned} sessions; {g.scale} {change}; suggestion: {g.suggestion}",
            style="bold",
        )
    )
    console.print(f"  {g.reason} ({c.course_rule or 'no course rule'}) {refs(g.basis)}", highlight=False)
    for cp in g.checkpoints:
        at = (
            f"{cp.score:g} on {cp.score_date} ({cp.improvement_pct:g}%)"
            if cp.improvement_pct is not None
            else "no score"
        )
        console.print(f"  checkpoint after {cp.after_sessions}: {at if cp.reached else 'not reached'}", highlight=False)
    for m in g.basis.missing:
        console.print(f"  missing: {m}", style="yellow", highlight=False)
    if c.schedule:
        console.print(f"Schedule: {schedule_summary(c)}", highlight=False)
    if c.progress.planned > len(c.schedule):
        console.print(
            f"  {c.progress.planned - len(c.schedule)} taper sessions not dated: the course gives no taper_per_week",
            style="yellow",
        )
    for effect in c.side_effects:
        console.print(f"  side effect recorded: {effect}", style="red", highlight=False)
    for w in c.log_warnings:
        console.print(f"  ! {w}", style="red", highlight=False)


def schedule_summary(c: TmsCourseFinding) -> str:
    """'acute 20 (first to last date); extension 10 (...)': one phrase per phase."""
    phases: dict[str, list[str]] = {}
    for s in c.schedule:
        phases.setdefault(s.phase, []).append(str(s.date))
    return "; ".join(f"{k.replace('_', ' ')} {len(v)} ({v[0]} to {v[-1]})" for k, v in phases.items())


def _tms_protocol(p: TmsProtocolView, console: Console, refs: _Refs) -> None:
    console.print(f"Protocol: {p.name}; {p.fda} {refs(p.basis)}", highlight=False)
    for b in p.blocks:
        parts = [b.site, f"{b.pattern.replace('_', ' ')} {b.frequency_hz:g} Hz"]
        if b.intensity_pct_mt is not None:
            parts.append(f"{b.intensity_pct_mt:g}% MT")
        if b.trains is not None:
            parts.append(f"{b.trains} trains of {b.train_s:g} s, {b.inter_train_s:g} s apart")
        if b.pulses is not None:
            parts.append(f"{b.pulses} pulses")
        if b.seconds is not None and b.seconds_with_trailing is not None:
            parts.append(f"{b.seconds / 60:.1f} min ({b.seconds_with_trailing / 60:.1f} with the trailing interval)")
        console.print("  " + ", ".join(parts), highlight=False)
        limit = b.train_limit
        style = "bold red" if limit.status == "exceeds" else "yellow"
        label = "train limit" if limit.status in ("within", "exceeds") else "train limit NOT CHECKED"
        console.print(f"    {label}: {limit.message} {refs(limit.basis)}", style=style, highlight=False)
    per_day = f"{p.sessions_per_day} a day, {p.inter_session_minutes} min apart; " if p.sessions_per_day > 1 else ""
    if p.acute_sessions:
        console.print(f"  {per_day}protocol course: {p.acute_sessions} sessions", highlight=False)
    if p.note:
        console.print(f"  note: {p.note}", highlight=False)
    if p.unconfirmed:
        console.print(f"  not confirmed (left out): {'; '.join(p.unconfirmed)}", style="yellow", highlight=False)


def _cited(kb: KnowledgeBase, bases: list[Basis], console: Console) -> None:
    """A numbered source list for the record-free TMS commands."""
    ids = list(dict.fromkeys(source_id(s) for b in bases for s in b.sources))
    console.rule("Sources")
    for n, sid in enumerate(ids, 1):
        src = kb.source_by_id[sid]
        console.print(f"[{n}] {src.title}. {src.publication or ''} {src.url or ''}".rstrip(), highlight=False)
        if src.verification:
            console.print(f"    not fully verified: {src.verification}", style="dim", highlight=False)


def _numbered(bases: list[Basis]) -> _Refs:
    refs = _Refs.__new__(_Refs)
    refs.order = list(dict.fromkeys(source_id(s) for b in bases for s in b.sources))
    return refs


def render_tms_target(
    found: TargetPosition, sites: tuple[TargetPosition, ...], kb: KnowledgeBase, console: Console
) -> None:
    bases = [found.basis, *(s.basis for s in sites)]
    refs = _numbered(bases)
    console.print(Text(f"Beam F3: X {found.x_cm} cm, Y {found.y_cm} cm {refs(found.basis)}", style="bold"))
    for step in found.steps:
        console.print(f"  {step}", highlight=False)
    console.print("Other scalp rules:", style="bold")
    for s in sites:
        console.print(f"  {s.steps[0]} {refs(s.basis)}", highlight=False)
    _cited(kb, bases, console)


def render_tms_protocols(views: list[TmsProtocolView], kb: KnowledgeBase, console: Console) -> None:
    bases = [b for v in views for b in (v.basis, *(x.train_limit.basis for x in v.blocks))]
    refs = _numbered(bases)
    console.print(f"Session time: {CONVENTION}.", style="dim", highlight=False)
    for v in views:
        console.rule(f"{v.protocol_id}: {v.name}")
        _tms_protocol(v, console, refs)
    _cited(kb, bases, console)


def render_tms_schedule(
    protocol: TmsProtocol, rule: CourseRule | None, plan: Plan, sessions: tuple[ScheduledSession, ...], console: Console
) -> None:
    name = rule.name if rule else "the protocol's course"
    console.print(Text(f"{protocol.name}: {len(sessions)} dated sessions ({name})", style="bold"))
    if plan.taper and not any(s.phase.endswith("taper") for s in sessions):
        console.print(
            f"  {plan.taper} taper sessions not dated: give --taper (sessions per week, e.g. 3,2)", style="yellow"
        )
    gap = protocol.schedule.inter_session_minutes
    table = Table()
    for column in ("#", "date", "day", "phase", "slot", *(("start (at least)",) if gap else ())):
        table.add_column(column)
    for s in sessions:
        row = [str(s.number), str(s.date), s.date.strftime("%a"), s.phase.replace("_", " "), str(s.slot)]
        if gap:
            row.append(f"{gap} min after session {s.number - 1} ends" if s.slot > 1 else "")
        table.add_row(*row)
    console.print(table)


def render_tms_check(found: TmsBlockTiming, output: float | None, kb: KnowledgeBase, console: Console) -> None:
    refs = _numbered([found.train_limit.basis])
    pulses = (
        f"{found.trains} trains x {found.pulses_per_train} pulses = {found.pulses} pulses"
        if found.pulses_per_train is not None
        else f"{found.trains} trains; pulses per train not a whole number: not counted"
    )
    timing = (
        f"{found.seconds / 60:.1f} min ({found.seconds_with_trailing / 60:.1f} with the trailing interval)"
        if found.seconds is not None and found.seconds_with_trailing is not None
        else "session time unknown"
    )
    console.print(f"{pulses}; {timing}", highlight=False)
    checked = found.train_limit.status in ("within", "exceeds")
    style = "bold red" if found.train_limit.status == "exceeds" else "" if checked else "bold yellow"
    label = "Train limit" if checked else "SAFETY LIMIT NOT CHECKED"
    console.print(f"{label}: {found.train_limit.message} {refs(found.train_limit.basis)}", style=style, highlight=False)
    if output is not None:
        note = ": more than the stimulator can deliver" if output > 100 else ""
        console.print(
            f"Output at this intensity: {output:g}% of the stimulator's maximum{note}",
            style="bold red" if note else "",
            highlight=False,
        )
    _cited(kb, [found.train_limit.basis], console)


def _sources(a: Assessment, console: Console) -> None:
    console.rule("Sources")
    for n, cite in enumerate(a.citations, start=1):
        entry: list[str | None] = [
            cite.authors,
            f"({cite.year})" if cite.year else None,
            cite.title,
            cite.publication,
            cite.url,
        ]
        console.print(f"[{n}] " + " ".join(p.rstrip(".") + "." for p in entry if p), style="dim", highlight=False)
        if cite.verification:
            console.print(f"    not fully verified: {cite.verification}", style="yellow")


def render_pgx(assessment: Assessment, console: Console) -> None:
    """The pharmacogenetics section alone, for `trdnav pgx` (labs and pharmacists)."""
    assessment = pgx_only(assessment)
    refs = _Refs(assessment)
    console.print(
        f"trdnav pharmacogenetics | engine {assessment.engine_version} | knowledge base {assessment.kb_version}",
        style="dim",
    )
    for w in assessment.warnings:
        console.print(f"! {w.message} ({w.field})", style="red")
    _pharmacogenetics(assessment, console, refs)
    _sources(assessment, console)


def safety_only(assessment: Assessment) -> Assessment:
    """The Assessment cut down to its safety section, citing only what that section cites."""
    bases = [f.basis for f in assessment.safety.findings] + [w.basis for w in assessment.safety.washouts]
    cited = {source_id(c) for b in bases for c in b.sources}
    return dataclasses.replace(assessment, citations=tuple(c for c in assessment.citations if c.id in cited))


def render_safety(assessment: Assessment, console: Console) -> None:
    """The safety section alone, for `trdnav check`."""
    refs = _Refs(assessment)
    console.print(
        f"trdnav safety check: patient {assessment.patient_id} | as of {assessment.as_of} | engine "
        f"{assessment.engine_version} | knowledge base {assessment.kb_version}",
        style="dim",
    )
    for w in assessment.warnings:
        console.print(f"! {w.message} ({w.field})", style="red")
    _safety(assessment, console, refs)
    section = assessment.safety
    if not section.findings:
        console.print(
            f"No safety finding for: {', '.join(section.regimen) or 'nothing recorded'} "
            "(only the rules in trdnav's knowledge base; see the warnings for drugs it does not know).",
            style="green",
        )
    _sources(assessment, console)
    console.print(
        "Decision support, not a decision: only the rules in trdnav's knowledge base were checked "
        "(knowledge/GAPS.md F lists what is not).",
        style="italic dim",
    )


def pgx_only(assessment: Assessment) -> Assessment:
    """The Assessment cut down to its pharmacogenetics, citing only what that section cites."""
    bases = [g.basis for g in assessment.pharmacogenetics]
    if assessment.pgx_regimen is not None:
        r = assessment.pgx_regimen
        bases += [x.basis for x in r.expressed] + [f.basis for f in r.flags]
        bases += [g.basis for d in r.drugs for g in d.guidance]
    cited = {source_id(c) for b in bases for c in b.sources}
    return dataclasses.replace(
        assessment,
        citations=tuple(c for c in assessment.citations if c.id in cited),
        # the only input warnings a genotype-and-medications record can raise
        warnings=tuple(w for w in assessment.warnings if w.rule in PGX_WARNINGS),
    )
