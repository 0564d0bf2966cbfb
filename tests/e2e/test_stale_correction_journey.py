"""Two people correct the same reading from two browsers: the one who saves second is told who
changed it, to what and when, keeps what they typed, overwrites nothing, and can then save on
purpose. On a phone and on a wide screen."""
import os

import pytest
from sqlalchemy import select

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from contracts_app.demo.loader import demo_password
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric, Reading


def signed_in(browser, base_url, email, width):
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", demo_password())
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return context, page


def bens_reading(app):
    with app.app_context():
        return db.session.execute(
            select(Reading.id, Metric.unit).join(Metric).join(Contract).join(User, Contract.contract_manager_id == User.id)
            .where(User.email == "ben@demo.city", Contract.status == "active", Contract.archived_at.is_(None))
            .order_by(Reading.period_start.desc(), Reading.id).limit(1)
        ).one()


@pytest.mark.parametrize("width", [390, 1366])
def test_the_second_to_save_is_told_and_keeps_what_they_typed(browser, demo_live_server, demo_live_app, tmp_path, width):
    reading_id, unit = bens_reading(demo_live_app)
    ben_context, ben = signed_in(browser, demo_live_server, "ben@demo.city", width)
    ana_context, ana = signed_in(browser, demo_live_server, "ana@demo.city", width)
    try:
        ben.goto(f"/readings/{reading_id}/edit")
        ana.goto(f"/readings/{reading_id}/edit")
        ana.fill("#value", "4321")
        ana.fill("#note", "Vendor's revised report")
        ana.click("main button[type=submit]")
        ana.wait_for_load_state()
        assert ana.locator(".flash-success").count() == 1

        ben.fill("#value", "1234")
        ben.fill("#note", "Counted twice")
        with ben.expect_response(lambda r: r.request.method == "POST") as posted:
            ben.click("main button[type=submit]")
        assert posted.value.status == 409
        ben.wait_for_load_state()
        warning = ben.locator(".flash-warning").inner_text()
        assert "Not saved: this reading changed while you were editing it." in warning
        assert "Ana Ruiz changed this reading on" in warning
        assert f"it is now 4,321 {unit} (note: “Vendor's revised report”)" in warning
        assert ben.locator("#value").input_value() == "1234"
        assert ben.locator("#note").input_value() == "Counted twice"
        assert ben.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shots = os.environ.get("RDC_SCREENSHOT_DIR") or str(tmp_path)
        ben.screenshot(path=os.path.join(shots, f"stale-correction-{width}.png"), full_page=True)
        with demo_live_app.app_context():
            db.session.remove()
            assert db.session.get(Reading, reading_id).note == "Vendor's revised report"

        # Having seen Ana's value, Ben saves again on purpose: now it applies.
        ben.click("main button[type=submit]")
        ben.wait_for_load_state()
        assert ben.locator(".flash-success").count() == 1
        with demo_live_app.app_context():
            db.session.remove()
            reading = db.session.get(Reading, reading_id)
            assert reading.note == "Counted twice"
            assert "Vendor's revised report" in [r.note for r in reading.revisions]
    finally:
        ben_context.close()
        ana_context.close()
