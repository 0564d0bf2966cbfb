"""`python -m scheduler` is a real, separate process: it runs its jobs and stops on SIGTERM."""
import os
import signal
import subprocess
import sys
import time

import pytest

from config import TestingConfig
from contracts_app import create_app
from contracts_app.extensions import db
from tests import factories

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def database_file(tmp_path):
    path = tmp_path / "scheduler.sqlite3"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        factories.make_metric(factories.make_contract())
        db.engine.dispose()
    return path


def _read_until(process, needle, deadline_seconds=60):
    seen = []
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} not seen; output was:\n{''.join(seen)}")


def test_it_runs_its_jobs_and_stops_cleanly_on_sigterm(database_file, tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database_file}", RDC_INSTANCE_PATH=str(tmp_path), RDC_CONFIG="development")
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler"], cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        _read_until(process, "scheduler: starting with jobs: sweep")
        output = _read_until(process, "sweep: metrics evaluated 1, flags opened")
        assert "Traceback" not in output
        # The heartbeat, written by that other process, is in the database for the web app to read.
        import sqlite3

        # The sweep logs its line before its snapshots, so wait for the run to finish.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            connection = sqlite3.connect(database_file)
            try:
                rows = connection.execute(
                    "SELECT job, pid, last_success_at IS NOT NULL FROM job_heartbeats WHERE job = 'sweep'"
                ).fetchall()
            finally:
                connection.close()
            if rows and rows[0][2]:
                break
            time.sleep(0.1)
        assert rows == [("sweep", process.pid, 1)]
        process.send_signal(signal.SIGTERM)
        _read_until(process, "scheduler: stopped")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_second_stop_signal_while_stopping_is_not_an_error(database_file, tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database_file}", RDC_INSTANCE_PATH=str(tmp_path), RDC_CONFIG="development")
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler"], cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        _read_until(process, "sweep: metrics evaluated 1, flags opened")
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGINT)  # as Ctrl-C in `make run` reaches both the trap and the process
        _, rest = process.communicate(timeout=60)
        assert process.returncode == 0
        assert "Traceback" not in rest and "SchedulerNotRunningError" not in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
