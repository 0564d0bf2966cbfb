"""Facts about the current HTTP request that several layers need (the sign-in check, the error
pages, the API), kept below all of them."""
from flask import abort, current_app, has_request_context, request

API_PATH_PREFIX = "/api/"


def is_api_request():
    """True for requests under /api/ (also for addresses no route matches)."""
    return has_request_context() and (request.path + "/").startswith(API_PATH_PREFIX)


def request_line_length(environ):
    """The length of the request line as the client sent it ("GET /path?query HTTP/1.1"):
    gunicorn gives the raw target as RAW_URI; Werkzeug's server as REQUEST_URI."""
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if target is None:
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + ("?" + query if query else "")
    return len(environ.get("REQUEST_METHOD", "")) + 1 + len(target) + 1 + len(environ.get("SERVER_PROTOCOL", "HTTP/1.1"))


def refuse_oversized_request():
    """Before any other work: a request line longer than MAX_REQUEST_LINE_BYTES is a 414, more
    than MAX_REQUEST_HEADERS header fields or one longer than MAX_REQUEST_HEADER_BYTES a 431,
    answered as JSON under /api/ and as a page elsewhere (the error handlers).

    The limits are below gunicorn's own (see the README's production section): gunicorn refuses
    what is over its limits before the app sees it, with a plain HTML page of its own, so the
    app's limits are the ones clients normally meet."""
    config = current_app.config
    if request_line_length(request.environ) > config["MAX_REQUEST_LINE_BYTES"]:
        abort(414, description=f"The address is too long: at most {config['MAX_REQUEST_LINE_BYTES']:,} characters.")
    headers = list(request.headers.items())
    if len(headers) > config["MAX_REQUEST_HEADERS"]:
        abort(431, description=f"The request has too many header fields: at most {config['MAX_REQUEST_HEADERS']}.")
    limit = config["MAX_REQUEST_HEADER_BYTES"]
    if any(len(name) + 2 + len(value) > limit for name, value in headers):
        abort(431, description=f"A request header field is too large: at most {limit:,} bytes each.")
