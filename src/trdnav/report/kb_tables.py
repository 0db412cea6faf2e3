"""Knowledge-base tables as Markdown, for the docs (docs/safety.md is generated from these,
and a test checks the page is current)."""

from __future__ import annotations

from trdnav.knowledge.loader import KnowledgeBase


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _who(kb: KnowledgeBase, refs: tuple[str, ...]) -> str:
    names = []
    for ref in refs:
        if ref in kb.safety_members:
            names.append(next(s.name for s in kb.safety.sets if s.id == ref))
        else:
            names.append(kb.drug_by_id[ref].name)
    return ", ".join(names)


def safety_rules(kb: KnowledgeBase) -> str:
    """Every safety rule with its severity, what it matches, what to do and its sources."""
    lines = [
        "| Rule | Severity | Applies to | Mechanism | What to do | Sources |",
        "|---|---|---|---|---|---|",
    ]
    for i in kb.safety.interactions:
        who = f"{_who(kb, i.first)} with {_who(kb, i.second)}"
        lines.append(
            f"| `{i.id}` | {i.severity} | {_cell(who)} | {_cell(i.mechanism)} | {_cell(i.management)} | "
            f"{', '.join(i.sources)} |"
        )
    for limit in kb.safety.dose_limits:
        when = "; ".join(
            f"age over {c.age_over}"
            if c.age_over is not None
            else f"{c.phenotype[0]} {c.phenotype[1]} metabolizer"
            if c.phenotype is not None
            else f"any {c.inhibitor_of} inhibitor"
            if c.inhibitor_of is not None
            else (c.condition_category or "").replace("_", " ")
            for c in limit.when
        )
        who = f"{kb.drug_by_id[limit.drug].name} above {limit.max_dose:g} mg/day" + (f" when: {when}" if when else "")
        lines.append(
            f"| `{limit.id}` | {limit.severity} | {_cell(who)} | {_cell(limit.mechanism)} | "
            f"Reduce to at most {limit.max_dose:g} mg/day (an unknown dose is flagged too) | "
            f"{', '.join(limit.sources)} |"
        )
    for rule in kb.safety.condition_rules:
        conditions = ", ".join(c.replace("_", " ") for c in rule.condition_categories)
        who = f"{_who(kb, rule.drugs)} with {conditions} ({', '.join(rule.condition_statuses)})"
        lines.append(
            f"| `{rule.id}` | {rule.severity} | {_cell(who)} | {_cell(rule.mechanism)} | {_cell(rule.management)} | "
            f"{', '.join(rule.sources)} |"
        )
    for age_rule in kb.safety.age_rules:
        who = f"{_who(kb, age_rule.drugs)} at age {age_rule.min_age} or over"
        lines.append(
            f"| `{age_rule.id}` | {age_rule.severity} | {_cell(who)} | {_cell(age_rule.mechanism)} | "
            f"{_cell(age_rule.management)} | {', '.join(age_rule.sources)} |"
        )
    for profile in kb.safety.level_profiles:
        ranges = "; ".join(
            f"{r.min:g}-{r.max:g} {profile.unit}" + (f" from age {r.min_age}" if r.min_age else "")
            for r in profile.ranges
        )
        default = " (default)" if kb.safety.default_level_profile.get(profile.drug) == profile.id else ""
        lines.append(
            f"| `{profile.id}`{default} | major above, moderate below, monitor when no level | "
            f"{kb.drug_by_id[profile.drug].name} level: {ranges} | levels outside the range are ineffective or toxic "
            f"| Review the dose and recheck | {', '.join(profile.sources)} |"
        )
    return "\n".join(lines) + "\n"


def maoi_intervals(kb: KnowledgeBase) -> str:
    lines = [
        "| Drug | Days after stopping it before an MAOI | Days after stopping an MAOI before it | Note | Sources |",
        "|---|---|---|---|---|",
    ]
    for m in kb.safety.maoi_intervals:

        def show(value: int | None) -> str:
            return "" if value is None else str(value)

        before = show(m.before_maoi_days)
        after = show(m.after_maoi_days)
        if m.after_stopping_days is not None:
            after = f"{m.after_stopping_days} (after stopping this MAOI, before another drug)"
        if m.from_other_maoi_days is not None:
            before = f"{m.from_other_maoi_days} (from another MAOI to this one)"
        lines.append(
            f"| {kb.drug_by_id[m.drug].name} | {before} | {after} | {_cell(m.note or '')} | {', '.join(m.sources)} |"
        )
    return "\n".join(lines) + "\n"


def drug_sets(kb: KnowledgeBase) -> str:
    lines = ["| Set | Members | Sources |", "|---|---|---|"]
    for item in kb.safety.sets:
        ids, names = kb.safety_members[item.id]
        members = sorted(kb.drug_by_id[d].name for d in ids) + sorted(names)
        lines.append(f"| `{item.id}`: {_cell(item.name)} | {_cell(', '.join(members))} | {', '.join(item.sources)} |")
    return "\n".join(lines) + "\n"


def safety_page(kb: KnowledgeBase) -> str:
    """The generated part of docs/safety.md."""
    return (
        "### Rules\n\n"
        + safety_rules(kb)
        + "\n### MAOI intervals\n\n"
        + maoi_intervals(kb)
        + "\n### Drug sets\n\n"
        + drug_sets(kb)
    )


def _kind(kind: str) -> str:
    return "not in the text read" if kind == "not_addressed" else kind.replace("_", " ")


def tms_page(kb: KnowledgeBase) -> str:
    """The TMS protocol library, safety screen, eligibility criteria and course rules as Markdown
    (docs/tms.md is generated from this; a test checks it is current)."""
    from trdnav.rules.tms import protocol_view

    out = [
        "### Protocols",
        "",
        "| Id | Protocol | Stimulation | Pulses | Minutes (with trailing interval) | Sessions | FDA "
        "| Not confirmed | Sources |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in kb.tms.protocols:
        v = protocol_view(p, kb)
        blocks = "; ".join(
            f"{b.site}: {b.pattern.replace('_', ' ')} {b.frequency_hz:g} Hz"
            + (f", {b.intensity_pct_mt:g}% MT" if b.intensity_pct_mt is not None else "")
            + (f", {b.trains} x {b.train_s:g} s trains {b.inter_train_s:g} s apart" if b.trains and b.train_s else "")
            for b in v.blocks
        )
        minutes = f"{v.minutes:g} ({v.minutes_with_trailing:g})" if v.minutes is not None else "unknown"
        per_day = f"{v.sessions_per_day} a day, " if v.sessions_per_day > 1 else ""
        sessions = f"{per_day}{v.acute_sessions}" if v.acute_sessions else "unknown"
        out.append(
            f"| `{p.id}` | {_cell(p.name)} | {_cell(blocks)} | {v.pulses_per_session or 'unknown'} | {minutes} | "
            f"{sessions} | {_cell(v.fda)} | {_cell('; '.join(p.unconfirmed) or '-')} | {', '.join(v.basis.sources)} |"
        )
    out += [
        "",
        "### Safety screen",
        "",
        "| Id | Question | Device label | IFCN safety guidance | Sources |",
        "|---|---|---|---|---|",
    ]
    for item in kb.tms.screen:
        sources = ", ".join((*item.label_sources, *item.guidance_sources))
        out.append(
            f"| `{item.id}` | {_cell(item.question)} | {_kind(item.label)} | {_kind(item.guidance)} | {sources} |"
        )
    out += ["", "### Eligibility criteria", "", "| Id | Criterion | Sources |", "|---|---|---|"]
    out += [f"| `{c.id}` | {_cell(c.text)} | {', '.join(c.sources)} |" for c in kb.tms.eligibility]
    out += [
        "",
        "### Course rules",
        "",
        "| Id | Rule | Acute | Taper | Checkpoints | Sources |",
        "|---|---|---|---|---|---|",
    ]
    for r in kb.tms.course_rules:
        checkpoints = "; ".join(c.text for c in r.checkpoints) or "-"
        sources = ", ".join(dict.fromkeys((*r.sources, *(s for c in r.checkpoints for s in c.sources))))
        out.append(
            f"| `{r.id}` | {_cell(r.name)} | {r.acute_sessions} | {r.taper_sessions} | {_cell(checkpoints)} "
            f"| {sources} |"
        )
    return "\n".join(out) + "\n"
