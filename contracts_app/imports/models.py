from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db


CONTRACTS = "contracts"
READINGS = "readings"
PAYMENTS = "payments"
# Open contracting data (contracts_app.ocds.importer): the JSON file as text.
OCDS = "ocds"


class ImportUpload(db.Model):
    """An uploaded CSV held between its preview and its commit (decoded to text), so the person
    importing does not have to upload it twice and the commit checks exactly what was previewed.

    ``kind`` says what it imports: contracts and metrics, payments made (spend.sheet), or readings (a readings .xlsx is kept
    as the CSV text of its sheet; ``encoding`` is then "xlsx")."""

    __tablename__ = "import_uploads"

    id = db.Column(db.Integer, primary_key=True)
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False, default=CONTRACTS, server_default=CONTRACTS)
    filename = db.Column(db.String(255), nullable=False, default="")
    encoding = db.Column(db.String(32), nullable=False)
    content = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    committed_at = db.Column(UTCDateTime)
    # How many contracts and metrics the commit created (set with committed_at).
    contracts_created = db.Column(db.Integer)
    metrics_created = db.Column(db.Integer)
    # How many readings a readings import recorded and corrected.
    readings_recorded = db.Column(db.Integer)
    readings_corrected = db.Column(db.Integer)
    # How many payments a payments import recorded.
    payments_recorded = db.Column(db.Integer)

    uploaded_by = db.relationship("User")
