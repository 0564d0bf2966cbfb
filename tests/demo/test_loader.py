"""The demo city loader: contracts_app.demo.loader.load_demo_city."""
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.auth.models import ROLES, User
from contracts_app.contracts.models import PAYMENT_STRUCTURES, Contract, Vendor
from contracts_app.milestones.models import Milestone
from contracts_app.demo import loader
from contracts_app.demo.loader import DEFAULT_PASSWORD, load_demo_city
from contracts_app.management.models import ActionItem, CheckIn
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, MetricTarget, Reading, ReadingRevision
from contracts_app.metrics.status import evaluate, today_for
from contracts_app.priorities.models import Priority
from tests.demo.conftest import NOW

MODELS = (User, Priority, Vendor, Contract, Metric, MetricTarget, Reading, ReadingRevision, Milestone, AuditEvent,
          CheckIn, ActionItem)


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def counts(db):
    return {model.__name__: count(db, model) for model in MODELS}


def contracts(db):
    return db.session.scalars(select(Contract).order_by(Contract.reference)).all()


def sign_in(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_it_loads_at_least_six_priorities_with_outcomes_owners_and_years(db, demo):
    priorities = db.session.scalars(select(Priority)).all()
    assert len(priorities) >= 6
    assert all(p.outcome and p.owner is not None and p.target_year for p in priorities)
    names = " ".join(p.name for p in priorities)
    for word in ("Vision Zero", "housing", "homelessness", "Workforce", "Clean streets", "Digital"):
        assert word in names


def test_it_loads_exactly_forty_contracts(db, demo):
    assert count(db, Contract) == 40
    assert demo.counts["contracts"] == 40


def test_it_uses_every_payment_structure_and_kind(db, demo):
    assert {c.payment_structure for c in contracts(db)} == set(PAYMENT_STRUCTURES)
    assert {c.kind for c in contracts(db)} == {"contract", "procurement", "grant"}


def test_it_gives_each_contract_three_to_five_metrics(db, demo):
    assert all(3 <= len(c.metrics) <= 5 for c in contracts(db))


def test_it_gives_each_contract_one_to_three_priorities_and_milestones(db, demo):
    for contract in contracts(db):
        assert 1 <= len(contract.priorities) <= 3
        assert 1 <= len(contract.milestones) <= 3


def test_it_spreads_contracts_across_departments_and_vendors(db, demo):
    departments = {c.department for c in contracts(db)}
    assert {"Human Services", "Transportation", "Housing", "Workforce Development", "Public Works",
            "Sanitation", "Information Technology", "Public Health"} <= departments
    per_vendor = Counter(c.vendor_id for c in contracts(db))
    assert 20 <= len(per_vendor) <= 30
    assert max(per_vendor.values()) >= 3


def test_it_totals_roughly_thirty_eight_million_in_decimal(db, demo):
    values = [c.value for c in contracts(db)]
    assert all(isinstance(v, Decimal) for v in values)
    assert Decimal(36_000_000) <= sum(values) <= Decimal(40_000_000)


def test_it_makes_most_contracts_active_with_a_few_others(db, demo):
    statuses = Counter(c.status for c in contracts(db))
    assert statuses["active"] >= 30
    assert statuses["completed"] >= 1 and statuses["draft"] >= 1 and statuses["terminated"] >= 1


def test_it_places_active_terms_around_now(db, demo):
    today = today_for(NOW)
    active = [c for c in contracts(db) if c.status == "active"]
    for contract in active:
        assert contract.start_date <= today <= contract.end_date
        assert timedelta(days=28 * 3) <= today - contract.start_date <= timedelta(days=31 * 24)
    assert sum(1 for c in active if today - c.start_date >= timedelta(days=30 * 15)) >= 10


def test_it_gives_every_contract_payment_terms_problem_and_outcomes(db, demo):
    for contract in contracts(db):
        assert contract.payment_terms and contract.problem and contract.outcomes


def test_it_makes_ana_the_procurement_officer_and_ben_manage_about_fifteen(db, demo):
    managers = Counter(c.contract_manager.email for c in contracts(db))
    assert {c.procurement_officer.email for c in contracts(db)} == {"ana@demo.city"}
    assert 13 <= managers["ben@demo.city"] <= 17
    assert len(managers) == 3


def test_it_keeps_a_few_contracts_private(db, demo):
    private = [c for c in contracts(db) if not c.is_public]
    assert 3 <= len(private) <= 5


def test_it_creates_one_user_per_role(db, demo):
    roles = Counter(u.role for u in db.session.scalars(select(User)))
    assert set(roles) == set(ROLES)
    assert roles["contract_manager"] == 3
    names = {u.email: u.name for u in db.session.scalars(select(User))}
    assert names["ana@demo.city"] == "Ana Ruiz"
    assert names["ben@demo.city"] == "Ben Okafor"
    assert names["priya@demo.city"] == "Priya Shah"


@pytest.mark.parametrize("role", list(ROLES))
def test_it_lets_each_roles_user_sign_in_with_the_printed_password(app, demo, role):
    email, _, password = next(s for s in demo.sign_ins if s[1] == role)
    assert password == DEFAULT_PASSWORD
    response = sign_in(app.test_client(), email, password)
    assert response.status_code == 302


def test_it_uses_the_password_given(app, db):
    summary = load_demo_city(now=NOW, password="another-demo-pass")
    assert {s[2] for s in summary.sign_ins} == {"another-demo-pass"}
    ana = db.session.scalar(select(User).where(User.email == "ana@demo.city"))
    assert not ana.check_password(DEFAULT_PASSWORD)
    assert sign_in(app.test_client(), "ana@demo.city", "another-demo-pass").status_code == 302


def test_it_takes_the_password_from_the_environment(app, db, monkeypatch):
    monkeypatch.setenv("RDC_DEMO_PASSWORD", "from-the-environment")
    summary = load_demo_city(now=NOW)
    assert {s[2] for s in summary.sign_ins} == {"from-the-environment"}
    assert sign_in(app.test_client(), "ben@demo.city", "from-the-environment").status_code == 302


def test_it_sets_targets_consistent_with_direction(db, demo):
    for metric in db.session.scalars(select(Metric)):
        if metric.direction == "increase":
            assert metric.target_value > metric.baseline_value, metric.name
        elif metric.direction == "decrease":
            assert metric.target_value < metric.baseline_value, metric.name
        elif metric.direction == "maintain":
            assert metric.target_value is not None and metric.tolerance_pct > 0, metric.name
        else:
            assert metric.direction == "range"
            assert metric.range_low is not None and metric.range_low < metric.range_high, metric.name
        assert metric.at_risk_pct <= metric.on_track_pct
        for value in (metric.baseline_value, metric.target_value, metric.range_low, metric.range_high):
            assert value is None or value >= 0
        if metric.unit == "percent":
            assert all(v is None or v <= 100 for v in (metric.baseline_value, metric.target_value, metric.range_high))


def test_it_mixes_directions_cadences_and_indicator_types(db, demo):
    metrics = db.session.scalars(select(Metric)).all()
    directions = Counter(m.direction for m in metrics)
    cadences = Counter(m.cadence for m in metrics)
    assert directions["increase"] + directions["decrease"] > len(metrics) * 0.75
    assert directions["maintain"] >= 1 and directions["range"] >= 1
    assert cadences["monthly"] > cadences["quarterly"] > cadences["weekly"] >= 1
    assert {m.indicator_type for m in metrics} == {"leading", "lagging"}
    assert 0 < sum(m.payment_linked for m in metrics) < len(metrics)


def test_it_sets_a_few_explicit_period_targets(db, demo):
    targets = db.session.scalars(select(MetricTarget)).all()
    assert targets
    assert 1 <= len({t.metric_id for t in targets}) <= 5


def test_it_records_readings_for_due_periods_only(db, demo):
    today = today_for(NOW)
    readings = db.session.scalars(select(Reading)).all()
    assert len(readings) == demo.counts["readings"] > 500
    for reading in readings:
        assert rules.due_date(rules.Period(reading.period_start, reading.period_end), reading.metric.due_days) <= today
        assert reading.period_end < reading.recorded_at.date() <= today
        assert reading.recorded_at.tzinfo is not None and reading.recorded_at <= NOW
        assert reading.recorded_by_id == reading.metric.contract.contract_manager_id


def test_it_keeps_at_most_eighteen_months_of_readings(db, demo):
    oldest = db.session.scalar(select(func.min(Reading.period_start)))
    assert oldest >= rules.add_months(today_for(NOW).replace(day=1), -18)


def test_it_judges_every_reading_with_the_status_rules(db, demo):
    for metric in db.session.scalars(select(Metric)):
        explicit = {t.period_start: t.value for t in metric.targets}
        for reading in metric.readings:
            period = rules.Period(reading.period_start, reading.period_end)
            assert reading.status == evaluate(metric, period, reading.value, explicit)[2]


def test_it_has_readings_in_every_status(db, demo):
    statuses = Counter(db.session.scalars(select(Reading.status)))
    assert statuses["on_track"] > statuses["at_risk"] > 0
    assert statuses["off_track"] > 0


def test_it_keeps_the_history_of_a_few_corrected_readings(db, demo):
    revisions = db.session.scalars(select(ReadingRevision)).all()
    assert 1 <= len(revisions) <= 10
    for revision in revisions:
        assert revision.value != revision.reading.value
        assert revision.replaced_at >= revision.recorded_at


def test_it_stores_statuses_and_health_as_the_rules_give_them(app, db, demo):
    today = today_for(NOW)
    grace = app.config["OVERDUE_GRACE_DAYS"]
    for contract in contracts(db):
        statuses = []
        for metric in contract.metrics:
            latest = metric.readings[-1] if metric.readings else None
            expected = rules.metric_status(
                metric, rules.periods(contract.start_date, contract.end_date, metric.cadence),
                (latest.period_start, latest.status) if latest else None, today, grace,
            )
            assert metric.status == expected.status
            statuses.append(expected.status)
        milestones = [(m.due_date, m.status) for m in contract.milestones]
        assert contract.health == rules.contract_health(statuses, milestones, today)


def test_it_mixes_contract_health(db, demo):
    health = Counter(c.health for c in contracts(db))
    assert health["on_track"] >= 20
    assert health["at_risk"] >= 3
    assert health["off_track"] >= 3
    assert health["overdue"] >= 2
    assert demo.health == {status: health.get(status, 0) for status in rules.SEVERITY}


def test_it_makes_recent_missing_data_overdue(db, demo):
    overdue = db.session.scalars(select(Metric).where(Metric.status == "overdue")).all()
    assert overdue
    for metric in overdue:
        latest = metric.readings[-1]
        assert metric.status_period_start > latest.period_start


def test_it_misses_some_milestones(db, demo):
    today = today_for(NOW)
    milestones = db.session.scalars(select(Milestone)).all()
    missed = [m for m in milestones if rules.milestone_status(m.due_date, m.status, today) == "off_track"]
    assert missed
    assert any(m.status == "met" for m in milestones)
    assert any(m.status == "scheduled" and m.due_date >= today for m in milestones)


def test_it_records_a_create_event_per_contract_by_ana(db, demo):
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "contract")).all()
    assert len(events) == 40
    assert {e.actor.email for e in events} == {"ana@demo.city"}
    assert {e.action for e in events} == {"create"}
    assert {e.contract_id for e in events} == {c.id for c in contracts(db)}
    assert all(e.after["reference"] for e in events)


def test_it_includes_the_scenario_contract(db, demo):
    contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
    assert contract.title == "Street outreach"
    assert contract.vendor.name == "Harbor Light Services"
    assert contract.value == Decimal("1200000.00")
    assert contract.payment_structure == "performance_based"
    assert contract.department == "Human Services"
    assert contract.contract_manager.name == "Ben Okafor"
    assert [p.name for p in contract.priorities] == ["Reduce unsheltered homelessness 25% by 2027"]
    assert (contract.start_date.isoformat(), contract.end_date.isoformat()) == ("2025-07-01", "2027-06-30")
    placements, housed, median_days = contract.metrics
    assert (placements.name, placements.unit, placements.direction, placements.cadence) == (
        "Placements into shelter or housing", "count", "increase", "monthly")
    assert (placements.baseline_value, placements.target_value, placements.due_days) == (18, 30, 10)
    assert placements.payment_linked and placements.indicator_type == "lagging"
    assert (housed.unit, housed.direction, housed.cadence, housed.baseline_value, housed.target_value) == (
        "percent", "increase", "quarterly", 55, 75)
    assert housed.indicator_type == "lagging"
    assert (median_days.unit, median_days.direction, median_days.baseline_value, median_days.target_value) == (
        "days", "decrease", 64, 40)
    assert median_days.cadence == "monthly" and median_days.indicator_type == "leading"
    # Harbor Light reports the two monthly metrics; Ben verifies them.
    assert [m.reported_by for m in contract.metrics] == ["vendor", "contract_manager", "vendor"]


def test_it_gives_the_scenario_contract_bens_august_readings(db, demo):
    contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
    august = {m.name: next(r for r in m.readings if r.period_start.isoformat() == "2025-08-01")
              for m in contract.metrics if m.cadence == "monthly"}
    assert august["Placements into shelter or housing"].value == 21
    assert august["Placements into shelter or housing"].status == "on_track"
    assert august["Median days from first contact to placement"].value == 70
    assert august["Median days from first contact to placement"].status == "off_track"


def test_it_does_nothing_when_loaded_again(db, demo):
    before = counts(db)
    summary = load_demo_city(now=NOW)
    assert summary.loaded is False
    assert counts(db) == before


def test_it_does_nothing_when_a_user_exists(db, factory):
    factory.make_user("admin")
    summary = load_demo_city(now=NOW)
    assert summary.loaded is False
    assert count(db, Contract) == 0 and count(db, User) == 1


def test_it_writes_nothing_when_loading_fails(db, monkeypatch):
    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setattr(loader, "refresh_all_statuses", broken)
    with pytest.raises(RuntimeError):
        load_demo_city(now=NOW)
    assert all(n == 0 for n in counts(db).values())


def fingerprint(db):
    """Everything the loader chose, without database ids."""
    rows = []
    for contract in contracts(db):
        rows.append((contract.reference, contract.vendor.name, contract.value, contract.start_date,
                     contract.end_date, contract.health, contract.contract_manager.email, contract.updated_at))
        for metric in contract.metrics:
            rows.append((metric.name, metric.status, metric.status_period_start, metric.updated_at))
            rows.extend((r.period_start, r.value, r.status, r.recorded_at, r.note) for r in metric.readings)
        rows.extend((m.title, m.due_date, m.status, m.completed_on) for m in contract.milestones)
    for checkin in db.session.scalars(select(CheckIn).order_by(CheckIn.contract_id, CheckIn.held_on)):
        rows.append((checkin.contract.reference, checkin.held_on, checkin.start_time, checkin.location,
                     checkin.city_attendees, checkin.vendor_attendees, checkin.notes, checkin.decisions,
                     checkin.created_at, checkin.updated_at))
        rows.extend((i.description, i.owner, i.due_date, i.status, i.completed_on, i.created_at, i.updated_at)
                    for i in checkin.action_items)
    return rows


def test_it_is_deterministic_for_the_same_now(db):
    load_demo_city(now=NOW)
    first = fingerprint(db)
    db.session.remove()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    load_demo_city(now=NOW)
    assert fingerprint(db) == first


def test_ben_can_invite_dana_who_submits_the_month_due(app, db):
    # The scenario "The vendor reports, the manager verifies", on 10 November: October's two
    # monthly values are due that day, so they are not in the demo yet; Dana is not pre-created.
    from datetime import datetime, timezone

    from contracts_app.permissions import can_invite_vendor_contact
    from contracts_app.vendors import queries, services

    now = datetime(2026, 11, 10, 16, 0, tzinfo=timezone.utc)
    load_demo_city(now=now)
    assert db.session.scalar(select(User).where(User.role == "vendor")) is None
    contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
    ben = contract.contract_manager
    assert can_invite_vendor_contact(ben, contract)
    dana, _ = services.invite_contact(contract, ben, "Dana Cole", "dana.cole@harborlight.org", now=now)
    due = {row.metric.name: [d.label for d in row.due] for row in queries.vendor_metrics(contract, now)}
    assert due == {"Placements into shelter or housing": ["Oct 2026"], "Median days from first contact to placement": ["Oct 2026"]}
    placements, _, median_days = contract.metrics
    october = datetime(2026, 10, 1).date()
    services.submit_value(contract, dana, placements, october, Decimal(24), "HMIS extract", now=now)
    services.submit_value(contract, dana, median_days, october, Decimal(58), "HMIS extract", now=now)
    assert queries.pending_count(ben) == 2
