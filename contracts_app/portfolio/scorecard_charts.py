"""Server-side SVG for the contract scorecard: one metric's actuals against its targets, with the
baseline, the on-track / at-risk threshold bands of each period (``rules.threshold_bands``, in
the rows), and flags marked on their periods.

The chart is a picture of the rows the scorecard's table lists (``MetricSeries.rows``); the
table is its text equivalent. Coordinates are floats (drawing only); every value shown as text
comes from the Decimal in the row. All text is escaped (metric names are user data).
"""
from __future__ import annotations

from flask_babel import gettext as _
from decimal import Decimal

from markupsafe import Markup

from contracts_app.metrics.rules import STATUS_LABELS, shown_target
from contracts_app.portfolio.charts import (
    FONT_SIZE,
    NARROW_WIDTH,
    STATUS_COLORS,
    WIDE_WIDTH,
    label_interval,
    label_x,
    nice_ticks,
    tick_label,
)

HEIGHT = 240
RIGHT, TOP, BOTTOM = 12, 12, 30

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
    """One metric's series (see scorecards.MetricSeries) drawn for a wide screen and for a phone
    (as ``charts.responsive``: text at least 12 px at any width)."""
    return Markup('<span class="chart-wide">{}</span><span class="chart-narrow">{}</span>').format(
        _draw(series, chart_id, WIDE_WIDTH), _draw(series, f"{chart_id}-phone", NARROW_WIDTH),
    )


def _draw(series, chart_id, width):
    metric = series.metric
    rows = series.rows
    title = _('%(name)s: actual against target', name=metric.name)
    desc = series.summary
    head = Markup(
        '<svg class="scorecard-chart" role="img" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(w=width, h=HEIGHT, id=chart_id, title=title, desc=desc)
    if not rows:
        return head + Markup(
            '<text x="{x}" y="{y}" text-anchor="middle" fill="{c}">No periods have started yet.</text></svg>'
        ).format(x=width // 2, y=HEIGHT // 2, c=BASELINE_COLOUR)

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
    ticks, tick_step = nice_ticks(_f(low), _f(high))
    if min(values or [0]) >= 0 and ticks[0] < 0:
        ticks = [t for t in ticks if t >= 0] or [0.0]
    lo, hi = ticks[0], ticks[-1]
    if hi == lo:
        hi = lo + tick_step
    low, high = Decimal(str(lo)), Decimal(str(hi))
    LEFT = 14 + max(len(tick_label(t, tick_step)) for t in ticks) * FONT_SIZE * 0.58

    plot_w = width - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / len(rows)

    def x_center(index):
        return LEFT + step * (index + 0.5)

    def y(value):
        v = min(max(_f(value), lo), hi)
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    parts = [head]
    # Axes: y ticks at round values; a label for every period, or every n-th at a regular interval.
    parts.append(Markup('<g class="axes" font-size="{f}" fill="{c}">').format(f=FONT_SIZE, c=BASELINE_COLOUR))
    for value in ticks:
        ty = y(value)
        parts.append(Markup(
            '<line x1="{x1:.1f}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
            '<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="end">{label}</text>'
        ).format(x1=LEFT, x2=width - RIGHT, y=ty, tx=LEFT - 6, ty=ty + FONT_SIZE * 0.35, label=tick_label(value, tick_step)))
    every = label_interval(len(rows), plot_w, max(len(row.label) for row in rows))
    for index, row in enumerate(rows):
        if index % every == 0:
            parts.append(Markup('<text class="period-label" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{label}</text>').format(
                x=label_x(x_center(index), row.label, 4, width - 4), y=HEIGHT - BOTTOM + FONT_SIZE + 6, label=row.label))
    parts.append(Markup("</g>"))

    # Threshold bands, one column per period (targets change per period).
    parts.append(Markup('<g class="bands">'))
    for index, row in enumerate(rows):
        if not row.bands:
            continue
        on_band, risk_band = row.bands
        x0 = LEFT + step * index
        for css, colour, band, label in (
            ("band-at-risk", BAND_AT_RISK, risk_band, _('At risk zone')),
            ("band-on-track", BAND_ON_TRACK, on_band, _('On track zone')),
        ):
            band_low = band[0] if band[0] is not None else low
            band_high = band[1] if band[1] is not None else high
            top, bottom = y(band_high), y(band_low)
            if bottom - top <= 0:
                continue
            parts.append(Markup(
                '<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}">'
                "<title>{title}</title></rect>"
            ).format(css=css, x=x0, y=top, w=step, h=bottom - top, fill=colour,
                     title=_("%(period)s: %(zone)s %(low)s to %(high)s", period=row.label, zone=label,
                             low=_fmt(band[0]) if band[0] is not None else _("below"),
                             high=_fmt(band[1]) if band[1] is not None else _("above"))))
    parts.append(Markup("</g>"))

    # Baseline.
    if metric.baseline_value is not None:
        by = y(metric.baseline_value)
        parts.append(Markup(
            '<line class="baseline-line" x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}" '
            'stroke-width="1.5" stroke-dasharray="4 4"><title>{title}</title></line>'
        ).format(x1=LEFT, x2=width - RIGHT, y=by, c=BASELINE_COLOUR,
                 title=_("Baseline %(value)s", value=_fmt(metric.baseline_value))))

    # Target line (range metrics: the band is the target).
    target_points = [(x_center(i), y(row.target)) for i, row in enumerate(rows) if row.target is not None]
    if target_points:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in target_points)
        parts.append(Markup(
            '<polyline class="target-line" points="{p}" fill="none" stroke="{c}" stroke-width="2">'
            "<title>{target_title}</title></polyline>"
        ).format(p=points, c=TARGET_COLOUR, target_title=_("Target")))

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
            "<title>{title}</title></circle>"
        ).format(title=_("%(period)s: actual %(actual)s against target %(target)s (%(status)s)", period=row.label,
                         actual=_fmt(row.actual, 4), target=_fmt(shown_target(row.target, metric), 4),
                         status=STATUS_LABELS.get(row.status, row.status)),s=row.status, x=x_center(index), y=y(row.actual), c=STATUS_COLOURS.get(row.status, "#24292f"),
                 period=row.label, v=_fmt(row.actual, 4), t=_fmt(shown_target(row.target, metric), 4), label=STATUS_LABELS.get(row.status, row.status)))

    # Flags: a marker at the top of their period, inside the plot.
    for index, row in enumerate(rows):
        if not row.flags:
            continue
        cx = x_center(index)
        names = "; ".join(f"{flag.kind_label} ({'open' if flag.is_open else 'resolved'})" for flag in row.flags)
        parts.append(Markup(
            '<path class="flag-marker" d="M{x0:.1f},{y0} L{x1:.1f},{y0} L{cx:.1f},{y1}" fill="{c}">'
            "<title>Flag, {period}: {names}</title></path>"
        ).format(x0=cx - 5, x1=cx + 5, cx=cx, y0=TOP + 1, y1=TOP + 10, c=FLAG_COLOUR, period=row.label, names=names))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
