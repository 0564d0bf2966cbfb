"""Issue 12, section 3: schemathesis, with all its checks, finds nothing the server does that
the OpenAPI document does not say: every operation, with generated valid and invalid requests,
against the app on SQLite (and PostgreSQL when TEST_DATABASE_URL is set), signed in as a
procurement officer over a small city (``api_city``).

One check is narrowed, and only as far as the document cannot go: schemathesis's
``positive_data_acceptance`` wants every request the document allows to succeed, but some are
refused by rules on stored data or between fields that no JSON Schema states (a period that does
not start one of the metric's periods, a user who is not a procurement officer, a vendor id and a
new vendor name at once, an If-Match naming another reading). So a valid request may be refused
only when the request schema itself accepts it: ``_refused_by_the_request_schema`` loads it with
the very parser and schemas the view uses, and any refusal from there fails the test, since the
document should have said so. Examples are bounded and derandomized (the same cases each run)."""
import os
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import positive_data_acceptance
from werkzeug.exceptions import HTTPException

from contracts_app.api.base import ApiParser
from tests.api.conftest import make_token

# Examples per operation, and whether the coverage phase (boundary values of every field,
# some thousands of requests) runs too: a few in the suite, more with `make api-fuzz`
# (RDC_SCHEMATHESIS_EXAMPLES=100 RDC_SCHEMATHESIS_COVERAGE=1).
MAX_EXAMPLES = int(os.environ.get("RDC_SCHEMATHESIS_EXAMPLES", "5"))
COVERAGE = os.environ.get("RDC_SCHEMATHESIS_COVERAGE") == "1"


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
        # Archiving makes a contract read-only: archive the other one, so the writes above go on.
        "operations": [{"include-name": "POST /api/v1/contracts/{contract_id}/archive",
                        "parameters": {"path.contract_id": city.other_contract.id}}],
        "phases": {"coverage": {"enabled": COVERAGE}},
    })
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


def _refused_by_the_request_schema(app, case):
    """The request schema's refusal of ``case`` (a dict of messages), or None when the view's
    own arguments parser and schemas accept it (so a refusal came from a rule beyond them)."""
    path = case.formatted_path
    adapter = app.url_map.bind("localhost")
    endpoint, _args = adapter.match(path, method=case.method)
    arguments = getattr(app.view_functions[endpoint], "_apidoc", {}).get("arguments", {}).get("parameters", [])
    parser = ApiParser()
    request_kwargs = {"method": case.method, "query_string": case.query or {}}
    if case.body is not NOT_SET:
        request_kwargs["json"] = case.body
    with app.test_request_context(path, **request_kwargs):
        for argument in arguments:
            argument_schema = argument["schema"]() if isinstance(argument["schema"], type) else argument["schema"]
            try:
                parser.parse(argument_schema, location=argument["in"])
            except HTTPException as error:
                return getattr(error, "data", {}).get("messages") or str(error)
    return None


def _only_email_syntax(refusal, case):
    """True when the schema refused only an email address that has an "@": JSON Schema's
    ``format: email`` (all the document can say) is looser than the address check the web
    form and the API share (email-validator), so generated addresses such as "0@A.COM" pass one
    and not the other."""
    fields = refusal.get("json", {}) if isinstance(refusal, dict) else {}
    body = case.body if isinstance(case.body, dict) else {}
    return bool(fields) and all(name in EMAIL_FIELDS and "@" in str(body.get(name, "")) for name in fields)


EMAIL_FIELDS = {"contact_email"}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
def test_the_api_does_what_its_document_says(case, app, api_schema):
    if case.headers and "Idempotency-Key" in case.headers and case.meta.generation.mode.is_positive:
        # A key is for one request (the document says so): a generated key reused for another
        # body is refused by design (422 idempotency_key_reused).
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    if case.meta is not None and case.meta.generation.mode.is_positive and response.status_code in (400, 422):
        body = response.json() if response.headers.get("Content-Type", [""])[0].startswith("application/json") else {}
        code = (body.get("error") or {}).get("code")
        if code == "invalid_if_match":
            return  # If-Match names another reading: a rule between the path and a header
        refusal = _refused_by_the_request_schema(app, case)
        assert refusal is None or _only_email_syntax(refusal, case), (
            f"{case.method} {case.formatted_path}: the document allows this request but the request schema refuses it: "
            f"{refusal}\n{case.as_curl_command()}"
        )
