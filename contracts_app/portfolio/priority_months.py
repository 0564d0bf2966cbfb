"""Per priority and month, how many of its contracts had each health: kept by database triggers.

``priority_month_health`` (priority_id, month, health, contracts) is the priority page's "share on
track over time" already added up. Recomputing it meant grouping every snapshot of every contract
serving the priority by month on each request (at city scale a priority has thousands of
contracts and tens of thousands of snapshots); the triggers keep it right in the transaction of
whatever writes its inputs, whichever path does (the sweep's snapshot upsert, the backfill, a bulk
load, a priority linked or unlinked, a contract archived or restored):

- a health snapshot inserted, deleted, or changed (health, month or contract);
- a contract-priority link inserted or deleted;
- a contract archived or restored (archived contracts are not counted).

Rows whose count falls to zero stay (their month/health may come back); readers skip them. As
for the open-flag counters (management/flag_counts.py), the models attach ``install`` after the
schema is created (tests use ``create_all``) and the migration that adds the table runs the same
statements and ``recount_statements``.
"""
from sqlalchemy import text

TABLE = "priority_month_health"

# The links of one contract that count (the contract is not archived), as (alias cp).
_LIVE_LINKS = (
    "FROM contract_priorities cp JOIN contracts c ON c.id = cp.contract_id "
    "WHERE cp.contract_id = {contract} AND c.archived_at IS NULL"
)


def _add_snapshot(row, sign):
    """One snapshot ``row`` (NEW or OLD) counted in (or out of) each priority its contract serves."""
    return (
        f"INSERT INTO {TABLE} (priority_id, month, health, contracts) "
        f"SELECT cp.priority_id, {row}.month, {row}.health, {sign}1 "
        + _LIVE_LINKS.format(contract=f"{row}.contract_id")
        + f" ON CONFLICT (priority_id, month, health) DO UPDATE SET contracts = {TABLE}.contracts + excluded.contracts"
    )


def _add_link(row, sign):
    """Every snapshot of a link's contract counted in (or out of) the link's priority."""
    return (
        f"INSERT INTO {TABLE} (priority_id, month, health, contracts) "
        f"SELECT {row}.priority_id, s.month, s.health, {sign}count(*) "
        f"FROM health_snapshots s JOIN contracts c ON c.id = s.contract_id "
        f"WHERE s.contract_id = {row}.contract_id AND c.archived_at IS NULL GROUP BY s.month, s.health"
        f" ON CONFLICT (priority_id, month, health) DO UPDATE SET contracts = {TABLE}.contracts + excluded.contracts"
    )


def _archive_change():
    """A contract archived (its snapshots counted out of its priorities) or restored (back in)."""
    return (
        f"INSERT INTO {TABLE} (priority_id, month, health, contracts) "
        f"SELECT cp.priority_id, s.month, s.health, "
        f"CASE WHEN NEW.archived_at IS NULL THEN count(*) ELSE -count(*) END "
        f"FROM contract_priorities cp JOIN health_snapshots s ON s.contract_id = cp.contract_id "
        f"WHERE cp.contract_id = NEW.id GROUP BY cp.priority_id, s.month, s.health"
        f" ON CONFLICT (priority_id, month, health) DO UPDATE SET contracts = {TABLE}.contracts + excluded.contracts"
    )


_SQLITE_TRIGGERS = ("snapshot_insert", "snapshot_delete", "snapshot_update", "link_insert", "link_delete", "archive")


def _sqlite():
    return [f"DROP TRIGGER IF EXISTS pmh_{name}" for name in _SQLITE_TRIGGERS] + [
        f"CREATE TRIGGER pmh_snapshot_insert AFTER INSERT ON health_snapshots BEGIN {_add_snapshot('NEW', '+')}; END",
        f"CREATE TRIGGER pmh_snapshot_delete AFTER DELETE ON health_snapshots BEGIN {_add_snapshot('OLD', '-')}; END",
        "CREATE TRIGGER pmh_snapshot_update AFTER UPDATE OF health, month, contract_id ON health_snapshots "
        "WHEN OLD.health IS NOT NEW.health OR OLD.month IS NOT NEW.month OR OLD.contract_id IS NOT NEW.contract_id "
        f"BEGIN {_add_snapshot('OLD', '-')}; {_add_snapshot('NEW', '+')}; END",
        f"CREATE TRIGGER pmh_link_insert AFTER INSERT ON contract_priorities BEGIN {_add_link('NEW', '+')}; END",
        f"CREATE TRIGGER pmh_link_delete AFTER DELETE ON contract_priorities BEGIN {_add_link('OLD', '-')}; END",
        "CREATE TRIGGER pmh_archive AFTER UPDATE OF archived_at ON contracts "
        "WHEN (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL) "
        f"BEGIN {_archive_change()}; END",
    ]


def _postgresql():
    return [
        f"""CREATE OR REPLACE FUNCTION pmh_snapshot() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_add_snapshot('OLD', '-')};
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        {_add_snapshot('NEW', '+')};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION pmh_link() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        {_add_link('OLD', '-')};
    ELSE
        {_add_link('NEW', '+')};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION pmh_archive() RETURNS trigger AS $$
BEGIN
    {_archive_change()};
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS pmh_snapshot ON health_snapshots",
        "DROP TRIGGER IF EXISTS pmh_snapshot_update ON health_snapshots",
        "DROP TRIGGER IF EXISTS pmh_link ON contract_priorities",
        "DROP TRIGGER IF EXISTS pmh_archive ON contracts",
        "CREATE TRIGGER pmh_snapshot AFTER INSERT OR DELETE ON health_snapshots FOR EACH ROW EXECUTE FUNCTION pmh_snapshot()",
        # Only a real change: the sweep's hourly upsert rewrites every active contract's snapshot,
        # most with the same health.
        "CREATE TRIGGER pmh_snapshot_update AFTER UPDATE OF health, month, contract_id ON health_snapshots FOR EACH ROW "
        "WHEN (OLD.health IS DISTINCT FROM NEW.health OR OLD.month IS DISTINCT FROM NEW.month "
        "OR OLD.contract_id IS DISTINCT FROM NEW.contract_id) EXECUTE FUNCTION pmh_snapshot()",
        "CREATE TRIGGER pmh_link AFTER INSERT OR DELETE ON contract_priorities FOR EACH ROW EXECUTE FUNCTION pmh_link()",
        "CREATE TRIGGER pmh_archive AFTER UPDATE OF archived_at ON contracts FOR EACH ROW "
        "WHEN ((OLD.archived_at IS NULL) IS DISTINCT FROM (NEW.archived_at IS NULL)) EXECUTE FUNCTION pmh_archive()",
    ]


def install_statements(dialect_name):
    """The SQL that creates the triggers on this backend (idempotent)."""
    if dialect_name == "sqlite":
        return _sqlite()
    if dialect_name == "postgresql":
        return _postgresql()
    raise NotImplementedError(f"the priority month counts have no triggers for {dialect_name}")


def uninstall_statements(dialect_name):
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER IF EXISTS pmh_{name}" for name in _SQLITE_TRIGGERS]
    return [
        "DROP TRIGGER IF EXISTS pmh_snapshot ON health_snapshots",
        "DROP TRIGGER IF EXISTS pmh_snapshot_update ON health_snapshots",
        "DROP TRIGGER IF EXISTS pmh_link ON contract_priorities",
        "DROP TRIGGER IF EXISTS pmh_archive ON contracts",
        "DROP FUNCTION IF EXISTS pmh_snapshot()",
        "DROP FUNCTION IF EXISTS pmh_link()",
        "DROP FUNCTION IF EXISTS pmh_archive()",
    ]


COUNT_QUERY = (
    "SELECT cp.priority_id, s.month, s.health, count(*) FROM health_snapshots s "
    "JOIN contract_priorities cp ON cp.contract_id = s.contract_id JOIN contracts c ON c.id = s.contract_id "
    "WHERE c.archived_at IS NULL GROUP BY cp.priority_id, s.month, s.health"
)


def recount_statements():
    """Recompute every count from the snapshots (after the table is added, or to repair)."""
    return [
        text(f"DELETE FROM {TABLE}"),
        text(f"INSERT INTO {TABLE} (priority_id, month, health, contracts) {COUNT_QUERY}"),
    ]


def install(target, connection, **kw):
    """``after_create`` listener for the metadata (the triggers name four tables)."""
    for statement in install_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
