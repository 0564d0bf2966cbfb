"""Readings through the API carry their version and an ETag; a correction names the version it saw
(If-Match or ``version``) and a stale one is a 409 with the current reading, overwriting nothing."""
from decimal import Decimal

import pytest

from contracts_app.extensions import db
from contracts_app.metrics import services
from contracts_app.metrics.models import Reading, ReadingRevision
from tests.metrics.helpers import count


def etag(reading_id, version):
    return f'"reading-{reading_id}-v{version}"'


def correct_elsewhere(reading_id, user, value, note):
    """Another person's correction, through the service (as the web form makes it)."""
    reading = db.session.get(Reading, reading_id)
    services.correct_reading(reading, user, Decimal(value), note)


def test_it_gives_a_reading_with_its_version_and_etag(api_as, api_city):
    response = api_as("viewer").get(f"/readings/{api_city.reading.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["value"], body["version"]) == (api_city.reading.id, "21", 1)
    assert response.headers["ETag"] == etag(api_city.reading.id, 1)
    listed = api_as("viewer").get(f"/metrics/{api_city.metric.id}/readings").get_json()["items"]
    assert [item["version"] for item in listed] == [1]


def test_a_new_reading_answers_with_its_etag(api_as, api_city):
    from tests.api.test_permissions import next_month

    response = api_as("contract_manager").post(
        f"/metrics/{api_city.metric.id}/readings", {"period_start": next_month(api_city.start), "value": 22}
    )
    assert response.status_code == 201
    assert response.get_json()["version"] == 1
    assert response.headers["ETag"] == etag(response.get_json()["id"], 1)


@pytest.mark.parametrize("how", ["if_match", "version"])
def test_a_correction_naming_the_current_version_applies_and_moves_it_on(api_as, api_city, how):
    url, rid = f"/readings/{api_city.reading.id}", api_city.reading.id
    body = {"value": 25, "note": "Late returns"}
    headers = {}
    if how == "if_match":
        headers["If-Match"] = etag(rid, 1)
    else:
        body["version"] = 1
    response = api_as("contract_manager").patch(url, body, headers=headers)
    assert response.status_code == 200
    assert (response.get_json()["value"], response.get_json()["version"]) == ("25", 2)
    assert response.headers["ETag"] == etag(rid, 2)


@pytest.mark.parametrize("how", ["if_match", "version"])
def test_a_stale_correction_is_409_with_the_current_reading_and_changes_nothing(api_as, api_city, users, how):
    rid = api_city.reading.id
    correct_elsewhere(rid, users["procurement_officer"], "25", "Late returns")  # now version 2
    body = {"value": 30, "note": "Recount"}
    headers = {}
    if how == "if_match":
        headers["If-Match"] = etag(rid, 1)
    else:
        body["version"] = 1

    response = api_as("contract_manager").patch(f"/readings/{rid}", body, headers=headers)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "stale_version" and error["existing_id"] == rid
    assert "it is now 25" in error["message"] and users["procurement_officer"].name in error["message"]
    current = error["current"]
    assert (current["id"], current["value"], current["note"], current["version"]) == (rid, "25", "Late returns", 2)
    assert current["recorded_by"]["id"] == users["procurement_officer"].id
    assert response.headers["ETag"] == etag(rid, 2)
    db.session.expire_all()
    reading = db.session.get(Reading, rid)
    assert (reading.value, reading.version) == (Decimal(25), 2) and count(ReadingRevision) == 1

    # The client looks, then sends the ETag it was given: the correction applies.
    retried = api_as("contract_manager").patch(f"/readings/{rid}", {"value": 30, "note": "Recount"},
                                               headers={"If-Match": response.headers["ETag"]})
    assert retried.status_code == 200 and retried.get_json()["version"] == 3


def test_a_correction_without_a_version_applies_to_the_reading_as_it_is(api_as, api_city, users):
    rid = api_city.reading.id
    correct_elsewhere(rid, users["procurement_officer"], "25", "Late returns")
    for headers in ({}, {"If-Match": "*"}):
        response = api_as("contract_manager").patch(f"/readings/{rid}", {"value": 30 + len(headers), "note": f"Recount {len(headers)}"}, headers=headers)
        assert response.status_code == 200
    db.session.expire_all()
    reading = db.session.get(Reading, rid)
    assert reading.version == 4
    assert sorted((r.version, r.value) for r in reading.revisions) == [(1, Decimal(21)), (2, Decimal(25)), (3, Decimal(30))]


@pytest.mark.parametrize(
    "if_match, body_version, message",
    [
        ("reading-{rid}-v1", None, "is not an ETag of this API"),
        ('W/"reading-{rid}-v1"', None, "weak ETag"),
        ('"reading-{rid}-v1", "reading-{rid}-v2"', None, "is not an ETag of this API"),
        ('"reading-{rid}-v2"', 1, "names version 2 but the body's version is 1"),
    ],
)
def test_a_malformed_if_match_is_a_400_that_changes_nothing(api_as, api_city, if_match, body_version, message):
    rid, other = api_city.reading.id, api_city.other_reading.id
    body = {"value": 30, "note": "Recount"}
    if body_version is not None:
        body["version"] = body_version
    response = api_as("procurement_officer").patch(
        f"/readings/{rid}", body, headers={"If-Match": if_match.format(rid=rid, other=other)}
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_if_match"
    assert message.format(rid=rid, other=other) in error["message"]
    assert f'such as "reading-{rid}-v1"' in error["message"]
    assert count(ReadingRevision) == 0


@pytest.mark.parametrize(
    "if_match, message",
    [('"reading-{other}-v1"', "names reading {other}, not reading {rid}"), ("", "is empty"), (" \t", "is empty")],
)
def test_an_if_match_that_is_not_this_readings_etag_is_a_409_with_the_reading(api_as, api_city, if_match, message):
    """Well formed, but not an ETag of this reading (another reading's, or none at all): like a
    stale one, a 409 with the reading as it is now, and nothing changes. (It was a 400 before
    the document stated the header's form: issue 12, schemathesis's positive-data check.)"""
    rid, other = api_city.reading.id, api_city.other_reading.id
    response = api_as("procurement_officer").patch(
        f"/readings/{rid}", {"value": 30, "note": "Recount"}, headers={"If-Match": if_match.format(rid=rid, other=other)}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "invalid_if_match"
    assert message.format(rid=rid, other=other) in error["message"]
    assert error["current"]["id"] == rid and error["existing_id"] == rid
    assert response.headers["ETag"] == f'"reading-{rid}-v{error["current"]["version"]}"'
    assert count(ReadingRevision) == 0


@pytest.mark.parametrize("version", [0, "1", True, 1.5, 2**31])
def test_a_bad_version_field_is_a_422(api_as, api_city, version):
    response = api_as("procurement_officer").patch(
        f"/readings/{api_city.reading.id}", {"value": 30, "note": "Recount", "version": version}
    )
    assert response.status_code == 422 and "version" in response.get_json()["error"]["fields"]
    assert count(ReadingRevision) == 0


def test_the_document_describes_versions_if_match_and_the_etag(api_as, app):
    from tests.api.conftest import api_document

    document = api_document(app)
    patch = document["paths"]["/api/v1/readings/{reading_id}"]["patch"]
    assert any(p.get("name") == "If-Match" for p in patch["parameters"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert "409" in patch["responses"]
    assert "version" in document["components"]["schemas"]["ReadingCorrection"]["properties"]
    assert "version" in document["components"]["schemas"]["Reading"]["required"]
