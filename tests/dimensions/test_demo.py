"""Done when (issue 15 §1): the demo city's street-outreach contract reports placements by
council district, and the sweep opens a gap flag naming the lagging district while the total is
on track."""
from sqlalchemy import func, select

from contracts_app.contracts.models import Contract
from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue
from contracts_app.extensions import db
from contracts_app.management.models import Flag
from contracts_app.management.sweep import sweep
from contracts_app.metrics.models import Metric, Reading
from tests.conftest import demo_city
from tests.demo.conftest import NOW


def test_street_outreach_placements_by_district_and_the_gap_flag(app):
    demo_city(NOW)
    districts = db.session.scalar(select(Dimension).where(Dimension.name == "Council district"))
    assert [g.name for g in districts.groups] == [f"District {n}" for n in range(1, 10)]
    contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
    placements = next(m for m in contract.metrics if m.name.startswith("Placements"))
    assert placements.is_count and [d.name for d in placements.dimensions] == ["Council district"]
    # Every reading is split by district and the districts add up to the total.
    sums = dict(db.session.execute(
        select(Reading.id, func.sum(ReadingGroupValue.value))
        .join(ReadingGroupValue, ReadingGroupValue.reading_id == Reading.id)
        .where(Reading.metric_id == placements.id).group_by(Reading.id)
    ).all())
    readings = db.session.scalars(select(Reading).where(Reading.metric_id == placements.id).order_by(Reading.period_start)).all()
    assert readings and all(sums[r.id] == r.value for r in readings)
    assert readings[-1].status == "on_track"

    sweep(NOW)

    (flag,) = db.session.scalars(select(Flag).where(Flag.kind == "group_gap", Flag.metric_id == placements.id)).all()
    assert flag.is_open and flag.period_start == readings[-1].period_start
    assert "On track overall, off track in District 7" in flag.summary
    assert "District 1" not in flag.summary
    # Only the demo's own disaggregated metric is flagged.
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.kind == "group_gap")) == 1
    assert db.session.query(DimensionGroup).count() == 9 and db.session.query(Metric).filter(Metric.is_count).count() == 1
