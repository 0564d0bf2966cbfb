"""Done when (issue 14): in the demo city a contract 120 days from its end produces a decision
task whose page shows its record."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from contracts_app.contracts.models import Contract
from contracts_app.decisions.models import DecisionTask
from contracts_app.extensions import db as _db
from contracts_app.management.sweep import sweep
from contracts_app.metrics.status import today_for
from contracts_app.notifications.models import Notification
from tests.conftest import demo_city

NOW = datetime(2026, 11, 16, 15, tzinfo=timezone.utc)


def test_the_sweep_opens_the_demo_contracts_decision_task_and_its_page_shows_the_record(app, client):
    demo_city(NOW)
    contract = _db.session.scalars(select(Contract).where(Contract.reference == "IT-2024-029")).one()
    assert contract.end_date == today_for(NOW) + timedelta(days=120)

    sweep(NOW)

    task = _db.session.scalars(select(DecisionTask).where(DecisionTask.contract_id == contract.id)).one()
    told = _db.session.scalars(select(Notification.recipient_id).where(Notification.kind == "decision_due",
                                                                          Notification.contract_id == contract.id)).all()
    assert len(told) == 2  # Ana (its procurement officer) and Priya (the CDO)
    client.post("/login", data={"email": "priya@demo.city", "password": "rdc-demo-2026"})
    page = client.get(f"/decisions/{task.id}").get_data(as_text=True)
    assert "Datasets refreshed on schedule" in page and "Platform availability" in page
    assert "TR-2023-044" in page and "HO-2023-030" in page  # the vendor's completed, evaluated contracts
    assert "check-ins held with the vendor" in page
    assert 'name="rationale"' in page


def test_the_demo_evidence_counts_its_decision_made_with_the_summary(app):
    from contracts_app.portfolio.evidence import evidence_figures

    demo_city(NOW)
    figures, _public, _quarters = evidence_figures(today_for(NOW))
    assert (figures["renewal_decisions"].numerator, figures["renewal_decisions"].denominator) == (1, 1)
