"""Time the portfolio pages on a generated city, at several sizes, on SQLite and PostgreSQL.

    python -m bench.run [--sizes 100,10000] [--backends sqlite,postgresql] [--repeat 15] [--sweeps 3] [--fresh]

For each backend and size: the generated city (bench.generate on the schema from the
migrations), cached as a template (see ``cached_city``); on copies of it the first sweep after
the load, ``sweeps`` times, each beside the SQL floor of the same check on PostgreSQL
(bench.sweep_floor); then the steady-state sweep, and each page requested once to warm up and
``repeat`` times timed, signed in as the bench cdo (SQLite: bench/out/bench_<size>.sqlite3;
PostgreSQL: rdc_bench_<size> on the server of BENCH_DATABASE_URL or TEST_DATABASE_URL,
default postgresql://postgres@127.0.0.1:5432/postgres). Prints a markdown table and writes it
to bench/out/results.md.
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
LOAD_AT_START = os.getloadavg()[0]


def log(message):
    print(message, file=sys.stderr, flush=True)


def admin_url():
    raw = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_ADMIN_URL
    url = make_url(normalise_database_url(raw))
    return url.set(database="postgres")


def _pg_conninfo(database="postgres"):
    return admin_url().set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def _pg_url(name):
    return admin_url().set(database=name).render_as_string(hide_password=False)


def _pg_admin(*statements):
    import psycopg

    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def fresh_database(backend, size, suffix=""):
    """A URL of an empty database for this run (dropped and recreated)."""
    if backend == "sqlite":
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, f"bench_{size}{suffix}.sqlite3")
        _remove_sqlite(path)
        return f"sqlite:///{path}"
    name = f"rdc_bench_{int(size)}{suffix}"
    assert name.startswith("rdc_bench_")  # never the CI database
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return _pg_url(name)


def _remove_sqlite(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


# --- The generated city, cached ---------------------------------------------------------------
# Generating 10,000 contracts takes about half a minute per backend. The city as generated (the
# migrations, the load, VACUUM ANALYZE on PostgreSQL; no sweep yet) is kept as a template
# (PostgreSQL: the database rdc_bench_<size>_city; SQLite: bench/out/bench_<size>_city.sqlite3) with
# its summary in bench/out/city_<backend>_<size>.json, and every measurement starts from a copy
# of it: "the first sweep after a load" can be timed again and again on the same load. The cache
# holds for the same seed, the same migrations head, the same generator and the same UTC day
# (the city is built relative to the clock, which the pages judge "today" from).


def _cache_key(seed):
    import hashlib

    from alembic.script import ScriptDirectory

    root = os.path.dirname(HERE)
    heads = ScriptDirectory(os.path.join(root, "migrations")).get_heads()
    with open(os.path.join(HERE, "generate.py"), "rb") as handle:
        generator = hashlib.sha256(handle.read()).hexdigest()[:16]
    return {"seed": seed, "heads": sorted(heads), "generator": generator, "day": NOW.date().isoformat()}


def _summary_path(backend, size):
    return os.path.join(OUT, f"city_{backend}_{int(size)}.json")


def _city_exists(backend, size):
    if backend == "sqlite":
        return os.path.exists(os.path.join(OUT, f"bench_{int(size)}_city.sqlite3"))
    import psycopg

    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (f"rdc_bench_{int(size)}_city",)).fetchone() is not None


def cached_city(backend, size, seed=0, fresh=False):
    """The summary of the cached city of ``size`` contracts (generated now when missing, stale
    or ``fresh``): a dict with the generation's counts, timings, ids and its "now"."""
    import json

    from bench.generate import generate_city
    from contracts_app.extensions import db

    key = _cache_key(seed)
    path = _summary_path(backend, size)
    if not fresh and os.path.exists(path) and _city_exists(backend, size):
        with open(path) as handle:
            stored = json.load(handle)
        if stored.get("key") == key:
            log(f"[{backend} {size}] reusing the cached city of {stored['generated_at']} ({path})")
            stored["cached"] = True
            return stored
    url = normalise_database_url(fresh_database(backend, size, "_city"))
    app = make_app(url)
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        log(f"[{backend} {size}] generating…")
        summary = generate_city(size, seed=seed, now=NOW, log=log)
        db.session.remove()
        db.engine.dispose()
    stored = {
        "key": key, "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "now": summary.now.isoformat(), "generate_s": summary.seconds, "phases": summary.phases,
        "counts": summary.counts, "cdo_email": summary.cdo_email, "password": summary.password,
        "priority_ids": summary.priority_ids, "sample_contract_id": summary.sample_contract_id,
    }
    os.makedirs(OUT, exist_ok=True)
    with open(path, "w") as handle:
        json.dump(stored, handle, indent=1)
    stored["cached"] = False
    return stored


def copy_city(backend, size, suffix=""):
    """A URL of a new copy of the cached city (its database as generated, statistics included)."""
    if backend == "sqlite":
        import shutil

        source = os.path.join(OUT, f"bench_{int(size)}_city.sqlite3")
        target = os.path.join(OUT, f"bench_{int(size)}{suffix}.sqlite3")
        _remove_sqlite(target)
        for end in ("", "-wal"):
            if os.path.exists(source + end):
                shutil.copyfile(source + end, target + end)
        return f"sqlite:///{target}"
    name = f"rdc_bench_{int(size)}{suffix}"
    assert name.startswith("rdc_bench_") and not name.endswith("_city")
    _pg_admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "rdc_bench_{int(size)}_city"',
    )
    return _pg_url(name)


def drop_copy(backend, size, suffix):
    if backend == "sqlite":
        _remove_sqlite(os.path.join(OUT, f"bench_{int(size)}{suffix}.sqlite3"))
    else:
        _pg_admin(f'DROP DATABASE IF EXISTS "rdc_bench_{int(size)}{suffix}" WITH (FORCE)')


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
    if not times:  # the warm-up only: the timed requests are made by time_pages
        return {"status": "ok", "queries": counter.count, "bytes": len(warm.data), "statements": counter.statements}
    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return {
        "status": "ok", "median": statistics.median(times), "p90": p90, "queries": counter.count,
        "bytes": len(warm.data), "statements": counter.statements,
    }


def _median_range(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": list(values)}


def bench_one(backend, size, repeat, seed=0, sweeps=1, fresh=False):
    from bench.sweep_floor import sweep_floor
    from contracts_app.extensions import db
    from scheduler.jobs import sweep_job

    city = cached_city(backend, size, seed=seed, fresh=fresh)
    now = datetime.fromisoformat(city["now"])
    result = {
        "backend": backend, "size": size, "generate_s": city["generate_s"], "cached": city["cached"],
        "counts": city["counts"],
    }
    # The first sweep after the load, ``sweeps`` times, each on a new copy of the load; on
    # PostgreSQL each beside its SQL floor (bench.sweep_floor) on another copy, alternately.
    firsts, floors = [], []
    config = make_app(DEFAULT_ADMIN_URL).config  # the settings the floor uses (grace, gaps, time zone)
    for attempt in range(sweeps):
        if backend == "postgresql":
            copy_city(backend, size, "_floor")
            floor = sweep_floor(_pg_conninfo(f"rdc_bench_{int(size)}_floor"), now, config)
            drop_copy(backend, size, "_floor")
            floors.append(floor)
            log(f"[{backend} {size}] SQL floor: {floor['seconds']:.2f}s {floor}")
        url = normalise_database_url(copy_city(backend, size))
        app = make_app(url)
        with app.app_context():
            started = time.perf_counter()
            # The scheduler's job: the sweep, then this month's health snapshots.
            outcome = sweep_job(app, now)
            firsts.append(time.perf_counter() - started)
            result["sweep_first_result"] = outcome
            db.session.remove()
            log(f"[{backend} {size}] sweep_first_s: {firsts[-1]:.2f}s {outcome}")
            if attempt < sweeps - 1:
                db.engine.dispose()
    result["sweep_first"] = _median_range(firsts)
    result["sweep_first_s"] = result["sweep_first"]["median"]
    if floors:
        result["floor"] = _median_range([f["seconds"] for f in floors])
        result["floor_result"] = floors[-1]
        result["first_over_floor"] = _median_range([a / f["seconds"] for a, f in zip(firsts, floors)])
    with app.app_context():
        started = time.perf_counter()
        outcome = sweep_job(app, now)
        result["sweep_second_s"] = time.perf_counter() - started
        result["sweep_second_result"] = outcome
        db.session.remove()
        log(f"[{backend} {size}] sweep_second_s: {result['sweep_second_s']:.2f}s {outcome}")
        if backend == "postgresql":
            # The sweeps rewrote thousands of contract rows; autovacuum would clean up after
            # them within a minute in a running city, so time the pages in that steady state.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
                # Flush the load's dirty pages now, not in the middle of the timed requests.
                conn.exec_driver_sql("CHECKPOINT")
        priority_id = city["priority_ids"][0]
        contract_id = city["sample_contract_id"]
        engine = db.engine

    # Requests run outside the set-up app context: each gets its own, as in production.
    client = app.test_client()
    response = client.post("/login", data={"email": city["cdo_email"], "password": city["password"]})
    if response.status_code != 302:
        raise SystemExit(f"bench sign-in failed ({response.status_code})")
    pages = [
        ("Dashboard", "/portfolio"),
        ("Priority page", f"/priorities/{priority_id}"),
        ("Contract scorecard", f"/portfolio/contracts/{contract_id}"),
        ("Register (ref.)", "/contracts"),
        ("Contract page (ref.)", f"/contracts/{contract_id}"),
    ]
    result["_pages"] = pages
    result["_session"] = (app, client, engine)
    return result


def time_pages(results, repeat):
    """Time every page of ``results`` (one backend's sizes, set up by ``bench_one``) with the
    sizes interleaved: each timed request of a page at one size is followed by the same page's
    at the next, so that the ratios between sizes compare requests made within the same
    moments of a shared, noisy machine."""
    for result in results:
        result["pages"] = {}
    for index, (label, _) in enumerate(results[0]["_pages"]):
        timings = {}
        for result in results:
            app, client, engine = result["_session"]
            path = result["_pages"][index][1]
            timings[result["size"]] = time_page(app, client, engine, path, 0)
            timings[result["size"]]["path"] = path
        times = {size: [] for size in timings}
        for _ in range(repeat):
            for result in results:
                timing = timings[result["size"]]
                if timing["status"] != "ok":
                    continue
                app, client, engine = result["_session"]
                started = time.perf_counter()
                response = client.get(timing["path"])
                times[result["size"]].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    timing["status"] = f"HTTP {response.status_code}"
        for result in results:
            timing = timings[result["size"]]
            if timing["status"] == "ok":
                spread = sorted(times[result["size"]])
                timing["median"] = statistics.median(spread)
                timing["p90"] = spread[min(len(spread) - 1, int(round(0.9 * (len(spread) - 1))))]
                log(f"[{result['backend']} {result['size']}] {label} {timing['path']}: median "
                    f"{timing['median']:.1f} ms, p90 {timing['p90']:.1f} ms, {timing['queries']} queries")
            else:
                log(f"[{result['backend']} {result['size']}] {label} {timing['path']}: {timing['status']}")
            result["pages"][label] = timing
    for result in results:
        result.pop("_session")[2].dispose()
        result.pop("_pages")


def _fmt(timing, key, digits=1):
    if timing.get("status") != "ok":
        return timing.get("status", "?")
    return f"{timing[key]:.{digits}f}" if isinstance(timing[key], float) else str(timing[key])


def report(results, sizes, repeat):
    lines = [
        f"Bench run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC on {platform.node()} "
        f"(load average {LOAD_AT_START:.1f} at the start) "
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
    lines += [
        "", "Sweeps: the scheduler's job (sweep, then this month's snapshots) on a copy of the generated load; "
        "1st = the first after the load (median and range over the runs, each on a new copy), 2nd = the steady state; "
        "SQL floor = bench.sweep_floor, the same check in hand-written set-based SQL (PostgreSQL), on another copy "
        "of the same load, alternately with the 1st (target: 1st within 2× the floor).", "",
        "| Backend | Contracts | Generate s | SQL floor s | Sweep 1st s | 1st / floor | Sweep 2nd s | Flags opened (1st / floor) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def spread(entry, digits=2, unit=""):
        if entry is None:
            return "–"
        if len(entry["runs"]) == 1:
            return f"{entry['median']:.{digits}f}{unit}"
        return f"{entry['median']:.{digits}f}{unit} ({entry['min']:.{digits}f}–{entry['max']:.{digits}f})"

    for r in results:
        floor_opened = r["floor_result"]["flags_opened"] if r.get("floor_result") else "–"
        lines.append(
            f"| {r['backend']} | {r['size']:,} | {r['generate_s']:.1f}{' (cached)' if r.get('cached') else ''} | "
            f"{spread(r.get('floor'))} | {spread(r['sweep_first'])} | {spread(r.get('first_over_floor'), 2, '×')} | "
            f"{r['sweep_second_s']:.2f} | {r['sweep_first_result']['flags_opened']} / {floor_opened} |"
        )
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        lines += ["", f"Ratio {large:,} / {small:,} contracts (median time; targets: the dashboard and the priority page under 3×):", ""]
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
    parser.add_argument("--sweeps", type=int, default=3,
                        help="first sweeps after the load (each on a new copy, beside a SQL floor on PostgreSQL)")
    parser.add_argument("--fresh", action="store_true", help="generate the cities again (ignore the cache)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in backends:
        if backend not in ("sqlite", "postgresql"):
            parser.error(f"unknown backend {backend!r}")
    if args.sweeps < 1:
        parser.error("--sweeps must be at least 1")
    results = []
    for backend in backends:
        prepared = [
            bench_one(backend, size, args.repeat, seed=args.seed, sweeps=args.sweeps, fresh=args.fresh) for size in sizes
        ]
        time_pages(prepared, args.repeat)
        results += prepared
    table = report(results, sizes, args.repeat)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.md"), "w") as handle:
        handle.write(table)
    print(table)
    return results


if __name__ == "__main__":
    main()
