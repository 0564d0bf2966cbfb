"""The procurement officer's payment statement in Chromium: the demo city's street-outreach
quarter, drafted by the sweep, reviewed and approved from its page, at a phone's and a desktop's
width (``RDC_E2E_SCREENSHOTS=DIR`` saves screenshots)."""
from sqlalchemy import select

from contracts_app.contracts.models import Contract
from contracts_app.demo.loader import demo_password
from contracts_app.extensions import db
from tests.e2e.conftest import screenshot
from contracts_app.payments.models import PaymentStatement


def test_the_procurement_officer_reviews_and_approves_the_quarter(browser, demo_live_app, demo_live_server):
    with demo_live_app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
        statement_id = db.session.scalar(
            select(PaymentStatement.id).where(PaymentStatement.contract_id == contract.id)
            .order_by(PaymentStatement.period_start.desc())
        )
        db.session.remove()
    context = browser.new_context(base_url=demo_live_server, viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", "ana@demo.city")
    page.fill("#password", demo_password())
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto(f"/payments/statements/{statement_id}")
    assert page.locator("h1").inner_text().startswith("Payment statement HS-2025-014-")
    assert "Amount payable" in page.content() and "Withholding" in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"scrolls sideways at 390 px ({width}px)"
    screenshot(page, "statement-po-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot(page, "statement-po-1366")
    with page.expect_navigation():
        page.click("button:has-text('Approve')")
    assert "approved" in page.content()
    assert page.locator("a:has-text('Printable memo')").count() == 1
    page.click("a:has-text('Printable memo')")
    page.emulate_media(media="print")
    screenshot(page, "memo-print-1366")
    context.close()
