"""Small database helpers: the dialect's INSERT (for ON CONFLICT), batches that stay under the
bound-parameter limit, the multi-row claim insert the sweep and the outbox use, the end of a
request's read-only transaction, and a hot path's tools (statements on the driver's cursor,
objects built from their rows, values kept without history, a commit that keeps them)."""
from sqlalchemy import bindparam, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from contracts_app.extensions import db

# psycopg's status of a result with rows (psycopg.pq.ExecStatus.TUPLES_OK).
_TUPLES_OK = 2


def dialect_insert(model):
    """``insert(model)`` of the session's database, PostgreSQL's or SQLite's: both have
    ``on_conflict_do_nothing`` and ``on_conflict_do_update`` (the generic insert has neither)."""
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model)


def chunks(items, size):
    """``items`` in lists of at most ``size``, in order (for IN lists and VALUES batches)."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def max_parameters():
    """Bound parameters one statement may carry on this database (with some headroom).

    SQLite allows 32,766 since 3.32 (the app needs >= 3.35 anyway, for RETURNING); PostgreSQL's
    wire protocol allows 65,535.
    """
    return 32000 if db.session.get_bind().dialect.name == "sqlite" else 60000


def rows_per_statement(columns, cap=1000):
    """How many rows of ``columns`` values fit in one statement's parameters."""
    return max(1, min(cap, max_parameters() // max(1, columns)))


def insert_many_ignoring_conflicts(model, rows, conflict_columns, returning):
    """Multi-row INSERT ... ON CONFLICT (conflict_columns) DO NOTHING RETURNING returning.

    Returns the ``returning`` values of the rows this call inserted (a row whose key already
    exists, or arrives twice, is skipped and not returned), so the caller acts only on what it
    claimed: this is how the sweep *claims* a flag and the outbox a notification, so concurrent
    runs act once. On PostgreSQL a concurrent insert of the same key waits for the other
    transaction and then does nothing, so there is no race window. Rows go in the order given
    (two concurrent callers inserting sorted keys wait for each other instead of deadlocking).
    Every row must carry the same keys. SQLite: multi-row VALUES in batches that stay under the
    parameter limit; PostgreSQL: one statement of column arrays (``_unnest_insert``).
    """
    if not rows:
        return []
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.execute(_unnest_insert(table, rows, conflict_columns, returning)).all()
    statement = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(*(table.c[name] for name in returning))
    )
    # An executemany with RETURNING: SQLAlchemy compiles the one-row statement once and sends
    # the rows as multi-row VALUES batches ("insertmanyvalues"), sized here to the limit.
    return db.session.execute(
        statement.execution_options(insertmanyvalues_page_size=rows_per_statement(len(rows[0]))),
        rows,
    ).all()


def _unnest_insert(table, rows, conflict_columns, returning):
    """PostgreSQL: ``INSERT … SELECT … FROM unnest(:col1, :col2, …) WITH ORDINALITY ORDER BY
    ordinality ON CONFLICT … DO NOTHING RETURNING …``: one statement whatever the number of
    rows, one array parameter per column, the rows inserted in the order given.

    The same claim as a multi-row VALUES (each row inserted or skipped on its key, only the
    inserted ones returned), without its cost at scale: a VALUES batch of thousands of rows
    carries tens of thousands of named parameters, which the driver rewrites with a regular
    expression and the server parses and plans on every run (over a second of a first sweep
    after a load: ~4,000 notifications, ~2,000 check-ins, ~1,600 flags).
    """
    names = list(rows[0])
    arrays = [
        bindparam(f"unnest_{name}", [row[name] for row in rows], type_=postgresql.ARRAY(table.c[name].type))
        for name in names
    ]
    source = func.unnest(*arrays).table_valued(*names, with_ordinality="ordinality").render_derived()
    return (
        postgresql.insert(table)
        .from_select(names, select(*(source.c[name] for name in names)).order_by(source.c.ordinality))
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(*(table.c[name] for name in returning))
    )


def commit_keeping_objects():
    """Commit the session without expiring its objects (``expire_on_commit`` off for this one
    commit), for a write whose objects already hold what it wrote (``keep_values``), such as a
    correction: a commit's expiry of a hot path's few objects cost more than its statements'
    own Python. The objects then stay as loaded until the session ends or they are expired.
    """
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = before


def end_read_only_transaction(exc=None):
    """App-context teardown, before the session is removed: on PostgreSQL, end a transaction
    that wrote nothing with COMMIT instead of the session's ROLLBACK.

    The two are the same for the database when nothing was written (the server says so:
    ``pg_current_xact_id_if_assigned()`` is NULL until a transaction writes), but psycopg
    forgets every prepared statement of a connection on ROLLBACK, and most requests end with a
    read transaction (a write's answer is read after its commit): its statements were parsed
    and planned again on every request. Anything else (an error, unflushed changes, a
    transaction that wrote, SQLite) is left to the rollback as before.
    """
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        return
    try:
        # On the driver's connection, not through SQLAlchemy: this bookkeeping is no statement
        # of the request (the pages' statement counts stay as they were).
        cursor = session.connection().connection.dbapi_connection.cursor()
        try:
            cursor.execute("SELECT pg_current_xact_id_if_assigned()")
            wrote = cursor.fetchone()[0] is not None
        finally:
            cursor.close()
        if not wrote:
            session.commit()
    except (SQLAlchemyError, dialect.loaded_dbapi.Error):
        session.rollback()


class DriverStatement:
    """A statement a hot path runs many times (a single correction's), built once with Core and
    run, on PostgreSQL, straight on the driver's cursor of the session's connection (in its
    transaction; psycopg prepares a statement after a few runs) instead of through
    ``session.execute``.

    The SQL is the Core statement's own, compiled once per set of parameter names, and values go
    in and out through the columns' own type processors (``UTCDateTime``, JSON), so the rows are
    what ``session.execute(statement, params).all()`` gives, as tuples. What that skips is
    SQLAlchemy's per-execution work (an execution context, a result object, the driver's column
    descriptions of every row), about a quarter of a millisecond of CPU per statement: most of
    what a correction through the API cost after its statements were built once.

    Like ``session.execute`` of an ORM statement it flushes pending changes first (autoflush).
    Elsewhere (SQLite), or for a statement that needs more than this does (a Python-side
    default or onupdate left to SQLAlchemy, an expanding IN), it is ``session.execute``.
    Driver errors are raised as SQLAlchemy's (``IntegrityError`` and the others), a lost
    connection invalidated, as SQLAlchemy does. Not for executemany. ``before_cursor_execute``
    listeners do not see these statements.
    """

    # False: every DriverStatement runs through session.execute, as on SQLite (the tests compare
    # the two ways on PostgreSQL).
    enabled = True

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}  # (dialect, parameter names) -> _DriverSql, or None: use the session

    @classmethod
    def available(cls):
        """Whether statements of the session's database run on the driver (PostgreSQL): a
        caller may then send a statement only PostgreSQL runs (a data-modifying WITH)."""
        return cls.enabled and db.session.get_bind().dialect.name == "postgresql"

    def execute(self, params):
        """The rows (a list of tuples) of the statement run with ``params``."""
        session = db.session()
        if session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()
        connection = session.connection()
        dialect = connection.dialect
        key = (dialect, tuple(params))
        try:
            driver = self._compiled[key]
        except KeyError:
            driver = self._compiled[key] = _DriverSql.compile(self.statement, dialect, params)
        if driver is None or not self.enabled:
            result = session.execute(self.statement, params)
            # An ORM statement's result always has rows; a CursorResult says whether it has.
            return [tuple(row) for row in result] if getattr(result, "returns_rows", True) else []
        return driver.run(connection, params)


class _DriverSql:
    """One compiled form of a DriverStatement: the SQL, its parameters' processors, its columns'."""

    def __init__(self, compiled, dialect, column_types):
        self.sql = compiled.string
        self.dialect = dialect
        self.compiled = compiled
        self.bind_processors = {
            name: processor for bind, name in compiled.bind_names.items()
            if (processor := bind.type._cached_bind_processor(dialect)) is not None
        }
        self.column_types = column_types
        self.result_processors = None  # from the first run's column type codes

    @classmethod
    def compile(cls, statement, dialect, params):
        if dialect.name != "postgresql":
            return None
        compiled = statement.compile(dialect=dialect, column_keys=list(params))
        if (compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params
                or any(bind.expanding for bind in compiled.bind_names)):
            return None
        return cls(compiled, dialect, [column.type for column in statement.exported_columns])

    def run(self, connection, params):
        values = self.compiled.construct_params(params)
        for name, processor in self.bind_processors.items():
            values[name] = processor(values[name])
        fairy = connection.connection
        dbapi_connection = fairy.dbapi_connection
        # One cursor per driver connection, kept with it (the pool's record outlives a
        # reconnection, hence the check).
        cursor = fairy.info.get("driver_statement_cursor")
        if cursor is None or cursor.closed or cursor.connection is not dbapi_connection:
            cursor = fairy.info["driver_statement_cursor"] = dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, values)
            rows = cursor.fetchall() if cursor.pgresult.status == _TUPLES_OK else []
        except self.dialect.loaded_dbapi.Error as error:
            if self.dialect.is_disconnect(error, dbapi_connection, cursor):
                connection.invalidate(error)
            raise DBAPIError.instance(self.sql, values, error, self.dialect.loaded_dbapi.Error,
                                      dialect=self.dialect) from error
        if not rows:
            return rows
        processors = self.result_processors
        if processors is None:  # (position, processor) of each column that has one
            processors = self.result_processors = [
                (position, processor) for position, (type_, column) in enumerate(zip(self.column_types, cursor.description))
                if (processor := type_._cached_result_processor(self.dialect, column.type_code)) is not None
            ]
        if not processors:
            return rows
        processed = []
        for row in rows:
            values = list(row)
            for position, processor in processors:
                values[position] = processor(values[position])
            processed.append(tuple(values))
        return processed


def loaded_keys(model, only=None):
    """The column attributes of ``model`` a row lookup selects: all of them, or those named in
    ``only`` and the primary key (the rest are then loaded on first use, as with ``load_only``)."""
    mapper = sa_inspect(model)
    primary = set(_primary_keys(mapper))
    return [attr.key for attr in mapper.column_attrs if only is None or attr.key in only or attr.key in primary]


def columns_of(model, keys):
    """The attributes of ``model`` named in ``keys``, in that order: what a row lookup's SELECT
    lists for one of its parts."""
    return [getattr(model, key) for key in keys]


def expire_loaded(obj, keys):
    """``session.expire(obj, keys)`` of those of ``keys`` that ``obj`` has loaded (one not
    loaded is read on first use anyway): nothing to do, and no call, in the usual case."""
    loaded = sa_inspect(obj).dict
    keys = [key for key in keys if key in loaded]
    if keys:
        db.session.expire(obj, keys)


def keep_values(obj, values):
    """``set_committed_value`` of each of ``values`` ({attribute: value}) on ``obj``: it takes
    them as loaded (what a refresh or a flush leaves), with no history. In one step when none of
    them has a pending change, an expiry or a loader of its own (the usual case on a hot path:
    the same as key by key, which costs a correction some hundred calls), else key by key."""
    state = sa_inspect(obj)
    if state.committed_state or state.expired or state.callables or (
            state.expired_attributes and not state.expired_attributes.isdisjoint(values)):
        for key, value in values.items():
            set_committed_value(obj, key, value)
    else:
        state.dict.update(values)


def attach_loaded(model, values):
    """The ``model`` object of one row, ``values`` ({attribute: value}, its primary key among
    them), as a query would give it, without the ORM's per-statement loading work.

    The object the session already has for that identity is returned (its unloaded attributes
    filled from ``values``, its loaded ones and its pending changes left as they are: a query
    without ``populate_existing``). Otherwise one is built, the given attributes loaded, every
    other column attribute and every relationship unloaded (each loaded on first use), and
    attached to the session as persistent (``make_transient_to_detached``: no SQL, no history).
    """
    mapper = sa_inspect(model)
    return _attach(db.session(), mapper, _primary_keys(mapper), values)[0]


def _primary_keys(mapper):
    return [mapper.get_property_by_column(column).key for column in mapper.primary_key]


def _attach(session, mapper, primary_keys, values, refresh=False):
    """``attach_loaded``'s object, and whether the session already had it (then, with
    ``refresh``, it takes every value given, loaded or not). ``primary_keys``: the mapper's
    primary key attributes (``_primary_keys``)."""
    existing = session.identity_map.get(mapper.identity_key_from_primary_key([values[key] for key in primary_keys]))
    if existing is not None:
        if not refresh:
            loaded = sa_inspect(existing).dict
            values = {key: value for key, value in values.items() if key not in loaded}
        keep_values(existing, values)
        return existing, True
    instance = mapper.class_manager.new_instance()
    sa_inspect(instance).dict.update(values)  # a transient object's own: no history to keep
    make_transient_to_detached(instance)
    session.add(instance)
    return instance, False


class RowLookup:
    """ORM objects of one or more entities read by one ``DriverStatement`` (the SELECT of their
    columns, ``parts`` in its column order: (model, attribute keys) each), then any further
    columns as plain values. For a hot path's lookup by key (the API token's user, the reading
    a correction names): on PostgreSQL the row comes from the driver's cursor and each object
    is built by ``attach_loaded``; the objects are the session's, as a query's would be.
    ``relations`` are (index of the parent part, relationship, index of the child part),
    set as loaded (a joined eager load of a many-to-one) where the parent has not loaded them.
    The objects of the parts indexed in ``refresh`` that the session already has take every
    value of the row and their relationships are reloaded on next use, as with
    ``populate_existing`` (for a locking read: the object is then the row as locked).
    """

    def __init__(self, statement, parts, relations=(), refresh=()):
        self.driver = DriverStatement(statement)
        self.parts = [(sa_inspect(model), _primary_keys(sa_inspect(model)), list(keys)) for model, keys in parts]
        self.relations = relations
        self.refresh = [
            [relationship.key for relationship in sa_inspect(parts[index][0]).relationships] if index in refresh else None
            for index in range(len(parts))
        ]

    def first(self, params):
        """(objects, further values) of the first row, or None when there is none."""
        rows = self.driver.execute(params)
        if not rows:
            return None
        row = rows[0]
        objects = []
        position = 0
        session = db.session()
        for (mapper, primary_keys, keys), relationships in zip(self.parts, self.refresh):
            values = dict(zip(keys, row[position:position + len(keys)]))
            position += len(keys)
            found, existing = _attach(session, mapper, primary_keys, values, refresh=relationships is not None)
            if existing and relationships is not None:
                expire_loaded(found, relationships)
            objects.append(found)
        for parent, key, child in self.relations:
            if key not in sa_inspect(objects[parent]).dict:
                set_committed_value(objects[parent], key, objects[child])
        return objects, row[position:]
