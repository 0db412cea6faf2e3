"""Safety: the MAOI washout scheduler, dose limits with unknown data, level profiles, hard
stops that nothing hides, and the `trdnav check` command.

Expected intervals are the labels' numbers (knowledge/data/safety.yaml cites each): fluoxetine
5 weeks before an MAOI (fluoxetine label section 4), vortioxetine 21 days (Trintellix),
venlafaxine 7 days (Effexor XR), duloxetine 5 days (duloxetine Medication Guide), 14 days after
an MAOI before sertraline (sertraline label section 4), at least 1 week after stopping Parnate
and at least 1 week from another MAOI before Parnate (Parnate section 2.2), 14 days each way
for doxepin (doxepin label revised 7/2025, section 2.3) and trimipramine (Surmontil,
Contraindications), 14 days after an MAOI before amitriptyline (amitriptyline label,
Contraindications; it gives no number the other way), desipramine and imipramine (the Norpramin
and Tofranil-PM manufacturers' pages), and Emsam's Important Safety Information:
stop Emsam at least 2 weeks before a drug contraindicated with it; Emsam is contraindicated with
SSRIs, SNRIs, clomipramine, imipramine, meperidine, tramadol, methadone, pentazocine,
propoxyphene, dextromethorphan (serotonin syndrome) and carbamazepine (hypertensive crisis).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from builder import Case
from trdnav.cli import EXIT_BAD_INPUT, EXIT_HARD_STOP, app
from trdnav.rules.safety import washout

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
STOPPED = date(2025, 3, 3)


@pytest.mark.parametrize(
    ("stop", "start", "days"),
    [
        ("fluoxetine", "phenelzine", 35),
        ("vortioxetine", "tranylcypromine", 21),
        ("venlafaxine", "isocarboxazid", 7),
        ("duloxetine", "phenelzine", 5),
        ("sertraline", "selegiline_transdermal", 14),
        ("phenelzine", "sertraline", 14),
        ("tranylcypromine", "sertraline", 14),  # the longer of 14 (sertraline) and 7 (Parnate)
        ("phenelzine", "tranylcypromine", 7),
        ("tranylcypromine", "isocarboxazid", 7),
        ("doxepin", "phenelzine", 14),
        ("phenelzine", "doxepin", 14),
        ("isocarboxazid", "amitriptyline", 14),
        ("phenelzine", "desipramine", 14),  # Norpramin: 14 days after an MAOI
        ("isocarboxazid", "imipramine", 14),  # Tofranil-PM: 14 days after an MAOI
        ("trimipramine", "phenelzine", 14),  # Surmontil: 14 days each way
        ("phenelzine", "trimipramine", 14),
        ("selegiline_transdermal", "vilazodone", 14),
    ],
)
def test_washout_takes_the_labels_longest_interval(kb, stop, start, days):
    plan = washout(kb, stop, STOPPED, start, date(2025, 3, 10))
    assert plan is not None and plan.required_days == days
    assert plan.earliest_start == date.fromordinal(STOPPED.toordinal() + days)
    assert plan.status == ("too_early" if days > 7 else "ok")
    assert plan.basis.sources


def test_every_antidepressant_to_and_from_every_maoi_has_a_plan(kb):
    """The scheduler answers for every pair: the label interval, or "unknown" naming what is
    missing (never silence, never a guess)."""
    maois = sorted(kb.safety_members[kb.safety.maoi_set][0])
    # every antidepressant medication but the antipsychotics (quetiapine) and the NMDA antagonists
    # given in clinic (esketamine, ketamine), whose MAOI rules are not encoded (GAPS.md F)
    others = sorted(
        d.id
        for d in kb.drugs.drugs
        if d.antidepressant
        and d.kind == "medication"
        and d.id not in maois
        and d.classes != ("atypical_antipsychotic",)
        and d.id not in ("esketamine", "ketamine_iv")
    )
    unknown = set()
    for maoi in maois:
        for drug in others:
            for stop, start in ((drug, maoi), (maoi, drug)):
                plan = washout(kb, stop, STOPPED, start, None)
                assert plan is not None, (stop, start)
                if plan.status == "unknown":
                    # the MAOI labels' one-week minimum still holds; the full interval is named as missing
                    assert plan.required_days == kb.safety.maoi_minimum_days or plan.required_days >= 7
                    assert "not in trdnav's knowledge base" in plan.reasons[0] and plan.basis.missing
                    unknown.add(drug if stop == drug else f"{maoi}->")
                elif drug in kb.maoi_interval_by_drug:
                    interval = kb.maoi_interval_by_drug[drug]
                    label = interval.before_maoi_days if stop == drug else interval.after_maoi_days
                    assert plan.required_days >= label
                else:  # only the MAOI's own label gives a number (Parnate: 1 week after stopping it)
                    assert plan.required_days == kb.maoi_interval_by_drug[maoi].after_stopping_days
    # the drugs whose labels were not read (knowledge/GAPS.md F); an MAOI -> drug switch is
    # unknown only when neither label gives a number (e.g. phenelzine -> protriptyline)
    assert {u for u in unknown if not u.endswith("->")} == {
        "agomelatine",
        "amitriptyline",  # its label gives MAOI -> amitriptyline only
        "desipramine",
        "imipramine",
        "mianserin",
        "protriptyline",
        "reboxetine",
    }


def test_a_label_that_gives_one_direction_leaves_the_other_unknown(kb):
    """Amitriptyline's label: at least 14 days from an MAOI to it; nothing the other way."""
    after = washout(kb, "phenelzine", STOPPED, "amitriptyline", date(2025, 3, 20))
    assert after is not None and after.status == "ok" and after.required_days == 14
    before = washout(kb, "amitriptyline", STOPPED, "phenelzine", date(2025, 3, 20))
    assert before is not None and before.status == "unknown"
    assert before.basis.missing == ("the amitriptyline label's interval before an MAOI",)


def test_emsam_s_own_two_weeks_hold_when_the_next_drug_s_label_is_not_read(kb):
    """Emsam -> protriptyline: protriptyline's interval is not in the knowledge base, but Emsam's
    own label asks 2 weeks after stopping it, so a start on day 10 is too early."""
    plan = washout(kb, "selegiline_transdermal", STOPPED, "protriptyline", date(2025, 3, 13))
    assert plan is not None and plan.status == "too_early" and plan.required_days == 14
    assert plan.basis.sources == ("label-emsam-isi contraindications",)
    assert plan.basis.missing == ("the protriptyline label's interval after an MAOI",)


@pytest.mark.parametrize(
    ("other", "rule"),
    [
        ("tramadol", "selegiline_transdermal_serotonergic"),
        ("methadone", "selegiline_transdermal_serotonergic"),
        ("dextromethorphan", "selegiline_transdermal_serotonergic"),
        ("escitalopram", "selegiline_transdermal_serotonergic"),
        ("imipramine", "selegiline_transdermal_serotonergic"),
        ("carbamazepine", "selegiline_transdermal_carbamazepine"),
    ],
)
def test_emsam_combinations_its_label_contraindicates_are_hard_stops(other, rule):
    case = Case().add("medications", drug="Emsam").add("medications", drug=other)
    (finding,) = [f for f in case.assess().safety.findings if f.rule == rule]
    assert finding.severity == "contraindicated"
    assert finding.basis.sources == ("label-emsam-isi contraindications",)


def _phenelzine_with(meds: list[str], stop: str | None = None) -> dict:
    """A phenelzine trial from 2025-06-02 (stopped on `stop`, if given) and co-medications."""
    trial = {
        "id": "t1",
        "treatment": "phenelzine",
        "start": "2025-06-02",
        "doses": [{"date": "2025-06-02", "dose": 45}],
    }
    if stop is not None:
        trial["stop"] = stop
    return {"patient": {"id": "maoi"}, "trials": [trial], "medications": [{"drug": m} for m in meds]}


@pytest.mark.parametrize(("as_of", "found"), [("2025-11-01", True), ("2025-11-07", True), ("2025-11-08", False)])
def test_tramadol_and_dextromethorphan_within_14_days_of_stopping_an_maoi_are_hard_stops(as_of, found):
    """Tramadol label 4 ("use within the last 14 days" of an MAOI) and the dextromethorphan Drug
    Facts label ("for 2 weeks after stopping the MAOI"): phenelzine stopped 2025-10-25."""
    record = _phenelzine_with(["tramadol", "dextromethorphan"], stop="2025-10-25")
    from trdnav.engine import assess
    from trdnav.knowledge.loader import load_kb
    from trdnav.record.parse import parse_record

    safety = assess(parse_record(record), load_kb(), as_of=date.fromisoformat(as_of)).safety
    rules = sorted(f.rule for f in safety.findings if f.severity == "contraindicated")
    assert rules == (["maoi_dextromethorphan", "maoi_serotonergic_opioid"] if found else [])
    if found:
        message = next(f.message for f in safety.findings if f.rule == "maoi_serotonergic_opioid")
        assert message.startswith("tramadol within 14 days of stopping phenelzine (stopped 2025-10-25")
        fact = next(f for f in safety.findings if f.rule == "maoi_serotonergic_opioid").basis.facts[-1]
        assert (fact.path, fact.value) == ("trials[0].stop", "2025-10-25")


def test_stopping_an_maoi_by_check_still_forbids_tramadol_for_14_days(tmp_path):
    record = _phenelzine_with(["tramadol"])
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    args = ["check", str(path), "--stop", "phenelzine", "--on", "2025-11-01", "--as-of", "2025-11-01", "-f", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_HARD_STOP, result.output
    (finding,) = [f for f in json.loads(result.stdout)["safety"]["findings"] if f["rule"] == "maoi_serotonergic_opioid"]
    assert finding["message"].startswith("tramadol within 14 days of stopping phenelzine (stopped 2025-11-01, 0 days")
    assert finding["basis"]["facts"][-1] == {"path": "proposal.stop", "value": "2025-11-01"}


def test_a_recent_maoi_stop_is_not_reported_twice_when_the_maoi_is_taken_again():
    case = (
        Case(date(2025, 11, 1))
        .add("medications", drug="tramadol")
        .add(
            "trials",
            id="old",
            treatment="phenelzine",
            start="2025-06-02",
            stop="2025-10-25",
            doses=[{"date": "2025-06-02", "dose": 45}],
        )
        .add("trials", id="new", treatment="phenelzine", start="2025-10-28", doses=[{"date": "2025-10-28", "dose": 45}])
    )
    found = [f for f in case.assess().safety.findings if f.rule == "maoi_serotonergic_opioid"]
    assert len(found) == 1 and found[0].message.startswith("phenelzine with tramadol")


def test_a_missing_stop_date_makes_the_washout_unknown_with_what_to_record(kb):
    plan = washout(kb, "fluoxetine", None, "phenelzine", date(2025, 3, 10))
    assert plan is not None and plan.status == "unknown" and plan.required_days == 35
    assert plan.basis.missing == ("the date fluoxetine was stopped",)


def _findings(case: Case) -> dict[str, str]:
    return {f.rule: f.message for f in case.assess().safety.findings}


def test_an_unknown_dose_never_silences_a_dose_limit():
    case = Case().episode().trial("citalopram", None, 8, ongoing=True)
    case.data["patient"]["birth_date"] = "1950-01-01"
    message = _findings(case)["citalopram_qt_20"]
    assert "dose not recorded" in message and "age" in message


def test_an_unknown_age_is_named_when_it_decides_a_dose_limit():
    case = Case().episode().trial("citalopram", 40, 8, ongoing=True)
    case.data["patient"].pop("birth_date", None)
    result = case.assess().safety.findings
    (limit,) = [f for f in result if f.rule == "citalopram_qt_20"]
    assert limit.severity == "monitor" and "unknown" in limit.message and limit.basis.missing


def test_lithium_level_profiles_differ_by_guideline_and_age():
    case = Case().episode().trial("lithium", 600, 8, ongoing=True)
    case.data["patient"]["birth_date"] = "1950-01-01"
    case.add("labs", test="lithium", date="2025-05-01", value=0.7, unit="mmol/L")
    canmat = case.assess().safety.findings
    assert not [f for f in canmat if f.rule.startswith("lithium_")]  # 0.7 within 0.5-0.8
    from builder import kb
    from trdnav.engine import assess
    from trdnav.record.parse import parse_record

    nice = assess(parse_record(case.data), kb(), as_of=case.as_of, level_profiles={"lithium": "lithium_nice_ng222"})
    (above,) = [f for f in nice.safety.findings if f.rule == "lithium_nice_ng222"]
    assert "above the target 0.4-0.6" in above.message  # NICE: 0.4-0.6 from age 65


HARD_STOP = ROOT / "tests" / "cases" / "safety-maoi-switch" / "record.json"


def test_a_hard_stop_shows_under_every_profile_and_in_every_face(kb):
    runner = CliRunner()
    for profile in (p.id for p in kb.adequacy.profiles):
        text = runner.invoke(app, ["assess", str(HARD_STOP), "--as-of", "2025-11-01", "--profile", profile])
        assert text.exit_code == 0 and "CONTRAINDICATED" in text.stdout
        data = json.loads(
            runner.invoke(
                app, ["assess", str(HARD_STOP), "--as-of", "2025-11-01", "--profile", profile, "-f", "json"]
            ).stdout
        )
        assert {f["severity"] for f in data["safety"]["findings"]} >= {"contraindicated"}
    checked = runner.invoke(app, ["check", str(HARD_STOP), "--as-of", "2025-11-01"])
    assert checked.exit_code == EXIT_HARD_STOP and "CONTRAINDICATED" in checked.stdout
    # the safety panel comes before anything else in the report
    report = runner.invoke(app, ["assess", str(HARD_STOP), "--as-of", "2025-11-01"]).stdout
    assert report.index("CONTRAINDICATED") < report.index("Current episode")


def test_check_a_proposed_switch_gives_the_earliest_safe_start():
    record = ROOT / "examples" / "records" / "13-cyp2c19-ultrarapid-after-escitalopram.json"
    result = CliRunner().invoke(
        app,
        ["check", str(record), "--stop", "sertraline", "--start", "Nardil", "--on", "2025-02-04", "-f", "json"],
    )
    assert result.exit_code == EXIT_HARD_STOP, result.output
    safety = json.loads(result.stdout)["safety"]
    (plan,) = [w for w in safety["washouts"] if w["stop"] == "sertraline"]
    # sertraline is not taken now, so its recorded stop (2025-02-03) counts, not --stop's date
    assert (plan["required_days"], plan["earliest_start"], plan["status"]) == (14, "2025-02-17", "too_early")
    later = CliRunner().invoke(
        app,
        [
            "check",
            str(record),
            "--stop",
            "sertraline",
            "--start",
            "Nardil",
            "--on",
            "2025-02-04",
            "--as-of",
            "2025-02-04",
        ],
    )
    assert later.exit_code == EXIT_HARD_STOP
    ok = CliRunner().invoke(app, ["check", str(record), "--start", "phenelzine", "--on", "2025-03-01", "-f", "json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["safety"]["findings"] == []


def test_check_an_added_drug_reports_the_combination():
    record = ROOT / "tests" / "cases" / "safety-comedication" / "record.json"
    result = CliRunner().invoke(app, ["check", str(record), "--add", "tranylcypromine", "--as-of", "2025-11-01"])
    assert result.exit_code == EXIT_HARD_STOP
    assert "tranylcypromine with vortioxetine" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--add", "phenelzin"], "--add: got 'phenelzin'; expected a treatment in the knowledge base (did you mean"),
        (["--level-profile", "lithium=nice"], "--level-profile lithium: got 'nice'"),
        (["--level-profile", "lithium"], "expected DRUG=PROFILE"),
        (["--on", "yesterday", "--start", "phenelzine"], "--on: got 'yesterday'"),
    ],
)
def test_check_bad_options_name_the_option(args, words):
    record = ROOT / "examples" / "records" / "01-two-ssri-failures.json"
    result = CliRunner().invoke(app, ["check", str(record), *args])
    assert result.exit_code == EXIT_BAD_INPUT
    assert words in result.stderr


def test_the_rule_tables_in_docs_are_generated_from_the_knowledge_base(kb):
    from trdnav.report.kb_tables import safety_page

    page = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    generated = page.split("<!-- generated: trdnav kb safety -->\n", 1)[1].split("<!-- end of generated tables -->")[0]
    assert generated.strip() == safety_page(kb).strip(), "run `make docs`"
    for rule in (*kb.safety.interactions, *kb.safety.dose_limits, *kb.safety.condition_rules, *kb.safety.age_rules):
        assert f"`{rule.id}`" in generated


def test_an_mao_start_that_overlapped_the_previous_drug_is_a_hard_stop_while_the_window_is_open():
    case = Case(as_of=date(2025, 3, 20)).episode()
    case.add(
        "trials",
        id="t1",
        treatment="fluoxetine",
        start="2025-01-13",
        stop="2025-03-13",
        adherence="good",
        doses=[{"date": "2025-01-13", "dose": 20}],
    )
    case.add(
        "trials",
        id="t2",
        treatment="tranylcypromine",
        start="2025-03-08",
        adherence="good",
        doses=[{"date": "2025-03-08", "dose": 20}],
    )
    (finding,) = [f for f in case.assess().safety.findings if f.rule == "maoi_washout"]
    assert finding.severity == "contraindicated" and "earliest safe start 2025-04-17" in finding.message


def test_a_short_switch_with_an_unknown_interval_is_still_a_hard_stop_inside_the_mao_labels_week(kb):
    plan = washout(kb, "imipramine", STOPPED, "tranylcypromine", STOPPED)
    assert plan is not None and (plan.status, plan.required_days) == ("too_early", 7)
    later = washout(kb, "tranylcypromine", STOPPED, "protriptyline", date(2025, 3, 12))
    assert later is not None and later.status == "unknown"  # Parnate's week has passed; protriptyline's own is unknown


def test_check_can_add_a_drug_outside_the_catalog_that_a_rule_reads():
    record = ROOT / "examples" / "records" / "12-cyp2c19-poor-on-citalopram.json"
    result = CliRunner().invoke(
        app, ["check", str(record), "--add", "linezolid", "--as-of", "2025-11-01", "-f", "json"]
    )
    assert result.exit_code == EXIT_HARD_STOP, result.output
    (finding,) = json.loads(result.stdout)["safety"]["findings"][:1]
    assert finding["rule"] == "maoi_label_contraindication" and "linezolid" in finding["drugs"]
    assert finding["management"] == "Do not start citalopram in a patient being treated with linezolid."


def test_an_unknown_interval_stops_mattering_after_the_longest_interval_any_label_asks(kb):
    plan = washout(kb, "tranylcypromine", STOPPED, "protriptyline", date(2026, 3, 3))
    assert plan is not None and plan.status == "ok"
    assert "longer than any interval the labels read ask (35 days)" in plan.reasons[-1]


def test_a_check_focused_on_one_drug_finds_what_the_full_check_finds_for_it(kb):
    """The planner checks each option with `focus`; that shortcut must never lose a finding."""
    from trdnav.assessment import Proposal
    from trdnav.record.normalise import normalise
    from trdnav.record.parse import parse_record
    from trdnav.rules.context import Context
    from trdnav.rules.safety import check

    as_of = date(2025, 9, 1)
    meds = ["fluoxetine", "lithium", "tramadol", "hydrochlorothiazide", "paroxetine", "linezolid", "ibuprofen"]
    # rules where the proposed drug is the second side; a label rule a proposed inhibitor changes
    meds += ["duloxetine", "esketamine", "vortioxetine"]
    record = parse_record(
        {
            "patient": {"id": "focus", "birth_date": "1950-01-01"},
            "medications": [{"drug": m} for m in meds],
            "trials": [
                {
                    "id": "t0",
                    "treatment": "phenelzine",
                    "start": "2025-01-06",
                    "stop": "2025-05-20",
                    "doses": [{"date": "2025-01-06", "dose": 45}],
                },
                {  # a stopped non-MAOI: switching from it to an MAOI needs its washout
                    "id": "tv",
                    "treatment": "venlafaxine",
                    "start": "2025-02-03",
                    "stop": "2025-08-25",
                    "doses": [{"date": "2025-02-03", "dose": 150}],
                },
                {
                    "id": "t1",
                    "treatment": "sertraline",
                    "start": "2025-06-01",
                    "doses": [{"date": "2025-06-01", "dose": 100}],
                },
            ],
        }
    )
    ctx = Context(normalise(record, kb, as_of), kb)
    checked = 0
    # every medication in the catalog (the planner's indexes and shortcuts must hold for each)
    for drug in (d.id for d in kb.drugs.drugs if d.kind == "medication"):
        proposal = Proposal((drug,), (), (), as_of)
        name = kb.drug_by_id[drug].name
        for age in (40, 75):
            # a washout is the option's concern when the option is the drug started (the record's
            # own sertraline start after phenelzine is reported by the regimen's check)
            whole = check(ctx, (), age, proposal)
            full = [f for f in whole.findings if name in f.drugs and (f.rule != "maoi_washout" or f.drugs[1] == name)]
            focused = check(ctx, (), age, proposal, focus=drug)
            assert focused.findings == tuple(full), (drug, age)
            assert focused.washouts == tuple(w for w in whole.washouts if w.start == name), (drug, age)
            checked += len(full)
    assert checked >= 60  # the regimen gives the proposals real findings to compare
    # at 40 only the co-medication (fluoxetine, a CYP2C19 inhibitor) makes citalopram's 20 mg limit
    # apply: the focused check once missed it, judging the limit on the proposed drug alone
    focused_findings = check(ctx, (), 40, Proposal(("citalopram",), (), (), as_of), focus="citalopram").findings
    assert any(f.rule == "citalopram_qt_20" and "fluoxetine" in f.message for f in focused_findings)


def test_a_label_with_one_interval_still_contraindicates_the_combination(kb):
    """Amitriptyline's label forbids it with an MAOI but gives only the MAOI -> amitriptyline
    interval; the finding says so instead of inventing the other one."""
    from trdnav.record.normalise import normalise
    from trdnav.record.parse import parse_record
    from trdnav.rules.context import Context
    from trdnav.rules.safety import check

    record = parse_record(
        {"patient": {"id": "ami"}, "medications": [{"drug": "amitriptyline"}, {"drug": "phenelzine"}]}
    )
    section = check(Context(normalise(record, kb, date(2025, 9, 1)), kb), (), None)
    (finding,) = [f for f in section.findings if f.rule == "maoi_label_contraindication"]
    assert finding.severity == "contraindicated"
    assert finding.management == (
        "Do not combine; the amitriptyline label gives no interval before an MAOI: check the MAOI's label, "
        "amitriptyline no sooner than 14 days after stopping an MAOI."
    )
    assert finding.basis.sources == ("label-amitriptyline-mylan contraindications",)
