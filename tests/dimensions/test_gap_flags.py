"""Gap flags: the sweep opens one when a group lags behind the total, once, and resolves it when
the data no longer shows the gap."""
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.dimensions import services as dimensions
from contracts_app.dimensions.models import ReadingGroupValue
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn, Flag
from contracts_app.management.sweep import sweep
from contracts_app.metrics import services
from contracts_app.metrics.models import Reading

CHICAGO = timezone(timedelta(hours=-5))
NOW = datetime(2025, 9, 15, 12, tzinfo=CHICAGO)


def gap_flags():
    return db.session.scalars(select(Flag).where(Flag.kind == "group_gap").order_by(Flag.id)).all()


@pytest.fixture
def outreach(factory, users):
    """A count metric by three districts, 30 a month expected (flat target); a check-in held."""
    contract = factory.make_contract(
        reference="HS-2025-014", start_date=date(2025, 7, 1), end_date=date(2027, 6, 30),
        contract_manager_id=users["contract_manager"].id,
    )
    districts = dimensions.create_dimension(users["admin"], "Council district", "District 1\nDistrict 2\nDistrict 7")
    metric = factory.make_metric(contract, name="Placements", direction="increase", baseline_value=Decimal(30),
                                 target_value=Decimal(31), is_count=True, due_days=10)
    dimensions.set_metric_dimensions(metric, users["admin"], [districts.id])
    db.session.add(CheckIn(contract=contract, status="held", scheduled_for=date(2025, 9, 10), held_on=date(2025, 9, 10)))
    db.session.commit()
    return metric, [g.id for g in districts.groups]


def record(metric, user, start, total, per_group, ids):
    return services.record_reading(metric, user, start, str(total), groups=dict(zip(ids, map(str, per_group))),
                                   now=NOW)


def test_a_lagging_district_while_on_track_overall_opens_one_flag_naming_it(outreach, users):
    metric, ids = outreach
    record(metric, users["contract_manager"], date(2025, 7, 1), 31, (12, 12, 7), ids)
    record(metric, users["contract_manager"], date(2025, 8, 1), 32, (13, 13, 6), ids)
    result = sweep(NOW)
    (flag,) = gap_flags()
    assert (flag.metric_id, flag.period_start, flag.severity) == (metric.id, date(2025, 8, 1), "medium")
    assert flag.summary == "HS-2025-014: Placements: On track overall, off track in District 7 (Aug 2025)"
    assert result.flags_opened == 1
    again = sweep(NOW)
    assert again.flags_opened == 0 and len(gap_flags()) == 1


def test_a_group_more_than_the_set_points_below_the_total_is_flagged(app, outreach, users):
    metric, ids = outreach
    # Total 28 of about 30: at risk overall (93%); District 7 at 69% is more than 10 points behind.
    record(metric, users["contract_manager"], date(2025, 8, 1), 28, (11, 10, 7), ids)
    sweep(NOW)
    (flag,) = gap_flags()
    assert "At risk overall (93%), off track in District 7" in flag.summary
    assert "District 1" not in flag.summary


def test_groups_within_the_points_of_the_total_are_not_flagged(app, outreach, users):
    metric, ids = outreach
    app.config["GAP_FLAG_POINTS"] = 10
    record(metric, users["contract_manager"], date(2025, 8, 1), 27, (9, 9, 9), ids)
    sweep(NOW)
    assert gap_flags() == []


def test_a_reading_without_group_values_raises_no_gap_flag(outreach, users):
    metric, ids = outreach
    services.record_reading(metric, users["contract_manager"], date(2025, 8, 1), "32", now=NOW)
    sweep(NOW)
    assert gap_flags() == []


def test_a_rate_s_groups_are_judged_against_the_same_target(factory, users):
    contract = factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30),
                                     contract_manager_id=users["contract_manager"].id)
    ages = dimensions.create_dimension(users["admin"], "Age band", "Under 25\n25 and over")
    metric = factory.make_metric(contract, name="Retention", unit="percent", direction="increase",
                                 baseline_value=Decimal(80), target_value=Decimal(81), is_count=False)
    dimensions.set_metric_dimensions(metric, users["admin"], [ages.id])
    young, old = [g.id for g in ages.groups]
    services.record_reading(metric, users["contract_manager"], date(2025, 8, 1), "85", groups={young: "60", old: "90"}, now=NOW)
    sweep(NOW)
    (flag,) = gap_flags()
    assert "off track in Under 25" in flag.summary and "25 and over" not in flag.summary


def test_the_flag_resolves_when_a_correction_closes_the_gap(outreach, users):
    metric, ids = outreach
    reading = record(metric, users["contract_manager"], date(2025, 8, 1), 32, (13, 13, 6), ids)
    sweep(NOW)
    assert gap_flags()[0].is_open
    services.correct_reading(reading, users["contract_manager"], "33", "District 7 reported late",
                             groups=dict(zip(ids, ("11", "11", "11"))), now=NOW)
    result = sweep(NOW)
    (flag,) = gap_flags()
    assert not flag.is_open and flag.resolution_note == "Resolved automatically: the corrected reading shows no group lagging."
    assert result.flags_resolved >= 1
    assert sweep(NOW).flags_opened == 0  # never reopened


def test_a_later_reading_without_the_gap_resolves_it(outreach, users):
    metric, ids = outreach
    record(metric, users["contract_manager"], date(2025, 7, 1), 32, (13, 13, 6), ids)
    sweep(NOW)
    record(metric, users["contract_manager"], date(2025, 8, 1), 33, (11, 11, 11), ids)
    sweep(NOW)
    (flag,) = gap_flags()
    assert flag.resolution_note == "Resolved automatically: a later reading (Aug 2025) shows no group lagging."


def test_recording_a_checkin_leaves_gap_flags_to_the_sweep(outreach, users):
    from contracts_app.management.rules import FlagFacts, cleared_note
    facts = FlagFacts("group_gap", date(2025, 8, 1), latest=(date(2025, 8, 1), "on_track"), latest_label="Aug 2025")
    assert cleared_note(facts, timedelta(days=90)) is None


# --- Concurrency (PostgreSQL) -------------------------------------------------------------


def test_two_sweeps_at_once_open_one_gap_flag(app, backend, outreach, users):
    if backend != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    metric, ids = outreach
    record(metric, users["contract_manager"], date(2025, 8, 1), 32, (13, 13, 6), ids)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results.append(sweep(NOW).as_dict())
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.kind == "group_gap")) == 1
    assert sum(r["flags_opened"] for r in results) == db.session.scalar(select(func.count(Flag.id)))


def test_the_gap_query_is_two_statements_whatever_the_metrics(outreach, users, factory):
    from contracts_app.management import gaps
    from contracts_app.management.sweep import _metric_state  # noqa: F401
    from tests.querycount import count_queries
    metric, ids = outreach
    record(metric, users["contract_manager"], date(2025, 8, 1), 32, (13, 13, 6), ids)
    state = {metric.id: type("S", (), {"latest": (date(2025, 8, 1), "on_track")})()}
    with count_queries() as queries:
        found = gaps.metric_gaps(state)
    assert queries.count == 2
    assert [g.name for g in found[metric.id].lagging] == ["District 7"]
    assert db.session.query(ReadingGroupValue).count() == 3 and db.session.query(Reading).count() == 1


def test_the_priority_page_lists_the_groups_lagging_across_its_contracts(outreach, users, factory, client_as):
    metric, ids = outreach
    priority = factory.make_priority(name="Homelessness")
    metric.contract.priorities = [priority]
    db.session.commit()
    record(metric, users["contract_manager"], date(2025, 8, 1), 32, (13, 13, 6), ids)
    sweep(NOW)
    (flag,) = gap_flags()
    html = client_as("cdo").get(f"/priorities/{priority.id}").get_data(as_text=True)
    assert "Groups lagging behind the total" in html
    assert f"/flags/{flag.id}" in html and "off track in District 7" in html


def test_my_work_gives_the_gap_flag_s_reason(outreach, users):
    from contracts_app.contracts.models import Contract
    from contracts_app.work.queries import open_flag_reasons
    metric, ids = outreach
    record(metric, users["contract_manager"], date(2025, 8, 1), 32, (13, 13, 6), ids)
    sweep(NOW)
    reasons = [r for r in open_flag_reasons([Contract.id == metric.contract_id]) if r.kind == "group_gap"]
    assert [r.reason for r in reasons] == ["Placements: On track overall, off track in District 7 (Aug 2025)"]
