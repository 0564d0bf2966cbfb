"""The contract scorecard: goals, payment, each metric's chart and table, flag and check-in history."""
import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.models import ActionItem, CheckIn, Flag
from contracts_app.metrics.rules import AT_RISK, OFF_TRACK, ON_TRACK, reading_status, threshold_bands
from tests.querycount import count_queries
from tests.html import without_cell_labels


def _scorecard(client_as, contract, role="viewer"):
    response = client_as(role).get(f"/portfolio/contracts/{contract.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(html, label):
    """The <tr> of the period ``label`` in a scorecard table, tags stripped to text."""
    match = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(label) + r"</th>(.*?)</tr>", html, re.S)
    assert match, f"no row for {label}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@pytest.fixture
def scored(factory):
    contract = factory.make_contract(
        title="Rapid rehousing", problem="Families wait months for housing", outcomes="Placements within 30 days",
        payment_structure="pay_for_success", payment_terms="Success payments per family housed",
    )
    metric = factory.make_metric(contract, name="Families placed", targets={date(2025, 8, 1): 20, date(2025, 9, 1): 22})
    factory.make_reading(metric, date(2025, 8, 1), 21, status="on_track")
    factory.make_reading(metric, date(2025, 9, 1), 11, status="off_track")
    return contract, metric


def test_it_shows_goals_and_payment_structure(client_as, scored):
    contract, _ = scored
    html = _scorecard(client_as, contract)
    for text in ("Families wait months for housing", "Placements within 30 days", "Pay for success",
                 "Success payments per family housed"):
        assert text in html


def test_it_draws_target_actual_baseline_and_bands_in_the_svg(client_as, scored):
    contract, metric = scored
    html = _scorecard(client_as, contract)
    svg = re.search(r'<svg class="scorecard-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg
    assert f'<title id="metric-{metric.id}-chart-title">Families placed: actual against target</title>' in svg
    assert 'class="target-line"' in svg
    assert "<title>Baseline 18</title>" in svg
    assert 'class="band-on-track"' in svg and 'class="band-at-risk"' in svg
    # Aug: target 20 -> on track from 20, at risk from 18.
    assert "<title>Aug 2025: On track zone 20 to above</title>" in svg
    assert "<title>Aug 2025: At risk zone 18 to above</title>" in svg
    assert "<title>Aug 2025: actual 21 against target 20 (On track)</title>" in svg
    assert 'class="actual-point status-off_track"' in svg


def test_it_lists_each_period_with_target_actual_attainment_and_status(client_as, scored):
    contract, _ = scored
    html = _scorecard(client_as, contract)
    assert _row(html, "Aug 2025") == "20 21 105% On track —"
    assert _row(html, "Sep 2025") == "22 11 50% Off track —"


def test_it_shows_linear_targets_between_explicit_ones(client_as, scored):
    contract, metric = scored
    from contracts_app.metrics.status import target_for
    from contracts_app.metrics import rules

    july = rules.periods(contract.start_date, contract.end_date, "monthly")[0]
    expected = rules.shown_target(target_for(metric, july, {}), metric)
    html = _scorecard(client_as, contract)
    assert _row(html, "Jul 2025").startswith(f"{expected.normalize():f} — — Overdue")


def test_it_stops_at_today(client_as, scored):
    contract, _ = scored
    html = _scorecard(client_as, contract)
    assert "Jun 2027</th>" not in html  # the last period of the term, after today
    assert "Jul 2025</th>" in html


def test_it_marks_flags_on_their_periods(client_as, scored):
    contract, metric = scored
    db.session.add(Flag(contract_id=contract.id, subject_type="metric", subject_id=metric.id, metric_id=metric.id,
                        period_start=date(2025, 9, 1), kind="off_track", severity="high"))
    db.session.commit()
    html = _scorecard(client_as, contract)
    assert 'class="flag-marker"' in html
    assert "<title>Flag, Sep 2025: Metric off track (open)</title>" in html
    assert _row(html, "Sep 2025").endswith("Metric off track (open)")
    assert _row(html, "Aug 2025").endswith("—")


def test_it_lists_open_and_resolved_flags_in_the_history(client_as, scored, users, factory):
    contract, metric = scored
    milestone = factory.make_milestone(contract, title="Intake system live")
    db.session.add_all([
        Flag(contract_id=contract.id, subject_type="metric", subject_id=metric.id, metric_id=metric.id,
             period_start=date(2025, 9, 1), kind="off_track", severity="high"),
        Flag(contract_id=contract.id, subject_type="milestone", subject_id=milestone.id, milestone_id=milestone.id,
             period_start=milestone.due_date, kind="milestone_missed", severity="high", resolved_at=utcnow(),
             resolved_by_id=users["contract_manager"].id, resolution_note="Delivered late, accepted"),
    ])
    db.session.commit()
    html = _scorecard(client_as, contract)
    history = without_cell_labels(re.search(r'<table class="[^"]*flag-history[^"]*">.*?</table>', html, re.S).group(0))
    assert "Metric off track" in history and "Families placed" in history and "<strong>Open</strong>" in history
    assert "Milestone past due and not met" in history and "Intake system live" in history
    assert "Delivered late, accepted" in history and users["contract_manager"].name in history
    assert "2 flags, 1 open." in html


def test_it_lists_held_checkins_with_decisions_and_action_item_counts(client_as, scored):
    contract, _ = scored
    held = CheckIn(contract_id=contract.id, status="held", scheduled_for=date(2025, 10, 2), held_on=date(2025, 10, 2),
                   decisions="Add a second intake worker")
    pending = CheckIn(contract_id=contract.id, status="scheduled", pending_contract_id=contract.id,
                      scheduled_for=date(2099, 1, 5), decisions="Not yet held")
    db.session.add_all([held, pending])
    db.session.flush()
    for k, status in enumerate(("open", "done", "open")):
        db.session.add(ActionItem(checkin_id=held.id, contract_id=contract.id, description=f"Item {k}", owner="Vendor",
                                  due_date=date(2025, 11, 1), status=status))
    db.session.commit()
    html = _scorecard(client_as, contract)
    table = without_cell_labels(re.search(r'<table class="[^"]*checkin-history[^"]*">.*?</table>', html, re.S).group(0))
    assert "2 Oct 2025" in table and "Add a second intake worker" in table
    assert re.search(r'<td class="num">3</td>\s*<td class="num">2</td>', table)
    assert "Not yet held" not in table


def test_it_draws_the_range_band_between_low_and_high(client_as, factory):
    contract = factory.make_contract()
    metric = factory.make_metric(contract, name="Response time", direction="range", target_value=None,
                                 range_low=Decimal(10), range_high=Decimal(20))
    factory.make_reading(metric, date(2025, 8, 1), 15)
    html = _scorecard(client_as, contract)
    assert "<title>Aug 2025: On track zone 10 to 20</title>" in html
    assert "10–20" in _row(html, "Aug 2025")


def test_it_escapes_metric_names_in_the_chart(client_as, factory):
    contract = factory.make_contract()
    factory.make_metric(contract, name="<script>alert(1)</script>")
    html = _scorecard(client_as, contract)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: actual against target" in html


def test_it_shows_a_contract_without_metrics(client_as, factory):
    html = _scorecard(client_as, factory.make_contract())
    assert "This contract has no metrics yet." in html


def test_it_answers_404_for_an_unknown_contract(client_as):
    assert client_as("viewer").get("/portfolio/contracts/999999").status_code == 404


class _Metric:
    def __init__(self, direction, on=100, risk=90, tolerance=5, low=None, high=None):
        self.direction, self.on_track_pct, self.at_risk_pct = direction, Decimal(on), Decimal(risk)
        self.tolerance_pct, self.range_low, self.range_high = Decimal(tolerance), low, high


def test_it_derives_bands_upwards_for_increase_metrics():
    assert threshold_bands(_Metric("increase"), Decimal(20)) == ((Decimal(20), None), (Decimal(18), None))


def test_it_derives_bands_downwards_for_decrease_metrics():
    on, risk = threshold_bands(_Metric("decrease", on=100, risk=80), Decimal(8))
    assert on == (None, Decimal(8)) and risk == (None, Decimal(10))


def test_it_derives_bands_around_the_target_for_maintain_metrics():
    on, risk = threshold_bands(_Metric("maintain", tolerance=5), Decimal(100))
    assert on == (Decimal(95), Decimal(105)) and risk == (Decimal(85), Decimal(115))


def test_it_derives_range_bands_from_low_and_high():
    on, risk = threshold_bands(_Metric("range", risk=80, low=Decimal(10), high=Decimal(20)), None)
    assert on == (Decimal(10), Decimal(20)) and risk == (Decimal(8), Decimal(25))


STEP = Decimal("0.01")


@pytest.mark.parametrize("metric, target, expected", [
    (_Metric("increase", on=80, risk=50), Decimal(20), ((Decimal(16), None), (Decimal(10), None))),
    (_Metric("decrease", on=80, risk=50), Decimal(8), ((None, Decimal(10)), (None, Decimal(16)))),
    (_Metric("maintain", on=80, risk=50, tolerance=10), Decimal(100),
     ((Decimal(70), Decimal(130)), (Decimal(40), Decimal(160)))),
    (_Metric("range", on=80, risk=50, low=Decimal(10), high=Decimal(20)), None,
     ((Decimal(8), Decimal(25)), (Decimal(5), Decimal(40)))),
])
def test_it_puts_the_bands_where_the_metrics_own_thresholds_change_its_status(metric, target, expected):
    bands = threshold_bands(metric, target)
    assert bands == expected
    for (low, high), inside, outside in zip(bands, (ON_TRACK, AT_RISK), (AT_RISK, OFF_TRACK)):
        for bound, step in ((low, -STEP), (high, STEP)):
            if bound is not None:
                assert reading_status(metric, bound, target) == inside
                assert reading_status(metric, bound + step, target) == outside


def test_it_uses_the_status_rules_defaults_for_thresholds_not_set():
    unset = SimpleNamespace(direction="maintain", on_track_pct=None, at_risk_pct=None, tolerance_pct=None,
                            range_low=None, range_high=None)
    assert threshold_bands(unset, Decimal(100)) == threshold_bands(_Metric("maintain"), Decimal(100))
    assert threshold_bands(unset, Decimal(100)) == ((Decimal(95), Decimal(105)), (Decimal(85), Decimal(115)))


def test_it_draws_the_bands_of_a_metric_with_its_own_thresholds(client_as, factory):
    contract = factory.make_contract()
    metric = factory.make_metric(contract, name="Placements", on_track_pct=Decimal(80), at_risk_pct=Decimal(60),
                                 targets={date(2025, 8, 1): 20})
    factory.make_reading(metric, date(2025, 8, 1), 17)
    html = _scorecard(client_as, contract)
    assert "<title>Aug 2025: On track zone 16 to above</title>" in html
    assert "<title>Aug 2025: At risk zone 12 to above</title>" in html


def test_it_runs_the_same_number_of_queries_at_10_and_200_contracts(client_as, build_city):
    city = build_city(10)
    contract = city.contracts[0]
    client = client_as("cdo")
    with count_queries() as small:
        assert client.get(f"/portfolio/contracts/{contract.id}").status_code == 200
    build_city(190)
    with count_queries() as large:
        assert client.get(f"/portfolio/contracts/{contract.id}").status_code == 200
    assert small.count == large.count
    assert small.count <= 12
