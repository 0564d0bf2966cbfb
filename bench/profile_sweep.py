"""Where the first sweep after a load spends its time: statements, database time, Python time.

    python -m bench.profile_sweep [--backend postgresql] [--size 10000] [--runs 2] [--cprofile 30]

On a fresh copy of the cached city (``bench.run.cached_city``, generated if missing) runs the
scheduler's sweep job ``--runs`` times (the first after the load, then the steady state) and
prints, for each run: the wall time, the time spent in SQL statements (execute plus fetch,
grouped by statement, slowest first) and the rest (Python), then a cProfile of the first run
(CPU time, the top ``--cprofile`` functions by cumulative time).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections import defaultdict
from datetime import datetime

from sqlalchemy import event

from bench.run import cached_city, copy_city, drop_copy, make_app
from config.settings import normalise_database_url


class StatementTimer:
    """Time per statement from its execute to the next statement (so fetching counts)."""

    def __init__(self):
        self.by_statement = defaultdict(lambda: [0, 0.0])
        self._started = None
        self._current = None

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self._started = time.perf_counter()
        self._current = " ".join(statement.split())[:150]

    def after(self, conn, cursor, statement, parameters, context, executemany):
        entry = self.by_statement[self._current]
        entry[0] += 1
        entry[1] += time.perf_counter() - self._started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cprofile", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from contracts_app.extensions import db
    from scheduler.jobs import sweep_job

    city = cached_city(args.backend, args.size, seed=args.seed)
    now = datetime.fromisoformat(city["now"])
    url = normalise_database_url(copy_city(args.backend, args.size, "_profile"))
    app = make_app(url)
    with app.app_context():
        engine = db.engine
    for run in range(args.runs):
        timer = StatementTimer()
        event.listen(engine, "before_cursor_execute", timer.before)
        event.listen(engine, "after_cursor_execute", timer.after)
        profiler = cProfile.Profile() if run == 0 and args.cprofile else None
        started = time.perf_counter()
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        outcome = sweep_job(app, now)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        event.remove(engine, "before_cursor_execute", timer.before)
        event.remove(engine, "after_cursor_execute", timer.after)
        sql = sum(seconds for _, seconds in timer.by_statement.values())
        count = sum(n for n, _ in timer.by_statement.values())
        print(f"\n## run {run + 1}: {wall:.2f} s wall ({'under cProfile, ' if profiler else ''}{cpu:.2f} s CPU of this "
              f"process), {sql:.2f} s in {count} statements (execute + fetch), {wall - sql:.2f} s elsewhere; {outcome}\n")
        for text, (n, seconds) in sorted(timer.by_statement.items(), key=lambda item: -item[1][1])[:25]:
            print(f"{seconds * 1000:9.1f} ms  ×{n:<5} {text}")
        if profiler:
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(args.cprofile)
            print(stream.getvalue())
    engine.dispose()
    drop_copy(args.backend, args.size, "_profile")


if __name__ == "__main__":
    main()
