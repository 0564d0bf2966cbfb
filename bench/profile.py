"""Which SQL statements dominate a page: per-statement time on a bench database, and the plan.

    python -m bench.profile --backend postgresql --size 10000 /portfolio [/portfolio/priorities/1 ...]

Uses the database a previous ``python -m bench.run`` left behind (bench/out/bench_<size>.sqlite3
or rdc_bench_<size>). Prints each statement of one request with its time, slowest first, and
for the slowest few the plan (PostgreSQL: EXPLAIN (ANALYZE, BUFFERS); SQLite: EXPLAIN QUERY PLAN).
"""
from __future__ import annotations

import argparse
import os
import time

from sqlalchemy import event

from bench.run import OUT, admin_url, make_app
from config.settings import normalise_database_url


def database_url(backend, size):
    if backend == "sqlite":
        return f"sqlite:///{os.path.join(OUT, f'bench_{size}.sqlite3')}"
    return admin_url().set(database=f"rdc_bench_{int(size)}").render_as_string(hide_password=False)


class Timer:
    def __init__(self):
        self.rows = []
        self._started = None

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self._started = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        self.rows.append(((time.perf_counter() - self._started) * 1000, statement, parameters))


def explain(engine, statement, parameters):
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        lines = [" | ".join(str(part) for part in row) for row in cursor.fetchall()]
        raw.rollback()
        return "\n".join(lines)
    finally:
        raw.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--explain", type=int, default=3, help="plans of the N slowest statements")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    from bench.generate import CDO_EMAIL, PASSWORD
    from contracts_app.extensions import db

    app = make_app(normalise_database_url(database_url(args.backend, args.size)))
    client = app.test_client()
    assert client.post("/login", data={"email": CDO_EMAIL, "password": PASSWORD}).status_code == 302
    with app.app_context():
        engine = db.engine
    for path in args.paths:
        client.get(path)  # warm up
        timer = Timer()
        event.listen(engine, "before_cursor_execute", timer.before)
        event.listen(engine, "after_cursor_execute", timer.after)
        started = time.perf_counter()
        response = client.get(path)
        total = (time.perf_counter() - started) * 1000
        event.remove(engine, "before_cursor_execute", timer.before)
        event.remove(engine, "after_cursor_execute", timer.after)
        sql_ms = sum(ms for ms, _, _ in timer.rows)
        print(f"\n## {path}: HTTP {response.status_code}, {total:.1f} ms total, {sql_ms:.1f} ms in "
              f"{len(timer.rows)} statements (execute only, not fetch)\n")
        ranked = sorted(timer.rows, key=lambda row: -row[0])
        for ms, statement, _ in ranked:
            print(f"{ms:8.1f} ms  {' '.join(statement.split())[:160]}")
        for ms, statement, parameters in ranked[:args.explain]:
            print(f"\n### {ms:.1f} ms\n{statement}\n-- parameters: {parameters!r}\n")
            print(explain(engine, statement, parameters))


if __name__ == "__main__":
    main()
