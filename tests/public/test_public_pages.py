"""The public site as an anonymous visitor of the demo city sees it: every page reachable from
/public is crawled, and nothing internal may appear on any of them or in their downloads."""
import csv
import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import select

from contracts_app.contracts.models import Contract
from contracts_app.extensions import db
from contracts_app.priorities.models import Priority
from contracts_app.ocds.export import release_package
from tests.ocds.conftest import schema_errors

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
LINK = re.compile(r'href="(/public[^"#]*)"')


def _links(html):
    for href in LINK.findall(html):
        href = href.replace("&amp;", "&")
        parts = urlsplit(href)
        args = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"]
        if parts.path.startswith("/public/data/"):
            continue  # the nightly files: not written in a test database
        yield parts.path + (f"?{urlencode(args)}" if args else "")


def crawl(client, start="/public", headers=None):
    """{url: response} of every /public address reachable from ``start`` by links."""
    seen, queue = {}, [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url, headers=headers or {})
        seen[url] = response
        if response.mimetype == "text/html":
            for link in _links(response.get_data(as_text=True)):
                if link not in seen:
                    queue.append(link)
    return seen


@pytest.fixture
def crawled(app, public_city):
    return crawl(app.test_client())


def test_every_page_answers_and_shows_nothing_internal(crawled, public_city):
    assert len(crawled) > 40
    pages = [url for url, r in crawled.items() if r.mimetype == "text/html"]
    assert any(url.startswith("/public/priorities/") for url in pages)
    assert sum(1 for url in pages if re.fullmatch(r"/public/contracts/\d+", url)) == len(public_city.public_ids)
    problems = []
    for url, response in crawled.items():
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        text = response.get_data(as_text=True)
        for address in EMAIL.findall(text):
            problems.append(f"{url}: an email address {address}")
        for what, values in public_city.forbidden.items():
            for value in values:
                if value and value in text:
                    problems.append(f"{url}: {what} {value[:60]!r}")
        for hidden in public_city.hidden_ids:
            if re.search(rf"/public/contracts/{hidden}(?![0-9])", text):
                problems.append(f"{url}: links the hidden contract {hidden}")
    assert problems == []


def test_the_crawl_reaches_the_downloads(crawled, public_city):
    downloads = {url for url, r in crawled.items() if r.mimetype != "text/html"}
    assert "/public/priorities.csv" in downloads
    assert f"/public/contracts/{public_city.outreach_id}.csv" in downloads
    assert f"/public/contracts/{public_city.outreach_id}/ocds.json" in downloads


@pytest.mark.parametrize("suffix", ["", ".csv", "/ocds.json"])
def test_archived_non_public_and_unknown_contracts_are_not_found(client, public_city, suffix):
    non_public = next(i for i in public_city.hidden_ids if i != public_city.archived_id)
    for contract_id in (public_city.archived_id, non_public, 999999):
        response = client.get(f"/public/contracts/{contract_id}{suffix}")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "Page not found" in page and 'pub-nav' in page  # the public layout, not the staff one
        assert "Sign in" not in page


def test_unknown_priorities_and_addresses_get_the_public_not_found_page(client, public_city):
    for url in ("/public/priorities/999999", "/public/priorities/999999.csv", "/public/no-such-page"):
        response = client.get(url)
        assert response.status_code == 404
        assert 'pub-nav' in response.get_data(as_text=True)
    spanish = client.get("/public/no-such-page?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in spanish and "Página no encontrada" in spanish


def test_a_resident_finds_homelessness_and_its_contracts(client, public_city):
    home = client.get("/public").get_data(as_text=True)
    assert "Reduce unsheltered homelessness 25% by 2027" in home
    priority = db.session.scalar(select(Priority).where(Priority.name.like("Reduce unsheltered%")))
    page = client.get(f"/public/priorities/{priority.id}").get_data(as_text=True)
    assert "Street outreach" in page and "Youth drop-in center" not in page  # archived
    assert "Eviction prevention legal aid" not in page  # not public
    assert re.search(r"\d+ of \d+ active contracts", page)
    assert "<caption>Contracts on track by month</caption>" in page
    for words in ("On track", "Data late"):
        assert words in page


def test_search_and_filters(client, public_city):
    found = client.get("/public/contracts?q=outreach").get_data(as_text=True)
    assert "Street outreach" in found and "Winter shelter beds operations" not in found
    assert re.search(r"\d+ contracts? match", found)
    # Filters narrow the list to what the database says.
    priority = db.session.scalar(select(Priority).where(Priority.name.like("Vision Zero%")))
    listed = client.get(f"/public/contracts?priority={priority.id}&department=Transportation").get_data(as_text=True)
    expected = [
        c.title for c in db.session.scalars(select(Contract).where(
            Contract.is_public.is_(True), Contract.archived_at.is_(None), Contract.department == "Transportation"))
        if priority in c.priorities
    ]
    assert expected and all(title in listed for title in expected)
    assert "Street outreach" not in listed
    behind = client.get("/public/contracts?status=off_track").get_data(as_text=True)
    rows = re.findall(r'<td data-label="Status">(.*?)</td>', behind, re.S)
    assert rows and all("Behind target" in row for row in rows)
    # Values that are not options are ignored rather than failing.
    assert client.get("/public/contracts?priority=abc&status=nope&department=Nowhere&page=-3").status_code == 200
    everything = client.get("/public/contracts?page=999").get_data(as_text=True)
    assert "Contracts, page 2 of 2" in everything
    # The canonical address carries the filters, in order, without the language.
    shared = client.get("/public/contracts?status=off_track&q=street&lang=es").get_data(as_text=True)
    assert 'rel="canonical" href="http://localhost/public/contracts?q=street&amp;status=off_track"' in shared


def test_the_csv_downloads_read_back(client, public_city):
    response = client.get("/public/contracts.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(int(r["contract_id"]) for r in rows) == sorted(public_city.public_ids)
    assert {r["status"] for r in rows} <= {"on_track", "at_risk", "off_track", "overdue", "no_data"}

    outreach = list(csv.DictReader(io.StringIO(
        client.get(f"/public/contracts/{public_city.outreach_id}.csv").get_data(as_text=True).lstrip("\ufeff"))))
    metrics = {r["metric"] for r in outreach}
    assert "Placements into shelter or housing" in metrics and public_city.forbidden["hidden metric"][0] not in metrics
    assert all(r["period_start"] <= r["period_end"] for r in outreach)

    priorities = list(csv.DictReader(io.StringIO(client.get("/public/priorities.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(priorities) == db.session.query(Priority).count()
    first = priorities[0]["priority_id"]
    months = list(csv.DictReader(io.StringIO(
        client.get(f"/public/priorities/{first}.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert months and all(int(m["contracts_on_track"]) <= int(m["contracts_with_data"]) <= int(m["contracts"]) for m in months)


def test_the_contract_ocds_is_a_valid_package_of_that_contract_alone(client, public_city, app):
    response = client.get(f"/public/contracts/{public_city.outreach_id}/ocds.json")
    package = json.loads(response.get_data(as_text=True))
    assert schema_errors(package) == []
    assert [r["ocid"] for r in package["releases"]] == [f"{app.config['OCDS_OCID_PREFIX']}-{public_city.outreach_id}"]
    assert public_city.forbidden["hidden metric"][0] not in response.get_data(as_text=True)


def test_each_contract_ocds_holds_the_release_the_city_package_holds(client, public_city, app):
    with app.app_context():
        city = {r["ocid"]: r for r in release_package()["releases"]}
    assert len(city) > 5
    archived = set(db.session.scalars(select(Contract.id).where(Contract.archived_at.is_not(None))))
    for ocid, release in city.items():
        contract_id = int(ocid.rsplit("-", 1)[1])
        response = client.get(f"/public/contracts/{contract_id}/ocds.json")
        if contract_id in archived:  # in the open data as terminated or cancelled; no page of its own
            assert response.status_code == 404
            continue
        package = response.get_json()
        assert package["releases"] == [release]
        assert package["publishedDate"] == release["date"]


def test_a_contract_page_shows_what_residents_need(client, public_city):
    page = client.get(f"/public/contracts/{public_city.outreach_id}").get_data(as_text=True)
    for text in ("People living outside are not connected to shelter or housing.", "Harbor Light Services",
                 "Performance-based incentives or penalties", "$1,200,000", "Placements into shelter or housing",
                 "Data last updated", "Outreach teams fully staffed (6 FTE)", "<th scope=\"row\">"):
        assert text in page
    # Each public metric: a chart with a text alternative and its table equivalent.
    assert page.count('role="img"') >= 2 * 2  # drawn for wide screens and phones
    assert "<caption>Placements into shelter or housing by period</caption>" in page


class _Text(HTMLParser):
    """The text a visitor reads or hears: text nodes and the attributes assistive technology reads."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "alt", "title", "placeholder") and value:
                self.parts.append(value.strip())
            if tag == "meta" and name == "content" and value and dict(attrs).get("name") == "description":
                self.parts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def _english_patterns():
    """A pattern per interface message whose Spanish differs from its English."""
    from babel.messages.pofile import read_po

    with open("contracts_app/translations/es/LC_MESSAGES/messages.po", "rb") as file:
        catalog = read_po(file, locale="es")
    patterns = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        for english in ids:
            if english in strings:
                continue
            if len(re.sub(r"%\(\w+\)s", "", english).strip()) < 8:
                continue  # a pattern like "Q%(quarter)s %(year)s" would match the city's own words
            pattern = re.escape(english)
            pattern = re.sub(r"%\\\((\w+)\\\)s", ".+", pattern)
            patterns.append((english, re.compile(rf"^{pattern}$")))
    return patterns


def test_the_spanish_pages_have_no_untranslated_interface_text(app, public_city):
    client = app.test_client()
    english = crawl(app.test_client())
    patterns = _english_patterns()
    problems = []
    for url, response in english.items():
        if response.mimetype != "text/html":
            continue
        spanish = client.get(url, headers={"Accept-Language": "es-US,es;q=0.9"})
        html = spanish.get_data(as_text=True)
        assert '<html lang="es">' in html, url
        parser = _Text()
        parser.feed(html)
        for part in parser.parts:
            for message, pattern in patterns:
                if pattern.match(part):
                    problems.append(f"{url}: {message!r}")
    assert problems == []
    # Dates and money are written the Spanish way.
    page = client.get(f"/public/contracts/{public_city.outreach_id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "1 jul 2025" in page and "Datos actualizados por última vez el" in page
