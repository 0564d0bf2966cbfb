"""The SVG chart helpers: pure functions, so no database."""
import re
from decimal import Decimal

from markupsafe import Markup

from contracts_app.portfolio import charts


def _coords(svg, tag="circle"):
    return [(float(x), float(y)) for x, y in re.findall(rf'<{tag} cx="([\d.]+)" cy="([\d.]+)"', str(svg))]


def test_it_returns_markup_with_an_accessible_svg():
    for svg in (
        charts.sparkline([1, 2, 3], label="Placements"),
        charts.line_chart([{"name": "Actual", "values": [1, 2]}], labels=["Jan", "Feb"], title="Placements"),
        charts.stacked_bar([{"label": "On track", "value": 3}], title="Health"),
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
    assert ys[0] == 214 and ys[2] == 14  # bottom and top of the plot area
    assert abs(ys[1] - 114) < 0.01


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
