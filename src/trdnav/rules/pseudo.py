"""Pseudo-resistance checks to run before calling a depression treatment-resistant.

The checks and what raises or clears them are data (knowledge/data/pseudo_resistance.yaml,
after CANMAT 2023 Table 7.1). A check is 'raised' by a matching condition, an abnormal
lab flag, a positive screen or a trial signal; 'cleared' by a negative screen or a normal
lab with nothing raising it; otherwise 'open', naming what would close it.
"""

from __future__ import annotations

from trdnav.assessment import Basis, Check, CheckStatus, Fact
from trdnav.knowledge.loader import normalise_name
from trdnav.knowledge.schema import PseudoCheck
from trdnav.rules.context import Context

RULE_RECORD = "pseudo.record_findings"
RULE_TRIALS = "pseudo.trial_signals"


def _record_check(ctx: Context, check: PseudoCheck) -> Check:
    record = ctx.record
    raised: list[str] = []
    cleared: list[str] = []
    facts: list[Fact] = []
    sources = list(check.sources)
    for c in record.conditions:
        if c.category in check.condition_categories:
            label = c.condition.name or c.condition.code or ""
            counts = c.condition.status in check.condition_statuses
            (raised if counts else cleared).append(f"{label} ({c.condition.status})")
            facts.append(Fact(f"conditions[{c.index}]", label))
            sources.extend(c.sources)
    episode = record.current_episode
    for i, past in enumerate(record.record.episodes):
        if past.diagnosis in check.episode_diagnoses:
            which = "current episode" if past is episode else f"episode {past.id}"
            raised.append(f"{which} diagnosed {past.diagnosis.replace('_', ' ')}")
            facts.append(Fact(f"episodes[{i}].diagnosis", past.diagnosis))
    for i, lab in enumerate(record.record.labs):
        if normalise_name(lab.test) in {normalise_name(t) for t in check.lab_tests} and lab.interpretation is not None:
            value = "" if lab.value is None else f"{lab.value:g} {lab.unit or ''}"
            text = " ".join(f"{lab.test} {value} on {lab.date}: {lab.interpretation}".split())
            (cleared if lab.interpretation == "normal" else raised).append(text)
            facts.append(Fact(f"labs[{i}]", text))
    for i, screen in enumerate(record.record.screens):
        if screen.topic in check.screen_topics:
            text = f"{screen.instrument or 'screen'} {screen.result} on {screen.date}"
            (raised if screen.result == "positive" else cleared).append(text)
            facts.append(Fact(f"screens[{i}]", text))
    missing: tuple[str, ...] = ()
    status: CheckStatus
    if raised:
        status, reasons = "raised", raised + [f"also recorded: {c}" for c in cleared]
    elif cleared:
        status, reasons = "cleared", cleared
    else:
        wanted = [f"a {t.replace('_', ' ')} screen" for t in check.screen_topics]
        wanted += [f"a {t} result" for t in check.lab_tests]
        status, reasons = "open", ["nothing recorded"]
        missing = tuple(wanted)
    return Check(
        check.id,
        check.name,
        status,
        check.question,
        tuple(reasons),
        Basis(RULE_RECORD, tuple(facts), tuple(dict.fromkeys(sources)), missing),
    )


def _trial_check(ctx: Context, check: PseudoCheck) -> Check:
    profile = ctx.kb.profile_by_id[ctx.kb.adequacy.default_profile]
    raised: list[str] = []
    unknown: list[str] = []
    facts: list[Fact] = []
    trials = ctx.current_trials()
    for t in trials:
        name = f"{t.drug.name} ({t.trial.id})"
        if check.trial_signal == "adherence":
            if t.drug.kind != "medication":
                continue  # sessions given are sessions attended
            adherence = t.trial.adherence
            facts.append(Fact(f"{t.path}.adherence", adherence))
            if adherence in ("poor", "partial"):
                raised.append(f"{name}: adherence {adherence}")
            elif adherence == "unknown":
                unknown.append(f"{t.path}.adherence")
        elif check.trial_signal == "adequacy":
            adequacy = ctx.adequacy(t, profile.id, profile.min_weeks)
            outcome = ctx.outcome(t, profile.min_weeks)
            if outcome.status in ("remission", "response"):
                continue
            facts.append(Fact(t.path, f"{name}: {adequacy.status}"))
            if adequacy.status == "inadequate":
                raised.append(f"{name}: " + "; ".join(adequacy.reasons))
            elif adequacy.status == "unknown":
                unknown.append(f"{t.path}: " + "; ".join(adequacy.reasons))
        elif check.trial_signal == "side_effects":
            effects = t.trial.side_effects
            if t.trial.reason_stopped == "intolerance" or effects:
                detail = ", ".join(effects) if effects else "stopped for side effects"
                raised.append(f"{name}: {detail}")
                facts.append(Fact(f"{t.path}.side_effects", detail))
            elif t.trial.reason_stopped is None and not t.ongoing:
                unknown.append(f"{t.path}.reason_stopped")
    status: CheckStatus
    missing: tuple[str, ...]
    if not trials:
        status, reasons, missing = "open", ["no trials in the current episode"], ("trials",)
    elif raised:
        status, reasons, missing = "raised", raised, tuple(unknown)
    elif unknown:
        status, reasons, missing = "open", ["not recorded for every trial"], tuple(unknown)
    else:
        status, reasons, missing = "cleared", ["nothing found in the recorded trials"], ()
    sources = tuple(check.sources) + (tuple(profile.sources) if check.trial_signal == "adequacy" else ())
    return Check(
        check.id,
        check.name,
        status,
        check.question,
        tuple(reasons),
        Basis(RULE_TRIALS, tuple(facts), sources, missing),
    )


def run_checks(ctx: Context) -> tuple[Check, ...]:
    return tuple(
        _trial_check(ctx, check) if check.trial_signal else _record_check(ctx, check) for check in ctx.kb.pseudo.checks
    )
