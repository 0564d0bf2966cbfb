"""Time single reading corrections through the API against the same write in hand-written SQL.

    python -m bench.writes [--seconds 20] [--clients 16] [--workers 4] [--fresh] [--framework]

On the 10,000-contract city in PostgreSQL (database ``rdc_bench_writes`` on the server of
BENCH_DATABASE_URL or TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres;
built once and reused, ``--fresh`` rebuilds it), in one run:

1. **API**: gunicorn (``run:app``, ``--workers`` sync workers, production settings) on a free
   port; ``--clients`` threads, one HTTP connection each, PATCH /api/v1/readings/<id> with a
   procurement officer's token, each request a distinct reading (round-robin over the
   contracts, so no two requests in flight touch the same contract), for ``--seconds``.
2. **SQL floor**: the same logical write as hand-written SQL with psycopg, ``--clients``
   threads with a connection each, one transaction per reading: lock the reading (SELECT ...
   FOR UPDATE), insert its revision row, update the reading (value, note, status,
   version + 1), update the metric's stored status, the contract's stored health, and insert
   the audit event — the rows and tables the app writes, without the app.
3. **Batch** (POST /api/v1/readings/batch, 1,000 corrections with notes per request, by
   metric and period), ``--batch-clients`` at a time (default 1: the time of one batch).

``--threads N`` runs the same ``--workers`` processes as gthread workers with N threads each.
``--framework`` adds a phase of requests that do no work of their own (a 404 under /api/v1): the
CPU a request costs in gunicorn and Flask before the view's.

Prints the figures (writes/s, median and p90 latency, API / SQL ratio) and writes them to
bench/out/writes.md.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy.engine import make_url

from bench.run import OUT, admin_url, log, make_app
from config.settings import normalise_database_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE = "rdc_bench_writes"
SIZE = 10000
OFFICER_EMAIL = "procurement_officer1@bench.test"
BATCH_PATH = "/api/v1/readings/batch"
BATCH_SIZE = 1000


def database_url():
    assert DATABASE != "test"
    return admin_url().set(database=DATABASE).render_as_string(hide_password=False)


def _psycopg_url(url):
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_city(fresh=False, seed=0):
    """The bench database with its 10,000-contract city: reused when it is there, else built."""
    import psycopg

    admin = _psycopg_url(admin_url().render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists and not fresh:
            try:
                with psycopg.connect(_psycopg_url(database_url())) as city:
                    contracts = city.execute("SELECT count(*) FROM contracts").fetchone()[0]
                if contracts == SIZE:
                    log(f"[writes] reusing {DATABASE} ({contracts:,} contracts)")
                    _upgrade(database_url())
                    _vacuum_written(database_url())
                    return database_url()
            except psycopg.Error:
                pass
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = normalise_database_url(database_url())
    app = make_app(url)
    from bench.generate import generate_city
    from contracts_app.extensions import db
    from scheduler.jobs import sweep_job

    now = datetime.now(timezone.utc)
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        log(f"[writes] generating {SIZE:,} contracts…")
        generate_city(SIZE, seed=seed, now=now, log=log)
        db.session.remove()
        sweep_job(app, now)  # the steady state: the flags the sweep opens, this month's snapshots
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
        db.engine.dispose()
    return database_url()


# What the phases write: every run updates metrics and contracts rows tens of thousands of times.
WRITTEN_TABLES = ("readings", "reading_revisions", "metrics", "contracts", "audit_events", "api_tokens")


def _vacuum_written(url):
    """VACUUM ANALYZE the tables the phases write, so that each run of a reused city starts from
    the same state: a server without autovacuum (this machine's runs with it off) otherwise
    keeps every earlier run's dead rows (after ~30 runs: 750,000 in metrics' 40,000 rows), and
    both the API's and the floor's writes slow down run after run."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        conn.execute(f"VACUUM (ANALYZE) {', '.join(WRITTEN_TABLES)}")
    log(f"[writes] vacuumed the written tables ({time.perf_counter() - started:.1f}s)")


def _upgrade(url):
    """A reused city follows the migrations (one built before the last would fail every request)."""
    from contracts_app.extensions import db

    app = make_app(normalise_database_url(url))
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        db.engine.dispose()


def make_token(url):
    """A new API token (its secret) for a procurement officer, who may correct any contract's readings."""
    from contracts_app.api import tokens
    from contracts_app.extensions import db

    app = make_app(normalise_database_url(url))
    with app.app_context():
        _token, secret = tokens.create_token(OFFICER_EMAIL, name=f"bench writes {datetime.now():%H:%M:%S}")
        batch = any(r.rule == BATCH_PATH and "POST" in r.methods for r in app.url_map.iter_rules())
        db.engine.dispose()
    return secret, batch


class Pool:
    """Distinct readings to correct, handed out in order: round-robin over the contracts (the
    n-th reading of every contract before the (n+1)-th of any), so concurrent writes touch
    different contracts. Every phase of a run takes its readings from the same pool."""

    def __init__(self, url, limit=200_000, seed=None):
        import psycopg

        seed = str(seed if seed is not None else time.time())
        with psycopg.connect(_psycopg_url(url)) as conn:
            self.rows = conn.execute(
                """
                SELECT id, value, metric_id, contract_id, period_start FROM (
                    SELECT r.id, r.value, r.metric_id, m.contract_id, r.period_start,
                           row_number() OVER (PARTITION BY m.contract_id ORDER BY md5(r.id::text || %(seed)s)) AS n
                    FROM readings r JOIN metrics m ON m.id = r.metric_id JOIN contracts c ON c.id = m.contract_id
                    WHERE c.archived_at IS NULL
                ) ranked
                ORDER BY n, md5(contract_id::text || %(seed)s)
                LIMIT %(limit)s
                """,
                {"seed": seed, "limit": limit},
            ).fetchall()
        self.position = 0
        self.lock = threading.Lock()

    def take(self, count=1):
        with self.lock:
            start = self.position
            self.position += count
        if self.position > len(self.rows):
            raise SystemExit("bench: the pool of readings ran out; lower --seconds")
        return self.rows[start:start + count]


def corrected(value, serial):
    """A new value near the old one (so statuses move a little), 4 places."""
    factor = Decimal("1.01") if serial % 2 else Decimal("0.99")
    return (value * factor).quantize(Decimal("0.0001"))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summarise(label, latencies, elapsed, errors, per_request=1):
    done = len(latencies) * per_request
    return {
        "label": label, "status": "ok", "writes": done, "seconds": elapsed,
        "rate": done / elapsed if elapsed else 0.0, "requests": len(latencies),
        "median_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p90_ms": percentile(latencies, 0.9) * 1000 if latencies else None,
        "errors": errors,
    }


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """User + system CPU seconds used so far by the processes ``pids`` (from /proc; the database
    server runs on this host)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def backend_pids(url):
    """The server processes of the bench database's other connections."""
    import psycopg

    with psycopg.connect(_psycopg_url(url)) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()", (DATABASE,)
        )]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def run_threads(clients, seconds, work, setup=None, groups=None):
    """Run ``work(deadline, latencies, errors, state)`` in ``clients`` threads, each with the
    ``state`` its ``setup()`` made before the clock started. ``groups()`` -> {name: [pid, ...]}
    (read once every thread is set up) names the processes whose CPU time is measured over the
    timed part. Returns (latencies, errors, elapsed, states, {name: CPU seconds})."""
    latencies, errors = [], []
    ready, go = threading.Barrier(clients + 1), threading.Barrier(clients + 1)
    results, states = [None] * clients, [None] * clients
    deadline = [0.0]

    def thread_main(index):
        state = states[index] = setup() if setup else None
        mine, my_errors = [], []
        ready.wait()
        go.wait()
        work(deadline[0], mine, my_errors, state)
        results[index] = (mine, my_errors)

    threads = [threading.Thread(target=thread_main, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    pids = groups() if groups else {}
    cpu_before = {name: cpu_seconds(group) for name, group in pids.items()}
    started = time.perf_counter()
    deadline[0] = started + seconds
    go.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = {name: cpu_seconds(group) - cpu_before[name] for name, group in pids.items()}
    for mine, my_errors in results:
        latencies.extend(mine)
        errors.extend(my_errors)
    return latencies, errors, elapsed, states, cpu


def with_cpu(summary, cpu):
    """The CPU time per write of each group of processes, in ms."""
    if summary["writes"]:
        summary["cpu_ms"] = {name: seconds * 1000 / summary["writes"] for name, seconds in cpu.items()}
    return summary


# --- the API -------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_workers(workers, threads):
    """gunicorn's worker options: ``workers`` sync workers, or with ``threads`` > 1 as many
    gthread workers with that many threads each (still ``workers`` processes)."""
    options = ["--workers", str(workers)]
    if threads > 1:
        options += ["--worker-class", "gthread", "--threads", str(threads)]
    return options


def start_gunicorn(url, workers, port, threads=1):
    env = {
        **os.environ, "DATABASE_URL": url, "RDC_CONFIG": "production", "SECRET_KEY": "bench-writes", "OCDS_OCID_PREFIX": "ocds-bench1",
        "LOG_LEVEL": "WARNING", "RDC_INSTANCE_PATH": os.path.join(OUT, "instance"),
    }
    os.makedirs(OUT, exist_ok=True)
    log_file = open(os.path.join(OUT, "gunicorn.log"), "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *gunicorn_workers(workers, threads), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "run:app"],
        cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see bench/out/gunicorn.log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


class RawClient:
    """The cheapest HTTP/1.1 client that will do: one request per connection (gunicorn's sync
    workers close it after each response anyway), the request written as bytes, the answer read
    up to its Content-Length. http.client's header parsing cost the bench process as much CPU
    as a worker's request."""

    def __init__(self, port, secret, timeout=300):
        self.address = ("127.0.0.1", port)
        self.head = (f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {secret}\r\n"
                     "Content-Type: application/json\r\nConnection: close\r\n").encode()
        self.timeout = timeout

    def send(self, method, path, body):
        """(status, body bytes)."""
        body = body.encode()
        request = b"%s %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (
            method.encode(), path.encode(), self.head, len(body), body)
        with socket.create_connection(self.address, timeout=self.timeout) as sock:
            sock.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed before the response headers")
                data += chunk
            head, _, payload = data.partition(b"\r\n\r\n")
            status = int(head[9:12])
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while length is None or len(payload) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                payload += chunk
        return status, payload


def timed_send(client, method, path, body, expected, latencies, errors):
    """One request of a phase: its latency when it answers one of the ``expected`` statuses,
    else what went wrong."""
    started = time.perf_counter()
    try:
        status, payload = client.send(method, path, body)
    except (OSError, ValueError) as error:
        errors.append(repr(error))
        return
    if status not in expected:
        errors.append(f"HTTP {status}: {payload[:200]!r}")
        return
    latencies.append(time.perf_counter() - started)


def api_phase(pool, port, secret, clients, seconds, run_tag, server, url):
    def work(deadline, latencies, errors, _state):
        client = RawClient(port, secret, timeout=60)
        serial = 0
        while time.perf_counter() < deadline:
            (reading_id, value, _metric_id, _contract_id, _start), = pool.take()
            serial += 1
            body = json.dumps({"value": str(corrected(value, serial)), "note": f"bench {run_tag} #{serial}"})
            timed_send(client, "PATCH", f"/api/v1/readings/{reading_id}", body, (200,), latencies, errors)

    def groups():
        return {"app": [server.pid, *children(server.pid)], "database": backend_pids(url), "client": [os.getpid()]}

    # Warm-up: every worker imports and connects before the clock starts.
    run_threads(clients, 2, work)
    latencies, errors, elapsed, _states, cpu = run_threads(clients, seconds, work, groups=groups)
    return with_cpu(summarise("API: PATCH /api/v1/readings/<id>", latencies, elapsed, errors), cpu)


def framework_phase(port, secret, clients, seconds, server):
    """The framework's part of a request: GET of an address under /api/v1 that no route has
    (404: gunicorn, Flask, the request hooks and the error answer; no token looked up, no
    statement), timed as the corrections are. What a request costs before any of its own work."""
    def work(deadline, latencies, errors, _state):
        client = RawClient(port, secret, timeout=60)
        while time.perf_counter() < deadline:
            timed_send(client, "GET", "/api/v1/no-such-address", "", (404,), latencies, errors)

    def groups():
        return {"app": [server.pid, *children(server.pid)], "client": [os.getpid()]}

    run_threads(clients, 1, work)
    latencies, errors, elapsed, _states, cpu = run_threads(clients, seconds, work, groups=groups)
    return with_cpu(summarise("Framework: GET of an unknown /api/v1 address (404)", latencies, elapsed, errors), cpu)


def batch_body(rows, run_tag):
    """The body of one POST /api/v1/readings/batch for ``rows`` (reading id, value, metric id,
    contract id, period start): a correction of each reading (its metric and period), with a
    note, as ``contracts_app.api.metrics.record_readings_batch`` takes them."""
    return json.dumps({"readings": [
        {"metric_id": metric_id, "period_start": start.isoformat(), "value": str(corrected(value, i)),
         "note": f"bench batch {run_tag} #{i}"}
        for i, (_reading_id, value, metric_id, _c, start) in enumerate(rows)
    ]})


def batch_phase(pool, port, secret, clients, seconds, run_tag, present, server, url):
    label = f"API: POST {BATCH_PATH} ({BATCH_SIZE:,} per request)"
    if not present:
        return {"label": label, "status": "missing"}
    def work(deadline, latencies, errors, _state):
        client = RawClient(port, secret)
        while time.perf_counter() < deadline:
            body = batch_body(pool.take(BATCH_SIZE), run_tag)
            timed_send(client, "POST", BATCH_PATH, body, (200, 201), latencies, errors)

    def groups():
        return {"app": [server.pid, *children(server.pid)], "database": backend_pids(url), "client": [os.getpid()]}

    latencies, errors, elapsed, _states, cpu = run_threads(clients, seconds, work, groups=groups)
    return with_cpu(summarise(label, latencies, elapsed, errors, per_request=BATCH_SIZE), cpu)


# --- the SQL floor ---------------------------------------------------------------------------


def sql_phase(pool, url, clients, seconds, run_tag):
    """The same logical write as PATCH /readings/<id>, by hand, one transaction per reading."""
    import psycopg

    conninfo = _psycopg_url(url)
    with psycopg.connect(conninfo) as conn:
        actor_id = conn.execute("SELECT id FROM users WHERE email = %s", (OFFICER_EMAIL,)).fetchone()[0]

    def work(deadline, latencies, errors, conn):
        serial = 0
        while time.perf_counter() < deadline:
            (reading_id, value, metric_id, contract_id, _start), = pool.take()
            serial += 1
            new_value, note = corrected(value, serial), f"bench sql {run_tag} #{serial}"
            now = datetime.now(timezone.utc)
            started = time.perf_counter()
            try:
                with conn.transaction():
                    row = conn.execute(
                        "SELECT value, note, status, recorded_by_id, recorded_at, version, period_start, period_end "
                        "FROM readings WHERE id = %s FOR UPDATE", (reading_id,),
                    ).fetchone()
                    old_value, old_note, old_status, recorded_by, recorded_at, version, start, end = row
                    conn.execute(
                        "INSERT INTO reading_revisions (reading_id, value, note, status, recorded_by_id, recorded_at, "
                        "replaced_by_id, replaced_at, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (reading_id, old_value, old_note, old_status, recorded_by, recorded_at, actor_id, now, version),
                    )
                    conn.execute(
                        "UPDATE readings SET value = %s, note = %s, status = %s, recorded_by_id = %s, recorded_at = %s, "
                        "version = version + 1 WHERE id = %s",
                        (new_value, note, old_status, actor_id, now, reading_id),
                    )
                    conn.execute(
                        "UPDATE metrics SET status = %s, status_period_start = %s, status_updated_at = %s, updated_at = %s "
                        "WHERE id = %s",
                        (old_status, start, now, now, metric_id),
                    )
                    conn.execute(
                        "UPDATE contracts SET health = health, health_updated_at = %s, updated_at = %s WHERE id = %s",
                        (now, now, contract_id),
                    )
                    snapshot = {"id": reading_id, "metric_id": metric_id, "period_start": start.isoformat(),
                                "period_end": end.isoformat(), "note": old_note, "status": old_status,
                                "recorded_by_id": recorded_by, "recorded_at": recorded_at.isoformat(),
                                "version": version, "submitted_by_id": None, "verified_by_id": None}
                    conn.execute(
                        "INSERT INTO audit_events (actor_id, action, entity_type, entity_id, contract_id, summary, "
                        "before, after, created_at) VALUES (%s, 'update', 'reading', %s, %s, %s, %s, %s, %s)",
                        (actor_id, reading_id, contract_id, f"Corrected reading {reading_id}",
                         json.dumps({**snapshot, "value": str(old_value)}),
                         json.dumps({**snapshot, "value": str(new_value), "note": note, "recorded_by_id": actor_id,
                                    "recorded_at": now.isoformat(), "version": version + 1}), now),
                    )
            except psycopg.Error as error:
                errors.append(repr(error))
                continue
            latencies.append(time.perf_counter() - started)

    connections = []

    def setup():
        conn = psycopg.connect(conninfo)
        connections.append(conn)
        return conn

    def groups():
        return {"app": [], "database": [conn.info.backend_pid for conn in connections], "client": [os.getpid()]}

    latencies, errors, elapsed, _states, cpu = run_threads(clients, seconds, work, setup=setup, groups=groups)
    for conn in connections:
        conn.close()
    return with_cpu(summarise("SQL floor: the same write by hand (psycopg)", latencies, elapsed, errors), cpu)


# --- the report ------------------------------------------------------------------------------


def _ms(value):
    return f"{value:.0f}" if value is not None and value >= 10 else (f"{value:.1f}" if value is not None else "–")


def report(results, args):
    api, sql = results["api"], results["sql"]
    lines = [
        f"Write bench {datetime.now().strftime('%Y-%m-%d %H:%M')} on {platform.node()} ({os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; PostgreSQL on the same host); {SIZE:,} contracts; gunicorn "
        f"{args.workers} " + (f"gthread workers × {args.threads} threads" if args.threads > 1 else "sync workers")
        + f"; {args.clients} concurrent clients ({args.batch_clients} for the batches); {args.seconds:g} s per phase.",
        "",
        "| Write | Writes | Writes/s | Median ms | p90 ms | CPU ms/write: app | database | client | Errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in ("api", "sql", "batch", "framework"):
        if key not in results:
            continue
        r = results[key]
        if r["status"] != "ok":
            lines.append(f"| {r['label']} | {r['status']} | | | | | | | |")
            continue
        cpu = r.get("cpu_ms", {})
        cells = " | ".join(f"{cpu[k]:.2f}" if cpu.get(k) else "–" for k in ("app", "database", "client"))
        lines.append(
            f"| {r['label']} | {r['writes']:,} | {r['rate']:.0f} | {_ms(r['median_ms'])} | {_ms(r['p90_ms'])} | "
            f"{cells} | {len(r['errors'])} |"
        )
    lines.append("")
    if api["rate"] and sql["rate"]:
        lines.append(f"Single API writes / SQL floor: **{api['rate'] / sql['rate']:.1%}** (target: at least 25%).")
        server_cpu = {key: sum(results[key].get("cpu_ms", {}).get(k, 0) for k in ("app", "database")) for key in ("api", "sql")}
        if server_cpu["api"] and server_cpu["sql"]:
            lines.append(
                f"Server CPU per write (app + database, the clients left out): API {server_cpu['api']:.1f} ms, "
                f"SQL floor {server_cpu['sql']:.2f} ms; as a ratio of what 2 free cores would do: "
                f"{server_cpu['sql'] / server_cpu['api']:.1%}."
            )
    batch = results["batch"]
    if batch["status"] == "ok" and sql["rate"]:
        lines.append(f"Batch API writes / SQL floor: **{batch['rate'] / sql['rate']:.1%}**.")
    if batch["status"] == "ok" and batch["median_ms"] is not None:
        lines.append(
            f"A batch of {BATCH_SIZE:,} corrections: median {batch['median_ms'] / 1000:.2f} s, p90 "
            f"{batch['p90_ms'] / 1000:.2f} s ({batch['requests']} batches; target: under 2 s)."
        )
    for key in ("api", "sql", "batch"):
        errors = results[key].get("errors") or []
        if errors:
            lines.append(f"\nFirst errors of {results[key]['label']}: " + "; ".join(errors[:3]))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="timed seconds per phase (default 20)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker (> 1: gthread workers, still --workers processes)")
    parser.add_argument("--batch-clients", type=int, default=1,
                        help="concurrent clients of the batch phase (default 1: the time of one batch)")
    parser.add_argument("--fresh", action="store_true", help=f"rebuild {DATABASE} even if it is there")
    parser.add_argument("--skip-sql", action="store_true", help="API only (no SQL floor)")
    parser.add_argument("--framework", action="store_true",
                        help="also time a request that does no work of its own (a 404 under /api/v1)")
    args = parser.parse_args(argv)
    url = ensure_city(fresh=args.fresh)
    secret, batch_present = make_token(url)
    pool = Pool(url)
    log(f"[writes] {len(pool.rows):,} readings in the pool")
    run_tag = datetime.now().strftime("%H%M%S")
    results = {}
    port = free_port()
    server = start_gunicorn(url, args.workers, port, args.threads)
    try:
        log("[writes] API corrections…")
        results["api"] = api_phase(pool, port, secret, args.clients, args.seconds, run_tag, server, url)
        log(f"[writes] {results['api']['rate']:.0f}/s")
        log("[writes] batch…")
        results["batch"] = batch_phase(pool, port, secret, args.batch_clients, args.seconds, run_tag, batch_present, server, url)
        if args.framework:
            log("[writes] framework…")
            results["framework"] = framework_phase(port, secret, args.clients, args.seconds, server)
    finally:
        stop(server)
    if args.skip_sql:
        results["sql"] = {"label": "SQL floor", "status": "skipped", "rate": 0}
    else:
        log("[writes] SQL floor…")
        results["sql"] = sql_phase(pool, url, args.clients, args.seconds, run_tag)
        log(f"[writes] {results['sql']['rate']:.0f}/s")
    table = report(results, args)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "writes.md"), "w") as handle:
        handle.write(table)
    print(table)
    return results


if __name__ == "__main__":
    main()
