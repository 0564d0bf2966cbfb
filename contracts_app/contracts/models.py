from sqlalchemy import false

from contracts_app.i18n import lazy_gettext as _l
from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db
from contracts_app.priorities.models import contract_priorities

KINDS = {
    "contract": _l("Contract"),
    "procurement": _l("Strategic procurement"),
    "grant": _l("Grant"),
}

STATUSES = {
    "draft": _l("Draft"),
    "active": _l("Active"),
    "completed": _l("Completed"),
    "terminated": _l("Terminated"),
}

PAYMENT_STRUCTURES = {
    "fixed_price": _l("Fixed price"),
    "cost_reimbursement": _l("Cost reimbursement"),
    "performance_based": _l("Performance-based incentives or penalties"),
    "milestone": _l("Milestone payments"),
    "pay_for_success": _l("Pay for success"),
    "grant": _l("Grant"),
}
# Structures that reward vendors for progress toward the goals (WWC RDC4).
RESULTS_BASED_PAYMENT = {"performance_based", "milestone", "pay_for_success"}

# How the vendor was chosen: the OCDS procurementMethod codelist (closed).
PROCUREMENT_METHODS = {
    "open": _l("Open (any interested vendor could bid)"),
    "selective": _l("Selective (only qualified vendors were invited to bid)"),
    "limited": _l("Limited (the city contacted a few vendors)"),
    "direct": _l("Direct award (one vendor, without competition)"),
}
# Competitive procurements for WWC RDC8.
COMPETITIVE_METHODS = ("open", "selective")



class Department(db.Model):
    """A city department: the buyer of its contracts. Its id is stable (open data names the
    buyer by it), so renaming a department keeps it the same buyer."""

    __tablename__ = "departments"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, unique=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    contracts = db.relationship("Contract", back_populates="department_row")

    def __repr__(self):
        return f"<Department {self.name}>"


class Vendor(db.Model):
    """A supplier or grantee."""

    __tablename__ = "vendors"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, unique=True)
    contact_name = db.Column(db.String(120))
    contact_email = db.Column(db.String(255))
    # The organisation's identifier for open data (OCDS parties): an org-id.guide scheme such as
    # US-EIN and the id in it (a tax id). Both or neither; unique together.
    identifier_scheme = db.Column(db.String(32))
    identifier = db.Column(db.String(64))
    # The organisation's (not a person's) address, published with the supplier.
    street_address = db.Column(db.String(255))
    locality = db.Column(db.String(120))
    region = db.Column(db.String(120))
    postal_code = db.Column(db.String(20))
    country_name = db.Column(db.String(100))
    # Business status as the city certifies it (WWC RDC8): small, local, and diverse (minority-,
    # women-, veteran- or disability-owned) businesses.
    is_small = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    is_local = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    is_diverse = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        db.UniqueConstraint("identifier_scheme", "identifier", name="uq_vendors_identifier"),
        db.CheckConstraint("(identifier_scheme IS NULL) = (identifier IS NULL)", name="identifier_complete"),
    )

    contracts = db.relationship("Contract", back_populates="vendor")

    @property
    def address_parts(self):
        """The address lines that are filled in, in postal order."""
        return [p for p in (self.street_address, self.locality, self.region, self.postal_code, self.country_name) if p]

    @property
    def status_labels(self):
        """The business statuses that apply, as words ("Small", "Local", "Diverse")."""
        return [label for flag, label in ((self.is_small, _l("Small")), (self.is_local, _l("Local")),
                                          (self.is_diverse, _l("Diverse"))) if flag]

    def __repr__(self):
        return f"<Vendor {self.name}>"


class Contract(db.Model):
    """A strategic procurement, contract or grant. Archived, never deleted."""

    __tablename__ = "contracts"

    id = db.Column(db.Integer, primary_key=True)
    reference = db.Column(db.String(64), nullable=False, unique=True)
    title = db.Column(db.String(255), nullable=False)
    # The department's name, copied here for the register's filters and sorts; the contract
    # services set both columns, and renaming a department renames it on its contracts.
    department = db.Column(db.String(120), nullable=False, index=True)
    department_id = db.Column(db.Integer, db.ForeignKey("departments.id"), nullable=False, index=True)
    vendor_id = db.Column(db.Integer, db.ForeignKey("vendors.id"), nullable=False, index=True)
    kind = db.Column(db.String(32), nullable=False, default="contract")
    value = db.Column(db.Numeric(14, 2), nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="USD")
    start_date = db.Column(db.Date, nullable=False)
    end_date = db.Column(db.Date, nullable=False)
    # When the award was decided and the contract signed (OCDS awards.date, contracts.dateSigned).
    awarded_on = db.Column(db.Date)
    signed_on = db.Column(db.Date)
    status = db.Column(db.String(16), nullable=False, default="draft", index=True)
    payment_structure = db.Column(db.String(32), nullable=False, index=True)
    payment_terms = db.Column(db.Text, nullable=False, default="")
    problem = db.Column(db.Text, nullable=False, default="")
    outcomes = db.Column(db.Text, nullable=False, default="")
    procurement_officer_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    contract_manager_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    is_public = db.Column(db.Boolean, nullable=False, default=True)
    # The procurement stage (OCDS tender, WWC RDC7/RDC8): how the vendor was chosen (a
    # PROCUREMENT_METHODS key), in the city's words, and how many bids were received.
    procurement_method = db.Column(db.String(16))
    procurement_method_details = db.Column(db.String(255))
    bids_received = db.Column(db.Integer)
    # Stored roll-up of the metrics' statuses and missed milestones (see metrics.rules),
    # kept current in the transaction that changes a reading, and by the status refresh.
    health = db.Column(db.String(16), nullable=False, default="no_data", index=True)
    health_updated_at = db.Column(UTCDateTime)
    archived_at = db.Column(UTCDateTime, index=True)
    # Open flags by severity, and open "no check-in" flags: kept by database triggers on the
    # flags table (management/flag_counts.py), read by the dashboard's attention list.
    open_flags_high = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    open_flags_medium = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    open_flags_low = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    open_flags_lapse = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    archived_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    # The contract template it was started from (contracts_app.designs), if any.
    template_id = db.Column(db.Integer, db.ForeignKey("contract_templates.id", ondelete="SET NULL"), index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # Where an OCDS import brought it from (contracts_app.ocds.importer): the contracting
    # process's ocid and the contract's id in it. Re-importing updates this contract in place.
    ocds_ocid = db.Column(db.String(255))
    ocds_contract_id = db.Column(db.String(255))

    __table_args__ = (
        db.UniqueConstraint("ocds_ocid", "ocds_contract_id", name="uq_contracts_ocds"),
        db.CheckConstraint("end_date >= start_date", name="term_order"),
        db.CheckConstraint("value >= 0", name="value_not_negative"),
        db.CheckConstraint("bids_received IS NULL OR bids_received >= 0", name="bids_not_negative"),
        # Portfolio roll-ups over the strategic contracts, read from the index alone.
        db.Index("ix_contracts_portfolio", "status", "archived_at", "health", "value", "id"),
        db.Index("ix_contracts_archived_department", "archived_at", "department"),
        # The attention list, worst first: walked backwards, stopping after a page (ties on
        # the counts are put in reference order by a small sort).
        db.Index(
            "ix_contracts_attention", "status", "archived_at", "open_flags_high", "open_flags_medium",
            "open_flags_low", "open_flags_lapse", "reference",
        ),
    )

    vendor = db.relationship("Vendor", back_populates="contracts")
    department_row = db.relationship("Department", back_populates="contracts")
    procurement_officer = db.relationship("User", foreign_keys=[procurement_officer_id])
    contract_manager = db.relationship("User", foreign_keys=[contract_manager_id])
    archived_by = db.relationship("User", foreign_keys=[archived_by_id])
    template = db.relationship("ContractTemplate", foreign_keys=[template_id])
    priorities = db.relationship(
        "Priority", secondary=contract_priorities, back_populates="contracts", order_by="Priority.name"
    )
    metrics = db.relationship(
        "Metric", back_populates="contract", order_by="Metric.position, Metric.id", cascade="all, delete-orphan"
    )
    milestones = db.relationship(
        "Milestone", back_populates="contract", order_by="Milestone.due_date, Milestone.id",
        cascade="all, delete-orphan",
    )

    @property
    def is_archived(self):
        return self.archived_at is not None

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def procurement_method_label(self):
        return PROCUREMENT_METHODS.get(self.procurement_method, self.procurement_method)

    @property
    def payment_structure_label(self):
        return PAYMENT_STRUCTURES.get(self.payment_structure, self.payment_structure)

    def __repr__(self):
        return f"<Contract {self.reference}>"
