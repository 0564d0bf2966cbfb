"""Bad input of every kind answers a JSON error (400/404/405/413/415/422), never a 500 or an
HTML page, and changes nothing. The api client checks each response against the document."""
from contracts_app.extensions import db
from contracts_app.metrics.models import Metric

# (description, raw body, content type, status, field named in "fields" or None)
BAD_BODIES = [
    ("malformed JSON", b'{"name": ', "application/json", 400, None),
    ("not UTF-8", b'{"name": "\xff\xfe"}', "application/json", 400, None),
    ("NaN", b'{"target_value": NaN}', "application/json", 400, None),
    ("Infinity", b'{"target_value": -Infinity}', "application/json", 400, None),
    ("an integer of 5000 digits", b'{"due_days": ' + b"9" * 5000 + b"}", "application/json", 400, None),
    ("nesting deeper than the parser goes", b"[" * 100000, "application/json", 400, None),
    ("form data", b"name=x", "application/x-www-form-urlencoded", 415, None),
    ("text", b'{"name": "x"}', "text/plain", 415, None),
    ("a list, not an object", b"[1, 2]", "application/json", 422, "_body"),
    ("a string, not an object", b'"metric"', "application/json", 422, "_body"),
]

VALID_METRIC = {"name": "Placements", "unit": "count", "direction": "increase", "baseline_value": 18, "target_value": 30}

# (description, changes to a valid metric, field named)
BAD_METRIC_FIELDS = [
    ("an unknown field", {"colour": "red"}, "colour"),
    ("a NUL character", {"name": "Place\u0000ments"}, "name"),
    ("a blank required text", {"unit": "   "}, "unit"),
    ("text too long", {"name": "x" * 201}, "name"),
    ("a bad enum value", {"direction": "sideways"}, "direction"),
    ("a string for an integer", {"due_days": "10"}, "due_days"),
    ("true for an integer", {"due_days": True}, "due_days"),
    ("a fraction for an integer", {"due_days": 10.5}, "due_days"),
    ("an integer out of range", {"due_days": 2**63}, "due_days"),
    ("a string for a boolean", {"payment_linked": "yes"}, "payment_linked"),
    ("a number too large", {"target_value": "1e400"}, "target_value"),
    ("a JSON number too large", {"target_value": 10**40}, "target_value"),
    ("too many decimal places", {"target_value": "30.12345"}, "target_value"),
    ("a negative value", {"baseline_value": -1}, "baseline_value"),
    ("a non-numeric string", {"target_value": "thirty"}, "target_value"),
    ("a bad date", {"baseline_date": "2025-02-30"}, "baseline_date"),
    ("a date as a number", {"baseline_date": 20250630}, "baseline_date"),
    ("a date centuries away", {"baseline_date": "0001-01-01"}, "baseline_date"),
    ("null for a required field", {"name": None}, "name"),
    ("a domain rule (target below baseline)", {"target_value": 10}, "target_value"),
]


def metric_count():
    return db.session.query(Metric).count()


def test_it_refuses_bad_bodies_without_writing(api_as, api_city):
    officer = api_as("procurement_officer")
    before = metric_count()
    url = f"/contracts/{api_city.contract.id}/metrics"
    for description, body, content_type, status, field in BAD_BODIES:
        response = officer.post(url, data=body, content_type=content_type)
        assert response.status_code == status, description
        error = response.get_json()["error"]
        assert error["message"], description
        if field:
            assert field in error["fields"], description
    for description, changes, field in BAD_METRIC_FIELDS:
        response = officer.post(url, {**VALID_METRIC, **changes})
        assert response.status_code == 422, description
        error = response.get_json()["error"]
        assert error["code"] == "validation_failed", description
        assert field in error["fields"], (description, error)
    # An empty body names every required field.
    response = officer.post(url)
    assert response.status_code == 422
    assert {"name", "unit", "direction"} <= set(response.get_json()["error"]["fields"])
    assert metric_count() == before
    assert officer.post(url, VALID_METRIC).status_code == 201


def test_it_refuses_a_body_over_a_megabyte(api_as, api_city):
    response = api_as("procurement_officer").post(
        f"/contracts/{api_city.contract.id}/metrics", {**VALID_METRIC, "definition": "x" * (1024 * 1024)}
    )
    assert response.status_code == 413


BAD_QUERIES = [
    ("/contracts?page=0", "page"),
    ("/contracts?page=two", "page"),
    ("/contracts?page=99999999999999999999", "page"),
    ("/contracts?per_page=501", "per_page"),
    ("/contracts?per_page=-5", "per_page"),
    ("/contracts?status=open", "status"),
    ("/contracts?health=fine", "health"),
    ("/contracts?priority=abc", "priority"),
    ("/contracts?priority=2147483648", "priority"),
    ("/contracts?sort=colour", "sort"),
    ("/contracts?dir=up", "dir"),
    ("/contracts?stauts=active", "stauts"),
    ("/flags?status=closed", "status"),
    ("/flags?contract=0", "contract"),
    ("/checkins?status=done", "status"),
    ("/portfolio?period=2025-13", "period"),
    ("/portfolio?ending_within=7", "ending_within"),
]


def test_it_refuses_bad_query_parameters(api_as, api_city):
    viewer = api_as("viewer")
    for url, field in BAD_QUERIES:
        response = viewer.get(url)
        assert response.status_code == 422, url
        assert field in response.get_json()["error"]["fields"], url
    assert viewer.get("/contracts?q=%00").status_code == 400
    # An empty parameter is no filter.
    assert viewer.get("/contracts?status=&per_page=&priority=").get_json()["total"] == 2
    # A page past the end is empty, not an error.
    body = viewer.get("/contracts?page=9999").get_json()
    assert (body["items"], body["page"], body["total"]) == ([], 9999, 2)


UNKNOWN = [
    ("GET", "/api/v1/contracts/0", 404),
    ("GET", "/api/v1/contracts/99999999999999999999", 404),
    ("GET", "/api/v1/contracts/abc", 404),
    ("GET", "/api/v1/metrics/2147483647/readings", 404),
    ("GET", "/api/v1/nothing-here", 404),
    ("GET", "/api/v1", 404),
    ("POST", "/api/v2/contracts", 404),
    ("DELETE", "/api/v1/contracts/1", 405),
    ("PUT", "/api/v1/contracts", 405),
]


def test_it_answers_unknown_addresses_and_methods_in_json(api_as):
    viewer = api_as("viewer")
    for method, path, status in UNKNOWN:
        response = viewer.open(method, path)
        assert response.status_code == status, path
        assert response.get_json()["error"]["code"] == {404: "not_found", 405: "method_not_allowed"}[status]
        if status == 405:
            assert "GET" in response.headers["Allow"]


def test_it_answers_an_internal_error_in_json(app, api_as, monkeypatch):
    from contracts_app.priorities import services

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "list_priorities", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api_as("viewer").get("/priorities")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    # The web pages keep their HTML error page.
    assert "text/html" in app.test_client().get("/no-such-page").content_type


BEYOND_IDS = (2**31, 2**31 + 7, 2**63, 10**30)


def _id_rules(app, methods):
    """(method, rule) for every rule with an id in its address and one of ``methods``."""
    return [
        (method, rule) for rule in app.url_map.iter_rules() if "<int:" in rule.rule
        for method in sorted(rule.methods & methods)
    ]


def test_writes_to_ids_beyond_the_id_range_answer_404_like_reads(app, api_as, client_as):
    """Werkzeug checks methods before converting: with the limit in the converter's max only,
    a PATCH or POST to /api/v1/contracts/2147483648 answered 405 while a GET answered 404."""
    officer = api_as("procurement_officer")
    rules = _id_rules(app, {"GET", "POST", "PATCH", "PUT", "DELETE"})
    assert {method for method, _ in rules} >= {"GET", "POST", "PATCH"}
    web = client_as("procurement_officer")
    for method, rule in rules:
        for big in BEYOND_IDS:
            url = _fill(rule, big)
            if url.startswith("/api/"):
                response = officer.open(method, url, json={})
                assert response.status_code == 404, (method, url, response.status_code)
                assert response.get_json()["error"]["code"] == "not_found"
            else:
                response = web.open(url, method=method, data={})
                assert response.status_code == 404, (method, url, response.status_code)


def _fill(rule, value):
    """The rule's address with every argument set to ``value``."""
    import re

    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", str(value), rule.rule)


def test_ids_beyond_the_range_in_bodies_are_a_422_naming_the_field(api_as, api_city):
    officer = api_as("procurement_officer")
    for big in (2**31, 2**63, -1, 0):
        response = officer.post("/readings/batch", {"readings": [
            {"metric_id": big, "period_start": "2025-08-01", "value": 1}]})
        assert response.status_code == 422
        assert "readings.0.metric_id" in response.get_json()["error"]["fields"]
        contract = officer.patch(f"/contracts/{api_city.contract.id}", {"priority_ids": [big], "contract_manager_id": big})
        assert contract.status_code == 422
        assert {"priority_ids.0", "contract_manager_id"} <= set(contract.get_json()["error"]["fields"])


def test_a_write_without_a_body_is_refused(api_as, api_city, db):
    officer = api_as("procurement_officer")
    for path in (f"/contracts/{api_city.contract.id}", f"/milestones/{api_city.milestone.id}"):
        response = officer.patch(path)
        assert response.status_code == 422, path
        assert "_body" in response.get_json()["error"]["fields"]
    # Where fields are required, they are named.
    named = officer.post(f"/contracts/{api_city.contract.id}/milestones").get_json()["error"]["fields"]
    assert "due_date" in named
