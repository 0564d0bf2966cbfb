"""Time the portfolio pages on a generated city, at several sizes, on SQLite and PostgreSQL.

    python -m bench.run [--sizes 100,10000] [--backends sqlite,postgresql] [--repeat 15]

For each backend and size: a fresh database (SQLite: bench/out/bench_<size>.sqlite3;
PostgreSQL: rdc_bench_<size> on the server of BENCH_DATABASE_URL or TEST_DATABASE_URL,
default postgresql://postgres@127.0.0.1:5432/postgres), the schema from the migrations, a
generated city (bench.generate), the sweep timed twice, then each page requested once to warm
up and ``repeat`` times timed, signed in as the bench cdo. Prints a markdown table and writes
it to bench/out/results.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

from sqlalchemy import event
from sqlalchemy.engine import make_url
from werkzeug.exceptions import MethodNotAllowed, NotFound

from config import TestingConfig
from config.settings import normalise_database_url

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# The city is generated relative to the real clock, because the pages judge "today" from it.
NOW = datetime.now(timezone.utc)


def log(message):
    print(message, file=sys.stderr, flush=True)


def admin_url():
    raw = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_ADMIN_URL
    url = make_url(normalise_database_url(raw))
    return url.set(database="postgres")


def fresh_database(backend, size):
    """A URL of an empty database for this run (dropped and recreated)."""
    if backend == "sqlite":
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, f"bench_{size}.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return f"sqlite:///{path}"
    import psycopg

    name = f"rdc_bench_{int(size)}"
    assert name.startswith("rdc_bench_")  # never the CI database
    admin = admin_url()
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


def make_app(url):
    from contracts_app import create_app

    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {}
        WTF_CSRF_ENABLED = False

    return create_app(BenchConfig)


class Counter:
    def __init__(self):
        self.count = 0
        self.statements = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.statements.append(statement)


def route_exists(app, path):
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except NotFound:
        return False
    except MethodNotAllowed:
        return False
    except Exception:  # a redirect (trailing slash) still means the endpoint exists
        return True
    return True


def time_page(app, client, engine, path, repeat):
    """(status, median ms, p90 ms, queries per request) of GET path."""
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        warm = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    if warm.status_code == 404 and not route_exists(app, path):
        return {"status": "missing"}
    if warm.status_code != 200:
        return {"status": f"HTTP {warm.status_code}"}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            return {"status": f"HTTP {response.status_code}"}
    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return {
        "status": "ok", "median": statistics.median(times), "p90": p90, "queries": counter.count,
        "bytes": len(warm.data), "statements": counter.statements,
    }


def bench_one(backend, size, repeat, seed=0):
    from bench.generate import generate_city
    from contracts_app.extensions import db
    from scheduler.jobs import sweep_job

    url = normalise_database_url(fresh_database(backend, size))
    app = make_app(url)
    result = {"backend": backend, "size": size}
    with app.app_context():
        import flask_migrate

        started = time.perf_counter()
        flask_migrate.upgrade()
        result["migrate_s"] = time.perf_counter() - started
        log(f"[{backend} {size}] generating…")
        summary = generate_city(size, seed=seed, now=NOW, log=log)
        result["generate_s"] = summary.seconds
        result["phases"] = summary.phases
        result["counts"] = summary.counts
        db.session.remove()
        for run in ("sweep_first_s", "sweep_second_s"):
            started = time.perf_counter()
            # The scheduler's job: the sweep, then this month's health snapshots.
            outcome = sweep_job(app, NOW)
            result[run] = time.perf_counter() - started
            result[run.replace("_s", "_result")] = outcome
            db.session.remove()
            log(f"[{backend} {size}] {run}: {result[run]:.2f}s {outcome}")
        if backend == "postgresql":
            # The sweeps rewrote thousands of contract rows; autovacuum would clean up after
            # them within a minute in a running city, so time the pages in that steady state.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
                # Flush the load's dirty pages now, not in the middle of the timed requests.
                conn.exec_driver_sql("CHECKPOINT")
        priority_id = summary.priority_ids[0]
        contract_id = summary.sample_contract_id
        engine = db.engine
    # Requests run outside the set-up app context: each gets its own, as in production.
    client = app.test_client()
    response = client.post("/login", data={"email": summary.cdo_email, "password": summary.password})
    if response.status_code != 302:
        raise SystemExit(f"bench sign-in failed ({response.status_code})")
    pages = [
        ("Dashboard", "/portfolio"),
        ("Priority page", f"/portfolio/priorities/{priority_id}"),
        ("Contract scorecard", f"/portfolio/contracts/{contract_id}"),
        ("Register (ref.)", "/contracts"),
        ("Contract page (ref.)", f"/contracts/{contract_id}"),
    ]
    result["pages"] = {}
    for label, path in pages:
        timing = time_page(app, client, engine, path, repeat)
        timing["path"] = path
        result["pages"][label] = timing
        if timing["status"] == "ok":
            log(f"[{backend} {size}] {label} {path}: median {timing['median']:.1f} ms, "
                f"p90 {timing['p90']:.1f} ms, {timing['queries']} queries")
        else:
            log(f"[{backend} {size}] {label} {path}: {timing['status']}")
    engine.dispose()
    return result


def _fmt(timing, key, digits=1):
    if timing.get("status") != "ok":
        return timing.get("status", "?")
    return f"{timing[key]:.{digits}f}" if isinstance(timing[key], float) else str(timing[key])


def report(results, sizes, repeat):
    lines = [
        f"Bench run {datetime.now().strftime('%Y-%m-%d %H:%M')} on {platform.node()} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}); {repeat} timed requests per page after one "
        f"warm-up; times in ms (median / p90); queries = SQL statements per request.",
        "",
        "| Backend | Contracts | Readings | Page | Median ms | p90 ms | Queries |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        for label, timing in r["pages"].items():
            lines.append(
                f"| {r['backend']} | {r['size']:,} | {r['counts'].get('readings', 0):,} | {label} | "
                f"{_fmt(timing, 'median')} | {_fmt(timing, 'p90')} | {_fmt(timing, 'queries')} |"
            )
    lines += ["", "| Backend | Contracts | Generate s | Sweep 1st s | Sweep 2nd s | Flags opened (1st) |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['size']:,} | {r['generate_s']:.1f} | {r['sweep_first_s']:.2f} | "
            f"{r['sweep_second_s']:.2f} | {r['sweep_first_result']['flags_opened']} |"
        )
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        lines += ["", f"Ratio {large:,} / {small:,} contracts (median time; target for the dashboard: under 3×):", ""]
        for backend in sorted({r["backend"] for r in results}):
            by_size = {r["size"]: r for r in results if r["backend"] == backend}
            if small not in by_size or large not in by_size:
                continue
            parts = []
            for label in by_size[small]["pages"]:
                a, b = by_size[small]["pages"][label], by_size[large]["pages"].get(label, {})
                if a.get("status") == "ok" and b.get("status") == "ok":
                    parts.append(f"{label} {b['median'] / a['median']:.2f}×")
                else:
                    parts.append(f"{label} n/a")
            lines.append(f"- {backend}: " + ", ".join(parts))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,10000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in backends:
        if backend not in ("sqlite", "postgresql"):
            parser.error(f"unknown backend {backend!r}")
    results = []
    for backend in backends:
        for size in sizes:
            results.append(bench_one(backend, size, args.repeat, seed=args.seed))
    table = report(results, sizes, args.repeat)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.md"), "w") as handle:
        handle.write(table)
    print(table)
    return results


if __name__ == "__main__":
    main()
