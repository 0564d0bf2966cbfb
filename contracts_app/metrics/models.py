from contracts_app.i18n import lazy_gettext as _l
from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db

DIRECTIONS = {
    "increase": _l("Increase"),
    "decrease": _l("Decrease"),
    "maintain": _l("Maintain"),
    "range": _l("Stay within a range"),
}
CADENCES = {
    "weekly": _l("Weekly"),
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "annually": _l("Annually"),
}
INDICATOR_TYPES = {"leading": _l("Leading"), "lagging": _l("Lagging")}
# Who reports a metric: the contract manager records readings, or the vendor's contacts submit
# values that the contract manager verifies (contracts_app.vendors).
REPORTED_BY_MANAGER = "contract_manager"
REPORTED_BY_VENDOR = "vendor"
REPORTERS = {REPORTED_BY_MANAGER: _l("Contract manager"), REPORTED_BY_VENDOR: _l("Vendor, verified by the contract manager")}

VALUE = db.Numeric(18, 4)


class Metric(db.Model):
    """A key performance indicator of one contract."""

    __tablename__ = "metrics"

    id = db.Column(db.Integer, primary_key=True)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    definition = db.Column(db.Text, nullable=False, default="")
    unit = db.Column(db.String(40), nullable=False)
    direction = db.Column(db.String(16), nullable=False)
    baseline_value = db.Column(VALUE)
    baseline_date = db.Column(db.Date)
    # Final target (increase, decrease, maintain); range metrics use range_low/range_high.
    target_value = db.Column(VALUE)
    range_low = db.Column(VALUE)
    range_high = db.Column(VALUE)
    # For "maintain": how far from target, in percent of the target, still counts as on track.
    tolerance_pct = db.Column(db.Numeric(6, 2), nullable=False, default=5)
    # How the targets were set (from the baseline, a benchmark, the budget...), so the next
    # officer, or a city reusing the design as a template, can set theirs the same way.
    target_notes = db.Column(db.Text, nullable=False, default="", server_default="")
    cadence = db.Column(db.String(16), nullable=False, default="monthly")
    due_days = db.Column(db.Integer, nullable=False, default=10)
    on_track_pct = db.Column(db.Numeric(6, 2), nullable=False, default=100)
    at_risk_pct = db.Column(db.Numeric(6, 2), nullable=False, default=90)
    data_source = db.Column(db.String(255), nullable=False, default="")
    indicator_type = db.Column(db.String(16), nullable=False, default="lagging")
    payment_linked = db.Column(db.Boolean, nullable=False, default=False)
    # A count (people placed, meals served): its readings' group values add up to the total
    # when all groups of a dimension are given. Otherwise (a rate, an average, a score) the
    # groups are independent of the total (contracts_app.dimensions).
    is_count = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    # Shown to residents and in open data (OCDS, the published CSVs) when its contract is public;
    # a metric the city keeps internal (a sensitive count, a working measure) is switched off.
    is_public = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    reported_by = db.Column(db.String(16), nullable=False, default=REPORTED_BY_MANAGER, server_default=REPORTED_BY_MANAGER)
    position = db.Column(db.Integer, nullable=False, default=0)
    # Stored current status (metrics.rules.metric_status), refreshed when a reading changes
    # and by the scheduled status refresh, so list pages never scan readings.
    status = db.Column(db.String(16), nullable=False, default="no_data", index=True)
    status_period_start = db.Column(db.Date)
    status_updated_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # The metric's id in the OCDS contract it was imported from (contracts_app.ocds.importer).
    ocds_id = db.Column(db.String(255))

    __table_args__ = (
        db.CheckConstraint("due_days >= 0", name="due_days_not_negative"),
        db.CheckConstraint("at_risk_pct <= on_track_pct", name="threshold_order"),
    )

    contract = db.relationship("Contract", back_populates="metrics")
    targets = db.relationship(
        "MetricTarget", back_populates="metric", order_by="MetricTarget.period_start", cascade="all, delete-orphan"
    )
    readings = db.relationship(
        "Reading", back_populates="metric", order_by="Reading.period_start", cascade="all, delete-orphan"
    )
    # The dimensions its readings are broken down by (contracts_app.dimensions).
    dimensions = db.relationship("Dimension", secondary="metric_dimensions", order_by="Dimension.name")

    @property
    def needs_target(self):
        """Whether nothing can be judged yet for want of a target (a metric from a template)."""
        if self.direction == "range":
            return self.range_low is None or self.range_high is None
        return self.target_value is None

    @property
    def indicator_type_label(self):
        return INDICATOR_TYPES.get(self.indicator_type, self.indicator_type)

    @property
    def direction_label(self):
        return DIRECTIONS.get(self.direction, self.direction)

    @property
    def reported_by_label(self):
        return REPORTERS.get(self.reported_by, self.reported_by)

    @property
    def cadence_label(self):
        return CADENCES.get(self.cadence, self.cadence)

    def __repr__(self):
        return f"<Metric {self.name}>"


class MetricTarget(db.Model):
    """An explicit target for one reporting period (else the target is linear)."""

    __tablename__ = "metric_targets"

    id = db.Column(db.Integer, primary_key=True)
    metric_id = db.Column(db.Integer, db.ForeignKey("metrics.id", ondelete="CASCADE"), nullable=False)
    period_start = db.Column(db.Date, nullable=False)
    value = db.Column(VALUE, nullable=False)

    __table_args__ = (db.UniqueConstraint("metric_id", "period_start", name="uq_metric_targets_period"),)

    metric = db.relationship("Metric", back_populates="targets")


class Reading(db.Model):
    """One value per metric and reporting period. Corrections keep history."""

    __tablename__ = "readings"

    id = db.Column(db.Integer, primary_key=True)
    metric_id = db.Column(db.Integer, db.ForeignKey("metrics.id", ondelete="CASCADE"), nullable=False)
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)
    value = db.Column(VALUE, nullable=False)
    note = db.Column(db.Text, nullable=False, default="")
    # Status of this reading against its period's target, stored when written.
    status = db.Column(db.String(16), nullable=False)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    recorded_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # Optimistic concurrency: 1 when recorded, one more at each correction; a correction names
    # the version it saw and is refused (409) when the reading has moved on.
    version = db.Column(db.Integer, nullable=False, default=1, server_default="1")
    # A value a vendor contact submitted and a contract manager verified (else both empty).
    submitted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    verified_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))

    __table_args__ = (
        db.UniqueConstraint("metric_id", "period_start", name="uq_readings_period"),
        db.CheckConstraint("period_end >= period_start", name="period_order"),
    )

    metric = db.relationship("Metric", back_populates="readings")
    recorded_by = db.relationship("User", foreign_keys=[recorded_by_id])
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    verified_by = db.relationship("User", foreign_keys=[verified_by_id])
    # Newest first, by version: concurrent corrections can share a replaced_at to the second.
    revisions = db.relationship(
        "ReadingRevision", back_populates="reading",
        order_by=lambda: (ReadingRevision.version.desc(), ReadingRevision.replaced_at.desc()),
        cascade="all, delete-orphan",
    )
    group_values = db.relationship(
        "ReadingGroupValue", back_populates="reading", order_by="ReadingGroupValue.group_id",
        cascade="all, delete-orphan", passive_deletes=True,
    )


class ReadingRevision(db.Model):
    """An earlier value of a reading, kept when the reading is corrected."""

    __tablename__ = "reading_revisions"

    id = db.Column(db.Integer, primary_key=True)
    reading_id = db.Column(db.Integer, db.ForeignKey("readings.id", ondelete="CASCADE"), nullable=False, index=True)
    value = db.Column(VALUE, nullable=False)
    note = db.Column(db.Text, nullable=False, default="")
    status = db.Column(db.String(16), nullable=False)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    recorded_at = db.Column(UTCDateTime, nullable=False)
    replaced_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    replaced_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1, server_default="1")
    submitted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    verified_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    # The group values it had ({group id: value as text}), when it had any.
    group_values = db.Column(db.JSON)

    reading = db.relationship("Reading", back_populates="revisions")
    recorded_by = db.relationship("User", foreign_keys=[recorded_by_id])
    replaced_by = db.relationship("User", foreign_keys=[replaced_by_id])
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    verified_by = db.relationship("User", foreign_keys=[verified_by_id])
