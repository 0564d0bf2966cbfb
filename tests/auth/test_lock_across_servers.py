"""The sign-in lock lives in the database: two separate gunicorn servers (one worker each, as two
machines behind a load balancer would be) on one database share it. Ten wrong passwords spread
over both lock the account on both; then the right password is refused on either."""
import os
import re
import subprocess
import time
import uuid

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from contracts_app import create_app
from contracts_app.auth.services import create_user
from contracts_app.extensions import db
from tests.conftest import BACKENDS, postgres_url
from tests.operations.test_gunicorn import GUNICORN, ROOT, _free_port

PASSWORD = "correct horse battery staple"
EMAIL = "ana@city.test"


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    name = f"rdc_lock_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(postgres_url()).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _start(url, folder, name):
    port = _free_port()
    env = dict(
        os.environ, DATABASE_URL=url, RDC_INSTANCE_PATH=str(folder), RDC_CONFIG="development",
        WEB_CONCURRENCY="1", GUNICORN_BIND=f"127.0.0.1:{port}", SECRET_KEY="two-servers-one-secret",
    )
    for key in ("BEHIND_PROXY", "PROMETHEUS_MULTIPROC_DIR", "METRICS_TOKEN"):
        env.pop(key, None)
    log = open(folder / f"{name}.log", "w")
    process = subprocess.Popen([GUNICORN, "-c", "config/gunicorn.conf.py", "run:app"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=5)
            return process, log, base
        except (requests.ConnectionError, requests.Timeout):  # a read can time out while workers boot
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"gunicorn {name} did not start:\n" + (folder / f"{name}.log").read_text())
            time.sleep(0.2)


@pytest.fixture
def two_servers(database_url, tmp_path):
    if not os.path.exists(GUNICORN):
        pytest.skip("gunicorn is not installed beside this Python")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        SQLALCHEMY_ENGINE_OPTIONS = {}

    app = create_app(Config)
    with app.app_context():
        upgrade()
        create_user(EMAIL, "Ana Ruiz", "procurement_officer", PASSWORD)
        db.session.remove()
        db.engine.dispose()
    started = [_start(database_url, tmp_path, name) for name in ("a", "b")]
    try:
        yield [base for _process, _log, base in started]
    finally:
        for process, log, _base in started:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _sign_in(session, base, password):
    page = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    return session.post(f"{base}/login", data={"csrf_token": token.group(1), "email": EMAIL, "password": password},
                        timeout=30, allow_redirects=False)


def test_ten_wrong_passwords_over_two_servers_lock_the_account_on_both(two_servers):
    for base in two_servers:  # both servers sign the account in while it is not locked
        assert _sign_in(requests.Session(), base, PASSWORD).status_code == 302, base
    sessions = {base: requests.Session() for base in two_servers}
    for n in range(9):
        base = two_servers[n % 2]
        answer = _sign_in(sessions[base], base, f"wrong-{n}")
        assert answer.status_code == 200 and "Email or password is not right" in answer.text
    # The tenth failure, on the second server, locks the account for both.
    tenth = _sign_in(sessions[two_servers[1]], two_servers[1], "wrong-9")
    assert "locked until" in tenth.text
    for base in two_servers:
        right = _sign_in(requests.Session(), base, PASSWORD)
        assert right.status_code == 200, base  # the form again, no redirect into the app
        assert "Too many failed sign-ins for this account: it is locked until" in right.text
