"""Dimensions and their groups, defined once per city; group values of readings.

A metric reports by the dimensions it names (``metric_dimensions``); each of its readings may
carry a value per group (``ReadingGroupValue``) beside the total. Whether the groups must add
up to the total is the metric's ``is_count`` (metrics.models.Metric): for a count (people
placed, meals served) the total is the sum of the groups when all groups of a dimension are
given; for a rate or an average the groups are independent of the total.
"""
from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db
from contracts_app.metrics.models import VALUE

metric_dimensions = db.Table(
    "metric_dimensions",
    db.Column("metric_id", db.Integer, db.ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True),
    db.Column("dimension_id", db.Integer, db.ForeignKey("dimensions.id", ondelete="RESTRICT"), primary_key=True),
    db.Index("ix_metric_dimensions_dimension_metric", "dimension_id", "metric_id"),
)


class Dimension(db.Model):
    """A way of breaking results down (for example "Council district"), with its groups in order."""

    __tablename__ = "dimensions"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, unique=True)
    description = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    groups = db.relationship(
        "DimensionGroup", back_populates="dimension", order_by="DimensionGroup.position",
        cascade="all, delete-orphan",
    )

    def __repr__(self):
        return f"<Dimension {self.name}>"


class DimensionGroup(db.Model):
    """One group of a dimension ("District 7")."""

    __tablename__ = "dimension_groups"

    id = db.Column(db.Integer, primary_key=True)
    dimension_id = db.Column(db.Integer, db.ForeignKey("dimensions.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(120), nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (db.UniqueConstraint("dimension_id", "name", name="uq_dimension_groups_name"),)

    dimension = db.relationship("Dimension", back_populates="groups")

    def __repr__(self):
        return f"<DimensionGroup {self.name}>"


class ReadingGroupValue(db.Model):
    """A reading's value for one group; written with the reading, in its transaction."""

    __tablename__ = "reading_group_values"

    id = db.Column(db.Integer, primary_key=True)
    reading_id = db.Column(db.Integer, db.ForeignKey("readings.id", ondelete="CASCADE"), nullable=False)
    group_id = db.Column(db.Integer, db.ForeignKey("dimension_groups.id", ondelete="RESTRICT"), nullable=False, index=True)
    value = db.Column(VALUE, nullable=False)

    __table_args__ = (db.UniqueConstraint("reading_id", "group_id", name="uq_reading_group_values_group"),)

    reading = db.relationship("Reading", back_populates="group_values")
    group = db.relationship("DimensionGroup")
