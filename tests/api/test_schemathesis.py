"""Issue 12, section 3: schemathesis, with all its checks, finds nothing the server does that
the OpenAPI document does not say: every operation, with generated valid and invalid requests,
against the app on SQLite (and PostgreSQL when TEST_DATABASE_URL is set), signed in as a
procurement officer over a small city (``api_city``).

The checks are schemathesis's own, with the project's schemathesis.toml (what the CLI reads):
a request the document allows gets 2xx, or 401/403/404, or 409 when what is stored refuses it
(an inactive officer, a name in use, a metric id with no metric, another reading's ETag, an
Idempotency-Key used for another request). The one allowance there, a 422 for the writes with
rules that compare two values or a date with today (no JSON Schema states them), is checked
here to be only that: such a 422 names the compared fields and nothing else. Examples are bounded and derandomized (the same cases
each run)."""
import os
import tomllib
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.conftest import make_token

# Examples per operation, and whether the coverage phase (boundary values of every field,
# some thousands of requests) runs too: a few in the suite, more with `make api-fuzz`
# (RDC_SCHEMATHESIS_EXAMPLES=100 RDC_SCHEMATHESIS_COVERAGE=1).
MAX_EXAMPLES = int(os.environ.get("RDC_SCHEMATHESIS_EXAMPLES", "5"))
COVERAGE = os.environ.get("RDC_SCHEMATHESIS_COVERAGE") == "1"
PROJECT_CONFIG = tomllib.loads((Path(__file__).resolve().parents[2] / "schemathesis.toml").read_text())
# The operations where schemathesis.toml lets a valid request get 422, and the only fields such a
# 422 may name: those of the rules comparing two values, or a date with today.
CONTRACT_DATES = {"start_date", "end_date", "awarded_on", "signed_on"}
COMPARED_FIELDS = {
    "POST /api/v1/contracts": CONTRACT_DATES,
    "PATCH /api/v1/contracts/{contract_id}": CONTRACT_DATES,
    "POST /api/v1/contracts/{contract_id}/metrics": {"target_value", "range_high", "at_risk_pct"},
    "POST /api/v1/contracts/{contract_id}/milestones": {"completed_on"},
    "PATCH /api/v1/milestones/{milestone_id}": {"completed_on"},
}


@pytest.fixture
def api_schema(app, api_city, users, request):
    # schemathesis 4.32 reads the node's ``_nodeid``, which pytest 9 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    # The token as schemathesis's own credentials for the document's bearer scheme: its
    # ignored_auth check then still sends requests without them.
    token = make_token(users["procurement_officer"])
    city = api_city
    config = schemathesis.Config.from_dict({
        "auth": {"openapi": {"bearerAuth": {"bearer": token}}},
        # The rows of the city, so that writes reach the services instead of a 404 (ids out of
        # range and unknown: tests/api/test_errors.py).
        "parameters": {
            "path.contract_id": city.contract.id, "path.metric_id": city.metric.id, "path.reading_id": city.reading.id,
            "path.milestone_id": city.milestone.id, "path.flag_id": city.flag.id, "path.priority_id": city.priority.id,
            "path.vendor_id": city.contract.vendor_id,
        },
        # The project's settings, and: archiving makes a contract read-only, so archive the other
        # one, and the writes above go on.
        "operations": PROJECT_CONFIG["operations"] + [
            {"include-name": "POST /api/v1/contracts/{contract_id}/archive",
             "parameters": {"path.contract_id": city.other_contract.id}},
        ],
        "phases": {"coverage": {"enabled": COVERAGE}},
    })
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
def test_the_api_does_what_its_document_says(case):
    response = case.call_and_validate()
    if (case.meta is not None and case.meta.generation.mode.is_positive and response.status_code == 422
            and case.operation.label in COMPARED_FIELDS):
        fields = set((response.json().get("error") or {}).get("fields") or {})
        allowed = COMPARED_FIELDS[case.operation.label]
        assert fields and fields <= allowed, (
            f"{case.operation.label}: the document allows this request but the server refuses {sorted(fields)} with 422; "
            f"only the rules comparing values may ({sorted(allowed)})\n{case.as_curl_command()}"
        )


def test_the_allowance_is_for_these_operations_only():
    """schemathesis.toml takes 422 for a valid request on exactly the operations above."""
    assert {entry["include-name"] for entry in PROJECT_CONFIG["operations"]} == set(COMPARED_FIELDS)
