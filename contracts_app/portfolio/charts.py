"""Server-side SVG charts: pure functions of their data, returning ``markupsafe.Markup``.

No JavaScript, no CDN (cities run the tracker on intranets). Every chart is an inline ``<svg>``
with ``role="img"``, a ``<title>`` and a ``<desc>``; pages must still show a table or text
equivalent next to it. All text that reaches the markup is escaped here, so callers may pass
user data (metric names, vendor names) as labels.

Colours are written as attributes (not CSS classes) so a chart looks the same in print, in an
e-mail and on a page without the stylesheet.

    sparkline([1, 3, 2], label="Placements, last 12 months")
    line_chart([{"name": "Actual", "values": [18, 21, None, 25]}],
               labels=["Jul", "Aug", "Sep", "Oct"], title="Placements",
               target=[19, 20, 21, 22], baseline=18,
               bands=[{"low": [17.1, 18, 18.9, 19.8], "high": [19, 20, 21, 22], "label": "At risk",
                       "color": "#fff1cc"}],
               markers=[{"index": 2, "label": "Flag: reading overdue"}])
    stacked_bar([{"label": "On track", "value": 25, "color": STATUS_COLORS["on_track"]}, ...])
"""
from __future__ import annotations

from flask_babel import gettext as _, ngettext
import math
from decimal import Decimal

from markupsafe import Markup, escape

STATUS_COLORS = {
    "on_track": "#1e7a3c",
    "at_risk": "#d49a00",
    "off_track": "#a4262c",
    "overdue": "#6b2fa3",
    "no_data": "#9aa5b1",
}
INK = "#1d2733"
MUTED = "#5b6775"
GRID = "#d8dee6"
SERIES_COLORS = ("#1f4e79", "#c05621", "#2f855a", "#6b2fa3", "#a4262c")
TARGET_COLOR = "#1d2733"
BASELINE_COLOR = "#5b6775"
MARKER_COLOR = "#a4262c"

# Text is FONT_SIZE user units. A chart is drawn twice (``responsive``): WIDE_WIDTH units wide
# for screens wider than 640 px, where its box is at least ~600 px, and NARROW_WIDTH units for
# phones, where its box is 288 px (a 320 px phone) or more. Either way a unit is at least
# 0.9 px on screen, so text is never smaller than 12 px.
FONT_SIZE = 13.5
WIDE_WIDTH = 640
NARROW_WIDTH = 320
LEGEND_ROW = 20


def nice_ticks(low, high, count=5):
    """Tick values at a round step (1, 2 or 5 times a power of ten) that cover ``low``..``high``
    with about ``count`` ticks: (0, 100) -> 0, 20, ..., 100; (17.2, 31) -> 15, 20, 25, 30, 35.
    Returns (ticks, step)."""
    if low is None or high is None:
        low, high = 0.0, 1.0
    low, high = min(low, high), max(low, high)
    if high == low:
        pad = abs(low) * 0.2 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    fraction = raw / magnitude
    step = (1 if fraction < 1.5 else 2 if fraction < 3 else 5 if fraction < 7 else 10) * magnitude
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    ticks = [first + k * step for k in range(int(round((last - first) / step)) + 1)]
    return ticks, step


def tick_label(value, step):
    """A tick value with as many decimals as its step needs: 20, 2.5, 0.25."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if step < 1 and round(step * 10 ** decimals) % 1:
        decimals += 1
    text = f"{value:,.{decimals}f}"
    return "0" if text.strip("-0.,") == "" else text


def label_interval(count, plot_width, widest_label):
    """Show every n-th x label, n the same all along (1, 2, 3, ...), so labels never overlap."""
    room = widest_label * FONT_SIZE * 0.58 + FONT_SIZE
    fits = max(1, int(plot_width // room))
    return max(1, -(-count // fits))


def label_x(x, label, left, right):
    """Where to centre an x label so that it stays inside the chart (the first and last periods'
    labels are pulled in from the edges)."""
    half = len(label) * FONT_SIZE * 0.29
    return min(max(x, left + half), right - half) if right - left > 2 * half else x


def responsive(draw, *args, width=WIDE_WIDTH, **kwargs):
    """The chart drawn for a wide screen and for a phone, each shown at its widths (app.css:
    .chart-wide, .chart-narrow), so its text is at least 12 px at any width."""
    return Markup(
        f'<span class="chart-wide">{draw(*args, width=width, **kwargs)}</span>'
        f'<span class="chart-narrow">{draw(*args, width=NARROW_WIDTH, **kwargs)}</span>'
    )


def _num(value):
    """A float for drawing (never for money sums); None stays None."""
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    if result != result or result in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return result


def _fmt(value):
    """Coordinates with at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _label_number(value):
    if value is None:
        return _('no value')
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else _('no value')
    number = _num(value)
    if number is None:
        return _('no value')
    return f"{number:g}"


def _open_svg(width, height, title, desc, css_class, aspect="xMinYMin meet"):
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" role="img" '
        f'width="{_fmt(width)}" height="{_fmt(height)}" viewBox="0 0 {_fmt(width)} {_fmt(height)}" '
        f'preserveAspectRatio="{aspect}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
    )


class _Scale:
    """Linear map of a value range onto a pixel range (y grows downward in SVG)."""

    def __init__(self, low, high, pixel_low, pixel_high):
        if low is None or high is None:
            low, high = 0.0, 1.0
        if high == low:
            # A flat series: centre it with one unit of room either side.
            pad = abs(low) * 0.1 or 1.0
            low, high = low - pad, high + pad
        self.low, self.high = low, high
        self.pixel_low, self.pixel_high = pixel_low, pixel_high

    def __call__(self, value):
        span = self.high - self.low
        return self.pixel_low + (value - self.low) / span * (self.pixel_high - self.pixel_low)


def _x_positions(count, left, right):
    if count <= 1:
        return [(left + right) / 2]
    step = (right - left) / (count - 1)
    return [left + step * k for k in range(count)]


def _path(points):
    """An SVG path through (x, y) points, breaking at None gaps."""
    parts = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        x, y = point
        parts.append(f"{'L' if pen_down else 'M'}{_fmt(x)} {_fmt(y)}")
        pen_down = True
    return " ".join(parts)


def sparkline(values, width=120, height=28, *, label="Trend", description=None, color=SERIES_COLORS[0], target=None):
    """A small line of ``values`` (oldest first; None for a gap), with a dot on the latest value
    and, when ``target`` is given (a number, or one per value), the target as a dashed line.

    Empty data draws an empty frame saying "no data" in its description.
    """
    numbers = [_num(v) for v in values]
    present = [v for v in numbers if v is not None]
    targets = _per_point(target, len(numbers)) if numbers else []
    present_targets = [v for v in targets if v is not None]
    if description is None:
        if present:
            description = (
                _('%(count)s values, from %(first)s to %(last)s; lowest %(lowest)s, highest %(highest)s.', count=len(present), first=format(present[0], 'g'), last=format(present[-1], 'g'), lowest=format(min(present), 'g'), highest=format(max(present), 'g'))
            )
            if present_targets:
                description += _(' Target %(present_targets)s at the latest.', present_targets=format(present_targets[-1], 'g'))
        else:
            description = _('No data yet.')
    parts = [_open_svg(width, height, label, description, 'chart sparkline')]
    if present:
        pad = 3
        scale = _Scale(min(present + present_targets), max(present + present_targets), height - pad, pad)
        xs = _x_positions(len(numbers), pad, width - pad)
        target_points = [None if v is None else (x, scale(v)) for x, v in zip(xs, targets)]
        if len(numbers) == 1 and target_points and target_points[0] is not None:
            target_points = [(pad, target_points[0][1]), (width - pad, target_points[0][1])]
        if any(target_points):
            parts.append(
                f'<path class="sparkline-target" d="{_path(target_points)}" fill="none" stroke="{TARGET_COLOR}" '
                f'stroke-width="1" stroke-dasharray="3 2"><title>{escape(_("Target"))}</title></path>'
            )
        points = [None if v is None else (x, scale(v)) for x, v in zip(xs, numbers)]
        parts.append(
            f'<path d="{_path(points)}" fill="none" stroke="{color}" stroke-width="1.5" '
            f'stroke-linejoin="round" stroke-linecap="round"/>'
        )
        last = next(p for p in reversed(points) if p is not None)
        parts.append(f'<circle cx="{_fmt(last[0])}" cy="{_fmt(last[1])}" r="2.5" fill="{color}"/>')
    else:
        parts.append(
            f'<line x1="2" y1="{_fmt(height / 2)}" x2="{_fmt(width - 2)}" y2="{_fmt(height / 2)}" '
            f'stroke="{GRID}" stroke-dasharray="3 3"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _per_point(value, count):
    """A constant or a per-point list -> a list of floats/None of length count."""
    if value is None:
        return [None] * count
    if isinstance(value, (list, tuple)):
        values = [_num(v) for v in value][:count]
        return values + [None] * (count - len(values))
    return [_num(value)] * count


def line_chart(series, *, labels, title, description=None, target=None, baseline=None, bands=(),
               markers=(), width=WIDE_WIDTH, height=260, y_min=None, y_max=None, y_label="", legend_labels=None):
    """A line chart of one or more series over the same x labels (periods).

    series:  [{"name": str, "values": [number|None, ...], "color": optional}] — values align with labels.
    target:  a number (flat line) or a per-period list; drawn dashed, legend "Target".
    baseline: a number; drawn dotted, legend "Baseline".
    bands:   [{"low": number|list, "high": number|list, "label": str, "color": fill}] — shaded
             areas behind the lines (e.g. the at-risk zone between 90% and 100% of target).
    markers: [{"index": int, "label": str}] — a mark on the x position (e.g. a flag opened for
             that period), placed on the first series' value or at the top when there is none.
    y_min / y_max force the scale (e.g. 0 and 100 for shares).
    legend_labels: the chart's own words in another language, {"Target": ..., "Baseline": ..., "Flag": ...}
             (the public site's Spanish pages).
    """
    words = {"Target": _('Target'), "Baseline": _('Baseline'), "Flag": _('Flag'), **(legend_labels or {})}
    labels = [str(label) for label in labels]
    count = len(labels)
    series = [
        {
            "name": str(s.get("name", "")),
            "values": _per_point(list(s.get("values", [])), count),
            "color": s.get("color") or SERIES_COLORS[k % len(SERIES_COLORS)],
        }
        for k, s in enumerate(series)
    ]
    targets = _per_point(target, count)
    baselines = _per_point(baseline, count)
    band_rows = [
        {
            "low": _per_point(b.get("low"), count),
            "high": _per_point(b.get("high"), count),
            "label": str(b.get("label", "")),
            "color": b.get("color", "#fff1cc"),
        }
        for b in bands
    ]
    all_values = [v for s in series for v in s["values"] if v is not None]
    all_values += [v for v in targets + baselines if v is not None]
    for band in band_rows:
        all_values += [v for v in band["low"] + band["high"] if v is not None]
    low = _num(y_min) if y_min is not None else (min(all_values) if all_values else None)
    high = _num(y_max) if y_max is not None else (max(all_values) if all_values else None)
    if low is not None and high is not None and y_min is None and 0 < low < (high - low):
        low = 0.0  # start at zero when that does not squash the lines into a sliver
    ticks, step = nice_ticks(low, high)

    if description is None:
        description = _describe_lines(series, labels, targets, markers)

    # The legend, laid out first: it wraps onto more rows on a narrow chart.
    legend = [(s["name"], s["color"], "line", "") for s in series]
    if any(v is not None for v in targets):
        legend.append((words["Target"], TARGET_COLOR, "line", "6 4"))
    if any(v is not None for v in baselines):
        legend.append((words["Baseline"], BASELINE_COLOR, "line", "2 3"))
    legend += [(band["label"], band["color"], "box", "") for band in band_rows]
    if markers:
        legend.append((words["Flag"], MARKER_COLOR, "flag", ""))
    tick_width = max(len(tick_label(t, step)) for t in ticks) * FONT_SIZE * 0.58
    left, right = 16 + tick_width + (FONT_SIZE + 4 if y_label else 0), width - 12
    placed, x, row = [], left, 0
    for name, color, kind, dash in legend:
        item_width = 28 + len(name) * FONT_SIZE * 0.56
        if x > left and x + item_width > right:
            x, row = left, row + 1
        placed.append((x, row, name, color, kind, dash))
        x += item_width + 14
    legend_rows = row + 1 if legend else 0
    height = height + (legend_rows - 1) * LEGEND_ROW if legend_rows > 1 else height
    top, bottom = 12, height - 26 - LEGEND_ROW * max(legend_rows, 1)

    scale = _Scale(ticks[0], ticks[-1], bottom, top)
    xs = _x_positions(count, left + 8, right - 8)
    parts = [_open_svg(width, height, title, description, 'chart line-chart')]

    # Grid and y axis at round values.
    for value in ticks:
        y = scale(value)
        parts.append(f'<line x1="{_fmt(left)}" y1="{_fmt(y)}" x2="{_fmt(right)}" y2="{_fmt(y)}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{_fmt(left - 6)}" y="{_fmt(y + FONT_SIZE * 0.35)}" text-anchor="end" font-size="{FONT_SIZE}" '
            f'fill="{MUTED}">{escape(tick_label(value, step))}</text>'
        )
    if y_label:
        middle = (top + bottom) / 2
        parts.append(
            f'<text x="{_fmt(FONT_SIZE)}" y="{_fmt(middle)}" font-size="{FONT_SIZE}" fill="{MUTED}" text-anchor="middle" '
            f'transform="rotate(-90 {_fmt(FONT_SIZE)} {_fmt(middle)})">{escape(y_label)}</text>'
        )
    # X labels: every period, or every n-th at a regular interval when they would overlap.
    every = label_interval(count, right - left, max((len(label) for label in labels), default=0))
    for k, (x, label) in enumerate(zip(xs, labels)):
        if k % every == 0:
            parts.append(
                f'<text x="{_fmt(label_x(x, label, 4, width - 4))}" y="{_fmt(bottom + FONT_SIZE + 8)}" text-anchor="middle" font-size="{FONT_SIZE}" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )

    for band in band_rows:
        upper = [(x, scale(h)) for x, lo, h in zip(xs, band["low"], band["high"]) if lo is not None and h is not None]
        lower = [(x, scale(lo)) for x, lo, h in zip(xs, band["low"], band["high"]) if lo is not None and h is not None]
        if count == 1 and upper:
            upper = [(left, upper[0][1]), (right, upper[0][1])]
            lower = [(left, lower[0][1]), (right, lower[0][1])]
        if upper:
            points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in upper + list(reversed(lower)))
            parts.append(
                f'<polygon points="{points}" fill="{escape(band["color"])}" fill-opacity="0.6" stroke="none">'
                f"<title>{escape(band['label'])}</title></polygon>"
            )

    def flat_or_path(values, dash, color, name):
        points = [None if v is None else (x, scale(v)) for x, v in zip(xs, values)]
        if count == 1 and points[0] is not None:
            points = [(left, points[0][1]), (right, points[0][1])]
        path = _path(points)
        if path:
            parts.append(
                f'<path d="{path}" fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="{dash}">'
                f"<title>{escape(name)}</title></path>"
            )

    flat_or_path(baselines, "2 3", BASELINE_COLOR, words["Baseline"])
    flat_or_path(targets, "6 4", TARGET_COLOR, words["Target"])

    for s in series:
        points = [None if v is None else (x, scale(v)) for x, v in zip(xs, s["values"])]
        path = _path(points)
        if path:
            parts.append(f'<path d="{path}" fill="none" stroke="{escape(s["color"])}" stroke-width="2.25"/>')
        for label, point, value in zip(labels, points, s["values"]):
            if point is not None:
                parts.append(
                    f'<circle cx="{_fmt(point[0])}" cy="{_fmt(point[1])}" r="3.5" fill="{escape(s["color"])}">'
                    f"<title>{escape(s['name'])}, {escape(label)}: {escape(_label_number(value))}</title></circle>"
                )

    # Flag markers: above the first series' value, always inside the plot.
    size = 6
    for marker in markers:
        index = marker.get("index")
        if not isinstance(index, int) or not 0 <= index < count:
            continue
        value = series[0]["values"][index] if series else None
        x = xs[index]
        y = scale(value) - 10 if value is not None else top + size
        y = min(max(y, top + size), bottom - size)
        parts.append(
            f'<path d="M{_fmt(x)} {_fmt(y + size)} L{_fmt(x - size)} {_fmt(y - size)} '
            f'L{_fmt(x + size)} {_fmt(y - size)} Z" fill="{MARKER_COLOR}" stroke="#fff" stroke-width="1">'
            f"<title>{escape(marker.get('label', ''))}</title></path>"
        )

    for x, row, name, color, kind, dash in placed:
        y = bottom + FONT_SIZE + 8 + LEGEND_ROW * (row + 1)
        if kind == "line":
            parts.append(
                f'<line x1="{_fmt(x)}" y1="{_fmt(y - 4)}" x2="{_fmt(x + 20)}" y2="{_fmt(y - 4)}" stroke="{escape(color)}" '
                f'stroke-width="2.25"{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>'
            )
        elif kind == "box":
            parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(y - 10)}" width="20" height="11" fill="{escape(color)}"/>')
        else:
            parts.append(
                f'<path d="M{_fmt(x + 10)} {_fmt(y + 1)} L{_fmt(x + 4)} {_fmt(y - 10)} L{_fmt(x + 16)} {_fmt(y - 10)} Z" '
                f'fill="{MARKER_COLOR}"/>'
            )
        parts.append(f'<text x="{_fmt(x + 26)}" y="{_fmt(y)}" font-size="{FONT_SIZE}" fill="{INK}">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe_lines(series, labels, targets, markers):
    if not labels or not any(v is not None for s in series for v in s["values"]):
        return _('No data yet.')
    sentences = []
    for s in series:
        present = [(label, v) for label, v in zip(labels, s["values"]) if v is not None]
        if present:
            sentences.append(
                _('%(name)s: %(count)s values, from %(first)s (%(first_label)s) to %(last)s (%(last_label)s).', name=s['name'], count=len(present), first=format(present[0][1], 'g'), first_label=present[0][0], last=format(present[-1][1], 'g'), last_label=present[-1][0])
            )
    if any(v is not None for v in targets):
        last = next(v for v in reversed(targets) if v is not None)
        sentences.append(_('Target reaches %(last)s.', last=format(last, 'g')))
    if markers:
        sentences.append(ngettext('%(num)s flagged period.', '%(num)s flagged periods.', len(markers)))
    return " ".join(sentences)


def stacked_bar(segments, width=480, height=28, *, title="Shares", description=None):
    """One horizontal bar split into segments proportional to their values.

    segments: [{"label": str, "value": number, "color": fill}] in drawing order. Zero segments
    take no width; an all-zero or empty bar draws a grey track and says "No data".
    """
    rows = [
        {"label": str(s.get("label", "")), "value": max(_num(s.get("value")) or 0.0, 0.0),
         "color": s.get("color", STATUS_COLORS["no_data"])}
        for s in segments
    ]
    total = sum(r["value"] for r in rows)
    if description is None:
        if total:
            description = "; ".join(
                f"{r['label']}: {_label_number(r['value'])} ({r['value'] / total:.0%})" for r in rows
            ) + "."
        else:
            description = _('No data.')
    # The bar may be stretched to any width (CSS width: 100%): proportions hold horizontally.
    parts = [_open_svg(width, height, title, description, 'chart stacked-bar', aspect="none")]
    parts.append(f'<rect x="0" y="0" width="{_fmt(width)}" height="{_fmt(height)}" fill="#eceff3" rx="3"/>')
    if total:
        x = 0.0
        for r in rows:
            if not r["value"]:
                continue
            w = r["value"] / total * width
            parts.append(
                f'<rect x="{_fmt(x)}" y="0" width="{_fmt(w)}" height="{_fmt(height)}" fill="{escape(r["color"])}">'
                f"<title>{escape(r['label'])}: {escape(_label_number(r['value']))} ({r['value'] / total:.0%})</title>"
                f"</rect>"
            )
            x += w
    parts.append("</svg>")
    return Markup("".join(parts))


def health_segments(counts, labels):
    """Segments for stacked_bar from {health: count} in the standard order and colours."""
    return [
        {"label": labels.get(health, health), "value": counts.get(health, 0), "color": color}
        for health, color in STATUS_COLORS.items()
    ]


def group_bars(bars, *, title, description=None, target=100, width=WIDE_WIDTH, row_height=26):
    """Horizontal bars, one a group, of attainment in percent of the group's target, with the
    target as a dashed line and each bar in its status colour (the groups of one period).

    bars: [{"label": str, "value": number|None (percent of target), "status": code,
            "text": str (what the bar's end says, e.g. "12 · 80%")}]. A group without a value
    draws no bar and says "no value".
    """
    rows = [{"label": str(b.get("label", "")), "value": _num(b.get("value")), "status": b.get("status") or "no_data",
             "text": str(b.get("text") or "")} for b in bars]
    target_value = _num(target) or 100.0
    if description is None:
        known = [r for r in rows if r["value"] is not None]
        if known:
            description = "; ".join(f"{r['label']}: {r['text'] or _label_number(r['value'])}" for r in rows) + "."
        else:
            description = _('No data yet.')
    label_width = min(180.0, max([len(r["label"]) for r in rows] + [4]) * FONT_SIZE * 0.56 + 8)
    if width <= NARROW_WIDTH:
        label_width = min(label_width, 112.0)
    text_room = max([len(r["text"]) for r in rows] + [4]) * FONT_SIZE * 0.56 + 8
    left, right = label_width, width - text_room
    top, bottom = LEGEND_ROW + 6, 6
    height = top + row_height * max(len(rows), 1) + bottom
    high = max([target_value * 1.2] + [r["value"] for r in rows if r["value"] is not None])
    scale = _Scale(0.0, high, left, right)
    parts = [_open_svg(width, height, title, description, 'chart group-bars')]
    target_x = scale(target_value)
    parts.append(
        f'<text x="{_fmt(target_x)}" y="{_fmt(LEGEND_ROW - 4)}" font-size="{FONT_SIZE}" fill="{INK}" '
        f'text-anchor="middle">{escape(_("Target"))}</text>'
    )
    max_chars = max(4, int((label_width - 8) / (FONT_SIZE * 0.56)))
    for index, r in enumerate(rows):
        y = top + row_height * index
        middle = y + row_height / 2
        shown = r["label"] if len(r["label"]) <= max_chars else r["label"][:max_chars - 1] + "…"
        parts.append(
            f'<text x="{_fmt(label_width - 8)}" y="{_fmt(middle + FONT_SIZE * 0.35)}" font-size="{FONT_SIZE}" '
            f'fill="{INK}" text-anchor="end"><title>{escape(r["label"])}</title>{escape(shown)}</text>'
        )
        if r["value"] is not None:
            end = scale(max(r["value"], 0.0))
            parts.append(
                f'<rect x="{_fmt(left)}" y="{_fmt(y + 4)}" width="{_fmt(max(end - left, 1.0))}" '
                f'height="{_fmt(row_height - 8)}" fill="{STATUS_COLORS.get(r["status"], STATUS_COLORS["no_data"])}">'
                f'<title>{escape(r["label"])}: {escape(r["text"] or _label_number(r["value"]))}</title></rect>'
            )
            text_x = end + 6
        else:
            text_x = left + 6
        parts.append(
            f'<text x="{_fmt(text_x)}" y="{_fmt(middle + FONT_SIZE * 0.35)}" font-size="{FONT_SIZE}" '
            f'fill="{MUTED if r["value"] is None else INK}">{escape(r["text"] or _("no value"))}</text>'
        )
    parts.append(
        f'<line x1="{_fmt(target_x)}" y1="{_fmt(top - 2)}" x2="{_fmt(target_x)}" y2="{_fmt(height - bottom)}" '
        f'stroke="{TARGET_COLOR}" stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    parts.append(f'<line x1="{_fmt(left)}" y1="{_fmt(top - 2)}" x2="{_fmt(left)}" y2="{_fmt(height - bottom)}" '
                 f'stroke="{GRID}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
