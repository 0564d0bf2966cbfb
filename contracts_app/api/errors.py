"""Errors of the JSON API: always ``{"error": {"code", "message", "fields"}}``, never HTML.

Views raise ``ApiError`` (or the usual ``abort``); create_app's error pages call
``error_response`` for any request under /api/, and ``init_api`` adds a handler for every other
HTTP error there, so a client never gets an HTML page, whatever went wrong.
"""
import re

from flask import jsonify
from werkzeug.exceptions import HTTPException

from contracts_app.extensions import db
from contracts_app.http import is_api_request

# The error codes a client can switch on, by HTTP status (views may use more specific ones).
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_failed",
    431: "headers_too_large",
    500: "internal_error",
}

MESSAGES = {
    400: "The request could not be understood.",
    401: "Send a valid API token: Authorization: Bearer TOKEN.",
    403: "Your role does not allow this.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request body is too large.",
    414: "The address is too long.",
    415: "Send the request body as JSON (Content-Type: application/json).",
    422: "Some values are not valid; see fields.",
    431: "The request's header fields are too large.",
    500: "Something went wrong on the server; the change, if any, was not saved.",
}


class ApiError(Exception):
    """An API error with its status, a stable ``code``, a message for people and, per request
    field, what is wrong with it. ``existing_id`` names the row a 409 conflicts with."""

    def __init__(self, status, message=None, code=None, fields=None, existing_id=None, headers=None, errors=None, extra=None):
        super().__init__(message or MESSAGES.get(status, ""))
        # More members of the error object, e.g. ``current`` (the reading as it is now) on a
        # stale correction's 409; ErrorBodySchema documents each.
        self.extra = extra or {}
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message or MESSAGES.get(status, "")
        self.fields = fields or {}
        self.existing_id = existing_id
        self.headers = headers or {}
        # Problems of the items of a list in the body (a batch), each {"index", "field", "message"}.
        self.errors = errors if errors is not None else item_errors(self.fields)


# "readings.3.value": the field of one item of a list of objects in the body.
_ITEM_FIELD = re.compile(r"^[A-Za-z_]+\.(\d+)\.([A-Za-z_][\w.]*)$")


def item_errors(fields):
    """The field errors that belong to items of a list of objects, as {"index", "field",
    "message"} in index order (empty when there are none)."""
    found = []
    for name, message in fields.items():
        match = _ITEM_FIELD.match(name)
        if match:
            found.append({"index": int(match.group(1)), "field": match.group(2), "message": message})
    return sorted(found, key=lambda e: (e["index"], e["field"]))


def _flatten(messages, prefix=""):
    """webargs/marshmallow messages ({"json": {"field": ["msg"]}}) as {"field": "msg"}."""
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(item, str) for item in messages):
            flat[prefix] = " ".join(messages)
        else:
            for index, item in enumerate(messages):
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix] = str(messages)
    return flat


def _validation_fields(messages):
    """Field errors keyed by field name (the request location dropped: json, query...)."""
    fields = {}
    for location, errors in (messages or {}).items():
        if isinstance(errors, dict):
            fields.update(_flatten(errors))
        else:
            fields.update(_flatten({"_" + str(location): errors}))
    # marshmallow puts errors about the whole body (not an object, say) under "_schema".
    body_errors = [fields.pop(key) for key in list(fields) if key == "_schema" or key.startswith("_schema.")]
    if body_errors:
        fields["_body"] = " ".join(body_errors)
    return fields


def from_exception(error):
    """An ApiError for any exception raised while handling an API request."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        data = getattr(error, "data", None) or {}
        headers = {}
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        if "messages" in data:
            # webargs could not load the arguments (marshmallow validation).
            fields = _validation_fields(data["messages"])
            message = MESSAGES[422] if error.code == 422 else MESSAGES.get(error.code)
            if set(fields) == {"_body"}:
                message = fields["_body"]
            return ApiError(error.code, message, fields=fields, headers=headers)
        description = getattr(error, "description", None)
        # Werkzeug's stock descriptions speak of "the browser" and "the server"; keep our own
        # message unless the code gave a specific reason (abort(400, description=...)).
        stock = type(error).description
        message = description if description and description != stock else MESSAGES.get(error.code, error.name)
        return ApiError(error.code, message, headers=headers)
    return ApiError(500)


def error_response(error):
    """The JSON response for ``error`` (any exception) on an API request."""
    api_error = from_exception(error)
    if api_error.status >= 500:
        # Nothing half-done may be committed by a later request on this session.
        db.session.rollback()
    body = {"code": api_error.code, "message": api_error.message, "fields": api_error.fields}
    if api_error.existing_id is not None:
        body["existing_id"] = api_error.existing_id
    if api_error.errors:
        body["errors"] = api_error.errors
    body.update(api_error.extra)
    response = jsonify({"error": body})
    response.status_code = api_error.status
    for name, value in api_error.headers.items():
        response.headers[name] = value
    return response


def handle_http_exception(error):
    """App-wide handler for HTTP errors without a page of their own: JSON under /api/, and
    Werkzeug's default response everywhere else (what Flask does with no handler)."""
    if is_api_request():
        return error_response(error)
    return error
