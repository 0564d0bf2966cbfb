"""Sign-in in a real browser (CSRF on, real HTTP): the remember-me cookie's attributes, signing
out ends the saved cookie, and ten wrong passwords lock the account with the time to come back."""
from contracts_app.auth.services import create_user
from contracts_app.extensions import db

EMAIL, PASSWORD = "lock.test@city.test", "a-long-enough-password"


def _user(app):
    with app.app_context():
        create_user(EMAIL, "Lock Test", "viewer", PASSWORD)
        db.session.remove()


def _submit(page, password, remember=False):
    page.goto("/login")
    page.fill("#email", EMAIL)
    page.fill("#password", password)
    if remember:
        page.check("#remember")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_remember_me_then_sign_out_ends_the_saved_cookie(browser, live_server, live_app):
    _user(live_app)
    context = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        _submit(page, PASSWORD, remember=True)
        assert "/login" not in page.url
        remember = next(c for c in context.cookies() if c["name"] == "remember_token")
        assert remember["sameSite"] == "Lax" and remember["httpOnly"]
        page.click("form[action='/logout'] button")
        page.wait_for_load_state()

        replay = browser.new_context(base_url=live_server)
        replay.add_cookies([{**remember, "expires": remember["expires"]}])
        again = replay.new_page()
        again.goto("/priorities")
        assert "/login" in again.url
        replay.close()
    finally:
        context.close()


def test_ten_wrong_passwords_lock_the_account(browser, live_server, live_app, tmp_path):
    _user(live_app)
    for width in (390, 1366):
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            if width == 390:
                for attempt in range(10):
                    _submit(page, f"wrong-{attempt}")
            _submit(page, PASSWORD)
            assert "/login" in page.url
            assert "it is locked until" in page.inner_text("main")
            page.screenshot(path=str(tmp_path / f"locked-{width}.png"), full_page=True)
        finally:
            context.close()
