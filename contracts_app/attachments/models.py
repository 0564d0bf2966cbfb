"""An evidence file: who attached what to which record, and where its bytes are."""
from contracts_app.i18n import lazy_gettext as _l
from contracts_app.contracts.models import Contract
from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn
from contracts_app.metrics.models import Reading
from contracts_app.vendors.models import VendorSubmission

CONTRACT = "contract"
READING = "reading"
CHECKIN = "checkin"
SUBMISSION = "submission"
OWNER_KINDS = {CONTRACT: _l("Contract"), READING: _l("Reading"), CHECKIN: _l("Check-in"), SUBMISSION: _l("Vendor submission")}
OWNER_MODELS = {CONTRACT: Contract, READING: Reading, CHECKIN: CheckIn, SUBMISSION: VendorSubmission}
_KIND_OF_MODEL = {model: kind for kind, model in OWNER_MODELS.items()}


def owner_kind(owner):
    """"contract", "reading", "checkin" or "submission" for a row of that kind; TypeError otherwise."""
    try:
        return _KIND_OF_MODEL[type(owner)]
    except KeyError:
        raise TypeError(f"Files cannot be attached to a {type(owner).__name__}.") from None


def owner_contract(owner):
    """The contract whose record ``owner`` is (for permissions and the contract's documents)."""
    kind = owner_kind(owner)
    if kind == CONTRACT:
        return owner
    if kind == CHECKIN:
        return owner.contract
    return owner.metric.contract  # a reading or a vendor submission


class Attachment(db.Model):
    """A file attached to one record (``owner_kind`` and ``owner_id``: a contract, a reading, a
    check-in or a vendor submission; no foreign key, since the owner may be any of four tables).

    ``contract_id`` is always set (the owner's contract), so permissions and a contract's list
    need no join through the owner. The bytes live in ``ATTACHMENTS_DIR`` under ``stored_name``,
    which the tracker generates (never the uploader's name); ``original_name`` is only shown and
    offered as the download's name. Attachments are never deleted: archiving keeps them.
    """

    __tablename__ = "attachments"

    id = db.Column(db.Integer, primary_key=True)
    owner_kind = db.Column(db.String(16), nullable=False)
    owner_id = db.Column(db.Integer, nullable=False)
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id"), nullable=False, index=True)
    original_name = db.Column(db.String(255), nullable=False)
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    content_type = db.Column(db.String(128), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    uploaded_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        db.Index("ix_attachments_owner", "owner_kind", "owner_id"),
        db.CheckConstraint("owner_kind IN ('contract', 'reading', 'checkin', 'submission')", name="owner_kind"),
        db.CheckConstraint("size > 0", name="size_positive"),
    )

    contract = db.relationship("Contract")
    uploaded_by = db.relationship("User")

    @property
    def owner_label(self):
        return OWNER_KINDS.get(self.owner_kind, self.owner_kind)

    @property
    def owner(self):
        """The row this file is attached to (from the session's identity map when loaded)."""
        return db.session.get(OWNER_MODELS[self.owner_kind], self.owner_id)
