"""Ten people correcting one reading at the same moment, for real: the app runs in a threaded
WSGI server (werkzeug's, in this process) against the test's database, and ten threads send
their PATCHes at once (released together by a barrier), each request on its own connection,
app context, session and database transaction.

Every correction must be either applied, and then in the history when a later one replaced
it, or refused with 409; no value may vanish. On PostgreSQL (TEST_DATABASE_URL) this is the
row lock under READ COMMITTED; on SQLite the database's single writer and the compare-and-swap.
"""
import http.client
import json
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from contracts_app.api import idempotency
from contracts_app.extensions import db
from contracts_app.metrics.models import Reading, ReadingRevision
from tests.api.conftest import make_token
from tests.api.test_permissions import next_month

PEOPLE = 10
pytestmark = pytest.mark.parametrize("backend", ["postgresql", "sqlite"])


@pytest.fixture
def server(app):
    """The app served by a threaded werkzeug server on a free port; its address."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture
def tokens(api_city, users):
    """A token for each of the two people who may correct the city's reading."""
    tokens = [make_token(users["procurement_officer"]), make_token(users["contract_manager"])]
    db.session.commit()
    return tokens


class Http:
    def __init__(self, address, token):
        self.address, self.token = address, token

    def send(self, method, path, body=None, headers=None):
        """(status, headers, JSON body) of one request on a connection of its own."""
        connection = http.client.HTTPConnection(self.address, timeout=60)
        try:
            connection.request(
                method, "/api/v1" + path, body=json.dumps(body) if body is not None else None,
                headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", **(headers or {})},
            )
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read() or b"null")
        finally:
            connection.close()


def at_once(calls):
    """Run every call in its own thread, all released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # reported by the assertion below, not lost in the thread
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    assert not any(isinstance(result, Exception) for result in results), results
    return results


def history(reading_id):
    """(the reading's value and version now, its revisions as (version, value) oldest first)."""
    db.session.expire_all()
    reading = db.session.get(Reading, reading_id)
    revisions = db.session.execute(
        select(ReadingRevision.version, ReadingRevision.value)
        .where(ReadingRevision.reading_id == reading_id).order_by(ReadingRevision.version)
    ).all()
    return (reading.value, reading.version), [tuple(r) for r in revisions]


def values(person):
    return Decimal(100 + person), f"Recount by person {person}"


def correction(client, reading_id, person, headers=None):
    value, note = values(person)
    return lambda: client.send("PATCH", f"/readings/{reading_id}", {"value": str(value), "note": note}, headers)


def assert_nothing_lost(reading_id, applied):
    """Every applied value is the current one or in the history, each version once, in order."""
    (value, version), revisions = history(reading_id)
    assert [v for v, _ in revisions] == list(range(1, version)), "versions must rise one by one"
    seen = [value] + [v for _, v in revisions]
    assert sorted(seen) == sorted([Decimal(21)] + applied), "every value is current or in the history"


def test_ten_corrections_of_the_version_they_all_saw_apply_exactly_once(server, api_city, tokens):
    rid = api_city.reading.id
    clients = [Http(server, tokens[person % 2]) for person in range(PEOPLE)]
    results = at_once([
        correction(clients[person], rid, person, {"If-Match": f'"reading-{rid}-v1"'}) for person in range(PEOPLE)
    ])

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] + [409] * (PEOPLE - 1)
    [(_, winner_headers, winner)] = [r for r in results if r[0] == 200]
    assert winner["version"] == 2 and winner_headers["etag"] == f'"reading-{rid}-v2"'
    for status, headers, body in results:
        if status == 409:
            assert body["error"]["code"] == "stale_version"
            assert body["error"]["current"]["value"] == winner["value"] and headers["etag"] == f'"reading-{rid}-v2"'
    assert history(rid) == ((Decimal(winner["value"]), 2), [(1, Decimal(21))])


def assert_answers_agree_with_their_etags(rid, results):
    """Each 200 shows the reading as it is just after that correction committed, which may
    already include a later one's (the answer is read after the commit); whatever it shows, its
    ETag is that version's, so a client never sends If-Match for a value it did not see. Every
    correction applied once: the last is version PEOPLE + 1."""
    versions = []
    for _, headers, body in results:
        assert headers["etag"] == f'"reading-{rid}-v{body["version"]}"'
        versions.append(body["version"])
    assert min(versions) >= 2 and max(versions) == PEOPLE + 1


def test_ten_corrections_without_a_version_all_apply_and_each_is_kept(server, api_city, tokens):
    rid = api_city.reading.id
    results = at_once([correction(Http(server, tokens[person % 2]), rid, person) for person in range(PEOPLE)])

    assert [status for status, _, _ in results] == [200] * PEOPLE
    assert_answers_agree_with_their_etags(rid, results)
    assert_nothing_lost(rid, [values(person)[0] for person in range(PEOPLE)])


def test_ten_clients_that_retry_on_409_all_get_their_correction_in(server, api_city, tokens):
    rid = api_city.reading.id

    def careful_correction(person):
        client = Http(server, tokens[person % 2])
        value, note = values(person)
        _, headers, _ = client.send("GET", f"/readings/{rid}")
        tag = headers["etag"]
        for _attempt in range(4 * PEOPLE):
            status, headers, body = client.send(
                "PATCH", f"/readings/{rid}", {"value": str(value), "note": note}, {"If-Match": tag}
            )
            if status != 409:
                return status, headers, body
            assert body["error"]["code"] == "stale_version"
            tag = headers["etag"]  # look at the newer value, then try again on top of it
        return status, headers, body

    results = at_once([lambda person=person: careful_correction(person) for person in range(PEOPLE)])

    assert [status for status, _, _ in results] == [200] * PEOPLE
    assert_answers_agree_with_their_etags(rid, results)
    assert_nothing_lost(rid, [values(person)[0] for person in range(PEOPLE)])


def test_ten_retries_of_one_new_reading_with_one_key_record_it_once(server, api_city, tokens):
    client = Http(server, tokens[1])
    body = {"period_start": next_month(api_city.start), "value": 22, "note": "HMIS extract"}
    url = f"/metrics/{api_city.metric.id}/readings"
    headers = {idempotency.HEADER: "one-key-for-all-ten"}
    results = at_once([lambda: client.send("POST", url, body, headers) for _ in range(PEOPLE)])

    first = [r for r in results if r[0] == 201 and idempotency.REPLAYED_HEADER.lower() not in r[1]]
    assert len(first) == 1, [r[0] for r in results]
    for status, response_headers, response in results:
        assert status in (201, 409), (status, response)
        if status == 201:
            assert response == first[0][2]
        else:
            assert response["error"]["code"] == "idempotency_in_progress"
    db.session.expire_all()
    assert db.session.query(Reading).filter(Reading.metric_id == api_city.metric.id).count() == 2
    # Once the first has answered, a retry is its replay.
    status, response_headers, response = client.send("POST", url, body, headers)
    assert (status, response_headers[idempotency.REPLAYED_HEADER.lower()], response) == (201, "true", first[0][2])


def test_a_refused_correction_holds_no_lock_on_the_reading(server, api_city, tokens, users, backend):
    """The correction's lookup locks the reading's row as it reads it (FOR UPDATE, before the
    permission check): a refusal (403, a stale version, a bad value) ends its transaction, so
    the row is free at once for the next person and for anyone else."""
    from sqlalchemy import text

    rid = api_city.reading.id
    viewer = Http(server, make_token(users["viewer"]))
    db.session.commit()
    officer = Http(server, tokens[0])
    assert viewer.send("PATCH", f"/readings/{rid}", {"value": "30", "note": "Not mine"})[0] == 403
    assert officer.send("PATCH", f"/readings/{rid}", {"value": "30", "note": "Old"}, {"If-Match": f'"reading-{rid}-v9"'})[0] == 409
    assert officer.send("PATCH", f"/readings/{rid}", {"value": "thirty", "note": "Typo"})[0] == 422
    if backend == "postgresql":  # NOWAIT: an error at once if any of those still held the row
        db.session.execute(text("SELECT id FROM readings WHERE id = :id FOR UPDATE NOWAIT"), {"id": rid})
        db.session.rollback()
    status, _, body = officer.send("PATCH", f"/readings/{rid}", {"value": "30", "note": "Recount"})
    assert status == 200 and body["version"] == 2
    assert history(rid) == ((Decimal(30), 2), [(1, Decimal(21))])
