"""Server-side SVG for the contract scorecard: one metric's actuals against its targets, with the
baseline, the on-track / at-risk threshold bands of each period (``rules.threshold_bands``, in
the rows), and flags marked on their periods.

The chart is a picture of the rows the scorecard's table lists (``MetricSeries.rows``); the
table is its text equivalent. Coordinates are floats (drawing only); every value shown as text
comes from the Decimal in the row. All text is escaped (metric names are user data).
"""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from contracts_app.metrics.rules import STATUS_LABELS
from contracts_app.portfolio.charts import STATUS_COLORS

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 20, 36

# The portfolio's shared palette (charts.py), so a status has one colour on every page.
STATUS_COLOURS = dict(STATUS_COLORS)
BAND_ON_TRACK = "#dafbe1"
BAND_AT_RISK = "#fff8c5"
TARGET_COLOUR = "#0969da"
BASELINE_COLOUR = "#57606a"
FLAG_COLOUR = "#cf222e"


def _f(value):
    return float(value)


def _fmt(value, places=2):
    """A number for a <title>: rounded (targets are often long fractions), no trailing zeros."""
    if value is None:
        return "—"
    text = f"{round(Decimal(value), places):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def metric_chart(series, chart_id):
    """An inline <svg> of one metric's series (see scorecards.MetricSeries)."""
    metric = series.metric
    rows = series.rows
    title = f"{metric.name}: actual against target"
    desc = series.summary
    head = Markup(
        '<svg class="scorecard-chart" role="img" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(w=WIDTH, h=HEIGHT, id=chart_id, title=title, desc=desc)
    if not rows:
        return head + Markup(
            '<text x="{x}" y="{y}" text-anchor="middle" fill="{c}">No periods have started yet.</text></svg>'
        ).format(x=WIDTH // 2, y=HEIGHT // 2, c=BASELINE_COLOUR)

    values = []
    for row in rows:
        for value in (row.target, row.actual):
            if value is not None:
                values.append(value)
        if row.bands:
            for band in row.bands:
                values.extend(v for v in band if v is not None)
    if metric.baseline_value is not None:
        values.append(metric.baseline_value)
    low = min(values) if values else Decimal(0)
    high = max(values) if values else Decimal(1)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * Decimal("0.08")
    low, high = low - pad, high + pad
    if min(values or [0]) >= 0 and low < 0:
        low = Decimal(0)
    lo, hi = _f(low), _f(high)

    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / len(rows)

    def x_center(index):
        return LEFT + step * (index + 0.5)

    def y(value):
        v = min(max(_f(value), lo), hi)
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    parts = [head]
    # Axes and y ticks (bottom, middle, top of the scale).
    parts.append(Markup('<g class="axes" font-size="11" fill="{c}">').format(c=BASELINE_COLOUR))
    for fraction in (0, 0.5, 1):
        value = low + (high - low) * Decimal(str(fraction))
        ty = TOP + plot_h * (1 - fraction)
        parts.append(Markup(
            '<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
            '<text x="{tx}" y="{ty:.1f}" text-anchor="end">{label}</text>'
        ).format(x1=LEFT, x2=WIDTH - RIGHT, y=ty, tx=LEFT - 6, ty=ty + 4, label=_fmt(value)))
    first, last = rows[0], rows[-1]
    parts.append(Markup('<text x="{x:.1f}" y="{y}" text-anchor="start">{label}</text>').format(
        x=LEFT, y=HEIGHT - 10, label=first.label))
    if len(rows) > 1:
        parts.append(Markup('<text x="{x:.1f}" y="{y}" text-anchor="end">{label}</text>').format(
            x=WIDTH - RIGHT, y=HEIGHT - 10, label=last.label))
    parts.append(Markup("</g>"))

    # Threshold bands, one column per period (targets change per period).
    parts.append(Markup('<g class="bands">'))
    for index, row in enumerate(rows):
        if not row.bands:
            continue
        on_band, risk_band = row.bands
        x0 = LEFT + step * index
        for css, colour, band, label in (
            ("band-at-risk", BAND_AT_RISK, risk_band, "At risk zone"),
            ("band-on-track", BAND_ON_TRACK, on_band, "On track zone"),
        ):
            band_low = band[0] if band[0] is not None else low
            band_high = band[1] if band[1] is not None else high
            top, bottom = y(band_high), y(band_low)
            if bottom - top <= 0:
                continue
            parts.append(Markup(
                '<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}">'
                "<title>{period}: {label} {lo} to {hi}</title></rect>"
            ).format(css=css, x=x0, y=top, w=step, h=bottom - top, fill=colour, period=row.label, label=label,
                     lo=_fmt(band[0]) if band[0] is not None else "below", hi=_fmt(band[1]) if band[1] is not None else "above"))
    parts.append(Markup("</g>"))

    # Baseline.
    if metric.baseline_value is not None:
        by = y(metric.baseline_value)
        parts.append(Markup(
            '<line class="baseline-line" x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}" '
            'stroke-width="1.5" stroke-dasharray="4 4"><title>Baseline {v}</title></line>'
        ).format(x1=LEFT, x2=WIDTH - RIGHT, y=by, c=BASELINE_COLOUR, v=_fmt(metric.baseline_value)))

    # Target line (range metrics: the band is the target).
    target_points = [(x_center(i), y(row.target)) for i, row in enumerate(rows) if row.target is not None]
    if target_points:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in target_points)
        parts.append(Markup(
            '<polyline class="target-line" points="{p}" fill="none" stroke="{c}" stroke-width="2">'
            "<title>Target</title></polyline>"
        ).format(p=points, c=TARGET_COLOUR))

    # Actuals: a line through the readings, a point per reading coloured by its status.
    actual_points = [(x_center(i), y(row.actual)) for i, row in enumerate(rows) if row.actual is not None]
    if len(actual_points) > 1:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in actual_points)
        parts.append(Markup('<polyline class="actual-line" points="{p}" fill="none" stroke="#24292f" stroke-width="1.5"/>').format(p=points))
    for index, row in enumerate(rows):
        if row.actual is None:
            continue
        parts.append(Markup(
            '<circle class="actual-point status-{s}" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{c}" stroke="#fff" stroke-width="1">'
            "<title>{period}: actual {v} against target {t} ({label})</title></circle>"
        ).format(s=row.status, x=x_center(index), y=y(row.actual), c=STATUS_COLOURS.get(row.status, "#24292f"),
                 period=row.label, v=_fmt(row.actual, 4), t=_fmt(row.target), label=STATUS_LABELS.get(row.status, row.status)))

    # Flags: a marker at the top of their period.
    for index, row in enumerate(rows):
        if not row.flags:
            continue
        cx = x_center(index)
        names = "; ".join(f"{flag.kind_label} ({'open' if flag.is_open else 'resolved'})" for flag in row.flags)
        parts.append(Markup(
            '<path class="flag-marker" d="M{x0:.1f},{y0} L{x1:.1f},{y0} L{cx:.1f},{y1}" fill="{c}">'
            "<title>Flag, {period}: {names}</title></path>"
        ).format(x0=cx - 5, x1=cx + 5, cx=cx, y0=TOP - 10, y1=TOP - 1, c=FLAG_COLOUR, period=row.label, names=names))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
