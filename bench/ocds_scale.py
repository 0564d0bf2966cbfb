"""Time the nightly open-data publication at city scale: 10,000 contracts, 1,000,000 readings.

    python -m bench.ocds_scale [--fresh] [--sqlite] [--batch N] [--profile]

Issue 13 §2: the OCDS package for 10,000 contracts with 1,000,000 readings written streaming
(constant memory, under 300 MB resident) and in under 60 seconds on this machine.

The city (bench.generate) is built once and reused: PostgreSQL database ``rdc_bench_ocds`` on
the server of BENCH_DATABASE_URL or TEST_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), SQLite bench/out/bench_ocds.sqlite3 with
``--sqlite``; ``--fresh`` builds it again. Every measurement runs in a child process of its own
that does only that (so its peak resident memory, ru_maxrss, is the measurement's), into a new
temporary publish folder:

1. **idle**: the app created and one statement run (the resident memory of the process before
   any publication: Python, Flask, SQLAlchemy, the models);
2. **publication**: ``scheduler.jobs.publish_job`` (what the nightly job runs): the release and
   record packages, the three CSVs and data.json; then **again** on the same folder, nothing
   changed in between: it must write no file (checked: the list of written files and every
   file's mtime);
3. **each part alone**, in a new folder: both packages (written in one pass over the releases),
   each CSV, data.json;
4. **the floors**, the same rows without the app: on PostgreSQL ``COPY (SELECT …) TO STDOUT``
   of the three CSVs' rows (the same joins, filters and order) streamed to files with psycopg,
   and the readings' rows fetched with a server-side cursor and formatted in Python, one line
   each (the least a Python process can do with 1,000,000 rows); on SQLite the three CSVs'
   rows through the sqlite3 module, a line each.

Reported for each: wall seconds, CPU seconds of the process (user + system), peak RSS (MB),
bytes written, SQL statements. The table is printed and written to bench/out/ocds_scale.md.
``--profile`` runs the publication once more under cProfile and prints where its time went.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

from sqlalchemy.engine import make_url

from bench.run import OUT, admin_url, log, make_app
from config.settings import normalise_database_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE = "rdc_bench_ocds"
SQLITE_PATH = os.path.join(OUT, "bench_ocds.sqlite3")
SIZE = 10000
CSVS = ("contracts.csv", "metrics.csv", "readings.csv")
TARGET_SECONDS = 60
TARGET_MB = 300


def database_url(backend):
    if backend == "sqlite":
        return f"sqlite:///{SQLITE_PATH}"
    assert DATABASE != "test"
    return admin_url().set(database=DATABASE).render_as_string(hide_password=False)


def _psycopg_url(url):
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _count_contracts(backend):
    try:
        if backend == "sqlite":
            import sqlite3

            if not os.path.exists(SQLITE_PATH):
                return None
            with sqlite3.connect(SQLITE_PATH) as conn:
                return conn.execute("SELECT count(*) FROM contracts").fetchone()[0]
        import psycopg

        with psycopg.connect(_psycopg_url(database_url(backend))) as conn:
            return conn.execute("SELECT count(*) FROM contracts").fetchone()[0]
    except Exception:  # no database yet, no schema
        return None


def ensure_city(backend, fresh=False, seed=0):
    """The bench database with its 10,000-contract city: reused when it is there, else built."""
    if not fresh and _count_contracts(backend) == SIZE:
        log(f"[ocds {backend}] reusing {database_url(backend)} ({SIZE:,} contracts)")
        return database_url(backend)
    if backend == "sqlite":
        os.makedirs(OUT, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(SQLITE_PATH + suffix):
                os.remove(SQLITE_PATH + suffix)
    else:
        import psycopg

        with psycopg.connect(_psycopg_url(admin_url().render_as_string(hide_password=False)), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    app = make_app(normalise_database_url(database_url(backend)))
    from bench.generate import generate_city
    from contracts_app.extensions import db

    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        log(f"[ocds {backend}] generating {SIZE:,} contracts…")
        generate_city(SIZE, seed=seed, now=datetime.now(timezone.utc), log=log)
        db.session.remove()
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("CHECKPOINT")
        db.engine.dispose()
    return database_url(backend)


# --- The measurements, each in a child process of its own ----------------------------------


def _rss_mb():
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _folder_bytes(folder, names=None):
    if names is None:
        names = [n for n in os.listdir(folder) if not n.startswith(".")]
    return sum(os.path.getsize(os.path.join(folder, n)) for n in names if os.path.exists(os.path.join(folder, n)))


def child(part, url, folder, batch=None, profile=None):
    """Run one measurement in this (new) process; returns its figures as a dict."""
    now = datetime.now(timezone.utc)
    if part.startswith("floor"):
        return _floor(part, url, folder)
    app = make_app(normalise_database_url(url))
    app.config["PUBLISH_DIR"] = folder
    if batch:
        app.config["OCDS_BATCH_SIZE"] = batch
    from sqlalchemy import event, text

    from contracts_app.extensions import db

    statements = [0]
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.rollback()

        def count(*_args):
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
    rss_before = _rss_mb()
    cpu_before, started = _cpu(), time.perf_counter()
    result = {}
    if part == "idle":
        pass
    elif profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        result = _run_part(part, app, folder, now)
        profiler.disable()
        profiler.dump_stats(profile)
    else:
        result = _run_part(part, app, folder, now)
    wall, cpu = time.perf_counter() - started, _cpu() - cpu_before
    written = result.get("written")
    return {
        "part": part, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "rss_mb": round(_rss_mb(), 1),
        "rss_before_mb": round(rss_before, 1), "statements": statements[0],
        "bytes": _folder_bytes(folder, written) if written is not None else _folder_bytes(folder),
        **result,
    }


def _run_part(part, app, folder, now):
    from contracts_app.publish import catalog, run, tables
    from contracts_app.publish.files import json_text, write_if_changed

    if part == "publication":
        from scheduler.jobs import publish_job

        summary = publish_job(app, now)
        return {"written": summary["written"], "unchanged": summary["unchanged"]}
    with app.app_context():
        config = app.config
        prefix = config["OCDS_OCID_PREFIX"]
        if part == "packages":
            base = config["APP_BASE_URL"].rstrip("/") + "/public/data"
            run._write_packages(folder, base, now)
            return {"written": ["release-package.json", "record-package.json"]}
        if part in CSVS:
            build = {"contracts.csv": tables.contracts_csv, "metrics.csv": tables.metrics_csv,
                     "readings.csv": tables.readings_csv}[part]
            write_if_changed(os.path.join(folder, part), build(prefix))
            return {"written": [part]}
        if part == "data.json":
            # As publish_open_data writes it: "modified" is the packages' publishedDate.
            from contracts_app.ocds.export import published_date

            datasets = [(key, title, description, [(name, *run.FILES[name][:3]) for name in names])
                        for key, title, description, names in run.DATASETS]
            document = catalog.catalog(config, datasets, published_date(now)[:10])
            write_if_changed(os.path.join(folder, "data.json"), [json_text(document)])
            return {"written": ["data.json"]}
    raise SystemExit(f"unknown part {part!r}")


# The floors: the rows of the three CSVs as the app selects them, without the app.
_PUBLISHED = "c.is_public AND c.archived_at IS NULL"
FLOOR_QUERIES = {
    "contracts.csv": f"""
        SELECT c.id, c.reference, c.title, c.kind, c.department_id, c.department, v.name, v.identifier_scheme,
               v.identifier, c.value, c.currency, c.start_date, c.end_date, c.awarded_on, c.signed_on, c.status,
               c.payment_structure, c.health,
               (SELECT string_agg(p.name, '; ' ORDER BY p.name) FROM contract_priorities cp
                JOIN priorities p ON p.id = cp.priority_id WHERE cp.contract_id = c.id)
        FROM contracts c JOIN vendors v ON v.id = c.vendor_id WHERE {_PUBLISHED} ORDER BY c.id""",
    "metrics.csv": f"""
        SELECT c.id, c.reference, m.id, m.name, m.definition, m.unit, m.direction, m.cadence, m.baseline_value,
               m.baseline_date, m.target_value, m.range_low, m.range_high, m.payment_linked, m.status
        FROM metrics m JOIN contracts c ON c.id = m.contract_id WHERE {_PUBLISHED} AND m.is_public
        ORDER BY c.id, m.position, m.id""",
    "readings.csv": f"""
        SELECT c.id, c.reference, m.id, m.name, m.unit, r.period_start, r.period_end, r.value, r.status
        FROM readings r JOIN metrics m ON m.id = r.metric_id JOIN contracts c ON c.id = m.contract_id
        WHERE {_PUBLISHED} AND m.is_public ORDER BY c.id, m.position, m.id, r.period_start""",
}


def _floor(part, url, folder):
    cpu_before, started = _cpu(), time.perf_counter()
    names = []
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(make_url(url).database)
        queries = {name: query.replace("c.is_public", "c.is_public = 1").replace("m.is_public", "m.is_public = 1")
                   .replace("string_agg(p.name, '; ' ORDER BY p.name)", "group_concat(p.name, '; ')")
                   for name, query in FLOOR_QUERIES.items()}
        for name, query in queries.items():
            with open(os.path.join(folder, name), "w", encoding="utf-8") as out:
                for row in conn.execute(query):
                    out.write(",".join("" if v is None else str(v) for v in row) + "\n")
            names.append(name)
        conn.close()
    else:
        import psycopg

        with psycopg.connect(_psycopg_url(url)) as conn:
            if part == "floor-copy":
                for name, query in FLOOR_QUERIES.items():
                    with open(os.path.join(folder, name), "wb") as out, \
                            conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER)") as copy:
                        for block in copy:
                            out.write(block)
                    names.append(name)
            else:  # floor-rows: the readings through Python, a line each
                with open(os.path.join(folder, "readings.csv"), "w", encoding="utf-8") as out, \
                        conn.cursor(name="floor") as cursor:
                    cursor.itersize = 5000
                    cursor.execute(FLOOR_QUERIES["readings.csv"])
                    for cid, reference, mid, name, unit, start, end, value, status in cursor:
                        out.write(f"{cid},{reference},{mid},{name},{unit},{start},{end},{value},{status}\n")
                names.append("readings.csv")
    return {
        "part": part, "wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(_cpu() - cpu_before, 2),
        "rss_mb": round(_rss_mb(), 1), "statements": len(names), "bytes": _folder_bytes(folder, names),
        "written": names,
    }


def measure(part, url, folder, batch=None, profile=None):
    """Run ``part`` in a new Python process; its figures."""
    command = [sys.executable, "-m", "bench.ocds_scale", "--child", part, "--url", url, "--folder", folder]
    if batch:
        command += ["--batch", str(batch)]
    if profile:
        command += ["--profile-file", profile]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{part} failed:\n{done.stderr[-4000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"  {part}: {figures['wall_s']:.1f} s wall, {figures['cpu_s']:.1f} s CPU, {figures['rss_mb']:.0f} MB peak RSS")
    return figures


def _mtimes(folder):
    return {name: os.stat(os.path.join(folder, name)).st_mtime_ns for name in sorted(os.listdir(folder))}


def bench_backend(backend, fresh=False, batch=None, profile=False):
    url = ensure_city(backend, fresh=fresh)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="rdc-ocds-bench-") as scratch:
        def folder(name):
            path = os.path.join(scratch, name)
            os.makedirs(path, exist_ok=True)
            return path

        log(f"[ocds {backend}] measuring (load average {os.getloadavg()[0]:.2f})")
        rows["idle"] = measure("idle", url, folder("idle"), batch)
        published = folder("published")
        rows["publication"] = measure("publication", url, published, batch)
        before = _mtimes(published)
        rows["again"] = measure("publication", url, published, batch)
        rows["again"]["part"] = "again"
        rows["again"]["files_touched"] = sorted(n for n, t in _mtimes(published).items() if before.get(n) != t)
        for part in ("packages", *CSVS, "data.json"):
            rows[part] = measure(part, url, folder("parts"), batch)
        floors = ("floor-copy", "floor-rows") if backend == "postgresql" else ("floor-rows",)
        for part in floors:
            rows[part] = measure(part, url, folder(part), batch)
        sizes = {name: os.path.getsize(os.path.join(published, name)) for name in sorted(os.listdir(published))}
        if profile:
            stats = os.path.join(OUT, f"ocds_scale_{backend}.prof")
            os.makedirs(OUT, exist_ok=True)
            measure("publication", url, folder("profiled"), batch, profile=stats)
            import pstats

            pstats.Stats(stats, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
            pstats.Stats(stats, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    return rows, sizes


LABELS = {
    "idle": "App started, nothing published (baseline)",
    "publication": "**Nightly publication** (`publish_job`: all six files)",
    "again": "Again, nothing changed (must write no file)",
    "packages": "– release + record package (one pass)",
    "contracts.csv": "– contracts.csv",
    "metrics.csv": "– metrics.csv",
    "readings.csv": "– readings.csv",
    "data.json": "– data.json",
    "floor-copy": "SQL floor: COPY of the three CSVs' rows (psycopg)",
    "floor-rows": "Python floor: rows through Python, a line each (PostgreSQL: readings.csv's; SQLite: the three CSVs')",
}


def report(results, load):
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} CPUs shared with "
        f"other work, Python {platform.python_version()}); load average at the start {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f}, at the end {' / '.join(f'{v:.2f}' for v in os.getloadavg())}. "
        f"{SIZE:,} contracts, 1,000,000 readings; each line a process of its own.",
        "",
        "| Backend | Measurement | Wall s | CPU s | Peak RSS MB | MB written | Statements |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for backend, (rows, sizes) in results.items():
        for key, row in rows.items():
            written = row["bytes"] / 1e6
            lines.append(
                f"| {backend} | {LABELS[key]} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | {row['rss_mb']:.0f} | "
                f"{written:,.1f} | {row['statements']} |"
            )
        publication, again = rows["publication"], rows["again"]
        ok = publication["wall_s"] < TARGET_SECONDS and publication["rss_mb"] < TARGET_MB
        verdicts.append(
            f"- {backend}: the publication took {publication['wall_s']:.1f} s and peaked at "
            f"{publication['rss_mb']:.0f} MB resident (target < {TARGET_SECONDS} s, < {TARGET_MB} MB: "
            f"{'met' if ok else 'NOT met'}); the second run wrote {again['written'] or 'no file'} and touched "
            f"{again['files_touched'] or 'no file'}. Files: "
            + ", ".join(f"{name} {size / 1e6:,.1f} MB" for name, size in sizes.items()) + "."
        )
    return "\n".join(lines + [""] + verdicts) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="build the city again")
    parser.add_argument("--sqlite", action="store_true", help="also on SQLite")
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    parser.add_argument("--batch", type=int, help="OCDS_BATCH_SIZE (default: the setting's)")
    parser.add_argument("--profile", action="store_true", help="once more under cProfile, and print the profile")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", dest="profile_file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.url, args.folder, args.batch, args.profile_file)))
        return
    load = os.getloadavg()
    backends = (["postgresql"] if not args.no_postgresql else []) + (["sqlite"] if args.sqlite or args.no_postgresql else [])
    results = {backend: bench_backend(backend, args.fresh, args.batch, args.profile) for backend in backends}
    text = report(results, load)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "ocds_scale.md"), "w") as handle:
        handle.write(text)
    print(text)


if __name__ == "__main__":
    main()
