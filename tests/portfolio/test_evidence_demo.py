"""The certification evidence page on the demo city shows figures that match the demo data,
recomputed here in plain Python from the rows (independently of the page's SQL)."""
from datetime import datetime, timezone

from sqlalchemy import select

from contracts_app.contracts.models import RESULTS_BASED_PAYMENT, Contract
from contracts_app.demo.loader import load_demo_city
from contracts_app.management.models import CheckIn
from contracts_app.metrics.rules import city_today
from contracts_app.portfolio.models import CloseoutEvaluation

PASSWORD = "demo-password-for-tests"


def _last_four_full_quarters(today):
    year, quarter = today.year, (today.month - 1) // 3  # the current quarter, not yet full
    keys = []
    for _ in range(4):
        quarter -= 1
        if quarter < 0:
            year, quarter = year - 1, 3
        keys.append((year, quarter))
    return set(keys)


def test_the_evidence_page_matches_the_demo_data(app, db, client):
    now = datetime.now(timezone.utc)
    assert load_demo_city(now=now, password=PASSWORD).loaded
    today = city_today(now, app.config["CITY_TIMEZONE"])
    contracts = db.session.scalars(select(Contract)).all()
    strategic = [c for c in contracts if c.status == "active" and c.archived_at is None]
    held = {}
    for checkin in db.session.scalars(select(CheckIn).where(CheckIn.status == "held")):
        held.setdefault(checkin.contract_id, set()).add((checkin.held_on.year, (checkin.held_on.month - 1) // 3))
    wanted = _last_four_full_quarters(today)
    completed_vendors = {c.vendor_id for c in contracts if c.status == "completed" and c.archived_at is None}
    evaluated_vendors = {e.vendor_id for e in db.session.scalars(select(CloseoutEvaluation))}

    expected = [
        (sum(1 for c in strategic if c.problem.strip() and c.outcomes.strip() and c.metrics), len(strategic)),
        (sum(1 for c in strategic if c.payment_structure in RESULTS_BASED_PAYMENT), len(strategic)),
        (sum(1 for c in strategic if wanted <= held.get(c.id, set())), len(strategic)),
        (len(completed_vendors & evaluated_vendors), len(completed_vendors)),
        (sum(1 for c in strategic if c.is_public), len(strategic)),
    ]
    assert client.post("/login", data={"email": "priya@demo.city", "password": PASSWORD}).status_code == 302
    page = client.get("/portfolio/evidence").get_data(as_text=True)
    for numerator, denominator in expected:
        assert f"<strong>{numerator} of {denominator}</strong>" in page
    # The demo shows a real mix, not all-or-nothing.
    assert 0 < expected[1][0] < len(strategic) and 0 < expected[2][0] < len(strategic)
