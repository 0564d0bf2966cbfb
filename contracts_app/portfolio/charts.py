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
        return "no value"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else "no value"
    number = _num(value)
    if number is None:
        return "no value"
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


def sparkline(values, width=120, height=28, *, label="Trend", description=None, color=SERIES_COLORS[0]):
    """A small line of ``values`` (oldest first; None for a gap), with a dot on the latest value.

    Empty data draws an empty frame saying "no data" in its description.
    """
    numbers = [_num(v) for v in values]
    present = [v for v in numbers if v is not None]
    if description is None:
        if present:
            description = (
                f"{len(present)} values, from {present[0]:g} to {present[-1]:g}; "
                f"lowest {min(present):g}, highest {max(present):g}."
            )
        else:
            description = "No data yet."
    parts = [_open_svg(width, height, label, description, "chart sparkline")]
    if present:
        pad = 3
        scale = _Scale(min(present), max(present), height - pad, pad)
        xs = _x_positions(len(numbers), pad, width - pad)
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
               markers=(), width=640, height=260, y_min=None, y_max=None, y_label=""):
    """A line chart of one or more series over the same x labels (periods).

    series:  [{"name": str, "values": [number|None, ...], "color": optional}] — values align with labels.
    target:  a number (flat line) or a per-period list; drawn dashed, legend "Target".
    baseline: a number; drawn dotted, legend "Baseline".
    bands:   [{"low": number|list, "high": number|list, "label": str, "color": fill}] — shaded
             areas behind the lines (e.g. the at-risk zone between 90% and 100% of target).
    markers: [{"index": int, "label": str}] — a mark on the x position (e.g. a flag opened for
             that period), placed on the first series' value or at the top when there is none.
    y_min / y_max force the scale (e.g. 0 and 100 for shares).
    """
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

    if description is None:
        description = _describe_lines(series, labels, targets, markers)

    left, right, top, bottom = 52, width - 28, 14, height - 46
    scale = _Scale(low, high, bottom, top)
    xs = _x_positions(count, left + 8, right - 8)
    parts = [_open_svg(width, height, title, description, "chart line-chart")]

    # Grid and y axis: four steps.
    for step in range(5):
        value = scale.low + (scale.high - scale.low) * step / 4
        y = scale(value)
        parts.append(f'<line x1="{left}" y1="{_fmt(y)}" x2="{_fmt(right)}" y2="{_fmt(y)}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{_fmt(y + 4)}" text-anchor="end" font-size="11" fill="{MUTED}">'
            f"{escape(f'{value:,.4g}')}</text>"
        )
    if y_label:
        parts.append(
            f'<text x="12" y="{_fmt((top + bottom) / 2)}" font-size="11" fill="{MUTED}" text-anchor="middle" '
            f'transform="rotate(-90 12 {_fmt((top + bottom) / 2)})">{escape(y_label)}</text>'
        )
    # X labels: at most ~12 shown so they never overlap.
    every = max(1, -(-count // 12))
    for k, (x, label) in enumerate(zip(xs, labels)):
        if k % every and k != count - 1:
            continue
        parts.append(
            f'<text x="{_fmt(x)}" y="{_fmt(bottom + 16)}" text-anchor="middle" font-size="11" fill="{MUTED}">'
            f"{escape(label)}</text>"
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

    flat_or_path(baselines, "2 3", BASELINE_COLOR, "Baseline")
    flat_or_path(targets, "6 4", TARGET_COLOR, "Target")

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

    for marker in markers:
        index = marker.get("index")
        if not isinstance(index, int) or not 0 <= index < count:
            continue
        value = series[0]["values"][index] if series else None
        x = xs[index]
        y = scale(value) - 10 if value is not None else top + 4
        size = 6
        parts.append(
            f'<path d="M{_fmt(x)} {_fmt(y + size)} L{_fmt(x - size)} {_fmt(y - size)} '
            f'L{_fmt(x + size)} {_fmt(y - size)} Z" fill="{MARKER_COLOR}" stroke="#fff" stroke-width="1">'
            f"<title>{escape(marker.get('label', ''))}</title></path>"
        )

    # Legend along the bottom.
    legend = [(s["name"], s["color"], "") for s in series]
    if any(v is not None for v in targets):
        legend.append(("Target", TARGET_COLOR, "6 4"))
    if any(v is not None for v in baselines):
        legend.append(("Baseline", BASELINE_COLOR, "2 3"))
    x = left
    y = height - 10
    for name, color, dash in legend:
        parts.append(
            f'<line x1="{_fmt(x)}" y1="{_fmt(y - 4)}" x2="{_fmt(x + 18)}" y2="{_fmt(y - 4)}" stroke="{escape(color)}" '
            f'stroke-width="2.25"{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>'
            f'<text x="{_fmt(x + 22)}" y="{_fmt(y)}" font-size="11" fill="{INK}">{escape(name)}</text>'
        )
        x += 30 + 7 * len(name)
    for band in band_rows:
        parts.append(
            f'<rect x="{_fmt(x)}" y="{_fmt(y - 9)}" width="18" height="10" fill="{escape(band["color"])}"/>'
            f'<text x="{_fmt(x + 22)}" y="{_fmt(y)}" font-size="11" fill="{INK}">{escape(band["label"])}</text>'
        )
        x += 30 + 7 * len(band["label"])
    if markers:
        parts.append(
            f'<path d="M{_fmt(x + 9)} {_fmt(y + 1)} L{_fmt(x + 3)} {_fmt(y - 9)} L{_fmt(x + 15)} {_fmt(y - 9)} Z" '
            f'fill="{MARKER_COLOR}"/><text x="{_fmt(x + 22)}" y="{_fmt(y)}" font-size="11" fill="{INK}">Flag</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe_lines(series, labels, targets, markers):
    if not labels or not any(v is not None for s in series for v in s["values"]):
        return "No data yet."
    sentences = []
    for s in series:
        present = [(label, v) for label, v in zip(labels, s["values"]) if v is not None]
        if present:
            sentences.append(
                f"{s['name']}: {len(present)} values, from {present[0][1]:g} ({present[0][0]}) "
                f"to {present[-1][1]:g} ({present[-1][0]})."
            )
    if any(v is not None for v in targets):
        last = next(v for v in reversed(targets) if v is not None)
        sentences.append(f"Target reaches {last:g}.")
    if markers:
        sentences.append(f"{len(markers)} flagged period(s).")
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
            description = "No data."
    # The bar may be stretched to any width (CSS width: 100%): proportions hold horizontally.
    parts = [_open_svg(width, height, title, description, "chart stacked-bar", aspect="none")]
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
