"""The demo city's street-outreach contract (HS-2025-014): the sweep drafts its quarter's
statement as a hand calculation says, the procurement officer approves it, it exports as CSV
and appears in OCDS as a transaction."""
from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.management.sweep import sweep
from contracts_app.ocds.export import release_package
from contracts_app.payments.models import PaymentStatement
from contracts_app.payments.services import approve_statement
from contracts_app.demo.loader import demo_password
from tests.conftest import Auth, demo_city
from tests.demo.conftest import NOW
from tests.ocds.conftest import release_of, schema_errors


def test_the_sweep_drafts_the_street_outreach_quarter_as_the_hand_calculation_says(app):
    demo_city(NOW)  # 24 Nov 2026: Q3 2026 (Jul–Sep) is the latest quarter whose data is due (10 Oct)
    assert sweep(NOW).statements_drafted >= 5
    contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
    statements = db.session.scalars(
        select(PaymentStatement).where(PaymentStatement.contract_id == contract.id)
        .order_by(PaymentStatement.period_start)
    ).all()
    assert [s.period_label for s in statements] == ["Q3 2025", "Q4 2025", "Q1 2026", "Q2 2026", "Q3 2026"]
    q3 = statements[-1]
    # By hand: $1.2M over eight quarters is $150,000 a quarter, 10% ($15,000) withheld.
    # Placements Jul 19 + Aug 29 + Sep 29 = 77. The monthly targets run linearly from 18 (1 Jul
    # 2025) to 30 (30 Jun 2027, 729 days later), at each month's end: 18 + 12 × 395/729 = 24.502
    # (31 Jul), 18 + 12 × 426/729 = 25.012 (31 Aug), 18 + 12 × 456/729 = 25.506 (30 Sep); the
    # quarter's target is their sum, 75.02. 77 / 75.02 = 102.64% ≥ 100%: on track, the $15,000
    # is released, and $150,000.00 is payable.
    assert q3.inputs[str(contract.metrics[0].id)]["value"] == "77"
    assert q3.inputs[str(contract.metrics[0].id)]["target"] == "75.02"
    assert [(line.kind, line.amount) for line in q3.lines] == [("scheduled", D("150000.00")), ("withheld", D("0.00"))]
    assert q3.lines[1].reason == ("Placements into shelter or housing 77 against a target of 75.02 (102.64%): on track — "
                                  "its $15,000 share of the 10% withheld is released")
    assert q3.total == D("150000.00") and q3.missing == []
    # The first quarter is the grace period.
    assert "within the grace period" in statements[0].lines[1].reason
    assert (q3.period_start, q3.period_end) == (date(2026, 7, 1), date(2026, 9, 30))

    ana = db.session.scalar(select(User).where(User.email == "ana@demo.city"))
    approve_statement(q3, ana, now=NOW)
    po = app.test_client()
    assert Auth(po).login(ana, demo_password()).status_code == 302
    response = po.get(f"/payments/statements/{q3.id}.csv")
    assert response.status_code == 200 and "150000.00" in response.get_data(as_text=True)
    package = release_package(now=NOW)
    assert schema_errors(package) == []
    transactions = release_of(package, contract)["contracts"][0]["implementation"]["transactions"]
    assert [(t["id"], t["value"]) for t in transactions] == [("HS-2025-014-05-r1", {"amount": 150000, "currency": "USD"})]
