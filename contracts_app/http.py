"""Facts about the current HTTP request that several layers need (the sign-in check, the error
pages, the API), kept below all of them."""
from flask import has_request_context, request

API_PATH_PREFIX = "/api/"


def is_api_request():
    """True for requests under /api/ (also for addresses no route matches)."""
    return has_request_context() and (request.path + "/").startswith(API_PATH_PREFIX)
