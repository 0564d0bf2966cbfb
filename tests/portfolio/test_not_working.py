"""What isn't working: off-track runs from stored reading statuses, and contracts ending soon."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from contracts_app.db_types import utcnow
from contracts_app.management.models import CheckIn, Flag
from contracts_app.metrics.models import Reading
from contracts_app.metrics.status import today_for
from contracts_app.portfolio.attention import ending_soon, hint_for, off_track_runs
from contracts_app.portfolio.models import CloseoutEvaluation
from tests.querycount import count_queries

TODAY = date(2026, 5, 10)


def _month(k):
    """The first day of the k-th month from January 2025."""
    return date(2025 + k // 12, k % 12 + 1, 1)


def _metric_with(factory, statuses, months=None, contract=None, **metric_kw):
    """A monthly metric whose readings, oldest first, have ``statuses`` (in months 0, 1, 2...
    unless ``months`` gives the month numbers)."""
    contract = contract or factory.make_contract(start_date=date(2025, 1, 1), end_date=date(2027, 12, 31))
    metric = factory.make_metric(contract, **metric_kw)
    for k, status in zip(months or range(len(statuses)), statuses):
        factory.make_reading(metric, _month(k), 10, status=status)
    return metric


def _runs(app):
    return {run.metric.id: run.run_length for run in off_track_runs()}


def test_it_leaves_out_a_metric_off_track_two_periods_running(app, factory):
    metric = _metric_with(factory, ["on_track", "off_track", "off_track"])
    assert metric.id not in _runs(app)


def test_it_lists_a_metric_off_track_three_periods_running(app, factory):
    metric = _metric_with(factory, ["on_track", "off_track", "off_track", "off_track"])
    assert _runs(app)[metric.id] == 3


def test_it_counts_four_periods_running(app, factory):
    metric = _metric_with(factory, ["at_risk", "off_track", "off_track", "off_track", "off_track"])
    assert _runs(app)[metric.id] == 4


def test_it_counts_every_reading_when_all_are_off_track(app, factory):
    metric = _metric_with(factory, ["off_track"] * 5)
    assert _runs(app)[metric.id] == 5


def test_it_counts_only_the_latest_run(app, factory):
    metric = _metric_with(factory, ["off_track", "off_track", "off_track", "on_track", "off_track"])
    assert metric.id not in _runs(app)


def test_it_breaks_the_run_at_a_period_without_a_reading(app, factory):
    # Jan, Feb, Mar off track, no April reading, May and June off track: the run is 2.
    metric = _metric_with(factory, ["off_track"] * 5, months=[0, 1, 2, 4, 5])
    assert metric.id not in _runs(app)


def test_it_counts_the_run_after_a_gap_only(app, factory):
    metric = _metric_with(factory, ["off_track"] * 5, months=[0, 1, 3, 4, 5])
    assert _runs(app)[metric.id] == 3


def test_it_counts_consecutive_quarters(app, factory):
    contract = factory.make_contract(start_date=date(2025, 1, 1), end_date=date(2027, 12, 31))
    metric = factory.make_metric(contract, cadence="quarterly")
    for start in (date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1)):
        factory.make_reading(metric, start, 10, status="off_track")
    assert _runs(app)[metric.id] == 4


def test_it_ignores_contracts_that_are_not_active_or_are_archived(app, db, factory):
    completed_contract = factory.make_contract(status="completed", start_date=date(2025, 1, 1))
    completed = _metric_with(factory, ["off_track"] * 3, contract=completed_contract)
    archived_contract = factory.make_contract(start_date=date(2025, 1, 1))
    archived = _metric_with(factory, ["off_track"] * 3, contract=archived_contract)
    archived_contract.archived_at = utcnow()
    db.session.commit()
    runs = _runs(app)
    assert completed.id not in runs and archived.id not in runs


def test_it_gives_the_latest_value_and_its_periods_target(app, factory):
    metric = _metric_with(factory, ["off_track"] * 3, targets={_month(2): 25})
    (run,) = off_track_runs()
    assert run.metric.id == metric.id
    assert run.latest_value == Decimal(10)
    assert run.latest_period.start == _month(2)
    assert run.target == Decimal(25)


def test_it_gives_a_range_metric_its_range_as_target(app, factory):
    _metric_with(factory, ["off_track"] * 3, direction="range", target_value=None,
                 range_low=Decimal(5), range_high=Decimal(8))
    (run,) = off_track_runs()
    assert run.target == (Decimal(5), Decimal(8))


def _ending(factory, days, **kw):
    return factory.make_contract(start_date=date(2024, 1, 1), end_date=TODAY + timedelta(days=days), **kw)


def _ending_ids(app, horizon=120):
    return [row.contract.id for row in ending_soon(TODAY, horizon)]


def test_it_lists_a_contract_ending_on_the_last_day_of_the_horizon(app, factory):
    contract = _ending(factory, 120)
    assert _ending_ids(app) == [contract.id]


def test_it_leaves_out_a_contract_ending_the_day_after_the_horizon(app, factory):
    _ending(factory, 121)
    assert _ending_ids(app) == []


def test_it_lists_a_contract_ending_today_but_not_one_that_has_ended(app, factory):
    today = _ending(factory, 0)
    _ending(factory, -1)
    assert _ending_ids(app) == [today.id]


def test_it_leaves_out_draft_and_archived_contracts_ending_soon(app, db, factory):
    _ending(factory, 30, status="draft")
    archived = _ending(factory, 30)
    archived.archived_at = utcnow()
    db.session.commit()
    assert _ending_ids(app) == []


@pytest.mark.parametrize("app", [{"NOT_WORKING_HORIZON_DAYS": 30}], indirect=True)
def test_it_reads_the_horizon_from_the_config(app, client_as, factory):
    today = today_for(utcnow())
    inside = factory.make_contract(start_date=date(2024, 1, 1), end_date=today + timedelta(days=30), reference="IN-30")
    factory.make_contract(start_date=date(2024, 1, 1), end_date=today + timedelta(days=31), reference="OUT-31")
    body = client_as("viewer").get("/portfolio/not-working").get_data(as_text=True)
    assert "Contracts ending within 30 days" in body
    assert inside.reference in body and "OUT-31" not in body


def test_it_summarises_the_performance_of_a_contract_ending_soon(app, db, factory, users):
    contract = _ending(factory, 60, health="off_track")
    metric = factory.make_metric(contract)
    for k, status in enumerate(["on_track", "on_track", "off_track", "at_risk"]):
        factory.make_reading(metric, _month(k + 12), 10, status=status)
    db.session.add_all([
        Flag(contract_id=contract.id, subject_type="metric", subject_id=metric.id, metric_id=metric.id,
             period_start=date(2026, 1, 1), kind="off_track", severity="high"),
        Flag(contract_id=contract.id, subject_type="metric", subject_id=metric.id, metric_id=metric.id,
             period_start=date(2026, 2, 1), kind="off_track", severity="high", resolved_at=utcnow()),
        CheckIn(contract_id=contract.id, status="held", scheduled_for=date(2026, 3, 2), held_on=date(2026, 3, 3)),
        CheckIn(contract_id=contract.id, status="cancelled", scheduled_for=date(2026, 4, 2)),
    ])
    earlier = factory.make_contract(vendor=contract.vendor, status="completed")
    db.session.add(CloseoutEvaluation(contract_id=earlier.id, vendor_id=contract.vendor_id, quality=4, schedule=3,
                                      cost_control=5, management=2, narrative="ok", evaluated_on=date(2025, 12, 1)))
    db.session.commit()
    (row,) = ending_soon(TODAY, 120)
    assert (row.periods, row.periods_on_track, row.on_track_share) == (4, 2, 50)
    assert row.open_flags == 1
    assert row.last_checkin == date(2026, 3, 3)
    assert row.vendor_evaluations == 1 and Decimal(str(row.vendor_rating)) == Decimal("3.5")
    assert row.days_left == 60
    assert row.hint == "lagging"


@pytest.mark.parametrize("health, periods, on_track, hint", [
    ("on_track", 0, 0, "no_evidence"),
    ("on_track", 4, 4, "performing"),
    ("on_track", 4, 2, "mixed"),
    ("at_risk", 4, 4, "mixed"),
    ("off_track", 4, 4, "lagging"),
    ("on_track", 4, 1, "lagging"),
])
def test_it_hints_from_the_evidence_without_deciding(health, periods, on_track, hint):
    assert hint_for(health, periods, on_track) == hint


def test_it_shows_the_job_training_grant_in_both_lists(app, client_as, factory):
    today = today_for(utcnow())
    contract = factory.make_contract(
        reference="WD-2024-015", title="Job training for returning residents", kind="grant", payment_structure="grant",
        start_date=date(2024, 1, 1), end_date=today + timedelta(days=90),
    )
    metric = factory.make_metric(contract, name="Participants placed in jobs", cadence="quarterly")
    for start in (date(2024, 1, 1), date(2024, 4, 1), date(2024, 7, 1), date(2024, 10, 1)):
        factory.make_reading(metric, start, 10, status="off_track")
    body = client_as("cdo").get("/portfolio/not-working").get_data(as_text=True)
    off_track, ending = body.split("Contracts ending within", 1)
    assert "WD-2024-015" in off_track and "Participants placed in jobs" in off_track
    assert "WD-2024-015" in ending and "in 90 days" in ending


def test_it_escapes_names_on_the_page(app, client_as, factory):
    today = today_for(utcnow())
    contract = factory.make_contract(title="<script>x</script>", start_date=date(2025, 1, 1),
                                     end_date=today + timedelta(days=10))
    _metric_with(factory, ["off_track"] * 3, contract=contract, name="<b>metric</b>")
    body = client_as("viewer").get("/portfolio/not-working").get_data(as_text=True)
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert "&lt;b&gt;metric&lt;/b&gt;" in body


def test_it_says_so_when_nothing_needs_attention(app, client_as):
    body = client_as("viewer").get("/portfolio/not-working").get_data(as_text=True)
    assert "No metric of an active contract has been off track" in body
    assert "No active contract ends within 120 days" in body


def _count(client):
    with count_queries() as counter:
        response = client.get("/portfolio/not-working")
    assert response.status_code == 200
    return counter.count


def _all_off_track_and_ending(db):
    db.session.execute(update(Reading).values(status="off_track"))
    from contracts_app.contracts.models import Contract

    db.session.execute(update(Contract).values(end_date=today_for(utcnow()) + timedelta(days=60)))
    db.session.commit()


def test_it_runs_as_many_queries_for_200_contracts_as_for_10(app, db, build_city, client_as):
    client = client_as("cdo")
    build_city(10)
    _all_off_track_and_ending(db)
    small = _count(client)
    build_city(190)
    _all_off_track_and_ending(db)
    body = client.get("/portfolio/not-working").get_data(as_text=True)
    assert "CITY-00198" in body
    assert _count(client) == small
