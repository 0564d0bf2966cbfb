"""Open-flag counters on each contract, kept by database triggers.

``contracts.open_flags_high`` / ``_medium`` / ``_low`` count the contract's open flags by
severity, and ``open_flags_lapse`` its open "no check-in for 90 days" flags. The portfolio
dashboard ranks the contracts needing attention from these columns and one index, so it does
not group every open flag in the city on each request.

Triggers rather than application code, because flags are written from several places (the
sweep's ``INSERT … ON CONFLICT``, resolving by hand, cascades, bulk loads): the database keeps
the counts right whichever path writes a flag, in the same transaction. The models attach
``install_statements`` to the ``flags`` table's creation (tests build the schema with
``create_all``); the migration that added the columns runs the same statements.
"""
from sqlalchemy import text

COLUMNS = {
    "open_flags_high": "{row}.severity = 'high'",
    "open_flags_medium": "{row}.severity = 'medium'",
    "open_flags_low": "{row}.severity = 'low'",
    "open_flags_lapse": "{row}.kind = 'no_checkin'",
}
WATCHED = "resolved_at, severity, kind, contract_id"


def _set(row, sign, cast=""):
    return ", ".join(f"{column} = {column} {sign} ({expr.format(row=row)}){cast}" for column, expr in COLUMNS.items())


def _sqlite():
    return [
        "DROP TRIGGER IF EXISTS flags_open_count_insert",
        "DROP TRIGGER IF EXISTS flags_open_count_delete",
        "DROP TRIGGER IF EXISTS flags_open_count_update",
        f"""CREATE TRIGGER flags_open_count_insert AFTER INSERT ON flags WHEN NEW.resolved_at IS NULL
BEGIN
    UPDATE contracts SET {_set("NEW", "+")} WHERE id = NEW.contract_id;
END""",
        f"""CREATE TRIGGER flags_open_count_delete AFTER DELETE ON flags WHEN OLD.resolved_at IS NULL
BEGIN
    UPDATE contracts SET {_set("OLD", "-")} WHERE id = OLD.contract_id;
END""",
        f"""CREATE TRIGGER flags_open_count_update AFTER UPDATE OF {WATCHED} ON flags
BEGIN
    UPDATE contracts SET {_set("OLD", "-")} WHERE id = OLD.contract_id AND OLD.resolved_at IS NULL;
    UPDATE contracts SET {_set("NEW", "+")} WHERE id = NEW.contract_id AND NEW.resolved_at IS NULL;
END""",
    ]


def _postgresql():
    return [
        f"""CREATE OR REPLACE FUNCTION flags_open_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
        IF OLD.resolved_at IS NULL THEN
            UPDATE contracts SET {_set("OLD", "-", "::int")} WHERE id = OLD.contract_id;
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
        IF NEW.resolved_at IS NULL THEN
            UPDATE contracts SET {_set("NEW", "+", "::int")} WHERE id = NEW.contract_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS flags_open_count ON flags",
        f"""CREATE TRIGGER flags_open_count AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON flags
FOR EACH ROW EXECUTE FUNCTION flags_open_count()""",
    ]


def install_statements(dialect_name):
    """The SQL that creates the triggers on this backend (idempotent)."""
    if dialect_name == "sqlite":
        return _sqlite()
    if dialect_name == "postgresql":
        return _postgresql()
    raise NotImplementedError(f"open-flag counters have no triggers for {dialect_name}")


def uninstall_statements(dialect_name):
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER IF EXISTS flags_open_count_{op}" for op in ("insert", "delete", "update")]
    return ["DROP TRIGGER IF EXISTS flags_open_count ON flags", "DROP FUNCTION IF EXISTS flags_open_count()"]


def recount_statement():
    """Recompute every contract's counters from the flags (after a bulk load, or to repair)."""
    parts = ", ".join(
        f"{column} = (SELECT count(*) FROM flags WHERE flags.contract_id = contracts.id "
        f"AND flags.resolved_at IS NULL AND {expr.format(row='flags')})"
        for column, expr in COLUMNS.items()
    )
    return text(f"UPDATE contracts SET {parts}")


def install(target, connection, **kw):
    """``after_create`` listener for the flags table."""
    for statement in install_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
