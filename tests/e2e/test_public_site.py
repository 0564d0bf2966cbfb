"""The public site in Chromium, as a resident on a phone and on a desktop, in English and in
Spanish: axe-core finds no accessibility violation, nothing scrolls sideways, and the keyboard
reaches the skip link, the language switch, the search and the filters."""
import pytest

WIDTHS = (390, 1366)
PAGES = ("/public", "/public/priorities/{priority}", "/public/contracts", "/public/contracts?status=off_track",
         "/public/contracts/{contract}", "/public/data", "/public/contracts/999999")

_SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def public_ids(demo_live_app):
    from sqlalchemy import text

    from contracts_app.extensions import db

    with demo_live_app.app_context():
        priority = db.session.execute(text(
            "SELECT id FROM priorities WHERE name LIKE 'Reduce unsheltered%'")).scalar()
        contract = db.session.execute(text(
            "SELECT id FROM contracts WHERE reference = 'HS-2025-014'")).scalar()
        db.session.remove()
    return {"priority": priority, "contract": contract}


def _violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{item['id']} ({item['impact']}): {item['help']}: "
        + ", ".join(str(node["target"]) for node in item["nodes"][:3])
        for item in results.response["violations"]
    ]


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_public_page_passes_axe_at_phone_and_desktop_widths(browser, demo_live_server, public_ids, language):
    context = browser.new_context(base_url=demo_live_server, locale=language,
                                  extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("console", lambda message: failed.append(message.text) if message.type == "error" and "404" not in message.text else None)
    problems = []
    try:
        for template in PAGES:
            url = template.format(**public_ids)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(url)
                assert page.locator("html").get_attribute("lang") == language
                problems += [f"{url} at {width}px: {v}" for v in _violations(page)]
                if page.evaluate(_SIDEWAYS) > 0:
                    problems.append(f"{url} at {width}px scrolls sideways")
    finally:
        context.close()
    assert problems == []
    assert failed == []


def test_the_keyboard_reaches_the_switch_the_search_and_the_filters(browser, demo_live_server):
    context = browser.new_context(base_url=demo_live_server, viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        page.goto("/public/contracts")
        reached = []
        for _ in range(40):
            page.keyboard.press("Tab")
            reached.append(page.evaluate(
                "() => { const e = document.activeElement; return e.id || e.getAttribute('hreflang') || e.className || e.textContent.trim(); }"))
        assert reached[0] == "skip-link"
        assert "es" in reached  # the language switch
        for field in ("filter-q", "filter-priority", "filter-department", "filter-status"):
            assert field in reached
        # The switch works from the keyboard and the choice sticks.
        page.focus("a[hreflang=es]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("html").get_attribute("lang") == "es"
        page.goto("/public")
        assert page.locator("h1").inner_text().startswith("Cómo van")
        # The filters, from the keyboard: choose a status and submit with Enter.
        page.goto("/public/contracts?lang=en")
        page.focus("#filter-status")
        page.select_option("#filter-status", "off_track")
        page.focus("#filter-q")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "status=off_track" in page.url
        assert page.locator("td[data-label=Status]").first.inner_text().strip().endswith("Behind target")
    finally:
        context.close()
