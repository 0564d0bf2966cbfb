"""Where the time of one reading correction goes: PATCH /api/v1/readings/<id> through the Flask
test client against the bench.writes city (rdc_bench_writes; run ``python -m bench.writes`` once
first), in production settings.

    python -m bench.profile_writes [--count 200] [--top 40] [--dump FILE]

Prints the SQL statements of one correction (count, time of each), then a cProfile of
``--count`` corrections (cumulative time, the top functions), the per-request mean.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from sqlalchemy import event

from bench.writes import OFFICER_EMAIL, Pool, corrected, database_url
from config.settings import BaseConfig, normalise_database_url


def make_app(url):
    from contracts_app import create_app

    class ProfileConfig(BaseConfig):  # what gunicorn runs (production's engine options), no CSRF to matter
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench-profile"

    return create_app(ProfileConfig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", metavar="FILE", help="also write the cProfile's stats to FILE (for pstats)")
    args = parser.parse_args(argv)
    from contracts_app.api import tokens
    from contracts_app.extensions import db

    url = database_url()
    app = make_app(normalise_database_url(url))
    with app.app_context():
        _token, secret = tokens.create_token(OFFICER_EMAIL, name="bench profile")
        engine = db.engine
    pool = Pool(url, limit=2 * args.count + 50)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    serial = [0]

    def correct():
        (reading_id, value, _m, _c, _s), = pool.take()
        serial[0] += 1
        response = client.patch(
            f"/api/v1/readings/{reading_id}", headers=headers,
            json={"value": str(corrected(value, serial[0])), "note": f"profile #{serial[0]}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    for _ in range(5):
        correct()  # warm up

    rows, started_at = [], [0.0]

    def before(conn, cursor, statement, parameters, context, executemany):
        started_at[0] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        rows.append(((time.perf_counter() - started_at[0]) * 1000, statement))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    for _ in range(10):
        correct()
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    per = len(rows) / 10
    print(f"## SQL of a correction: {per:.1f} statements, {sum(r[0] for r in rows) / 10:.2f} ms (execute only), "
          f"mean of 10\n")
    for ms, statement in rows[: int(per)]:
        print(f"{ms:7.2f} ms  {' '.join(statement.split())[:150]}")

    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.count):
        correct()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"\n## {args.count} corrections without the profiler: {wall / args.count * 1000:.2f} ms each "
          f"(wall), {cpu / args.count * 1000:.2f} ms of this process's CPU (the app's Python; the database "
          f"server's time not included)")

    # CPU time, not wall time: on a shared machine the wall clock mostly measures waiting.
    profile = cProfile.Profile(time.process_time)
    started = time.perf_counter()
    profile.enable()
    for _ in range(args.count):
        correct()
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"\n## cProfile of {args.count} corrections: {elapsed / args.count * 1000:.2f} ms per correction "
          f"(wall, under the profiler; the listing below is CPU time)\n")
    stats = pstats.Stats(profile)
    if args.dump:
        stats.dump_stats(args.dump)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(25)
    print("\n## The app's own functions and the unit of work (cumulative)\n")
    stats.sort_stats("cumulative").print_stats(r"contracts_app/|session.py:.*\((commit|_flush|execute)\)", 40)


if __name__ == "__main__":
    main()
