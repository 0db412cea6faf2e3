"""``trdnav tms``: the TMS tools that need no patient record (target, protocols, schedule, check).

A face: options become the record's and the knowledge base's own models, rules/tms.py does
the work, and bad input names the option and its accepted range.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel

    from trdnav.knowledge.loader import KnowledgeBase

from trdnav.cli_support import EXIT_BAD_INPUT, Format, _console, _load_kb
from trdnav.cli_support import _fail as fail

tms_app = typer.Typer(
    help="TMS: Beam F3 target, protocol library, course schedule, parameter check.", no_args_is_help=True
)


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or JSON.")]


def _fail(lines: list[str]) -> NoReturn:
    fail(lines, EXIT_BAD_INPUT)


def _kb() -> KnowledgeBase:
    return _load_kb()


def _model(model: type[BaseModel], options: dict[str, str], values: dict[str, Any]) -> Any:
    """Build a model from option values; a bad value names the option and what it accepts."""
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            field = str(err["loc"][0]) if err["loc"] else ""
            option = options.get(field, field)
            got = "nothing" if err["type"] == "missing" else repr(err.get("input"))
            lines.append(f"{option}: got {got}; expected {_accepted(err)}")
        _fail(lines)


def _accepted(err: Any) -> str:
    ctx = err.get("ctx") or {}
    bounds = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    found = [f"{sign} {ctx[key]:g}" for key, sign in bounds.items() if key in ctx]
    if found:
        return "a number " + " and ".join(found)
    if err["type"] == "missing":
        return "a value for this parameter"
    return str(err["msg"]).removeprefix("Value error, ").removeprefix("Input should be ")


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


@tms_app.command("target")
def target(
    tragus_tragus: Annotated[float, typer.Option("--tragus-tragus", help="Tragus to tragus over the vertex, cm.")],
    nasion_inion: Annotated[float, typer.Option("--nasion-inion", help="Nasion to inion over the vertex, cm.")],
    circumference: Annotated[float, typer.Option("--circumference", help="Head circumference, cm.")],
    format: FormatOption = Format.text,
) -> None:
    """Beam F3: where to mark the left DLPFC target from three tape measurements."""
    from trdnav.record.models import HeadMeasurements
    from trdnav.rules.tms import beam_f3, rule_sites

    head = _model(
        HeadMeasurements,
        {"tragus_tragus": "--tragus-tragus", "nasion_inion": "--nasion-inion", "circumference": "--circumference"},
        {"tragus_tragus": tragus_tragus, "nasion_inion": nasion_inion, "circumference": circumference},
    )
    kb = _kb()
    found = beam_f3(head, kb)
    sites = rule_sites(kb)
    if format is Format.json:
        _print_json({"beam_f3": _dict(found), "rule_sites": [_dict(s) for s in sites]})
        return
    from trdnav.report.text import render_tms_target

    render_tms_target(found, sites, kb, _out())


@tms_app.command("protocols")
def protocols(format: FormatOption = Format.text) -> None:
    """The protocol library: parameters, session time, FDA status, what is not confirmed."""
    from trdnav.rules.tms import protocol_view

    kb = _kb()
    views = [protocol_view(p, kb) for p in kb.tms.protocols]
    if format is Format.json:
        _print_json([_dict(v) for v in views])
        return
    from trdnav.report.text import render_tms_protocols

    render_tms_protocols(views, kb, _out())


@tms_app.command("screen")
def screen(format: FormatOption = Format.text) -> None:
    """The safety-screen items (ids for a record's tms_courses[].screen), with how the device
    labels and the IFCN safety guidance treat a yes."""
    kb = _kb()
    items = kb.tms.screen
    if format is Format.json:
        _print_json([item.model_dump(mode="json") for item in items])
        return
    out = _out()
    for item in items:
        label, guidance = item.label.replace("_", " "), item.guidance.replace("_", " ")
        out.print(f"{item.id}: {item.question}", highlight=False)
        out.print(f"    a yes: device label {label}; IFCN safety guidance {guidance}", highlight=False)
        out.print(f"    {'; '.join((*item.label_sources, *item.guidance_sources))}", style="dim", highlight=False)


@tms_app.command("schedule")
def schedule(
    protocol: Annotated[str, typer.Option("--protocol", "-p", help="Protocol id (trdnav tms protocols).")],
    start: Annotated[str, typer.Option("--start", help="First session, YYYY-MM-DD.")],
    rule: Annotated[str | None, typer.Option("--rule", help="Course rule id (default: the protocol's).")] = None,
    holiday: Annotated[
        list[str] | None, typer.Option("--holiday", help="A closure day, YYYY-MM-DD (repeatable).")
    ] = None,
    taper: Annotated[
        str | None, typer.Option("--taper", help="Taper sessions in each week after the acute course, e.g. 3,2,1.")
    ] = None,
    extension: Annotated[
        bool, typer.Option("--extension", help="Plan the rule's extension block (as if its checkpoint granted it).")
    ] = False,
    format: FormatOption = Format.text,
) -> None:
    """Session dates for a course: weekdays, skipping holidays; accelerated days; taper weeks."""
    from trdnav.rules.tms import plan_for
    from trdnav.rules.tms import schedule as make

    kb = _kb()
    problems = []
    if protocol not in kb.tms_protocol_by_id:
        problems.append(f"--protocol: got {protocol!r}; expected one of {', '.join(kb.tms_protocol_by_id)}")
    if rule is not None and rule not in kb.tms_rule_by_id:
        problems.append(f"--rule: got {rule!r}; expected one of {', '.join(kb.tms_rule_by_id)}")
    first = _date(start, "--start", problems)
    closed = [_date(d, "--holiday", problems) for d in holiday or ()]
    weeks = _weeks(taper, problems)
    if problems:
        _fail(problems)
    assert first is not None
    chosen = kb.tms_protocol_by_id[protocol]
    plan, course_rule = plan_for(chosen, kb, rule, extension)
    if plan.acute == 0:
        _fail([f"--protocol: {protocol} has no confirmed course length and no course rule; give --rule"])
    sessions = make(chosen, first, plan, weeks, [d for d in closed if d is not None])
    if format is Format.json:
        _print_json(
            {
                "protocol": protocol,
                "course_rule": course_rule.id if course_rule else None,
                "plan": dataclasses.asdict(plan),
                "sessions": [_dict(s) for s in sessions],
            }
        )
        return
    from trdnav.report.text import render_tms_schedule

    render_tms_schedule(chosen, course_rule, plan, sessions, _out())


@tms_app.command("check")
def check(
    frequency: Annotated[float | None, typer.Option("--frequency", help="Pulses a second within a train, Hz.")] = None,
    intensity: Annotated[
        float | None, typer.Option("--intensity", help="Intensity, % of resting motor threshold.")
    ] = None,
    train: Annotated[float | None, typer.Option("--train", help="Train length, seconds.")] = None,
    interval: Annotated[float | None, typer.Option("--interval", help="Inter-train interval, seconds.")] = None,
    trains: Annotated[int | None, typer.Option("--trains", help="Trains in the session.")] = None,
    motor_threshold: Annotated[
        float | None, typer.Option("--mt", help="Resting motor threshold, % of stimulator output.")
    ] = None,
    format: FormatOption = Format.text,
) -> None:
    """Check a proposed 10 Hz-style parameter set: session time, pulses, train-length limit, output."""
    from trdnav.knowledge.schema import TmsBlock
    from trdnav.rules.tms import block_view

    options = {
        "frequency_hz": "--frequency",
        "intensity_pct_mt": "--intensity",
        "train_s": "--train",
        "inter_train_s": "--interval",
        "trains": "--trains",
    }
    values = {"frequency_hz": frequency, "intensity_pct_mt": intensity, "train_s": train}
    values |= {"inter_train_s": interval, "trains": trains}
    missing = [
        f"{options[k]}: got nothing; expected a value for this parameter" for k, v in values.items() if v is None
    ]
    if motor_threshold is not None and not 0 < motor_threshold <= 100:
        missing.append(f"--mt: got {motor_threshold:g}; expected a number > 0 and <= 100 (% of stimulator output)")
    if missing:
        _fail(missing)
    block = _model(
        TmsBlock,
        options,
        {"site": "proposed", "pattern": "train", "sources": ["trdnav-conventions user-supplied parameters"], **values},
    )
    kb = _kb()
    found = block_view(block, kb)
    output = round(motor_threshold * (intensity or 0) / 100, 1) if motor_threshold is not None else None
    if format is Format.json:
        _print_json({"block": _dict(found), "output_pct": output})
        return
    from trdnav.report.text import render_tms_check

    render_tms_check(found, output, kb, _out())


def _date(value: str, option: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{option}: got {value!r}; expected a date YYYY-MM-DD")
        return None


def _weeks(value: str | None, problems: list[str]) -> tuple[int, ...]:
    if not value:
        return ()
    try:
        weeks = tuple(int(x) for x in value.split(","))
    except ValueError:
        weeks = ()
    if not weeks or any(not 1 <= w <= 5 for w in weeks):
        problems.append(
            f"--taper: got {value!r}; expected sessions per week, each 1 to 5, comma-separated (e.g. 3,2,1)"
        )
    return weeks


def _dict(value: Any) -> Any:
    from trdnav.report.as_json import part_to_dict

    return part_to_dict(value)


def _out() -> Any:
    return _console()
