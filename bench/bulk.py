"""Time readings in bulk on a generated city: a 1,000-reading API batch, and a 10,000-row
readings spreadsheet checked and written.

    python -m bench.bulk [--size 1000] [--backends postgresql] [--batch 1000] [--rows 10000]

Targets (issue 11): the batch in under 2 s; the spreadsheet checked and written in under 30 s.

For each backend: a fresh database (as bench.run makes them), the schema from the migrations,
``bench.generate.generate_city(size)``, and the stored statuses refreshed. Then, not timed: the
readings of enough metrics are deleted to leave ``batch + rows`` started periods without a
reading (so every row is a new reading, the heavier case), and an API token is made for a
procurement officer (who may enter readings on every contract). Timed:

1. ``POST /api/v1/readings/batch`` with ``batch`` readings through the Flask test client (the
   whole request: parsing, checks, writes, audit, status refresh, the response);
2. an .xlsx of ``rows`` rows (built with openpyxl, not timed) read (``read_upload``), checked
   (``check_sheet``, what the preview and --dry-run do) and then checked and written in one
   transaction (``services.import_readings_text``, what ``flask import readings`` does).

Prints a markdown table and writes it to bench/out/bulk.md.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import time
from datetime import datetime

from sqlalchemy import delete, event, func, select

from bench.run import NOW, OUT, fresh_database, log, make_app
from config.settings import normalise_database_url


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def _free_periods(needed):
    """Delete the readings of whole metrics (longest terms first) until ``needed`` started
    periods have no reading; returns [(metric id, period start)] of those periods."""
    from contracts_app.contracts.models import Contract
    from contracts_app.extensions import db
    from contracts_app.metrics import rules
    from contracts_app.metrics.models import Metric, Reading
    from contracts_app.metrics.status import today_for

    today = today_for(NOW)
    metrics = db.session.execute(
        select(Metric.id, Metric.cadence, Contract.start_date, Contract.end_date)
        .join(Contract, Contract.id == Metric.contract_id)
        .where(Contract.archived_at.is_(None), Contract.start_date <= today)
        .order_by(Contract.start_date, Metric.id)
    ).all()
    chosen, free = [], []
    for metric_id, cadence, start, end in metrics:
        started = [p.start for p in rules.periods(start, end, cadence) if p.start <= today]
        chosen.append(metric_id)
        free.extend((metric_id, s) for s in started)
        if len(free) >= needed:
            break
    db.session.execute(delete(Reading).where(Reading.metric_id.in_(chosen)))
    db.session.commit()
    if len(free) < needed:
        raise SystemExit(f"only {len(free)} started periods in this city; use a larger --size")
    return free[:needed]


def _xlsx(pairs):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Readings")
    sheet.append(["Metric id", "Period start", "Value", "Note"])
    for n, (metric_id, start) in enumerate(pairs):
        sheet.append([metric_id, start, 20 + n % 13, "bench" if n % 10 == 0 else None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bench_one(backend, size, batch, rows):
    from bench.generate import generate_city
    from contracts_app.api import tokens
    from contracts_app.auth.models import User
    from contracts_app.extensions import db
    from contracts_app.imports import readings as sheet
    from contracts_app.imports import services
    from contracts_app.metrics.models import Reading
    from contracts_app.metrics.status import refresh_all_statuses

    url = normalise_database_url(fresh_database(backend, size))
    app = make_app(url)
    result = {"backend": backend, "size": size}
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        log(f"[{backend} {size}] generating…")
        summary = generate_city(size, now=NOW, log=log)
        refresh_all_statuses(NOW)
        db.session.commit()
        free = _free_periods(batch + rows)
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        officer = db.session.scalar(select(User).where(User.role == "procurement_officer").order_by(User.id))
        _, secret = tokens.create_token(officer.email, "bench")
        result["readings_before"] = db.session.scalar(select(func.count()).select_from(Reading))
        result["city_readings"] = summary.counts.get("readings")
        engine = db.engine
        db.session.remove()

    # 1. The API batch: one request, as a client would send it.
    items = [{"metric_id": m, "period_start": s.isoformat(), "value": 20 + n % 13} for n, (m, s) in enumerate(free[:batch])]
    client = app.test_client()
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    started = time.perf_counter()
    response = client.post("/api/v1/readings/batch", json={"readings": items},
                           headers={"Authorization": f"Bearer {secret}"})
    result["batch_s"] = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", counter)
    if response.status_code != 201:
        raise SystemExit(f"batch refused ({response.status_code}): {response.get_data(as_text=True)[:2000]}")
    result["batch_queries"] = counter.count
    log(f"[{backend} {size}] batch of {batch}: {result['batch_s']:.2f}s, {counter.count} statements")

    # 2. The spreadsheet: read, check (the preview), then check and write (the import).
    data = _xlsx(free[batch:])
    result["xlsx_bytes"] = len(data)
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.role == "procurement_officer").order_by(User.id))
        started = time.perf_counter()
        text, encoding = sheet.read_upload(data, 512 * 1024 * 1024, 1_000_000)
        result["read_s"] = time.perf_counter() - started

        counter = Counter()
        event.listen(engine, "before_cursor_execute", counter)
        started = time.perf_counter()
        checked = sheet.check_sheet(text, officer, NOW)
        result["check_s"] = time.perf_counter() - started
        result["check_queries"] = counter.count
        db.session.rollback()
        if not checked.ok:
            raise SystemExit(f"the spreadsheet has problems: {[str(e) for e in checked.errors[:5]]}")

        counter.count = 0
        started = time.perf_counter()
        outcome = services.import_readings_text(text, encoding, "bench.xlsx", officer, NOW)
        result["write_s"] = time.perf_counter() - started
        result["write_queries"] = counter.count
        event.remove(engine, "before_cursor_execute", counter)
        if not outcome.ok:
            raise SystemExit(f"the import failed: {[str(e) for e in outcome.errors[:5]]}")
        result["recorded"] = outcome.recorded
        result["readings_after"] = db.session.scalar(select(func.count()).select_from(Reading))
        db.session.remove()
    log(f"[{backend} {size}] spreadsheet of {rows}: read {result['read_s']:.2f}s, check {result['check_s']:.2f}s, "
        f"check+write {result['write_s']:.2f}s")
    engine.dispose()
    return result


def report(results, batch, rows):
    lines = [
        f"Bulk bench run {datetime.now().strftime('%Y-%m-%d %H:%M')} on {platform.node()} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}); one timed run each; statements = SQL "
        "statements sent.",
        "",
        "| Backend | Contracts | Readings in city | Operation | Seconds | Statements | Target |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        city = f"{r['readings_before']:,}"
        lines += [
            f"| {r['backend']} | {r['size']:,} | {city} | API batch of {batch:,} readings | {r['batch_s']:.2f} | "
            f"{r['batch_queries']} | < 2 s |",
            f"| {r['backend']} | {r['size']:,} | {city} | Read a {rows:,}-row .xlsx ({r['xlsx_bytes'] / 1024:.0f} KB) | "
            f"{r['read_s']:.2f} | – | |",
            f"| {r['backend']} | {r['size']:,} | {city} | Check it (preview, --dry-run) | {r['check_s']:.2f} | "
            f"{r['check_queries']} | |",
            f"| {r['backend']} | {r['size']:,} | {city} | Check and write it (import) | {r['write_s']:.2f} | "
            f"{r['write_queries']} | |",
            f"| {r['backend']} | {r['size']:,} | {city} | **Read + check + write** | "
            f"**{r['read_s'] + r['write_s']:.2f}** | | < 30 s |",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="contracts in the generated city (default 1,000)")
    parser.add_argument("--backends", default="postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--batch", type=int, default=1000, help="readings in the API batch (at most 1,000)")
    parser.add_argument("--rows", type=int, default=10000, help="rows of the spreadsheet")
    args = parser.parse_args(argv)
    results = [bench_one(b.strip(), args.size, args.batch, args.rows) for b in args.backends.split(",") if b.strip()]
    table = report(results, args.batch, args.rows)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "bulk.md"), "w") as handle:
        handle.write(table)
    print(table)


if __name__ == "__main__":
    sys.exit(main())
