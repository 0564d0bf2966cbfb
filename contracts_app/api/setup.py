"""Wire the API into the app: ``init_api(app)``.

Adding a resource: write a module with an ``ApiBlueprint`` (see base.py) and name it in
RESOURCES; its routes are then authenticated, CSRF-exempt, answered in JSON when they fail,
documented in /api/v1/openapi.json, and checked by tests/api/test_openapi.py. A route that
needs no token (open data) is listed in PUBLIC_ENDPOINTS.
"""
import copy
import importlib

from flask import Blueprint, current_app, g, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask_smorest import Api
from flask_smorest.spec.plugins import FlaskPlugin
from flask_smorest.utils import PrefixedMappingProxy
from werkzeug.exceptions import HTTPException

from contracts_app.api import idempotency, tokens
from contracts_app.api.base import API_PREFIX
from contracts_app.api.errors import MESSAGES, ApiError, error_response, handle_http_exception
from contracts_app.http import API_PATH_PREFIX, is_api_request
from contracts_app.milestones import services as milestone_services
from contracts_app.api.fields import NOT_BLANK_PATTERN, Number, number_text_pattern, register_fields
from contracts_app.api.schemas import ErrorSchema
from contracts_app.extensions import csrf, login_manager

# (module, blueprint attribute) for every resource, in the order the document lists them.
RESOURCES = (
    ("contracts_app.api.contracts", "registry"),
    ("contracts_app.api.contracts", "bp"),
    ("contracts_app.api.metrics", "bp"),
    ("contracts_app.api.milestones", "bp"),
    ("contracts_app.api.management", "bp"),
    ("contracts_app.api.portfolio", "bp"),
    ("contracts_app.api.ocds", "bp"),
)
# Endpoints anyone may call without a token.
PUBLIC_ENDPOINTS = {"api_docs.openapi_json"}
# A request body larger than this is refused (413) before it is read.
MAX_BODY_BYTES = 1024 * 1024

SPEC_KWARGS = {
    "title": "RDC Tracker API",
    "version": "1.0.0",
    "openapi_version": "3.0.3",
    "info": {
        "description": (
            "The JSON API of RDC Tracker, for finance systems, open-data portals and analysts' notebooks.\n\n"
            "Authenticate every request with `Authorization: Bearer TOKEN`; an administrator creates tokens with "
            "`flask --app run tokens create EMAIL --name NAME`. A token acts with its user's role, "
            "exactly as on the web pages.\n\n"
            "Errors are always JSON: `{\"error\": {\"code\", \"message\", \"fields\"}}`, where `fields` names "
            "what is wrong with each request field. Decimals are strings in responses and may be sent as "
            "numbers or strings. Unknown fields and query parameters are refused (422)."
        ),
    },
}

# Component responses for errors; "Forbidden" and "Conflict" are attached per operation
# (base.FORBIDDEN, base.CONFLICT), the rest to every operation that can give them.
ERROR_RESPONSES = {
    "BadRequest": (400, "Malformed request: the body is not JSON, or the address has a NUL character."),
    "Unauthorized": (401, "No token, an unknown or revoked token, or its user is inactive."),
    "Forbidden": (403, "The token's role may not do this (or the contract is archived)."),
    "NotFound": (404, "No such row."),
    "Conflict": (409, "The request is valid on its own but what is stored refuses it now (`code` says what): a row "
                      "exists already (`existing_id` names it), a name, reference or identifier is in use "
                      "(`already_used`), an id names no row or one that cannot be used here, such as an inactive "
                      "user (`unknown_row`), a period is outside the contract's term or has not started "
                      "(`outside_term`, `period_not_started`), readings fix the term or cadence (`readings_exist`), "
                      "a reading changed since it was read (`stale_version`, `invalid_if_match`, with `current`), "
                      "an Idempotency-Key is in use. The same request may succeed once the stored data changes."),
    "PayloadTooLarge": (413, "The body is larger than 1 MiB."),
    "UnsupportedMediaType": (415, "The body is not sent as application/json."),
    "URITooLong": (414, "The request line (method, address and query) is longer than the server accepts (4,094 characters by default)."),
    "RequestHeaderFieldsTooLarge": (431, "Too many request header fields, or one too large (90 fields, 8,000 bytes each by default)."),
    "UnprocessableContent": (422, "The request is wrong whatever is stored: a field or query parameter is missing, "
                                  "unknown or not valid, or two fields disagree (an end before a start); see fields."),
    "InternalError": (500, "An unexpected error; nothing was saved."),
}
BEARER = "bearerAuth"


class RdcApi(Api):
    """flask-smorest's Api with two changes.

    - The OpenAPI document is built on first use, not in create_app: every test builds an app,
      and only API clients read the document.
    - No app-wide error handler of its own: errors.py answers in the shape the issue asks for.
    """

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def init_app(self, app, *, spec_kwargs=None):
        self._app = app
        self.config = PrefixedMappingProxy(app.config, self.config_prefix)
        app.extensions = getattr(app, "extensions", {})
        ext = app.extensions.setdefault("flask-smorest", {"apis": {}, "blp_name_to_api": {}})
        ext["apis"][self.config_prefix] = {"ext_obj": self}
        self._blueprints = []
        self._document = None

    def _register_responses(self):
        """Not flask-smorest's response per HTTP status: ours are in ERROR_RESPONSES."""

    def _register_etag_headers(self):
        """No ETags here."""

    def _register_pagination_header(self):
        """Pagination is in the body ({"items", "page", "per_page", "total", "pages"}), not a header."""

    def register_blueprint(self, blp, **options):
        self._app.extensions["flask-smorest"]["blp_name_to_api"][blp.name] = self
        self._app.register_blueprint(blp, **options)
        self._blueprints.append(blp)

    def document(self):
        """The OpenAPI document as a dict (built once per app)."""
        if self._document is None:
            self._init_spec(**copy.deepcopy(SPEC_KWARGS))
            # _init_spec adds flask-smorest's `flask openapi` commands, which would print the
            # document without what _complete adds; the document is served at /api/v1/openapi.json.
            self._app.cli.commands.pop("openapi", None)
            register_fields(self)
            self.spec.components.schema("Error", schema=ErrorSchema)
            for name, (_status, description) in ERROR_RESPONSES.items():
                self.spec.components.response(name, {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
            self.spec.components.parameter("IdempotencyKey", "header", dict(idempotency.PARAMETER))
            self.spec.components.security_scheme(BEARER, {
                "type": "http", "scheme": "bearer",
                "description": "An API token from `flask --app run tokens create EMAIL`.",
            })
            tags = {}
            for blp in self._blueprints:
                blp.register_views_in_doc(self, self._app, self.spec, name=blp.name, parameters=None)
                tags.setdefault(blp.tag, blp.description)
            for name, description in tags.items():
                self.spec.tag({"name": name, "description": description})
            self._document = _complete(self.spec.to_dict(), self._app)
        return self._document


# Rules between the fields of a request body that marshmallow checks in a @validates_schema,
# stated in JSON Schema: {component schema name: keywords added to it}.
_SOME_VENDOR_NAME = {"type": "string", "pattern": NOT_BLANK_PATTERN}
_NOT_BOTH_VENDORS = {
    "description": "Give vendor_id or new_vendor_name, not both.",
    "required": ["vendor_id", "new_vendor_name"],
    "properties": {"vendor_id": {"type": "integer"}, "new_vendor_name": _SOME_VENDOR_NAME},
}
SCHEMA_RULES = {
    # A new contract names its vendor: an id, or a name.
    "ContractCreate": {"not": _NOT_BOTH_VENDORS, "anyOf": [
        {"required": ["vendor_id"], "properties": {"vendor_id": {"type": "integer"}}},
        {"required": ["new_vendor_name"], "properties": {"new_vendor_name": _SOME_VENDOR_NAME}},
    ]},
    # A change keeps the vendor unless it names another; vendor_id null leaves none, so it
    # comes with a new_vendor_name.
    "ContractPatch": {"allOf": [{"not": _NOT_BOTH_VENDORS}, {"not": {
        "description": "vendor_id null only with a new_vendor_name.",
        "required": ["vendor_id"], "properties": {"vendor_id": {"not": {"type": "integer"}}},
        "not": {"required": ["new_vendor_name"], "properties": {"new_vendor_name": _SOME_VENDOR_NAME}},
    }}]},
}
# A vendor's identifier scheme and identifier go together: a change giving both gives both or
# neither (one that gives only one is judged against the other's stored value: a 409).
_EMPTY_SCHEME = {"type": "string", "nullable": True, "maxLength": 0}
_EMPTY_TEXT = {"type": "string", "nullable": True, "pattern": r"^\s*$"}
_SOME_TEXT = {"type": "string", "pattern": NOT_BLANK_PATTERN}
SCHEMA_RULES["VendorPatch"] = {"not": {
    "description": "Give identifier_scheme and identifier both or neither.",
    "required": ["identifier_scheme", "identifier"],
    "anyOf": [
        {"properties": {"identifier_scheme": _EMPTY_SCHEME, "identifier": _SOME_TEXT}},
        {"properties": {"identifier_scheme": {"type": "string", "minLength": 1}, "identifier": _EMPTY_TEXT}},
    ],
}}


# A metric's direction decides which of its values it needs (services.metric_problems): a
# target (increase, decrease, maintain), a tolerance of at most 100 % (maintain), both bounds
# (range). Comparisons between values (a target above the baseline for an increase, the high
# bound at least the low, at-risk at most on-track) are beyond JSON Schema: a 422 (README).
_NOT_NULL = {"not": {"enum": [None]}}
_TOLERANCE = Number(places=2, max_abs=100)


def _direction_is(*directions):
    return {"properties": {"direction": {"enum": list(directions)}}}


SCHEMA_RULES["MetricCreate"] = {"allOf": [
    {"description": "A target, except for a range.", "anyOf": [
        _direction_is("range"), {"required": ["target_value"], "properties": {"target_value": _NOT_NULL}}]},
    {"description": "A tolerance from 0 to 100 percent for maintain.", "anyOf": [
        _direction_is("increase", "decrease", "range"),
        {"required": ["tolerance_pct"], "properties": {"tolerance_pct": {"oneOf": [
            {"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01},
            {"type": "string", "pattern": number_text_pattern(_TOLERANCE)},
        ]}}}]},
    {"description": "Both bounds for a range.", "anyOf": [
        _direction_is("increase", "decrease", "maintain"),
        {"required": ["range_low", "range_high"], "properties": {"range_low": _NOT_NULL, "range_high": _NOT_NULL}}]},
]}
# A met or partially met milestone has its completion date; a scheduled one (the default) none.
_COMPLETED = list(milestone_services.COMPLETED)
_HAS_COMPLETION = {"required": ["completed_on"], "properties": {"completed_on": _NOT_NULL}}
SCHEMA_RULES["MilestoneCreate"] = {"allOf": [
    {"description": "completed_on for a met or partially met milestone.", "anyOf": [
        {"not": {"required": ["status"], "properties": {"status": {"enum": _COMPLETED}}}}, _HAS_COMPLETION]},
    {"description": "No completed_on for a scheduled milestone.", "anyOf": [
        {"required": ["status"], "properties": {"status": {"not": {"enum": ["scheduled"]}}}}, {"not": _HAS_COMPLETION}]},
]}
# A change giving both: the same; giving one, the other's stored value decides (a 409: api.milestones).
SCHEMA_RULES["MilestonePatch"] = {"not": {
    "description": "status and completed_on, when both are given, agree.",
    "required": ["status", "completed_on"],
    "anyOf": [
        {"properties": {"status": {"enum": _COMPLETED}, "completed_on": {"enum": [None]}}},
        {"properties": {"status": {"enum": ["scheduled"]}, "completed_on": _NOT_NULL}},
    ],
}}


def _complete(document, app):
    """Add what flask-smorest does not know: the security requirement, the error responses
    every operation can give, the rules between fields, and the document's own address."""
    document["security"] = [{BEARER: []}]
    for name, keywords in SCHEMA_RULES.items():
        document["components"]["schemas"][name].update(copy.deepcopy(keywords))
    document["paths"][API_PREFIX + "/openapi.json"] = {"get": {
        "tags": ["documentation"], "summary": "This document (no token needed).", "operationId": "openapi",
        "responses": {"200": {"description": "The OpenAPI 3 document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}
    document.setdefault("tags", []).append({"name": "documentation", "description": "The OpenAPI document."})
    endpoints = {
        (openapi_path(rule.rule), method.lower()): rule.endpoint
        for rule in app.url_map.iter_rules() for method in rule.methods
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            endpoint = endpoints.get((path, method), "")
            public = endpoint in PUBLIC_ENDPOINTS
            # The view's name: stable, and what code generators name their methods after.
            operation.setdefault("operationId", endpoint.rpartition(".")[2])
            responses = operation.setdefault("responses", {})
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    # An empty value is no filter (api.base.ApiParser.load_querystring).
                    parameter["allowEmptyValue"] = True
                    if parameter.get("name") == "per_page":
                        parameter["schema"]["maximum"] = app.config["API_MAX_PER_PAGE"]
            if operation.pop(idempotency.DOC_MARK, False):
                operation.setdefault("parameters", []).append({"$ref": "#/components/parameters/IdempotencyKey"})
                for status, response in responses.items():
                    if status.startswith("2"):
                        response.setdefault("headers", {})[idempotency.REPLAYED_HEADER] = idempotency.REPLAYED_RESPONSE_HEADER

            def add(status, name):
                responses.setdefault(str(status), {"$ref": f"#/components/responses/{name}"})

            add(400, "BadRequest")
            # Refused before anything else (contracts_app/http.refuse_oversized_request).
            add(414, "URITooLong")
            add(431, "RequestHeaderFieldsTooLarge")
            if public:
                operation["security"] = []
            else:
                add(401, "Unauthorized")
            if "{" in path:
                add(404, "NotFound")
            if method != "get":
                # A write the stored data refuses (api.base.service_error: a ConflictError).
                add(409, "Conflict")
            if "requestBody" in operation:
                add(413, "PayloadTooLarge")
                add(415, "UnsupportedMediaType")
            if "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", [])):
                # flask-smorest documents 422 with its own name; use ours.
                responses["422"] = {"$ref": "#/components/responses/UnprocessableContent"}
            add(500, "InternalError")
    return document


def openapi_path(rule):
    """/api/v1/contracts/<int:contract_id> -> /api/v1/contracts/{contract_id}"""
    return FlaskPlugin.flaskpath2openapi(rule)


def api_of(app):
    """The app's RdcApi."""
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"]


docs = Blueprint("api_docs", __name__, url_prefix=API_PREFIX)


@docs.route("/openapi.json")
def openapi_json():
    return jsonify(api_of(current_app).document())


def authenticate_request():
    """Before every request under /api/: find the user the bearer token acts as, or answer 401.

    The session cookie never authenticates an API call: Flask-Login's current user is set here
    (to the token's user, or anonymous) so that nothing can load it from the cookie.
    """
    if not is_api_request() or request.endpoint is None:
        return None  # not the API, or no such route: the 404/405 answers without a token
    g._login_user = login_manager.anonymous_user()
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413)
    request.max_content_length = MAX_BODY_BYTES
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = tokens.authenticate(request.headers.get("Authorization"))
    if token is None:
        presented = tokens.bearer_secret(request.headers.get("Authorization")) is not None
        raise ApiError(
            401, "The API token is not valid: unknown, revoked, or its user is inactive." if presented else MESSAGES[401],
            headers={"WWW-Authenticate": 'Bearer realm="RDC Tracker API"' + (', error="invalid_token"' if presented else "")},
        )
    g.api_token = token
    g.api_user = g._login_user = token.user
    return None


class CookieSessionOutsideTheApi(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except for requests under /api/: a call there is its
    token's alone, so it gets Flask's null session (nothing read from a cookie it sends,
    nothing written back; a write to it would raise) instead of one opened from the cookie."""

    def open_session(self, app, request):
        if (request.path + "/").startswith(API_PATH_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_api(app):
    """Register the API's blueprints, its authentication and its errors (the `tokens` CLI is
    registered with the others in contracts_app/cli.py)."""
    app.session_interface = CookieSessionOutsideTheApi()
    api = RdcApi(app)
    app.register_blueprint(docs)
    csrf.exempt(docs)
    for module_name, attribute in RESOURCES:
        blueprint = getattr(importlib.import_module(module_name), attribute)
        api.register_blueprint(blueprint)
        # Token-only: no cookie authenticates an API call, so there is no cross-site request to forge.
        csrf.exempt(blueprint)
    app.before_request(authenticate_request)
    app.register_error_handler(ApiError, error_response)
    app.register_error_handler(HTTPException, handle_http_exception)
    return api
