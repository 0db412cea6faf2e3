"""Reports: every example record renders to HTML and PDF (clinician and patient), and the PDF's
text holds the safety findings first and the ranked options with their sources."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from builder import kb
from trdnav.cli import app
from trdnav.engine import assess
from trdnav.record.parse import load_record
from trdnav.report.html import render_html, render_pdf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "records").glob("*.json"))
SAFETY_CASE = ROOT / "tests" / "cases" / "safety-maoi-combinations" / "record.json"
AS_OF = date(2025, 11, 1)


def _text(pdf: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    "record", [*EXAMPLES, SAFETY_CASE], ids=lambda p: p.parent.name if p.name == "record.json" else p.stem
)
def test_every_record_renders_to_html_and_pdf_with_warnings_and_options(record):
    result = assess(load_record(record), kb(), as_of=AS_OF)
    html = render_html(result)
    assert "<svg" in html or not result.trials  # the timeline chart, drawn server-side
    assert "http" not in html.split("<body>")[0]  # nothing fetched: no CDN, no remote style
    text = _text(render_pdf(result))
    assert text.index("Safety") < text.index("Next steps")
    for finding in result.safety.findings:
        assert " ".join(finding.message.split())[:40] in text
    for option in [o for o in result.next_steps.options if o.rank is not None][:3]:
        assert option.treatment[:20] in text
    patient = _text(render_pdf(result, "patient"))
    assert "Questions you may want to ask" in patient and "treatment-resistant depression" in patient


def test_report_command_writes_pdf_and_html(tmp_path):
    runner = CliRunner()
    pdf = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", str(EXAMPLES[0]), "--out", str(pdf), "--as-of", "2025-11-01"])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    html = tmp_path / "summary.html"
    result = runner.invoke(
        app, ["report", str(EXAMPLES[0]), "--out", str(html), "--audience", "patient", "--as-of", "2025-11-01"]
    )
    assert result.exit_code == 0 and "Your depression treatment" in html.read_text(encoding="utf-8")


def test_report_to_an_unwritable_place_is_a_clear_error(tmp_path):
    out = tmp_path / "missing" / "report.pdf"
    result = CliRunner().invoke(app, ["report", str(EXAMPLES[0]), "--out", str(out), "--as-of", "2025-11-01"])
    assert result.exit_code == 2 and "--out: cannot write" in result.stderr


def test_the_trajectory_chart_shades_bands_and_draws_response_and_remission_lines():
    from trdnav.report import charts

    result = assess(load_record(EXAMPLES[0]), kb(), as_of=AS_OF)
    scale = result.scales[0]
    assert scale.bands and scale.response_at == round(scale.points[0].total * 0.5, 2)
    svg = charts.trajectory(result, 0)
    assert svg.count("<rect") == len(scale.bands) and "response (" in svg
    assert ("remission (" in svg) == (scale.remission_at is not None)


def test_a_tms_course_appears_in_the_report():
    record = next(p for p in EXAMPLES if p.stem == "17-tms-course")
    result = assess(load_record(record), kb(), as_of=AS_OF)
    text = " ".join(_text(render_pdf(result)).split())
    assert "TMS course c1" in text
    assert "Eligibility: eligible" in text
    assert "Target (Beam F3): X 6.95 cm, Y 9.79 cm" in text
    assert "Progress: 36 of 36 sessions; suggestion: stop" in text
    assert "acute 20 (2025-08-04 to 2025-08-29); extension 10 (2025-09-02 to 2025-09-15)" in text
    # the safety screen table shows where the device label and the guidance differ
    assert "(differs)" in text
