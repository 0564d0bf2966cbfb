"""The main navigation collapses behind "Menu" on a phone and opens without JavaScript; on a
wide screen its links show with no toggle."""
from contracts_app.auth.services import create_user

PASSWORD = "a-long-test-password"


def _sign_in(page, app):
    with app.app_context():
        create_user("ben@city.test", "Ben Okafor", "contract_manager", PASSWORD)
    page.goto("/login")
    page.fill("#email", "ben@city.test")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_the_menu_is_collapsed_on_a_phone_and_opens_with_a_tap(page, live_app):
    page.set_viewport_size({"width": 390, "height": 800})
    _sign_in(page, live_app)
    links = page.locator(".main-nav a")
    assert not links.first.is_visible()
    page.click(".nav-menu > summary")
    assert links.first.is_visible() and page.locator(".main-nav a", has_text="My work").is_visible()


def test_the_links_show_without_a_toggle_on_a_wide_screen(page, live_app):
    page.set_viewport_size({"width": 1366, "height": 800})
    _sign_in(page, live_app)
    assert not page.locator(".nav-menu > summary").is_visible()
    assert page.locator(".main-nav a", has_text="Portfolio").is_visible()


def test_it_works_without_javascript(browser, live_server, live_app):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        _sign_in(page, live_app)
        assert not page.locator(".main-nav a").first.is_visible()
        page.click(".nav-menu > summary")
        assert page.locator(".main-nav a").first.is_visible()
    finally:
        context.close()
