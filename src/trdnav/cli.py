"""Command line: ``trdnav assess|report|check|pgx``, ``trdnav kb ...``, ``trdnav tms ...`` (cli_tms), ``trdnav schema``.

A face only: it reads files, calls ``assess`` and renders. Bad input exits with code 2
and one line per problem naming the field; nothing prints a traceback unless
TRDNAV_DEBUG is set. Heavy imports happen inside commands to keep start-up fast.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from trdnav.cli_clinic import serve, users_app
from trdnav.cli_support import EXIT_BAD_INPUT, EXIT_HARD_STOP, Format, _console, _fail, _load_kb
from trdnav.cli_tms import tms_app

# pydantic scans installed entry points for plugins at import; trdnav uses none, and the
# scan is a large share of the CLI's start-up time
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

app = typer.Typer(
    help="trdnav: decision support for treatment-resistant depression. Explained, cited, not a decision.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="Inspect and check the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

app.add_typer(tms_app, name="tms")
app.add_typer(users_app, name="users")
app.command()(serve)


LevelProfileOption = Annotated[
    list[str] | None,
    typer.Option("--level-profile", help="DRUG=PROFILE target range for drug levels, e.g. lithium=lithium_nice_ng222."),
]


class SchemaName(StrEnum):
    record = "record"
    assessment = "assessment"


@app.command()
def assess(
    record: Annotated[Path, typer.Argument(help="Patient record (native JSON format, docs/record.md).")],
    format: Annotated[
        Format, typer.Option("--format", "-f", help="text report or the Assessment as JSON.")
    ] = Format.text,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Assessment date YYYY-MM-DD (default: today).")] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Adequacy profile id (see `trdnav kb profiles`).")
    ] = None,
    level_profile: LevelProfileOption = None,
) -> None:
    """Assess a patient record: safety, trial adequacy and outcome, TRD status, staging, scales,
    checks, pharmacogenetics."""
    from trdnav.engine import assess as run
    from trdnav.record.errors import RecordError
    from trdnav.record.parse import load_record

    when = _parse_date(as_of) if as_of else date.today()
    levels = _level_profiles(level_profile)
    kb = _load_kb()
    try:
        result = run(load_record(record), kb, as_of=when, profile=profile, level_profiles=levels)
    except RecordError as exc:
        _fail([f"{record}: {p}" for p in exc.problems], EXIT_BAD_INPUT)
    if format is Format.json:
        from trdnav.report.as_json import to_json

        sys.stdout.write(to_json(result) + "\n")
    else:
        from trdnav.report.text import render

        render(result, _console())


def _parse_date(value: str, option: str = "--as-of") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail([f"{option}: got {value!r}; expected a date YYYY-MM-DD"], EXIT_BAD_INPUT)


def _level_profiles(items: list[str] | None) -> dict[str, str]:
    chosen = {}
    for item in items or ():
        drug, sep, profile_id = item.partition("=")
        if not sep or not drug.strip() or not profile_id.strip():
            _fail(
                [f"--level-profile: got {item!r}; expected DRUG=PROFILE, e.g. lithium=lithium_nice_ng222"],
                EXIT_BAD_INPUT,
            )
        chosen[drug.strip().lower()] = profile_id.strip()
    return chosen


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"


class Audience(StrEnum):
    clinician = "clinician"
    patient = "patient"


@app.command()
def report(
    record: Annotated[Path, typer.Argument(help="Patient record (native JSON format, docs/record.md).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (report.pdf or report.html).")],
    format: Annotated[
        ReportFormat | None, typer.Option("--format", "-f", help="html or pdf (default: from --out's extension).")
    ] = None,
    audience: Annotated[
        Audience, typer.Option("--audience", help="clinician report, or a one-page plain-language patient summary.")
    ] = Audience.clinician,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Assessment date YYYY-MM-DD (default: today).")] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Adequacy profile id (see `trdnav kb profiles`).")
    ] = None,
) -> None:
    """Write the report (HTML or PDF): safety first, TRD verdicts and stages, timeline and symptom
    charts, pharmacogenetics, ranked next steps, sources."""
    from trdnav.engine import assess as run
    from trdnav.record.errors import RecordError
    from trdnav.record.parse import load_record

    chosen = format or (ReportFormat.pdf if out.suffix.lower() == ".pdf" else ReportFormat.html)
    when = _parse_date(as_of) if as_of else date.today()
    kb = _load_kb()
    try:
        result = run(load_record(record), kb, as_of=when, profile=profile)
    except RecordError as exc:
        _fail([f"{record}: {p}" for p in exc.problems], EXIT_BAD_INPUT)
    from trdnav.report.html import render_html, render_pdf

    try:
        if chosen is ReportFormat.pdf:
            out.write_bytes(render_pdf(result, audience.value))
        else:
            out.write_text(render_html(result, audience.value), encoding="utf-8")
    except OSError as exc:
        _fail([f"--out: cannot write {out}: {exc.strerror}"], EXIT_BAD_INPUT)
    _console().print(f"wrote {out} ({chosen.value}, {audience.value})", style="dim")


@app.command()
def check(
    record: Annotated[Path, typer.Argument(help="Patient record (native JSON format, docs/record.md).")],
    add: Annotated[list[str] | None, typer.Option("--add", help="A drug added to the regimen (repeatable).")] = None,
    stop: Annotated[list[str] | None, typer.Option("--stop", help="A drug stopped (repeatable).")] = None,
    start: Annotated[
        list[str] | None, typer.Option("--start", help="A drug started after the stop (repeatable).")
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="Date of the change YYYY-MM-DD (default: --as-of).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Assessment date YYYY-MM-DD (default: today).")] = None,
    level_profile: LevelProfileOption = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text or JSON.")] = Format.text,
) -> None:
    """Check the safety of the current regimen, or of a proposed change: interactions, MAOI
    washouts (earliest safe start), dose limits, conditions. Exit 4 when a hard stop is found."""
    from trdnav.assessment import Proposal
    from trdnav.engine import assess as run
    from trdnav.record.errors import RecordError
    from trdnav.record.parse import load_record

    when = _parse_date(as_of) if as_of else date.today()
    change_on = _parse_date(on, "--on") if on else when
    proposal = (
        Proposal(tuple(add or ()), tuple(stop or ()), tuple(start or ()), change_on) if (add or stop or start) else None
    )
    levels = _level_profiles(level_profile)
    kb = _load_kb()
    try:
        result = run(load_record(record), kb, as_of=when, proposal=proposal, level_profiles=levels)
    except RecordError as exc:
        _fail([f"{record}: {p}" for p in exc.problems], EXIT_BAD_INPUT)
    from trdnav.report.text import safety_only

    result = safety_only(result)
    if format is Format.json:
        from trdnav.report.as_json import to_dict

        data = to_dict(result)
        keep = ("engine_version", "kb_version", "as_of", "patient_id", "warnings", "safety", "citations")
        sys.stdout.write(json.dumps({k: data[k] for k in keep}, indent=2) + "\n")
    else:
        from trdnav.report.text import render_safety

        render_safety(result, _console())
    if any(f.severity == "contraindicated" for f in result.safety.findings):
        raise typer.Exit(EXIT_HARD_STOP)


@app.command()
def pgx(
    genotype: Annotated[
        list[str],
        typer.Option(
            "--genotype",
            "-g",
            help="GENE=RESULT, repeatable: a diplotype (CYP2D6=*1/*4), an activity score (CYP2D6=1.25) "
            "or a phenotype (CYP2C19=poor metabolizer).",
        ),
    ],
    meds: Annotated[
        list[str] | None,
        typer.Option(
            "--meds",
            "-m",
            help="A medication the patient takes now, repeatable or comma-separated (for phenoconversion "
            "and the 'taking now' mark in the regimen table).",
        ),
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text or JSON.")] = Format.text,
) -> None:
    """Interpret pharmacogenetic results alone, without a patient record (labs, pharmacists)."""
    from trdnav.engine import assess as run
    from trdnav.record.errors import RecordError
    from trdnav.record.parse import parse_record
    from trdnav.report.text import pgx_only

    entries = []
    for i, item in enumerate(genotype):
        gene, sep, value = item.partition("=")
        if not sep or not gene.strip() or not value.strip():
            _fail([f"--genotype {i + 1}: got {item!r}; expected GENE=RESULT, e.g. CYP2D6=*1/*4"], EXIT_BAD_INPUT)
        entries.append(_genotype_entry(gene.strip(), value.strip()))
    medications = [{"drug": name.strip()} for item in meds or () for name in item.split(",") if name.strip()]
    kb = _load_kb()
    try:
        record = {"patient": {"id": "pgx"}, "genotypes": entries, "medications": medications}
        result = run(parse_record(record), kb, as_of=date.today())
    except RecordError as exc:
        # name the option the user typed rather than a record path they never saw
        _fail(
            [_cli_names(str(p)) for p in exc.problems],
            EXIT_BAD_INPUT,
        )
    # name the options the user typed rather than record paths they never saw
    result = dataclasses.replace(
        result, warnings=tuple(dataclasses.replace(w, field=_cli_names(w.field)) for w in result.warnings)
    )
    if format is Format.json:
        from trdnav.report.as_json import to_dict

        data = to_dict(pgx_only(result))
        keep = ("engine_version", "kb_version", "warnings", "pharmacogenetics", "pgx_regimen", "citations")
        sys.stdout.write(json.dumps({k: data[k] for k in keep}, indent=2) + "\n")
    else:
        from trdnav.report.text import render_pgx

        render_pgx(result, _console())


def _option_name(match: re.Match[str]) -> str:
    field = f" ({match[2]})" if match[2] else ""
    return f"--genotype {int(match[1]) + 1}{field}"


def _meds_name(match: re.Match[str]) -> str:
    return f"--meds entry {int(match[1]) + 1}"


def _cli_names(text: str) -> str:
    text = re.sub(r"genotypes\[(\d+)\]\.?(\w*)", _option_name, text)
    return re.sub(r"medications\[(\d+)\]\.?(\w*)", _meds_name, text)


def _genotype_entry(gene: str, result: str) -> dict[str, object]:
    """A diplotype has a star; a bare number is an activity score; anything else is a phenotype."""
    if "*" in result:
        return {"gene": gene, "diplotype": result}
    try:
        return {"gene": gene, "activity_score": float(result)}
    except ValueError:
        return {"gene": gene, "phenotype": result}


@app.command()
def schema(name: Annotated[SchemaName, typer.Argument(help="record or assessment")]) -> None:
    """Print the JSON Schema of the record format or of the Assessment."""
    from trdnav.report.as_json import assessment_schema, record_schema

    sys.stdout.write(record_schema() if name is SchemaName.record else assessment_schema())


@kb_app.command("check")
def kb_check(
    data_dir: Annotated[Path | None, typer.Option(help="Check another data folder (default: the bundled KB).")] = None,
) -> None:
    """Validate every KB file, every citation and every cross-reference."""
    kb = _load_kb(data_dir)
    citations = list(kb.citations())
    used = {c.split(maxsplit=1)[0] for _, c in citations}
    unused = sorted(set(kb.source_by_id) - used)
    out = _console()
    out.print(f"knowledge base {kb.kb_version}: OK")
    out.print(
        f"  {len(kb.drugs.drugs)} treatments, {len(kb.classes.classes)} classes, {len(kb.scales.scales)} scales, "
        f"{len(kb.definitions.definitions)} TRD definitions, {len(kb.adequacy.profiles)} adequacy profiles, "
        f"{len(kb.pseudo.checks)} pseudo-resistance checks"
    )
    safety = kb.safety
    rules = len(safety.interactions) + len(safety.dose_limits) + len(safety.condition_rules) + len(safety.age_rules)
    out.print(
        f"  {len(kb.pgx.genes)} genes ({sum(len(g.alleles) for g in kb.pgx.genes)} alleles), "
        f"{len(kb.pgx_guidance.drug_guidance)} drug guidance tables, {len(kb.pgx_guidance.modulators)} CYP modulators, "
        f"{rules} safety rules, {len(safety.maoi_intervals)} MAOI intervals, "
        f"{len(kb.options.options)} next-step options, {len(kb.tms.protocols)} TMS protocols"
    )
    out.print(f"  {len(citations)} citations of {len(used)} sources; every one resolves")
    if unused:
        out.print(f"  sources listed but not cited: {', '.join(unused)}")


@kb_app.command("show")
def kb_show(drug: Annotated[str, typer.Argument(help="Generic or brand name.")]) -> None:
    """Show one treatment's entry with its sources."""
    from trdnav.knowledge.loader import normalise_name, source_id

    kb = _load_kb()
    drug_id = kb.drug_by_name.get(normalise_name(drug))
    if drug_id is None:
        _fail([f"{drug!r} is not in the knowledge base (see `trdnav kb list`)"], EXIT_BAD_INPUT)
    entry = kb.drug_by_id[drug_id]
    out = _console()
    out.print(f"{entry.name} ({entry.id})", style="bold")
    classes = ", ".join(kb.class_by_id[c].name for c in entry.classes)
    out.print(f"  kind: {entry.kind}; class: {classes}; antidepressant: {'yes' if entry.antidepressant else 'no'}")
    out.print(f"  mechanism: {entry.mechanism}")
    if entry.brands:
        out.print(f"  brands: {', '.join(entry.brands)}")
    if entry.synonyms:
        out.print(f"  also known as: {', '.join(entry.synonyms)}")
    if entry.roles:
        out.print(f"  roles: {', '.join(entry.roles)}")
    cited = list(entry.sources)
    if entry.usual_range:
        r = entry.usual_range
        out.print(f"  usual range: {r.min:g}-{r.max:g} {entry.dose_unit}  ({'; '.join(r.sources)})")
        cited += r.sources
    if entry.label_max:
        out.print(
            f"  label maximum: {entry.label_max.value:g} {entry.dose_unit}  ({'; '.join(entry.label_max.sources)})"
        )
        cited += entry.label_max.sources
    if entry.label_start:
        start = entry.label_start
        use, text = start.describe(entry.dose_unit)
        out.print(f"  label start{use}: {text}  ({'; '.join(start.sources)})")
        cited += start.sources
    for profile_id, floor in sorted(entry.adequate_dose.items()):
        out.print(
            f"  minimum adequate dose ({profile_id}): {floor.min:g} {entry.dose_unit}  ({'; '.join(floor.sources)})"
        )
        cited += floor.sources
    for minimum in kb.adequacy.course_minimums:
        if minimum.treatment == entry.id:
            out.print(f"  adequate course: at least {minimum.min_sessions} sessions  ({'; '.join(minimum.sources)})")
            cited += minimum.sources
    out.print("  sources:")
    for sid in dict.fromkeys(source_id(c) for c in cited):
        s = kb.source_by_id[sid]
        out.print(f"    {sid}: {s.title}" + (f" ({s.year})" if s.year else ""))
        if s.verification:
            out.print(f"      not fully verified: {s.verification}", style="yellow")


@kb_app.command("list")
def kb_list() -> None:
    """List every treatment in the knowledge base."""
    kb = _load_kb()
    out = _console()
    for entry in sorted(kb.drugs.drugs, key=lambda d: d.id):
        brands = f" ({', '.join(entry.brands)})" if entry.brands else ""
        out.print(f"{entry.id}{brands}: {', '.join(entry.classes)}")


@kb_app.command("safety")
def kb_safety() -> None:
    """The safety rules and MAOI intervals as Markdown tables (docs/safety.md is made from them)."""
    from trdnav.report.kb_tables import safety_page

    sys.stdout.write(safety_page(_load_kb()))


@kb_app.command("tms")
def kb_tms() -> None:
    """The TMS protocols, safety screen, eligibility criteria and course rules as Markdown tables."""
    from trdnav.report.kb_tables import tms_page

    sys.stdout.write(tms_page(_load_kb()))


@kb_app.command("profiles")
def kb_profiles() -> None:
    """List the adequacy profiles and TRD definitions, with their sources."""
    kb = _load_kb()
    out = _console()
    for p in kb.adequacy.profiles:
        default = " (default)" if p.id == kb.adequacy.default_profile else ""
        out.print(f"{p.id}{default}: {p.description}  [{'; '.join(p.sources)}]")
    for d in kb.definitions.definitions:
        out.print(f"definition {d.id}: {d.summary}  [{'; '.join(d.sources)}]")


def main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # a face never shows a traceback to a user
        if os.environ.get("TRDNAV_DEBUG"):
            raise
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in trdnav, not in your input. Set TRDNAV_DEBUG=1 for details.\n"
        )
        sys.exit(70)
