"""Build a large, realistic city straight into the database, fast, for the bench.

``generate_city(n_contracts)`` writes users, priorities, vendors, contracts, their priorities,
metrics, readings, milestones, monthly health snapshots, flags (open and resolved), held and
pending check-ins and closeout evaluations with bulk inserts: SQLAlchemy Core ``insert()``
executemany in batches on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL. No ORM objects, no
per-row rule calls for readings.

The data is consistent with the app's own rules, so the pages and the sweep see what they would
see in a real city:

- each reading's value is drawn from its stored status (a value at 100-112% of the period's
  linear target for "on track", 91-99% for "at risk", 55-88% for "off track"; inverted for
  "decrease" metrics), so re-judging a reading gives back its stored status;
- Metric.status comes from ``rules.metric_status`` over the metric's latest reading (a few
  metrics miss their latest due reading, so they are overdue) and Contract.health from
  ``rules.contract_health`` over the metrics and the milestone — ``refresh_all_statuses(now)``
  right after generation changes nothing;
- open flags match what the sweep would open (off track, at risk twice, overdue, milestone
  missed, no check-in for 90 days), for most but not all of them, so a first sweep has some
  work and a second has none.

Deterministic for a given ``seed`` and ``now``. Needs an app context; the schema must exist
and is expected to be empty (ids continue after any existing rows).
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from contracts_app.auth.models import User
from contracts_app.contracts.models import Contract, Department, Vendor
from contracts_app.milestones.models import Milestone
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.management.models import CheckIn, Flag
from contracts_app.metrics import rules
from contracts_app.metrics.models import Metric, Reading
from contracts_app.metrics.status import grace_days, today_for
from contracts_app.portfolio.models import CloseoutEvaluation, HealthSnapshot
from contracts_app.priorities.models import Priority, contract_priorities

BATCH = 5000
PASSWORD = "bench-password"
CDO_EMAIL = "cdo@bench.test"

PRIORITIES = [
    ("Safe streets", "Cut traffic deaths and serious injuries by half by 2030"),
    ("Housing stability", "Reduce first-time homelessness by 25%"),
    ("Economic mobility", "Place 5,000 residents in living-wage jobs"),
    ("Clean environment", "Divert 60% of municipal waste from landfill"),
    ("Healthy families", "Raise early childhood program enrolment to 80%"),
    ("Efficient government", "Answer 90% of 311 requests within service standards"),
]
DEPARTMENTS = [
    "Human Services", "Transportation", "Public Works", "Housing", "Health", "Workforce Development",
    "Parks and Recreation", "Information Technology",
]
PAYMENT_STRUCTURES = [
    ("performance_based", 30), ("milestone", 20), ("fixed_price", 20), ("cost_reimbursement", 15),
    ("pay_for_success", 5), ("grant", 10),
]
METRIC_NAMES = [
    ("Participants enrolled", "people"), ("Placements retained 90 days", "%"), ("Requests closed on time", "%"),
    ("Average response time", "hours"), ("Tons diverted", "tons"), ("Households housed", "households"),
    ("Customer satisfaction", "score"), ("Cost per outcome", "USD"),
]
# Per-metric profiles: weights of on track / at risk / off track readings.
PROFILES = [((0.86, 0.10, 0.04), 60), ((0.55, 0.30, 0.15), 30), ((0.25, 0.35, 0.40), 10)]
STATUSES = (rules.ON_TRACK, rules.AT_RISK, rules.OFF_TRACK)
# Value / target ratio ranges per status (attainment = ratio for "increase", 1/ratio for "decrease").
RATIO = {rules.ON_TRACK: (1.005, 1.12), rules.AT_RISK: (0.91, 0.99), rules.OFF_TRACK: (0.55, 0.88)}


@dataclass
class Summary:
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)
    cdo_email: str = CDO_EMAIL
    password: str = PASSWORD
    priority_ids: list = field(default_factory=list)
    sample_contract_id: int | None = None
    now: datetime | None = None


def _weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def _months_ago(day, months):
    return rules.add_months(day, -months)


class _Loader:
    """Bulk writer: Core executemany in batches on SQLite, COPY on PostgreSQL."""

    def __init__(self, conn):
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.counts = {}

    def insert(self, table, columns, rows):
        """Insert an iterable of tuples (in ``columns`` order); returns how many."""
        table = getattr(table, "__table__", table)
        total = 0
        if self.postgres:
            cursor = self.conn.connection.driver_connection.cursor()
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    total += 1
            cursor.close()
        else:
            statement = table.insert()
            batch = []
            for row in rows:
                batch.append(dict(zip(columns, row)))
                if len(batch) >= BATCH:
                    self.conn.execute(statement, batch)
                    total += len(batch)
                    batch = []
            if batch:
                self.conn.execute(statement, batch)
                total += len(batch)
        self.counts[table.name] = self.counts.get(table.name, 0) + total
        return total


def _next_ids(conn, models):
    return {m.__tablename__: (conn.execute(select(func.max(m.id))).scalar() or 0) for m in models}


def _reset_sequences(conn, models):
    for model in models:
        name = model.__tablename__
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {name}"
        ))


def generate_city(n_contracts, metrics_per_contract=4, readings_per_metric=25, seed=0, now=None, log=None):
    """Write a city of ``n_contracts`` contracts; returns a Summary (row counts, timings, ids)."""
    started = time.perf_counter()
    now = now or utcnow()
    today = today_for(now)
    grace = grace_days()
    rng = random.Random(seed)
    summary = Summary(now=now)
    log = log or (lambda message: None)
    phase_start = [time.perf_counter()]

    def phase(name):
        t = time.perf_counter()
        summary.phases[name] = round(t - phase_start[0], 2)
        phase_start[0] = t
        log(f"  {name}: {summary.phases[name]:.1f}s")

    models = [User, Priority, Vendor, Department, Contract, Metric, Reading, Milestone, HealthSnapshot, Flag, CheckIn,
              CloseoutEvaluation]
    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-200000")
        loader = _Loader(conn)
        base = _next_ids(conn, models)
        ts = now

        # --- Users, priorities, vendors --------------------------------------------------
        pw = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        users = []
        uid = base["users"]
        role_ids = {}
        for role, count in (("admin", 1), ("cdo", 1), ("viewer", 1), ("procurement_officer", 5), ("contract_manager", 50)):
            for i in range(count):
                uid += 1
                email = f"{role}@bench.test" if count == 1 else f"{role}{i + 1}@bench.test"
                users.append((uid, email, f"Bench {role.replace('_', ' ').title()} {i + 1}", role, pw, True, ts))
                role_ids.setdefault(role, []).append(uid)
        loader.insert(User, ("id", "email", "name", "role", "password_hash", "active", "created_at"), users)
        cdo_id = role_ids["cdo"][0]

        priority_ids = [base["priorities"] + i + 1 for i in range(len(PRIORITIES))]
        loader.insert(
            Priority, ("id", "name", "outcome", "owner_id", "target_year", "created_at", "updated_at"),
            [(pid, name, outcome, cdo_id, 2030, ts, ts) for pid, (name, outcome) in zip(priority_ids, PRIORITIES)],
        )
        summary.priority_ids = priority_ids

        n_vendors = max(1, n_contracts // 10)
        vendor_ids = [base["vendors"] + i + 1 for i in range(n_vendors)]
        loader.insert(
            Vendor, ("id", "name", "contact_name", "contact_email", "created_at"),
            [(vid, f"Bench Vendor {vid:05d}", f"Contact {vid}", f"vendor{vid}@vendor.test", ts) for vid in vendor_ids],
        )

        department_ids = dict(conn.execute(select(Department.name, Department.id)).all())
        department_rows = []
        for name in DEPARTMENTS:
            if name not in department_ids:
                department_ids[name] = base["departments"] + len(department_rows) + 1
                department_rows.append((department_ids[name], name, ts, ts))
        loader.insert(Department, ("id", "name", "created_at", "updated_at"), department_rows)

        # --- Contracts and everything per contract (except readings) ----------------------
        contract_rows, cp_rows, metric_rows, milestone_rows = [], [], [], []
        snapshot_rows, flag_rows, checkin_rows, closeout_rows = [], [], [], []
        reading_plans = []  # (metric_id, direction, baseline, target, term, [(period, status)])
        cid, mid, msid, fid, ckid = (base[t] for t in ("contracts", "metrics", "milestones", "flags", "checkins"))
        snapshot_id, closeout_id = base["health_snapshots"], base["closeout_evaluations"]
        k = readings_per_metric
        this_month = date(today.year, today.month, 1)
        sample = None

        def add_flag(contract_id, subject_type, subject_id, period_start, kind, summary_text, opened, held_days,
                     metric_id=None, milestone_id=None, resolved=None):
            nonlocal fid
            fid += 1
            opened_at = datetime(opened.year, opened.month, opened.day, 15, tzinfo=timezone.utc)
            escalated_at = None
            if resolved is None and opened_at < now - timedelta(days=14) and not any(d >= opened for d in held_days):
                escalated_at = opened_at + timedelta(days=14)
            severity = {"off_track": "high", "milestone_missed": "high"}.get(kind, "medium")
            flag_rows.append((
                fid, contract_id, subject_type, subject_id, metric_id, milestone_id, period_start, kind, severity,
                summary_text[:255], opened_at,
                None if resolved is None else datetime(resolved.year, resolved.month, resolved.day, 16, tzinfo=timezone.utc),
                None if resolved is None else role_ids["contract_manager"][0],
                None if resolved is None else "Resolved after the vendor's corrective plan.",
                escalated_at,
            ))

        for index in range(n_contracts):
            cid += 1
            status = _weighted(rng, (("active", 88), ("completed", 9), ("terminated", 3)))
            if status == "completed":
                end = _months_ago(today, rng.randint(1, 8)) - timedelta(days=rng.randint(0, 27))
                start = _months_ago(end, k + 3 + rng.randint(0, 24))
            else:
                start = _months_ago(today, k + 2 + rng.randint(0, 14)) - timedelta(days=rng.randint(0, 27))
                end = rules.add_months(start, rng.choice((48, 60, 60, 72))) - timedelta(days=1)
            reference = f"BENCH-{cid:06d}"
            vendor_id = rng.choice(vendor_ids)
            department = rng.choice(DEPARTMENTS)
            payment = _weighted(rng, PAYMENT_STRUCTURES)
            kind = "grant" if payment == "grant" else rng.choice(("contract", "contract", "procurement"))
            value = Decimal(rng.randint(20_000, 5_000_000)) + Decimal(rng.randint(0, 99)) / 100
            manager_id = rng.choice(role_ids["contract_manager"])
            officer_id = rng.choice(role_ids["procurement_officer"])
            for pid in sorted(rng.sample(priority_ids, rng.choice((1, 1, 1, 2, 2, 3)))):
                cp_rows.append((cid, pid))
            ref_day = min(today, end + timedelta(days=1))  # readings stop at the contract's end

            # Check-ins held: 4 over the last year (quarterly), one contract in ten lapsed.
            last_held = ref_day - timedelta(days=rng.randint(95, 200) if rng.random() < 0.1 else rng.randint(5, 85))
            held_days = sorted(last_held - timedelta(days=91 * q + rng.randint(-6, 6)) for q in range(4))
            held_days[-1] = last_held
            for day in held_days:
                ckid += 1
                checkin_rows.append((
                    ckid, cid, "held", None, day, None, 60, "City Hall, room 201", day,
                    "Contract manager; program lead", "Vendor account lead",
                    "Reviewed the latest readings and the open flags.", "Keep the current plan.",
                    False, manager_id, ts, ts,
                ))

            # Metrics.
            metric_statuses = []
            open_flags = 0
            for position in range(metrics_per_contract):
                mid += 1
                name, unit = METRIC_NAMES[(index + position) % len(METRIC_NAMES)]
                cadence = "weekly" if rng.random() < 0.15 else "monthly"
                direction = "decrease" if rng.random() < 0.25 else "increase"
                baseline = Decimal(rng.randint(40, 400))
                target = (baseline * Decimal(rng.choice((70, 80, 120, 150, 200))) / 100).quantize(Decimal("1"))
                if direction == "decrease" and target > baseline:
                    baseline, target = target, baseline
                if direction == "increase" and target < baseline:
                    baseline, target = target, baseline
                profile = _weighted(rng, PROFILES)
                all_periods = rules.periods(start, end, cadence)
                ended = [p for p in all_periods if p.end < ref_day]
                skip_latest = status == "active" and rng.random() < 0.06
                chosen = ended[-k - 1:-1] if skip_latest else ended[-k:]
                statuses = rng.choices(STATUSES, profile, k=len(chosen))
                reading_plans.append((mid, direction, baseline, target, start, end, chosen, statuses))
                latest = (chosen[-1].start, statuses[-1]) if chosen else None
                result = rules.metric_status(_MetricRules(10), all_periods, latest, today, grace)
                metric_statuses.append(result.status)
                metric_rows.append((
                    mid, cid, f"{name}", f"How many {unit} the program achieves each period.", unit, direction,
                    baseline, start, target, Decimal(5), cadence, 10, Decimal(100), Decimal(90),
                    "Vendor monthly report", rng.choice(("leading", "lagging")), rng.random() < 0.3, position,
                    result.status, result.period_start, ts, ts, ts,
                ))

                if status != "active":
                    continue
                prefix = f"{reference}: {name}"
                # Open flags, as the sweep would open them (80% of them; the sweep opens the rest).
                if latest and latest[1] == rules.OFF_TRACK and rng.random() < 0.8:
                    add_flag(cid, "metric", mid, latest[0], "off_track", f"{prefix} off track",
                             chosen[-1].end + timedelta(days=rng.randint(1, 12)), held_days, metric_id=mid)
                    open_flags += 1
                if (len(chosen) > 1 and statuses[-1] == statuses[-2] == rules.AT_RISK and rng.random() < 0.8):
                    add_flag(cid, "metric", mid, latest[0], "at_risk_twice", f"{prefix} at risk two periods running",
                             chosen[-1].end + timedelta(days=rng.randint(1, 12)), held_days, metric_id=mid)
                    open_flags += 1
                if result.status == rules.OVERDUE and rng.random() < 0.8:
                    due = rules.due_date(rules.period_starting(all_periods, result.period_start), 10)
                    add_flag(cid, "metric", mid, result.period_start, "overdue", f"{prefix} reading overdue",
                             due + timedelta(days=grace + 1), held_days, metric_id=mid)
                    open_flags += 1
                # A resolved flag for the latest earlier off-track reading, for some metrics.
                earlier = [p for p, s in zip(chosen[:-1], statuses[:-1]) if s == rules.OFF_TRACK]
                if earlier and rng.random() < 0.5:
                    opened = earlier[-1].end + timedelta(days=rng.randint(1, 12))
                    add_flag(cid, "metric", mid, earlier[-1].start, "off_track", f"{prefix} off track",
                             opened, held_days, metric_id=mid,
                             resolved=min(today, opened + timedelta(days=rng.randint(7, 60))))

            # Milestone.
            msid += 1
            due = start + timedelta(days=rng.randint(60, max(61, (end - start).days - 30)))
            if due < today:
                ms_status = _weighted(rng, (("met", 70), ("partially_met", 10), ("not_met", 10), ("scheduled", 10)))
            else:
                ms_status = "scheduled"
            milestone_rows.append((
                msid, cid, f"Deliverable {msid}", "A contract deliverable.", due, ms_status,
                due if ms_status in ("met", "partially_met") else None, rng.random() < 0.5, "", ts, ts,
            ))
            if status == "active" and (ms_status == "not_met" or (ms_status == "scheduled" and due < today)) \
                    and rng.random() < 0.8:
                add_flag(cid, "milestone", msid, due, "milestone_missed", f"{reference}: milestone missed",
                         min(today, due + timedelta(days=1)), held_days, milestone_id=msid)
                open_flags += 1
            if status == "active" and (today - last_held).days > 90 and rng.random() < 0.8:
                lapsed = last_held + timedelta(days=90)
                add_flag(cid, "contract", cid, lapsed, "no_checkin", f"{reference}: no check-in for 90 days",
                         min(today, lapsed + timedelta(days=1)), held_days)
                open_flags += 1
            # A pending check-in for most contracts with open flags (the sweep proposes the rest).
            if open_flags and rng.random() < 0.7:
                ckid += 1
                when = today + timedelta(days=rng.randint(1, 14))
                checkin_rows.append((
                    ckid, cid, "scheduled", cid, when, None, 60, "City Hall, room 201", None, "", "", "", "",
                    False, manager_id, ts, ts,
                ))

            health = rules.contract_health(metric_statuses, [(due, ms_status)], today)
            contract_rows.append((
                cid, reference, f"{department} services contract {cid}", department, department_ids[department],
                vendor_id, kind, value, "USD",
                start, end, status, payment, "Payment on results per schedule B.",
                "Residents are not getting the outcome they need.", "Better outcomes, measured monthly.",
                officer_id, manager_id, True, health, ts, None, None, ts, ts,
            ))

            # Health snapshots: the last 12 months of the term (the current one is the stored health).
            last_month = min(this_month, date(end.year, end.month, 1))
            for back in range(11, -1, -1):
                month = rules.add_months(last_month, -back)
                if month < date(start.year, start.month, 1):
                    continue
                snapshot_id += 1
                month_health = health if back == 0 else _weighted(rng, (
                    (rules.ON_TRACK, 55), (rules.AT_RISK, 20), (rules.OFF_TRACK, 12), (rules.OVERDUE, 8),
                    (health, 25),
                ))
                snapshot_rows.append((snapshot_id, cid, month, month_health, ts))

            if status == "completed" and rng.random() < 0.6:
                closeout_id += 1
                closeout_rows.append((
                    closeout_id, cid, vendor_id, rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5),
                    rng.randint(1, 5), "Delivered most outcomes; reporting improved over the term.", "",
                    min(today, end + timedelta(days=20)), cdo_id, ts, ts,
                ))
            if sample is None and status == "active" and index >= n_contracts // 2:
                sample = cid
        summary.sample_contract_id = sample or cid
        phase("plan")

        loader.insert(Contract, (
            "id", "reference", "title", "department", "department_id", "vendor_id", "kind", "value", "currency", "start_date",
            "end_date", "status", "payment_structure", "payment_terms", "problem", "outcomes",
            "procurement_officer_id", "contract_manager_id", "is_public", "health", "health_updated_at",
            "archived_at", "archived_by_id", "created_at", "updated_at",
        ), contract_rows)
        loader.insert(contract_priorities, ("contract_id", "priority_id"), cp_rows)
        loader.insert(Metric, (
            "id", "contract_id", "name", "definition", "unit", "direction", "baseline_value", "baseline_date",
            "target_value", "tolerance_pct", "cadence", "due_days", "on_track_pct", "at_risk_pct", "data_source",
            "indicator_type", "payment_linked", "position", "status", "status_period_start", "status_updated_at",
            "created_at", "updated_at",
        ), metric_rows)
        loader.insert(Milestone, (
            "id", "contract_id", "title", "description", "due_date", "status", "completed_on", "payment_linked",
            "notes", "created_at", "updated_at",
        ), milestone_rows)
        loader.insert(CheckIn, (
            "id", "contract_id", "status", "pending_contract_id", "scheduled_for", "start_time", "duration_minutes",
            "location", "held_on", "city_attendees", "vendor_attendees", "notes", "decisions", "proposed_by_sweep",
            "created_by_id", "created_at", "updated_at",
        ), checkin_rows)
        loader.insert(Flag, (
            "id", "contract_id", "subject_type", "subject_id", "metric_id", "milestone_id", "period_start", "kind",
            "severity", "summary", "opened_at", "resolved_at", "resolved_by_id", "resolution_note", "escalated_at",
        ), flag_rows)
        loader.insert(HealthSnapshot, ("id", "contract_id", "month", "health", "recorded_at"), snapshot_rows)
        loader.insert(CloseoutEvaluation, (
            "id", "contract_id", "vendor_id", "quality", "schedule", "cost_control", "management", "narrative",
            "vendor_comment", "evaluated_on", "evaluated_by_id", "created_at", "updated_at",
        ), closeout_rows)
        phase("contracts, metrics, flags, check-ins, snapshots")

        # --- Readings (streamed) ---------------------------------------------------------
        value_rng = random.Random(seed + 1)
        recorder = role_ids["contract_manager"][0]
        postgres = loader.postgres

        def readings():
            rid = base["readings"]
            uniform = value_rng.uniform
            for metric_id, direction, baseline, target, start, end, chosen, statuses in reading_plans:
                b, t = float(baseline), float(target)
                span = (end - start).days or 1
                for period, status in zip(chosen, statuses):
                    rid += 1
                    elapsed = min(max((period.end - start).days, 0), span)
                    period_target = b + (t - b) * elapsed / span
                    low, high = RATIO[status]
                    ratio = uniform(low, high)
                    value = period_target * ratio if direction == "increase" else period_target / ratio
                    value = round(value, 4) if not postgres else Decimal(f"{value:.4f}")
                    recorded = datetime(period.end.year, period.end.month, period.end.day, 18, tzinfo=timezone.utc) \
                        + timedelta(days=3)
                    yield (rid, metric_id, period.start, period.end, value, "", status, recorder, recorded)

        loader.insert(Reading, (
            "id", "metric_id", "period_start", "period_end", "value", "note", "status", "recorded_by_id",
            "recorded_at",
        ), readings())
        phase("readings")

        if loader.postgres:
            _reset_sequences(conn, models)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        phase("vacuum analyze")
    summary.counts = dict(loader.counts)
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


class _MetricRules:
    """The two attributes rules.metric_status reads from a metric."""

    def __init__(self, due_days):
        self.due_days = due_days
