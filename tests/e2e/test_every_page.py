"""Issue 10, section 5: every HTML page of the demo city at a phone's, a tablet's and a desktop's
width: the document never scrolls sideways, no chart's text is drawn under 12 px, the browser logs
no error, no request fails, and at the desktop width axe-core finds no accessibility violation.

The pages come from the URL map, so a route added later is visited without editing this file:
each GET rule that answers HTML is filled with ids of real demo rows (``ARGUMENTS``) and visited
as the first role, in ``ROLE_ORDER``, that may see it. A rule with an argument that has no
mapping fails and says so, rather than being skipped.

One browser; one context per role, signed in once and reused; pages visited one after another,
each loaded once at the phone's width and then laid out again at the wider ones.
``RDC_E2E_SCREENSHOTS=DIR`` also saves a full-page screenshot of every page at every width.
"""
import csv
import io
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from config import TestingConfig
from contracts_app import create_app
from contracts_app.extensions import db

WIDTHS = (390, 768, 1366)
AXE_WIDTH = 1366
HEIGHT = 900

# The first of these that gets a 200 sees the page. "anonymous" is for the sign-in page.
ROLE_ORDER = ("admin", "procurement_officer", "contract_manager", "cdo", "viewer", "vendor", "anonymous")
DEMO_USERS = {
    "admin": "admin@demo.city",
    "procurement_officer": "ana@demo.city",
    "contract_manager": "ben@demo.city",
    "cdo": "priya@demo.city",
    "viewer": "victor@demo.city",
    # Invited by Ben in ``demo_rows`` (the demo city has no vendor contacts of its own).
    "vendor": "dana.cole@harborlight.org",
}

# Rules that redirect for every role by design: visited by following the redirect.
# The home page sends each role to its own page; a moved page sends its old address to the new.
KNOWN_REDIRECTS = {"main.index", "portfolio.priority_moved"}
# Never visited: not pages.
# (a download: tests/attachments; the single sign-on callback: a redirect, tests/auth/test_single_sign_on.py)
NOT_PAGES = {"static", "auth.logout", "attachments.download", "auth.oidc_callback"}
# For machines, JSON and Prometheus text (tests/operations): /metrics does not exist without a token.
NOT_PAGES |= {"operations.healthz", "operations.metrics"}
# The published open data files are downloads (tests/publish).
NOT_PAGES |= {"public.data_file"}
DOWNLOAD_SUFFIXES = (".csv", ".ics", ".json", ".xml", ".pdf", ".zip", ".xlsx")

# A live (active, unarchived) contract with a pending check-in: the sweep proposed one because it
# has open flags, so its pages have metrics, flags and a check-in to show.
_LIVE_CONTRACT = (
    "SELECT min(c.id) FROM contracts c JOIN checkins k ON k.contract_id = c.id "
    "WHERE c.status = 'active' AND c.archived_at IS NULL AND k.status IN ('proposed', 'scheduled')"
)
# URL argument -> SQL giving one value that exists in the demo city (run after the sweep).
ARGUMENTS = {
    "contract_id": _LIVE_CONTRACT,
    "metric_id": f"SELECT min(id) FROM metrics WHERE contract_id = ({_LIVE_CONTRACT})",
    "reading_id": f"SELECT min(r.id) FROM readings r JOIN metrics m ON m.id = r.metric_id "
                  f"WHERE m.contract_id = ({_LIVE_CONTRACT})",
    "milestone_id": "SELECT min(m.id) FROM milestones m JOIN contracts c ON c.id = m.contract_id "
                    "WHERE c.status = 'active' AND c.archived_at IS NULL",
    "flag_id": "SELECT min(id) FROM flags WHERE resolved_at IS NULL",
    # Editing and recording need a check-in that is still pending.
    "checkin_id": "SELECT min(id) FROM checkins WHERE status IN ('proposed', 'scheduled')",
    "item_id": "SELECT min(id) FROM action_items",
    "priority_id": "SELECT min(id) FROM priorities",
    "department_id": "SELECT min(id) FROM departments",
    "vendor_id": "SELECT min(vendor_id) FROM contracts",
    "user_id": "SELECT min(id) FROM users WHERE role = 'contract_manager'",
    # Staged by the ``demo_rows`` fixture: the demo city has no import uploads.
    "upload_id": "SELECT min(id) FROM import_uploads",
    "template_id": "SELECT min(id) FROM contract_templates",
    "notification_id": "SELECT min(id) FROM notifications",
    # Payments: the street-outreach contract's rules and statements (drafted by the sweep; the
    # first one approved in ``demo_rows``, for its memo and the revise page).
    "rule_id": "SELECT min(id) FROM payment_rules",
    "statement_id": "SELECT max(id) FROM payment_statements WHERE status = 'draft'",
    "kind": "SELECT 'withhold'",
    # A payment of the live contract that is not voided (the demo city pays monthly).
    "payment_id": f"SELECT min(id) FROM payments WHERE contract_id = ({_LIVE_CONTRACT}) AND voided_at IS NULL",
    # An open renewal decision task (the sweep opens IT-2024-029's: it ends 120 days from today).
    "task_id": "SELECT min(t.id) FROM decision_tasks t WHERE NOT EXISTS "
               "(SELECT 1 FROM renewal_decisions d WHERE d.task_id = t.id)",
    # The council districts (the demo city's one dimension).
    "dimension_id": "SELECT min(id) FROM dimensions",
    "criterion": None,  # filled from the evidence page's criteria (see ``demo_rows``)
    "token": None,  # a valid invitation link, made in ``demo_rows``
}
# Where one endpoint shows more with another row than the argument's default.
ENDPOINT_ARGUMENTS = {
    # A metric reported by council district (street outreach placements): its table by group.
    "metrics.detail": {"metric_id": "SELECT min(metric_id) FROM metric_dimensions"},
    # A held check-in: attendees, notes, decisions and action items.
    "management.checkin_detail": {
        "checkin_id": "SELECT min(checkin_id) FROM action_items",
    },
    # The readings upload staged by ``demo_rows`` (the contracts one is another kind).
    "imports.readings_preview": {
        "upload_id": "SELECT min(id) FROM import_uploads WHERE kind = 'readings'",
    },
    # The payments upload staged by ``demo_rows``.
    "imports.payments_preview": {
        "upload_id": "SELECT min(id) FROM import_uploads WHERE kind = 'payments'",
    },
    # The OCDS upload staged by ``demo_rows``.
    "imports.ocds_preview": {
        "upload_id": "SELECT min(id) FROM import_uploads WHERE kind = 'ocds'",
    },
    # The contract the vendor contact made in ``demo_rows`` reports on.
    "vendors.contract": {"contract_id": "SELECT min(contract_id) FROM vendor_access"},
    # An approved statement's memo and revision.
    "payments.memo": {"statement_id": "SELECT min(id) FROM payment_statements WHERE status = 'approved'"},
    "payments.revise": {"statement_id": "SELECT min(id) FROM payment_statements WHERE status = 'approved'"},
    # The contract with payment terms and rules.
    "payments.contract_payments": {"contract_id": "SELECT min(contract_id) FROM payment_terms"},
    "payments.what_if": {"contract_id": "SELECT min(contract_id) FROM payment_terms"},
    "payments.terms": {"contract_id": "SELECT min(contract_id) FROM payment_terms"},
    "payments.new_rule": {"contract_id": "SELECT min(contract_id) FROM payment_terms"},
    # The public site shows public contracts that are not archived (others answer 404).
    "public.contract": {"contract_id": "SELECT min(id) FROM contracts WHERE is_public AND archived_at IS NULL"},
}

# Each element sticking out past the viewport's right edge that is not inside a clipping or
# scrolling box, outermost first (its descendants stick out because it does).
_OVERFLOW_SCRIPT = """() => {
  const root = document.documentElement, limit = root.clientWidth;
  const describe = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(part + '#' + e.id); break; }
      if (e.classList.length) part += '.' + [...e.classList].join('.');
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  // A box that clips or scrolls contains only what it is the containing block of: an absolutely
  // positioned child (a visually hidden label) escapes every static ancestor's overflow.
  const clipped = (el) => {
    let position = getComputedStyle(el).position;
    if (position === 'fixed') return false;
    for (let a = el.parentElement; a && a !== document.body && a !== root; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (position === 'absolute' && style.position === 'static') continue;
      if (style.overflowX !== 'visible') return true;
      if (style.position === 'fixed') return false;
      position = style.position;
    }
    return false;
  };
  const out = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit + 0.5 && !clipped(el)) out.add(el);
  }
  return [...out].filter((el) => !out.has(el.parentElement)).map((el) => {
    const box = el.getBoundingClientRect();
    return {selector: describe(el), right: Math.round(box.right), width: Math.round(box.width),
            text: (el.innerText || '').trim().slice(0, 60)};
  }).sort((a, b) => b.right - a.right).slice(0, 5);
}"""


# Text inside a shown SVG chart drawn smaller than 12 CSS px: its font size times the scale the
# chart is drawn at (a chart scales with its box).
_SMALL_TEXT_SCRIPT = """() => [...document.querySelectorAll('svg text')]
  .filter((el) => el.getClientRects().length && el.textContent.trim())
  .map((el) => {
    const m = el.getScreenCTM();
    return {px: parseFloat(getComputedStyle(el).fontSize) * Math.hypot(m.a, m.b), text: el.textContent.trim().slice(0, 40)};
  })
  .filter((item) => item.px < 11.95)
  .sort((a, b) => a.px - b.px)"""


def _page_rules():
    """Every GET rule of the app that may be an HTML page, in URL order."""
    app = create_app(TestingConfig)
    rules = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in NOT_PAGES or rule.rule.startswith("/api/") or "GET" not in rule.methods:
            continue
        if rule.rule.lower().endswith(DOWNLOAD_SUFFIXES) or rule.endpoint.endswith(("_csv", "_ics", "_json")):
            continue
        rules.append((rule.endpoint, rule.rule, sorted(rule.arguments)))
    return rules


PAGE_RULES = _page_rules()
_ENDPOINT_COUNTS = {}
for _endpoint, _rule, _args in PAGE_RULES:
    _ENDPOINT_COUNTS[_endpoint] = _ENDPOINT_COUNTS.get(_endpoint, 0) + 1


def _rule_id(entry):
    endpoint, rule, _args = entry
    return endpoint if _ENDPOINT_COUNTS[endpoint] == 1 else f"{endpoint}:{rule}"


@pytest.fixture(scope="module")
def demo_rows(demo_live_app):
    """The values ``ARGUMENTS`` names, read once from the demo database (after staging one
    import upload by the procurement officer, whose preview page is otherwise unreachable)."""
    from contracts_app.auth.models import User
    from contracts_app.imports.columns import template_rows
    from contracts_app.imports.services import stage_upload
    from contracts_app.portfolio.evidence import CRITERIA

    with demo_live_app.app_context():
        ana = db.session.scalar(db.select(User).where(User.email == DEMO_USERS["procurement_officer"]))
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(template_rows())
        stage_upload(buffer.getvalue(), "utf-8", "contracts.csv", ana)
        stage_upload("Metric id,Period start,Value,Note\r\n", "utf-8", "readings.csv", ana, kind="readings")
        stage_upload("Contract reference,Paid on,Amount,Invoice reference\r\n", "utf-8", "payments.csv", ana,
                     kind="payments")
        _stage_ocds(ana)
        _save_a_template(ana)
        token = _vendor_contact()
        _approve_a_statement(ana)

        def value(sql):
            return db.session.execute(text(sql)).scalar()

        values = {name: value(sql) for name, sql in ARGUMENTS.items() if sql}
        values["criterion"] = next(iter(CRITERIA))
        values["token"] = token
        overrides = {
            endpoint: {name: value(sql) for name, sql in args.items()}
            for endpoint, args in ENDPOINT_ARGUMENTS.items()
        }
        db.session.remove()
    return values, overrides


def _stage_ocds(ana):
    """An OCDS release package of one contract, staged by Ana as the upload page does."""
    import json

    from contracts_app.imports.services import stage_upload

    package = {"uri": "https://example.test/ocds.json", "version": "1.1", "publishedDate": "2026-11-01T00:00:00Z",
               "publisher": {"name": "Elsewhere"}, "releases": [{
                   "ocid": "ocds-e2e-1", "id": "r1", "date": "2026-11-01T00:00:00Z", "tag": ["contract"],
                   "initiationType": "tender", "parties": [], "contracts": [{"id": "c1", "awardID": "a1",
                                                                             "title": "Imported contract"}]}]}
    stage_upload(json.dumps(package), "utf-8", "ocds.json", ana, kind="ocds")


def _save_a_template(ana):
    """Ana saves the street-outreach contract as a template (the demo city ships none yet)."""
    from contracts_app.contracts.models import Contract
    from contracts_app.designs.services import save_from_contract

    contract = db.session.scalar(db.select(Contract).where(Contract.reference == "HS-2025-014"))
    save_from_contract(contract, ana, "Street outreach (demo)", "Street outreach", "Paid on placements.")


def _approve_a_statement(ana):
    """Ana approves the street-outreach contract's first statement (drafted by the sweep)."""
    from contracts_app.payments.models import PaymentStatement
    from contracts_app.payments.services import approve_statement

    statement = db.session.scalar(db.select(PaymentStatement).order_by(PaymentStatement.id))
    if statement is not None:
        approve_statement(statement, ana)


def _vendor_contact():
    """Ben invites Dana Cole of Harbor Light to the street outreach contract; she chooses the demo
    password and submits the latest due value of the first vendor-reported metric. Returns the
    token of a second, unused invitation, for the invitation page."""
    from contracts_app.contracts.models import Contract
    from contracts_app.db_types import utcnow
    from contracts_app.demo.loader import demo_password
    from contracts_app.notifications.models import Notification
    from contracts_app.vendors import queries, services

    contract = db.session.scalar(db.select(Contract).where(Contract.reference == "HS-2025-014"))
    ben = contract.contract_manager

    def invite():
        user, _ = services.invite_contact(contract, ben, "Dana Cole", DEMO_USERS["vendor"])
        link = db.session.scalar(
            db.select(Notification.link).where(Notification.recipient_id == user.id).order_by(Notification.id.desc())
        )
        return user, link.rsplit("/", 1)[1]

    dana, first = invite()
    services.accept_invitation(first, demo_password(), demo_password())
    rows = [row for row in queries.vendor_metrics(contract, utcnow()) if row.due]
    if rows:
        services.submit_value(contract, dana, rows[0].metric, rows[0].due[-1].period.start, 1, "A slow month: two staff out.")
    return invite()[1]


class RolePage:
    """One signed-in context and page for a role, with the problems its last visit met."""

    def __init__(self, browser, base_url, role):
        self.role = role
        self.context = browser.new_context(base_url=base_url, viewport={"width": WIDTHS[-1], "height": HEIGHT})
        self.context.set_default_timeout(20000)
        self.page = self.context.new_page()
        self.problems = []
        self.expected_url = None
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        if role != "anonymous":
            self._sign_in()

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error: {message.text} at {message.location.get('url', '')}")

    def _request_failed(self, request):
        # ERR_ABORTED is the browser dropping a request of the page it is leaving (the favicon,
        # fetched after "load", when the next visit starts): not the server failing.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    def _sign_in(self):
        from contracts_app.demo.loader import demo_password

        # Sent on to the inbox, a light page: each role's home page is visited as a page anyway.
        self.page.goto("/login?next=" + ("/vendor/" if self.role == "vendor" else "/inbox"))
        self.page.fill("#email", DEMO_USERS[self.role])
        self.page.fill("#password", demo_password())
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")
        assert "/login" not in self.page.url, f"{DEMO_USERS[self.role]} could not sign in"

    def status_of(self, url):
        """(status, content type) of a GET without following redirects, with this role's cookies."""
        response = self.context.request.get(url, max_redirects=0)
        try:
            return response.status, response.headers.get("content-type", "")
        finally:
            response.dispose()

    def load(self, url, width):
        """Load ``url`` at ``width``; returns the problems seen (an empty list when all is well)."""
        self.problems = []
        self.page.set_viewport_size({"width": width, "height": HEIGHT})
        response = self.page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            self.problems.append(f"the page answered {response and response.status}")
        return list(self.problems) + self.sideways_scroll() + self.small_chart_text()

    def resize(self, width):
        """Lay the loaded page out again at ``width`` (as turning a tablet does: the media
        queries apply without a reload); returns the problems seen."""
        self.problems = []
        self.page.set_viewport_size({"width": width, "height": HEIGHT})
        return list(self.problems) + self.sideways_scroll() + self.small_chart_text()

    def small_chart_text(self):
        """[] if every chart's text is shown at 12 px or more, else the smallest."""
        small = self.page.evaluate(_SMALL_TEXT_SCRIPT)
        return [f"chart text {item['px']:.1f}px (under 12px): {item['text']!r}" for item in small[:3]]

    def sideways_scroll(self):
        """[] if the document fits the viewport's width, else what sticks out."""
        sizes = self.page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,"
            " inner: window.innerWidth})"
        )
        # clientWidth is innerWidth less any vertical scrollbar: the stricter of the two.
        if sizes["scroll"] <= min(sizes["client"], sizes["inner"]):
            return []
        widest = self.page.evaluate(_OVERFLOW_SCRIPT)
        culprits = "; ".join(
            f"{item['selector']} (right edge {item['right']}px, {item['width']}px wide: {item['text']!r})"
            for item in widest
        ) or "no single element found"
        return [f"scrolls sideways: document {sizes['scroll']}px wide in a {sizes['client']}px viewport; {culprits}"]

    def axe_violations(self):
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        return [
            f"axe {item['id']} ({item['impact']}): {item['help']}; "
            + ", ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                        for node in item["nodes"][:3])
            + (f" and {len(item['nodes']) - 3} more" if len(item["nodes"]) > 3 else "")
            for item in results.response["violations"]
        ]

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def role_pages(browser, demo_live_server):
    """A lazily signed-in RolePage per role, shared by every page of the module."""
    pages = {}

    def get(role):
        if role not in pages:
            pages[role] = RolePage(browser, demo_live_server, role)
        return pages[role]

    yield get
    for role_page in pages.values():
        role_page.close()


def _url_for(app, endpoint, rule, values):
    for candidate in app.url_map.iter_rules(endpoint):
        if candidate.rule == rule:
            return candidate.build(values, append_unknown=False)[1]
    raise AssertionError(f"no rule {rule} for {endpoint}")


def _screenshot(page, endpoint, width):
    directory = os.environ.get("RDC_E2E_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", endpoint)
        page.screenshot(path=str(Path(directory) / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("endpoint, rule, arguments", PAGE_RULES, ids=[_rule_id(entry) for entry in PAGE_RULES])
def test_the_page_fits_every_width_without_errors(endpoint, rule, arguments, browser, demo_live_app, demo_rows, role_pages):
    values, overrides = demo_rows
    filled = {}
    for name in arguments:
        value = overrides.get(endpoint, {}).get(name, values.get(name))
        if value is None:
            pytest.fail(
                f"{rule} ({endpoint}) has the argument {name!r}, which {'maps to no demo row' if name in ARGUMENTS else 'has no mapping'}: "
                f"add it to ARGUMENTS (or ENDPOINT_ARGUMENTS) in {Path(__file__).name} with SQL that finds a real row"
            )
        filled[name] = value
    url = _url_for(demo_live_app, endpoint, rule, filled)

    seen = []
    chosen = None
    for role in ROLE_ORDER:
        status, content_type = role_pages(role).status_of(url)
        seen.append(f"{role}: {status}")
        if status >= 500:
            pytest.fail(f"{url} ({endpoint}) answered {status} to {role}: a server error, whoever asks")
        if status == 200 or (status in (301, 302, 303, 307, 308) and endpoint in KNOWN_REDIRECTS):
            chosen = role
            break
    if chosen is None:
        pytest.fail(
            f"no role sees {url} ({endpoint}) with 200 ({', '.join(seen)}): fill its arguments with other rows "
            "(ENDPOINT_ARGUMENTS) or, if it redirects by design, add it to KNOWN_REDIRECTS"
        )
    if status == 200 and "text/html" not in content_type:
        pytest.skip(f"{url} is a download ({content_type}), not a page")

    visitor = role_pages(chosen)
    problems = []
    for width in WIDTHS:
        seen_now = visitor.load(url, width) if width == WIDTHS[0] else visitor.resize(width)
        problems += [f"{width}px: {problem}" for problem in seen_now]
        _screenshot(visitor.page, endpoint, width)
        if width == AXE_WIDTH:
            problems += [f"{width}px: {violation}" for violation in visitor.axe_violations()]
    assert not problems, f"{url} as {chosen}:\n  " + "\n  ".join(problems)
