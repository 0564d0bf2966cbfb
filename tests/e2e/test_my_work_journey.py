"""The daily path's acceptance journey on a phone: the demo contract manager signs in, lands on
"My work", opens an overdue reading with one tap on its Enter button, saves it, and the item and
the metric's overdue status are gone."""
from sqlalchemy import select

from contracts_app.demo.loader import demo_password
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric


def test_a_contract_manager_clears_an_overdue_reading_from_my_work(browser, demo_live_server, demo_live_app):
    context = browser.new_context(base_url=demo_live_server, viewport={"width": 390, "height": 844})
    context.set_default_timeout(15000)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#email", "ben@demo.city")
        page.fill("#password", demo_password())
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        assert page.url.endswith("/work")
        assert page.locator("h1").inner_text() == "My work"
        # No page scrolls sideways on a phone; this one neither.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        first = page.locator("#overdue li[data-metric]").first
        metric_id, period = int(first.get_attribute("data-metric")), first.get_attribute("data-period")
        with demo_live_app.app_context():
            assert db.session.scalar(select(Metric.status).where(Metric.id == metric_id)) == "overdue"
        items_before = page.locator(f'#overdue li[data-metric="{metric_id}"][data-period="{period}"]').count()
        assert items_before == 1

        first.locator("a.button").click()  # one tap: the form, on that period
        page.wait_for_load_state()
        assert page.locator("#period").input_value() == period
        page.fill("#value", "30")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".flash-success").count() == 1

        page.goto("/work")
        assert page.locator(f'#overdue li[data-metric="{metric_id}"][data-period="{period}"]').count() == 0
        with demo_live_app.app_context():
            db.session.remove()
            status = db.session.scalar(select(Metric.status).where(Metric.id == metric_id))
        # My work lists the latest overdue period first: once it has its reading, no period after
        # the latest reading is overdue, so the metric is judged on that reading again (earlier
        # missing periods stay listed, without making the metric overdue).
        assert status != "overdue"
    finally:
        context.close()
