"""A contract template: the design of a contract that worked, kept as a versioned JSON
document (``design``, the format of ``designs.document``) plus the columns the library
searches and filters on, and the track record taken from the data when it was saved."""
from contracts_app.db_types import UTCDateTime, utcnow
from contracts_app.extensions import db
from contracts_app.i18n import lazy_gettext as _l

FORMAT = "rdc-contract-template"
# Version 2 added metric dimensions, counts and target-setting notes, milestones and milestone
# payments; a version 1 document reads as a version 2 one without them.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

ORIGINS = {"saved": _l("Saved from a contract here"), "imported": _l("Imported from another city"),
           "demo": _l("Drawn from documented practice")}


class ContractTemplate(db.Model):
    __tablename__ = "contract_templates"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, unique=True)
    kind_of_service = db.Column(db.String(120), nullable=False, index=True)
    payment_structure = db.Column(db.String(32), nullable=False, index=True)
    # Suggestions for a contract built from it: the department and the priorities' names,
    # one per line between newlines ("\nHousing\nJobs\n"), so a filter is one LIKE.
    department = db.Column(db.String(120), index=True)
    priority_names = db.Column(db.Text, nullable=False, default="\n")
    # Lower-cased name, kind of service, note, problem and outcomes: the library's text search.
    search_text = db.Column(db.Text, nullable=False, default="")
    format_version = db.Column(db.Integer, nullable=False, default=FORMAT_VERSION)
    design = db.Column(db.JSON, nullable=False)
    origin = db.Column(db.String(16), nullable=False, default="saved")
    # Track record when saved (or as the exporting city computed it).
    periods_rated = db.Column(db.Integer, nullable=False, default=0)
    on_track_share = db.Column(db.Numeric(5, 4))
    closeout_rating = db.Column(db.Numeric(3, 2))
    source_contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="SET NULL", use_alter=True,
                                                             name="fk_contract_templates_source_contract_id_contracts"),
                                   index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    source_contract = db.relationship("Contract", foreign_keys=[source_contract_id])
    created_by = db.relationship("User")

    @property
    def priorities(self):
        return [name for name in (self.priority_names or "").split("\n") if name]

    @property
    def origin_label(self):
        return ORIGINS.get(self.origin, self.origin)

    @property
    def metrics(self):
        return self.design.get("metrics") or []

    @property
    def milestones(self):
        return self.design.get("milestones") or []

    @property
    def payment_rules(self):
        return self.design.get("payment_rules") or []

    def __repr__(self):
        return f"<ContractTemplate {self.name}>"
