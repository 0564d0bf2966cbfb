"""What every API resource module uses: its blueprint class, the request parser, the signed-in
token's user, lookups that answer 404, permission checks that answer 403, pagination, and the
mapping of service errors to 422/409 (registered on every API blueprint, so views just call the
services)."""
import json
from decimal import Decimal
from math import ceil

from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, validates_schema
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from contracts_app.api.errors import ApiError, error_response
from contracts_app.api.fields import Id, WholeNumber
from contracts_app.errors import ConflictError, ServiceError
from contracts_app.extensions import db
from contracts_app.query_args import MAX_ID

API_PREFIX = "/api/v1"
# Response names (see setup.ERROR_RESPONSES) for the errors only some operations can give;
# those every operation can give (400, 401, 404 on paths with ids, 415/422 on bodies, 500)
# are added to every operation when the document is built.
FORBIDDEN = "Forbidden"
CONFLICT = "Conflict"


class ApiParser(FlaskParser):
    """webargs' parser, stricter: unknown query parameters are refused like unknown body
    fields (empty ones are ignored), a body must be JSON, and JSON numbers are read as Decimal
    (no float rounding)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas = {}

    def _get_schema(self, argmap, req):
        # A view's @bp.arguments names a Schema class, which webargs instantiates on every
        # request (a tenth of a millisecond each time); one instance per class serves them all
        # (a schema keeps no state between loads).
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def load_querystring(self, req, schema):
        # An empty parameter (?status=) means "no filter", as in the web pages' filter forms (the
        # document says so with allowEmptyValue); spaces are a value, and refused as one.
        args = MultiDict((key, value) for key, value in req.args.items(multi=True) if value != "")
        return self._makeproxy(args, schema)

    def load_json(self, req, schema):
        # Every operation that reads a body requires one (the document says so). Without one,
        # the required fields are named as missing; where none is required (a PATCH), an empty
        # request is a mistake, not a change of nothing.
        if not req.get_data(cache=True) and not schema.validate({}):
            message = "Send the request body as a JSON object."
            raise ApiError(422, message, fields={"_body": message})
        return super().load_json(req, schema)

    def _raw_load_json(self, req):
        body = req.get_data(cache=True)
        if not body:
            return core.missing
        if not core.is_json(req.mimetype):
            raise ApiError(415)
        try:
            return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            # ValueError: not JSON, not UTF-8, NaN/Infinity, an integer of thousands of digits.
            raise ApiError(400, "The request body is not valid JSON.", code="invalid_json")


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number")


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint under /api/v1 whose operations carry ``tag`` in the document."""

    ARGUMENTS_PARSER = ApiParser()

    def __init__(self, name, import_name, *, tag, description=""):
        super().__init__(name, import_name, url_prefix=API_PREFIX, description=description)
        self.tag = tag
        self.register_error_handler(ServiceError, _service_error_response)

    def route(self, rule, *, parameters=None, tags=None, **options):
        return super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)


# --- who is asking -----------------------------------------------------------------------------


def api_user():
    """The user the request's token acts as (set by setup.authenticate_request)."""
    return g.api_user


def allow(allowed, contract=None):
    """403 unless ``allowed`` (the result of a permissions.can_* check, as the web views use)."""
    if allowed:
        return
    if contract is not None and contract.is_archived:
        raise ApiError(403, "This contract is archived: it is read-only until a procurement officer restores it.")
    role = api_user().role_label.lower()
    raise ApiError(403, f"Your role ({role}) does not allow this" + (" on this contract." if contract is not None else "."))


def find(model, object_id, label, options=()):
    """The row with this id, or 404."""
    row = db.session.get(model, object_id, options=list(options)) if 0 < object_id <= MAX_ID else None
    if row is None:
        raise ApiError(404, f"There is no {label} with id {object_id}.")
    return row


def find_with(lookup, object_id, label):
    """``find`` for a hot route: the first object of a ``db_utils.RowLookup`` by
    ``bindparam("id")`` (built once, its objects built from the row), or 404."""
    found = lookup.first({"id": object_id}) if 0 < object_id <= MAX_ID else None
    if found is None:
        raise ApiError(404, f"There is no {label} with id {object_id}.")
    return found[0][0]


# --- service errors ----------------------------------------------------------------------------

# Service errors name form fields; where the API's name differs, say so here.
FIELD_NAMES = {"period": "period_start"}


def service_error(error):
    """The ApiError for a ServiceError: 422 with its message on the field it names, or 409 with
    the row it clashes with for a ConflictError. (The service rolled back before raising.)"""
    field = error.field if isinstance(error.field, str) else None
    fields = {FIELD_NAMES.get(field, field): str(error)} if field else {}
    if isinstance(error, ConflictError):
        return ApiError(409, str(error), code=error.code, fields=fields, existing_id=error.existing_id)
    return ApiError(422, str(error), fields=fields)


def _service_error_response(error):
    return error_response(service_error(error))


def problems_error(problems):
    """A 422 naming every problem at once ({field: message}, from the services' *_problems)."""
    return ApiError(422, fields={FIELD_NAMES.get(k, k): v for k, v in problems.items()})


# --- lists -------------------------------------------------------------------------------------


class PageArgs(Schema):
    page = Id(strict=False, load_default=1, metadata={"description": "Page number, from 1."})
    per_page = WholeNumber(
        1, MAX_ID, strict=False, load_default=None,
        metadata={"description": "Items per page: API_PER_PAGE (50) unless given, at most API_MAX_PER_PAGE (500)."},
    )

    @validates_schema
    def _check_per_page(self, data, **kwargs):
        limit = current_app.config["API_MAX_PER_PAGE"]
        if data.get("per_page") is not None and data["per_page"] > limit:
            raise ValidationError(f"Use at most {limit} items per page.", "per_page")


def paginate(query, args):
    """{"items", "page", "per_page", "total", "pages"} for a select: one COUNT and one page."""
    per_page = args.get("per_page") or current_app.config["API_PER_PAGE"]
    page = args.get("page") or 1
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    total = pagination.total or 0
    return {
        "items": pagination.items, "page": page, "per_page": per_page, "total": total,
        "pages": ceil(total / per_page) if total else 0,
    }
