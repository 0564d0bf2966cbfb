"""Idempotency-Key on the API's reading writes: a retry replays the first answer and writes
nothing more; the same key for another request is refused; refused requests are not remembered.
(Two requests with one key at the same moment: tests/api/test_concurrent_corrections.py.)"""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from contracts_app.api import idempotency
from contracts_app.api.models import IdempotencyKey
from contracts_app.audit.models import AuditEvent
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics.models import Reading, ReadingRevision
from tests.api.test_permissions import next_month
from tests.metrics.helpers import count

KEY = "7c4e9f0e-3b1a-4d2e-9a53-1f0b6c2d8e11"


@pytest.fixture
def manager(api_as):
    return api_as("contract_manager")


@pytest.fixture
def new_reading(api_city):
    return f"/metrics/{api_city.metric.id}/readings", {"period_start": next_month(api_city.start), "value": 22, "note": "HMIS"}


def keyed(key=KEY, **headers):
    return {idempotency.HEADER: key, **headers}


def test_a_retried_new_reading_replays_the_first_answer_and_records_once(manager, new_reading):
    url, body = new_reading
    first = manager.post(url, body, headers=keyed())
    assert first.status_code == 201 and idempotency.REPLAYED_HEADER not in first.headers
    again = manager.post(url, body, headers=keyed())
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert count(Reading) == 3  # the city's two, and this one
    assert count(AuditEvent, AuditEvent.entity_type == "reading") == 1


def test_a_retried_correction_replays_and_corrects_once(manager, api_city):
    url = f"/readings/{api_city.reading.id}"
    headers = keyed(**{"If-Match": f'"reading-{api_city.reading.id}-v1"'})
    first = manager.patch(url, {"value": 25, "note": "Late returns"}, headers=headers)
    again = manager.patch(url, {"value": 25, "note": "Late returns"}, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json() == first.get_json() and again.get_json()["version"] == 2
    assert again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert count(ReadingRevision) == 1


def test_the_body_is_compared_as_json_not_as_bytes(manager, new_reading):
    url, body = new_reading
    manager.post(url, body, headers=keyed())
    reordered = '{ "value": 22,  "note": "HMIS", "period_start": "%s" }' % body["period_start"]
    again = manager.open("POST", url, data=reordered, content_type="application/json", headers=keyed())
    assert again.status_code == 201 and again.headers[idempotency.REPLAYED_HEADER] == "true"


@pytest.mark.parametrize("change", ["body", "path", "if_match"])
def test_the_same_key_for_a_different_request_is_a_409_that_writes_nothing(manager, api_city, change):
    # 409, not the IETF draft's 422: the key's stored first request refuses it (issue 12).
    url = f"/readings/{api_city.reading.id}"
    assert manager.patch(url, {"value": 25, "note": "Late returns"}, headers=keyed()).status_code == 200
    body, headers = {"value": 25, "note": "Late returns"}, keyed()
    if change == "body":
        body = {"value": 26, "note": "Late returns"}
    elif change == "path":
        url = f"/readings/{api_city.other_reading.id}"
    else:
        headers["If-Match"] = f'"reading-{api_city.reading.id}-v2"'
    response = manager.patch(url, body, headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "already used for a different request" in error["message"] and "use a new key" in error["message"]
    assert count(ReadingRevision) == 1


@pytest.mark.parametrize(
    "key, problem",
    [("k" * 256, "is 256 characters long; use at most 255"), ("", "must be 1 to 255 visible ASCII characters"),
     ("clé", "must be 1 to 255 visible ASCII characters"), ("a\tb", "must be 1 to 255 visible ASCII characters")],
)
def test_a_bad_key_is_a_400_that_writes_nothing(manager, new_reading, key, problem):
    url, body = new_reading
    response = manager.post(url, body, headers=keyed(key))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_idempotency_key" and problem in error["message"]
    assert count(Reading) == 2 and count(IdempotencyKey) == 0


def test_a_key_of_255_characters_is_accepted(manager, new_reading):
    url, body = new_reading
    assert manager.post(url, body, headers=keyed("k" * 255)).status_code == 201
    assert count(IdempotencyKey) == 1


def test_a_refused_request_is_not_remembered_so_the_key_can_be_sent_again(manager, new_reading):
    url, body = new_reading
    refused = manager.post(url, {**body, "value": -1}, headers=keyed())
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "validation_failed"
    assert count(IdempotencyKey) == 0
    fixed = manager.post(url, body, headers=keyed())
    assert fixed.status_code == 201 and idempotency.REPLAYED_HEADER not in fixed.headers
    # A conflict is refused too: not stored, and a retry is judged again.
    conflict = manager.post(url, body, headers=keyed("second-key"))
    assert conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "reading_exists"
    assert manager.post(url, body, headers=keyed("second-key")).status_code == 409
    assert db.session.scalars(select(IdempotencyKey.key)).all() == [KEY]


def test_a_forbidden_request_is_not_remembered(api_as, api_city):
    viewer = api_as("viewer")
    url = f"/readings/{api_city.reading.id}"
    assert viewer.patch(url, {"value": 25, "note": "Late returns"}, headers=keyed()).status_code == 403
    assert count(IdempotencyKey) == 0 and count(ReadingRevision) == 0


def fingerprint(app, method, url, body, headers=None):
    with app.test_request_context("/api/v1" + url, method=method, json=body, headers=headers or {}):
        return idempotency.request_fingerprint()


def test_a_key_still_in_progress_is_a_409_asking_to_retry(app, manager, users, new_reading):
    url, body = new_reading
    db.session.add(IdempotencyKey(
        user_id=users["contract_manager"].id, key=KEY, method="POST", path="/api/v1" + url,
        request_hash=fingerprint(app, "POST", url, body), created_at=utcnow(),
    ))
    db.session.commit()
    response = manager.post(url, body, headers=keyed())
    assert response.status_code == 409 and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "idempotency_in_progress"
    assert count(Reading) == 2


def test_keys_belong_to_their_user(api_as, users, new_reading):
    url, body = new_reading
    assert api_as("contract_manager").post(url, body, headers=keyed()).status_code == 201
    # The same key from someone else is their own request: it runs (and finds the period recorded).
    response = api_as("procurement_officer").post(url, body, headers=keyed())
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "reading_exists"


def test_a_request_without_a_key_is_not_remembered(manager, new_reading):
    url, body = new_reading
    assert manager.post(url, body).status_code == 201
    assert count(IdempotencyKey) == 0


def test_a_key_older_than_a_day_may_be_used_again(manager, api_city):
    url = f"/readings/{api_city.reading.id}"
    assert manager.patch(url, {"value": 25, "note": "Late returns"}, headers=keyed()).status_code == 200
    db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    response = manager.patch(url, {"value": 26, "note": "Recount"}, headers=keyed())
    assert response.status_code == 200 and idempotency.REPLAYED_HEADER not in response.headers
    assert count(ReadingRevision) == 2 and count(IdempotencyKey) == 1


def test_the_sweep_job_forgets_expired_keys(app, users):
    from scheduler.jobs import sweep_job

    now = utcnow()
    for key, age in (("old", timedelta(hours=24, seconds=1)), ("recent", timedelta(hours=23))):
        db.session.add(IdempotencyKey(
            user_id=users["viewer"].id, key=key, method="POST", path="/api/v1/x", request_hash="0" * 64,
            response_status=201, response_body="{}", created_at=now - age,
        ))
    db.session.commit()
    sweep_job(app, now)
    db.session.expire_all()
    assert db.session.scalars(select(IdempotencyKey.key)).all() == ["recent"]
    assert idempotency.purge_expired_keys(now + timedelta(hours=2)) == 1


def test_the_document_names_the_header_on_every_reading_write(app):
    from tests.api.conftest import api_document

    document = api_document(app)
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path, method in (("/api/v1/metrics/{metric_id}/readings", "post"), ("/api/v1/readings/{reading_id}", "patch")):
        operation = document["paths"][path][method]
        assert reference in operation["parameters"], (method, path)
        assert idempotency.DOC_MARK not in operation
        success = next(response for status, response in operation["responses"].items() if status.startswith("2"))
        assert idempotency.REPLAYED_HEADER in success["headers"]
    assert document["components"]["parameters"]["IdempotencyKey"]["name"] == "Idempotency-Key"
