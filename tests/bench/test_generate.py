"""Smoke tests of the bench generator: a tiny city, built fast and consistent with the rules."""
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from bench.generate import CDO_EMAIL, PASSWORD, generate_city
from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.milestones.models import Milestone
from contracts_app.management.models import CheckIn, Flag
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.status import refresh_all_statuses
from contracts_app.portfolio.models import HealthSnapshot
from contracts_app.priorities.models import Priority, contract_priorities

NOW = datetime(2026, 3, 15, 15, 0, tzinfo=timezone.utc)


def _count(db, what):
    return db.session.scalar(select(func.count()).select_from(what))


def test_it_builds_a_tiny_city_with_every_table_filled(app, db):
    summary = generate_city(20, seed=1, now=NOW)

    assert _count(db, Contract) == 20
    assert _count(db, Metric) == 80
    assert _count(db, Reading) == 2000
    assert _count(db, Milestone) == 20
    assert _count(db, Vendor) == 2
    assert _count(db, Priority) == 6
    assert _count(db, User) == 58
    assert _count(db, HealthSnapshot) == 240
    assert _count(db, contract_priorities) >= 20
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.status == "held")) == 80
    assert _count(db, Flag) > 0
    assert summary.counts["readings"] == 2000
    assert summary.sample_contract_id is not None


def test_it_builds_in_well_under_a_few_seconds(app, db):
    started = time.perf_counter()
    generate_city(20, seed=2, now=NOW)
    assert time.perf_counter() - started < 5


def test_it_stores_statuses_the_status_refresh_agrees_with(app, db):
    generate_city(20, seed=3, now=NOW)

    changed = refresh_all_statuses(NOW)

    assert changed == {"metrics_changed": 0, "contracts_changed": 0}
    db.session.rollback()


def _city(db):
    return (
        db.session.execute(
            select(Reading.metric_id, Reading.period_start, Reading.value, Reading.status).order_by(Reading.id)
        ).all(),
        db.session.execute(select(Contract.reference, Contract.value, Contract.health).order_by(Contract.id)).all(),
    )


def test_it_gives_the_same_city_for_the_same_seed(app, db):
    generate_city(10, seed=4, now=NOW)
    first = _city(db)
    db.session.remove()
    db.drop_all()
    db.create_all()

    generate_city(10, seed=4, now=NOW)

    assert _city(db) == first
    assert len(first[0]) == 1000


def test_it_lets_the_bench_cdo_sign_in(app, db, client):
    generate_city(5, seed=5, now=NOW)

    response = client.post("/login", data={"email": CDO_EMAIL, "password": PASSWORD})

    assert response.status_code == 302


def test_it_leaves_ids_usable_for_later_inserts(app, db, factory):
    generate_city(5, seed=6, now=NOW)

    vendor = factory.make_vendor()

    assert vendor.id == 2
