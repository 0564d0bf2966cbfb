"""The SQL floor of the sweep job on PostgreSQL: the same logical check, written by hand.

``sweep_floor(conninfo, now, config)`` runs, with psycopg and no ORM, in one transaction, what
the scheduler's sweep job does (``scheduler.jobs.sweep_job``), each step as one set-based
statement that leaves the rows in the database (nothing is judged in Python):

1. every metric's status from its two latest readings and its latest period past due plus
   grace (the period arithmetic of ``rules.PeriodIndex`` in SQL: start + i steps, clamped to
   the month's end as ``add_months`` does), into a temporary table; the changed statuses
   written; each active contract's health (the worst of its metrics and missed milestones)
   written where it changed;
2. the open flags whose cause has cleared resolved (contract no longer active, the overdue
   reading arrived, a later or corrected reading, the milestone no longer missed, a check-in
   held since);
3. the candidates of the five kinds (overdue, off track, at risk two periods running,
   milestone missed, no check-in for the gap) of active, unarchived contracts claimed with
   ``INSERT … ON CONFLICT DO NOTHING RETURNING`` in key order, skipping the keys already stored,
   and their notifications (the manager's; the chief data officers' for a lapsed check-in)
   queued in the same statement;
4. a check-in proposed (``ON CONFLICT (pending_contract_id) DO NOTHING``) for each contract
   with open flags not discussed at a held check-in and none pending, with its notification;
5. old open flags with no check-in held since they opened escalated by a conditional UPDATE,
   with the chief data officers' notifications;
6. this month's health snapshots upserted; expired API Idempotency-Keys deleted.

Simplified against the app: the summaries and bodies are shorter strings, and the resolution
notes one per kind. The bench checks that it opens as many flags, proposes as many check-ins,
queues as many notifications and escalates as many flags as the app's first sweep on the same
load. Returns {"seconds", counts...}.
"""
from __future__ import annotations

import time
from datetime import timedelta

STEP = "CASE m.cadence WHEN 'weekly' THEN 0 WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3 ELSE 12 END"


def _months(later, earlier):
    return (f"((EXTRACT(YEAR FROM {later}) - EXTRACT(YEAR FROM {earlier})) * 12 "
            f"+ EXTRACT(MONTH FROM {later}) - EXTRACT(MONTH FROM {earlier}))::int")


def _start(i):
    """The start of period ``i`` of metric m on contract c (st.step: 0 weekly, else months)."""
    return (f"CASE WHEN st.step = 0 THEN c.start_date + 7 * ({i}) "
            f"ELSE (c.start_date + make_interval(months => ({i}) * st.step))::date END")


def _position(day):
    """The position of the period starting on ``day`` (a period start of metric m)."""
    return f"CASE WHEN st.step = 0 THEN ({day} - c.start_date) / 7 ELSE {_months(day, 'c.start_date')} / st.step END"


METRIC_STATE = f"""
CREATE TEMP TABLE floor_metrics ON COMMIT DROP AS
SELECT m.id, m.contract_id, m.name, m.status AS old_status, m.status_period_start AS old_start,
       r.starts[1] AS latest_start, r.statuses[1] AS latest_status,
       r.starts[2] AS prev_start, r.statuses[2] AS prev_status, due.start AS due_start,
       CASE WHEN r.starts[2] IS NOT NULL
            THEN {_position('r.starts[1]')} - {_position('r.starts[2]')} = 1 ELSE false END AS consecutive
FROM metrics m
JOIN contracts c ON c.id = m.contract_id
CROSS JOIN LATERAL (SELECT {STEP} AS step, %(today)s::date - (m.due_days + %(grace)s) AS cutoff) st
CROSS JOIN LATERAL (
    SELECT CASE WHEN st.step = 0 THEN (st.cutoff - c.start_date) / 7
                ELSE {_months('st.cutoff', 'c.start_date')} / st.step END AS guess,
           CASE WHEN st.step = 0 THEN (c.end_date - c.start_date) / 7
                ELSE {_months('c.end_date', 'c.start_date')} / st.step END AS last
) g
LEFT JOIN LATERAL (
    SELECT array_agg(period_start) AS starts, array_agg(status) AS statuses FROM (
        SELECT period_start, status FROM readings WHERE metric_id = m.id ORDER BY period_start DESC LIMIT 2
    ) latest_two
) r ON true
LEFT JOIN LATERAL (
    SELECT p.start FROM (
        SELECT {_start('i')} AS start, LEAST({_start('i + 1')} - 1, c.end_date) AS finish
        FROM generate_series(GREATEST(LEAST(g.guess, g.last) - 2, 0), GREATEST(LEAST(g.guess, g.last) + 1, 0)) AS i
    ) p
    WHERE c.end_date >= c.start_date AND p.start <= c.end_date AND p.finish < st.cutoff
    ORDER BY p.start DESC LIMIT 1
) due ON true
"""

NEW_STATUS = """
ALTER TABLE floor_metrics ADD COLUMN status varchar(16), ADD COLUMN status_start date;
UPDATE floor_metrics SET
    status = CASE WHEN due_start IS NOT NULL AND (latest_start IS NULL OR due_start > latest_start) THEN 'overdue'
                  WHEN latest_start IS NOT NULL THEN latest_status ELSE 'no_data' END,
    status_start = CASE WHEN due_start IS NOT NULL AND (latest_start IS NULL OR due_start > latest_start) THEN due_start
                        ELSE latest_start END
"""

WRITE_STATUSES = """
UPDATE metrics m SET status = f.status, status_period_start = f.status_start, status_updated_at = %(now)s,
       updated_at = %(now)s
FROM floor_metrics f
WHERE m.id = f.id AND (f.old_status IS DISTINCT FROM f.status OR f.old_start IS DISTINCT FROM f.status_start)
"""

RANK = "CASE {0} WHEN 'off_track' THEN 0 WHEN 'overdue' THEN 1 WHEN 'at_risk' THEN 2 WHEN 'on_track' THEN 3 ELSE 4 END"

WRITE_HEALTH = f"""
WITH parts AS (
    SELECT contract_id, {RANK.format('status')} AS rank FROM floor_metrics
    UNION ALL
    SELECT contract_id, CASE WHEN status = 'partially_met' THEN 2 ELSE 0 END FROM milestones
    WHERE status IN ('not_met', 'partially_met') OR (status = 'scheduled' AND due_date < %(today)s)
), health AS (
    SELECT c.id, (ARRAY['off_track', 'overdue', 'at_risk', 'on_track', 'no_data'])[COALESCE(MIN(p.rank), 4) + 1] AS health
    FROM contracts c LEFT JOIN parts p ON p.contract_id = c.id
    GROUP BY c.id
)
UPDATE contracts c SET health = h.health, health_updated_at = %(now)s, updated_at = %(now)s
FROM health h WHERE c.id = h.id AND c.health IS DISTINCT FROM h.health
"""

ACTIVE = "c.status = 'active' AND c.archived_at IS NULL"
LAST_HELD = "(SELECT MAX(held_on) FROM checkins h WHERE h.contract_id = c.id AND h.status = 'held')"

OPEN = "f.resolved_at IS NULL"

RESOLVE = f"""
WITH cleared AS (
    SELECT f.id, 'Resolved automatically: the contract is no longer active.' AS note
    FROM flags f JOIN contracts c ON c.id = f.contract_id WHERE {OPEN} AND NOT ({ACTIVE})
    UNION ALL
    SELECT f.id, 'Resolved automatically: the reading arrived.'
    FROM flags f JOIN contracts c ON c.id = f.contract_id
    WHERE {OPEN} AND {ACTIVE} AND f.kind = 'overdue'
      AND EXISTS (SELECT 1 FROM readings r WHERE r.metric_id = f.metric_id AND r.period_start = f.period_start)
    UNION ALL
    SELECT f.id, 'Resolved automatically: a later or corrected reading.'
    FROM flags f JOIN contracts c ON c.id = f.contract_id JOIN floor_metrics s ON s.id = f.metric_id
    WHERE {OPEN} AND {ACTIVE} AND f.kind IN ('off_track', 'at_risk_twice') AND s.latest_start IS NOT NULL
      AND (s.latest_start <> f.period_start
           OR s.latest_status <> CASE f.kind WHEN 'off_track' THEN 'off_track' ELSE 'at_risk' END)
    UNION ALL
    SELECT f.id, 'Resolved automatically: the milestone is no longer missed.'
    FROM flags f JOIN contracts c ON c.id = f.contract_id JOIN milestones ms ON ms.id = f.milestone_id
    WHERE {OPEN} AND {ACTIVE} AND f.kind = 'milestone_missed'
      AND NOT (ms.status = 'not_met' OR (ms.status = 'scheduled' AND ms.due_date < %(today)s))
    UNION ALL
    SELECT f.id, 'Resolved automatically: a check-in was held.'
    FROM flags f JOIN contracts c ON c.id = f.contract_id
    WHERE {OPEN} AND {ACTIVE} AND f.kind = 'no_checkin' AND {LAST_HELD} > f.period_start - %(gap)s
)
UPDATE flags f SET resolved_at = %(now)s, resolution_note = cleared.note
FROM cleared WHERE f.id = cleared.id AND {OPEN}
"""

CANDIDATES = f"""
SELECT c.id AS contract_id, 'metric' AS subject_type, s.id AS subject_id, s.id AS metric_id,
       NULL::int AS milestone_id, s.due_start AS period_start, 'overdue' AS kind,
       c.reference || ': ' || s.name || ' reading overdue' AS summary
FROM floor_metrics s JOIN contracts c ON c.id = s.contract_id
WHERE {ACTIVE} AND s.due_start IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.metric_id = s.id AND r.period_start = s.due_start)
UNION ALL
SELECT c.id, 'metric', s.id, s.id, NULL, s.latest_start, 'off_track', c.reference || ': ' || s.name || ' off track'
FROM floor_metrics s JOIN contracts c ON c.id = s.contract_id
WHERE {ACTIVE} AND s.latest_status = 'off_track'
UNION ALL
SELECT c.id, 'metric', s.id, s.id, NULL, s.latest_start, 'at_risk_twice',
       c.reference || ': ' || s.name || ' at risk two periods running'
FROM floor_metrics s JOIN contracts c ON c.id = s.contract_id
WHERE {ACTIVE} AND s.latest_status = 'at_risk' AND s.prev_status = 'at_risk' AND s.consecutive
UNION ALL
SELECT c.id, 'milestone', ms.id, NULL, ms.id, ms.due_date, 'milestone_missed',
       c.reference || ': milestone ' || ms.title || ' missed'
FROM milestones ms JOIN contracts c ON c.id = ms.contract_id
WHERE {ACTIVE} AND (ms.status = 'not_met' OR (ms.status = 'scheduled' AND ms.due_date < %(today)s))
UNION ALL
SELECT c.id, 'contract', c.id, NULL, NULL, COALESCE(l.held, c.start_date) + %(gap)s, 'no_checkin',
       c.reference || ': no check-in for ' || %(gap)s || ' days'
FROM contracts c CROSS JOIN LATERAL (SELECT {LAST_HELD} AS held) l
WHERE {ACTIVE} AND %(today)s > COALESCE(l.held, c.start_date) + %(gap)s
"""

NOTIFY_COLUMNS = ("recipient_id, kind, dedupe_key, contract_id, flag_id, checkin_id, subject, body, link, payload, "
                  "created_at, next_attempt_at, attempts")
CDOS = "(SELECT id FROM users WHERE role = 'cdo' AND active ORDER BY id)"

CLAIM_FLAGS = f"""
WITH candidates AS ({CANDIDATES}),
fresh AS (
    SELECT DISTINCT ON (subject_type, subject_id, period_start, kind) * FROM candidates k
    WHERE NOT EXISTS (SELECT 1 FROM flags f WHERE f.subject_type = k.subject_type AND f.subject_id = k.subject_id
                      AND f.period_start = k.period_start AND f.kind = k.kind)
),
claimed AS (
    INSERT INTO flags (contract_id, subject_type, subject_id, metric_id, milestone_id, period_start, kind, severity,
                       summary, opened_at, escalated_at)
    SELECT contract_id, subject_type, subject_id, metric_id, milestone_id, period_start, kind,
           CASE WHEN kind IN ('off_track', 'milestone_missed') THEN 'high' ELSE 'medium' END, left(summary, 255),
           %(now)s, CASE WHEN kind = 'no_checkin' THEN %(now)s END
    FROM fresh ORDER BY contract_id, subject_type, subject_id, period_start::text, kind
    ON CONFLICT (subject_type, subject_id, period_start, kind) DO NOTHING
    RETURNING id, contract_id, kind, severity, summary
),
told AS (
    INSERT INTO notifications ({NOTIFY_COLUMNS})
    SELECT recipient, kind, dedupe_key, contract_id, flag_id, NULL, subject, body, link, payload, %(now)s, %(now)s, 0
    FROM (
        SELECT COALESCE(c.contract_manager_id, c.procurement_officer_id) AS recipient, 'flag_opened' AS kind,
               'flag:' || f.id || ':' || COALESCE(c.contract_manager_id, c.procurement_officer_id) AS dedupe_key,
               c.id AS contract_id, f.id AS flag_id, f.summary AS subject,
               f.kind || ' on ' || c.reference || ' ' || c.title AS body, '/flags/' || f.id AS link,
               json_build_object('kind', f.kind, 'severity', f.severity) AS payload, f.id AS flag_order, 0 AS part
        FROM claimed f JOIN contracts c ON c.id = f.contract_id
        WHERE COALESCE(c.contract_manager_id, c.procurement_officer_id) IS NOT NULL
        UNION ALL
        SELECT u.id, 'escalation', 'escalation:flag:' || f.id || ':' || u.id, c.id, f.id, 'Escalation: ' || f.summary,
               'This flag on ' || c.reference || ' ' || c.title || ' needs attention.', '/flags/' || f.id, NULL, f.id, 1
        FROM claimed f JOIN contracts c ON c.id = f.contract_id CROSS JOIN {CDOS} u
        WHERE f.kind = 'no_checkin'
    ) n
    ORDER BY flag_order, part
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM claimed WHERE kind = 'no_checkin'), (SELECT count(*) FROM told)
"""

PROPOSE = f"""
WITH needing AS (
    SELECT DISTINCT f.contract_id FROM flags f JOIN contracts c ON c.id = f.contract_id
    WHERE f.resolved_at IS NULL AND {ACTIVE}
      AND NOT EXISTS (SELECT 1 FROM checkin_flags cf JOIN checkins h ON h.id = cf.checkin_id
                      WHERE cf.flag_id = f.id AND h.status = 'held')
      AND NOT EXISTS (SELECT 1 FROM checkins p WHERE p.pending_contract_id = f.contract_id)
),
proposed AS (
    INSERT INTO checkins (contract_id, status, pending_contract_id, scheduled_for, duration_minutes, location,
                          city_attendees, vendor_attendees, notes, decisions, proposed_by_sweep, created_at, updated_at)
    SELECT contract_id, 'proposed', contract_id, %(propose_on)s, 60, '', '', '', '', '', true, %(now)s, %(now)s
    FROM needing ORDER BY contract_id
    ON CONFLICT (pending_contract_id) DO NOTHING
    RETURNING id, contract_id
),
told AS (
    INSERT INTO notifications ({NOTIFY_COLUMNS})
    SELECT COALESCE(c.contract_manager_id, c.procurement_officer_id), 'checkin_proposed',
           'checkin:' || p.id || ':' || COALESCE(c.contract_manager_id, c.procurement_officer_id), c.id, NULL, p.id,
           c.reference || ': check-in proposed', c.reference || ' ' || c.title || ' has open flags.',
           '/checkins/' || p.id, NULL, %(now)s, %(now)s, 0
    FROM proposed p JOIN contracts c ON c.id = p.contract_id
    WHERE COALESCE(c.contract_manager_id, c.procurement_officer_id) IS NOT NULL
    ORDER BY p.contract_id
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM proposed), (SELECT count(*) FROM told)
"""

ESCALATE = f"""
WITH due AS (
    SELECT f.id FROM flags f JOIN contracts c ON c.id = f.contract_id
    WHERE f.resolved_at IS NULL AND f.escalated_at IS NULL AND f.opened_at < %(escalate_before)s AND {ACTIVE}
      AND NOT EXISTS (SELECT 1 FROM checkins h WHERE h.contract_id = f.contract_id AND h.status = 'held'
                      AND h.held_on >= (f.opened_at AT TIME ZONE %(tz)s)::date)
    ORDER BY f.id
),
escalated AS (
    UPDATE flags f SET escalated_at = %(now)s FROM due
    WHERE f.id = due.id AND f.escalated_at IS NULL
    RETURNING f.id, f.contract_id, f.summary
),
told AS (
    INSERT INTO notifications ({NOTIFY_COLUMNS})
    SELECT u.id, 'escalation', 'escalation:flag:' || f.id || ':' || u.id, c.id, f.id, NULL, 'Escalation: ' || f.summary,
           'This flag on ' || c.reference || ' ' || c.title || ' has been open with no check-in held.',
           '/flags/' || f.id, NULL, %(now)s, %(now)s, 0
    FROM escalated f JOIN contracts c ON c.id = f.contract_id CROSS JOIN {CDOS} u
    ORDER BY f.id, u.id
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM escalated), (SELECT count(*) FROM told)
"""

SNAPSHOTS = f"""
INSERT INTO health_snapshots (contract_id, month, health, recorded_at)
SELECT c.id, %(month)s, c.health, %(now)s FROM contracts c WHERE {ACTIVE} ORDER BY c.id
ON CONFLICT (contract_id, month) DO UPDATE SET health = excluded.health, recorded_at = excluded.recorded_at
"""

PURGE = "DELETE FROM api_idempotency_keys WHERE created_at < %(keys_before)s"


def parameters(now, config):
    from contracts_app.metrics.rules import city_today

    today = city_today(now, config["CITY_TIMEZONE"])
    return {
        "now": now, "today": today, "grace": config["OVERDUE_GRACE_DAYS"], "gap": config["CHECKIN_MAX_GAP_DAYS"],
        "propose_on": today + timedelta(days=config["CHECKIN_PROPOSE_WITHIN_DAYS"]),
        "escalate_before": now - timedelta(days=config["ESCALATE_AFTER_DAYS"]), "tz": config["CITY_TIMEZONE"],
        "month": today.replace(day=1), "keys_before": now - timedelta(hours=config["API_IDEMPOTENCY_HOURS"]),
    }


def _timed(steps, name, cur, statement, params=None):
    started = time.perf_counter()
    cur.execute(statement, params)
    steps[name] = round(time.perf_counter() - started, 3)
    return cur


def sweep_floor(conninfo, now, config):
    """Run the floor once on the database of ``conninfo``; returns its time and counts."""
    import psycopg

    params = parameters(now, config)
    result, steps = {}, {}
    with psycopg.connect(conninfo) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            result["metrics_evaluated"] = _timed(steps, "metric state", cur, METRIC_STATE, params).rowcount
            for statement in NEW_STATUS.split(";"):
                _timed(steps, "metric status", cur, statement)
            # A temporary table has no statistics until analysed; the joins below need them.
            _timed(steps, "index", cur, "CREATE UNIQUE INDEX ON floor_metrics (id)")
            _timed(steps, "analyze", cur, "ANALYZE floor_metrics")
            result["metrics_changed"] = _timed(steps, "write statuses", cur, WRITE_STATUSES, params).rowcount
            result["contracts_changed"] = _timed(steps, "write health", cur, WRITE_HEALTH, params).rowcount
            result["flags_resolved"] = _timed(steps, "resolve", cur, RESOLVE, params).rowcount
            opened, lapsed, told = _timed(steps, "claim flags", cur, CLAIM_FLAGS, params).fetchone()
            proposed, told_proposed = _timed(steps, "propose", cur, PROPOSE, params).fetchone()
            escalated, told_escalated = _timed(steps, "escalate", cur, ESCALATE, params).fetchone()
            _timed(steps, "snapshots", cur, SNAPSHOTS, params)
            _timed(steps, "purge", cur, PURGE, params)
        commit = time.perf_counter()
        conn.commit()
        steps["commit"] = round(time.perf_counter() - commit, 3)
        result["seconds"] = time.perf_counter() - started
    result["steps"] = steps
    result.update(
        flags_opened=opened, checkins_proposed=proposed, escalations=lapsed + escalated,
        notifications_queued=told + told_proposed + told_escalated,
    )
    return result
