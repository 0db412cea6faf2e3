"""Charts for the reports, drawn as inline SVG on the server (no script, no CDN): the treatment
timeline (trials as bars over time, with doses) and the symptom trajectory (scores over time,
severity bands shaded, response and remission lines). Drawing only: every value comes from the
Assessment."""

from __future__ import annotations

import datetime as dt
from html import escape

from trdnav.assessment import Assessment

WIDTH = 660
LEFT = 170
RIGHT = 20


def _span(a: Assessment) -> tuple[dt.date, dt.date]:
    dates = [t.start for t in a.trials] + [t.stop or a.as_of for t in a.trials]
    dates += [p.date for s in a.scales for p in s.points]
    start = min(dates, default=a.as_of)
    return start, max(max(dates, default=a.as_of), start + dt.timedelta(days=30))


def _x(day: dt.date, start: dt.date, end: dt.date) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / max((end - start).days, 1)


def timeline(a: Assessment) -> str:
    """One bar per trial, from start to stop (or the assessment date), labelled with the
    treatment and highest dose; coloured by outcome."""
    if not a.trials:
        return ""
    start, end = _span(a)
    row = 22
    height = 30 + row * len(a.trials)
    colours = {"remission": "#2e7d32", "response": "#66bb6a", "partial_response": "#f9a825"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img">']
    parts.append(f'<text x="{LEFT}" y="12" font-size="10">{start}</text>')
    parts.append(f'<text x="{WIDTH - RIGHT}" y="12" font-size="10" text-anchor="end">{end}</text>')
    for n, t in enumerate(a.trials):
        y = 20 + n * row
        x0, x1 = _x(t.start, start, end), _x(t.stop or a.as_of, start, end)
        dose = f" {t.max_dose:g} {t.dose_unit}" if t.max_dose is not None else ""
        label = escape(f"{t.trial_id} {t.treatment}{dose}")
        colour = colours.get(
            t.outcome.status, "#c62828" if t.outcome.status in ("non_response", "intolerance") else "#90a4ae"
        )
        parts.append(f'<text x="4" y="{y + 13}" font-size="10">{label}</text>')
        parts.append(
            f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="16" fill="{colour}">'
            f"<title>{label}: {escape(t.outcome.status.replace('_', ' '))}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)


def trajectory(a: Assessment, scale_index: int) -> str:
    """One scale's totals over time over its severity bands (shaded), with the response line
    (the share of improvement from the first score that counts as response) and the remission
    cut-off, as the Assessment gives them; remission points marked."""
    s = a.scales[scale_index]
    if not s.points:
        return ""
    start, end = _span(a)
    height, top, bottom = 180, 20, 160
    maximum = max([p.total for p in s.points] + [b[2] for b in s.bands] + [1])

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / maximum

    shades = ["#e8f5e9", "#f1f8e9", "#fffde7", "#fff3e0", "#ffebee", "#fce4ec"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img">']
    for n, (label, low, high) in enumerate(s.bands):
        y_top, y_low = y(high), y(low)
        parts.append(
            f'<rect x="{LEFT}" y="{y_top:.1f}" width="{WIDTH - LEFT - RIGHT}" height="{max(y_low - y_top, 1):.1f}" '
            f'fill="{shades[n % len(shades)]}"/>'
            f'<text x="{LEFT - 4}" y="{(y_top + y_low) / 2 + 3:.1f}" font-size="8" text-anchor="end">'
            f"{escape(label)} {low:g}-{high:g}</text>"
        )
    for value, label, colour in ((s.response_at, "response", "#1565c0"), (s.remission_at, "remission", "#2e7d32")):
        if value is not None:
            parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="{colour}" '
                f'stroke-dasharray="4 3"/><text x="{WIDTH - RIGHT}" y="{y(value) - 2:.1f}" font-size="8" '
                f'text-anchor="end" fill="{colour}">{label} ({value:g})</text>'
            )
    points = " ".join(f"{_x(p.date, start, end):.1f},{y(p.total):.1f}" for p in s.points)
    parts.append(f'<polyline points="{points}" fill="none" stroke="#000" stroke-width="1.5"/>')
    for p in s.points:
        x = _x(p.date, start, end)
        colour = "#2e7d32" if p.remission else "#37474f"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y(p.total):.1f}" r="3.5" fill="{colour}"><title>{p.date}: {p.total:g} '
            f"{escape(p.band)}</title></circle>"
        )
    parts.append(f'<text x="4" y="14" font-size="11">{escape(s.name)}: {escape(s.status.replace("_", " "))}</text>')
    parts.append("</svg>")
    return "".join(parts)
