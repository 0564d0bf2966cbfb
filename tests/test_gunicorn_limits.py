"""Oversized request lines and headers through gunicorn (issue 12, section 3), started with the
production settings (config/gunicorn.conf.py). Between the app's limits and gunicorn's, the app
answers (JSON on the API); beyond gunicorn's, gunicorn answers with its own HTML page before the
app sees the request, which is why gunicorn's limits are kept above the app's."""
import os
import runpy
import socket
import subprocess
import sys
import time

import pytest

from config import BaseConfig
from contracts_app import ROOT

GUNICORN_CONF = os.path.join(ROOT, "config", "gunicorn.conf.py")


def test_gunicorns_limits_are_above_the_apps():
    conf = runpy.run_path(GUNICORN_CONF)
    assert conf["limit_request_line"] > BaseConfig.MAX_REQUEST_LINE_BYTES
    assert conf["limit_request_fields"] > BaseConfig.MAX_REQUEST_HEADERS
    # gunicorn counts the header line with its CRLF; the app counts name, ": " and value.
    assert conf["limit_request_field_size"] > BaseConfig.MAX_REQUEST_HEADER_BYTES + 2


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    port = _free_port()
    instance = tmp_path_factory.mktemp("gunicorn-instance")
    env = {**os.environ, "RDC_CONFIG": "testing", "RDC_INSTANCE_PATH": str(instance)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF, "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--access-logfile", "/dev/null", "run:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):  # up to 30 s for the worker to import the app
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("gunicorn exited: " + process.stderr.read().decode(errors="replace")[-2000:])
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _raw_request(port, target, headers=()):
    """(status, content type, body) for a GET of ``target`` sent byte for byte."""
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers, "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = dict(line.split(": ", 1) for line in header_lines if ": " in line)
    content_type = next((value for name, value in found.items() if name.lower() == "content-type"), "")
    return int(status_line.split()[1]), content_type, body.decode("utf-8", errors="replace")


def test_a_long_api_address_is_answered_in_json_by_the_app(gunicorn):
    status, content_type, body = _raw_request(gunicorn, "/api/v1/contracts?q=" + "x" * 5000)
    assert (status, content_type) == (414, "application/json")
    assert '"code":"uri_too_long"' in body.replace(" ", "")


def test_a_long_page_address_is_answered_with_the_app_page(gunicorn):
    status, content_type, body = _raw_request(gunicorn, "/login?next=" + "x" * 5000)
    assert (status, content_type) == (414, "text/html; charset=utf-8")
    assert "Address too long" in body


def test_a_large_header_or_too_many_are_answered_in_json_by_the_app(gunicorn):
    status, content_type, _body = _raw_request(gunicorn, "/api/v1/contracts", headers=["X-Large: " + "y" * 8100])
    assert (status, content_type) == (431, "application/json")
    many = [f"X-Field-{i}: 1" for i in range(95)]
    status, content_type, _body = _raw_request(gunicorn, "/api/v1/contracts", headers=many)
    assert (status, content_type) == (431, "application/json")


def test_beyond_gunicorns_limit_gunicorn_answers_itself(gunicorn):
    # Documented, not wanted: the line never reaches the app.
    status, content_type, _body = _raw_request(gunicorn, "/api/v1/contracts?q=" + "x" * 9000)
    assert (status, content_type) == (414, "text/html")
