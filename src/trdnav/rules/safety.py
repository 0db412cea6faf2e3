"""Safety of the regimen, now or after a proposed change: interactions, MAOI washouts, dose
limits, contraindicating conditions and ages, drug levels, and the labels' co-medication
dosing (shared with the pharmacogenetics module, not duplicated).

Every rule is data (knowledge/data/safety.yaml); this module only matches them. A finding is
never dropped by a profile or option: the faces show all of them, hard stops first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any, Literal

from trdnav.assessment import (
    Basis,
    Fact,
    GenePhenotype,
    Proposal,
    SafetyFinding,
    SafetySection,
    Severity,
    WashoutPlan,
)
from trdnav.knowledge.loader import Group, KnowledgeBase, normalise_name, resolve_refs
from trdnav.rules.context import Context
from trdnav.rules.pgx_guidance import OnDrug, label_comedication_rules, on_drug
from trdnav.rules.taking import Item, note_stop

RULE_INTERACTION = "safety.interaction"
RULE_MAOI_LABEL = "safety.maoi_label_contraindication"
RULE_WASHOUT = "safety.maoi_washout"
RULE_DOSE = "safety.dose_limit"
RULE_CONDITION = "safety.condition"
RULE_AGE = "safety.age"
RULE_LEVEL = "safety.drug_level"
RULE_CYP = "safety.label_comedication_dosing"

ORDER: dict[Severity, int] = {"contraindicated": 0, "major": 1, "moderate": 2, "monitor": 3}


def apply(kb: KnowledgeBase, items: list[Item], proposal: Proposal) -> list[Item]:
    """The regimen after the proposal: stopped drugs removed, added and started drugs in."""
    stopped = {kb.drug_by_name[normalise_name(n)] for n in proposal.stop}
    kept = [i for i in items if i.key not in stopped]
    for n, name in enumerate((*proposal.add, *proposal.start)):
        found = kb.drug_by_name.get(normalise_name(name))
        key = found or normalise_name(name)
        if all(i.key != key for i in kept):
            shown = kb.drug_by_id[found].name if found else name
            kept.append(Item(shown, found, f"proposal[{n}]", None, proposal.on))
    return kept


def _members(kb: KnowledgeBase, refs: Iterable[str]) -> Group:
    return resolve_refs(kb.safety_members, refs)


def _in(item: Item, group: Group) -> bool:
    ids, names = group
    return (item.drug_id is not None and item.drug_id in ids) or item.norm in names


def _finding(
    kind: str,
    rule: str,
    severity: Severity,
    items: Iterable[Item],
    message: str,
    mechanism: str,
    management: str,
    sources: Iterable[str],
    missing: tuple[str, ...] = (),
    more_facts: tuple[Fact, ...] = (),
) -> SafetyFinding:
    items = tuple(items)
    facts = (*(Fact(i.path, i.name) for i in items), *more_facts)
    return SafetyFinding(
        rule,
        severity,
        tuple(i.name for i in items),
        message,
        mechanism,
        management,
        Basis(kind, facts, tuple(dict.fromkeys(sources)), missing),
    )


def interactions(kb: KnowledgeBase, items: list[Item], focus: str | None = None) -> Iterator[SafetyFinding]:
    """Every interaction rule's pairs in the regimen; with `focus` (a catalog id), only the
    pairs that include that drug."""
    done: set[tuple[str, str, str]] = set()
    focused = [i for i in items if i.key == focus]
    groups = kb.interaction_groups
    if focus is not None:
        # only the rules that can concern the drug in focus
        by_member = kb.interactions_by_member
        at = sorted({n for key in {focus, *(i.norm for i in focused)} for n in by_member.get(key, ())})
        groups = tuple(groups[n] for n in at)
    for rule, first, second in groups:
        if focus is not None and not any(_in(i, first) or _in(i, second) for i in focused):
            continue  # the rule cannot concern the drug in focus
        seconds = [b for b in items if _in(b, second)]
        if not seconds:
            continue
        firsts = items
        if focus is not None and all(b.key != focus for b in seconds):
            firsts = focused  # the pair must include the drug in focus
        for a in firsts:
            if not _in(a, first):
                continue
            for b in seconds:
                if b.key == a.key or (focus is not None and focus not in (a.key, b.key)):
                    continue
                pair = tuple(sorted((a.key, b.key)))
                if (rule.id, *pair) in done:
                    continue
                done.add((rule.id, pair[0], pair[1]))
                yield _finding(
                    RULE_INTERACTION,
                    rule.id,
                    rule.severity,
                    (a, b),
                    f"{a.name} with {b.name}: {rule.mechanism}",
                    rule.mechanism,
                    rule.management,
                    rule.sources,
                )


def recently_stopped(ctx: Context, items: list[Item], on: date, proposal: Proposal | None) -> Iterator[SafetyFinding]:
    """Rules with a drug-free window: a drug of `first` stopped fewer than that many days before
    `on` (by the record, or by the proposal's --stop) and not taken now, with a drug of `second`
    taken now."""
    kb = ctx.kb
    taken = {i.key for i in items}
    # each drug's latest stop by `on`: (date, the stopped drug as an item, where the date is)
    stops = [
        (t.trial.stop, Item(t.drug.name, t.drug.id, t.path, None, t.trial.start), f"{t.path}.stop")
        for t in ctx.record.trials
        if t.trial.stop is not None
    ]
    if proposal is not None and proposal.on is not None:
        stopped = {kb.drug_by_name[normalise_name(n)] for n in proposal.stop}
        stops += [(proposal.on, i, "proposal.stop") for i in ctx.taking if i.drug_id in stopped]
    last: dict[str, tuple[date, Item, str]] = {}
    for stop, item, where in sorted(stops, key=lambda s: s[0]):
        if stop <= on and item.key not in taken:
            last[item.key] = (stop, item, where)
    if not last:
        return
    for rule, first, second in kb.interaction_groups:
        window = rule.first_stopped_within_days
        if window is None:
            continue
        seconds = [b for b in items if _in(b, second)]
        for stop, a, where in last.values():
            days = (on - stop).days
            if not seconds or days >= window or not _in(a, first):
                continue
            for b in seconds:
                yield _finding(
                    RULE_INTERACTION,
                    rule.id,
                    rule.severity,
                    (a, b),
                    f"{b.name} within {window} days of stopping {a.name} (stopped {stop}, {days} days before {on}): "
                    f"{rule.mechanism}",
                    rule.mechanism,
                    rule.management,
                    rule.sources,
                    more_facts=(Fact(where, str(stop)),),
                )


def maoi_label_combinations(
    kb: KnowledgeBase, items: list[Item], covered: set[tuple[str, ...]]
) -> Iterator[SafetyFinding]:
    """A drug whose own label contraindicates MAOIs, taken with an MAOI (a pair another
    contraindication already reports is not repeated)."""
    maois = [i for i in items if _in(i, kb.safety_members[kb.safety.maoi_set])]
    for item in items:
        interval = kb.maoi_interval_by_drug.get(item.drug_id or "")
        # an MAOI's own row has neither interval; a label that gives one direction still
        # contraindicates the combination (older tricyclic labels give only MAOI -> tricyclic)
        if interval is None or (interval.before_maoi_days is None and interval.after_maoi_days is None):
            continue
        for maoi in maois:
            if maoi.key == item.key or tuple(sorted((item.key, maoi.key))) in covered:
                continue
            if maoi.drug_id is None:  # linezolid, intravenous methylene blue
                management = f"Do not start {item.name} in a patient being treated with {maoi.name}."
            else:
                before = (
                    f"an MAOI no sooner than {interval.before_maoi_days} days after stopping {item.name}"
                    if interval.before_maoi_days is not None
                    else f"the {item.name} label gives no interval before an MAOI: check the MAOI's label"
                )
                after = (
                    f"{item.name} no sooner than {interval.after_maoi_days} days after stopping an MAOI"
                    if interval.after_maoi_days is not None
                    else f"the {item.name} label gives no interval after an MAOI"
                )
                management = f"Do not combine; {before}, {after}."
            yield _finding(
                RULE_MAOI_LABEL,
                "maoi_label_contraindication",
                "contraindicated",
                (item, maoi),
                f"{item.name} with {maoi.name}: the {item.name} label contraindicates MAOIs with it "
                f"({interval.mechanism})",
                interval.mechanism,
                management,
                interval.sources,
            )


_longest: tuple[KnowledgeBase, int] | None = None  # one slot: the KB last asked about


def _longest_interval(kb: KnowledgeBase) -> int:
    """The longest MAOI interval any label in the knowledge base asks (computed once per KB)."""
    global _longest
    if _longest is None or _longest[0] is not kb:
        days = (v for i in kb.safety.maoi_intervals for v in (i.before_maoi_days, i.after_maoi_days) if v is not None)
        _longest = (kb, max(days, default=0))
    return _longest[1]


def washout(
    kb: KnowledgeBase,
    stop: str,
    stopped_on: date | None,
    start: str,
    proposed: date | None,
    *,
    from_record: bool = False,
) -> WashoutPlan | None:
    """The drug-free days from stopping `stop` to starting `start` (catalog ids) when either is
    an MAOI; None when no MAOI rule concerns the pair. The longest interval the labels give; when
    the non-MAOI drug's own label interval (or, between two MAOIs, both MAOIs' intervals) is not
    in the knowledge base the plan is "unknown", and the MAOI labels' one-week minimum still
    makes an earlier start a hard stop."""
    maoi_ids = kb.safety_members[kb.safety.maoi_set][0]
    from_maoi, to_maoi = stop in maoi_ids, start in maoi_ids
    if not (from_maoi or to_maoi) or stop == start:
        return None
    checked = kb.washout_checked
    if stop not in checked or start not in checked:
        return None  # no MAOI rule concerns the other drug
    old = kb.maoi_interval_by_drug.get(stop)
    new = kb.maoi_interval_by_drug.get(start)
    name = {d: kb.drug_by_id[d].name for d in (stop, start)}
    needs: list[tuple[int, str, tuple[str, ...]]] = []
    missing: list[str] = []

    def take(interval: Any, field: str, drug: str, when: str, *, required: bool = True) -> None:
        value = getattr(interval, field) if interval is not None else None
        if value is not None:
            needs.append((value, f"{drug} label: {when}", interval.sources))
        elif required:
            missing.append(f"the {drug} label's interval {when}")

    if from_maoi and to_maoi:
        take(old, "after_stopping_days", name[stop], "after stopping it")
        take(new, "from_other_maoi_days", name[start], "from another MAOI")
    elif from_maoi:
        take(new, "after_maoi_days", name[start], "after an MAOI")
        take(old, "after_stopping_days", name[stop], "after stopping it", required=False)
    else:
        take(old, "before_maoi_days", name[stop], "before an MAOI")
    notes = tuple(i.note for i in (old, new) if i is not None and i.note)
    # between two MAOIs one label's number is enough (both ask at least a week); otherwise the
    # non-MAOI drug's own number is needed
    known = bool(needs) and (not missing or (from_maoi and to_maoi and len(missing) < 2))
    if not needs:
        needs.append(
            (kb.safety.maoi_minimum_days, "the MAOI labels' minimum of one week", kb.safety.maoi_minimum_sources)
        )
    days, why, _ = max(needs, key=lambda n: n[0])
    sources = tuple(dict.fromkeys(c for _, _, cited in needs for c in cited))
    reasons: tuple[str, ...] = (f"{days} days ({why})", *(f"{d} days ({w})" for d, w, _ in needs if w != why))
    if not known:
        reasons = (
            f"at least {days} days; the full interval is not in trdnav's knowledge base "
            f"(knowledge/GAPS.md F): {', '.join(missing)}: check that label",
            *reasons[1:],
        )
    reasons = (*reasons, *notes)
    gaps = tuple(missing) if not known else ()
    if stopped_on is None:
        return WashoutPlan(
            name[stop],
            name[start],
            None,
            days,
            None,
            proposed,
            "unknown",
            (*reasons, f"the stop date of {name[stop]} is not recorded"),
            Basis(RULE_WASHOUT, (), sources, (f"the date {name[stop]} was stopped", *gaps)),
            from_record,
        )
    earliest = stopped_on + timedelta(days=days)
    late = proposed is not None and proposed < earliest
    # an unknown interval stops mattering once the gap is longer than any interval a label in the
    # knowledge base asks (fluoxetine's 5 weeks)
    longest = _longest_interval(kb)
    long_past = proposed is not None and (proposed - stopped_on).days >= longest
    if not known and long_past:
        reasons = (*reasons, f"the gap is longer than any interval the labels read ask ({longest} days)")
    status: Literal["ok", "too_early", "unknown"] = "too_early" if late else "ok" if known or long_past else "unknown"
    return WashoutPlan(
        name[stop],
        name[start],
        stopped_on,
        days,
        earliest,
        proposed,
        status,
        reasons,
        Basis(RULE_WASHOUT, (), sources, gaps),
        from_record,
    )


def _washout_finding(plan: WashoutPlan, as_of: date) -> SafetyFinding | None:
    if plan.status == "ok":
        return None
    lower = "" if plan.status != "unknown" and not plan.basis.missing else "at least "
    if plan.status == "too_early" and plan.from_record and plan.earliest_start and as_of >= plan.earliest_start:
        # a past breach: the overlap window has closed; report it, not as a stop now
        message = (
            f"{plan.start} was started on {plan.proposed_start}, inside the drug-free period after {plan.stop} "
            f"(stopped {plan.stopped_on}; earliest safe start was {plan.earliest_start})"
        )
        severity: Severity = "moderate"
        management = "The window has passed; note it, and ask about symptoms of serotonin toxicity at that time."
    elif plan.status == "too_early":
        message = (
            f"{plan.start} from {plan.proposed_start} is inside the drug-free period after {plan.stop} "
            f"(stopped {plan.stopped_on}): earliest safe start {lower}{plan.earliest_start}"
        )
        severity = "contraindicated"
        management = f"Start {plan.start} no sooner than {plan.earliest_start}" + (
            "; the full interval is unknown: check the label." if lower else "."
        )
    else:
        message = f"{plan.stop} -> {plan.start}: {'; '.join(plan.reasons)}"
        severity = "major"
        management = (
            f"Not before {plan.earliest_start}; check the label for the full interval."
            if plan.earliest_start
            else "Record the stop date; check both labels."
        )
    return SafetyFinding(
        "maoi_washout",
        severity,
        (plan.stop, plan.start),
        message,
        "serotonin syndrome or hypertensive crisis when the drugs overlap",
        management,
        plan.basis,
    )


def washouts(ctx: Context, proposal: Proposal | None, focus: str | None = None) -> list[WashoutPlan]:
    """Switches to check: from each drug stopped (by the record, or by the proposal if it is
    taken now) to each drug started after it and taken now (by the record: a trial without a
    stop or a co-medication with its start) or started by the proposal. A new drug started
    before the old one stopped overlapped it: too early."""
    kb = ctx.kb
    plans = []
    current = {i.drug_id for i in ctx.taking}
    latest: dict[str, date | None] = {}
    starts: list[tuple[str, date | None, bool]] = []
    if proposal is not None:
        for n in proposal.stop:
            drug_id = kb.drug_by_name[normalise_name(n)]
            if drug_id in current:
                note_stop(latest, drug_id, proposal.on)
        starts += [
            (kb.drug_by_name[normalise_name(n)], proposal.on, False)
            for n in (*proposal.start, *proposal.add)
            if normalise_name(n) in kb.drug_by_name
        ]
    recorded_stops, recorded_starts = ctx.switch_points
    for stop, stopped_on in recorded_stops.items():
        note_stop(latest, stop, stopped_on)
    starts += recorded_starts
    maoi_ids = kb.safety_members[kb.safety.maoi_set][0]
    for start, on, from_record in dict.fromkeys(starts):
        if (focus is not None and start != focus) or start not in kb.washout_checked:
            continue
        for stop, stopped_on in latest.items():
            if start not in maoi_ids and stop not in maoi_ids:
                continue  # neither is an MAOI: no washout rule (washout() would say None)
            plan = washout(kb, stop, stopped_on, start, on, from_record=from_record)
            if plan is not None:
                plans.append(plan)
    return plans


def _limit_conditions(
    ctx: Context, limit: Any, item: Item, current: tuple[OnDrug, ...], phenotypes: dict[str, str], age: int | None
) -> tuple[list[str], list[str]]:
    """(what makes the lower limit apply, what is unknown that could) for one dose limit."""
    kb = ctx.kb
    categories = {c.category for c in ctx.record.conditions if c.category and c.condition.status == "active"}
    applies: list[str] = []
    unknown: list[str] = []
    for cond in limit.when:
        if cond.age_over is not None:
            if age is None:
                unknown.append(f"age (the limit applies above {cond.age_over})")
            elif age > cond.age_over:
                applies.append(f"age {age}")
        if cond.phenotype is not None:
            gene, pid = cond.phenotype
            if phenotypes.get(gene) == pid:
                applies.append(f"{gene} {kb.phenotype_by_id[pid].term}")
        if cond.inhibitor_of is not None:
            applies += [
                f"{d.name} ({m.strength} {m.enzyme} inhibitor)"
                for d in current
                if d.drug_id != item.drug_id
                for m in d.modulates
                if m.enzyme == cond.inhibitor_of and m.effect == "inhibitor"
            ]
        if cond.condition_category is not None and cond.condition_category in categories:
            applies.append(cond.condition_category.replace("_", " "))
    return applies, unknown


def max_dose(
    ctx: Context, drug_id: str, phenotypes: dict[str, str], age: int | None
) -> tuple[float, str, tuple[str, ...]] | None:
    """The lowest dose limit that applies to a drug in the current regimen, with why and the
    sources (the planner reads it before suggesting a higher dose); None when no limit applies."""
    items = ctx.taking
    item = next((i for i in items if i.drug_id == drug_id), None)
    if item is None:
        return None
    current = tuple(on_drug(ctx.kb, i.name, i.drug_id, i.path) for i in items)
    found = []
    for limit in ctx.kb.safety.dose_limits:
        if limit.drug != drug_id:
            continue
        applies, _ = _limit_conditions(ctx, limit, item, current, phenotypes, age)
        if not limit.when or applies:
            found.append((limit.max_dose, ", ".join(applies) or limit.mechanism, tuple(limit.sources)))
    return min(found, key=lambda f: f[0]) if found else None


def dose_limits(
    ctx: Context, items: list[Item], phenotypes: dict[str, str], age: int | None, taken: list[Item] | None = None
) -> Iterator[SafetyFinding]:
    """The dose limits of `items`, judged against the whole regimen `taken` (by default the
    same items): a co-medication can make a limit apply (a CYP2C19 inhibitor with citalopram)."""
    kb = ctx.kb
    limited = {i.drug_id for i in items} & {lim.drug for lim in kb.safety.dose_limits}
    if not limited:
        return
    current = tuple(on_drug(kb, i.name, i.drug_id, i.path) for i in (items if taken is None else taken))
    unknown_dose_said: set[str] = set()
    # the strictest applicable limit first, so an unknown dose is reported against it
    for limit in sorted(kb.safety.dose_limits, key=lambda lim: lim.max_dose):
        if limit.drug not in limited:
            continue
        for item in items:
            if item.drug_id != limit.drug:
                continue
            applies, unknown = _limit_conditions(ctx, limit, item, current, phenotypes, age)
            if limit.when and not applies:
                if unknown and (item.dose is None or item.dose > limit.max_dose):
                    yield _finding(
                        RULE_DOSE,
                        limit.id,
                        "monitor",
                        (item,),
                        f"{item.name}: whether the {limit.max_dose:g} mg/day maximum applies is unknown: "
                        + "; ".join(unknown),
                        limit.mechanism,
                        f"Record what is missing; the maximum is {limit.max_dose:g} mg/day when it applies.",
                        limit.sources,
                        tuple(unknown),
                    )
                continue
            because = f" ({', '.join(applies)})" if applies else ""
            if item.dose is None:
                if item.key in unknown_dose_said:
                    continue
                unknown_dose_said.add(item.key)
                yield _finding(
                    RULE_DOSE,
                    limit.id,
                    "monitor",
                    (item,),
                    f"{item.name}: dose not recorded; the maximum is {limit.max_dose:g} mg/day{because}",
                    limit.mechanism,
                    f"Check the dose is at most {limit.max_dose:g} mg/day.",
                    limit.sources,
                    (f"{item.path}: the current dose",),
                )
            elif item.dose > limit.max_dose:
                yield _finding(
                    RULE_DOSE,
                    limit.id,
                    limit.severity,
                    (item,),
                    f"{item.name} {item.dose:g} mg/day is above the {limit.max_dose:g} mg/day maximum{because}",
                    limit.mechanism,
                    f"Reduce to at most {limit.max_dose:g} mg/day or choose another drug.",
                    limit.sources,
                )


def condition_rules(ctx: Context, items: list[Item]) -> Iterator[SafetyFinding]:
    kb = ctx.kb
    for rule in kb.safety.condition_rules:
        group = kb.rule_drugs[rule.id]
        found = [
            c
            for c in ctx.record.conditions
            if c.category in rule.condition_categories and c.condition.status in rule.condition_statuses
        ]
        if not found:
            continue
        for item in items:
            if not _in(item, group):
                continue
            names = ", ".join(c.condition.name or c.condition.code or "" for c in found)
            yield _finding(
                RULE_CONDITION,
                rule.id,
                rule.severity,
                (item,),
                f"{item.name} with {names}: {rule.mechanism}",
                rule.mechanism,
                rule.management,
                (*rule.sources, *(s for c in found for s in c.sources)),
                more_facts=tuple(Fact(f"conditions[{c.index}]", names) for c in found),
            )


def age_rules(ctx: Context, items: list[Item], age: int | None) -> Iterator[SafetyFinding]:
    kb = ctx.kb
    for rule in kb.safety.age_rules:
        group = kb.rule_drugs[rule.id]
        for item in items:
            if not _in(item, group):
                continue
            if age is None:
                continue  # age unknown: the dose and interaction checks still run; nothing to say here
            if age >= rule.min_age:
                yield _finding(
                    RULE_AGE,
                    rule.id,
                    rule.severity,
                    (item,),
                    f"{item.name} at age {age}: {rule.mechanism}",
                    rule.mechanism,
                    rule.management,
                    rule.sources,
                )


def levels(ctx: Context, items: list[Item], age: int | None, profiles: dict[str, str]) -> Iterator[SafetyFinding]:
    """A drug with a target level: the latest level against the chosen profile's range."""
    kb = ctx.kb
    for drug_id, default in kb.safety.default_level_profile.items():
        item = next((i for i in items if i.drug_id == drug_id), None)
        if item is None:
            continue
        profile = kb.level_profile_by_id[profiles.get(drug_id, default)]
        ranges = [r for r in profile.ranges if r.min_age is not None and age is not None and age >= r.min_age]
        target = ranges[-1] if ranges else next(r for r in profile.ranges if r.min_age is None)
        labs = sorted(
            ((i, lab) for i, lab in enumerate(ctx.record.record.labs) if lab.test == profile.lab_test),
            key=lambda pair: pair[1].date,
        )
        where = f"{target.min:g}-{target.max:g} {profile.unit} ({profile.id})"
        if not labs or labs[-1][1].value is None:
            yield _finding(
                RULE_LEVEL,
                profile.id,
                "monitor",
                (item,),
                f"{item.name}: no {profile.lab_test} level recorded; target {where}",
                "a level guides the dose",
                "Check the level.",
                profile.sources,
                (f"a {profile.lab_test} level",),
            )
            continue
        index, lab = labs[-1]
        value = lab.value or 0.0
        if target.min <= value <= target.max:
            continue
        side = "below" if value < target.min else "above"
        yield _finding(
            RULE_LEVEL,
            profile.id,
            "moderate",
            (item,),
            f"{item.name} level {value:g} {profile.unit} on {lab.date} is {side} the target {where}",
            "outside the guideline's target range",
            "Review the dose and recheck the level.",
            profile.sources,
            more_facts=(Fact(f"labs[{index}]", f"{value:g}"),),
        )


def comedication_dosing(kb: KnowledgeBase, items: list[Item], focus: str | None = None) -> Iterator[SafetyFinding]:
    """The labels' dosing rules for co-medications that inhibit a drug's enzyme (the same rules
    the pharmacogenetics table reads), whether or not a genotype is known. With `focus`, only
    the rules of that drug, or of a drug it modulates."""
    # without a focus every drug with label rules is judged
    focus_modulates = focus is None or any(
        on_drug(kb, i.name, i.drug_id, i.path).modulates for i in items if i.key == focus
    )
    judged = [i for i in items if kb.guidance_by_drug.get(i.drug_id or "") and (i.key == focus or focus_modulates)]
    if not judged:
        return
    on = tuple(on_drug(kb, i.name, i.drug_id, i.path) for i in items)
    for item in judged:
        entries = kb.guidance_by_drug[item.drug_id or ""]
        others = tuple(d for d in on if d.drug_id != item.drug_id)
        for entry in entries:
            for g in label_comedication_rules(kb, entry, others):
                severity: Severity = "moderate" if g.category != "no_guidance" else "monitor"
                yield SafetyFinding(
                    "label_comedication_dosing",
                    severity,
                    (item.name, *(x.split(" (")[0].removeprefix("taking ") for x in g.lookup)),
                    f"{item.name} {'; '.join(g.lookup)}: the label's co-medication dosing applies",
                    "a co-medication changes this drug's exposure (CYP inhibition)",
                    g.recommendation,
                    Basis(RULE_CYP, g.basis.facts, g.basis.sources, g.basis.missing),
                )


def check(
    ctx: Context,
    found: tuple[GenePhenotype, ...],
    age: int | None,
    proposal: Proposal | None = None,
    level_profiles: dict[str, str] | None = None,
    focus: str | None = None,
) -> SafetySection:
    """The safety section for the regimen (after the proposal, if any). With `focus` (a catalog
    id), only what concerns that drug is checked: the planner asks this once per option."""
    kb = ctx.kb
    items = list(ctx.taking)
    if proposal is not None:
        items = apply(kb, items, proposal)
    phenotypes = {
        g.gene: kb.phenotype_id_by_term[g.phenotype] for g in found if g.phenotype and g.status != "not_covered"
    }
    plans = washouts(ctx, proposal, focus)
    single = items if focus is None else [i for i in items if i.key == focus]
    combinations = list(interactions(kb, items, focus))
    covered = {
        tuple(sorted((a.key, b.key)))
        for f in combinations
        if f.severity == "contraindicated"
        for a in items
        for b in items
        if a.name in f.drugs and b.name in f.drugs and a.key != b.key
    }
    # an option is taken, never recently stopped: the planner's focused checks skip this
    on = (proposal.on if proposal is not None else None) or ctx.record.as_of
    recent = recently_stopped(ctx, items, on, proposal) if focus is None else ()
    findings = [
        *combinations,
        *recent,
        *maoi_label_combinations(kb, items, covered),
        *(f for f in (_washout_finding(p, ctx.record.as_of) for p in plans) if f is not None),
        *dose_limits(ctx, single, phenotypes, age, items),
        *condition_rules(ctx, single),
        *age_rules(ctx, single, age),
        *levels(ctx, single, age, level_profiles or {}),
        *comedication_dosing(kb, items, focus),
    ]
    if focus is not None:
        name = kb.drug_by_id[focus].name
        findings = [f for f in findings if name in f.drugs]
    findings.sort(key=lambda f: (ORDER[f.severity], f.rule, f.drugs))
    return SafetySection(tuple(i.name for i in items), proposal, tuple(findings), tuple(plans))


__all__ = ["OnDrug", "check"]
