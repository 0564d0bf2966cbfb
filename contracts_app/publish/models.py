"""What was last pushed to each open-data portal (contracts_app/publish/push.py)."""
from contracts_app.db_types import UTCDateTime
from contracts_app.extensions import db


class PortalPush(db.Model):
    """One published item on one portal: a CKAN dataset's metadata (``file`` empty) or one of
    its resources, or a Socrata dataset filled from a CSV. ``sha256`` is the content last pushed
    *successfully* (None until the first success), so a file whose digest differs, because it
    changed or because its last push failed, is sent again and an unchanged one is not.

    Keyed by the portal's address too: pointing CKAN_URL at another portal pushes everything
    there once, whatever the old one holds."""

    __tablename__ = "portal_pushes"
    __table_args__ = (
        db.UniqueConstraint("portal", "address", "target", "file", name="uq_portal_pushes_item"),
    )

    id = db.Column(db.Integer, primary_key=True)
    # "ckan" or "socrata"
    portal = db.Column(db.String(20), nullable=False)
    # CKAN_URL or SOCRATA_DOMAIN as configured
    address = db.Column(db.String(255), nullable=False)
    # the CKAN dataset's name, or the Socrata dataset id
    target = db.Column(db.String(120), nullable=False)
    # the published file ("contracts.csv"), or "" for a CKAN dataset's metadata
    file = db.Column(db.String(120), nullable=False, default="")
    sha256 = db.Column(db.String(64))
    pushed_at = db.Column(UTCDateTime)
    # the last attempt, and its error ("" never: None when it succeeded)
    attempted_at = db.Column(UTCDateTime, nullable=False)
    error = db.Column(db.Text)
