"""Request ids (X-Request-ID in and out), the request log line with user and route, JSON lines
with LOG_FORMAT=json, and ProxyFix behind a proxy."""
import io
import json
import logging
import re

import pytest

from config import TestingConfig
from config.log import JsonFormatter
from contracts_app import create_app
from contracts_app.operations.observability import request_id_from


@pytest.fixture
def request_lines(app):
    """The records of the "rdc.requests" logger, as the JSON formatter writes them."""
    app.config["LOG_REQUESTS"] = True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("rdc.requests")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_it_echoes_a_sane_request_id(client):
    response = client.get("/login", headers={"X-Request-ID": "req-7f3a.b2:9"})
    assert response.headers["X-Request-ID"] == "req-7f3a.b2:9"


@pytest.mark.parametrize("bad", ["has spaces", "x" * 129, "semi;colon", "tab\there", "ünicode", "<script>"])
def test_it_replaces_an_insane_request_id(client, bad):
    response = client.get("/login", headers={"X-Request-ID": bad.encode("utf-8").decode("latin-1")})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_it_makes_up_an_id_when_none_is_sent(client):
    first = client.get("/login").headers["X-Request-ID"]
    second = client.get("/login").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    assert request_id_from(None) != request_id_from(None)


def test_it_logs_one_json_line_per_request_with_id_user_and_route(client_as, users, request_lines):
    viewer = client_as("viewer")
    response = viewer.get("/contracts", headers={"X-Request-ID": "trace-42"})

    [line] = [line for line in request_lines() if line.get("request_id") == "trace-42"]
    assert response.status_code == 200
    assert line["logger"] == "rdc.requests" and line["level"] == "INFO"
    assert line["user_id"] == users["viewer"].id
    assert line["endpoint"] == "contracts.index"
    assert line["method"] == "GET" and line["path"] == "/contracts" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["message"].startswith("GET /contracts 200 ")
    assert line["time"].endswith("+00:00")


def test_a_signed_out_request_has_no_user(client, request_lines):
    client.get("/contracts", headers={"X-Request-ID": "anon-1"})
    [line] = [line for line in request_lines() if line.get("request_id") == "anon-1"]
    assert line["user_id"] is None and line["status"] == 302 and line["endpoint"] == "contracts.index"


def test_it_logs_nothing_per_request_unless_asked(app, client, request_lines):
    app.config["LOG_REQUESTS"] = False
    client.get("/login")
    assert request_lines() == []


def test_records_logged_during_a_request_carry_its_id(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    with app.test_request_context("/contracts", headers={"X-Request-ID": "inner-9"}):
        app.preprocess_request()
        record = logging.LogRecord("contracts_app", logging.WARNING, __file__, 1, "something odd: %s", ("x",), None)
        handler.emit(record)
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "inner-9" and line["message"] == "something odd: x" and line["level"] == "WARNING"


def test_the_json_formatter_includes_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in line["exception"] and "request_id" not in line


@pytest.mark.parametrize("behind_proxy, expected", [(True, "203.0.113.9"), (False, "127.0.0.1")])
def test_it_trusts_forwarded_headers_only_behind_a_proxy(app, behind_proxy, expected, request_lines):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SQLALCHEMY_ENGINE_OPTIONS = {}
        BEHIND_PROXY = behind_proxy
        LOG_REQUESTS = True

    proxied = create_app(Config)
    response = proxied.test_client().get(
        "/login", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Request-ID": f"proxy-{behind_proxy}"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 200
    [line] = [line for line in request_lines() if line.get("request_id") == f"proxy-{behind_proxy}"]
    assert line["remote_addr"] == expected
