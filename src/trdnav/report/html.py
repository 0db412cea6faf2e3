"""Report face: the Assessment as an HTML page (clinician report or plain-language patient
summary) and as a PDF made from the same HTML (WeasyPrint), so the web page and the PDF match.
Rendering only: every value comes from the Assessment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from trdnav.assessment import Assessment, Basis
from trdnav.knowledge.loader import source_id
from trdnav.report import charts
from trdnav.report.text import schedule_summary

TEMPLATES = Path(__file__).with_name("templates")
Audience = Literal["clinician", "patient"]
# the patient summary's words for each kind of option
PLAIN = {
    "continue": "Keep taking the medicine that is working",
    "optimise": "Adjust the dose of your current medicine",
    "switch": "Change to a different medicine",
    "augment": "Add a second medicine to your current one",
    "psychotherapy": "Add a talking therapy",
    "psychotic_features": "Treatments for depression with psychotic symptoms",
}


def render_html(assessment: Assessment, audience: Audience = "clinician") -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2", "html"]))
    order = [c.id for c in assessment.citations]

    def refs(basis: Basis) -> str:
        ids = dict.fromkeys(source_id(s) for s in basis.sources)
        return " ".join(f"[{order.index(i) + 1}]" for i in ids if i in order)

    template = env.get_template(f"{audience}.html.j2")
    return template.render(
        a=assessment,
        refs=refs,
        plain=PLAIN,
        timeline=charts.timeline(assessment),
        trajectories=[charts.trajectory(assessment, n) for n in range(len(assessment.scales))],
        tms_schedules=[schedule_summary(c) for c in assessment.tms],
    )


def render_pdf(assessment: Assessment, audience: Audience = "clinician") -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf = HTML(string=render_html(assessment, audience)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
