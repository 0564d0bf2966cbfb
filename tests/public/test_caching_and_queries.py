"""The public pages are cheap to serve: validators answer 304, the number of statements per page
does not grow with the city, and the monthly figures count public contracts and metrics only."""
from datetime import date, datetime, timezone

from contracts_app.extensions import db
from contracts_app.public import queries
from tests.querycount import count_queries


def test_a_page_answers_304_to_its_etag_and_changes_when_the_data_does(client, public_city, factory):
    first = client.get("/public")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"] and "max-age=60" in first.headers["Cache-Control"]
    again = client.get("/public", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    since = client.get("/public", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    # Another language or another query string is another representation.
    assert client.get("/public?lang=es", headers={"If-None-Match": etag}).status_code == 200
    assert client.get("/public/contracts?q=street", headers={"If-None-Match": etag}).status_code == 200
    # New data: a new reading on a public metric.
    contract = factory.make_contract(title="Brand-new public contract")
    metric = factory.make_metric(contract)
    factory.make_reading(metric, date(2025, 7, 1), 20)
    changed = client.get("/public", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_downloads_are_cacheable_too(client, public_city):
    response = client.get(f"/public/contracts/{public_city.outreach_id}.csv")
    assert client.get(f"/public/contracts/{public_city.outreach_id}.csv",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def _counts(client, urls):
    counts = {}
    for url in urls:
        with count_queries() as counter:
            assert client.get(url).status_code == 200, url
        counts[url] = counter.count
    return counts


def test_each_page_runs_the_same_statements_however_many_contracts(client, public_city, factory):
    priority_id = db.session.scalar(db.select(queries.Priority.id).order_by(queries.Priority.id))
    urls = ["/public", f"/public/priorities/{priority_id}", "/public/contracts", "/public/contracts?q=a&status=on_track",
            f"/public/contracts/{public_city.outreach_id}", "/public/contracts.csv", "/public/priorities.csv",
            f"/public/priorities/{priority_id}.csv", f"/public/contracts/{public_city.outreach_id}.csv",
            f"/public/contracts/{public_city.outreach_id}/ocds.json"]
    before = _counts(client, urls)
    priority = db.session.get(queries.Priority, priority_id)
    for k in range(30):
        contract = factory.make_contract(priorities=[priority], department=f"Department {k % 4}")
        for m in range(2):
            metric = factory.make_metric(contract, is_public=m == 0)
            factory.make_reading(metric, date(2025, 7, 1), 20 + k)
        factory.make_milestone(contract)
    after = _counts(client, urls)
    assert after == before
    ocds = f"/public/contracts/{public_city.outreach_id}/ocds.json"
    assert max(count for url, count in before.items() if url != ocds) <= 12, before
    assert before[ocds] <= 16, before  # the open data's batch queries, for a batch of one contract


def _history(today, priority):
    return {entry["month"]: entry for entry in queries.on_track_history(today, [priority.id], months=4)[priority.id]}


def test_the_monthly_share_counts_public_metrics_of_public_contracts_only(app, factory):
    today = date(2025, 10, 15)
    priority = factory.make_priority(name="Safe streets")
    good = factory.make_contract(priorities=[priority], start_date=date(2025, 7, 1))
    shown = factory.make_metric(good)
    internal = factory.make_metric(good, is_public=False)
    for start in (date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)):
        factory.make_reading(shown, start, 30, status="on_track")
        factory.make_reading(internal, start, 1, status="off_track")  # kept internal: moves nothing
    shown.status, internal.status = "on_track", "off_track"
    lagging = factory.make_contract(priorities=[priority], start_date=date(2025, 7, 1))
    lagging_metric = factory.make_metric(lagging)
    factory.make_reading(lagging_metric, date(2025, 7, 1), 30, status="on_track")
    factory.make_reading(lagging_metric, date(2025, 8, 1), 10, status="off_track")
    lagging_metric.status = "off_track"
    hidden = factory.make_contract(priorities=[priority], start_date=date(2025, 7, 1), is_public=False)
    factory.make_reading(factory.make_metric(hidden), date(2025, 7, 1), 30, status="on_track")
    archived = factory.make_contract(priorities=[priority], start_date=date(2025, 7, 1),
                                     archived_at=datetime(2025, 9, 1, tzinfo=timezone.utc))
    factory.make_reading(factory.make_metric(archived), date(2025, 7, 1), 30, status="on_track")
    db.session.commit()

    months = _history(today, priority)
    # July: both public contracts' July readings (period ended 31 Jul) are on track.
    assert (months[date(2025, 7, 1)]["with_data"], months[date(2025, 7, 1)]["on_track"]) == (2, 2)
    # August: the lagging contract's August reading is off track.
    assert (months[date(2025, 8, 1)]["on_track"], months[date(2025, 8, 1)]["share"]) == (1, 50)
    # June: before the term, no month at all; October (this month): the stored statuses.
    assert date(2025, 6, 1) not in months
    assert months[date(2025, 10, 1)]["contracts"] == 2 and months[date(2025, 10, 1)]["on_track"] == 1

    rows = {row.id: row for row in queries.priorities(today)}
    assert (rows[priority.id].contracts, rows[priority.id].active, rows[priority.id].on_track) == (2, 2, 1)


def test_a_missed_milestone_puts_a_contract_behind(app, factory):
    today = date(2025, 10, 15)
    priority = factory.make_priority()
    contract = factory.make_contract(priorities=[priority], start_date=date(2025, 7, 1))
    metric = factory.make_metric(contract)
    for start in (date(2025, 7, 1), date(2025, 8, 1)):
        factory.make_reading(metric, start, 30)
    metric.status = "on_track"
    factory.make_milestone(contract, due_date=date(2025, 8, 20), status="scheduled")
    db.session.commit()
    months = _history(today, priority)
    assert months[date(2025, 7, 1)]["on_track"] == 1
    assert months[date(2025, 8, 1)]["on_track"] == 0  # due 20 Aug, not met by the month's end
    filters = queries.ContractFilters(status="off_track")
    total, rows = queries.contracts(filters, today)
    assert total == 1 and rows[0].status == "off_track"
