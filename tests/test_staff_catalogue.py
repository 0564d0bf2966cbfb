"""The staff interface is ready to translate: every piece of interface text goes through the
message catalogue.

The proof is a pseudo-translation, built at test time: the messages are extracted from the code
and templates as `make translations` does, each one "translated" into a marked form
(``⟦Sïgñ öüt⟧``), compiled into a catalogue for a language of its own and offered to the staff
pages. Signed in as each role of the demo city (and as a vendor contact), every page a person
reaches by a plain GET is rendered in that language; what is left after taking out the marked
text is the city's own content as entered (names, titles, notes: any text stored in the
database), addresses, numbers and dates. Any English word left is text the catalogue misses.
"""
import os
import re
import tempfile
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from sqlalchemy import String, Text, select

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.vendors.models import VendorAccess
from tests import factories
from tests.conftest import demo_city
from tests.demo.conftest import NOW

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PSEUDO = "eo"  # a real locale (Babel knows it) that the app does not ship
PSEUDO_DIR = tempfile.mkdtemp(prefix="rdc-pseudo-catalogue-")
REAL_DIR = os.path.join(ROOT, "contracts_app", "translations")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
ACCENTS = str.maketrans("AaEeIiOoUuNnCcYy", "ÄäÉéÏïÖöÜüÑñÇçŸÿ")
KEEP_IN_MESSAGE = re.compile(r"%\([A-Za-z_0-9]+\)[sd]|%%|&[a-z]+;|&#\d+;|<[^>]+>")

# Words that are not interface text in any language: the product, formats and standards, time
# zones, and the names the city's own data is shown by.
ALLOWED = {
    "RDC", "Tracker", "CSV", "XLSX", "OCDS", "JSON", "API", "CKAN", "Socrata", "UTC", "EST", "EDT",
    "CST", "CDT", "MST", "MDT", "PST", "PDT", "ID", "ics", "iCalendar", "URL", "KPI", "pdf", "PDF", "png", "jpg",
    "English", "Esperanto",  # a language's name is written in that language
}
# What Works Cities criteria codes (RDC4, PA2).
CODES = re.compile(r"\b(?:RDC|PA)\d+\b")
# A date as the staff pages write it ("24 Nov 2026", "November 2026") in the language's month names.
DATE = re.compile(r"\b\d{1,2} [^\W\d_]{3,10}\.? \d{4}\b|\b[^\W\d_]{3,10}\.? \d{4}\b")
SKIP_ENDPOINTS = {
    "auth.oidc_callback", "vendors.invitation", "attachments.download", "operations.healthz",
    "operations.metrics", "management.checkin_ics", "imports.template", "imports.readings_download",
    "portfolio.export_register", "portfolio.export_readings", "portfolio.priority_moved", "main.index",
}


def _pseudo(text):
    out, last = [], 0
    for m in KEEP_IN_MESSAGE.finditer(text):
        out.append(text[last:m.start()].translate(ACCENTS))
        out.append(m.group(0))
        last = m.end()
    out.append(text[last:].translate(ACCENTS))
    return "⟦" + "".join(out) + "⟧"


def _build_pseudo_catalogue():
    with open(os.path.join(ROOT, "babel.cfg"), encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    catalog = Catalog(locale=PSEUDO)
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS,
        directory_filter=lambda path: os.path.basename(path) not in {".venv", "node_modules", ".git"},
    ):
        if isinstance(message, tuple):
            catalog.add(message, tuple(_pseudo(m) for m in message[:2]))
        else:
            catalog.add(message, _pseudo(message))
    folder = os.path.join(PSEUDO_DIR, PSEUDO, "LC_MESSAGES")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "messages.mo"), "wb") as file:
        write_mo(file, catalog)
    return len(catalog)


class _Text(HTMLParser):
    """The text a person reads or hears: text nodes and the attributes assistive technology reads
    (and the labels a stacked table shows)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):  # code: column names, commands, as typed
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "alt", "title", "placeholder", "data-label") and value:
                self.parts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def _city_content():
    """Every string the database holds: the city's own content, shown as entered."""
    values = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        for column in columns:
            for value in db.session.execute(select(column).distinct()).scalars():
                if value and len(value.strip()) > 1:
                    values.add(" ".join(value.split()))
    return sorted(values, key=len, reverse=True)


def _untranslated(part, content):
    while True:  # marked messages, innermost first (a message can hold another)
        stripped = re.sub(r"⟦[^⟦⟧]*⟧", " ", part)
        if stripped == part:
            break
        part = stripped
    if not re.search(r"[A-Za-z]{2,}", part):
        return []
    shortened = part.strip().rstrip("….").rstrip()
    if part.strip().endswith(("…", "...")) and any(value.startswith(shortened) for value in content):
        return []  # the city's text cut short (|truncate)
    for value in content:
        if value in part:
            part = part.replace(value, " ")
    part = re.sub(r"\S+@\S+|https?://\S+|/\S*", " ", part)
    part = DATE.sub(" ", part)
    part = CODES.sub(" ", part)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", part) if w not in ALLOWED]


def _urls(app, ids):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        if rule.rule.startswith(("/public", "/static", "/api")):
            continue
        values = {}
        for argument in rule.arguments:
            if ids.get(argument) is None:
                break
            values[argument] = ids[argument]
        else:
            yield rule.endpoint, rule.build(values, append_unknown=False)[1]


@pytest.fixture
def pseudo_app(app):
    count = _build_pseudo_catalogue()
    assert count > 500, "the extraction found almost nothing: babel.cfg no longer finds the sources"
    babel_config = app.extensions["babel"]
    babel_config.translation_directories = [REAL_DIR, PSEUDO_DIR]
    # Staff pages, and vendor contacts' (offered the public site's languages).
    app.config["STAFF_LANGUAGES"] = [PSEUDO]
    app.config["PUBLIC_LANGUAGES"] = [PSEUDO]
    from flask_babel import refresh

    with app.test_request_context():
        refresh()
    return app


def _ids(vendor_contract):
    from contracts_app.management.models import CheckIn, Flag
    from contracts_app.metrics.models import Metric, Reading
    from contracts_app.milestones.models import Milestone
    from contracts_app.priorities.models import Priority
    from contracts_app.contracts.models import Department

    contract = vendor_contract
    first = lambda model, *where: db.session.scalar(select(model.id).where(*where).order_by(model.id))  # noqa: E731
    return {
        "contract_id": contract.id,
        "metric_id": first(Metric, Metric.contract_id == contract.id),
        "reading_id": first(Reading, Reading.metric_id == first(Metric, Metric.contract_id == contract.id)),
        "milestone_id": first(Milestone, Milestone.contract_id == contract.id),
        "checkin_id": first(CheckIn, CheckIn.contract_id == contract.id, CheckIn.status == "held"),
        "flag_id": first(Flag, Flag.contract_id == contract.id) or first(Flag),
        "priority_id": first(Priority),
        "vendor_id": contract.vendor_id,
        "department_id": first(Department),
        "user_id": first(User, User.role == "contract_manager"),
        "criterion": "goals",
    }


def test_every_staff_and_vendor_page_is_translatable(pseudo_app):
    from contracts_app.demo.loader import demo_password

    demo_city(NOW)
    # A contract with everything: metrics, readings, milestones, check-ins and flags.
    contract = db.session.scalar(select(Contract).where(Contract.reference == "HS-2025-014"))
    vendor_user = factories.make_user("vendor", name="Dana Cole", email="dana@vendor.test", vendor_id=contract.vendor_id)
    db.session.add(VendorAccess(contract_id=contract.id, user_id=vendor_user.id, granted_by_id=contract.contract_manager_id))
    db.session.commit()
    ids = _ids(contract)
    content = _city_content() + ["Dana Cole"]
    signed_in = {
        "admin": ("admin@demo.city", demo_password()),
        "procurement officer": ("ana@demo.city", demo_password()),
        "contract manager": (contract.contract_manager.email, demo_password()),
        "cdo": ("priya@demo.city", demo_password()),
        "viewer": ("victor@demo.city", demo_password()),
        "vendor": ("dana@vendor.test", factories.PASSWORD),
    }
    problems, pages = {}, 0

    def check(who, url, response):
        nonlocal pages
        if response.status_code != 200 or response.mimetype != "text/html":
            return
        pages += 1
        html = response.get_data(as_text=True)
        assert f'<html lang="{PSEUDO}">' in html, url
        parser = _Text()
        parser.feed(html)
        for part in parser.parts:
            words = _untranslated(part, content)
            if words:
                problems.setdefault(part, f"{who} {url}: {' '.join(words)}")

    anonymous = pseudo_app.test_client()
    for url in ("/login", "/no-such-page", "/invitations/not-a-token"):
        check("anonymous", url, anonymous.get(url))
    for who, (email, password) in signed_in.items():
        client = pseudo_app.test_client()
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, who
        for _endpoint, url in _urls(pseudo_app, ids):
            check(who, url, client.get(url))
    _check_ocds_import(pseudo_app, signed_in["procurement officer"], content, check)
    assert pages > 100
    # Each problem: who, the page, the English words left, and (after ||) the text they are in.
    assert not problems, "\n".join(sorted(f"{where} || {text}" for text, where in problems.items()))


def _check_ocds_import(app, login, content, check):
    """The OCDS import's preview (what it will create and leave out, and what it skips) and its
    problems by JSON path: staged uploads are not among the ids the loop above visits."""
    import io
    import json

    from tests.ocds.test_import import package, release

    client = app.test_client()
    assert client.post("/login", data={"email": login[0], "password": login[1]}).status_code == 302
    good, cancelled = release("ocds-cat-1"), release("ocds-cat-2")
    cancelled["contracts"][0]["status"] = "cancelled"
    good["contracts"][0]["implementation"]["milestones"].append({"id": "m9", "title": "Undated"})
    bad = release("ocds-cat-3")
    bad["contracts"][0]["period"]["endDate"] = "next spring"
    content += ["Street cleaning", "Undated", "next spring", "catalogue.json"]

    def upload(data):
        return client.post("/imports/ocds", data={"file": (io.BytesIO(json.dumps(data).encode()), "catalogue.json")},
                           content_type="multipart/form-data")

    staged = upload(package(good, cancelled))
    assert staged.status_code == 302
    check("procurement officer", staged.headers["Location"], client.get(staged.headers["Location"]))
    check("procurement officer", "/imports/ocds (problems)", upload(package(bad)))
    check("procurement officer", "/imports/ocds (not JSON)", client.post(
        "/imports/ocds", data={"file": (io.BytesIO(b"{oops"), "catalogue.json")}, content_type="multipart/form-data"))
    done = client.post(staged.headers["Location"] + "/commit")
    assert done.status_code == 302
    check("procurement officer", staged.headers["Location"] + " (imported)", client.get(staged.headers["Location"]))
