"""Issue 12, section 3: under the Content-Security-Policy (no inline script or style) the main
pages of the demo city render without a single violation in Chromium: no "Refused to apply
inline style" or "Refused to execute inline script" in the console, no securitypolicyviolation
event. (test_every_page.py fails on any console error on every page as well; this one names
the policy and checks that it is enforced at all.)

``RDC_E2E_SCREENSHOTS=DIR`` saves each page at a phone's and a desktop's width."""
import os
import re
from pathlib import Path

import pytest

from tests.e2e.test_every_page import DEMO_USERS, _LIVE_CONTRACT  # noqa: F401  (the demo's people)

WIDTHS = (390, 1366)

# Each securitypolicyviolation event the page sees, kept on window for the test to read.
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline')
    + (event.sample ? ': ' + event.sample : ''));
});
"""


@pytest.fixture(scope="module")
def demo_ids(demo_live_app):
    from sqlalchemy import text

    from contracts_app.extensions import db

    with demo_live_app.app_context():
        contract = db.session.execute(text(_LIVE_CONTRACT)).scalar()
        priority = db.session.execute(text("SELECT min(id) FROM priorities")).scalar()
        db.session.remove()
    return {"contract": contract, "priority": priority}


def _signed_in(browser, base_url, email):
    from contracts_app.demo.loader import demo_password

    context = browser.new_context(base_url=base_url, viewport={"width": WIDTHS[-1], "height": 900})
    context.set_default_timeout(20000)
    context.add_init_script(_RECORD_VIOLATIONS)
    page = context.new_page()
    seen = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto("/login?next=/inbox")
    page.fill("#email", email)
    page.fill("#password", demo_password())
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/login" not in page.url
    return context, page, seen


def _violations(page, seen):
    return list(seen) + page.evaluate("() => window.__cspViolations || []")


def _screenshot(page, url, width):
    directory = os.environ.get("RDC_E2E_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", url.strip("/")) or "home"
        page.screenshot(path=str(Path(directory) / f"csp-{name}-{width}.png"), full_page=True)


# (who, the pages they work on)
PAGES = [
    ("cdo", ["/", "/portfolio", "/priorities/{priority}", "/portfolio/evidence", "/portfolio/not-working",
             "/contracts/{contract}", "/portfolio/contracts/{contract}"]),
    ("procurement_officer", ["/contracts", "/contracts/new", "/contracts/{contract}", "/work"]),
    ("contract_manager", ["/work", "/contracts/{contract}", "/flags"]),
]


@pytest.mark.parametrize("role, urls", PAGES, ids=[role for role, _ in PAGES])
def test_the_main_pages_break_no_rule_of_the_policy(browser, demo_live_server, demo_ids, role, urls):
    context, page, seen = _signed_in(browser, demo_live_server, DEMO_USERS[role])
    try:
        problems = []
        for template in urls:
            url = template.format(**demo_ids)
            seen.clear()
            response = page.goto(url, wait_until="load")
            assert response.status == 200, url
            assert "script-src 'self'" in response.headers["content-security-policy"]
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                _screenshot(page, url, width)
            problems += [f"{url}: {violation}" for violation in _violations(page, seen)]
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_the_policy_is_enforced(browser, demo_live_server):
    """The check above can fail: an inline style added to a page is refused and reported."""
    context, page, seen = _signed_in(browser, demo_live_server, DEMO_USERS["viewer"])
    try:
        page.goto("/portfolio", wait_until="load")
        page.evaluate("() => document.body.insertAdjacentHTML('beforeend', '<p id=\"inline\" style=\"color: rgb(255, 0, 0)\">x</p>')")
        page.wait_for_function("() => window.__cspViolations.length > 0")
        assert page.evaluate("() => getComputedStyle(document.getElementById('inline')).color") != "rgb(255, 0, 0)"
        assert any("style-src" in violation for violation in _violations(page, seen))
    finally:
        context.close()
