"""The SVG chart helpers: pure functions, so no database."""
import math
import re
from decimal import Decimal

import pytest
from markupsafe import Markup

from contracts_app.portfolio import charts


def _coords(svg, tag="circle"):
    return [(float(x), float(y)) for x, y in re.findall(rf'<{tag} cx="([\d.]+)" cy="([\d.]+)"', str(svg))]


def test_it_returns_markup_with_an_accessible_svg():
    for svg in (
        charts.sparkline([1, 2, 3], label="Placements"),
        charts.line_chart([{"name": "Actual", "values": [1, 2]}], labels=["Jan", "Feb"], title="Placements"),
        charts.stacked_bar([{"label": "On track", "value": 3}], title="Health"),
        charts.group_bars([{"label": "District 1", "value": 90, "status": "at_risk", "text": "9 · 90%"}], title="By district"),
    ):
        assert isinstance(svg, Markup)
        assert svg.startswith("<svg") and svg.endswith("</svg>")
        assert 'role="img"' in svg
        assert "<title>" in svg and "<desc>" in svg


def test_it_escapes_every_label():
    hostile = '<script>alert("x")</script>&'
    outputs = [
        charts.sparkline([1, 2], label=hostile, description=hostile),
        charts.line_chart(
            [{"name": hostile, "values": [1, 2]}], labels=[hostile, "Feb"], title=hostile, y_label=hostile,
            bands=[{"low": 0, "high": 1, "label": hostile}], markers=[{"index": 0, "label": hostile}],
        ),
        charts.stacked_bar([{"label": hostile, "value": 1}], title=hostile),
        charts.group_bars([{"label": hostile, "value": 1, "text": hostile}], title=hostile),
    ]
    for svg in outputs:
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg


def test_it_draws_an_empty_sparkline_without_failing():
    svg = charts.sparkline([])
    assert "No data yet." in svg
    assert "<path" not in svg


def test_it_draws_a_single_point_sparkline_in_the_middle():
    svg = charts.sparkline([Decimal("5")], width=100, height=20)
    ((x, y),) = _coords(svg)
    assert x == 50
    assert y == 10  # a flat series is centred vertically


def test_it_scales_a_sparkline_from_lowest_at_the_bottom_to_highest_at_the_top():
    svg = charts.sparkline([10, 30, 20], width=100, height=20)
    points = re.search(r'd="([^"]+)"', str(svg)).group(1)
    coords = [(float(x), float(y)) for x, y in re.findall(r"[ML]([\d.]+) ([\d.]+)", points)]
    assert coords[0] == (3, 17)   # lowest value on the bottom padding line
    assert coords[1] == (50, 3)   # highest on the top padding line
    assert coords[2][1] == 10     # the middle value half-way


def test_it_breaks_a_sparkline_at_missing_values():
    svg = charts.sparkline([1, None, 3, 4])
    path = re.search(r'd="([^"]+)"', str(svg)).group(1)
    assert path.count("M") == 2


def test_it_ignores_values_that_are_not_numbers():
    svg = charts.sparkline([1, "abc", float("nan"), Decimal("Infinity"), 2])
    assert "2 values" in svg


def test_it_draws_a_line_chart_with_target_baseline_bands_and_markers():
    svg = charts.line_chart(
        [{"name": "Actual", "values": [18, 21, None, 25]}], labels=["Jul", "Aug", "Sep", "Oct"], title="Placements",
        target=[19, 20, 21, 22], baseline=18,
        bands=[{"low": [17, 18, 19, 20], "high": [19, 20, 21, 22], "label": "At risk", "color": "#fff1cc"}],
        markers=[{"index": 2, "label": "Flag: reading overdue"}],
    )
    assert "<title>Target</title>" in svg
    assert "<title>Baseline</title>" in svg
    assert "<polygon" in svg and "<title>At risk</title>" in svg
    assert "Flag: reading overdue" in svg
    assert len(_coords(svg)) == 3  # one point per present value
    assert "Actual: 3 values, from 18 (Jul) to 25 (Oct)." in svg


def test_it_keeps_shares_on_a_fixed_scale():
    svg = charts.line_chart([{"name": "Share", "values": [0, 50, 100]}], labels=["a", "b", "c"], title="t",
                            y_min=0, y_max=100, height=260)
    ys = [y for _, y in _coords(svg)]
    assert ys[0] > ys[1] > ys[2]
    assert ys[0] == 214 and ys[2] == 12  # bottom and top of the plot area (0 and 100 are its end ticks)
    assert abs(ys[1] - 113) < 0.01


def test_it_draws_an_empty_line_chart():
    svg = charts.line_chart([], labels=[], title="Nothing")
    assert "No data yet." in svg
    assert "<circle" not in svg


def test_it_draws_a_single_point_line_chart():
    svg = charts.line_chart([{"name": "A", "values": [5]}], labels=["Jan"], title="One", target=6)
    assert len(_coords(svg)) == 1
    assert "<title>Target</title>" in svg


def test_it_ignores_markers_outside_the_chart():
    svg = charts.line_chart([{"name": "A", "values": [1, 2]}], labels=["a", "b"], title="t",
                            markers=[{"index": 9, "label": "far"}, {"index": "x", "label": "bad"}])
    assert "far" not in svg and "bad" not in svg


def test_it_splits_a_stacked_bar_in_proportion():
    svg = charts.stacked_bar(
        [{"label": "On", "value": 3, "color": "#0f0"}, {"label": "Off", "value": 1, "color": "#f00"},
         {"label": "None", "value": 0}],
        width=400,
    )
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="0" width="([\d.]+)" height="28" fill="#', str(svg))]
    assert widths == [400, 300, 100]  # the grey track, then the segments; zero takes no width
    assert "On: 3 (75%)" in svg


def test_it_draws_an_all_zero_stacked_bar_as_no_data():
    svg = charts.stacked_bar([{"label": "On", "value": 0}])
    assert "No data." in svg
    assert svg.count("<rect") == 1


def test_it_builds_health_segments_in_the_standard_order():
    segments = charts.health_segments({"off_track": 2, "on_track": 1}, {"on_track": "On track"})
    assert [s["value"] for s in segments] == [1, 0, 2, 0, 0]
    assert segments[0]["label"] == "On track"
    assert segments[2]["color"] == charts.STATUS_COLORS["off_track"]


# --- readable charts: round ticks, regular labels, text size, markers inside -------------------


@pytest.mark.parametrize("low, high, ticks", [
    (0, 100, [0, 20, 40, 60, 80, 100]),
    (17.2, 31, [15, 20, 25, 30, 35]),
    (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    (40, 64, [40, 45, 50, 55, 60, 65]),
    (0, 1_250_000, [0, 500_000, 1_000_000, 1_500_000]),
    (5, 5, [4, 4.5, 5, 5.5, 6]),
])
def test_its_ticks_are_round_values_at_one_two_or_five_steps(low, high, ticks):
    found, step = charts.nice_ticks(low, high)
    assert found == pytest.approx(ticks)
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5)
    assert found[0] <= low and found[-1] >= high


def test_its_y_axis_says_round_values():
    svg = str(charts.line_chart([{"name": "Placements", "values": [18.49, 22.3, 31.07]}], labels=["a", "b", "c"], title="t"))
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    assert labels == ["15", "20", "25", "30", "35"]


def test_it_labels_periods_at_a_regular_interval():
    labels = [f"M{k:02d}" for k in range(24)]
    for width in (charts.WIDE_WIDTH, charts.NARROW_WIDTH):
        svg = str(charts.line_chart([{"name": "A", "values": list(range(24))}], labels=labels, title="t", width=width))
        shown = [int(text[1:]) for text in re.findall(r">(M\d\d)</text>", svg)]
        assert shown[0] == 0 and len(shown) >= 3
        gaps = {b - a for a, b in zip(shown, shown[1:])}
        assert len(gaps) == 1, shown  # one interval all along
    few = str(charts.line_chart([{"name": "A", "values": [1, 2, 3]}], labels=["Jan", "Feb", "Mar"], title="t"))
    assert all(f">{month}</text>" in few for month in ("Jan", "Feb", "Mar"))  # every period when they fit


def test_its_text_is_never_smaller_than_twelve_pixels_where_it_is_shown():
    svg = str(charts.responsive(charts.line_chart, [{"name": "A", "values": [1, 2]}], labels=["a", "b"], title="t"))
    wide, narrow = svg.split('<span class="chart-narrow">')
    assert 'width="640"' in wide and 'width="320"' in narrow
    sizes = {float(size) for size in re.findall(r'font-size="([\d.]+)"', svg)}
    # Shown at 600 px or more (wide) and 288 px or more (narrow): at least 0.9 px a unit.
    assert min(sizes) * 0.9 >= 12


def test_its_flag_markers_stay_inside_the_plot():
    svg = str(charts.line_chart([{"name": "A", "values": [100, 50, None]}], labels=["a", "b", "c"], title="t",
                                y_min=0, y_max=100, markers=[{"index": 0, "label": "f"}, {"index": 2, "label": "g"}]))
    gridlines = [float(y) for y in re.findall(r'<line x1="[\d.]+" y1="([\d.]+)"', svg)]
    top, bottom = min(gridlines), max(gridlines)
    for path in re.findall(r'<path d="(M[^"]+Z)" fill="#a4262c" stroke', svg):
        ys = [float(y) for y in re.findall(r"[ML][\d.]+ ([\d.]+)", path)]
        assert top <= min(ys) and max(ys) <= bottom, (path, top, bottom)


def test_its_legend_wraps_on_a_narrow_chart():
    series = [{"name": f"A long series name {k}", "values": [1, 2]} for k in range(3)]
    narrow = str(charts.line_chart(series, labels=["a", "b"], title="t", width=charts.NARROW_WIDTH, target=[1, 2]))
    height = float(re.search(r'height="([\d.]+)"', narrow).group(1))
    assert height > 260
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="[\d.]+" font-size="[\d.]+" fill="#1d2733">', narrow)]
    assert max(xs) < charts.NARROW_WIDTH


def test_a_sparkline_draws_its_target_dashed_on_the_same_scale():
    svg = str(charts.sparkline([10, 20, 30], width=100, height=20, target=[40, 40, 40]))
    target = re.search(r'<path class="sparkline-target" d="([^"]+)"[^>]*stroke-dasharray', svg).group(1)
    target_ys = {float(y) for y in re.findall(r"[ML][\d.]+ ([\d.]+)", target)}
    assert len(target_ys) == 1
    line = re.search(r'<path d="([^"]+)" fill="none" stroke="#1f4e79"', svg).group(1)
    line_ys = [float(y) for y in re.findall(r"[ML][\d.]+ ([\d.]+)", line)]
    # The target, above every value, is the top of the scale: the values sit below it.
    assert target_ys.pop() < min(line_ys)
    assert "Target 40 at the latest." in svg
    assert "sparkline-target" not in str(charts.sparkline([10, 20], target=None))


def test_group_bars_are_as_long_as_the_attainment_against_the_target_line():
    svg = str(charts.group_bars([
        {"label": "District 1", "value": 100, "status": "on_track", "text": "10 · 100%"},
        {"label": "District 7", "value": 50, "status": "off_track", "text": "5 · 50%"},
        {"label": "District 9", "value": None, "text": ""},
    ], title="Placements by district"))
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 2 and math.isclose(widths[0], 2 * widths[1], rel_tol=0.02)
    # The dashed target line stands where the 100% bar ends.
    left = float(re.search(r'<rect x="([\d.]+)"', svg).group(1))
    target_x = float(re.search(r'<line x1="([\d.]+)"[^>]*stroke-dasharray="6 4"', svg).group(1))
    assert math.isclose(left + widths[0], target_x, abs_tol=0.05)
    assert f'fill="{charts.STATUS_COLORS["off_track"]}"' in svg
    assert "District 9" in svg and "no value" in svg
    # The description reads every group, a group without a value included.
    assert "<desc>District 1: 10 · 100%; District 7: 5 · 50%; District 9: no value.</desc>" in svg
