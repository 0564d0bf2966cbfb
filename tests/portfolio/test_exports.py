"""CSV exports of the register and of readings: contents, headers, escaping, filters, BOM."""
import csv
import io
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from contracts_app.db_types import utcnow
from contracts_app.metrics.status import today_for
from contracts_app.portfolio.exports import REGISTER_COLUMNS, READING_COLUMNS, cell
from tests.querycount import count_queries


def _rows(response):
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _register(client, **args):
    return client.get("/portfolio/export/contracts.csv", query_string=args)


def _readings(client, **args):
    return client.get("/portfolio/export/readings.csv", query_string=args)


def test_it_sends_the_register_as_a_dated_utf8_attachment(app, client_as, factory):
    factory.make_contract()
    response = _register(client_as("viewer"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = today_for(utcnow()).isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="contracts-{today}.csv"'
    assert response.is_streamed
    assert response.get_data().startswith(b"\xef\xbb\xbf")


def test_it_writes_the_register_columns(app, client_as, factory, users):
    first, second = factory.make_priority(name="Vision Zero"), factory.make_priority(name="Clean streets")
    factory.make_contract(
        reference="TR-1", title="Corridor redesign", kind="grant", department="Transportation",
        vendor=factory.make_vendor(name="Meridian"), value="1250000.50", currency="EUR",
        start_date=date(2025, 1, 1), end_date=date(2026, 12, 31), payment_structure="milestone",
        health="at_risk", priorities=[first, second], contract_manager_id=users["contract_manager"].id, is_public=False,
        procurement_method="selective", bids_received=4,
    )
    header, row = _rows(_register(client_as("viewer")))
    assert header == REGISTER_COLUMNS
    assert row == [
        "TR-1", "Corridor redesign", "Grant", "Transportation", "Meridian", "1250000.50", "EUR", "2025-01-01",
        "2026-12-31", "Active", "At risk", "Milestone payments", "Clean streets; Vision Zero",
        users["contract_manager"].name, "no", "selective", "4", "yes", "no", "no", "no", "0.00",
    ]


def test_it_writes_the_procurement_and_spend_columns(app, client_as, factory, db):
    from contracts_app.spend.models import Payment

    vendor = factory.make_vendor(name="Harbor", is_small=True, is_diverse=True)
    first = factory.make_contract(reference="A-1", vendor=vendor, start_date=date(2024, 1, 1), end_date=date(2024, 12, 31))
    factory.make_contract(reference="A-2", vendor=vendor, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    db.session.add_all([
        Payment(contract_id=first.id, paid_on=date(2024, 2, 1), amount=Decimal("1000.10"), invoice_reference="I-1"),
        Payment(contract_id=first.id, paid_on=date(2024, 3, 1), amount=Decimal("500"), invoice_reference="I-2"),
        Payment(contract_id=first.id, paid_on=date(2024, 3, 1), amount=Decimal("900"), invoice_reference="I-3",
                voided_at=utcnow()),
    ])
    db.session.commit()
    rows = {row[0]: row for row in _rows(_register(client_as("viewer")))[1:]}
    columns = REGISTER_COLUMNS.index("first-time vendor")
    assert rows["A-1"][columns:] == ["yes", "yes", "no", "yes", "1500.10"]
    assert rows["A-2"][columns:] == ["no", "yes", "no", "yes", "0.00"]


def test_it_applies_the_register_filters(app, client_as, factory):
    factory.make_contract(reference="ACTIVE-1")
    factory.make_contract(reference="DRAFT-1", status="draft")
    factory.make_contract(reference="OTHER-DEPT", department="Sanitation", status="draft")
    rows = _rows(_register(client_as("viewer"), status="draft", department="Human Services"))
    assert [row[0] for row in rows[1:]] == ["DRAFT-1"]


def test_it_leaves_out_archived_contracts_unless_asked(app, client_as, db, factory):
    factory.make_contract(reference="LIVE")
    archived = factory.make_contract(reference="GONE")
    archived.archived_at = utcnow()
    db.session.commit()
    client = client_as("viewer")
    assert [row[0] for row in _rows(_register(client))[1:]] == ["LIVE"]
    assert [row[0] for row in _rows(_register(client, archived="all"))[1:]] == ["GONE", "LIVE"]


def test_it_follows_the_register_sort(app, client_as, factory):
    factory.make_contract(reference="A-1", value="5")
    factory.make_contract(reference="B-1", value="9")
    rows = _rows(_register(client_as("viewer"), sort="value", dir="desc"))
    assert [row[0] for row in rows[1:]] == ["B-1", "A-1"]


@pytest.mark.parametrize("args", [
    {"priority": "abc"}, {"vendor": "-1"}, {"status": "bogus"}, {"sort": "DROP TABLE"}, {"page": "9" * 30},
    {"health": "OFF"}, {"q": "%' OR 1=1 --"}, {"endpoint": "x"}, {"_scheme": "javascript"},
])
def test_it_never_fails_on_bad_register_filters(app, client_as, factory, args):
    factory.make_contract()
    response = _register(client_as("viewer"), **args)
    assert response.status_code == 200
    assert _rows(response)[0] == REGISTER_COLUMNS


def test_it_refuses_a_nul_byte_without_failing(app, client_as):
    assert _register(client_as("viewer"), q="a\x00b").status_code < 500


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd"])
def test_it_neutralises_formulas_in_text_cells(app, client_as, factory, text):
    factory.make_contract(title=text, vendor=factory.make_vendor(name=f"V {text}"))
    (_header, row) = _rows(_register(client_as("viewer")))
    assert row[1] == "'" + text
    assert row[4] == f"V {text}"


def test_it_keeps_commas_quotes_and_newlines_in_one_cell(app, client_as, factory):
    factory.make_contract(title='Repairs, "phase 2"\nand more')
    (_header, row) = _rows(_register(client_as("viewer")))
    assert row[1] == 'Repairs, "phase 2"\nand more'


def test_it_writes_plain_values_without_quoting_numbers_and_dates(app):
    from decimal import Decimal

    assert cell(Decimal("-5.25")) == "-5.25"
    assert cell(date(2025, 1, 2)) == "2025-01-02"
    assert cell(None) == "" and cell(True) == "yes"


def _metric_with_readings(factory, users, contract=None, name="Placements"):
    contract = contract or factory.make_contract(reference="HS-1")
    metric = factory.make_metric(contract, name=name, unit="people")
    factory.make_reading(metric, date(2025, 7, 1), "21.5", status="on_track", note="=cmd|' /C calc'!A0",
                         recorded_by_id=users["contract_manager"].id,
                         recorded_at=datetime(2025, 8, 5, 14, 30, tzinfo=timezone.utc))
    factory.make_reading(metric, date(2025, 8, 1), 17, status="off_track")
    return metric


def test_it_writes_the_reading_columns(app, client_as, factory, users):
    _metric_with_readings(factory, users)
    header, first, second = _rows(_readings(client_as("viewer")))
    assert header == READING_COLUMNS
    assert first == [
        "HS-1", "Placements", "people", "2025-07-01", "2025-07-31", "21.5", "On track", "'=cmd|' /C calc'!A0",
        users["contract_manager"].name, "2025-08-05T14:30:00+00:00",
    ]
    assert second[:7] == ["HS-1", "Placements", "people", "2025-08-01", "2025-08-31", "17", "Off track"]
    assert second[8] == ""


def test_it_filters_readings_by_contract_and_by_metric(app, client_as, factory, users):
    metric = _metric_with_readings(factory, users)
    other_metric = _metric_with_readings(factory, users, contract=metric.contract, name="Days to placement")
    other_contract = factory.make_contract(reference="HS-2")
    _metric_with_readings(factory, users, contract=other_contract)
    client = client_as("viewer")
    by_contract = _readings(client, contract=metric.contract_id)
    assert {row[0] for row in _rows(by_contract)[1:]} == {"HS-1"}
    assert len(_rows(by_contract)) == 5
    assert 'filename="readings-HS-1-' in by_contract.headers["Content-Disposition"]
    by_metric = _rows(_readings(client, metric=other_metric.id))
    assert {row[1] for row in by_metric[1:]} == {"Days to placement"} and len(by_metric) == 3
    assert len(_rows(_readings(client))) == 7


def test_it_names_the_file_safely_whatever_the_reference(app, client_as, factory):
    contract = factory.make_contract(reference='Ré"f/1\r\nX')
    response = _readings(client_as("viewer"), contract=contract.id)
    assert response.status_code == 200
    assert re.fullmatch(r'attachment; filename="readings-R--f-1--X-\d{4}-\d\d-\d\d\.csv"',
                        response.headers["Content-Disposition"])


def test_it_leaves_out_readings_of_archived_contracts_unless_one_is_asked_for(app, client_as, db, factory, users):
    metric = _metric_with_readings(factory, users)
    metric.contract.archived_at = utcnow()
    db.session.commit()
    client = client_as("viewer")
    assert len(_rows(_readings(client))) == 1
    assert len(_rows(_readings(client, contract=metric.contract_id))) == 3


@pytest.mark.parametrize("args", [{"contract": "abc"}, {"metric": "-1"}, {"contract": "0"}, {"metric": "9" * 40},
                                  {"contract": "1.5"}, {"metric": "١"}])
def test_it_answers_400_for_a_bad_id(app, client_as, args):
    assert _readings(client_as("viewer"), **args).status_code == 400


@pytest.mark.parametrize("key", ["contract", "metric"])
def test_it_answers_404_for_an_unknown_id(app, client_as, key):
    assert _readings(client_as("viewer"), **{key: 999}).status_code == 404


def test_it_links_the_exports_from_the_register_and_the_metric_page(app, client_as, factory, users):
    metric = _metric_with_readings(factory, users)
    client = client_as("viewer")
    register = client.get("/contracts?status=active&department=Human+Services&page=2").get_data(as_text=True)
    link = re.search(r'href="(/portfolio/export/contracts\.csv[^"]*)"', register).group(1)
    assert "status=active" in link and "department=Human+Services" in link and "page=" not in link
    page = client.get(f"/metrics/{metric.id}").get_data(as_text=True)
    assert f"/portfolio/export/readings.csv?metric={metric.id}" in page


def _count(client, url):
    with count_queries() as counter:
        response = client.get(url)
        response.get_data()
    assert response.status_code == 200
    return counter.count


def test_it_runs_as_many_queries_for_200_contracts_as_for_10(app, build_city, client_as):
    client = client_as("cdo")
    build_city(10)
    urls = ["/portfolio/export/contracts.csv", "/portfolio/export/readings.csv"]
    small = {url: _count(client, url) for url in urls}
    build_city(190)
    assert {url: _count(client, url) for url in urls} == small
