"""Two people (or two clicks) at once against one PostgreSQL database: one submission waits per
metric and period, one review wins, one invitation link sets one password."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from contracts_app.errors import ServiceError
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric, Reading
from contracts_app.vendors import services
from contracts_app.vendors.models import PENDING, VendorSubmission
from tests.concurrency import run_together
from tests.vendors.conftest import NOW, OCTOBER


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("the concurrency tests need PostgreSQL (SQLite runs one writer at a time)")


def test_two_submits_at_once_leave_one_waiting(postgres_only, app, contract, dana, placements):
    ids = (contract.id, dana.id, placements.id)

    def work(index):
        contract, dana, metric = db.session.get(Contract, ids[0]), db.session.get(User, ids[1]), db.session.get(Metric, ids[2])
        return services.submit_value(contract, dana, metric, OCTOBER, Decimal(24 + index), "", now=NOW).id

    for _ in range(3):
        results, refused = run_together(app, work, expected=ServiceError)
        assert len(results) <= 1 and len(results) + len(refused) == 2
        assert all("already waiting" in str(error) for error in refused)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(VendorSubmission).where(VendorSubmission.state == PENDING)) == 1


def test_two_reviews_at_once_make_one_reading(postgres_only, app, contract, dana, ben, placements, users):
    submission_id = services.submit_value(contract, dana, placements, OCTOBER, Decimal(24), "", now=NOW).id
    reviewers = (ben.id, users["procurement_officer"].id)

    def work(index):
        submission, reviewer = db.session.get(VendorSubmission, submission_id), db.session.get(User, reviewers[index])
        if index == 0:
            return services.accept_submission(submission, reviewer, now=NOW).id
        return services.return_submission(submission, reviewer, "Please check", now=NOW).id

    results, refused = run_together(app, work, expected=ServiceError)
    assert len(results) == 1 and len(refused) == 1
    db.session.expire_all()
    submission = db.session.get(VendorSubmission, submission_id)
    readings = db.session.scalar(select(func.count()).select_from(Reading))
    assert (submission.state, readings) in (("accepted", 1), ("returned", 0))
