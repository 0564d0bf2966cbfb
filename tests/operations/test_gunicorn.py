"""config/gunicorn.conf.py as production runs it: a real gunicorn process against a migrated
SQLite database answers /healthz, refuses an over-long request line with 414, and (two workers,
PROMETHEUS_MULTIPROC_DIR) counts every worker's requests in /metrics."""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from flask_migrate import upgrade
from prometheus_client.parser import text_string_to_metric_families

from config import TestingConfig
from contracts_app import create_app
from contracts_app.extensions import db

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
TOKEN = "gunicorn-test-token"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(GUNICORN):
        pytest.skip("gunicorn is not installed beside this Python")
    folder = tmp_path_factory.mktemp("gunicorn")
    database = folder / "rdc.sqlite3"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{database}"
        SQLALCHEMY_ENGINE_OPTIONS = {}

    app = create_app(Config)
    with app.app_context():
        upgrade()
        db.engine.dispose()

    port = _free_port()
    env = dict(
        os.environ, DATABASE_URL=f"sqlite:///{database}", RDC_INSTANCE_PATH=str(folder), RDC_CONFIG="development",
        WEB_CONCURRENCY="2", METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(folder / "prometheus"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    env.pop("BEHIND_PROXY", None)
    log = open(folder / "gunicorn.log", "w")
    process = subprocess.Popen(
        [GUNICORN, "-c", "config/gunicorn.conf.py", "run:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except (urllib.error.URLError, OSError):  # OSError: refused, reset, or a read timing out while workers boot
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("gunicorn did not start:\n" + (folder / "gunicorn.log").read_text())
                time.sleep(0.2)
        yield dict(base=base, port=port, log=folder / "gunicorn.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _raw(port, request_bytes):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request_bytes)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode("latin-1")


def test_it_answers_healthz_from_the_migrated_database(server):
    with urllib.request.urlopen(f"{server['base']}/healthz", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["X-Request-ID"]
        import json

        body = json.loads(response.read())
    assert body["status"] == "ok" and body["checks"] == {"database": "ok", "migrations": "at head"}


def test_it_refuses_an_over_long_request_line_with_414(server):
    answer = _raw(server["port"], b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith("HTTP/1.1 414 ")


def test_it_refuses_too_many_header_fields(server):
    headers = b"".join(b"X-Filler-%d: x\r\n" % n for n in range(120))
    answer = _raw(server["port"], b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + headers + b"\r\n")
    assert answer.startswith("HTTP/1.1 431 ")  # Request Header Fields Too Large


def test_it_counts_every_workers_requests_in_metrics(server):
    def healthz_count():
        request = urllib.request.Request(f"{server['base']}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "rdc_http_requests_total" and sample.labels.get("endpoint") == "operations.healthz":
                    return sample.value
        return 0

    before = healthz_count()
    for _ in range(20):
        # A new connection each time, so both workers get some of them.
        with urllib.request.urlopen(f"{server['base']}/healthz", timeout=10) as response:
            assert response.status == 200
    assert healthz_count() == before + 20


def test_it_logs_each_request_to_stdout_with_its_request_id(server):
    request = urllib.request.Request(f"{server['base']}/healthz", headers={"X-Request-ID": "from-the-proxy-1"})
    urllib.request.urlopen(request, timeout=10).read()
    deadline = time.monotonic() + 10
    while "rid=from-the-proxy-1" not in server["log"].read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = next(line for line in server["log"].read_text().splitlines() if "rid=from-the-proxy-1" in line)
    assert '"GET /healthz HTTP/1.1" 200' in line
