"""The demo city as residents see it, with one public contract archived and one public metric
switched off, and everything that must never reach the public site."""
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract, Vendor
from contracts_app.contracts.services import archive_contract
from contracts_app.extensions import db
from contracts_app.management.models import ActionItem, CheckIn, Flag
from contracts_app.metrics.models import Metric, Reading
from contracts_app.milestones.models import Milestone
from contracts_app.vendors.models import VendorSubmission
from tests.conftest import demo_city
from tests.demo.conftest import NOW

ARCHIVED_REFERENCE = "HS-2024-040"  # Youth drop-in center: public, serves homelessness
HIDDEN_METRIC = "Median days from first contact to placement"  # of Street outreach (public)
# Text long enough to be telling: short values ("", "ok") would match anywhere.
MIN_TEXT = 12


@dataclass
class PublicCity:
    forbidden: dict = field(default_factory=dict)  # what -> [text that must not appear]
    public_ids: list = field(default_factory=list)
    hidden_ids: list = field(default_factory=list)  # non-public and archived contracts
    archived_id: int = 0
    outreach_id: int = 0


def _texts(values):
    return sorted({v.strip() for v in values if v and len(v.strip()) >= MIN_TEXT})


@pytest.fixture
def public_city(app):
    demo_city(NOW)
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    archive_contract(db.session.scalar(select(Contract).where(Contract.reference == ARCHIVED_REFERENCE)), admin,
                     "Funding moved to another program.", now=NOW)
    outreach = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
    hidden = db.session.scalar(select(Metric).where(Metric.contract_id == outreach.id, Metric.name == HIDDEN_METRIC))
    hidden.is_public = False
    db.session.commit()

    city = PublicCity(outreach_id=outreach.id)
    contracts = db.session.scalars(select(Contract)).all()
    city.public_ids = [c.id for c in contracts if c.is_public and not c.is_archived]
    hidden_contracts = [c for c in contracts if not c.is_public or c.is_archived]
    city.hidden_ids = [c.id for c in hidden_contracts]
    city.archived_id = next(c.id for c in contracts if c.reference == ARCHIVED_REFERENCE)
    users = db.session.scalars(select(User)).all()
    city.forbidden = {
        "email": [u.email for u in users] + [v.contact_email for v in db.session.scalars(select(Vendor)) if v.contact_email],
        "staff name": [u.name for u in users] + [v.contact_name for v in db.session.scalars(select(Vendor)) if v.contact_name],
        "reading note": _texts(db.session.scalars(select(Reading.note))),
        "milestone note": _texts(db.session.scalars(select(Milestone.notes))),
        "flag": _texts(list(db.session.scalars(select(Flag.summary))) + list(db.session.scalars(select(Flag.resolution_note)))),
        "check-in": _texts([*db.session.scalars(select(CheckIn.notes)), *db.session.scalars(select(CheckIn.decisions)),
                            *db.session.scalars(select(CheckIn.city_attendees)),
                            *db.session.scalars(select(ActionItem.description))]),
        "vendor submission": _texts(db.session.scalars(select(VendorSubmission.note))),
        "hidden contract": [c.title for c in hidden_contracts] + [c.reference for c in hidden_contracts],
        "hidden metric": [HIDDEN_METRIC] + [m.name for m in db.session.scalars(select(Metric).where(Metric.is_public.is_(False)))],
        "archive reason": ["Funding moved to another program."],
    }
    # A hidden contract's title that a public one shares is not a leak: keep only its own.
    public_titles = {c.title for c in contracts if c.id in city.public_ids}
    city.forbidden["hidden contract"] = [t for t in city.forbidden["hidden contract"] if t not in public_titles]
    return city
